/* golden.h — compare a text dump with tests/golden/NAME.
 *
 * With UPDATE_GOLDENS=1 in the environment the file is rewritten with the
 * actual text instead (and the check passes); review the diff in git.
 * Nobody edits golden files by hand.
 */
#ifndef SNAPBENCH_TESTS_GOLDEN_H
#define SNAPBENCH_TESTS_GOLDEN_H

#include <stdbool.h>
#include <stdio.h>

/* Compare `actual` (NUL-terminated) with the golden file `name`. */
bool golden_check(const char *name, const char *actual);

/* Run `dump(f, arg)` into memory and compare with golden `name`. */
bool golden_check_dump(const char *name, void (*dump)(FILE *f, const void *arg), const void *arg);

#endif
