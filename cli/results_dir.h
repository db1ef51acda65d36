/* results_dir.h — where `run` writes when no -o is given: one directory per
 * run under snapbench-results/, named by its start time, and a `latest`
 * link to the newest, so the JSON and HTML of a run always belong together
 * and the run before stays as a baseline (`snapbench compare` with no
 * arguments compares the last two). */
#ifndef SNAPBENCH_CLI_RESULTS_DIR_H
#define SNAPBENCH_CLI_RESULTS_DIR_H

#include <stddef.h>

#define RESULTS_DIR_BASE "snapbench-results"

/* Make BASE (if missing) and a new run directory BASE/YYYY-MM-DDTHH-MM-SSZ
 * in it (-02, -03... when a run started in the same second); its path in
 * out. 0, or -1 with a message in msg. */
int results_dir_new(const char *base, char *out, size_t size, char *msg, size_t msg_size);

/* Point BASE/latest at the run directory DIR (inside BASE), replacing the
 * link atomically. 0, or -1 with a message in msg. */
int results_dir_link_latest(const char *base, const char *dir, char *msg, size_t msg_size);

/* The report.json of the last two runs in BASE (by name: start time),
 * older first. 0, or -1 with a message in msg saying what is missing. */
int results_dir_last_two(const char *base, char *older, char *newer, size_t size, char *msg,
			 size_t msg_size);

#endif
