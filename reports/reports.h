/* reports.h — reports of a run (struct run_report, results.h): JSON, text,
 * HTML, and the comparison of two runs against per-metric thresholds.
 *
 * Library code: nothing here exits or aborts; errors come back in a
 * struct sb_err (or as -1 from report_compare).
 *
 * JSON (schema RESULTS_SCHEMA_VERSION; units in the keys; keys in this
 * order, always all present):
 *   tool_version, schema_version, started,
 *   machine {cpu, kernel, hypervisor, cpus, mem_bytes},
 *   scenarios [ {name ("NAME" or "NAME [STRATEGY]"), description, file,
 *     restore_strategy ("rewrite", "host-cow": every sandbox's), dirtied_pages
 *     (as the scenario declares it, or null), options {NAME: VALUE, ...},
 *     iterations, warmup, sandboxes, heap_bytes, scratch_bytes, wall_ns,
 *     rss_bytes,
 *     calibration {exit_real_mode_ns, exit_sandbox_ns, memset_gib_per_s},
 *     failed, error, expects [ {text, passed, got, why} ],
 *     steps [ {label (the row name), step (the step label), kind,
 *       variant ("" or a row of scenario.h: "first after create", "first
 *       after restore", "steady", "same snapshot", "other snapshot"),
 *       count, errors, overflow, min_ns, max_ns, mean_ns, stddev_ns,
 *       percentiles_ns {"p50", "p90", "p99", "p99.9", "p99.99"},
 *       histogram_buckets [ [lower_ns, upper_ns, count], ... ]  (non-empty
 *         buckets, increasing; values in [lower_ns, upper_ns] inclusive),
 *       pages {scratch_pages, exits, cow_faults, full_restores, pages_reset,
 *         bytes_copied, pages_retained, snapshots, pages_mapped, pages_copied,
 *         pages_aliased, pt_pages, zero_pages, snapshot_bytes}  (sums over
 *         the executions; cow_faults on call rows: the copy-on-write faults
 *         the calls took; full_restores, pages_reset, bytes_copied and
 *         pages_retained on restore rows: the restores that were full, at
 *         most count, the pages they reset, the bytes they wrote into guest
 *         memory, and the snapshot pages each left writable in place),
 *       ratios {p50_over_exit_sandbox, p50_over_exit_real_mode} (null when
 *         that calibration is 0) } ],
 *     post_restore_penalties [ {step, first_after_restore_p50_ns,
 *       steady_p50_ns, penalty_p50_ns (first - steady: may be negative),
 *       ratios {penalty_over_exit_sandbox}} ]  (one per call label with
 *       first calls after a restore recorded, in row order; steady_p50_ns,
 *       penalty_p50_ns and the ratio are null when no steady call of that
 *       label was recorded: no penalty is invented) } ]
 * Integers are JSON integers (below 2^63). Reals (mean_ns, stddev_ns,
 * got, memset_gib_per_s, ratios) are rounded to 3 decimals for ns and
 * ratios and printed with 15 significant digits, so writing what was read
 * gives the same bytes.
 *
 * Reading back: each step's histogram is rebuilt from its buckets (every
 * bucket's count recorded at its lower bound with hist_record_n), then its
 * totals are set as written: count, overflow, min_ns and max_ns exactly,
 * and the sums behind hist_mean()/hist_stddev() are derived from mean_ns
 * and stddev_ns (so they give the written values to the written precision).
 * A percentile is the upper bound of a bucket capped at max, so the
 * percentiles of the read-back histogram are those written; the reader
 * checks it, and checks that the bucket counts add up to count.
 * Derived values (ratios, post_restore_penalties) are checked for type
 * (the penalties also against the rows: one per label, same order) and
 * recomputed. Schema 3 (before restore strategies) is read too: without
 * restore_strategy (read as "rewrite", the only restore then), dirtied_pages
 * (none), cow_faults, bytes_copied and pages_retained (0); the report keeps
 * schema_version 3, and writing it gives schema 3 again, byte for byte
 * (report_compare does not judge the counters schema 3 lacks). Older
 * schemas are not read, and the message says what they lack: schema 1 (rows
 * not split by variant, no penalties: its "restore base" row mixed restore
 * paths), schema 2 (no full_restores, pages_reset: a restore row's light
 * and full restores cannot be told apart).
 */
#ifndef SNAPBENCH_REPORTS_REPORTS_H
#define SNAPBENCH_REPORTS_REPORTS_H

#include <stdbool.h>
#include <stdio.h>

#include "err.h"
#include "results.h"

/* ---- JSON ------------------------------------------------------------------ */

/* Write the report as JSON (one document, 2-space indent, final newline).
 * Returns 0, or -1 with err set (a value that JSON cannot hold, I/O). */
int report_write_json(const struct run_report *r, FILE *f, struct sb_err *err);

/* Read a report written by report_write_json(). *r is overwritten (free it
 * with run_report_free() on success; on error it is left empty). Errors
 * name the file and the JSON path of the bad field, e.g.
 *   base.json: scenarios[2].steps[0].percentiles_ns.p99: not a number
 * and a schema mismatch states both versions. */
int report_read_json(struct run_report *r, const char *path, struct sb_err *err);

/* ---- text and HTML ------------------------------------------------------------ */

/* Per scenario: header (with its restore strategy), step summary (µs;
 * restore rows read as restore-to-ready), post-restore penalties, page
 * statistics, calibration and ratios, expectations; with `distribution`
 * the HdrHistogram percentile distribution of every step. Then, when
 * scenarios declare dirtied_pages, the restore strategies side by side:
 * one line per such scenario with its restore-to-ready overhead and its
 * ratio to the run's sandbox exit. Returns 0, or -1 when writing failed. */
int report_write_text(const struct run_report *r, FILE *f, bool distribution);

/* One self-contained HTML page (inline CSS and SVG, no scripts, no URLs):
 * summary tables, post-restore penalty tables, percentile curves per
 * scenario, restore-to-ready latency against heap size and pages dirtied
 * per call against restore time across scenarios, and the restore
 * strategies side by side (restore-to-ready overhead against the pages
 * the scenarios declare dirtied, per heap size, one line per strategy,
 * and a table of ratios to the sandbox exit per cell). Returns 0, or -1
 * with err set. */
int report_write_html(const struct run_report *r, FILE *f, struct sb_err *err);

/* ---- compare ------------------------------------------------------------------- */

enum compare_metric {
	COMPARE_P50,
	COMPARE_P90,
	COMPARE_P99,
	COMPARE_P99_9,
	COMPARE_MEAN,
	COMPARE_MAX,
	COMPARE_SCRATCH_PAGES, /* scratch_pages per execution of a call step */
	COMPARE_PAGES_COPIED,  /* pages_copied per snapshot of a snapshot step */
	COMPARE_FULL_RESTORES, /* full_restores per execution of a restore step
				* (the share of full restores, 0 to 1) */
	COMPARE_PAGES_RESET,   /* pages_reset per execution of a restore step */
	COMPARE_COW_FAULTS,    /* cow_faults per execution of a call step */
	COMPARE_BYTES_COPIED,  /* bytes_copied per execution of a restore step */
	COMPARE_PAGES_RETAINED, /* pages_retained per execution of a restore step;
				 * fewer is the regression (more faults follow) */
	COMPARE__COUNT
};

/* Allowed increase in percent per metric; a negative value turns the
 * metric off (it is still printed, never judged).
 * Defaults (compare_thresholds_default):
 *   p50 10%, p90 15%, p99 25%, p99.9 50%, mean 10%, max off,
 *   scratch_pages 0%, pages_copied 0%, full_restores 0%, pages_reset 0%,
 *   cow_faults 0%, bytes_copied 0%, pages_retained 0%
 *   (the page counters are compared exactly).
 * A value above base * (1 + limit/100) is a REGRESSION; one below
 * base * (1 - limit/100) is IMPROVED (for 0%: any increase / decrease);
 * pages_retained the other way round (fewer pages kept writable: more
 * faults). The counters schema 4 added (cow_faults, bytes_copied,
 * pages_retained) are not judged when either report is of schema 3. */
struct compare_thresholds {
	double pct[COMPARE__COUNT];
};

/* "p50", "p99.9", "scratch_pages", ... */
const char *compare_metric_name(enum compare_metric m);
void compare_thresholds_default(struct compare_thresholds *t);
/* Apply "METRIC=P%" (the % is optional) or "METRIC=off". METRIC is a
 * metric name, "pages" (every page counter: scratch_pages, pages_copied,
 * full_restores, pages_reset, cow_faults, bytes_copied, pages_retained) or
 * "all" (every metric).
 * Returns 0, or -1 with err set. */
int compare_threshold_parse(struct compare_thresholds *t, const char *spec, struct sb_err *err);

/* Compare `cur` with `base`: scenarios matched by name, steps by label.
 * Prints a table to `out` (NULL: print nothing): scenario, step, metric,
 * base, new, change %, limit, verdict (OK, REGRESSION, IMPROVED, NEW,
 * MISSING, FAILED), then a summary line. Regressions: a metric above its
 * limit, a scenario or step of base missing from cur, a scenario that
 * failed in cur, each failed expectation in cur. NEW scenarios and steps
 * are informational. Returns the number of regressions, or -1 when
 * writing to `out` failed. */
int report_compare(const struct run_report *base, const struct run_report *cur,
		   const struct compare_thresholds *t, FILE *out);

#endif
