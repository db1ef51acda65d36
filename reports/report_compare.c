/* report_compare.c — compare a run with a baseline: every row's latency
 * by bootstrap interval, its counters exactly, its structure (reports.h
 * for the rules; compare_stats.c for the statistics; compare_check.c for
 * the definitions and machines; compare_write.c for the output). */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare_internal.h"
#include "compare_stats.h"

static const char *const metric_names[COMPARE__METRICS + 1] = {
	[COMPARE_P50] = "p50",
	[COMPARE_P90] = "p90",
	[COMPARE_P99] = "p99",
	[COMPARE_P99_9] = "p99.9",
	[COMPARE_ERRORS] = "errors",
	[COMPARE_SCRATCH_PAGES] = "scratch_pages",
	[COMPARE_COW_FAULTS] = "cow_faults",
	[COMPARE_FULL_RESTORES] = "full_restores",
	[COMPARE_PAGES_RESET] = "pages_reset",
	[COMPARE_BYTES_COPIED] = "bytes_copied",
	[COMPARE_PAGES_RETAINED] = "pages_retained",
	[COMPARE_PAGES_COPIED] = "pages_copied",
	[COMPARE_STRUCTURE] = "structure",
};
static const double metric_pct[] = { 50, 90, 99, 99.9 };

const char *compare_metric_name(enum compare_metric m)
{
	return (unsigned)m <= COMPARE__METRICS ? metric_names[m] : "?";
}

const char *compare_verdict_name(enum compare_verdict v)
{
	static const char *const names[CMP__VERDICTS] = { "regressed", "improved", "within noise",
							  "not enough data", "unchanged", "new" };
	return (unsigned)v < CMP__VERDICTS ? names[v] : "?";
}

/* ---- noise bands ------------------------------------------------------------ */

int compare_noise_parse(struct compare_options *o, const char *spec, struct sb_err *err)
{
	if (o->n_noise == COMPARE_NOISE_MAX)
		return sb_errf(err, SB_E_TOO_BIG, "at most %d noise bands", COMPARE_NOISE_MAX);
	struct compare_noise n = { .metric = -1 };
	const char *eq = strrchr(spec, '=');
	const char *val = eq ? eq + 1 : spec;
	if (eq) {
		const char *colon = memrchr(spec, ':', (size_t)(eq - spec));
		const char *m = colon ? colon + 1 : spec;
		size_t mlen = (size_t)(eq - m);
		if (colon) {
			size_t rlen = (size_t)(colon - spec);
			if (!rlen || rlen >= sizeof n.row)
				return sb_errf(err, SB_E_INVAL, "noise '%s': the row before ':' is %s",
					       spec, rlen ? "too long" : "empty");
			memcpy(n.row, spec, rlen);
		}
		if (!(mlen == 3 && strncmp(m, "all", 3) == 0)) {
			for (int k = COMPARE_P50; k <= COMPARE_P99_9; k++)
				if (strlen(metric_names[k]) == mlen && strncmp(m, metric_names[k], mlen) == 0)
					n.metric = k;
			if (n.metric < 0)
				return sb_errf(err, SB_E_INVAL,
					       "noise '%s': unknown metric '%.*s' (one of p50, p90, p99, "
					       "p99.9, all; counters are compared exactly)",
					       spec, (int)mlen, m);
		}
	}
	char *end;
	n.pct = strtod(val, &end);
	if (end == val || !(n.pct >= 0) || !isfinite(n.pct) || n.pct >= 1000 ||
	    (*end && strcmp(end, "%") != 0))
		return sb_errf(err, SB_E_INVAL,
			       "noise '%s': '%s' is not a percentage from 0 to 999 (like 5%%)", spec,
			       val);
	o->noise[o->n_noise++] = n;
	return 0;
}

static double noise_for(const struct compare_options *o, const struct step_stats *st,
			enum compare_metric m)
{
	double pct = COMPARE_NOISE_DEFAULT_PCT;
	for (size_t i = 0; i < o->n_noise; i++) {
		const struct compare_noise *n = &o->noise[i];
		if (n->metric >= 0 && n->metric != (int)m)
			continue;
		if (n->row[0] && strcmp(n->row, st->label) != 0 && strcmp(n->row, st->step) != 0)
			continue;
		pct = n->pct;
	}
	return pct;
}

/* ---- items --------------------------------------------------------------------- */

struct ctx {
	const struct compare_options *o;
	struct compare_result *r;
	bool oom;
};

static struct compare_item *add(struct ctx *c, const char *scenario, const char *row,
				enum compare_metric m, enum compare_verdict v)
{
	struct compare_result *r = c->r;
	if (c->oom)
		return NULL;
	struct compare_item *n = realloc(r->items, (r->n_items + 1) * sizeof *n);
	if (!n) {
		c->oom = true;
		return NULL;
	}
	r->items = n;
	struct compare_item *it = &n[r->n_items++];
	memset(it, 0, sizeof *it);
	snprintf(it->scenario, sizeof it->scenario, "%s", scenario);
	snprintf(it->row, sizeof it->row, "%s", row);
	it->metric = m;
	it->verdict = v;
	r->count[v]++;
	return it;
}

/* A structural finding: a missing row, a failed run, ... */
__attribute__((format(printf, 5, 6))) static void structure(struct ctx *c, const char *scenario,
							     const char *row,
							     enum compare_verdict v,
							     const char *fmt, ...)
{
	struct compare_item *it = add(c, scenario, row, COMPARE_STRUCTURE, v);
	if (!it)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(it->why, sizeof it->why, fmt, ap);
	va_end(ap);
}

/* The seed of one item's bootstrap: the same item, the same interval. */
static uint64_t seed_of(const char *scenario, const char *row, enum compare_metric m)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (const char *s = scenario; *s; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ull;
	h = (h ^ 0xff) * 1099511628211ull;
	for (const char *s = row; *s; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ull;
	return (h ^ (uint64_t)m) * 1099511628211ull;
}

/* The runs of a row: its per-run histograms that have samples (a run
 * without the row says nothing of its latency: NEW's is a structure
 * finding, compare_row), or its own one. */
static const struct hist **runs_of(const struct step_stats *st, size_t *n)
{
	size_t k = st->n_runs > 1 ? st->n_runs : 1;
	const struct hist **v = malloc(k * sizeof *v);
	if (!v)
		return NULL;
	*n = 0;
	for (size_t i = 0; i < k; i++)
		if (st->n_runs <= 1 || hist_count(&st->runs[i]))
			v[(*n)++] = st->n_runs > 1 ? &st->runs[i] : &st->hist;
	if (!*n) /* no run has it: the empty pooled one, "not enough data" */
		v[(*n)++] = &st->hist;
	return v;
}

static void latency(struct ctx *c, const char *sc, const struct step_stats *b,
		    const struct step_stats *n)
{
	size_t nb, nc;
	const struct hist **hb = runs_of(b, &nb), **hc = runs_of(n, &nc);
	if (!hb || !hc) {
		c->oom = true;
		goto out;
	}
	struct cmp_side sb = { hb, nb }, sc_ = { hc, nc };
	for (enum compare_metric m = COMPARE_P50; m <= COMPARE_P99_9; m++) {
		struct cmp_change ch;
		if (cmp_percentile_change(&sb, &sc_, metric_pct[m], c->r->confidence, c->o->resamples,
					  seed_of(sc, b->label, m), &ch)) {
			c->oom = true;
			break;
		}
		/* a tail without the samples to pin it is no finding: left out
		 * (the median says "not enough data") */
		if (!ch.enough && m != COMPARE_P50)
			continue;
		/* judged once all are known (judge_latency): within noise for now */
		struct compare_item *it =
			add(c, sc, b->label, m, ch.enough ? CMP_WITHIN_NOISE : CMP_NOT_ENOUGH_DATA);
		if (!it)
			break;
		it->latency = true;
		it->base = ch.base;
		it->cur = ch.cur;
		it->change = ch.change;
		it->lo = ch.lo; /* at `confidence` alone; judge_latency widens it */
		it->hi = ch.hi;
		it->noise_pct = noise_for(c->o, b, m);
		snprintf(it->why, sizeof it->why, "%s", ch.why);
	}
out:
	free(hb);
	free(hc);
}

/* An exact counter per execution: any change counts. */
static void exact(struct ctx *c, const char *sc, const char *row, enum compare_metric m,
		  uint64_t vb, uint64_t nb, uint64_t vc, uint64_t nc)
{
	if (!nb || !nc)
		return;
	double b = (double)vb / (double)nb, n = (double)vc / (double)nc;
	bool fewer_is_worse = m == COMPARE_PAGES_RETAINED;
	/* equal up to the rounding of the division */
	bool same = fabs(n - b) <= 1e-12 * fmax(fabs(b), fabs(n));
	enum compare_verdict v = same			    ? CMP_UNCHANGED
				 : (n > b) != fewer_is_worse ? CMP_REGRESSED
							     : CMP_IMPROVED;
	struct compare_item *it = add(c, sc, row, m, v);
	if (!it)
		return;
	it->base = b;
	it->cur = n;
	it->change = b > 0 ? n / b - 1 : 0;
}

/* counters4: both reports have schema 4's counters; timed_errors_b/_n:
 * that side's report is of a schema before 5, where a failed call was also
 * in the histogram (so its executions are the count alone). */
static void compare_row(struct ctx *c, const char *sc, const struct step_stats *b,
			const struct step_stats *n, bool counters4, bool timed_errors_b,
			bool timed_errors_n)
{
	uint64_t cb = hist_count(&b->hist), cc = hist_count(&n->hist);
	if ((cb || b->errors) && !cc && !n->errors) {
		structure(c, sc, b->label, CMP_REGRESSED, "no executions in NEW (%" PRIu64 " in BASE)",
			  cb);
		return;
	}
	/* a run of NEW without the row, every run of BASE with it (a report of
	 * a pooled side that lacks the row, a run of --repeat that never got
	 * there): missing, not "not enough data" */
	if (cb && n->n_runs > 1) {
		bool every = true;
		for (size_t i = 0; b->n_runs > 1 && i < b->n_runs; i++)
			every = every && hist_count(&b->runs[i]);
		for (size_t i = 0; every && n->n_runs > 1 && i < n->n_runs; i++)
			if (!hist_count(&n->runs[i])) {
				structure(c, sc, b->label, CMP_REGRESSED,
					  "no executions in run %zu of %zu of NEW (in every run of BASE)",
					  i + 1, n->n_runs);
				break;
			}
	}
	/* errors per execution, failed ones included */
	/* executions, failed ones included */
	uint64_t eb = timed_errors_b ? cb : cb + b->errors, en = timed_errors_n ? cc : cc + n->errors;
	exact(c, sc, b->label, COMPARE_ERRORS, b->errors, eb, n->errors, en);
	if (cb && cc)
		latency(c, sc, b, n);
	/* Counters per execution. Before schema 5 a failed call was counted
	 * with the others (its pages too): across that line both sides divide
	 * by every execution, failed ones included. */
	if (timed_errors_b != timed_errors_n) {
		cb = eb;
		cc = en;
	}
	if (b->kind == SCENARIO_STEP_CALL) {
		exact(c, sc, b->label, COMPARE_SCRATCH_PAGES, b->scratch_pages, cb, n->scratch_pages,
		      cc);
		if (counters4)
			exact(c, sc, b->label, COMPARE_COW_FAULTS, b->cow_faults, cb, n->cow_faults, cc);
	}
	if (b->kind == SCENARIO_STEP_RESTORE) {
		exact(c, sc, b->label, COMPARE_FULL_RESTORES, b->full_restores, cb, n->full_restores,
		      cc);
		exact(c, sc, b->label, COMPARE_PAGES_RESET, b->pages_reset, cb, n->pages_reset, cc);
		if (counters4) {
			exact(c, sc, b->label, COMPARE_BYTES_COPIED, b->bytes_copied, cb,
			      n->bytes_copied, cc);
			exact(c, sc, b->label, COMPARE_PAGES_RETAINED, b->pages_retained, cb,
			      n->pages_retained, cc);
		}
	}
	exact(c, sc, b->label, COMPARE_PAGES_COPIED, b->pages_copied, b->snapshots, n->pages_copied,
	      n->snapshots);
}

/* Every failed expectation and a failed run of NEW is a regression,
 * whether or not BASE has the scenario. */
static void failures(struct ctx *c, const struct scenario_result *n)
{
	if (n->failed)
		structure(c, n->name, "-", CMP_REGRESSED, "the run failed: %.120s", n->error);
	for (size_t i = 0; i < n->n_expects; i++)
		if (!n->expects[i].passed)
			structure(c, n->name, n->expects[i].text, CMP_REGRESSED,
				  "expectation failed%s%.120s", n->expects[i].why[0] ? ": " : "",
				  n->expects[i].why);
}

/* The open loop's end-to-end iteration (from when each was due), judged as
 * a latency row: a change that makes a scenario fall behind its rate shows
 * here, in the queueing the step rows no longer carry. */
static void compare_open_loop(struct ctx *c, const struct scenario_result *b,
			      const struct scenario_result *n)
{
	if (!b->open_loop || !n->open_loop)
		return;
	struct step_stats *rb = calloc(1, sizeof *rb), *rn = calloc(1, sizeof *rn);
	if (!rb || !rn) {
		c->oom = true;
	} else {
		snprintf(rb->label, sizeof rb->label, "(open loop) iteration");
		snprintf(rb->step, sizeof rb->step, "(open loop)");
		*rn = *rb;
		rb->hist = b->open_loop->iteration;
		rn->hist = n->open_loop->iteration;
		if (hist_count(&rb->hist) && hist_count(&rn->hist))
			latency(c, b->name, rb, rn);
	}
	free(rb);
	free(rn);
}

static void compare_scenario(struct ctx *c, const struct scenario_result *b,
			     const struct scenario_result *n, bool counters4, bool timed_errors_b,
			     bool timed_errors_n)
{
	failures(c, n);
	compare_open_loop(c, b, n);
	for (size_t i = 0; i < b->n_steps; i++) {
		const struct step_stats *ns = scenario_result_step(n, b->steps[i].label);
		if (ns)
			compare_row(c, b->name, &b->steps[i], ns, counters4, timed_errors_b,
				    timed_errors_n);
		else
			structure(c, b->name, b->steps[i].label, CMP_REGRESSED, "row missing from NEW");
	}
	for (size_t i = 0; i < n->n_steps; i++)
		if (!scenario_result_step(b, n->steps[i].label))
			structure(c, n->name, n->steps[i].label, CMP_NEW, "row only in NEW");
}

/* Every latency item with enough data, judged together: their intervals
 * hold all at once with the confidence asked (cmp_family_interval), so
 * that comparing 40 rows of two identical runs does not find the one in
 * 20 that a 95 % interval each would. */
static void judge_latency(struct compare_result *r)
{
	size_t m = 0;
	for (size_t i = 0; i < r->n_items; i++)
		m += r->items[i].latency && r->items[i].verdict == CMP_WITHIN_NOISE;
	r->family = m;
	for (size_t i = 0; i < r->n_items; i++) {
		struct compare_item *it = &r->items[i];
		if (!it->latency || it->verdict != CMP_WITHIN_NOISE)
			continue;
		struct cmp_change ch = { .change = it->change, .lo = it->lo, .hi = it->hi };
		cmp_family_interval(&ch, r->confidence, m, &it->lo, &it->hi);
		double noise = it->noise_pct / 100;
		enum compare_verdict v = it->lo > noise	  ? CMP_REGRESSED
					 : it->hi < -noise ? CMP_IMPROVED
							   : CMP_WITHIN_NOISE;
		r->count[it->verdict]--;
		r->count[v]++;
		it->verdict = v;
	}
}

const struct scenario_result *compare_find_scenario(const struct run_report *r, const char *name)
{
	for (size_t i = 0; i < r->n_scenarios; i++)
		if (strcmp(r->scenarios[i].name, name) == 0)
			return &r->scenarios[i];
	return NULL;
}

static unsigned most_runs(const struct run_report *r)
{
	unsigned m = 1;
	for (size_t i = 0; i < r->n_scenarios; i++)
		if (r->scenarios[i].runs > m)
			m = r->scenarios[i].runs;
	return m;
}

int report_compare(const struct run_report *base, const struct run_report *cur,
		   const struct compare_options *o, struct compare_result *out, struct sb_err *err)
{
	static const struct compare_options defaults = { 0 };
	if (!o)
		o = &defaults;
	memset(out, 0, sizeof *out);
	out->confidence = o->confidence > 0 ? o->confidence : COMPARE_CONFIDENCE_DEFAULT;
	out->base_runs = most_runs(base);
	out->cur_runs = most_runs(cur);
	if (compare_check(base, cur, o, out, err)) {
		compare_result_free(out);
		return -1;
	}
	struct ctx c = { .o = o, .r = out };
	bool counters4 = base->schema_version >= 4 && cur->schema_version >= 4;
	for (size_t i = 0; i < base->n_scenarios; i++) {
		const struct scenario_result *b = &base->scenarios[i];
		const struct scenario_result *n = compare_find_scenario(cur, b->name);
		if (n)
			compare_scenario(&c, b, n, counters4, base->schema_version < 5,
					 cur->schema_version < 5);
		else
			structure(&c, b->name, "-", CMP_REGRESSED, "scenario missing from NEW");
	}
	for (size_t i = 0; i < cur->n_scenarios; i++) {
		const struct scenario_result *n = &cur->scenarios[i];
		if (compare_find_scenario(base, n->name))
			continue;
		structure(&c, n->name, "-", CMP_NEW, "scenario only in NEW");
		failures(&c, n);
	}
	if (c.oom) {
		compare_result_free(out);
		return sb_errf(err, SB_E_NOMEM, "compare: out of memory");
	}
	judge_latency(out);
	/* a gate that judged no latency at all must not pass quietly */
	if (!out->family && out->count[CMP_NOT_ENOUGH_DATA]) {
		char **n = realloc(out->warnings, (out->n_warnings + 1) * sizeof *n);
		if (!n || asprintf(&n[out->n_warnings],
				   "no latency row had enough samples to be judged (%zu had too few): "
				   "only counters and structure were compared; run more iterations",
				   out->count[CMP_NOT_ENOUGH_DATA]) < 0) {
			if (n)
				out->warnings = n;
			compare_result_free(out);
			return sb_errf(err, SB_E_NOMEM, "compare: out of memory");
		}
		out->warnings = n;
		out->n_warnings++;
	}
	return 0;
}

void compare_result_free(struct compare_result *r)
{
	free(r->items);
	for (size_t i = 0; i < r->n_warnings; i++)
		free(r->warnings[i]);
	free(r->warnings);
	memset(r, 0, sizeof *r);
}
