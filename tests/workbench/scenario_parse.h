/* scenario_parse.h — parsing helpers of the scenario tests (test_scenario,
 * test_scenario_strategy): a string parsed as file "t.ini", a string that
 * must parse, and a table of texts that must fail with a message. */
#ifndef SNAPBENCH_TESTS_WORKBENCH_SCENARIO_PARSE_H
#define SNAPBENCH_TESTS_WORKBENCH_SCENARIO_PARSE_H

#include <stdio.h>

#include "check.h"
#include "scenario.h"

/* A section with a sandbox; line 3 is next. */
#define S "[s]\nstep = create\n"

/* Parse `text` as t.ini; on error the set must be left empty. */
static inline int parse(struct scenario_set *set, const char *text, struct sb_err *err)
{
	int rc = scenario_set_parse_string(set, "t.ini", text, err);
	if (rc)
		CHECK(set->n == 0 && set->items == NULL);
	return rc;
}

/* Parse a string that must be good; report the error if not. */
static inline bool parse_good(struct scenario_set *set, const char *text)
{
	struct sb_err err = { 0 };
	if (!CHECK_I64(parse(set, text, &err), 0)) {
		fprintf(stderr, "  text:\n%s\n  error: %s\n", text, err.msg);
		return false;
	}
	return true;
}

struct parse_error_case {
	const char *text;
	const char *want; /* in the message */
};

/* Every text fails to parse, with `want` in its message. */
static inline void check_parse_errors(const struct parse_error_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct scenario_set set = { 0 };
		struct sb_err err = { 0 };
		if (!CHECK_I64(parse(&set, cases[i].text, &err), -1))
			fprintf(stderr, "  case %zu parsed:\n%s\n", i, cases[i].text);
		if (!CHECK_CONTAINS(err.msg, cases[i].want))
			fprintf(stderr, "  case %zu:\n%s\n", i, cases[i].text);
		CHECK(err.code != SB_OK);
		scenario_set_free(&set);
	}
}

#endif
