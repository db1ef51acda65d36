/* live_run.h — running a scenario set in a background thread for the live
 * view: one runner_run over the whole set, watched through the runner's
 * hooks (runner.h).
 *
 *   on_progress    copies the per-step statistics as they grow (only the
 *                  labels whose counts moved, so a step costs one copy)
 *   between_steps  blocks while paused; `s` lets exactly one step of one
 *                  sandbox through; `i` makes the worker snapshot its live
 *                  sandbox there (it owns it) and hand the snapshot over
 *   quit           between_steps returns false: the runner stops at the
 *                  next step boundary and runner_run returns
 *
 * Locking: `lock` guards every field below `cond`. The runner calls
 * on_progress with its own mutex held and we take `lock` inside it; the
 * UI never takes a runner lock, so there is no cycle.
 */
#ifndef SNAPBENCH_TUI_LIVE_RUN_H
#define SNAPBENCH_TUI_LIVE_RUN_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "results.h"
#include "scenario.h"
#include "snapshot.h"

enum live_status { LIVE_WAITING, LIVE_RUNNING, LIVE_DONE, LIVE_STOPPED, LIVE_FAILED };
const char *live_status_name(enum live_status s);

struct live_scenario {
	char name[64];
	char strategy[SCENARIO_STRATEGY_NAME_MAX + 1]; /* its restore strategy */
	enum live_status status;
	uint64_t done, total;     /* iterations, warm-up included; total 0 = by duration */
	uint64_t warmup;          /* of done, the first `warmup` are warm-up (all sandboxes) */
	struct step_stats *steps; /* so far, in first-use order */
	size_t n_steps;
	char error[512];
};

/* Where a paused sandbox waits. */
struct live_waiter {
	bool waiting;
	const struct scenario_step *next;
};

#define LIVE_NOBODY (-1)

struct live_run {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	const struct scenario_set *set;
	struct live_scenario *scn; /* [n] */
	size_t n, current;
	bool paused, quit, finished;
	/* the current scenario's sandboxes (room for the largest) */
	struct live_waiter *waiter;
	unsigned n_sandboxes;
	/* Requests while paused, served by the focus (live_run_focus): the
	 * first sandbox waiting at a step boundary. */
	unsigned steps_wanted; /* single steps asked for */
	bool inspect_wanted;   /* snapshot the focus's sandbox */
	/* the last snapshot inspected, until taken by live_run_take_inspected */
	struct snapshot *inspected;
	struct snapshot *inspected_origin; /* the snapshot that sandbox ran from */
	char inspected_what[200]; /* "live: scenario X, sandbox 0, before step 'Y'" */
	uint64_t inspections;     /* taken so far */
	char msg[200];            /* feedback of the last key ("" = none) */
	/* the runner's report once runner_run returned (finished, or stopped
	 * by quit: then the scenarios not run to the end say so) */
	struct run_report report;
	bool have_report;
	bool joined;              /* the thread is gone (live_run_end) */
};

/* Start running `set` (which must outlive the run); paused = wait before
 * the first step for live_run_step / live_run_pause(false). */
int live_run_start(struct live_run **out, const struct scenario_set *set, bool paused,
		   struct sb_err *err);
void live_run_pause(struct live_run *r, bool paused);
/* While paused: let one step of the first waiting sandbox run (presses
 * add up). While running: pause. */
void live_run_step(struct live_run *r);
/* Ask the first waiting sandbox for a snapshot (only while paused). */
void live_run_inspect(struct live_run *r);
/* The new inspected snapshot (a reference for the caller) and what it is,
 * or NULL if none arrived since the last call; *origin (may be NULL) gets
 * a reference to the snapshot the sandbox ran from (NULL if not known). */
struct snapshot *live_run_take_inspected(struct live_run *r, char *what, size_t what_bytes,
					 struct snapshot **origin);
/* The sandbox a step or inspect would act on, LIVE_NOBODY if none waits
 * (caller holds r->lock). */
int live_run_focus(const struct live_run *r);
/* Block until every scenario ran (for --dump). */
void live_run_wait(struct live_run *r);
/* Stop at the next step boundary and wait for the runner to return: then
 * r->report holds what ran (if r->have_report). */
void live_run_end(struct live_run *r);
/* live_run_end, then free. */
void live_run_stop(struct live_run *r);

#endif
