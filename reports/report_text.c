/* report_text.c — the text report: per scenario a header, the step summary
 * in microseconds, the post-restore penalties, page statistics,
 * calibration and ratios, expectations, and optionally the HdrHistogram
 * percentile distribution of every step; then the restore strategies side
 * by side (the scenarios that declare dirtied_pages) and the scaling table
 * (those that declare scaling, report_scaling.c). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "report_scaling.h"
#include "report_trace.h"
#include "report_units.h"
#include "report_sections.h"
#include "report_util.h"
#include "reports.h"

static void header(FILE *f, const struct scenario_result *s)
{
	char heap[32], scratch[32], rss[32], wall[32];
	report_fmt_bytes(heap, sizeof heap, s->heap_bytes);
	report_fmt_bytes(scratch, sizeof scratch, s->scratch_bytes);
	report_fmt_bytes(rss, sizeof rss, s->rss_bytes);
	snprintf(wall, sizeof wall, "%.3f", (double)s->wall_ns / 1e9);
	fprintf(f, "== scenario %s%s%s\n", s->name, s->description[0] ? ": " : "", s->description);
	if (s->file[0])
		fprintf(f, "   file:       %s%s%s%s\n", s->file, s->file_digest[0] ? " (XXH3-128 " : "",
			s->file_digest, s->file_digest[0] ? ")" : "");
	fprintf(f,
		"   run:        %" PRIu64 " iterations recorded (+%" PRIu64 " warm-up), %" PRIu64
		" sandbox%s\n"
		"   layout:     heap %s, scratch %s\n"
		"   wall time:  %s s; resident set after: %s\n",
		s->iterations, s->warmup, s->sandboxes, s->sandboxes == 1 ? "" : "es", heap, scratch,
		wall, rss);
	if (s->runs > 1)
		fprintf(f, "   runs:       %u (--repeat; every figure below pools them)\n", s->runs);
	fprintf(f, "   restore:    strategy %s", s->restore_strategy);
	if (s->dirtied_pages != SCENARIO_NONE)
		fprintf(f, "; %" PRIu64 " page%s re-dirtied per call (declared)", s->dirtied_pages,
			s->dirtied_pages == 1 ? "" : "s");
	fputc('\n', f);
	if (s->scaling[0])
		fprintf(f, "   scaling:    %s, %" PRIu64 " sandbox%s (declared: see the scaling table)\n",
			s->scaling, s->sandboxes, s->sandboxes == 1 ? "" : "es");
	if (s->pool.size) {
		char pool[512];
		pool_result_summary(&s->pool, pool, sizeof pool);
		fprintf(f, "   pool:       %s\n", pool);
	}
	if (s->failed)
		fprintf(f, "   FAILED:     %s\n", s->error[0] ? s->error : "(no reason given)");
}

/* Width of the step column: the longest row name, at least 24. */
static int step_width(const struct scenario_result *s)
{
	size_t w = 24;
	for (size_t i = 0; i < s->n_steps; i++)
		if (strlen(s->steps[i].label) > w)
			w = strlen(s->steps[i].label);
	return (int)w;
}

static void summary(FILE *f, const struct scenario_result *s)
{
	int sw = step_width(s);
	bool any_few = false;
	fprintf(f, "\n   latency per step in microseconds (us)\n");
	/* a percentile's column keeps its last character for the few-samples mark */
	fprintf(f, "   %-*s %8s %10s %9s  %9s  %9s  %9s  %10s %10s %10s %6s\n", sw, "step", "count",
		"min", "p50", "p90", "p99", "p99.9", "max", "mean", "stddev", "errors");
	for (size_t i = 0; i < s->n_steps; i++) {
		const struct step_stats *st = &s->steps[i];
		struct hist_summary h;
		hist_summarize(&st->hist, &h);
		const double v[] = { (double)h.min_ns,  (double)h.p50_ns,   (double)h.p90_ns,
				     (double)h.p99_ns,  (double)h.p99_9_ns, (double)h.max_ns,
				     h.mean_ns,         h.stddev_ns };
		/* the percentile of each column (0: not a percentile) */
		static const double pct[] = { 0, 50, 90, 99, 99.9, 0, 0, 0 };
		fprintf(f, "   %-*s %8" PRIu64, sw, st->label, h.count);
		for (size_t k = 0; k < sizeof v / sizeof v[0]; k++) {
			char us[32] = "-"; /* no sample (every call failed): no latency, not 0 */
			if (h.count)
				report_fmt_us_sig3(us, sizeof us, v[k]);
			bool few = pct[k] && h.count && report_pct_few(h.count, pct[k]);
			any_few |= few;
			if (pct[k])
				fprintf(f, " %9s%s", us, few ? REPORT_FEW_MARK : " ");
			else
				fprintf(f, " %10s", us);
		}
		fprintf(f, " %6" PRIu64 "\n", st->errors);
		if (h.overflow)
			fprintf(f, "   %-*s %" PRIu64 " values above the histogram range (clamped)\n",
				sw, "", h.overflow);
	}
	if (s->n_steps == 0)
		fprintf(f, "   (no steps recorded)\n");
	if (any_few) {
		report_wrap(f, "   ", REPORT_FEW_NOTE);
		char rows[512], line[700];
		uint64_t need;
		if (report_few_rows(s, rows, sizeof rows, &need)) {
			snprintf(line, sizeof line,
				 "warning: too few samples for the percentiles shown (row: samples: "
				 "percentiles marked ~): %s; a row needs %llu samples for 10 beyond "
				 "each of them",
				 rows, (unsigned long long)need);
			report_wrap(f, "   ", line);
		}
	}
	report_text_failures(f, s);
	if (report_has_kind(s, SCENARIO_STEP_RESTORE))
		report_wrap(f, "   ", REPORT_RESTORE_NOTE);
}

static void penalties(FILE *f, const struct scenario_result *s)
{
	int sw = step_width(s);
	bool any = false, any_few = false;
	for (size_t i = 0; i < s->n_steps; i++) {
		struct post_restore_penalty p;
		if (!scenario_result_penalty(s, &s->steps[i], &p))
			continue;
		if (!any) {
			fputc('\n', f);
			report_wrap(f, "   ", REPORT_PENALTY_TITLE);
			fprintf(f, "   %-*s %20s %12s %12s %21s\n", sw, "step",
				"first after restore", "steady", "penalty", "penalty/sandbox_exit");
			any = true;
		}
		char first[32], steady[32], pen[32];
		report_fmt_us_sig3(first, sizeof first, (double)p.first_p50_ns);
		if (report_pct_few(hist_count(&p.first->hist), 50)) {
			strcat(first, REPORT_FEW_MARK);
			any_few = true;
		}
		if (!p.steady) {
			fprintf(f, "   %-*s %20s %12s %12s %21s   no steady call of this label was recorded: no penalty\n",
				sw, p.first->step, first, "-", "-", "-");
			continue;
		}
		report_fmt_us_sig3(steady, sizeof steady, (double)p.steady_p50_ns);
		report_fmt_us_sig3(pen, sizeof pen, (double)p.penalty_ns);
		if (report_pct_few(hist_count(&p.steady->hist), 50)) {
			strcat(steady, REPORT_FEW_MARK);
			any_few = true;
		}
		double x;
		fprintf(f, "   %-*s %20s %12s %12s", sw, p.first->step, first, steady, pen);
		if (report_ratio_signed(p.penalty_ns, s->cal.exit_sandbox_ns, &x))
			fprintf(f, " %21.3f\n", x);
		else
			fprintf(f, " %21s\n", "-");
	}
	if (any_few)
		report_wrap(f, "   ", REPORT_FEW_NOTE);
}

static bool has_pages(const struct step_stats *st)
{
	return st->scratch_pages || st->exits || st->cow_faults || st->snapshots || st->pages_mapped ||
	       st->pages_copied || st->pages_aliased || st->pt_pages || st->zero_pages ||
	       st->snapshot_bytes;
}

/* Per restore row: how many restores were full, how many light, the
 * pages they reset, the bytes they copied and the pages they retained. */
static void restores(FILE *f, const struct scenario_result *s, int sw)
{
	report_wrap(f, "   ", REPORT_RESTORE_KINDS_NOTE);
	report_wrap(f, "   ", REPORT_RESTORE_COPIES_NOTE);
	fprintf(f, "   %-*s %9s %9s %9s %12s %14s %14s %14s %9s %16s\n", sw, "step", "restores",
		"full", "light", "pages reset", "reset/restore", "bytes copied", "copied/restore",
		"retained", "retained/restore");
	for (size_t i = 0; i < s->n_steps; i++) {
		const struct step_stats *st = &s->steps[i];
		if (!report_restore_recorded(st))
			continue;
		double n = (double)hist_count(&st->hist);
		fprintf(f,
			"   %-*s %9" PRIu64 " %9" PRIu64 " %9" PRIu64 " %12" PRIu64 " %14.3f %14" PRIu64
			" %14.1f %9" PRIu64 " %16.3f\n",
			sw, st->label, hist_count(&st->hist), st->full_restores,
			hist_count(&st->hist) - st->full_restores, st->pages_reset,
			(double)st->pages_reset / n, st->bytes_copied, (double)st->bytes_copied / n,
			st->pages_retained, (double)st->pages_retained / n);
	}
	for (size_t i = 0; i < s->n_steps; i++)
		if (s->steps[i].retain_dropped)
			fprintf(f, "   %s: %" PRIu64 " copies past retain's cap unmapped, as under "
				   "rewrite (they fault again)\n",
				s->steps[i].label, s->steps[i].retain_dropped);
}

/* The page table of the rows with page counts, then the restore rows. */
static void pages(FILE *f, const struct scenario_result *s)
{
	bool any = false, any_restore = false;
	for (size_t i = 0; i < s->n_steps; i++) {
		any |= has_pages(&s->steps[i]);
		any_restore |= report_restore_recorded(&s->steps[i]);
	}
	if (!any && !any_restore)
		return;
	fprintf(f, "\n   page statistics (pages of 4 KiB, sums over the executions)\n");
	int sw = step_width(s);
	if (any) {
		fprintf(f, "   %-*s %9s %9s %10s %9s %9s %9s %9s %9s %9s %14s\n", sw, "step",
			"scratch", "exits", "cow_faults", "snapshots", "mapped", "copied", "aliased",
			"pt", "zero", "snapshot_bytes");
		for (size_t i = 0; i < s->n_steps; i++) {
			const struct step_stats *st = &s->steps[i];
			if (!has_pages(st))
				continue;
			fprintf(f,
				"   %-*s %9" PRIu64 " %9" PRIu64 " %10" PRIu64 " %9" PRIu64 " %9" PRIu64
				" %9" PRIu64 " %9" PRIu64 " %9" PRIu64 " %9" PRIu64 " %14" PRIu64 "\n",
				sw, st->label, st->scratch_pages, st->exits, st->cow_faults,
				st->snapshots, st->pages_mapped, st->pages_copied, st->pages_aliased,
				st->pt_pages, st->zero_pages, st->snapshot_bytes);
		}
		double ppc;
		if (report_pages_per_call(s, &ppc))
			fprintf(f, "   scratch pages per call: %.3f\n", ppc);
		report_snapshot_sharing_text(f, s, sw);
	}
	if (any_restore) {
		if (any)
			fputc('\n', f);
		restores(f, s, sw);
	}
}

static void ratio_cell(FILE *f, uint64_t p50, uint64_t cal)
{
	double x;
	if (report_ratio(p50, cal, &x))
		fprintf(f, " %18.3f", x);
	else
		fprintf(f, " %18s", "-");
}

static void calibration(FILE *f, const struct scenario_result *s)
{
	char a[32], b[32];
	report_fmt_us_sig3(a, sizeof a, (double)s->cal.exit_real_mode_ns);
	report_fmt_us_sig3(b, sizeof b, (double)s->cal.exit_sandbox_ns);
	fprintf(f,
		"\n   calibration: bare VM exit %s us (real mode), %s us (sandbox); memset %.3f "
		"GiB/s\n",
		a, b, s->cal.memset_gib_per_s);
	report_text_calibration_spread(f, s);
	if (s->n_steps == 0)
		return;
	int sw = step_width(s);
	fprintf(f, "   %-*s %18s %18s\n", sw, "step", "p50/sandbox_exit", "p50/real_mode_exit");
	for (size_t i = 0; i < s->n_steps; i++) {
		uint64_t p50 = hist_value_at_percentile(&s->steps[i].hist, 50);
		fprintf(f, "   %-*s", sw, s->steps[i].label);
		if (!s->steps[i].hist.count) { /* no sample: no ratio, not 0.000 */
			fprintf(f, " %18s %18s\n", "-", "-");
			continue;
		}
		ratio_cell(f, p50, s->cal.exit_sandbox_ns);
		ratio_cell(f, p50, s->cal.exit_real_mode_ns);
		fputc('\n', f);
	}
	if (!s->cal.exit_sandbox_ns || !s->cal.exit_real_mode_ns)
		fprintf(f, "   (-: that calibration was not measured)\n");
}

static void expectations(FILE *f, const struct scenario_result *s)
{
	if (s->n_expects == 0)
		return;
	fprintf(f, "\n   expectations\n");
	for (size_t i = 0; i < s->n_expects; i++) {
		const struct expect_result *e = &s->expects[i];
		char got[48];
		report_fmt_expect_got(got, sizeof got, e);
		fprintf(f, "   %s %s (got %s)", e->passed ? "PASS" : "FAIL", e->text, got);
		if (!e->passed && e->why[0])
			fprintf(f, ": %s", e->why);
		fputc('\n', f);
	}
}

static int distribution(FILE *f, const struct step_stats *st)
{
	fprintf(f, "\n   percentile distribution of '%s'\n", st->label);
	size_t n = hist_percentile_rows(&st->hist, 0, NULL, 0);
	if (n == 0) {
		fprintf(f, "   (no values)\n");
		return 0;
	}
	struct hist_row *rows = calloc(n, sizeof *rows);
	if (!rows)
		return -1;
	hist_percentile_rows(&st->hist, 0, rows, n);
	int rc = hist_print_distribution(f, rows, n, NULL);
	free(rows);
	return rc;
}

/* The cells of a restore-strategy sweep side by side (report_strategies.c),
 * after the scenarios. */
static int sweep(FILE *f, const struct run_report *r)
{
	size_t n;
	struct sweep_cell *c = report_sweep_cells(r, &n);
	if (!c)
		return -1;
	int nw = 8;
	for (size_t i = 0; i < n; i++)
		if ((int)strlen(c[i].s->name) > nw)
			nw = (int)strlen(c[i].s->name);
	if (n) {
		fprintf(f, "\n== restore strategies side by side (the scenarios that declare "
			   "dirtied_pages)\n");
		report_wrap(f, "   ", "restore-to-ready overhead = p50 of the restores of the same snapshot + p50 "
			   "of the first call after a restore - p50 of the steady call of the same "
			   "label, in microseconds (us); " REPORT_SWEEP_EXIT_NOTE);
		fprintf(f, "   %8s %6s %-9s %-*s %10s %11s %11s %10s %14s\n", "heap", "pages",
			"strategy", nw, "scenario", "restore", "first call", "steady call", "overhead",
			"/ sandbox exit");
	}
	for (size_t i = 0; i < n; i++) {
		const struct sweep_cell *x = &c[i];
		char heap[32], a[32], b[32], d[32], e[32];
		report_fmt_bytes(heap, sizeof heap, x->s->heap_bytes);
		fprintf(f, "   %8s %6" PRIu64 " %-9s %-*s", heap, x->s->dirtied_pages,
			x->s->restore_strategy, nw, x->s->name);
		if (!x->ok) {
			fprintf(f, "   %s\n", x->why);
			continue;
		}
		report_fmt_us_sig3(a, sizeof a, (double)x->o.restore_p50_ns);
		report_fmt_us_sig3(b, sizeof b, (double)x->o.penalty.first_p50_ns);
		report_fmt_us_sig3(d, sizeof d, (double)x->o.penalty.steady_p50_ns);
		report_fmt_us_sig3(e, sizeof e, (double)x->o.overhead_ns);
		fprintf(f, " %10s %11s %11s %10s", a, b, d, e);
		double ratio;
		if (report_ratio_signed(x->o.overhead_ns, x->exit_ns, &ratio))
			fprintf(f, " %14.3f\n", ratio);
		else
			fprintf(f, " %14s\n", "-");
	}
	if (n)
		report_wrap(f, "   ", REPORT_STRATEGIES_WHY_NOTE);
	free(c);
	return 0;
}

int report_write_text(const struct run_report *r, FILE *f, bool distrib)
{
	char mem[32];
	report_fmt_bytes(mem, sizeof mem, r->machine.mem_bytes);
	fprintf(f,
		"snapbench %s report (schema %d), started %s\n"
		"machine: %s; %u cpus, %s; kernel %s; hypervisor %s\n",
		r->tool_version, r->schema_version, r->started,
		r->machine.cpu[0] ? r->machine.cpu : "unknown cpu", r->machine.cpus, mem,
		r->machine.kernel[0] ? r->machine.kernel : "unknown",
		r->machine.hypervisor[0] ? r->machine.hypervisor : "none");
	if (r->machine.hypervisor_version[0])
		fprintf(f, "hypervisor module version: %s\n", r->machine.hypervisor_version);
	report_text_trace(f, r);
	int rc = 0;
	for (size_t i = 0; i < r->n_scenarios && rc == 0; i++) {
		const struct scenario_result *s = &r->scenarios[i];
		fputc('\n', f);
		header(f, s);
		summary(f, s);
		report_text_open_loop(f, s);
		penalties(f, s);
		pages(f, s);
		calibration(f, s);
		expectations(f, s);
		for (size_t k = 0; distrib && k < s->n_steps && rc == 0; k++)
			rc = distribution(f, &s->steps[k]);
	}
	if (rc == 0)
		rc = sweep(f, r);
	if (rc == 0)
		rc = report_text_scaling(f, r);
	if (fflush(f) || ferror(f))
		rc = -1;
	return rc;
}
