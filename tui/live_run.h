/* live_run.h — running a scenario set in a background thread for the live
 * view, with progress the UI can read while it runs, pause and single step.
 *
 * runner.h has no hook for progress or pausing, so this runs each scenario
 * in batches of iterations (runner_run on a copy of the scenario with
 * `iterations` set to the batch; warm-up only in the first batch) and
 * merges each batch's step histograms into its own. Pausing and stepping
 * act between batches; a step runs exactly one iteration. The price: each
 * batch pays the runner's calibration and builds its base snapshot again.
 * A runner hook (see the report of issue 6) would remove both.
 */
#ifndef SNAPBENCH_TUI_LIVE_RUN_H
#define SNAPBENCH_TUI_LIVE_RUN_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "results.h"
#include "scenario.h"

enum live_status { LIVE_WAITING, LIVE_RUNNING, LIVE_DONE, LIVE_FAILED };
const char *live_status_name(enum live_status s);

struct live_scenario {
	char name[64];
	enum live_status status;
	uint64_t done, total;     /* iterations (all sandboxes); total 0 = by duration */
	uint64_t batches;
	struct step_stats *steps; /* merged so far, in first-use order */
	size_t n_steps;
	char error[512];
};

struct live_run {
	pthread_mutex_t lock; /* guards everything below */
	pthread_cond_t cond;
	pthread_t thread;
	bool started, busy;
	const struct scenario_set *set;
	struct live_scenario *scn; /* [set->n] */
	size_t n, current;
	bool paused, quit, finished;
	unsigned steps_wanted;     /* single iterations asked for while paused */
	unsigned batches_per_scenario;
};

/* Start running `set` (which must outlive the run); paused = wait for
 * live_run_step / live_run_pause(false) before the first iteration. */
int live_run_start(struct live_run **out, const struct scenario_set *set, bool paused,
		   unsigned batches_per_scenario, struct sb_err *err);
void live_run_pause(struct live_run *r, bool paused);
void live_run_step(struct live_run *r);
/* Block until every scenario ran (for --dump). */
void live_run_wait(struct live_run *r);
/* Stop after the batch in progress and free. If a batch is still running
 * and `wait` is false, the thread is left to finish it and the run is not
 * freed (the process is about to exit). */
void live_run_stop(struct live_run *r, bool wait);
/* Was a run left running by live_run_stop? Then its scenario set must not
 * be freed either. */
bool live_run_detached(void);

#endif
