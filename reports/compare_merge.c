/* compare_merge.c — one side of a comparison made of several reports
 * (`snapbench compare A1 A2 ... --vs B1 B2 ...`): every report's runs of
 * a row become runs of one row, so that runs of the two sides taken in
 * turns (base, new, base, new, ...) share the machine's moods and the
 * bootstrap sees how much they move (reports.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare_internal.h"

/* The runs of a row as histograms: its per-run ones, or its own. */
static size_t runs_in(const struct step_stats *st)
{
	return st->n_runs > 1 ? st->n_runs : 1;
}

static const struct hist *run_of(const struct step_stats *st, size_t i)
{
	return st->n_runs > 1 ? &st->runs[i] : &st->hist;
}

static unsigned scenario_runs(const struct scenario_result *s)
{
	return s->runs > 1 ? s->runs : 1;
}

/* Row `first` of every report, merged: counters summed, one run per run
 * of each report (empty when a report lacks the row). */
static int merge_row(struct step_stats *d, const struct step_stats *first,
		     const struct scenario_result *const *sc, size_t n, size_t total_runs,
		     struct sb_err *err)
{
	/* the row's identity; counters and histograms from step_stats_add */
	memset(d, 0, sizeof *d);
	memcpy(d->label, first->label, sizeof d->label);
	memcpy(d->step, first->step, sizeof d->step);
	d->kind = first->kind;
	d->variant = first->variant;
	hist_init(&d->hist);
	d->runs = calloc(total_runs, sizeof *d->runs);
	if (!d->runs)
		return sb_errf(err, SB_E_NOMEM, "compare: out of memory merging '%s'", first->label);
	d->n_runs = total_runs;
	size_t at = 0;
	for (size_t k = 0; k < n; k++) {
		const struct step_stats *s = scenario_result_step(sc[k], first->label);
		size_t runs = scenario_runs(sc[k]);
		for (size_t i = 0; i < runs; i++)
			hist_init(&d->runs[at + i]);
		if (s) {
			for (size_t i = 0; i < runs && i < runs_in(s); i++)
				d->runs[at + i] = *run_of(s, i);
			step_stats_add(d, s);
		}
		at += runs;
	}
	return 0;
}

int compare_side_merge(const struct run_report *r, size_t n, const char *const *names,
		       struct run_report *out, struct sb_err *err)
{
	memset(out, 0, sizeof *out);
	if (!n)
		return sb_errf(err, SB_E_INVAL, "compare: a side with no report");
	/* what is not merged is the first report's, borrowed */
	*out = r[0];
	out->scenarios = NULL;
	out->n_scenarios = 0;
	for (size_t k = 1; k < n; k++) {
		if (r[k].schema_version < out->schema_version)
			out->schema_version = r[k].schema_version;
		/* the same scenarios, defined alike, in every report of a side */
		struct compare_options strict = { 0 };
		struct compare_result scratch;
		memset(&scratch, 0, sizeof scratch);
		for (size_t i = 0; i < r[0].n_scenarios; i++)
			if (!compare_find_scenario(&r[k], r[0].scenarios[i].name))
				return sb_errf(err, SB_E_INVAL,
					       "%s has no scenario '%s' (%s has): the reports of one side "
					       "must be runs of the same scenarios",
					       names[k], r[0].scenarios[i].name, names[0]);
		/* ... and no others: a scenario only a later report has (one
		 * that failed, say) would be left out of the comparison */
		for (size_t i = 0; i < r[k].n_scenarios; i++)
			if (!compare_find_scenario(&r[0], r[k].scenarios[i].name))
				return sb_errf(err, SB_E_INVAL,
					       "%s has scenario '%s' (%s has not): the reports of one side "
					       "must be runs of the same scenarios",
					       names[k], r[k].scenarios[i].name, names[0]);
		int rc = compare_check(&r[0], &r[k], &strict, &scratch, err);
		compare_result_free(&scratch);
		if (rc)
			return sb_err_prefix(err, "%s against %s: ", names[k], names[0]);
	}
	out->scenarios = calloc(r[0].n_scenarios ? r[0].n_scenarios : 1, sizeof *out->scenarios);
	const struct scenario_result **sc = calloc(n, sizeof *sc);
	if (!out->scenarios || !sc) {
		free(sc);
		compare_side_free(out);
		return sb_errf(err, SB_E_NOMEM, "compare: out of memory");
	}
	for (size_t i = 0; i < r[0].n_scenarios; i++) {
		const struct scenario_result *first = &r[0].scenarios[i];
		struct scenario_result *d = &out->scenarios[out->n_scenarios++];
		*d = *first; /* name, options, expects... borrowed */
		d->steps = NULL;
		d->n_steps = 0;
		size_t total = 0;
		for (size_t k = 0; k < n; k++) {
			sc[k] = compare_find_scenario(&r[k], first->name);
			total += scenario_runs(sc[k]);
			d->iterations += k ? sc[k]->iterations : 0;
			if (sc[k]->failed && !d->failed) {
				d->failed = true;
				memcpy(d->error, sc[k]->error, sizeof d->error);
			}
			/* a failed expectation of any report counts: borrow those */
			for (size_t e = 0; e < sc[k]->n_expects; e++) {
				if (!sc[k]->expects[e].passed) {
					d->expects = sc[k]->expects;
					d->n_expects = sc[k]->n_expects;
					break;
				}
			}
		}
		d->runs = (unsigned)total;
		d->steps = calloc(first->n_steps ? first->n_steps : 1, sizeof *d->steps);
		if (!d->steps) {
			free(sc);
			compare_side_free(out);
			return sb_errf(err, SB_E_NOMEM, "compare: out of memory");
		}
		for (size_t s = 0; s < first->n_steps; s++) {
			if (merge_row(&d->steps[s], &first->steps[s], sc, n, total, err)) {
				free(sc);
				compare_side_free(out);
				return -1;
			}
			d->n_steps++;
		}
	}
	free(sc);
	return 0;
}

void compare_side_free(struct run_report *m)
{
	for (size_t i = 0; m->scenarios && i < m->n_scenarios; i++) {
		for (size_t s = 0; s < m->scenarios[i].n_steps; s++)
			free(m->scenarios[i].steps[s].runs);
		free(m->scenarios[i].steps);
	}
	free(m->scenarios);
	memset(m, 0, sizeof *m);
}
