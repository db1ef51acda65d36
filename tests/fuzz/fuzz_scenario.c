/* fuzz_scenario.c — the scenario parser (workbench/scenario*.c) on a
 * scenario file from someone else (a pull request in CI). The input is
 * the file's text; a NUL byte ends it, as the file reader refuses it. A
 * set that parses is echoed and its rows listed, as `run` does. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_note.h"
#include "scenario.h"

static void echo_fn(void *ctx, const struct scenario_option *opt, const char *const *values,
		    size_t n)
{
	(void)opt;
	size_t *total = ctx;
	for (size_t i = 0; i < n; i++)
		*total += strlen(values[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > (1u << 20))
		return 0;
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	struct scenario_set set = { 0 };
	struct sb_err err;
	int rc = scenario_set_parse_string(&set, "fuzz.ini", text, &err);
	fuzz_note("parse", rc, &err);
	if (rc == 0) {
		if (set.n == 0)
			abort(); /* success means at least one scenario */
		for (size_t i = 0; i < set.n; i++) {
			struct scenario_row *rows = NULL;
			size_t n = 0, total = 0;
			if (scenario_rows(&set.items[i], &rows, &n, &err) == 0)
				free(rows);
			scenario_echo_options(&set.items[i], echo_fn, &total, &err);
			if (!scenario_set_find(&set, set.items[i].name))
				abort();
		}
		scenario_set_free(&set);
	} else if (set.n != 0 || err.msg[0] == '\0') {
		abort(); /* an error leaves the set empty and says why */
	}
	free(text);
	return 0;
}
