/* runner_judge.c — merging per-sandbox statistics, dropping the rows no
 * execution went to, and judging a scenario's expectations (its
 * regression oracle). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner_internal.h"

void runner_account(struct step_stats *st, enum scenario_step_kind kind, const struct step_record *rec)
{
	if (rec->call_error) { /* counted, not timed: its latency is not a call's */
		runner_note_error(st, rec->error, rec->line);
		return;
	}
	hist_record(&st->hist, rec->ns);
	if (kind == SCENARIO_STEP_CALL) {
		st->scratch_pages += rec->scratch_pages;
		st->exits += rec->exits;
		st->cow_faults += rec->cow_faults;
	}
	if (kind == SCENARIO_STEP_RESTORE) {
		st->full_restores += rec->full_restore;
		st->pages_reset += rec->pages_reset;
		st->bytes_copied += rec->bytes_copied;
		st->pages_retained += rec->pages_retained;
		st->retain_dropped += rec->retain_dropped;
	}
	if (kind == SCENARIO_STEP_SNAPSHOT && rec->snap) {
		const struct snapshot *snap = rec->snap;
		st->snapshots++;
		st->pages_mapped += snap->stats.pages_mapped;
		st->pages_copied += snap->stats.pages_copied;
		st->pages_aliased += snap->stats.pages_aliased;
		st->pt_pages += snap->stats.pt_pages;
		st->zero_pages += snap->stats.zero_pages;
		st->snapshot_bytes += layout_image_bytes(&snap->layout);
		st->snapshots_incremental += snap->stats.incremental;
		st->pages_shared += snap->stats.pages_shared;
		st->pt_pages_new += snap->stats.incremental ? snap->stats.pt_pages_new
							    : snap->stats.pt_pages;
		st->pages_deduped += snap->stats.pages_deduped;
		st->bytes_new += snap->stats.bytes_new;
		if (!st->full_reason[0] && snap->full_reason[0])
			snprintf(st->full_reason, sizeof st->full_reason, "%s", snap->full_reason);
	}
}

void runner_merge_stats(struct scenario_result *r, const struct step_stats *s, size_t n)
{
	for (size_t i = 0; i < n && i < r->n_steps; i++)
		step_stats_add(&r->steps[i], &s[i]);
}

static bool row_used(const struct step_stats *st)
{
	return hist_count(&st->hist) || st->errors;
}

void runner_drop_unused_rows(struct scenario_result *r)
{
	bool *drop = calloc(r->n_steps ? r->n_steps : 1, sizeof *drop);
	if (!drop)
		return; /* keeping them is harmless: rows of count 0 */
	for (size_t i = 0; i < r->n_steps; i++) {
		const struct step_stats *st = &r->steps[i];
		/* a host function the guest never called twice in a call */
		if (st->kind == SCENARIO_STEP_HOST_CALL && !row_used(st)) {
			drop[i] = true;
			continue;
		}
		if (st->variant == SCENARIO_VARIANT_NONE || row_used(st))
			continue;
		/* dropped if another row of the step remains: a used one, or
		 * (none used) the first of them */
		for (size_t k = 0; k < r->n_steps && !drop[i]; k++)
			if (k != i && strcmp(r->steps[k].step, st->step) == 0)
				drop[i] = row_used(&r->steps[k]) || k < i;
	}
	size_t keep = 0;
	for (size_t i = 0; i < r->n_steps; i++)
		if (!drop[i])
			r->steps[keep++] = r->steps[i];
	r->n_steps = keep;
	free(drop);
}

/* Every row the expectation names, merged: a label (every row, or one
 * variant), or all steps of a kind (every row, or one variant). */
static bool gather(const struct scenario_expect *e, const struct scenario_result *r,
		   struct step_stats *out)
{
	memset(out, 0, sizeof *out);
	hist_init(&out->hist);
	bool any = false;
	for (size_t i = 0; i < r->n_steps; i++) {
		const struct step_stats *s = &r->steps[i];
		if (!runner_expect_names_row(e, s))
			continue;
		step_stats_add(out, s);
		any = true;
	}
	return any;
}

static double metric_value(enum scenario_metric m, const struct step_stats *s)
{
	const struct hist *h = &s->hist;
	uint64_t count = hist_count(h);
	switch (m) {
	case SCENARIO_METRIC_COUNT: return (double)count;
	case SCENARIO_METRIC_MIN: return (double)hist_min(h);
	case SCENARIO_METRIC_MAX: return (double)hist_max(h);
	case SCENARIO_METRIC_MEAN: return hist_mean(h);
	case SCENARIO_METRIC_P50: return (double)hist_value_at_percentile(h, 50);
	case SCENARIO_METRIC_P90: return (double)hist_value_at_percentile(h, 90);
	case SCENARIO_METRIC_P99: return (double)hist_value_at_percentile(h, 99);
	case SCENARIO_METRIC_P99_9: return (double)hist_value_at_percentile(h, 99.9);
	case SCENARIO_METRIC_P99_99: return (double)hist_value_at_percentile(h, 99.99);
	/* page counts: per execution */
	case SCENARIO_METRIC_SCRATCH_PAGES: return count ? (double)s->scratch_pages / (double)count : 0;
	case SCENARIO_METRIC_EXITS: return count ? (double)s->exits / (double)count : 0;
	/* restores: full ones counted (like count), pages reset per restore */
	case SCENARIO_METRIC_FULL_RESTORES: return (double)s->full_restores;
	case SCENARIO_METRIC_PAGES_RESET: return count ? (double)s->pages_reset / (double)count : 0;
	case SCENARIO_METRIC_COW_FAULTS: return count ? (double)s->cow_faults / (double)count : 0;
	case SCENARIO_METRIC_BYTES_COPIED: return count ? (double)s->bytes_copied / (double)count : 0;
	case SCENARIO_METRIC_PAGES_RETAINED:
		return count ? (double)s->pages_retained / (double)count : 0;
	case SCENARIO_METRIC_ERRORS: return (double)s->errors;
	default: return 0;
	}
}

void runner_judge(const struct scenario *sc, struct scenario_result *r)
{
	free(r->expects); /* judged again after every run of a repeat */
	r->n_expects = 0;
	r->expects = calloc(sc->n_expects ? sc->n_expects : 1, sizeof *r->expects);
	struct step_stats *merged = malloc(sizeof *merged); /* a histogram is 35 KB */
	if (!r->expects || !merged) {
		free(merged);
		return;
	}
	for (size_t i = 0; i < sc->n_expects; i++) {
		const struct scenario_expect *e = &sc->expects[i];
		struct expect_result *x = &r->expects[r->n_expects++];
		snprintf(x->text, sizeof x->text, "%s", e->text);
		if (r->failed || r->stopped) {
			snprintf(x->why, sizeof x->why, "%s",
				 r->failed ? "the scenario did not finish"
					   : "not judged: the run was stopped before its end");
			continue;
		}
		/* errors count the executions the histogram leaves out */
		if (!gather(e, r, merged) ||
		    (hist_count(&merged->hist) == 0 && e->metric != SCENARIO_METRIC_ERRORS)) {
			char row[RESULTS_LABEL_MAX];
			scenario_row_name(row, sizeof row, e->step, e->variant);
			snprintf(x->why, sizeof x->why, "no execution of '%s' was recorded", row);
			continue;
		}
		x->got = metric_value(e->metric, merged);
		x->passed = scenario_cmp_eval(e->op, x->got, (double)e->value);
		if (!x->passed) {
			char got[48], want[48];
			scenario_metric_fmt(got, sizeof got, e->metric, x->got);
			scenario_metric_fmt(want, sizeof want, e->metric, (double)e->value);
			char row[RESULTS_LABEL_MAX];
			scenario_row_name(row, sizeof row, e->step, e->variant);
			snprintf(x->why, sizeof x->why, "%s.%s is %s, expected %s %s", row,
				 scenario_metric_name(e->metric), got, scenario_cmp_name(e->op), want);
		}
	}
	free(merged);
}
