/* report_compare.c — compare a run with a baseline, metric by metric
 * (thresholds and verdicts in reports.h). */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report_util.h"
#include "reports.h"

static const struct {
	const char *name, *unit;
	double def; /* percent; < 0 = off */
	bool fewer_is_worse;
} metrics[COMPARE__COUNT] = {
	[COMPARE_P50] = { "p50", "us", 10 },
	[COMPARE_P90] = { "p90", "us", 15 },
	[COMPARE_P99] = { "p99", "us", 25 },
	[COMPARE_P99_9] = { "p99.9", "us", 50 },
	[COMPARE_MEAN] = { "mean", "us", 10 },
	[COMPARE_MAX] = { "max", "us", -1 },
	[COMPARE_SCRATCH_PAGES] = { "scratch_pages", "per call", 0 },
	[COMPARE_PAGES_COPIED] = { "pages_copied", "per snapshot", 0 },
	[COMPARE_FULL_RESTORES] = { "full_restores", "per restore", 0 },
	[COMPARE_PAGES_RESET] = { "pages_reset", "per restore", 0 },
	[COMPARE_COW_FAULTS] = { "cow_faults", "per call", 0 },
	[COMPARE_BYTES_COPIED] = { "bytes_copied", "per restore", 0 },
	[COMPARE_PAGES_RETAINED] = { "pages_retained", "per restore", 0, true },
};

const char *compare_metric_name(enum compare_metric m)
{
	return (unsigned)m < COMPARE__COUNT ? metrics[m].name : "?";
}

void compare_thresholds_default(struct compare_thresholds *t)
{
	for (size_t i = 0; i < COMPARE__COUNT; i++)
		t->pct[i] = metrics[i].def;
}

int compare_threshold_parse(struct compare_thresholds *t, const char *spec, struct sb_err *err)
{
	const char *eq = strchr(spec, '=');
	if (!eq)
		return sb_errf(err, SB_E_INVAL, "threshold '%s': expected METRIC=PERCENT%%", spec);
	size_t nlen = (size_t)(eq - spec);
	const char *val = eq + 1;
	double pct;
	if (strcmp(val, "off") == 0) {
		pct = -1;
	} else {
		char *end;
		pct = strtod(val, &end);
		if (end == val || !(pct >= 0) || !isfinite(pct) ||
		    (*end && strcmp(end, "%") != 0))
			return sb_errf(err, SB_E_INVAL,
				       "threshold '%s': '%s' is not a percentage >= 0 (like 20%%) "
				       "or 'off'",
				       spec, val);
	}
	bool any = false;
	for (size_t i = 0; i < COMPARE__COUNT; i++) {
		bool pages = i >= COMPARE_SCRATCH_PAGES; /* every page counter */
		if ((nlen == 3 && strncmp(spec, "all", 3) == 0) ||
		    (nlen == 5 && strncmp(spec, "pages", 5) == 0 && pages) ||
		    (nlen == strlen(metrics[i].name) && strncmp(spec, metrics[i].name, nlen) == 0)) {
			t->pct[i] = pct;
			any = true;
		}
	}
	if (!any)
		return sb_errf(err, SB_E_INVAL,
			       "threshold '%s': unknown metric '%.*s' (one of p50, p90, p99, p99.9, "
			       "mean, max, scratch_pages, pages_copied, full_restores, pages_reset, "
			       "cow_faults, bytes_copied, pages_retained, pages, all)",
			       spec, (int)nlen, spec);
	return 0;
}

/* ---- the table ---------------------------------------------------------------- */

struct tally {
	FILE *out;
	int regressions, improved, added;
};

static void row(struct tally *t, const char *scenario, const char *step, const char *metric,
		const char *base, const char *cur, const char *change, const char *limit,
		const char *verdict)
{
	if (!t->out)
		return;
	fprintf(t->out, "%-24s %-38s %-26s %12s %12s %9s %6s  %s\n", scenario, step, metric, base,
		cur, change, limit, verdict);
}

static void judge(struct tally *t, const struct compare_thresholds *th, const char *scenario,
		  const char *step, enum compare_metric m, double base, double cur)
{
	double limit = th->pct[m];
	double change = base > 0 ? (cur - base) / base * 100 : cur > 0 ? INFINITY : 0;
	const char *verdict = "OK";
	bool up = limit >= 0 && cur > base * (1 + limit / 100);
	bool down = limit >= 0 && cur < base * (1 - limit / 100);
	if (metrics[m].fewer_is_worse ? down : up) {
		verdict = "REGRESSION";
		t->regressions++;
	} else if (up || down) {
		verdict = "IMPROVED";
		t->improved++;
	}
	char mname[48], b[32], c[32], ch[32], lim[16];
	snprintf(mname, sizeof mname, "%s (%s)", metrics[m].name, metrics[m].unit);
	snprintf(b, sizeof b, "%.3f", base);
	snprintf(c, sizeof c, "%.3f", cur);
	if (isinf(change))
		snprintf(ch, sizeof ch, "+inf%%");
	else
		snprintf(ch, sizeof ch, "%+.1f%%", change);
	if (limit < 0)
		snprintf(lim, sizeof lim, "off");
	else
		snprintf(lim, sizeof lim, "%g%%", limit);
	row(t, scenario, step, mname, b, c, ch, lim, verdict);
}

/* A counter per execution of each row. */
static void judge_per(struct tally *t, const struct compare_thresholds *th, const char *sc,
		      const struct step_stats *b, enum compare_metric m, uint64_t vb, uint64_t nb,
		      uint64_t vc, uint64_t nc)
{
	judge(t, th, sc, b->label, m, (double)vb / (double)nb, (double)vc / (double)nc);
}

/* counters4: both reports have the counters of schema 4. */
static void compare_step(struct tally *t, const struct compare_thresholds *th, const char *sc,
			 const struct step_stats *b, const struct step_stats *c, bool counters4)
{
	struct hist_summary hb, hc;
	hist_summarize(&b->hist, &hb);
	hist_summarize(&c->hist, &hc);
	if (hb.count && !hc.count) {
		row(t, sc, b->label, "count", "", "0", "", "", "MISSING (no executions)");
		t->regressions++;
		return;
	}
	if (hb.count) {
		const double vb[] = { (double)hb.p50_ns, (double)hb.p90_ns, (double)hb.p99_ns,
				      (double)hb.p99_9_ns, hb.mean_ns, (double)hb.max_ns };
		const double vc[] = { (double)hc.p50_ns, (double)hc.p90_ns, (double)hc.p99_ns,
				      (double)hc.p99_9_ns, hc.mean_ns, (double)hc.max_ns };
		for (size_t m = COMPARE_P50; m <= COMPARE_MAX; m++)
			judge(t, th, sc, b->label, (enum compare_metric)m,
			      report_round3(vb[m]) / 1000.0, report_round3(vc[m]) / 1000.0);
	}
	if (b->kind == SCENARIO_STEP_CALL && hb.count && hc.count) {
		judge_per(t, th, sc, b, COMPARE_SCRATCH_PAGES, b->scratch_pages, hb.count,
			  c->scratch_pages, hc.count);
		if (counters4)
			judge_per(t, th, sc, b, COMPARE_COW_FAULTS, b->cow_faults, hb.count,
				  c->cow_faults, hc.count);
	}
	/* a full restore where a light one was is a regression at 0% */
	if (b->kind == SCENARIO_STEP_RESTORE && hb.count && hc.count) {
		judge_per(t, th, sc, b, COMPARE_FULL_RESTORES, b->full_restores, hb.count,
			  c->full_restores, hc.count);
		judge_per(t, th, sc, b, COMPARE_PAGES_RESET, b->pages_reset, hb.count,
			  c->pages_reset, hc.count);
		if (counters4) {
			judge_per(t, th, sc, b, COMPARE_BYTES_COPIED, b->bytes_copied, hb.count,
				  c->bytes_copied, hc.count);
			judge_per(t, th, sc, b, COMPARE_PAGES_RETAINED, b->pages_retained,
				  hb.count, c->pages_retained, hc.count);
		}
	}
	if (b->snapshots && c->snapshots)
		judge(t, th, sc, b->label, COMPARE_PAGES_COPIED,
		      (double)b->pages_copied / (double)b->snapshots,
		      (double)c->pages_copied / (double)c->snapshots);
}

static const struct scenario_result *find_scenario(const struct run_report *r, const char *name)
{
	for (size_t i = 0; i < r->n_scenarios; i++)
		if (strcmp(r->scenarios[i].name, name) == 0)
			return &r->scenarios[i];
	return NULL;
}

/* Every failed expectation of a scenario in the new run is a regression,
 * whether or not the baseline has the scenario. */
static void failed_expects(struct tally *t, const struct scenario_result *c)
{
	for (size_t i = 0; i < c->n_expects; i++) {
		if (c->expects[i].passed)
			continue;
		char got[32];
		snprintf(got, sizeof got, "%.3f", c->expects[i].got);
		row(t, c->name, c->expects[i].text, "expectation", "", got, "", "",
		    "REGRESSION (expectation failed)");
		t->regressions++;
	}
}

static void compare_scenario(struct tally *t, const struct compare_thresholds *th,
			     const struct scenario_result *b, const struct scenario_result *c,
			     bool counters4)
{
	if (c->failed) {
		row(t, c->name, "-", "run", b->failed ? "failed" : "ok", "failed", "", "",
		    "REGRESSION (the run failed)");
		t->regressions++;
	}
	for (size_t i = 0; i < b->n_steps; i++) {
		const struct step_stats *cs = scenario_result_step(c, b->steps[i].label);
		if (!cs) {
			row(t, b->name, b->steps[i].label, "step", "present", "absent", "", "",
			    "MISSING");
			t->regressions++;
			continue;
		}
		compare_step(t, th, b->name, &b->steps[i], cs, counters4);
	}
	for (size_t i = 0; i < c->n_steps; i++) {
		if (scenario_result_step(b, c->steps[i].label))
			continue;
		row(t, c->name, c->steps[i].label, "step", "absent", "present", "", "", "NEW");
		t->added++;
	}
	failed_expects(t, c);
}

int report_compare(const struct run_report *base, const struct run_report *cur,
		   const struct compare_thresholds *th, FILE *out)
{
	struct compare_thresholds def;
	if (!th) {
		compare_thresholds_default(&def);
		th = &def;
	}
	struct tally t = { .out = out };
	row(&t, "scenario", "step", "metric", "base", "new", "change", "limit", "verdict");
	for (size_t i = 0; i < base->n_scenarios; i++) {
		const struct scenario_result *b = &base->scenarios[i];
		const struct scenario_result *c = find_scenario(cur, b->name);
		if (!c) {
			row(&t, b->name, "-", "scenario", "present", "absent", "", "", "MISSING");
			t.regressions++;
			continue;
		}
		compare_scenario(&t, th, b, c, base->schema_version >= 4 && cur->schema_version >= 4);
	}
	for (size_t i = 0; i < cur->n_scenarios; i++) {
		if (find_scenario(base, cur->scenarios[i].name))
			continue;
		row(&t, cur->scenarios[i].name, "-", "scenario", "absent", "present", "", "", "NEW");
		t.added++;
		if (cur->scenarios[i].failed) {
			row(&t, cur->scenarios[i].name, "-", "run", "", "failed", "", "",
			    "REGRESSION (the run failed)");
			t.regressions++;
		}
		failed_expects(&t, &cur->scenarios[i]);
	}
	if (out) {
		fprintf(out, "\n%d regression%s, %d improved, %d new; limits:", t.regressions,
			t.regressions == 1 ? "" : "s", t.improved, t.added);
		for (size_t m = 0; m < COMPARE__COUNT; m++) {
			if (th->pct[m] < 0)
				fprintf(out, " %s off", metrics[m].name);
			else
				fprintf(out, " %s %g%%", metrics[m].name, th->pct[m]);
		}
		fputc('\n', out);
		if (fflush(out) || ferror(out))
			return -1;
	}
	return t.regressions;
}
