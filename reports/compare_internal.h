/* compare_internal.h — shared by the files of `compare` (not public). */
#ifndef SNAPBENCH_REPORTS_COMPARE_INTERNAL_H
#define SNAPBENCH_REPORTS_COMPARE_INTERNAL_H

#include "reports.h"

/* The scenario of r with this name, or NULL. */
const struct scenario_result *compare_find_scenario(const struct run_report *r, const char *name);

/* Before comparing (compare_check.c): refuse differing definitions
 * (-1, err says which options of which scenarios) unless o->force; add a
 * warning to out for each machine or build fact that differs (none with
 * force). */
int compare_check(const struct run_report *base, const struct run_report *cur,
		  const struct compare_options *o, struct compare_result *out, struct sb_err *err);

#endif
