/* fuzz_note.h — what a target made of an input, printed when the
 * environment sets FUZZ_VERBOSE (replay a seed to see that it reaches
 * the code behind the parser: "ok" rather than an error). */
#ifndef SNAPBENCH_TESTS_FUZZ_NOTE_H
#define SNAPBENCH_TESTS_FUZZ_NOTE_H

#include <stdio.h>
#include <stdlib.h>

#include "err.h"

static inline void fuzz_note(const char *what, int rc, const struct sb_err *err)
{
	static int verbose = -1;
	if (verbose < 0)
		verbose = getenv("FUZZ_VERBOSE") != NULL;
	if (verbose)
		fprintf(stderr, "  %s: %s\n", what, rc ? err->msg : "ok");
}

#endif
