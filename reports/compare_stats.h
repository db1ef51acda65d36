/* compare_stats.h — the statistics behind `snapbench compare`: a bootstrap
 * confidence interval of the relative change of a percentile between two
 * runs, computed from their histograms.
 *
 * The estimator. One side of a comparison is one or more runs of a row
 * (`snapbench run --repeat N` keeps one histogram per run). Its value is
 * the mean over its runs of each run's percentile (nearest rank, bucket
 * midpoint: within 0.4 % of the sample). With one run that is the run's
 * percentile.
 *
 * The bootstrap (percentile method, as criterion's): each of `resamples`
 * replicates resamples each side's runs with replacement and, within every
 * chosen run, its samples with replacement, and takes new/base - 1. The
 * within-run resample is exact and costs no loop over the samples: the
 * r-th smallest of n draws from a run's empirical distribution F_n is
 * F_n^-1(U) with U ~ Beta(r, n - r + 1), the r-th order statistic of n
 * uniforms. So a replicate of a run's percentile is one Beta draw and one
 * binary search over the run's buckets, whatever n is. The interval is the
 * (alpha/2, 1 - alpha/2) quantiles of the replicates.
 *
 * Between-run variance enters only through the resampling of runs: with
 * one run per side the interval says how well each run pinned its own
 * percentile, not how much a second run on the same machine would move
 * (reports.h, compare).
 *
 * Reproducible: the generator is seeded from the caller's seed, so the
 * same two reports always give the same intervals.
 */
#ifndef SNAPBENCH_REPORTS_COMPARE_STATS_H
#define SNAPBENCH_REPORTS_COMPARE_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "histogram.h"

/* A tail percentile (p90, p99, ...) of one run needs this many samples
 * beyond it to be compared; fewer and the tail value is little more than
 * the largest sample. */
#define CMP_MIN_BEYOND 10
/* ... and every percentile (the median too) this many samples at least. */
#define CMP_MIN_SAMPLES 5
#define CMP_RESAMPLES_DEFAULT 4000

/* One side: the histograms of its runs (none empty). */
struct cmp_side {
	const struct hist *const *runs;
	size_t n_runs;
};

struct cmp_change {
	bool enough;        /* false: some run has too few samples (why says which) */
	char why[96];
	double base, cur;   /* the estimates (ns) */
	double change;      /* cur / base - 1 */
	double lo, hi;      /* the interval of the change at the confidence asked */
};

/* The standard normal quantile (Acklam's approximation), p in (0, 1). */
double cmp_normal_quantile(double p);

/* An interval of c's change for one of m comparisons made together, such
 * that all m hold with probability `confidence` (Bonferroni: each at
 * 1 - (1 - confidence) / m). c's interval must be at `confidence`; it is
 * widened about the estimate, in log(new / base), by the ratio of the
 * normal quantiles of the two levels (z(1 - alpha/2m) / z(1 - alpha/2):
 * 1.66 for 44 comparisons at 95 %). Reading the wider interval off the
 * replicates instead would need ~40 m / alpha of them; and widening the
 * percentile interval, not a standard deviation, keeps a few wild
 * replicates (a tail percentile that sometimes lands in the body) from
 * blowing it up. */
void cmp_family_interval(const struct cmp_change *c, double confidence, size_t m, double *lo,
			 double *hi);

/* A small, fast, seedable generator (xoshiro256**). */
struct cmp_rng {
	uint64_t s[4];
};
void cmp_rng_seed(struct cmp_rng *r, uint64_t seed);
uint64_t cmp_rng_next(struct cmp_rng *r);
double cmp_rng_uniform(struct cmp_rng *r);    /* in (0, 1) */
double cmp_rng_normal(struct cmp_rng *r);     /* standard normal */
double cmp_rng_gamma(struct cmp_rng *r, double shape); /* shape >= 1 */
double cmp_rng_beta(struct cmp_rng *r, double a, double b); /* a, b >= 1 */

/* Samples of run h beyond percentile p (0 < p < 100): count * (1 - p/100),
 * or count / 2 for p <= 50. */
double cmp_beyond(const struct hist *h, double p);

/* The percentile p of h as the estimator takes it: the bucket midpoint of
 * the nearest-rank value, within [min, max]. 0 when empty. */
double cmp_percentile(const struct hist *h, double p);

/* The change of percentile p from base to cur, with its interval at
 * `confidence` (0.5 .. 0.9999). resamples 0 = CMP_RESAMPLES_DEFAULT.
 * Returns 0, or -1 when out of memory. out->enough is false, with the
 * estimates but no interval, when any run of either side has fewer than
 * CMP_MIN_SAMPLES samples, or (p above 50) fewer than CMP_MIN_BEYOND
 * beyond p, or the base estimate is 0. */
int cmp_percentile_change(const struct cmp_side *base, const struct cmp_side *cur, double p,
			  double confidence, unsigned resamples, uint64_t seed,
			  struct cmp_change *out);

#endif
