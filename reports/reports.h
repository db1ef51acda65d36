/* reports.h — reports of a run (struct run_report, results.h): JSON, text,
 * HTML, and the comparison of two runs against per-metric thresholds.
 *
 * Library code: nothing here exits or aborts; errors come back in a
 * struct sb_err (or as -1 from report_compare).
 *
 * JSON (schema RESULTS_SCHEMA_VERSION; units in the keys; keys in this
 * order, always all present):
 *   tool_version (`git describe --always --dirty` after the project
 *     version, or the project version alone: the build's), schema_version,
 *   started,
 *   command_line (schema 5: argv joined by spaces, each word shell-quoted
 *     where it needs it), working_dir (schema 5),
 *   build {compiler ("gcc 12.2.0"), buildtype, optimization, sanitize
 *     ("none", "address,undefined"), c_args}  (schema 5: meson's options),
 *   machine {cpu, kernel, hypervisor, hypervisor_version (schema 5: the
 *     module's /sys/module/NAME/version or srcversion, "built-in", or ""),
 *     cpus, mem_bytes},
 *   scenarios [ {name ("NAME" or "NAME [STRATEGY]"), description, file,
 *     file_digest (schema 5: XXH3-128 of the file as parsed, 32 hex digits;
 *     "" for the built-in scenarios), restore_strategy ("rewrite", "host-cow": every sandbox's), dirtied_pages
 *     (as the scenario declares it, or null), scaling (schema 5: the way of
 *     serving calls it declares in a scaling series, "reuse",
 *     "restore-per-call", "create-per-call", or null; a report without the
 *     key, from before it, reads as null), options {NAME: VALUE, ...},
 *     iterations, warmup, sandboxes, heap_bytes, scratch_bytes, wall_ns,
 *     rss_bytes,
 *     calibration {exit_real_mode_ns, exit_sandbox_ns (medians of every
 *       sample before and after pooled: what ratios divide by),
 *       memset_gib_per_s, and from schema 5: exit_sandbox_p25_ns,
 *       exit_sandbox_p75_ns (its interquartile range), exit_sandbox_before_ns,
 *       exit_sandbox_after_ns (the median of each half; after 0: not
 *       measured), exit_sandbox_samples (pooled), exit_real_mode_before_ns,
 *       exit_real_mode_after_ns, timer_overhead_ns (vmm_now_ns() back to
 *       back, median, once per run), warning ("" or why the calibration is
 *       doubtful: results.h's bounds)},
 *     failed, error, expects [ {text, passed, got, why} ],
 *     steps [ {label (the row name), step (the step label), kind,
 *       variant ("" or a row of scenario.h: "first after create", "first
 *       after restore", "steady", "same snapshot", "other snapshot"),
 *       count (executions that succeeded: the histogram's), errors
 *       (executions that failed: calls whose guest function reported an
 *       error, not in the histogram; or the step that stopped the
 *       scenario), first_error (the first failure's message, "" when
 *       none; schema 5), overflow, min_ns, max_ns, mean_ns, stddev_ns,
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
 *       label was recorded: no penalty is invented),
 *     open_loop (schema 5; null for a closed loop) {rate_per_sandbox (the
 *       option rate), rate_target_per_s (rate x sandboxes),
 *       rate_achieved_per_s (recorded iterations / the longest sandbox's
 *       recording span: from the start of its first recorded iteration to
 *       the end of its last, or to when the next was due if later),
 *       iteration (due to the end of its last step), queueing_delay
 *       (start - due; 0 when on time), sleep_overshoot (on-time
 *       iterations: woken - due): each a histogram with a step's keys
 *       count, overflow, min_ns, max_ns, mean_ns, stddev_ns,
 *       percentiles_ns, histogram_buckets} } ]
 * Failed calls that a scenario does not allow add a failed expectation
 * "errors == 0 for every step (implied)" (RESULTS_NO_ERRORS_EXPECT) to its
 * expects, its why giving the count and the first message.
 * Integers are JSON integers (below 2^63). Reals (mean_ns, stddev_ns,
 * got, memset_gib_per_s, ratios, open_loop's rates) are rounded to 3 decimals for ns and
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
 * recomputed. Schema 4 (before the run's record, the calibration's spread,
 * failed executions, the open loop and repeated runs) is read too:
 * command_line and working_dir NULL, build, hypervisor_version,
 * file_digest, warning and first_error "", the new calibration numbers 0,
 * open_loop NULL, runs 1; it keeps schema_version 4 and is written back
 * byte for byte. Schema 3 (before restore strategies) is read too: without
 * restore_strategy (read as "rewrite", the only restore then), dirtied_pages
 * (none), cow_faults, bytes_copied and pages_retained (0); the report keeps
 * its schema_version, and writing it gives that schema again, byte for byte
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
/* The same from len bytes of memory (not NUL-terminated); `name` stands
 * for the file in messages. */
int report_read_json_buffer(struct run_report *r, const char *name, const char *text,
			    size_t len, struct sb_err *err);

/* ---- text and HTML ------------------------------------------------------------ */

/* Per scenario: header (with its restore strategy), step summary (µs;
 * restore rows read as restore-to-ready), post-restore penalties, page
 * statistics, calibration and ratios, expectations; with `distribution`
 * the HdrHistogram percentile distribution of every step. Then, when
 * scenarios declare dirtied_pages, the restore strategies side by side:
 * one line per such scenario with its restore-to-ready overhead and its
 * ratio to the run's sandbox exit; and when scenarios declare a scaling
 * way, the scaling table (report_scaling.c). Returns 0, or -1 when writing
 * failed. */
int report_write_text(const struct run_report *r, FILE *f, bool distribution);

/* One self-contained HTML page (inline CSS and SVG, no scripts, no URLs):
 * summary tables, post-restore penalty tables, percentile curves per
 * scenario, restore-to-ready latency against heap size and pages dirtied
 * per call against restore time across scenarios, and the restore
 * strategies side by side (restore-to-ready overhead against the pages
 * the scenarios declare dirtied, per heap size, one line per strategy,
 * and a table of ratios to the sandbox exit per cell), and the scaling
 * table when scenarios declare a scaling way. Returns 0, or -1 with err
 * set. */
int report_write_html(const struct run_report *r, FILE *f, struct sb_err *err);

/* ---- compare ------------------------------------------------------------------- */

/* `snapbench compare`: is NEW slower than BASE? Scenarios are matched by
 * name, rows by label.
 *
 * Latency (per row): the relative change of the median, and of p90, p99
 * and p99.9 when every run of both sides has CMP_MIN_BEYOND (10) samples
 * beyond the percentile, with a bootstrap interval at `confidence`
 * (compare_stats.h: one run a side, or several with `run --repeat`, whose
 * runs are resampled so the variance between runs is part of the interval).
 * The confidence is family-wise: the intervals of all the latency
 * comparisons with enough data hold together with that probability
 * (Bonferroni; cmp_family_interval), so the chance that a comparison of
 * two identical runs flags anything stays near 1 - confidence, however
 * many rows the scenarios have.
 * Verdict: REGRESSED when the whole interval lies above +noise, IMPROVED
 * when it lies below -noise, NOT ENOUGH DATA when a side has too few
 * samples, else WITHIN NOISE. The noise band is 5 % unless --noise says
 * otherwise for the metric, the row, or both.
 *
 * Exact (per execution, no noise band): errors per execution (every row),
 * scratch_pages and cow_faults per call, full_restores, pages_reset,
 * bytes_copied and pages_retained per restore, pages_copied per snapshot.
 * Any increase is REGRESSED (for pages_retained: any decrease), the other
 * way IMPROVED, equal UNCHANGED. Counters a schema-3 report lacks are not
 * judged against it.
 *
 * Structure: a scenario or row of BASE missing from NEW, a scenario that
 * failed in NEW and every expectation that failed in NEW are REGRESSED;
 * scenarios and rows only NEW has are NEW (not judged).
 *
 * Before any of it: the definitions of the scenarios both runs have must
 * be the same (every option as the run echoed it, but description, expect,
 * allow_errors, iterations and duration, which change how many samples
 * there are or how they are judged, not what they measure): else compare refuses (report_compare returns -1 and
 * says which option of which scenario differs) unless `force`. Different
 * machines, kernels, hypervisors or builds give a warning each (none with
 * `force`).
 */
enum compare_verdict {
	CMP_REGRESSED,
	CMP_IMPROVED,
	CMP_WITHIN_NOISE,
	CMP_NOT_ENOUGH_DATA,
	CMP_UNCHANGED, /* an exact counter, equal */
	CMP_NEW,       /* only NEW has it: not judged */
	CMP__VERDICTS
};

enum compare_metric {
	COMPARE_P50,
	COMPARE_P90,
	COMPARE_P99,
	COMPARE_P99_9,
	COMPARE_ERRORS,        /* errors per execution */
	COMPARE_SCRATCH_PAGES, /* per execution of a call step */
	COMPARE_COW_FAULTS,    /* per execution of a call step */
	COMPARE_FULL_RESTORES, /* per execution of a restore step (0 to 1) */
	COMPARE_PAGES_RESET,   /* per execution of a restore step */
	COMPARE_BYTES_COPIED,  /* per execution of a restore step */
	COMPARE_PAGES_RETAINED, /* per execution of a restore step; fewer is worse */
	COMPARE_PAGES_COPIED,  /* per snapshot of a snapshot step */
	COMPARE__METRICS,
	COMPARE_STRUCTURE = COMPARE__METRICS /* a missing row, a failed run, ... */
};

/* "p50", "p99.9", "errors", "scratch_pages", ...; "structure" */
const char *compare_metric_name(enum compare_metric m);
/* "regressed", "improved", "within noise", "not enough data", "unchanged", "new" */
const char *compare_verdict_name(enum compare_verdict v);

/* A noise band: for one metric (or every latency metric: metric < 0), of
 * one row (a row name or a step label, every row of the step; "" = every
 * row). */
struct compare_noise {
	char row[RESULTS_LABEL_MAX];
	int metric;
	double pct;
};

#define COMPARE_NOISE_DEFAULT_PCT 5.0
#define COMPARE_CONFIDENCE_DEFAULT 0.95
#define COMPARE_NOISE_MAX 64

struct compare_options {
	double confidence;   /* 0 = COMPARE_CONFIDENCE_DEFAULT */
	unsigned resamples;  /* 0 = CMP_RESAMPLES_DEFAULT */
	/* later ones win; none matching: COMPARE_NOISE_DEFAULT_PCT */
	struct compare_noise noise[COMPARE_NOISE_MAX];
	size_t n_noise;
	bool force;          /* compare differing definitions; no warnings */
};

/* Parse "P%" (every latency metric of every row), "METRIC=P%" or
 * "ROW:METRIC=P%" (ROW a row name or a step label; METRIC a latency metric
 * or "all") into the next noise band. Returns 0, or -1 with err set. */
int compare_noise_parse(struct compare_options *o, const char *spec, struct sb_err *err);

/* One judged metric of one row. */
struct compare_item {
	char scenario[64];
	char row[RESULTS_LABEL_MAX]; /* "-" for a whole scenario */
	enum compare_metric metric;
	enum compare_verdict verdict;
	bool latency;                /* base, cur in ns, lo/hi an interval */
	double base, cur;            /* estimates (ns), or per-execution counts */
	double change;               /* cur / base - 1 (0 when base is 0) */
	double lo, hi;               /* latency with enough data: the interval,
				      * family-wise (compare_result.family) */
	double noise_pct;            /* latency: the band it was judged with */
	char why[160];               /* not enough data, missing, failed ... */
};

struct compare_result {
	struct compare_item *items;  /* in report order */
	size_t n_items;
	size_t count[CMP__VERDICTS];
	char **warnings;             /* different machines, builds ... */
	size_t n_warnings;
	double confidence;           /* family-wise: all `family` intervals hold */
	size_t family;               /* latency comparisons judged together */
	unsigned base_runs, cur_runs; /* the most runs a scenario of each had */
};

/* Compare cur with base. Returns 0 with *out filled (free it with
 * compare_result_free), or -1 with err set: the definitions differ (and
 * not `force`), or out of memory. */
int report_compare(const struct run_report *base, const struct run_report *cur,
		   const struct compare_options *o, struct compare_result *out, struct sb_err *err);
void compare_result_free(struct compare_result *r);

/* One side made of n reports (`compare A1 A2 --vs B1 B2`): the scenarios
 * of r[0], each row's counters summed over the reports and its runs those
 * of every report in order, so that runs taken in turns with the other
 * side's are resampled together. Every report must have r[0]'s scenarios,
 * defined alike (else -1, err names the file from `names`). *out borrows
 * from r (names, options, expectations): free it with compare_side_free
 * before r. */
int compare_side_merge(const struct run_report *r, size_t n, const char *const *names,
		       struct run_report *out, struct sb_err *err);
void compare_side_free(struct run_report *out);

/* The verdict line, then the regressions (sorted: structure, exact
 * counters, then latency by the lower end of the interval, largest
 * first), each with its interval; with `all` then every other item in
 * report order. Returns 0, or -1 when writing failed. */
int compare_write_text(const struct compare_result *r, FILE *f, bool all);
/* The verdict line alone. */
int compare_write_verdict(const struct compare_result *r, FILE *f);
/* The same as one JSON document (every item, with its verdict). */
int compare_write_json(const struct compare_result *r, FILE *f, struct sb_err *err);

/* The files of each side, as the page names them. */
struct compare_html_sides {
	const char *const *base, *const *cur;
	size_t n_base, n_cur;
};
/* The same as one self-contained HTML page (compare_html.c): the verdict
 * line, every comparison (regressions first, highlighted), and per row of
 * every scenario both sides' distributions on one percentile plot with the
 * row's verdicts and intervals. base and cur are the sides as compared
 * (compare_side_merge's output). Returns 0, or -1 with err set. */
int compare_write_html(const struct compare_result *r, const struct run_report *base,
		       const struct run_report *cur, const struct compare_html_sides *sides,
		       FILE *f, struct sb_err *err);

#endif
