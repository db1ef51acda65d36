/* runner_repeat.c — `snapbench run --repeat N`: the runs of a scenario
 * added into one result, each row's histogram of each run kept apart
 * (results.h: scenario_result.runs, step_stats.runs) so that compare can
 * resample runs and see the variance between them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner_internal.h"

/* An empty histogram per run; run 0's is the row's own when `first`. */
static int give_runs(struct step_stats *st, unsigned runs, bool first, struct sb_err *err)
{
	st->runs = malloc(runs * sizeof *st->runs);
	if (!st->runs)
		return sb_errf(err, SB_E_NOMEM, "out of memory for %u runs of '%s'", runs, st->label);
	st->n_runs = runs;
	for (unsigned i = 0; i < runs; i++)
		hist_init(&st->runs[i]);
	if (first)
		st->runs[0] = st->hist;
	return 0;
}

/* The row of `into` with from's label, appended (empty, no run yet) when
 * no earlier run had it. */
static struct step_stats *row_for(struct scenario_result *into, const struct step_stats *from,
				  unsigned runs, struct sb_err *err)
{
	for (size_t i = 0; i < into->n_steps; i++)
		if (strcmp(into->steps[i].label, from->label) == 0)
			return &into->steps[i];
	struct step_stats *n = realloc(into->steps, (into->n_steps + 1) * sizeof *n);
	if (!n) {
		sb_errf(err, SB_E_NOMEM, "out of memory adding row '%s'", from->label);
		return NULL;
	}
	into->steps = n;
	struct step_stats *st = &n[into->n_steps];
	memset(st, 0, sizeof *st);
	snprintf(st->label, sizeof st->label, "%s", from->label);
	snprintf(st->step, sizeof st->step, "%s", from->step);
	st->kind = from->kind;
	st->variant = from->variant;
	hist_init(&st->hist);
	if (give_runs(st, runs, false, err))
		return NULL;
	into->n_steps++;
	return st;
}

int runner_repeat_add(struct scenario_result *into, const struct scenario_result *from,
		      unsigned run, unsigned runs, struct sb_err *err)
{
	if (run == 1)
		for (size_t i = 0; i < into->n_steps; i++)
			if (give_runs(&into->steps[i], runs, true, err))
				return -1;
	for (size_t i = 0; i < from->n_steps; i++) {
		struct step_stats *d = row_for(into, &from->steps[i], runs, err);
		if (!d)
			return -1;
		step_stats_add(d, &from->steps[i]);
		d->runs[run] = from->steps[i].hist;
	}
	if (into->open_loop && from->open_loop) {
		struct open_loop_stats *d = into->open_loop;
		const struct open_loop_stats *s = from->open_loop;
		hist_merge(&d->iteration, &s->iteration);
		hist_merge(&d->queueing_delay, &s->queueing_delay);
		hist_merge(&d->sleep_overshoot, &s->sleep_overshoot);
		/* the mean over the runs */
		d->rate_achieved_per_s = (d->rate_achieved_per_s * run + s->rate_achieved_per_s) /
					 (run + 1);
	}
	/* option pool: counts summed, the last run's idle at its end */
	struct pool_result *pd = &into->pool;
	const struct pool_result *ps = &from->pool;
	pd->prefilled += ps->prefilled;
	pd->idle_end = ps->idle_end;
	pd->takes_pooled += ps->takes_pooled;
	pd->takes_fresh += ps->takes_fresh;
	pd->takes_unscrubbed += ps->takes_unscrubbed;
	pd->takes_full += ps->takes_full;
	pd->puts_kept += ps->puts_kept;
	pd->puts_destroyed += ps->puts_destroyed;
	pd->scrubs += ps->scrubs;
	pd->scrub_failures += ps->scrub_failures;
	pd->scrub_ns_total += ps->scrub_ns_total;
	pd->scrub_cpu_ns_total += ps->scrub_cpu_ns_total;
	into->runs = run + 1;
	into->iterations += from->iterations;
	into->wall_ns += from->wall_ns;
	if (from->rss_bytes > into->rss_bytes)
		into->rss_bytes = from->rss_bytes;
	if ((from->failed || from->stopped) && !into->failed && !into->stopped) {
		into->failed = from->failed;
		into->stopped = from->stopped;
		snprintf(into->error, sizeof into->error, "run %u of %u: %.480s", run + 1, runs,
			 from->error);
	}
	return 0;
}
