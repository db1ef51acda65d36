/* runner_internal.h — the runner's helpers, shared by its files. */
#ifndef SNAPBENCH_WORKBENCH_RUNNER_INTERNAL_H
#define SNAPBENCH_WORKBENCH_RUNNER_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include "host_fns.h"
#include "results.h"
#include "runner.h"
#include "scenario.h"
#include "snapshot.h"

/* Read a whole file (for init data). */
int runner_read_file(const char *path, uint8_t **out, size_t *n, struct sb_err *err);
/* ---- calibration (runner_calibration.c; struct calibration) ---- */
/* One measurement of the run's units: real-mode exit round trips, memset. */
struct run_calibration {
	uint64_t real_mode_ns[CALIBRATION_REAL_MODE_EXITS];
	double memset_gib_per_s;
};
int runner_calibrate(struct run_calibration *rc, struct sb_err *err);
/* The run's units into a scenario's calibration: before and after pooled
 * (after NULL: not measured), the timer overhead; the warning redone. */
void runner_calibration_run(struct calibration *cal, const struct run_calibration *before,
			    const struct run_calibration *after, uint64_t timer_overhead_ns);
/* vmm_now_ns() back to back: the median of many. */
uint64_t runner_timer_overhead_ns(void);
/* One measurement of the exit round trip from a sandbox of this snapshot
 * with the scenario's mode and restore strategy: CALIBRATION_SANDBOX_ROUNDS
 * samples, or none (n = 0) for a guest without debug_exits. */
struct exit_samples {
	uint64_t ns[CALIBRATION_SANDBOX_ROUNDS];
	unsigned n;
};
void runner_sample_sandbox_exit(struct snapshot *base, const struct scenario *sc,
				struct exit_samples *out);
/* Pool before and after (either may be NULL or empty) into cal's sandbox
 * exit fields; the warning redone. */
void runner_calibration_sandbox(struct calibration *cal, const struct exit_samples *before,
				const struct exit_samples *after);
/* cal->warning from its fields (the bounds in results.h). */
void runner_calibration_warn(struct calibration *cal);
/* The sandbox configuration of every sandbox of scenario sc. */
struct sandbox_config runner_sandbox_config(const struct scenario *sc);
/* A warning on stderr for each function name the guest file `path`
 * registers twice (only the first runs), from the list a ready sandbox `sb`
 * of it gives: once per guest file for the whole process, in a sandbox the
 * calibration creates anyway (a create of its own cost 19-48 ms a guest
 * file here, the list call 0.09-0.23 ms). Nothing for the embedded guest
 * (path NULL or empty), nor when the guest cannot list (another runtime):
 * display only. */
void runner_warn_duplicates(struct sandbox *sb, const char *path);
/* Add one sandbox's statistics into the scenario's (rows by index). */
void runner_merge_stats(struct scenario_result *r, const struct step_stats *s, size_t n);
/* Repeated runs (runner_repeat.c): `into` holds runs 0 .. run-1 of a
 * scenario (run 0 as runner ran it), `from` run `run` of `runs`; add it:
 * rows by label (a row only some runs have gets empty histograms for the
 * others), each row's histogram of the run kept apart. `from` is left
 * as it was (free it). Returns 0, or -1 with err set (memory). */
int runner_repeat_add(struct scenario_result *into, const struct scenario_result *from,
		      unsigned run, unsigned runs, struct sb_err *err);

/* What one execution of a step measured. */
struct step_record {
	uint64_t ns;
	bool call_error;             /* the guest function said no: counted, not timed */
	const char *error;           /* call_error: the message (sb_err text) */
	unsigned line;               /* call_error: the step's line */
	uint64_t scratch_pages, exits, cow_faults; /* calls */
	bool full_restore;           /* restores: sandbox_last_restore() */
	uint64_t pages_reset, bytes_copied, pages_retained, retain_dropped;
	const struct snapshot *snap; /* snapshot steps */
};
/* Add one execution to a label's statistics. */
void runner_account(struct step_stats *st, enum scenario_step_kind kind, const struct step_record *rec);

/* ---- failures (runner_errors.c) ---- */

/* Count one failed execution in st; the first one's message and line are kept. */
void runner_note_error(struct step_stats *st, const char *msg, unsigned line);
/* Whether expectation e names row s (its label or kind, and its variant
 * unless e names every row). */
bool runner_expect_names_row(const struct scenario_expect *e, const struct step_stats *s);
/* After the judging: print each distinct failure once on `to` (NULL:
 * not printed), and when calls failed that the scenario does not allow
 * (option allow_errors, expectations on errors) and the run did not stop
 * early, add a failed expectation saying so (results.h). */
void runner_report_errors(const struct scenario *sc, struct scenario_result *r, FILE *to);

/* ---- hooks (runner_hooks.c): one per scenario, only when the caller set
 * hooks; shared by the scenario's workers. */
struct runner_live {
	struct runner_hooks hooks;
	const struct scenario *sc;
	pthread_mutex_t lock;          /* guards partial and the on_progress calls */
	struct scenario_result partial; /* steps only */
	_Atomic uint64_t *done;
	uint64_t total;
	atomic_bool stop;              /* a between_steps said false */
	char where[256];               /* where the first stop happened */
};
int runner_live_init(struct runner_live *l, const struct runner_hooks *h, const struct scenario *sc,
		     const struct scenario_result *shape, _Atomic uint64_t *done, uint64_t total,
		     struct sb_err *err);
void runner_live_free(struct runner_live *l);
/* The between_steps hook before `next`; false = stop. *hook_ns: time spent. */
bool runner_live_between(struct runner_live *l, unsigned sandbox, uint64_t iteration,
			 const struct scenario_step *next, struct sandbox *sb, uint64_t *hook_ns);
/* After a step of label `index`: rec when recorded, or NULL; error: it
 * failed (the message; the step's line), else NULL. */
void runner_live_step(struct runner_live *l, size_t index, enum scenario_step_kind kind,
		      const struct step_record *rec, const char *error, unsigned line);
/* A sample of a row that is not a step's (a host call's round trip), into
 * the partial statistics without calling on_progress: the step that made
 * it reports it. */
void runner_live_account(struct runner_live *l, size_t index, enum scenario_step_kind kind,
			 const struct step_record *rec);
/* After an iteration: on_progress with the new `done`. */
void runner_live_report(struct runner_live *l);

/* ---- one sandbox's run (runner_worker.c) ---- */

#define NAMED_MAX 32

struct named {
	char *name; /* NULL: unnamed */
	struct snapshot *snap;
};

/* A file a map step gave the sandbox: mapped read-only until the sandbox
 * is destroyed (runner_guest_io.c). */
struct mapped_file {
	void *host;
	uint64_t bytes; /* whole pages */
	gpa_t gpa;
};

struct worker {
	const struct scenario *sc;
	const char *file_dir;         /* runner_options.file_dir */
	struct snapshot *base;
	unsigned index;
	pthread_t thread;
	/* per-thread results */
	struct step_stats *stats;
	size_t n_stats;
	/* run state */
	struct sandbox *sb;
	struct named named[NAMED_MAX];
	size_t n_named;
	struct snapshot *last;        /* last snapshot taken or loaded */
	struct snapshot *last_loaded; /* in this iteration, for create */
	bool recording;
	enum scenario_variant next_call; /* the row of the next call (runner_worker.c) */
	struct open_loop_worker *open_loop; /* rate > 0 (runner_open_loop.c), else NULL */
	_Atomic uint64_t *done;       /* iterations finished, for progress */
	_Atomic unsigned *cores_left; /* crash dumps the scenario's run may still write */
	atomic_bool finished;
	int failed;
	/* hooks (runner_hooks.c); NULL when the caller set none */
	struct runner_live *live;
	uint64_t iteration;           /* for the stop message */
	uint64_t held_ns;             /* time spent in between_steps so far */
	bool stopped;                 /* between_steps said stop */
	/* guest I/O (runner_guest_io.c) */
	struct mapped_file *maps;     /* the current sandbox's map steps */
	size_t n_maps, cap_maps;
	bool cancel_armed;            /* a cancel step ran: the next call is cancelled */
	uint64_t cancel_after_ns;
	struct step_stats *cancel_row; /* the cancel step's row */
	const struct scenario_step *cancel_step;
	/* option pool: the run's pool (create takes, destroy puts back), and
	 * the row the last create or destroy went to (pooled, fresh, ...) */
	struct sandbox_pool *pool;
	enum scenario_variant pool_variant;
	struct host_fns_clock clock;  /* host_functions = builtin */
	struct sandbox_host_fn_def host_fns[HOST_FN__COUNT];
	size_t host_rows[HOST_FN__COUNT]; /* index in stats; SIZE_MAX: none */
	struct sb_err err;
};

/* ---- guest I/O (runner_guest_io.c) ---- */

/* A map step's file, opened and mapped (before the clock starts). */
int runner_map_prepare(struct worker *w, const struct scenario_step *s, struct mapped_file *m);
/* Keep it until the sandbox is destroyed (after sandbox_map_region). */
int runner_map_keep(struct worker *w, struct mapped_file *m);
void runner_map_drop(struct mapped_file *m);
/* Destroy the worker's sandbox, then unmap its files. */
void runner_sandbox_destroy(struct worker *w);
/* option pool: a create step's sandbox from the pool (w->pool_variant
 * says pooled or fresh); a destroy step's back into it, or destroyed when
 * it mapped files (their memory goes now) or the pool is full
 * (runner_pool.c). */
int runner_pool_take(struct worker *w, struct snapshot *snap, const struct sandbox_config *cfg);
void runner_pool_put(struct worker *w);
/* The run's pool for scenario sc (NULL when option pool is 0), its
 * "pool scrub" row fed by the pool's cleaner; after the workers, every
 * scrub waited for and the pool's figures into r, the pool destroyed. */
struct runner_pool;
int runner_pool_start(struct runner_pool **out, const struct scenario *sc,
		      const struct sandbox_config *cfg, struct snapshot *base,
		      struct scenario_result *r, struct sb_err *err);
struct sandbox_pool *runner_pool_get(struct runner_pool *rp);
void runner_pool_finish(struct runner_pool *rp, struct scenario_result *r);
/* The call step s, cancelled from another thread after_ns after it
 * starts: 0 when it returned cancelled (*ns: its time until then). */
int runner_cancelled_call(struct worker *w, const struct scenario_step *s, uint64_t after_ns,
			  uint64_t *ns);
/* A call's result against its `== VALUE`: 0, or -1 with "returned X,
 * expected Y" in w->err. */
int runner_check_result(struct worker *w, const struct scenario_step *s, const struct sb_value *got);
void runner_format_value(const struct sb_value *v, char *buf, size_t bytes);
/* host_functions = builtin: the definitions and their rows' indexes. */
void runner_host_fns_init(struct worker *w);
/* "host call NAME": the step of a host function's row. */
void runner_host_row_label(enum host_fn_id fn, char *buf, size_t bytes);

/* ---- open loop (runner_open_loop.c): option rate > 0 ---- */

/* One worker's share: the schedule's histograms and its recording span. */
struct open_loop_worker {
	struct open_loop_stats stats; /* histograms; the rates are set by the merge */
	uint64_t period_ns;           /* 1 s / rate */
	bool slept;                   /* the current iteration was on time */
	bool recorded;                /* a recorded iteration ended */
	uint64_t first_start_ns;      /* when its first recorded iteration started */
	uint64_t last_end_ns;         /* when its last recorded one ended, or the next was due */
	uint64_t held_ns;             /* hook time within the span */
};
/* Allocate w->open_loop when the scenario has a rate; 0 or -1 (memory, in w->err). */
int runner_open_loop_init(struct worker *w);
void runner_open_loop_free(struct worker *w);
/* Before iteration i (the schedule started at `start`): sleep until it
 * is due, recording the sleep's overshoot; returns when it was due. */
uint64_t runner_open_loop_wait(struct worker *w, uint64_t start, uint64_t i);
/* After an iteration that ran from `started` to `ended` (`held`: hook
 * time within it): its queueing delay and end-to-end time, when recorded. */
void runner_open_loop_iteration(struct worker *w, uint64_t due, uint64_t started, uint64_t ended,
				uint64_t held);
/* The scenario's open_loop from its workers' (r->iterations set); 0 or
 * -1 (memory). Nothing for a closed loop. */
int runner_open_loop_merge(struct scenario_result *r, const struct scenario *sc,
			   const struct worker *ws, size_t n, struct sb_err *err);

/* The thread of one worker (arg: struct worker *). */
void *runner_worker_main(void *arg);

/* After the merge: drop the variant rows no execution went to (a restore
 * path never taken), keeping at least one row of each step. */
void runner_drop_unused_rows(struct scenario_result *r);
/* Judge the scenario's expectations against its results. */
void runner_judge(const struct scenario *sc, struct scenario_result *r);
uint64_t runner_rss_bytes(void);

#endif
