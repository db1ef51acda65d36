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
