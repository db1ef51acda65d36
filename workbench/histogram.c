/* histogram.c — see histogram.h. */
#include "histogram.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>

_Static_assert(HIST_BUCKETS == 4352, "bucket count stated in histogram.h");
_Static_assert(sizeof(struct hist) == 34896, "memory cost stated in histogram.h");

typedef unsigned __int128 u128;

void hist_init(struct hist *h)
{
	memset(h, 0, sizeof *h);
	h->min_ns = UINT64_MAX;
}

size_t hist_bucket_index(uint64_t v)
{
	if (v > HIST_VALUE_MAX)
		v = HIST_VALUE_MAX;
	if (v < HIST_LINEAR_MAX)
		return (size_t)v;
	/* v in [2^k, 2^(k+1)), k >= 8: sub-bucket v >> (k - 7) is in [128, 255]. */
	unsigned k = 63u - (unsigned)__builtin_clzll(v);
	unsigned shift = k - HIST_SUB_BITS;
	return (size_t)(k - HIST_SUB_BITS) * HIST_SUB_COUNT + (size_t)(v >> shift);
}

void hist_bucket_bounds(size_t i, uint64_t *lower, uint64_t *upper)
{
	if (i >= HIST_BUCKETS)
		i = HIST_BUCKETS - 1;
	if (i < HIST_LINEAR_MAX) {
		*lower = *upper = i;
		return;
	}
	unsigned shift = (unsigned)(i / HIST_SUB_COUNT) - 1;
	uint64_t sub = (uint64_t)(i % HIST_SUB_COUNT) + HIST_SUB_COUNT;
	*lower = sub << shift;
	*upper = *lower + ((UINT64_C(1) << shift) - 1);
}

static void add_sum(struct hist *h, u128 *acc, u128 x)
{
	if (__builtin_add_overflow(*acc, x, acc))
		h->sums_saturated = true;
}

void hist_record(struct hist *h, uint64_t v)
{
	if (v > HIST_VALUE_MAX) {
		v = HIST_VALUE_MAX;
		h->overflow++;
	}
	h->counts[hist_bucket_index(v)]++;
	h->count++;
	if (v < h->min_ns)
		h->min_ns = v;
	if (v > h->max_ns)
		h->max_ns = v;
	add_sum(h, &h->sum, v);
	add_sum(h, &h->sum_sq, (u128)v * v); /* < 2^80: the product cannot overflow */
}

void hist_record_n(struct hist *h, uint64_t v, uint64_t n)
{
	if (n == 0)
		return;
	if (v > HIST_VALUE_MAX) {
		v = HIST_VALUE_MAX;
		h->overflow += n;
	}
	h->counts[hist_bucket_index(v)] += n;
	h->count += n;
	if (v < h->min_ns)
		h->min_ns = v;
	if (v > h->max_ns)
		h->max_ns = v;
	add_sum(h, &h->sum, (u128)v * n); /* < 2^104 */
	u128 sq;
	if (__builtin_mul_overflow((u128)v * v, (u128)n, &sq))
		h->sums_saturated = true;
	else
		add_sum(h, &h->sum_sq, sq);
}

void hist_merge(struct hist *dst, const struct hist *src)
{
	if (src->count == 0)
		return;
	for (size_t i = 0; i < HIST_BUCKETS; i++)
		dst->counts[i] += src->counts[i];
	dst->count += src->count;
	dst->overflow += src->overflow;
	if (src->min_ns < dst->min_ns)
		dst->min_ns = src->min_ns;
	if (src->max_ns > dst->max_ns)
		dst->max_ns = src->max_ns;
	dst->sums_saturated |= src->sums_saturated;
	add_sum(dst, &dst->sum, src->sum);
	add_sum(dst, &dst->sum_sq, src->sum_sq);
}

uint64_t hist_count(const struct hist *h)
{
	return h->count;
}

uint64_t hist_overflow(const struct hist *h)
{
	return h->overflow;
}

uint64_t hist_min(const struct hist *h)
{
	return h->count ? h->min_ns : 0;
}

uint64_t hist_max(const struct hist *h)
{
	return h->count ? h->max_ns : 0;
}

/* Midpoint of bucket i, kept inside [min, max]. */
static long double bucket_mid(const struct hist *h, size_t i)
{
	uint64_t lo, hi;
	hist_bucket_bounds(i, &lo, &hi);
	if (lo < h->min_ns)
		lo = h->min_ns;
	if (hi > h->max_ns)
		hi = h->max_ns;
	return ((long double)lo + (long double)hi) / 2;
}

/* Fallback when the exact sums overflowed: moments of bucket midpoints. */
static void moments_from_buckets(const struct hist *h, long double *mean, long double *var)
{
	long double s = 0, m;
	for (size_t i = 0; i < HIST_BUCKETS; i++)
		if (h->counts[i])
			s += (long double)h->counts[i] * bucket_mid(h, i);
	m = s / (long double)h->count;
	long double q = 0;
	for (size_t i = 0; i < HIST_BUCKETS; i++) {
		if (!h->counts[i])
			continue;
		long double d = bucket_mid(h, i) - m;
		q += (long double)h->counts[i] * d * d;
	}
	*mean = m;
	*var = q / (long double)h->count;
}

double hist_mean(const struct hist *h)
{
	if (h->count == 0)
		return 0;
	if (h->sums_saturated) {
		long double m, v;
		moments_from_buckets(h, &m, &v);
		return (double)m;
	}
	/* sum = q*n + r: integer part exact, fraction r/n. */
	u128 n = h->count, q = h->sum / n, r = h->sum % n;
	return (double)((long double)q + (long double)r / (long double)n);
}

double hist_stddev(const struct hist *h)
{
	if (h->count == 0)
		return 0;
	long double var;
	if (h->sums_saturated) {
		long double m;
		moments_from_buckets(h, &m, &var);
	} else {
		/* With sum = q*n + r (0 <= r < n), exactly in integers:
		 *   sum((x - q)^2) = sum_sq - 2*q*sum + n*q^2 = sum_sq - n*q^2 - 2*q*r,
		 * and sum((x - mean)^2) = that - r^2/n. No cancellation of large
		 * floating-point terms. */
		u128 n = h->count, q = h->sum / n, r = h->sum % n;
		u128 sq = h->sum_sq - n * q * q - 2 * q * r;
		long double m2 = (long double)sq - (long double)r * (long double)r / (long double)n;
		var = m2 > 0 ? m2 / (long double)n : 0;
	}
	return (double)sqrtl(var);
}

uint64_t hist_percentile_rank(double p, uint64_t count)
{
	if (count == 0)
		return 0;
	if (!(p > 0)) /* also NaN */
		return 1;
	if (p >= 100)
		return count;
	long double x = (long double)p * (long double)count / 100;
	long double r = ceill(x - x * 1e-12L);
	if (r < 1)
		return 1;
	if (r >= (long double)count)
		return count;
	return (uint64_t)r;
}

/* Value reported for bucket i: its upper bound, capped at max. */
static uint64_t bucket_value(const struct hist *h, size_t i)
{
	uint64_t lo, hi;
	hist_bucket_bounds(i, &lo, &hi);
	return hi < h->max_ns ? hi : h->max_ns;
}

uint64_t hist_value_at_percentile(const struct hist *h, double p)
{
	if (h->count == 0)
		return 0;
	uint64_t rank = hist_percentile_rank(p, h->count), cum = 0;
	for (size_t i = 0; i < HIST_BUCKETS; i++) {
		cum += h->counts[i];
		if (cum >= rank)
			return bucket_value(h, i);
	}
	return h->max_ns; /* not reached: the counts add up to count */
}

void hist_iter_init(struct hist_iter *it, const struct hist *h)
{
	it->h = h;
	it->next = 0;
}

bool hist_iter_next(struct hist_iter *it, struct hist_bucket *b)
{
	while (it->next < HIST_BUCKETS) {
		size_t i = it->next++;
		if (!it->h->counts[i])
			continue;
		hist_bucket_bounds(i, &b->lower_ns, &b->upper_ns);
		b->count = it->h->counts[i];
		return true;
	}
	return false;
}

void hist_summarize(const struct hist *h, struct hist_summary *s)
{
	s->count = h->count;
	s->overflow = h->overflow;
	s->min_ns = hist_min(h);
	s->max_ns = hist_max(h);
	s->mean_ns = hist_mean(h);
	s->stddev_ns = hist_stddev(h);
	s->p50_ns = hist_value_at_percentile(h, 50);
	s->p90_ns = hist_value_at_percentile(h, 90);
	s->p99_ns = hist_value_at_percentile(h, 99);
	s->p99_9_ns = hist_value_at_percentile(h, 99.9);
	s->p99_99_ns = hist_value_at_percentile(h, 99.99);
}

static void put_row(struct hist_row *rows, size_t max_rows, size_t n, uint64_t value, double p,
		    uint64_t total)
{
	if (n >= max_rows)
		return;
	rows[n].value_ns = value;
	rows[n].percentile = p;
	rows[n].total_count = total;
	rows[n].inverse = p < 100 ? 1.0 / (1.0 - p / 100.0) : INFINITY;
}

size_t hist_percentile_rows(const struct hist *h, unsigned ticks, struct hist_row *rows,
			    size_t max_rows)
{
	if (h->count == 0)
		return 0;
	if (ticks == 0)
		ticks = HIST_TICKS_DEFAULT;
	size_t n = 0;
	double p = 0;
	uint64_t cum = 0;
	for (size_t i = 0; i < HIST_BUCKETS; i++) {
		if (!h->counts[i])
			continue;
		cum += h->counts[i];
		uint64_t value = bucket_value(h, i);
		/* Every target percentile this bucket reaches gets a row; the
		 * last bucket gets one, then the final 100% row. */
		while (p < 100 && cum >= hist_percentile_rank(p, h->count)) {
			put_row(rows, max_rows, n++, value, p, cum);
			double half = floor(log2(100.0 / (100.0 - p)));
			double next = p + 100.0 / ldexp(ticks, (int)half + 1);
			p = next > p ? next : 100; /* no progress left in a double */
			if (cum == h->count)
				break;
		}
		if (cum == h->count) {
			put_row(rows, max_rows, n++, value, 100, cum);
			break;
		}
	}
	return n;
}

int hist_print_distribution(FILE *f, const struct hist_row *rows, size_t n_rows,
			    struct sb_err *err)
{
	int bad = fprintf(f, "# Value in microseconds (3 decimals); Percentile as a fraction of 1\n"
			     "%12s %14s %10s %14s\n\n",
			  "Value", "Percentile", "TotalCount", "1/(1-Percentile)") < 0;
	for (size_t i = 0; i < n_rows && !bad; i++) {
		const struct hist_row *r = &rows[i];
		double us = (double)r->value_ns / 1000.0;
		if (r->percentile < 100)
			bad = fprintf(f, "%12.3f %2.12f %10" PRIu64 " %14.2f\n", us,
				      r->percentile / 100.0, r->total_count, r->inverse) < 0;
		else
			bad = fprintf(f, "%12.3f %2.12f %10" PRIu64 "\n", us,
				      r->percentile / 100.0, r->total_count) < 0;
	}
	if (bad || fflush(f) != 0 || ferror(f))
		return sb_errf(err, SB_E_IO, "writing the percentile distribution: %s",
			       strerror(errno ? errno : EIO));
	return 0;
}
