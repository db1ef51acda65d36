/* results.c — see results.h. */
#include "results.h"

#include <stdlib.h>
#include <string.h>

void run_report_free(struct run_report *r)
{
	for (size_t i = 0; i < r->n_scenarios; i++) {
		struct scenario_result *s = &r->scenarios[i];
		for (size_t k = 0; k < s->n_options; k++)
			free(s->options[k].value);
		free(s->options);
		free(s->steps);
		free(s->expects);
	}
	free(r->scenarios);
	r->scenarios = NULL;
	r->n_scenarios = 0;
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
