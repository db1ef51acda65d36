/* test_report_compare.c — report_compare() over a table of cases: a clean
 * fixture as base, a mutated copy as the new run. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fixture.h"
#include "golden.h"
#include "reports.h"

static struct step_stats *step(struct run_report *r, size_t s, const char *label)
{
	return (struct step_stats *)scenario_result_step(&r->scenarios[s], label);
}

static void m_none(struct run_report *r)
{
	(void)r;
}

static void m_p99_up_30(struct run_report *r) /* the 2% tail: p99, p99.9, max */
{
	fixture_fill_restore(&step(r, 0, "restore base (same snapshot)")->hist, 100, FIXTURE_TAIL_NS * 13 / 10);
}

static void m_faster(struct run_report *r)
{
	fixture_fill_restore(&step(r, 0, "restore base (same snapshot)")->hist, 50, FIXTURE_TAIL_NS / 2);
}

static void m_missing_step(struct run_report *r)
{
	fixture_remove_step(&r->scenarios[0], "snapshot as base");
}

static void m_new_step(struct run_report *r)
{
	fixture_remove_step(&r->scenarios[1], "destroy"); /* make room (calloc'd 4) */
	struct scenario_result *s = &r->scenarios[1];
	struct step_stats *st = &s->steps[s->n_steps++];
	memset(st, 0, sizeof *st);
	snprintf(st->label, sizeof st->label, "call new_thing (steady)");
	snprintf(st->step, sizeof st->step, "call new_thing");
	st->kind = SCENARIO_STEP_CALL;
	st->variant = SCENARIO_VARIANT_STEADY;
	hist_init(&st->hist);
	hist_record(&st->hist, 1000);
}

static void m_missing_scenario(struct run_report *r) /* and a new one */
{
	snprintf(r->scenarios[1].name, sizeof r->scenarios[1].name, "renamed");
}

static void m_failed_expect(struct run_report *r)
{
	r->scenarios[0].expects[0].passed = false;
}

/* A scenario only the new run has, with a failed expectation: still a
 * regression (reports.h: every failed expectation in NEW is), on top of
 * the baseline's scenario now missing. */
static void m_new_scenario_failed_expect(struct run_report *r)
{
	snprintf(r->scenarios[0].name, sizeof r->scenarios[0].name, "brand-new");
	r->scenarios[0].expects[0].passed = false;
}

static void m_failed_run(struct run_report *r)
{
	r->scenarios[1].failed = true;
}

static void m_more_pages(struct run_report *r)
{
	step(r, 0, "call touch_pages (first after restore)")->scratch_pages += 1;
}

static void m_fewer_copies(struct run_report *r)
{
	step(r, 0, "snapshot as base")->pages_copied -= 2;
}

static void m_one_more_full(struct run_report *r) /* a light restore went full */
{
	step(r, 0, "restore base (same snapshot)")->full_restores += 1;
}

static void m_fewer_full(struct run_report *r)
{
	step(r, 1, "restore (other snapshot)")->full_restores -= 50;
}

static void m_more_reset(struct run_report *r)
{
	step(r, 1, "restore (other snapshot)")->pages_reset += 1;
}

static void m_more_faults(struct run_report *r)
{
	step(r, 0, "call touch_pages (first after restore)")->cow_faults += 1000;
}

static void m_more_bytes(struct run_report *r)
{
	step(r, 0, "restore base (same snapshot)")->bytes_copied += 4096;
}

static void m_fewer_retained(struct run_report *r) /* host-cow kept fewer pages */
{
	step(r, 1, "restore (other snapshot)")->pages_retained -= 100;
}

static void m_more_retained(struct run_report *r)
{
	step(r, 1, "restore (other snapshot)")->pages_retained += 100;
}

/* A baseline of schema 3 knows no faults, copies or retained pages: a
 * value it lacks is never judged against its zero. */
static void m_schema3_more_faults(struct run_report *r)
{
	m_more_faults(r);
	r->schema_version = 3;
	/* before schema 5 a failed call was timed too: in its row's count */
	hist_record(&step(r, 1, "call touch_pages (first after restore)")->hist, 6000);
}

static void m_slower_p50(struct run_report *r) /* the whole body 30% slower */
{
	fixture_fill_restore(&step(r, 0, "restore base (same snapshot)")->hist, 130, FIXTURE_TAIL_NS);
}

static void m_slightly_slower(struct run_report *r) /* 3%: inside the 5% band */
{
	fixture_fill_restore(&step(r, 0, "restore base (same snapshot)")->hist, 103, FIXTURE_TAIL_NS);
}

static void m_more_errors(struct run_report *r)
{
	step(r, 1, "call touch_pages (first after restore)")->errors += 3;
}

static void m_few_samples(struct run_report *r) /* 3 restores left */
{
	struct hist *h = &step(r, 0, "restore base (same snapshot)")->hist;
	hist_init(h);
	hist_record_n(h, 22000, 3);
	step(r, 0, "restore base (same snapshot)")->full_restores = 0;
	step(r, 0, "restore base (same snapshot)")->pages_reset = 0;
	step(r, 0, "restore base (same snapshot)")->bytes_copied = 0;
}

static void m_other_heap(struct run_report *r)
{
	free(r->scenarios[1].options[0].value);
	r->scenarios[1].options[0].value = strdup("512M");
}

static void m_other_iterations(struct run_report *r) /* not a definition */
{
	free(r->scenarios[1].options[0].value);
	r->scenarios[1].options[0].value = strdup("512M");
	snprintf(r->scenarios[1].options[0].name, sizeof r->scenarios[1].options[0].name,
		 "iterations");
}

static void m_other_kernel(struct run_report *r)
{
	snprintf(r->machine.kernel, sizeof r->machine.kernel, "6.9.0-other");
}

struct cmp_case {
	const char *what;
	void (*mutate)(struct run_report *cur);
	const char *noise[3];   /* --noise specs, NULL-terminated */
	int want;               /* regressions */
	const char *want_text;  /* in the text with --all */
	bool force;
};

static const struct cmp_case cases[] = {
	{ "identical", m_none, { 0 }, 0, "OK: 0 regressions; 0 improved, 14 within noise, 3 not "
					 "enough data, 23 unchanged, 0 new (bootstrap intervals, 95% for all 14 together", false },
	{ "p50 +30% (and p90)", m_slower_p50, { 0 }, 2,
	  "regressed       restore-64M  restore base (same snapshot)            p50 us        "
	  "                      21.7         28.2    +30.1%  [+28.", false },
	{ "p50 +30% inside a 40% band", m_slower_p50, { "40%" }, 0, "within noise", false },
	{ "p50 +30%, the row's band", m_slower_p50, { "restore base:all=40%" }, 0, "noise 40%", false },
	{ "p50 +30%, another row's band", m_slower_p50, { "destroy:all=40%" }, 2, "noise 5%", false },
	{ "p50 +30%, a band for p50 alone", m_slower_p50, { "restore base:p50=40%" }, 1, "noise 5%", false },
	{ "+3% is noise", m_slightly_slower, { 0 }, 0, "within noise", false },
	{ "+3% is a regression in a 1% band", m_slightly_slower, { "p50=1%" }, 1, "noise 1%", false },
	{ "faster", m_faster, { 0 }, 0, "improved", false },
	{ "p99 +30%: 20 samples beyond it", m_p99_up_30, { 0 }, 1,
	  "restore base (same snapshot)            p99", false },
	{ "three samples", m_few_samples, { 0 }, 0, "new: 3 samples (need 5)", false },
	{ "missing step", m_missing_step, { 0 }, 1, "row missing from NEW", false },
	{ "new step", m_new_step, { 0 }, 1 /* the destroy step went */, "row only in NEW", false },
	{ "missing scenario", m_missing_scenario, { 0 }, 1, "scenario missing from NEW", false },
	{ "new scenario", m_missing_scenario, { 0 }, 1, "scenario only in NEW", false },
	{ "failed expectation", m_failed_expect, { 0 }, 1, "expectation failed", false },
	{ "failed run", m_failed_run, { 0 }, 1, "the run failed", false },
	{ "new scenario, failed expectation", m_new_scenario_failed_expect, { 0 }, 2,
	  "regressed       brand-new    restore base.p99 < 50us", false },
	{ "more errors", m_more_errors, { 0 }, 1,
	  "errors per execution               0.010        0.038   +288.5%  exact", false },
	{ "one more scratch page", m_more_pages, { 0 }, 1, "scratch_pages", false },
	{ "fewer pages copied", m_fewer_copies, { 0 }, 0, "improved", false },
	{ "one more full restore", m_one_more_full, { 0 }, 1,
	  "full_restores per restore          0.020        0.021     +5.0%  exact", false },
	{ "fewer full restores", m_fewer_full, { 0 }, 0, "improved", false },
	{ "one more page reset", m_more_reset, { 0 }, 1, "pages_reset", false },
	{ "more CoW faults", m_more_faults, { 0 }, 1, "cow_faults", false },
	{ "more bytes copied", m_more_bytes, { 0 }, 1, "bytes_copied", false },
	{ "fewer pages retained", m_fewer_retained, { 0 }, 1, "pages_retained", false },
	{ "more pages retained", m_more_retained, { 0 }, 0, "improved", false },
	{ "schema 3: not judged", m_schema3_more_faults, { 0 }, 0, "OK: 0 regressions", false },
	{ "another kernel: a warning", m_other_kernel, { 0 }, 0,
	  "warning: the runs differ in kernel: '6.1.0-test' in BASE, '6.9.0-other' in NEW", false },
	{ "another kernel, forced: no warning", m_other_kernel, { 0 }, 0, "OK", true },
	{ "another heap, forced", m_other_heap, { 0 }, 0, "OK", true },
	{ "iterations are not the definition", m_other_iterations, { 0 }, 0, "OK", false },
};

static void test_cases(void)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct cmp_case *c = &cases[i];
		struct run_report base, cur;
		fixture_report(&base, false);
		fixture_report(&cur, false);
		c->mutate(&cur);
		struct compare_options o = { .force = c->force };
		struct sb_err err = { 0 };
		for (size_t k = 0; c->noise[k]; k++)
			CHECK_I64(compare_noise_parse(&o, c->noise[k], &err), 0);
		struct compare_result r;
		if (!check_i64_at(report_compare(&base, &cur, &o, &r, &err), 0, c->what, __FILE__,
				  __LINE__)) {
			fprintf(stderr, "  %s\n", err.msg);
			continue;
		}
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		CHECK_I64(compare_write_text(&r, f, true), 0);
		fclose(f);
		if (!check_i64_at((int64_t)r.count[CMP_REGRESSED], c->want, c->what, __FILE__, __LINE__))
			fprintf(stderr, "%s", buf);
		if (!check_contains_at(buf, c->want_text, c->what, __FILE__, __LINE__))
			fprintf(stderr, "%s", buf);
		if (i == 1)
			golden_check("report_compare.txt", buf);
		if (c->mutate == m_schema3_more_faults)
			CHECK(strstr(buf, "cow_faults") == NULL && strstr(buf, "bytes_copied") == NULL);
		if (c->force)
			CHECK(strstr(buf, "warning") == NULL);
		free(buf);
		compare_result_free(&r);
		run_report_free(&base);
		run_report_free(&cur);
	}
}

/* Definitions that differ are refused, naming the option; the same
 * comparison again is the same (seeded: reproducible). */
static void test_refusal_and_reproducible(void)
{
	struct run_report base, cur;
	fixture_report(&base, false);
	fixture_report(&cur, false);
	m_other_heap(&cur);
	struct compare_result r;
	struct sb_err err = { 0 };
	CHECK_I64(report_compare(&base, &cur, NULL, &r, &err), -1);
	CHECK_CONTAINS(err.msg, "refusing to compare: 1 scenario option differs, so the runs "
				"measured different things: [esc<&>\"name] heap: '256M' in BASE, '512M' in "
				"NEW (run both from the same scenario files, or pass --force)");
	CHECK(r.items == NULL && r.n_items == 0);
	run_report_free(&cur);
	fixture_report(&cur, false);
	m_slower_p50(&cur);
	struct compare_result a, b;
	if (CHECK_I64(report_compare(&base, &cur, NULL, &a, &err), 0) &&
	    CHECK_I64(report_compare(&base, &cur, NULL, &b, &err), 0)) {
		CHECK(a.n_items == b.n_items);
		for (size_t i = 0; i < a.n_items && i < b.n_items; i++)
			CHECK(a.items[i].lo == b.items[i].lo && a.items[i].hi == b.items[i].hi);
		compare_result_free(&a);
		compare_result_free(&b);
	}
	run_report_free(&base);
	run_report_free(&cur);
}

static void test_fixture_with_failures(void)
{
	struct run_report base, cur;
	fixture_report(&base, true);
	fixture_report(&cur, true);
	/* identical, but the new run failed and an expectation failed */
	struct compare_result r;
	struct sb_err err = { 0 };
	if (CHECK_I64(report_compare(&base, &cur, NULL, &r, &err), 0)) {
		CHECK_U64(r.count[CMP_REGRESSED], 2);
		compare_result_free(&r);
	}
	run_report_free(&base);
	run_report_free(&cur);
}

/* Repeated runs: BASE's five runs sit at 0.8 .. 1.2 of one body, NEW's
 * at the same scales in another order. Pooled, nothing changed; each
 * side's runs spread 40 %, so even a one-run-a-side pair of the extremes
 * would read +50 %: with the runs resampled the verdict is not a
 * regression. One run a side of those extremes is one (the intervals
 * cannot see the spread). */
static void test_runs(void)
{
	static const unsigned scale_b[5] = { 80, 90, 100, 110, 120 }, scale_c[5] = { 120, 100, 80, 110, 90 };
	struct run_report base, cur;
	fixture_report(&base, false);
	fixture_report(&cur, false);
	struct run_report *rs[2] = { &base, &cur };
	const unsigned *scales[2] = { scale_b, scale_c };
	for (int k = 0; k < 2; k++) {
		struct scenario_result *s = &rs[k]->scenarios[0];
		struct step_stats *st = step(rs[k], 0, "restore base (same snapshot)");
		s->runs = 5;
		st->runs = calloc(5, sizeof *st->runs);
		st->n_runs = 5;
		hist_init(&st->hist);
		for (int i = 0; i < 5; i++) {
			fixture_fill_restore(&st->runs[i], scales[k][i], FIXTURE_TAIL_NS);
			hist_merge(&st->hist, &st->runs[i]);
		}
		st->full_restores *= 5;
		st->pages_reset *= 5;
		st->bytes_copied *= 5;
	}
	struct compare_result r;
	struct sb_err err = { 0 };
	if (CHECK_I64(report_compare(&base, &cur, NULL, &r, &err), 0)) {
		CHECK_U64(r.count[CMP_REGRESSED], 0);
		CHECK_U64(r.base_runs, 5);
		compare_result_free(&r);
	}
	/* one run a side: BASE's fastest against NEW's slowest */
	for (int k = 0; k < 2; k++) {
		struct step_stats *st = step(rs[k], 0, "restore base (same snapshot)");
		st->hist = st->runs[0]; /* run 0: 0.8 in BASE, 1.2 in NEW */
		free(st->runs);
		st->runs = NULL;
		st->n_runs = 0;
		rs[k]->scenarios[0].runs = 1;
		st->full_restores /= 5;
		st->pages_reset /= 5;
		st->bytes_copied /= 5;
	}
	if (CHECK_I64(report_compare(&base, &cur, NULL, &r, &err), 0)) {
		CHECK(r.count[CMP_REGRESSED] >= 1);
		compare_result_free(&r);
	}
	run_report_free(&base);
	run_report_free(&cur);
}

/* A side of several reports: each report's rows become runs of one row,
 * counters summed; a report without the first one's scenarios is refused. */
static void test_side_merge(void)
{
	struct run_report r[2], m;
	fixture_report(&r[0], false);
	fixture_report(&r[1], false);
	m_slower_p50(&r[1]);
	const char *names[] = { "a.json", "b.json" };
	struct sb_err err = { 0 };
	if (CHECK_I64(compare_side_merge(r, 2, names, &m, &err), 0)) {
		const struct step_stats *st = scenario_result_step(&m.scenarios[0],
								   "restore base (same snapshot)");
		const struct step_stats *one = step(&r[0], 0, "restore base (same snapshot)");
		CHECK_U64(m.scenarios[0].runs, 2);
		if (CHECK(st != NULL) && CHECK_U64(st->n_runs, 2)) {
			CHECK_U64(hist_count(&st->hist), 2 * hist_count(&one->hist));
			CHECK_U64(hist_count(&st->runs[1]), hist_count(&one->hist));
			CHECK_U64(st->pages_reset, 2 * one->pages_reset);
			CHECK(hist_value_at_percentile(&st->runs[1], 50) >
			      hist_value_at_percentile(&st->runs[0], 50));
		}
		/* merged against itself: nothing regressed */
		struct compare_result cr;
		if (CHECK_I64(report_compare(&m, &m, NULL, &cr, &err), 0)) {
			CHECK_U64(cr.count[CMP_REGRESSED], 0);
			CHECK_U64(cr.base_runs, 2);
			compare_result_free(&cr);
		}
		compare_side_free(&m);
	}
	/* a scenario only the second report has: refused too, not left out */
	r[0].n_scenarios--;
	CHECK_I64(compare_side_merge(r, 2, names, &m, &err), -1);
	CHECK_CONTAINS(err.msg, "b.json has scenario '");
	CHECK_CONTAINS(err.msg, "(a.json has not)");
	r[0].n_scenarios++;
	snprintf(r[1].scenarios[0].name, sizeof r[1].scenarios[0].name, "other");
	CHECK_I64(compare_side_merge(r, 2, names, &m, &err), -1);
	CHECK_CONTAINS(err.msg, "b.json has no scenario 'restore-64M' (a.json has)");
	run_report_free(&r[0]);
	run_report_free(&r[1]);
}

/* A side of two reports, the second without a row the first has: that
 * row has an empty run in NEW, and is missing there, not "not enough
 * data" (which would pass the gate). */
static void test_side_missing_row(void)
{
	struct run_report r[2], m;
	fixture_report(&r[0], false);
	fixture_report(&r[1], false);
	struct scenario_result *s = &r[1].scenarios[0];
	const char *label = s->steps[s->n_steps - 1].label;
	s->n_steps--;
	const char *names[] = { "n1.json", "n2.json" };
	struct sb_err err = { 0 };
	if (CHECK_I64(compare_side_merge(r, 2, names, &m, &err), 0)) {
		struct compare_result cr;
		if (CHECK_I64(report_compare(&r[0], &m, NULL, &cr, &err), 0)) {
			bool found = false;
			for (size_t i = 0; i < cr.n_items; i++)
				found = found || (cr.items[i].verdict == CMP_REGRESSED &&
						  cr.items[i].metric == COMPARE_STRUCTURE &&
						  strcmp(cr.items[i].row, label) == 0 &&
						  strstr(cr.items[i].why, "no executions in run 2 of 2 of NEW"));
			CHECK(found);
			compare_result_free(&cr);
		}
		/* the other way round (BASE pooled) it is no regression, and the
		 * row's latency is still judged on the runs that have it */
		if (CHECK_I64(report_compare(&m, &r[0], NULL, &cr, &err), 0)) {
			CHECK_U64(cr.count[CMP_REGRESSED], 0);
			for (size_t i = 0; i < cr.n_items; i++)
				if (cr.items[i].metric == COMPARE_P50 && strcmp(cr.items[i].row, label) == 0)
					CHECK_I64(cr.items[i].verdict, CMP_WITHIN_NOISE);
			compare_result_free(&cr);
		}
		compare_side_free(&m);
	}
	s->n_steps++;
	run_report_free(&r[0]);
	run_report_free(&r[1]);
}

/* The open loop's iterations are judged: a scenario that falls behind
 * its rate (each iteration twice as long, end to end) regresses even
 * though its step rows, timed from their starts, did not move. */
static void test_open_loop(void)
{
	struct run_report base, cur;
	fixture_report(&base, false);
	fixture_report(&cur, false);
	struct hist *h = &cur.scenarios[0].open_loop->iteration, twice;
	hist_init(&twice);
	struct hist_iter it;
	struct hist_bucket b;
	for (hist_iter_init(&it, h); hist_iter_next(&it, &b);)
		hist_record_n(&twice, 2 * b.lower_ns, b.count);
	*h = twice;
	struct compare_result r;
	struct sb_err err = { 0 };
	if (CHECK_I64(report_compare(&base, &cur, NULL, &r, &err), 0)) {
		bool found = false;
		for (size_t i = 0; i < r.n_items; i++)
			found = found || (r.items[i].verdict == CMP_REGRESSED &&
					  strcmp(r.items[i].row, "(open loop) iteration") == 0);
		CHECK(found);
		compare_result_free(&r);
	}
	/* identical: judged, within noise */
	run_report_free(&cur);
	fixture_report(&cur, false);
	if (CHECK_I64(report_compare(&base, &cur, NULL, &r, &err), 0)) {
		CHECK_U64(r.count[CMP_REGRESSED], 0);
		compare_result_free(&r);
	}
	run_report_free(&base);
	run_report_free(&cur);
}

/* A schema-4 report timed its failed calls too: its executions are its
 * count. The same failures in a schema-5 report (count without them) are
 * the same rate, not a regression. */
static void test_errors_across_schemas(void)
{
	struct run_report base, cur;
	fixture_report(&base, false);
	fixture_report(&cur, false);
	base.schema_version = 4;
	struct step_stats *st = step(&base, 1, "call touch_pages (first after restore)");
	hist_record(&st->hist, 6000); /* the failed call, timed then */
	struct compare_result r;
	struct sb_err err = { 0 };
	if (CHECK_I64(report_compare(&base, &cur, NULL, &r, &err), 0)) {
		for (size_t i = 0; i < r.n_items; i++)
			if (r.items[i].metric == COMPARE_ERRORS &&
			    strcmp(r.items[i].scenario, cur.scenarios[1].name) == 0)
				CHECK_I64(r.items[i].verdict, CMP_UNCHANGED);
		compare_result_free(&r);
	}
	run_report_free(&base);
	run_report_free(&cur);
}

/* Nothing judged (every latency row too small) is said, not passed quietly. */
static void test_nothing_judged(void)
{
	struct run_report base, cur;
	fixture_report(&base, false);
	fixture_report(&cur, false);
	m_few_samples(&base);
	m_few_samples(&cur);
	for (int k = 0; k < 2; k++) {
		struct run_report *r = k ? &cur : &base;
		free(r->scenarios[0].open_loop); /* its iterations would be judged */
		r->scenarios[0].open_loop = NULL;
		for (size_t i = 0; i < r->n_scenarios; i++)
			for (size_t j = 0; j < r->scenarios[i].n_steps; j++) {
				struct hist *h = &r->scenarios[i].steps[j].hist;
				if (hist_count(h) > 3) {
					uint64_t v = hist_value_at_percentile(h, 50);
					hist_init(h);
					hist_record_n(h, v, 3);
				}
			}
	}
	struct compare_result r;
	struct sb_err err = { 0 };
	if (CHECK_I64(report_compare(&base, &cur, NULL, &r, &err), 0)) {
		CHECK_U64(r.family, 0);
		CHECK(r.n_warnings == 1 &&
		      strstr(r.warnings[0], "no latency row had enough samples to be judged"));
		compare_result_free(&r);
	}
	run_report_free(&base);
	run_report_free(&cur);
}

static const struct {
	const char *spec;
	int rc;
	const char *row;
	int metric;
	double pct;
	const char *err;
} specs[] = {
	{ "7%", 0, "", -1, 7, 0 },
	{ "p99=20%", 0, "", COMPARE_P99, 20, 0 },
	{ "p99.9=7.5", 0, "", COMPARE_P99_9, 7.5, 0 },
	{ "all=3%", 0, "", -1, 3, 0 },
	{ "restore base (same snapshot):p50=10%", 0, "restore base (same snapshot)", COMPARE_P50, 10, 0 },
	{ "a:b:p90=1%", 0, "a:b", COMPARE_P90, 1, 0 },
	{ "p42=3%", -1, 0, 0, 0, "unknown metric 'p42'" },
	{ "scratch_pages=3%", -1, 0, 0, 0, "counters are compared exactly" },
	{ "p99=-3%", -1, 0, 0, 0, "'-3%' is not a percentage from 0 to 999" },
	{ "p99=3%x", -1, 0, 0, 0, "is not a percentage" },
	{ "p99=", -1, 0, 0, 0, "is not a percentage" },
	{ ":p50=3%", -1, 0, 0, 0, "the row before ':' is empty" },
};

static void test_parse(void)
{
	for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
		struct compare_options o = { 0 };
		struct sb_err err = { 0 };
		int rc = compare_noise_parse(&o, specs[i].spec, &err);
		check_i64_at(rc, specs[i].rc, specs[i].spec, __FILE__, __LINE__);
		if (rc == 0)
			check_true_at(o.n_noise == 1 && o.noise[0].pct == specs[i].pct &&
					      o.noise[0].metric == specs[i].metric &&
					      strcmp(o.noise[0].row, specs[i].row) == 0,
				      specs[i].spec, __FILE__, __LINE__);
		else
			check_contains_at(err.msg, specs[i].err, specs[i].spec, __FILE__, __LINE__);
	}
	CHECK_STR(compare_metric_name(COMPARE_PAGES_RETAINED), "pages_retained");
	CHECK_STR(compare_verdict_name(CMP_NOT_ENOUGH_DATA), "not enough data");
}

int main(void)
{
	test_parse();
	test_cases();
	test_refusal_and_reproducible();
	test_fixture_with_failures();
	test_runs();
	test_side_merge();
	test_nothing_judged();
	test_open_loop();
	test_errors_across_schemas();
	test_side_missing_row();
	return check_done();
}
