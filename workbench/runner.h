/* runner.h — running scenarios and measuring them.
 *
 * Each scenario: its guest (the embedded test guest unless `guest` names
 * an ELF) is laid out with the scenario's sizes; `sandboxes` threads each
 * run the step list `iterations` times (or for `duration`), the first
 * `warmup` iterations unrecorded. Every step's latency goes into the
 * histogram of its row (scenario.h, "Rows"; a failed call's does not: see
 * "Failed calls" below); calls also count the scratch
 * pages the guest took during the call and the VM exits, restores whether
 * they were full and the scratch pages they reset (sandbox_last_restore(),
 * read after the clock stopped), snapshots their page statistics. Then
 * the expectations are judged.
 *
 * Rows: the first call step run after a create goes to "LABEL (first
 * after create)", the first after a restore (other steps, a snapshot say,
 * may come between) to "LABEL (first after restore)", every other call
 * to "LABEL (steady)". A restore goes to "LABEL (same snapshot)" when
 * sandbox_current_snapshot() is already the snapshot it restores, else
 * to "LABEL (other snapshot)" (decided before the clock starts). A
 * restore path never taken has no row in the result.
 *
 * What is timed: the step's operation alone. Finding the snapshot a
 * restore or save names, forming a save or load path, keeping the
 * snapshot a step took or loaded (which may drop, and unmap, the one it
 * replaces) happen outside the clock.
 *
 * Step semantics at run time:
 *   create    from the last snapshot loaded before it in this iteration, or
 *             from the scenario's guest (built once per scenario)
 *   save FILE relative to runner_options.file_dir when it is set; never
 *             over a file that is not a snapshot file; with several
 *             sandboxes, sandbox N > 0 writes FILE.N (load reads FILE.N,
 *             or FILE when there is none)
 *   end       a sandbox still alive when the step list ends is destroyed
 *             there, untimed (the next iteration starts with none)
 *   map       FILE (relative to the scenario file's directory) is read into
 *             read-only memory before the clock starts (a copy: a file
 *             truncated meanwhile cannot fault the host) and kept until
 *             the sandbox is destroyed; the row times sandbox_map_region()
 *   cancel    arms the next call: a thread started before the clock cancels
 *             it (sandbox_cancel) TIME after it starts; its time until it
 *             returned SB_E_CANCELLED goes to the cancel step's row (arming
 *             the thread, a lock and a signal, is inside). A call that
 *             returns first, or fails otherwise, fails the scenario
 *   call ... == VALUE
 *             the result is compared after the clock stopped; a mismatch
 *             fails the scenario ("returned X, expected Y")
 *   rate > 0  open loop, `rate` iterations per second per sandbox:
 *             iteration i of a sandbox is due at start + i/rate. One that
 *             is on time sleeps until it is due; one that is late (the
 *             iterations before it overran) starts at once. Every step,
 *             the first one too, is timed from when it really starts: a
 *             step's row holds what the step cost, never the wait. What
 *             the schedule did is recorded apart (results.h, struct
 *             open_loop_stats; runner_open_loop.c), recorded iterations
 *             only: the queueing delay (start - due, 0 when on time: the
 *             coordinated-omission part, what a client waiting at the
 *             due time would have seen on top of the steps), the time
 *             from due to the iteration's end (end to end), the on-time
 *             sleeps' overshoot (woken - due: the scheduler, not the
 *             sandbox), the target rate (rate x sandboxes) and the rate
 *             achieved. Below 95 % of the target the reports warn that
 *             the rate is unsustainable.
 *
 * Failed calls: a call whose guest function reports an error (SB_E_CALL:
 * no such function, wrong arguments, the function said no; the sandbox
 * is fine) is counted in its row's `errors`, its first message kept in
 * `first_error`; it is not timed (not in the histogram, nor in the page
 * counters) and the run goes on. Any other failure of a step (a guest
 * fault, a restore that fails) stops the scenario: `failed`, `error`
 * says where and why, and the row counts it too. When the scenario ends,
 * each distinct failure (a step label and its first message) is printed
 * once on runner_options.failures: "FILE:LINE: [SCENARIO] step 'LABEL':
 * call 'NAME' failed N times: MESSAGE". Failed calls fail the scenario
 * unless it allows them (option allow_errors = true, or an expectation on
 * the errors of their row, which then judges them): the runner adds a
 * failed expectation RESULTS_NO_ERRORS_EXPECT to its result, whose `why`
 * says how many failed and the first message, so `snapbench run` exits 1
 * and `compare` counts a regression.
 *
 * Host calls (host_functions = builtin): every sandbox of the scenario gets
 * the built-in host functions (host_fns.h). Each one the guest calls
 * notes the host's clock at its entry; the time from one host call's
 * entry to the next's within the same guest call is one round trip (the
 * guest's exit, the host's dispatch and function, the reply, the re-entry,
 * the guest's next request), recorded, when the iteration is, in the row
 * "host call NAME" of the earlier call's function (kind
 * SCENARIO_STEP_HOST_CALL). A row no round trip went to is dropped.
 */
#ifndef SNAPBENCH_WORKBENCH_RUNNER_H
#define SNAPBENCH_WORKBENCH_RUNNER_H

#include <stdbool.h>
#include <stdio.h>

#include "err.h"
#include "results.h"
#include "scenario.h"

/* crashdump = DIR: cores a scenario's run writes at most, all its
 * sandboxes together (a sandbox writes at most SANDBOX_CRASHDUMP_MAX_FILES;
 * a loop that cancels a call in a new sandbox each iteration would write
 * one core per iteration). */
#define RUNNER_CRASHDUMP_MAX_FILES 64

struct sandbox;

/* Optional hooks into a run, for a caller that watches it (the curses UI's
 * live view). All NULL (a zeroed struct) = none: the hot path then pays
 * one NULL check per step and `snapbench run` is unchanged.
 *
 * between_steps(ctx, sc, sandbox, next, sb)
 *   Called on sandbox `sandbox`'s worker thread before every step it runs:
 *   each top-level step, and each step inside a repeat block every time
 *   round (never for the repeat block itself), in every iteration, warm-up
 *   included. `next` is the step about to run; `sb` is the worker's
 *   sandbox, or NULL when none exists (before the first create, after a
 *   destroy). No runner lock is held; the hook may block (pause) as long
 *   as it likes. The sandbox is quiescent and owned by this thread, so the
 *   hook may use it from this thread: sandbox_snapshot() to inspect it
 *   (that advances the sandbox's generation by one, so later snapshot
 *   steps of that sandbox number one higher), or read its statistics. It
 *   must not destroy, restore or call it, nor keep `sb` after returning.
 *   Time spent in the hook is not measured: it never lands in a step's
 *   latency, and `duration` and the open-loop schedule (`rate`) are moved
 *   on by it. Return false to stop: the scenario ends at the next step
 *   boundary of each of its sandboxes, its result has `stopped` set (not
 *   `failed`; `error` says where it stopped, `iterations` counts only the
 *   iterations that completed, expectations are reported as not judged),
 *   and runner_run runs no further scenario of the set.
 *
 * on_progress(ctx, sc, partial, done, total)
 *   Called after every step that ran (recorded or not) and after every
 *   completed iteration, on the worker thread that ran it, WITH a runner
 *   mutex held: concurrent calls of one scenario are serialised and
 *   `partial` is consistent (steps and n_steps: the statistics of every
 *   sandbox so far, warm-up excluded, labels in first-use order and never
 *   re-ordered; other fields are not filled). Copy what you need and
 *   return quickly; do not call into the runner or block. `done`:
 *   iterations finished by all sandboxes, warm-up included; `total`:
 *   iterations x sandboxes, 0 when the scenario runs for a duration.
 *   The final numbers are in runner_run's report (the same as the last
 *   partial).
 */
struct runner_hooks {
	void *ctx;
	bool (*between_steps)(void *ctx, const struct scenario *sc, unsigned sandbox,
			      const struct scenario_step *next, struct sandbox *sb);
	void (*on_progress)(void *ctx, const struct scenario *sc, const struct scenario_result *partial,
			    uint64_t done, uint64_t total);
};

struct runner_options {
	bool progress;           /* draw a progress line on stderr */
	const char *tool_version;
	/* Run the whole set this many times (0 or 1: once): the set once,
	 * then again, each scenario's runs added into one result with a
	 * histogram per run of each row (results.h, runs). Expectations on
	 * counts (count, full_restores, errors) are judged in every run, the
	 * others on the runs together. */
	unsigned repeat;
	struct runner_hooks hooks; /* zeroed = none */
	/* where each scenario's failures are printed at its end (see "Failed
	 * calls"); NULL = not printed (they are in the results either way) */
	FILE *failures;
	/* where relative save and load paths resolve (the run's output
	 * directory); NULL = the current directory. A save never replaces a
	 * file that is not a snapshot file (nor a symbolic link). */
	const char *file_dir;
};

/* Run every scenario of the set; one scenario_result each (a failed
 * scenario is recorded, not fatal; a stopped one ends the run, see
 * between_steps). -1 only when the run cannot start at all (no KVM, out
 * of memory). */
int runner_run(const struct scenario_set *set, const struct runner_options *o,
	       struct run_report *out, struct sb_err *err);

/* Facts about this machine for reports. */
void runner_machine_facts(struct machine_facts *m);

#endif
