/* results.c — see results.h. */
#include "results.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void scenario_result_free(struct scenario_result *s)
{
	for (size_t k = 0; k < s->n_options; k++)
		free(s->options[k].value);
	free(s->options);
	for (size_t k = 0; k < s->n_steps; k++)
		free(s->steps[k].runs);
	free(s->steps);
	free(s->expects);
	free(s->open_loop);
	s->open_loop = NULL;
	s->options = NULL;
	s->steps = NULL;
	s->expects = NULL;
	s->n_options = s->n_steps = s->n_expects = 0;
}

void run_report_free(struct run_report *r)
{
	for (size_t i = 0; i < r->n_scenarios; i++)
		scenario_result_free(&r->scenarios[i]);
	free(r->scenarios);
	r->scenarios = NULL;
	r->n_scenarios = 0;
	free(r->command_line);
	free(r->working_dir);
	r->command_line = r->working_dir = NULL;
}

void step_stats_add(struct step_stats *d, const struct step_stats *s)
{
	hist_merge(&d->hist, &s->hist);
	d->errors += s->errors;
	if (!d->first_error[0] && s->first_error[0]) {
		memcpy(d->first_error, s->first_error, sizeof d->first_error);
		d->first_error_line = s->first_error_line;
	}
	d->scratch_pages += s->scratch_pages;
	d->exits += s->exits;
	d->full_restores += s->full_restores;
	d->pages_reset += s->pages_reset;
	d->bytes_copied += s->bytes_copied;
	d->pages_retained += s->pages_retained;
	d->retain_dropped += s->retain_dropped;
	d->cow_faults += s->cow_faults;
	d->snapshots += s->snapshots;
	d->pages_mapped += s->pages_mapped;
	d->pages_copied += s->pages_copied;
	d->pages_aliased += s->pages_aliased;
	d->pt_pages += s->pt_pages;
	d->zero_pages += s->zero_pages;
	d->snapshot_bytes += s->snapshot_bytes;
	d->snapshots_incremental += s->snapshots_incremental;
	d->pages_shared += s->pages_shared;
	d->pt_pages_new += s->pt_pages_new;
	d->pages_deduped += s->pages_deduped;
	d->bytes_new += s->bytes_new;
	if (!d->full_reason[0] && s->full_reason[0])
		memcpy(d->full_reason, s->full_reason, sizeof d->full_reason);
}

const struct step_stats *scenario_result_step(const struct scenario_result *s, const char *label)
{
	for (size_t i = 0; i < s->n_steps; i++)
		if (strcmp(s->steps[i].label, label) == 0)
			return &s->steps[i];
	return NULL;
}

const struct step_stats *scenario_result_row(const struct scenario_result *s, const char *step,
					     enum scenario_variant variant)
{
	for (size_t i = 0; i < s->n_steps; i++)
		if (s->steps[i].variant == variant && strcmp(s->steps[i].step, step) == 0)
			return &s->steps[i];
	return NULL;
}

bool scenario_result_penalty(const struct scenario_result *s, const struct step_stats *first,
			     struct post_restore_penalty *out)
{
	if (first->variant != SCENARIO_VARIANT_FIRST_AFTER_RESTORE || hist_count(&first->hist) == 0)
		return false;
	const struct step_stats *steady = scenario_result_row(s, first->step, SCENARIO_VARIANT_STEADY);
	if (steady && hist_count(&steady->hist) == 0)
		steady = NULL;
	*out = (struct post_restore_penalty){
		.first = first,
		.steady = steady,
		.first_p50_ns = hist_value_at_percentile(&first->hist, 50),
		.steady_p50_ns = steady ? hist_value_at_percentile(&steady->hist, 50) : 0,
	};
	if (steady)
		out->penalty_ns = (int64_t)out->first_p50_ns - (int64_t)out->steady_p50_ns;
	return true;
}

/* p50 of the restore rows (of `variant`; NONE: all) together; 0 rows or
 * executions: false. */
static bool restore_p50(const struct scenario_result *s, enum scenario_variant variant,
			uint64_t *out)
{
	struct hist *h = malloc(sizeof *h); /* 35 KB */
	if (!h)
		return false;
	hist_init(h);
	for (size_t i = 0; i < s->n_steps; i++)
		if (s->steps[i].kind == SCENARIO_STEP_RESTORE &&
		    (variant == SCENARIO_VARIANT_NONE || s->steps[i].variant == variant))
			hist_merge(h, &s->steps[i].hist);
	bool any = hist_count(h) > 0;
	if (any)
		*out = hist_value_at_percentile(h, 50);
	free(h);
	return any;
}

bool scenario_result_overhead(const struct scenario_result *s, struct restore_overhead *out,
			      const char **why)
{
	memset(out, 0, sizeof *out);
	if (!restore_p50(s, SCENARIO_VARIANT_SAME_SNAPSHOT, &out->restore_p50_ns) &&
	    !restore_p50(s, SCENARIO_VARIANT_NONE, &out->restore_p50_ns)) {
		*why = "no restore was recorded";
		return false;
	}
	for (size_t i = 0; i < s->n_steps; i++) {
		if (scenario_result_penalty(s, &s->steps[i], &out->penalty) && out->penalty.steady) {
			out->overhead_ns = (int64_t)out->restore_p50_ns + out->penalty.penalty_ns;
			return true;
		}
	}
	*why = "no call label has both a first call after a restore and a steady call";
	return false;
}

int pool_result_summary(const struct pool_result *p, char *buf, size_t bytes)
{
	if (!p->size)
		return snprintf(buf, bytes, "%s", "");
	double mean_us = p->scrubs ? (double)p->scrub_ns_total / (double)p->scrubs / 1e3 : 0;
	double cpu_us = p->scrubs ? (double)p->scrub_cpu_ns_total / (double)p->scrubs / 1e3 : 0;
	return snprintf(buf, bytes,
			"%" PRIu64 " sandboxes (%" PRIu64 " made before the run), %" PRIu64
			" idle at the end; creates %" PRIu64 " pooled, %" PRIu64 " fresh (%" PRIu64
			" restored a sandbox not yet scrubbed, %" PRIu64 " restores full); destroys %"
			PRIu64 " pooled, %" PRIu64 " not; %" PRIu64 " scrubs off the steps' path, mean %.1f"
			" us wall (row pool scrub), %.1f us CPU, %" PRIu64 " failed",
			p->size, p->prefilled, p->idle_end, p->takes_pooled, p->takes_fresh,
			p->takes_unscrubbed, p->takes_full, p->puts_kept, p->puts_destroyed, p->scrubs,
			mean_us, cpu_us, p->scrub_failures);
}
