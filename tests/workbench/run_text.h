/* run_text.h — a runner test's start (tests/workbench): parse a scenario
 * set from text and run it, every scenario expected to pass. */
#ifndef SNAPBENCH_TESTS_WORKBENCH_RUN_TEXT_H
#define SNAPBENCH_TESTS_WORKBENCH_RUN_TEXT_H

#include <stdbool.h>

#include "runner.h"

/* Parse `text` as t.ini into *set and run it into *rep; false, with the
 * reason printed and a failed check, if either fails or a scenario did
 * (then *set and *rep are freed or empty). */
bool run_text(const char *text, struct scenario_set *set, struct run_report *rep);

#endif
