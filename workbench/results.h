/* results.h — what a run of scenarios measured: the data model the runner
 * fills and every report (JSON, text, HTML, compare) reads.
 *
 * Units are in the names. Latencies are nanoseconds in a histogram per
 * row: a step label, calls and restores split by variant (scenario.h,
 * "Rows"): all executions of steps with that label in that variant, all
 * sandboxes, warm-up excluded. Page counts are sums over the executions
 * (a restore row's full restores too).
 *
 * A restore row times sandbox_restore() until it returns: restore until
 * the sandbox is ready for a call. Work a restore leaves to the guest's
 * next entry is paid by the first call after it; the post-restore penalty
 * of a call label is p50(LABEL (first after restore)) - p50(LABEL
 * (steady)), and restore-to-ready plus that penalty is what a restore
 * followed by work costs (DESIGN.md 9).
 */
#ifndef SNAPBENCH_WORKBENCH_RESULTS_H
#define SNAPBENCH_WORKBENCH_RESULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "histogram.h"
#include "scenario.h"

/* 2: rows per variant, post-restore penalties; 3: restore page statistics
 * (pages.full_restores, pages.pages_reset); 4: restore strategies
 * (restore_strategy, dirtied_pages per scenario; pages.cow_faults,
 * pages.bytes_copied, pages.pages_retained per row); 5: repeated runs
 * (runs per scenario, a histogram per run of each row), traceable runs
 * (command_line, working_dir, build, machine.hypervisor_version,
 * file_digest per scenario) and the calibration's spread (quartiles,
 * before and after, timer overhead, warning), first_error per row
 * (failed calls no longer in the histogram), open_loop per scenario */
#define RESULTS_SCHEMA_VERSION 5
/* The oldest schema report_read_json() reads. */
#define RESULTS_SCHEMA_OLDEST 3
#define RESULTS_RUNS_MAX 1000 /* `snapbench run --repeat` at most */
#define RESULTS_LABEL_MAX 96 /* a row name with the NUL */
_Static_assert(RESULTS_LABEL_MAX > SCENARIO_ROW_NAME_MAX, "every row name fits a step_stats");
_Static_assert(64 > SCENARIO_RUN_NAME_MAX, "every run name fits a scenario_result");

/* One row of one scenario: a step label in one variant. */
struct step_stats {
	char label[RESULTS_LABEL_MAX]; /* the row name: "call add (steady)" */
	char step[RESULTS_LABEL_MAX];  /* the step label: "call add" */
	enum scenario_step_kind kind;
	enum scenario_variant variant;
	struct hist hist;        /* latency of each execution that succeeded (ns):
				  * every run pooled */
	/* With repeated runs (scenario_result.runs > 1): the latencies of each
	 * run apart, runs[i] of run i (malloc'd, n_runs == runs; NULL and 0
	 * with one run, whose only histogram is `hist`). What compare resamples
	 * to see the variance between runs. Freed by run_report_free. */
	struct hist *runs;
	size_t n_runs;
	/* executions that failed: calls whose guest function reported an
	 * error (SB_E_CALL: the run goes on; not in hist nor in the page
	 * counters), or the step that stopped the scenario */
	uint64_t errors;
	/* the first failure's message (sb_err text, cut to fit), "" if none;
	 * and the scenario file line of its step (0 when read from a report:
	 * not in the JSON) */
	char first_error[SB_ERR_MSG_MAX]; /* whole: a crash dump's path ends it */
	unsigned first_error_line;
	/* calls */
	uint64_t scratch_pages;  /* scratch pages the guest took during the calls */
	uint64_t exits;          /* VM exits the calls took */
	/* restores (sandbox_last_restore() after each): a restore is light
	 * (the dirty data pages and the FPU state reset) or full (also the
	 * page tables rewritten, KVM's shadow page tables dropped, ring-0
	 * state reset); light ones are the count minus full_restores */
	uint64_t full_restores;  /* restores that were full */
	uint64_t pages_reset;    /* scratch pages the restores rewrote (host-cow:
				  * and snapshot pages copied back) */
	uint64_t bytes_copied;   /* bytes the restores wrote into guest memory */
	uint64_t pages_retained; /* host-cow: snapshot pages the guest writes in
				  * place with no fault, as each restore left
				  * them (summed); retain: copies kept; 0 under
				  * rewrite and rewind */
	uint64_t retain_dropped; /* retain: copies its cap left unmapped (summed) */
	/* calls: copy-on-write faults the calls took (sandbox_last_call_cow_faults) */
	uint64_t cow_faults;
	/* snapshots: sums over the snapshots this step took */
	uint64_t snapshots;
	uint64_t pages_mapped, pages_copied, pages_aliased, pt_pages, zero_pages;
	uint64_t snapshot_bytes; /* image bytes (guest-visible + page tables) */
	/* snapshots: how many were incremental (snapshot/snap_incr.c), and
	 * what sharing with their parents gave (struct snap_stats) */
	uint64_t snapshots_incremental, pages_shared, pt_pages_new, pages_deduped, bytes_new;
	/* the first full snapshot's reason for not being incremental ("" none) */
	char full_reason[160];
};

/* The machine's own units of cost, measured in the same run, before and
 * after (each scenario for the sandbox exit, the whole run for the real-mode
 * exit), every sample of both pooled: the medians are the medians of the
 * pooled samples (runner_calibration.c). Ratios divide by the medians.
 *
 * The sandbox exit: CALIBRATION_SANDBOX_ROUNDS samples before the scenario
 * and as many after it, each (time of CALIBRATION_SANDBOX_EXITS exits - time
 * of none) / CALIBRATION_SANDBOX_EXITS in one call. A calibration is flagged
 * (`warning`) when its interquartile range exceeds CALIBRATION_IQR_WARN_PCT
 * percent of its median, or its before and after medians differ by more
 * than CALIBRATION_DRIFT_WARN_PCT percent of the median (the real-mode exit
 * too, against its own). */
#define CALIBRATION_SANDBOX_ROUNDS 101
#define CALIBRATION_SANDBOX_EXITS 10
#define CALIBRATION_REAL_MODE_EXITS 5000
#define CALIBRATION_IQR_WARN_PCT 20
#define CALIBRATION_DRIFT_WARN_PCT 15
struct calibration {
	uint64_t exit_real_mode_ns; /* median bare exit, real-mode throwaway VM */
	uint64_t exit_sandbox_ns;   /* median bare exit from a sandbox in the scenario's call mode */
	double memset_gib_per_s;    /* memset bandwidth, one core (the better of before and after) */
	/* schema 5 (0 / "" in reports of older schemas) */
	uint64_t exit_sandbox_p25_ns, exit_sandbox_p75_ns; /* its interquartile range */
	uint64_t exit_sandbox_before_ns, exit_sandbox_after_ns; /* medians of each half; after
								 * 0: not measured (failed) */
	uint64_t exit_sandbox_samples; /* samples pooled (before + after) */
	uint64_t exit_real_mode_before_ns, exit_real_mode_after_ns;
	uint64_t timer_overhead_ns; /* vmm_now_ns() back to back, median, once per run */
	char warning[256];          /* "" or what makes the calibration doubtful */
};

/* The text of the expectation the runner adds, failed, when executions
 * failed that the scenario does not allow (runner.h, "Failed calls"). */
#define RESULTS_NO_ERRORS_EXPECT "errors == 0 for every step (implied)"

/* One expectation of a regression scenario, judged. */
struct expect_result {
	char text[256];   /* as written */
	bool passed;
	double got;       /* the measured value (ns for latencies) */
	char why[256];    /* when it failed: what was measured against what */
};

/* One option as the scenario ran it (repeatable options joined by "; ",
 * never cut short: value is malloc'd, freed by run_report_free). */
struct option_echo {
	char name[32];
	char *value;
};

/* An open-loop scenario (option rate > 0, runner.h): how the schedule held.
 * Recorded iterations only (warm-up excluded), all sandboxes. */
struct open_loop_stats {
	uint64_t rate_per_sandbox;   /* the option: iterations/s each sandbox is asked for */
	double rate_target_per_s;    /* rate x sandboxes: the scenario's target */
	/* recorded iterations / recording time (the longest of the sandboxes'
	 * spans from the start of their first recorded iteration to the end of
	 * their last, or to when the next one was due if that is later, so
	 * that N on-time iterations span N periods; time paused by a
	 * between_steps hook taken out); 0 when none was recorded */
	double rate_achieved_per_s;
	struct hist iteration;       /* end to end: from when it was due to its last step's end */
	struct hist queueing_delay;  /* start - due (0 when on time): waiting behind earlier ones */
	struct hist sleep_overshoot; /* on-time iterations: woken - due (the scheduler's lateness) */
};

struct scenario_result {
	char name[64];            /* the run name: "NAME" or "NAME [STRATEGY]", after "FILE:"
				   * when two files of one run share NAME (cli/cmd_run.c) */
	/* the strategy every sandbox of the scenario ran with:
	 * sandbox_restore_strategy_name() ("rewrite" in reports of schema 3,
	 * when it was the only one) */
	char restore_strategy[SCENARIO_STRATEGY_NAME_MAX + 1];
	/* pages a call re-dirties after a restore, as the scenario declares
	 * it (option dirtied_pages); SCENARIO_NONE = not declared */
	uint64_t dirtied_pages;
	/* the way of serving calls it declares in a scaling series (option
	 * scaling: "reuse", "restore-per-call", "create-per-call"); "" = none
	 * (and in reports written before the option). A report read may hold
	 * a name this build does not know (a newer one's): kept as written */
	char scaling[SCENARIO_SCALING_NAME_MAX + 1];
	char description[256];
	char file[256];
	/* schema 5: XXH3-128 of the scenario file as parsed, 32 hex digits;
	 * "" for the built-in scenarios and in older reports */
	char file_digest[33];
	struct option_echo *options;
	size_t n_options;
	struct step_stats *steps; /* one per distinct label, in first-use order */
	size_t n_steps;
	uint64_t iterations;      /* recorded iterations (after warm-up), all sandboxes,
				   * all runs */
	/* How many times the scenario ran (`snapbench run --repeat N`), each
	 * run a fresh start of it, the runs of a set interleaved (the whole
	 * set once, then again). Rows, counters, iterations and wall time are
	 * sums over the runs; each row keeps a histogram per run. 1: once. */
	unsigned runs;            /* (the calibration is the first run's) */
	uint64_t warmup;
	uint64_t sandboxes;
	uint64_t heap_bytes;      /* the layout it ran with (for plots across scenarios) */
	uint64_t scratch_bytes;
	uint64_t wall_ns;         /* whole scenario, warm-up included */
	uint64_t rss_bytes;       /* process resident set after the scenario */
	struct calibration cal;
	struct expect_result *expects;
	size_t n_expects;
	/* open loop (rate > 0): the schedule's statistics; NULL for a closed
	 * loop (and in reports of schema < 5). malloc'd, freed by run_report_free */
	struct open_loop_stats *open_loop;
	/* option pool > 0: the run's sandbox pool (vmm/sandbox_pool.h); size 0
	 * = none (and in reports without a "pool" object). Summed over runs
	 * (idle_end: the last run's). */
	struct pool_result {
		uint64_t size;              /* max_idle */
		uint64_t prefilled;         /* made idle before the run (no load step) */
		uint64_t idle_end;          /* idle after the run (every scrub done) */
		uint64_t takes_pooled, takes_fresh, takes_unscrubbed, takes_full;
		uint64_t puts_kept, puts_destroyed;
		uint64_t scrubs, scrub_failures, scrub_ns_total;
		uint64_t scrub_cpu_ns_total; /* the cleaner's CPU time in them (0: not recorded) */
	} pool;
	bool failed;              /* the run stopped early; `error` says why */
	/* Stopped on purpose by the caller's between_steps hook (runner.h),
	 * not a failure: `iterations` counts the completed ones, `error` says
	 * where it stopped, expectations are not judged. Only runs with hooks
	 * (the curses UI) set it; reports do not print it. */
	bool stopped;
	char error[512];
};

struct machine_facts {
	char cpu[128];
	char kernel[128];
	char hypervisor[64]; /* the KVM module under us, e.g. "kvm_pvm", or "" */
	/* schema 5: its /sys/module/NAME/version, else its srcversion, else
	 * "built-in" (a module built into the kernel has neither), else "" */
	char hypervisor_version[64];
	unsigned cpus;
	uint64_t mem_bytes;
};

/* How the snapbench that ran was built (schema 5; "" in older reports):
 * meson's view of the compiler and the options that change timings. */
struct build_facts {
	char compiler[64];     /* "gcc 12.2.0" */
	char buildtype[24];    /* "debugoptimized" */
	char optimization[8];  /* "2" */
	char sanitize[48];     /* "none", "address,undefined" */
	char c_args[128];      /* extra C flags, space-separated ("" for none) */
};

struct run_report {
	char tool_version[32];
	int schema_version;  /* the runner's RESULTS_SCHEMA_VERSION, or the
			      * version a report was read from (then the
			      * fields newer schemas added are 0 / defaults) */
	char started[32];    /* UTC, ISO 8601 */
	/* schema 5: the command that ran (argv joined, shell-quoted where
	 * needed) and where; malloc'd, NULL = not recorded */
	char *command_line;
	char *working_dir;
	struct build_facts build;
	struct machine_facts machine;
	struct scenario_result *scenarios;
	size_t n_scenarios;
};

/* Free everything a report owns (arrays of scenarios, options, steps,
 * expectations); the struct itself is the caller's. */
void run_report_free(struct run_report *r);
/* Free what one scenario's result owns (options, steps, expectations). */
void scenario_result_free(struct scenario_result *s);

/* Add s's executions into d: the histogram merged (not the per-run ones),
 * errors and every counter summed, the first error message kept. */
void step_stats_add(struct step_stats *d, const struct step_stats *s);

/* The step stats with this row name, or NULL. */
const struct step_stats *scenario_result_step(const struct scenario_result *s, const char *label);
/* The row of step label `step` in `variant`, or NULL. */
const struct step_stats *scenario_result_row(const struct scenario_result *s, const char *step,
					     enum scenario_variant variant);

/* The post-restore penalty of one call label (DESIGN.md 9). */
struct post_restore_penalty {
	const struct step_stats *first;  /* the "(first after restore)" row */
	const struct step_stats *steady; /* the "(steady)" row; NULL: no steady call
					  * of that label was recorded, no penalty */
	uint64_t first_p50_ns, steady_p50_ns;
	int64_t penalty_ns;              /* first_p50_ns - steady_p50_ns (with steady) */
};

/* The penalty of `first` when it is a "(first after restore)" row with
 * executions; false for any other row. One per call label, in row order:
 * iterate over the rows. */
bool scenario_result_penalty(const struct scenario_result *s, const struct step_stats *first,
			     struct post_restore_penalty *out);

/* The restore-to-ready overhead of a scenario, read as one cell of a
 * restore-strategy sweep: restore + first call - steady call, from p50s.
 * The restore: every "(same snapshot)" restore row together (the restore
 * a loop repeats), or every restore row when none was of the same
 * snapshot; the call: the first call label with a post-restore penalty
 * (a steady call recorded). */
struct restore_overhead {
	uint64_t restore_p50_ns;
	struct post_restore_penalty penalty; /* penalty.steady != NULL */
	int64_t overhead_ns;                 /* restore_p50_ns + penalty.penalty_ns */
};
/* false (and why, a static string) when a part is missing. */
bool scenario_result_overhead(const struct scenario_result *s, struct restore_overhead *out,
			      const char **why);

/* The pool line of a scenario's header (text and HTML reports): "4
 * sandboxes (4 made before the run); creates 190 pooled, 0 fresh; ...".
 * Empty when the scenario had no pool (size 0). Returns snprintf's. */
int pool_result_summary(const struct pool_result *p, char *buf, size_t bytes);

#endif
