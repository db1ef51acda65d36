/* compare_stats.c — bootstrap intervals of a percentile's change (see
 * compare_stats.h for the method). */
#include "compare_stats.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- the generator --------------------------------------------------------- */

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void cmp_rng_seed(struct cmp_rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

uint64_t cmp_rng_next(struct cmp_rng *r)
{
	uint64_t *s = r->s;
	uint64_t out = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

double cmp_rng_uniform(struct cmp_rng *r)
{
	/* 53 random bits, shifted off 0 by half a step: (0, 1) */
	return ((double)(cmp_rng_next(r) >> 11) + 0.5) * 0x1.0p-53;
}

double cmp_rng_normal(struct cmp_rng *r)
{
	/* Marsaglia's polar method (one of the pair is dropped: simplicity
	 * over speed, the bootstrap is not bound by it) */
	for (;;) {
		double u = 2 * cmp_rng_uniform(r) - 1, v = 2 * cmp_rng_uniform(r) - 1;
		double s = u * u + v * v;
		if (s > 0 && s < 1)
			return u * sqrt(-2 * log(s) / s);
	}
}

/* Marsaglia and Tsang (2000), for shape >= 1. */
double cmp_rng_gamma(struct cmp_rng *r, double shape)
{
	double d = shape - 1.0 / 3, c = 1 / sqrt(9 * d);
	for (;;) {
		double x = cmp_rng_normal(r), v = 1 + c * x;
		if (v <= 0)
			continue;
		v = v * v * v;
		double u = cmp_rng_uniform(r);
		if (u < 1 - 0.0331 * x * x * x * x || log(u) < 0.5 * x * x + d * (1 - v + log(v)))
			return d * v;
	}
}

double cmp_rng_beta(struct cmp_rng *r, double a, double b)
{
	double x = cmp_rng_gamma(r, a), y = cmp_rng_gamma(r, b);
	return x / (x + y);
}

/* ---- one run: its buckets as a CDF ---------------------------------------------- */

struct run_cdf {
	size_t n;        /* non-empty buckets */
	double *value;   /* bucket midpoints within [min, max] */
	uint64_t *cum;   /* samples at or below each bucket */
	uint64_t count;
};

static double midpoint(const struct hist *h, const struct hist_bucket *b)
{
	double v = ((double)b->lower_ns + (double)b->upper_ns) / 2;
	if (v < (double)hist_min(h))
		v = (double)hist_min(h);
	if (v > (double)hist_max(h))
		v = (double)hist_max(h);
	return v;
}

static int cdf_build(struct run_cdf *c, const struct hist *h)
{
	struct hist_iter it;
	struct hist_bucket b;
	size_t n = 0;
	for (hist_iter_init(&it, h); hist_iter_next(&it, &b);)
		n++;
	c->value = malloc((n ? n : 1) * sizeof *c->value);
	c->cum = malloc((n ? n : 1) * sizeof *c->cum);
	if (!c->value || !c->cum)
		return -1;
	c->n = 0;
	uint64_t sum = 0;
	for (hist_iter_init(&it, h); hist_iter_next(&it, &b);) {
		sum += b.count;
		c->value[c->n] = midpoint(h, &b);
		c->cum[c->n++] = sum;
	}
	c->count = sum;
	return 0;
}

static void cdf_free(struct run_cdf *c)
{
	free(c->value);
	free(c->cum);
}

/* The value of the k-th smallest sample (1 <= k <= count). */
static double cdf_rank(const struct run_cdf *c, uint64_t k)
{
	size_t lo = 0, hi = c->n - 1;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (c->cum[mid] >= k)
			hi = mid;
		else
			lo = mid + 1;
	}
	return c->value[lo];
}

/* One bootstrap replicate of the run's percentile of rank r. */
static double cdf_draw(const struct run_cdf *c, uint64_t r, struct cmp_rng *rng)
{
	double u = cmp_rng_beta(rng, (double)r, (double)(c->count - r + 1));
	double k = ceil(u * (double)c->count);
	if (k < 1)
		k = 1;
	if (k > (double)c->count)
		k = (double)c->count;
	return cdf_rank(c, (uint64_t)k);
}

/* Acklam's rational approximation of the standard normal quantile
 * (relative error below 1.2e-9), p in (0, 1). */
double cmp_normal_quantile(double p)
{
	static const double a[] = { -3.969683028665376e+01, 2.209460984245205e+02,
				    -2.759285104469687e+02, 1.383577518672690e+02,
				    -3.066479806614716e+01, 2.506628277459239e+00 };
	static const double b[] = { -5.447609879822406e+01, 1.615858368580409e+02,
				    -1.556989798598866e+02, 6.680131188771972e+01,
				    -1.328068155288572e+01 };
	static const double c[] = { -7.784894002430293e-03, -3.223964580411365e-01,
				    -2.400758277161838e+00, -2.549732539343734e+00,
				    4.374664141464968e+00,  2.938163982698783e+00 };
	static const double d[] = { 7.784695709041462e-03, 3.224671290700398e-01,
				    2.445134137142996e+00, 3.754408661907416e+00 };
	if (p <= 0)
		return -INFINITY;
	if (p >= 1)
		return INFINITY;
	if (p < 0.02425) {
		double q = sqrt(-2 * log(p));
		return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
		       ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
	}
	if (p > 1 - 0.02425)
		return -cmp_normal_quantile(1 - p);
	double q = p - 0.5, r = q * q;
	return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
	       (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

void cmp_family_interval(const struct cmp_change *c, double confidence, size_t m, double *lo,
			 double *hi)
{
	double alpha = 1 - confidence;
	double f = cmp_normal_quantile(1 - alpha / (2 * (double)(m ? m : 1))) /
		   cmp_normal_quantile(1 - alpha / 2);
	if (!(c->change > -1)) {
		/* NEW is 0 ns: log(new / base) is -inf and widening about it
		 * gives NaN (hi = -inf + inf); the interval stays as it is */
		*lo = c->lo;
		*hi = c->hi;
		return;
	}
	double center = log1p(c->change);
	/* in log(new / base), where a ratio's interval is about symmetric */
	*lo = c->lo > -1 ? expm1(center - (center - log1p(c->lo)) * f) : -1;
	*hi = expm1(center + (log1p(c->hi) - center) * f);
}

double cmp_beyond(const struct hist *h, double p)
{
	double n = (double)hist_count(h);
	return p <= 50 ? n / 2 : n * (1 - p / 100);
}

double cmp_percentile(const struct hist *h, double p)
{
	uint64_t n = hist_count(h);
	if (!n)
		return 0;
	uint64_t r = hist_percentile_rank(p, n), seen = 0;
	struct hist_iter it;
	struct hist_bucket b;
	for (hist_iter_init(&it, h); hist_iter_next(&it, &b);) {
		seen += b.count;
		if (seen >= r)
			return midpoint(h, &b);
	}
	return (double)hist_max(h);
}

/* ---- a side: its runs ------------------------------------------------------------ */

struct side {
	struct run_cdf *runs;
	uint64_t *rank;
	size_t n;
	double estimate;
};

static void side_free(struct side *s)
{
	for (size_t i = 0; s->runs && i < s->n; i++)
		cdf_free(&s->runs[i]);
	free(s->runs);
	free(s->rank);
}

static int side_build(struct side *s, const struct cmp_side *in, double p)
{
	s->n = in->n_runs;
	s->runs = calloc(s->n ? s->n : 1, sizeof *s->runs);
	s->rank = calloc(s->n ? s->n : 1, sizeof *s->rank);
	if (!s->runs || !s->rank)
		return -1;
	s->estimate = 0;
	for (size_t i = 0; i < s->n; i++) {
		if (cdf_build(&s->runs[i], in->runs[i]))
			return -1;
		s->rank[i] = hist_percentile_rank(p, s->runs[i].count);
		s->estimate += cmp_percentile(in->runs[i], p);
	}
	if (s->n)
		s->estimate /= (double)s->n;
	return 0;
}

/* Why a side cannot be compared at p, or NULL. */
static const char *side_short(const struct cmp_side *in, double p, char *buf, size_t cap)
{
	if (!in->n_runs)
		return "no runs";
	for (size_t i = 0; i < in->n_runs; i++) {
		uint64_t n = hist_count(in->runs[i]);
		if (n < CMP_MIN_SAMPLES) {
			snprintf(buf, cap, "%llu sample%s (need %d)", (unsigned long long)n,
				 n == 1 ? "" : "s", CMP_MIN_SAMPLES);
			return buf;
		}
		if (p > 50 && cmp_beyond(in->runs[i], p) < CMP_MIN_BEYOND) {
			snprintf(buf, cap, "%.0f samples beyond p%g (need %d; %llu in all)",
				 floor(cmp_beyond(in->runs[i], p)), p, CMP_MIN_BEYOND,
				 (unsigned long long)n);
			return buf;
		}
	}
	return NULL;
}

static double side_draw(const struct side *s, struct cmp_rng *rng)
{
	double sum = 0;
	for (size_t i = 0; i < s->n; i++) {
		/* with one run there is nothing to resample between runs */
		size_t j = s->n == 1 ? 0 : (size_t)(cmp_rng_next(rng) % s->n);
		sum += cdf_draw(&s->runs[j], s->rank[j], rng);
	}
	return sum / (double)s->n;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* The q-quantile of sorted values (linear between neighbours). */
static double quantile(const double *v, size_t n, double q)
{
	double pos = q * (double)(n - 1);
	size_t i = (size_t)pos;
	if (i + 1 >= n)
		return v[n - 1];
	return v[i] + (v[i + 1] - v[i]) * (pos - (double)i);
}

int cmp_percentile_change(const struct cmp_side *base, const struct cmp_side *cur, double p,
			  double confidence, unsigned resamples, uint64_t seed,
			  struct cmp_change *out)
{
	*out = (struct cmp_change){ 0 };
	if (!resamples)
		resamples = CMP_RESAMPLES_DEFAULT;
	struct side b = { 0 }, c = { 0 };
	double *rep = NULL;
	int rc = -1;
	if (side_build(&b, base, p) || side_build(&c, cur, p))
		goto out;
	out->base = b.estimate;
	out->cur = c.estimate;
	out->change = b.estimate > 0 ? c.estimate / b.estimate - 1 : 0;
	char buf[96];
	const char *why = side_short(base, p, buf, sizeof buf);
	if (why) {
		snprintf(out->why, sizeof out->why, "base: %s", why);
	} else if ((why = side_short(cur, p, buf, sizeof buf))) {
		snprintf(out->why, sizeof out->why, "new: %s", why);
	} else if (!(b.estimate > 0)) {
		snprintf(out->why, sizeof out->why, "base is 0 ns");
	} else {
		out->enough = true;
	}
	if (!out->enough) {
		rc = 0;
		goto out;
	}
	rep = malloc(resamples * sizeof *rep);
	if (!rep)
		goto out;
	struct cmp_rng rng;
	cmp_rng_seed(&rng, seed);
	for (unsigned i = 0; i < resamples; i++) {
		double vb = side_draw(&b, &rng), vc = side_draw(&c, &rng);
		rep[i] = vb > 0 ? vc / vb - 1 : vc > 0 ? INFINITY : 0;
	}
	qsort(rep, resamples, sizeof *rep, cmp_double);
	double alpha = 1 - confidence;
	out->lo = quantile(rep, resamples, alpha / 2);
	out->hi = quantile(rep, resamples, 1 - alpha / 2);
	/* Resampling k runs gives their mean a variance (k-1)/k of the
	 * unbiased one: widen the interval by sqrt(k/(k-1)) about the
	 * estimate, k the fewer runs of the two sides (not with one run, where
	 * no runs are resampled). */
	size_t k = b.n < c.n ? b.n : c.n;
	if (k >= 2) {
		double f = sqrt((double)k / (double)(k - 1));
		out->lo = out->change + (out->lo - out->change) * f;
		out->hi = out->change + (out->hi - out->change) * f;
	}
	rc = 0;
out:
	free(rep);
	side_free(&b);
	side_free(&c);
	return rc;
}
