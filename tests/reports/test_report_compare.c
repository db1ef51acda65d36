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
}

struct cmp_case {
	const char *what;
	void (*mutate)(struct run_report *cur);
	const char *thresholds[3]; /* --threshold specs, NULL-terminated */
	int want;                  /* regressions */
	const char *want_text;     /* in the table */
};

static const struct cmp_case cases[] = {
	{ "identical", m_none, { 0 }, 0, "0 regressions, 0 improved, 0 new" },
	{ "p99 +30% over 25%", m_p99_up_30, { 0 }, 1,
	  "restore base (same snapshot)           p99 (us)                         40.000       52.000    "
	  "+30.0%    25%  REGRESSION" },
	{ "p99 +30% within 40%", m_p99_up_30, { "p99=40%" }, 0, "p99 (us)" },
	{ "all=5% turns max on", m_p99_up_30, { "all=5%" }, 3, "max (us)" },
	{ "max on alone", m_p99_up_30, { "p99=off", "max=29" }, 1, "  off  OK" },
	{ "faster", m_faster, { 0 }, 0, "IMPROVED" },
	{ "missing step", m_missing_step, { 0 }, 1, "snapshot as base                       step" },
	{ "new step", m_new_step, { 0 }, 1 /* the destroy step went */, "call new_thing (steady)" },
	{ "missing scenario", m_missing_scenario, { 0 }, 1,
	  "esc<&>\"name              -                                      scenario                        present       absent                   MISSING" },
	{ "new scenario", m_missing_scenario, { 0 }, 1, "1 regression, 0 improved, 1 new" },
	{ "failed expectation", m_failed_expect, { 0 }, 1, "REGRESSION (expectation failed)" },
	{ "failed run", m_failed_run, { 0 }, 1, "REGRESSION (the run failed)" },
	{ "new scenario, failed expectation", m_new_scenario_failed_expect, { 0 }, 2,
	  "brand-new                restore base.p99 < 50us                expectation" },
	{ "one more scratch page", m_more_pages, { 0 }, 1, "scratch_pages (per call)" },
	{ "pages allowed", m_more_pages, { "pages=1%" }, 0, "1%  OK" },
	{ "fewer pages copied", m_fewer_copies, { 0 }, 0, "pages_copied (per snapshot)" },
	{ "one more full restore", m_one_more_full, { 0 }, 1,
	  "restore base (same snapshot)           full_restores (per restore)        0.020        "
	  "0.021     +5.0%     0%  REGRESSION" },
	{ "full restores allowed", m_one_more_full, { "full_restores=10%" }, 0, "10%  OK" },
	{ "full restores under pages", m_one_more_full, { "pages=off" }, 0, "off  OK" },
	{ "fewer full restores", m_fewer_full, { 0 }, 0,
	  "restore (other snapshot)               full_restores (per restore)        1.000        "
	  "0.500    -50.0%     0%  IMPROVED" },
	{ "one more page reset", m_more_reset, { 0 }, 1,
	  "restore (other snapshot)               pages_reset (per restore)        17.000       "
	  "17.010     +0.1%     0%  REGRESSION" },
	{ "unchanged restores", m_none, { 0 }, 0,
	  "restore base (same snapshot)           pages_reset (per restore)         3.160        "
	  "3.160     +0.0%     0%  OK" },
	/* the counters of the restore strategies, exact */
	{ "more CoW faults", m_more_faults, { 0 }, 1,
	  "call touch_pages (first after restore) cow_faults (per call)             3.000        "
	  "4.000    +33.3%     0%  REGRESSION" },
	{ "CoW faults allowed", m_more_faults, { "cow_faults=50%" }, 0, "50%  OK" },
	{ "more bytes copied", m_more_bytes, { 0 }, 1,
	  "restore base (same snapshot)           bytes_copied (per restore)    12943.360    "
	  "12947.456     +0.0%     0%  REGRESSION" },
	{ "fewer pages retained", m_fewer_retained, { 0 }, 1,
	  "restore (other snapshot)               pages_retained (per restore)       12.000       "
	  "11.000     -8.3%     0%  REGRESSION" },
	{ "more pages retained", m_more_retained, { 0 }, 0,
	  "restore (other snapshot)               pages_retained (per restore)       12.000       "
	  "13.000     +8.3%     0%  IMPROVED" },
	{ "retained under pages", m_fewer_retained, { "pages=off" }, 0, "off  OK" },
	{ "schema 3: not judged", m_schema3_more_faults, { 0 }, 0,
	  "0 regressions, 0 improved, 0 new" },
};

static void test_cases(void)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct cmp_case *c = &cases[i];
		struct run_report base, cur;
		fixture_report(&base, false);
		fixture_report(&cur, false);
		c->mutate(&cur);
		struct compare_thresholds th;
		compare_thresholds_default(&th);
		struct sb_err err = { 0 };
		for (size_t k = 0; c->thresholds[k]; k++)
			CHECK_I64(compare_threshold_parse(&th, c->thresholds[k], &err), 0);
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		int n = report_compare(&base, &cur, &th, f);
		fclose(f);
		if (!check_i64_at(n, c->want, c->what, __FILE__, __LINE__))
			fprintf(stderr, "%s", buf);
		check_contains_at(buf, c->want_text, c->what, __FILE__, __LINE__);
		CHECK_I64(report_compare(&base, &cur, &th, NULL), n); /* quiet: same count */
		if (i == 1)
			golden_check("report_compare_p99.txt", buf);
		if (c->mutate == m_schema3_more_faults)
			CHECK(strstr(buf, "cow_faults (per call)") == NULL &&
			      strstr(buf, "bytes_copied (per restore)") == NULL);
		free(buf);
		run_report_free(&base);
		run_report_free(&cur);
	}
}

static void test_fixture_with_failures(void)
{
	struct run_report base, cur;
	fixture_report(&base, true);
	fixture_report(&cur, true);
	/* identical, but the new run failed and an expectation failed */
	CHECK_I64(report_compare(&base, &cur, NULL, NULL), 2);
	run_report_free(&base);
	run_report_free(&cur);
}

static const struct {
	const char *spec;
	int rc;
	enum compare_metric m;
	double pct;
	const char *err;
} specs[] = {
	{ "p99=20%", 0, COMPARE_P99, 20, 0 },
	{ "p99.9=7.5", 0, COMPARE_P99_9, 7.5, 0 },
	{ "max=off", 0, COMPARE_MAX, -1, 0 },
	{ "pages=3%", 0, COMPARE_PAGES_COPIED, 3, 0 },
	{ "pages=4%", 0, COMPARE_FULL_RESTORES, 4, 0 },
	{ "pages=off", 0, COMPARE_PAGES_RESET, -1, 0 },
	{ "full_restores=2%", 0, COMPARE_FULL_RESTORES, 2, 0 },
	{ "pages_reset=off", 0, COMPARE_PAGES_RESET, -1, 0 },
	{ "pages=6%", 0, COMPARE_PAGES_RETAINED, 6, 0 },
	{ "cow_faults=1%", 0, COMPARE_COW_FAULTS, 1, 0 },
	{ "bytes_copied=off", 0, COMPARE_BYTES_COPIED, -1, 0 },
	{ "all=5%", 0, COMPARE_MAX, 5, 0 },
	{ "p99", -1, 0, 0, "expected METRIC=PERCENT%" },
	{ "p42=3%", -1, 0, 0, "unknown metric 'p42'" },
	{ "p99=-3%", -1, 0, 0, "'-3%' is not a percentage >= 0" },
	{ "p99=3%x", -1, 0, 0, "is not a percentage" },
	{ "p99=", -1, 0, 0, "is not a percentage" },
	{ "p9=1", -1, 0, 0, "unknown metric 'p9'" },
};

static void test_parse(void)
{
	for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) {
		struct compare_thresholds th;
		compare_thresholds_default(&th);
		struct sb_err err = { 0 };
		int rc = compare_threshold_parse(&th, specs[i].spec, &err);
		check_i64_at(rc, specs[i].rc, specs[i].spec, __FILE__, __LINE__);
		if (rc == 0)
			check_true_at(th.pct[specs[i].m] == specs[i].pct, specs[i].spec, __FILE__,
				      __LINE__);
		else
			check_contains_at(err.msg, specs[i].err, specs[i].spec, __FILE__, __LINE__);
	}
	struct compare_thresholds d;
	compare_thresholds_default(&d);
	CHECK(d.pct[COMPARE_P50] == 10 && d.pct[COMPARE_P90] == 15 && d.pct[COMPARE_P99] == 25 &&
	      d.pct[COMPARE_P99_9] == 50 && d.pct[COMPARE_MEAN] == 10 && d.pct[COMPARE_MAX] < 0 &&
	      d.pct[COMPARE_SCRATCH_PAGES] == 0 && d.pct[COMPARE_PAGES_COPIED] == 0 &&
	      d.pct[COMPARE_FULL_RESTORES] == 0 && d.pct[COMPARE_PAGES_RESET] == 0 &&
	      d.pct[COMPARE_COW_FAULTS] == 0 && d.pct[COMPARE_BYTES_COPIED] == 0 &&
	      d.pct[COMPARE_PAGES_RETAINED] == 0);
	CHECK_STR(compare_metric_name(COMPARE_PAGES_RETAINED), "pages_retained");
	CHECK_STR(compare_metric_name(COMPARE_FULL_RESTORES), "full_restores");
	CHECK_STR(compare_metric_name(COMPARE_PAGES_RESET), "pages_reset");
}

int main(void)
{
	test_parse();
	test_cases();
	test_fixture_with_failures();
	return check_done();
}
