/* run_text.c — see run_text.h. */
#include "run_text.h"

#include <stdio.h>
#include <string.h>

#include "check.h"

bool run_text(const char *text, struct scenario_set *set, struct run_report *rep)
{
	struct sb_err err = { 0 };
	memset(set, 0, sizeof *set);
	if (!CHECK_I64(scenario_set_parse_string(set, "t.ini", text, &err), 0)) {
		fprintf(stderr, "  parse: %s\n", err.msg);
		return false;
	}
	struct runner_options o = { .tool_version = "test" };
	if (!CHECK_I64(runner_run(set, &o, rep, &err), 0)) {
		fprintf(stderr, "  runner_run: %s\n", err.msg);
		scenario_set_free(set);
		return false;
	}
	for (size_t i = 0; i < rep->n_scenarios; i++)
		if (!CHECK(!rep->scenarios[i].failed))
			fprintf(stderr, "  %s: %s\n", rep->scenarios[i].name, rep->scenarios[i].error);
	return CHECK_U64(rep->n_scenarios, set->n);
}
