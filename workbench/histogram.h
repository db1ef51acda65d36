/* histogram.h — latency histogram in nanoseconds, log-linear like HdrHistogram.
 *
 * Values 0 .. 255 ns get one bucket each (exact). Above, each power of two
 * [2^k, 2^(k+1)) is split into 128 linear sub-buckets of width 2^(k-7), so a
 * bucket's width is at most 1/128 of its lower bound.
 *
 * Computing is separate from printing: hist_value_at_percentile(),
 * hist_summarize() and hist_percentile_rows() compute; hist_print_distribution()
 * only formats rows it is given.
 */
#ifndef SNAPBENCH_WORKBENCH_HISTOGRAM_H
#define SNAPBENCH_WORKBENCH_HISTOGRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"

/* Error bound: every recorded value v is counted in a bucket [lower, upper]
 * with upper - lower < lower / 128, so any value reported for it is less
 * than 1/128 (0.78125 %, under 0.782 %) above v; the bound is approached
 * at the bottom of a wide bucket (v = lower = 2^k, upper = 2^k + 2^(k-7) - 1).
 * Values below 256 ns are exact.
 * Range: 0 .. 2^40 - 1 ns (about 18.3 minutes). Larger values are clamped to
 * 2^40 - 1 ns and counted in `overflow`.
 * Memory: HIST_BUCKETS = (40 - 7 + 1) * 128 = 4352 counters of 8 bytes =
 * 34,816 bytes, plus 80 bytes of totals and padding: sizeof(struct hist) =
 * 34,896 bytes (checked by a static assert),
 * fixed, no allocation (embed it or allocate it once; mind the stack).
 * The layout depends only on these constants, so any two histograms merge. */
#define HIST_SUB_BITS 7                               /* 128 sub-buckets per power of two */
#define HIST_RANGE_BITS 40                            /* values below 2^40 ns */
#define HIST_SUB_COUNT (1u << HIST_SUB_BITS)          /* 128 */
#define HIST_LINEAR_MAX (2u * HIST_SUB_COUNT)         /* 0..255 ns: one bucket per ns */
#define HIST_BUCKETS ((HIST_RANGE_BITS - HIST_SUB_BITS + 1) * HIST_SUB_COUNT) /* 4352 */
#define HIST_VALUE_MAX ((UINT64_C(1) << HIST_RANGE_BITS) - 1)

/* Default ticks per half-distance of hist_percentile_rows(), as HdrHistogram's
 * outputPercentileDistribution. */
#define HIST_TICKS_DEFAULT 5

struct hist {
	uint64_t count;            /* values recorded */
	uint64_t overflow;         /* of which above HIST_VALUE_MAX (clamped) */
	uint64_t min_ns, max_ns;   /* exact, of the clamped values; min is UINT64_MAX when empty */
	/* Exact sums of the (clamped) values and their squares, for mean and
	 * stddev. If one ever overflows (2^48 values at the top of the range),
	 * `sums_saturated` is set and mean/stddev come from bucket midpoints
	 * (within 1%) instead. */
	unsigned __int128 sum, sum_sq;
	bool sums_saturated;
	uint64_t counts[HIST_BUCKETS];
};

/* One non-empty bucket: all values in [lower_ns, upper_ns] (inclusive). */
struct hist_bucket {
	uint64_t lower_ns, upper_ns, count;
};

struct hist_iter {
	const struct hist *h;
	size_t next;
};

/* One row of the HdrHistogram-style percentile distribution. */
struct hist_row {
	uint64_t value_ns;      /* hist_value_at_percentile(h, percentile) */
	double percentile;      /* 0 .. 100 */
	uint64_t total_count;   /* values at or below this row's bucket */
	double inverse;         /* 1 / (1 - percentile/100); INFINITY on the 100% row */
};

/* What the JSON report prints. Percentiles as by hist_value_at_percentile(). */
struct hist_summary {
	uint64_t count, overflow;
	uint64_t min_ns, max_ns;
	double mean_ns, stddev_ns;
	uint64_t p50_ns, p90_ns, p99_ns, p99_9_ns, p99_99_ns;
};

/* Empty the histogram. */
void hist_init(struct hist *h);

/* Record one value / `n` times one value. O(1), never allocates. Values above
 * HIST_VALUE_MAX are clamped and counted in `overflow`. The caller keeps the
 * total count below 2^64. */
void hist_record(struct hist *h, uint64_t value_ns);
void hist_record_n(struct hist *h, uint64_t value_ns, uint64_t n);

/* Add src's values to dst (same layout by construction). */
void hist_merge(struct hist *dst, const struct hist *src);

uint64_t hist_count(const struct hist *h);
uint64_t hist_overflow(const struct hist *h);
/* Exact smallest and largest recorded (clamped) value; 0 when empty. */
uint64_t hist_min(const struct hist *h);
uint64_t hist_max(const struct hist *h);
/* Mean and population standard deviation (divide by count), computed from
 * the exact integer sums; the only rounding is the final long double
 * division and square root. 0 when empty. */
double hist_mean(const struct hist *h);
double hist_stddev(const struct hist *h);

/* Nearest-rank percentile: the value of rank r = ceil(p/100 * count)
 * (r at least 1, with a 1e-12 relative tolerance so that 99.9% of 1000 is
 * rank 999, not 1000) in sorted order. Returns the upper bound of that
 * value's bucket, capped at max: never below the true percentile and less
 * than 1/128 (0.782 %) above it; p = 0 gives a value in min's bucket,
 * p = 100 gives max. p is clamped to [0, 100]; 0 when empty. */
uint64_t hist_value_at_percentile(const struct hist *h, double p);
/* The rank rule above, shared with hist_percentile_rows(). */
uint64_t hist_percentile_rank(double p, uint64_t count);

/* Bucket layout. */
size_t hist_bucket_index(uint64_t value_ns);   /* clamps above HIST_VALUE_MAX */
void hist_bucket_bounds(size_t index, uint64_t *lower_ns, uint64_t *upper_ns);

/* Iterate over non-empty buckets in increasing order:
 *   struct hist_iter it; struct hist_bucket b;
 *   for (hist_iter_init(&it, h); hist_iter_next(&it, &b);) ... */
void hist_iter_init(struct hist_iter *it, const struct hist *h);
bool hist_iter_next(struct hist_iter *it, struct hist_bucket *b);

void hist_summarize(const struct hist *h, struct hist_summary *s);

/* HdrHistogram's percentile distribution: target percentiles start at 0 and
 * step by 100 / (ticks * 2^(floor(log2(1 / (1 - p/100))) + 1)), i.e. `ticks`
 * rows per halving of the distance to 100%, until the last bucket; then a
 * final row at 100% (value max, total count = count). Fills up to max_rows
 * rows and returns how many there are (call with NULL, 0 to size the array);
 * 0 when empty. ticks 0 means HIST_TICKS_DEFAULT. */
size_t hist_percentile_rows(const struct hist *h, unsigned ticks, struct hist_row *rows,
			    size_t max_rows);

/* Print rows as HdrHistogram does (value in microseconds with 3 decimals,
 * percentile as a fraction of 1), after a '#' line stating the units and the
 * header "Value Percentile TotalCount 1/(1-Percentile)". Returns 0, or -1 with
 * `err` set when writing fails. */
int hist_print_distribution(FILE *f, const struct hist_row *rows, size_t n_rows,
			    struct sb_err *err);

#endif
