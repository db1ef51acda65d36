/* report_scaling.h — the scaling table (not public): the scenarios that
 * declare a way of serving calls (option scaling) form series, one per
 * restore strategy, heap size and call mode; each series is a table with
 * one row per way and one column per sandbox count, each cell the calls
 * per second over all threads and the p50 of the call and of the per-call
 * overhead over the sandbox exit. The text report and the HTML report
 * print the same tables. */
#ifndef SNAPBENCH_REPORTS_REPORT_SCALING_H
#define SNAPBENCH_REPORTS_REPORT_SCALING_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "results.h"

/* A way's row name: the declared name, and " (pooled)" for a
 * create-per-call scenario that ran with a pool (option pool, issue 15's
 * pool, not 0). */
#define SCALING_WAY_MAX (SCENARIO_SCALING_NAME_MAX + 10)

/* One scenario of a series: its place in the table and what it measured. */
struct scaling_cell {
	const struct scenario_result *s;
	char way[SCALING_WAY_MAX];
	bool ok;             /* measured; else `why` says what is missing */
	const char *why;
	uint64_t calls;      /* call executions recorded, every thread */
	double busy_ns;      /* sum over the way's steps of mean x count */
	double calls_per_s;  /* calls / (busy_ns / sandboxes) */
	uint64_t call_p50_ns;     /* every call row together */
	bool has_overhead;        /* reuse has none */
	uint64_t overhead_p50_ns; /* restore; create + destroy (p50 of each) */
	bool call_few, overhead_few; /* a p50 on few samples (report_units.h) */
	uint64_t exit_ns;    /* the series' sandbox exit: SCALING_EXIT_NOTE */
};

/* A series: its cells by way (rows) and sandbox count (columns). */
#define SCALING_MAX_WAYS 8
#define SCALING_MAX_COUNTS 16
struct scaling_series {
	const char *strategy; /* the restore strategy of its scenarios */
	uint64_t heap_bytes;
	const char *mode;     /* option mode as echoed ("user"), "" if none */
	char ways[SCALING_MAX_WAYS][SCALING_WAY_MAX];
	size_t n_ways;
	uint64_t counts[SCALING_MAX_COUNTS]; /* sandboxes, increasing */
	size_t n_counts;
	/* [way][count]: index into the run's cells, or -1 (no scenario) */
	int cell[SCALING_MAX_WAYS][SCALING_MAX_COUNTS];
	uint64_t exit_ns;     /* the lowest sandbox exit of its scenarios */
};

/* Every series of a run. Scenarios that do not fit a table (a second
 * scenario of the same way and count, past SCALING_MAX_WAYS or
 * SCALING_MAX_COUNTS) are `left_out`, with why. */
struct scaling_report {
	struct scaling_cell *cells; /* in report order */
	size_t n_cells;
	struct scaling_series *series;
	size_t n_series;
	struct scaling_left_out {
		const struct scenario_result *s;
		const struct scenario_result *taken; /* the cell's scenario, or NULL */
		const char *why;
	} *left_out;
	size_t n_left_out;
};

/* Build it (0), or -1 when out of memory; n_cells 0 when no scenario
 * declares scaling. Free with scaling_report_free. */
int scaling_report_build(const struct run_report *r, struct scaling_report *out);
void scaling_report_free(struct scaling_report *sr);

/* How the cells are computed: the same words in text and HTML. */
#define SCALING_RATE_NOTE                                                                         \
	"calls/s: the calls recorded, all threads, over the time the threads spent in the way's "  \
	"steps (each step's mean x count, summed, divided by the sandboxes: the threads run side " \
	"by side): reuse the calls, restore-per-call the restores and calls, create-per-call the " \
	"creates, calls and destroys. Not the wall time: that also holds the scenario's snapshot " \
	"build and calibration, the warm-up iterations and the set-up steps no call needs "        \
	"(reuse's create and destroy, each iteration's load), which with more sandboxes than "     \
	"cpus also take cpu from the other threads' calls. A thread waiting for a cpu inside a "   \
	"step is charged to it; the runner's bookkeeping between steps (a few us) is not"
#define SCALING_RATIO_NOTE                                                                        \
	"per call: the threads' time per call, all together (1 / calls/s), / sandbox exit; "       \
	"call: p50 of every call / sandbox exit; overhead: p50 of the restores (restore-per-call), " \
	"p50 of the creates + p50 of the destroys (create-per-call), / sandbox exit; reuse has no " \
	"per-call overhead"
#define SCALING_EXIT_NOTE                                                                         \
	"the sandbox exit the ratios divide by is the series': the lowest measured among its "     \
	"scenarios (each measures one before and after it runs, on a machine not yet loaded by "   \
	"its threads), one yardstick for every cell"

/* The tables after the scenarios; nothing when no scenario declares
 * scaling. 0, or -1 when out of memory. */
int report_text_scaling(FILE *f, const struct run_report *r);
int report_html_scaling(FILE *f, const struct run_report *r);

#endif
