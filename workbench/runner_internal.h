/* runner_internal.h — the runner's helpers, shared by its files. */
#ifndef SNAPBENCH_WORKBENCH_RUNNER_INTERNAL_H
#define SNAPBENCH_WORKBENCH_RUNNER_INTERNAL_H

#include "results.h"
#include "scenario.h"
#include "snapshot.h"

/* Read a whole file (for init data). */
int runner_read_file(const char *path, uint8_t **out, size_t *n, struct sb_err *err);
/* The machine's units, once per run: real-mode exit round trip, memset. */
int runner_calibrate(struct calibration *cal, struct sb_err *err);
/* The exit round trip from a sandbox of this snapshot in `mode` (needs the
 * guest's debug_exits; left 0 for guests without it). */
void runner_calibrate_sandbox(struct snapshot *base, uint64_t mode, struct calibration *cal);
/* Add one sandbox's statistics into the scenario's. */
void runner_merge_stats(struct scenario_result *r, const struct step_stats *s, size_t n);
/* Judge the scenario's expectations against its results. */
void runner_judge(const struct scenario *sc, struct scenario_result *r);
uint64_t runner_rss_bytes(void);

#endif
