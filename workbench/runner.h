/* runner.h — running scenarios and measuring them.
 *
 * Each scenario: its guest (the embedded test guest unless `guest` names
 * an ELF) is laid out with the scenario's sizes; `sandboxes` threads each
 * run the step list `iterations` times (or for `duration`), the first
 * `warmup` iterations unrecorded. Every step's latency goes into the
 * histogram of its label; calls also count the scratch pages the guest
 * took and the VM exits, snapshots their page statistics. Then the
 * expectations are judged.
 *
 * Step semantics at run time:
 *   create    from the last snapshot loaded before it in this iteration, or
 *             from the scenario's guest (built once per scenario)
 *   save FILE with several sandboxes, sandbox N > 0 writes FILE.N
 *   rate > 0  open loop: iteration i of a sandbox is due at start + i/rate;
 *             a late iteration's first step is timed from when it was due,
 *             so waiting behind a slow iteration is counted
 *             (coordinated-omission correction)
 * A step that fails stops the scenario (its result says why); a call whose
 * guest function reports an error is counted in `errors` and the run goes on.
 */
#ifndef SNAPBENCH_WORKBENCH_RUNNER_H
#define SNAPBENCH_WORKBENCH_RUNNER_H

#include <stdbool.h>

#include "err.h"
#include "results.h"
#include "scenario.h"

struct runner_options {
	bool progress;           /* draw a progress line on stderr */
	const char *tool_version;
};

/* Run every scenario of the set; one scenario_result each (a failed
 * scenario is recorded, not fatal). -1 only when the run cannot start at
 * all (no KVM, out of memory). */
int runner_run(const struct scenario_set *set, const struct runner_options *o,
	       struct run_report *out, struct sb_err *err);

/* Facts about this machine for reports. */
void runner_machine_facts(struct machine_facts *m);

#endif
