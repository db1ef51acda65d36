/* report_util.h — helpers shared by the report writers (not public). */
#ifndef SNAPBENCH_REPORTS_REPORT_UTIL_H
#define SNAPBENCH_REPORTS_REPORT_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "results.h"

/* Round to 3 decimals (ns to the picosecond, ratios to a thousandth):
 * the precision reals are written with. */
double report_round3(double x);

/* p50 / calibration, rounded as written; false when the calibration is 0. */
bool report_ratio(uint64_t p50_ns, uint64_t cal_ns, double *out);

/* A signed value (a penalty) / calibration, rounded as written; false
 * when the calibration is 0. */
bool report_ratio_signed(int64_t ns, uint64_t cal_ns, double *out);

/* Nanoseconds as microseconds with 3 decimals ("12.345"). */
void report_fmt_us(char *buf, size_t bytes, double ns);

/* Nanoseconds as microseconds with the precision the latency histogram
 * has, 3 significant digits (its error is under 1/128): "0.303", "1.23",
 * "12.3", "123", "17600" (not "17626.936"); below 1 us the nanosecond,
 * "0.020"; 0 as "0". What the text report prints. */
void report_fmt_us_sig3(char *buf, size_t bytes, double ns);

/* Bytes as "64 MiB", "4 KiB", "123 B" (exact binary units, else decimals). */
void report_fmt_bytes(char *buf, size_t bytes, uint64_t b);

/* `text` after `first`, wrapped at 100 columns, later lines indented as
 * far as `first` is long (a note of the text report: first = "   "). */
void report_wrap(FILE *f, const char *first, const char *text);

/* Write s with & < > " ' escaped for HTML text and attribute values. */
void report_html_escape(FILE *f, const char *s);

/* How a report reads its restore rows, and titles its penalties: the same
 * words in text and HTML. */
#define REPORT_RESTORE_NOTE                                                                       \
	"restore rows are restore-to-ready: sandbox_restore() until it returns the sandbox ready " \
	"for a call; work it leaves to the guest's next entry is paid by the first call after "   \
	"it (the post-restore penalty)"
#define REPORT_PENALTY_TITLE                                                                  \
	"post-restore penalty in microseconds (us): p50 of the first call after a restore - p50 " \
	"of the steady calls of the same label"

/* How the reports name the two kinds of restore (the restore page
 * statistics: a restore row's full_restores and pages_reset). */
#define REPORT_RESTORE_KINDS_NOTE                                                                 \
	"restores: a light one resets the dirty data pages and the FPU state; a full one also "  \
	"rewrites the page tables, drops KVM's shadow page tables (a memory-slot change) and "    \
	"resets ring-0 state"

/* What a restore row's copies and retained pages are (the restore
 * strategies). */
#define REPORT_RESTORE_COPIES_NOTE                                                                \
	"bytes copied: what the restores wrote into guest memory; retained: pages the guest "    \
	"writes with no fault, as each restore left them (host-cow: snapshot pages writable in " \
	"place; retain: its copy-on-write copies kept mapped; 0 under rewrite and rewind, where " \
	"every re-dirtied page takes a copy-on-write fault again)"

/* Why the strategies cost what they cost (the sweep, text and HTML). */
#define REPORT_STRATEGIES_WHY_NOTE                                                                \
	"why: under rewrite a call that re-dirties pages takes a copy-on-write fault for each, "  \
	"and the restore after it is full: page tables rewritten and KVM's shadow tables "        \
	"dropped by a memory-slot change (~100-900 us here); rewind pays the same, plus the "      \
	"guest's replay of its undo log in emulated ring 0 first (skipped when the log "          \
	"overflowed, past 254 pages); host-cow and retain write the pages in place after the "    \
	"first restore, so their restores stay light and grow with the pages copied back"

/* A cell of a restore-strategy sweep (report_strategies.c): a scenario
 * that declares dirtied_pages, with its restore-to-ready overhead. */
struct sweep_cell {
	const struct scenario_result *s;
	size_t order;      /* its place in the report */
	bool ok;           /* the overhead exists; else `why` says what is missing */
	const char *why;
	struct restore_overhead o;
	uint64_t exit_ns;  /* the ratio's reference: REPORT_SWEEP_EXIT_NOTE */
};
#define REPORT_SWEEP_EXIT_NOTE                                                                  \
	"the sandbox exit the ratios divide by is the run's: the lowest measured in this run "    \
	"among the cells that call in the same mode (each scenario measures one before and "      \
	"after it runs), one yardstick for every cell"
/* The cells of a run, by heap, pages and place in the report (malloc'd;
 * NULL when out of memory; *n may be 0). */
struct sweep_cell *report_sweep_cells(const struct run_report *r, size_t *n);

/* A restore row with executions: it has restore page statistics. */
bool report_restore_recorded(const struct step_stats *st);

/* Whether s has a row of a step of `kind`. */
bool report_has_kind(const struct scenario_result *s, enum scenario_step_kind kind);

/* Merge the histograms of every step of `kind` into *out (initialised
 * here). Returns how many steps there were. */
size_t report_merge_kind(const struct scenario_result *s, enum scenario_step_kind kind,
			 struct hist *out);

/* Scratch pages per call over all call steps (sum of scratch_pages / sum
 * of executions); false when there were no calls. */
bool report_pages_per_call(const struct scenario_result *s, double *out);

#endif
