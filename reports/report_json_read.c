/* report_json_read.c — read a JSON report back (see reports.h for what is
 * restored and how). Every error names the file and the JSON path. */
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "report_json.h"
#include "report_json_internal.h"
#include "reports.h"

#define fail report_jr_fail
#define field report_jr_field
#define get_u64 report_jr_get_u64
#define get_str report_jr_get_str
#define get_typed report_jr_get_typed

typedef unsigned __int128 u128;


/* "file: path.key: what" */
static int failv(struct jr *c, const char *path, const char *key, const char *fmt, va_list ap)
{
	char what[256];
	vsnprintf(what, sizeof what, fmt, ap);
	return sb_errf(c->err, SB_E_INVAL, "%s: %s%s%s: %s", c->file, path,
		       path[0] && key[0] ? "." : "", key, what);
}

int report_jr_fail(struct jr *c, const char *path, const char *key, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	failv(c, path, key, fmt, ap);
	va_end(ap);
	return -1;
}

/* A JSON path (truncated paths are harmless: they only name a field). */
__attribute__((format(printf, 3, 4))) static void subpath(char *dst, size_t cap,
							  const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(dst, cap, fmt, ap);
	va_end(ap);
}

json_t *report_jr_field(struct jr *c, json_t *obj, const char *path, const char *key)
{
	json_t *v = json_object_get(obj, key);
	if (!v)
		fail(c, path, key, "missing");
	return v;
}

static int as_u64(struct jr *c, json_t *v, const char *path, const char *key, uint64_t *out)
{
	if (!json_is_number(v))
		return fail(c, path, key, "not a number");
	if (!json_is_integer(v))
		return fail(c, path, key, "not an integer");
	json_int_t i = json_integer_value(v);
	if (i < 0)
		return fail(c, path, key, "negative (%" JSON_INTEGER_FORMAT ")", i);
	*out = (uint64_t)i;
	return 0;
}

int report_jr_get_u64(struct jr *c, json_t *obj, const char *path, const char *key, uint64_t *out)
{
	json_t *v = field(c, obj, path, key);
	return v ? as_u64(c, v, path, key, out) : -1;
}

static int get_real(struct jr *c, json_t *obj, const char *path, const char *key, double *out)
{
	json_t *v = field(c, obj, path, key);
	if (!v)
		return -1;
	if (!json_is_number(v))
		return fail(c, path, key, "not a number");
	*out = json_number_value(v);
	return 0;
}

static int get_bool(struct jr *c, json_t *obj, const char *path, const char *key, bool *out)
{
	json_t *v = field(c, obj, path, key);
	if (!v)
		return -1;
	if (!json_is_boolean(v))
		return fail(c, path, key, "not true or false");
	*out = json_is_true(v);
	return 0;
}

static int as_str(struct jr *c, json_t *v, const char *path, const char *key, char *buf,
		  size_t cap)
{
	if (!json_is_string(v))
		return fail(c, path, key, "not a string");
	size_t len = json_string_length(v);
	if (len >= cap)
		return fail(c, path, key, "longer than %zu bytes", cap - 1);
	if (memchr(json_string_value(v), '\0', len))
		return fail(c, path, key, "contains a NUL character");
	memcpy(buf, json_string_value(v), len + 1);
	return 0;
}

int report_jr_get_str(struct jr *c, json_t *obj, const char *path, const char *key, char *buf,
		      size_t cap)
{
	json_t *v = field(c, obj, path, key);
	return v ? as_str(c, v, path, key, buf, cap) : -1;
}

json_t *report_jr_get_typed(struct jr *c, json_t *obj, const char *path, const char *key,
			    json_type type)
{
	json_t *v = field(c, obj, path, key);
	if (v && json_typeof(v) != type) {
		fail(c, path, key, type == JSON_OBJECT ? "not an object" : "not an array");
		return NULL;
	}
	return v;
}

static int read_machine(struct jr *c, json_t *root, struct machine_facts *m, int schema)
{
	json_t *o = get_typed(c, root, "", "machine", JSON_OBJECT);
	uint64_t cpus;
	if (!o || get_str(c, o, "machine", "cpu", m->cpu, sizeof m->cpu) ||
	    get_str(c, o, "machine", "kernel", m->kernel, sizeof m->kernel) ||
	    get_str(c, o, "machine", "hypervisor", m->hypervisor, sizeof m->hypervisor) ||
	    (schema >= 5 && get_str(c, o, "machine", "hypervisor_version", m->hypervisor_version,
				    sizeof m->hypervisor_version)) ||
	    get_u64(c, o, "machine", "cpus", &cpus) ||
	    get_u64(c, o, "machine", "mem_bytes", &m->mem_bytes))
		return -1;
	if (cpus > UINT32_MAX)
		return fail(c, "machine", "cpus", "out of range");
	m->cpus = (unsigned)cpus;
	return 0;
}

/* Sums behind hist_mean()/hist_stddev() giving back mean and stddev. The
 * same decomposition as hist_stddev(): sum = q*n + r and
 * sum_sq = sq + n*q^2 + 2*q*r with sq - r^2/n = n * stddev^2. */
static void restore_sums(struct hist *h, double mean, double stddev)
{
	h->sum = h->sum_sq = 0;
	h->sums_saturated = false;
	if (h->count == 0)
		return;
	/* Past 2^128 a sum is not an unsigned __int128 (converting it would
	 * be undefined): hist.c would have saturated long before. */
	const long double u128_end = ldexpl(1.0L, 128);
	long double n = (long double)h->count;
	long double s = roundl((long double)mean * n);
	if (!(s < u128_end)) {
		h->sums_saturated = true;
		return;
	}
	u128 sum = s > 0 ? (u128)s : 0;
	u128 q = sum / h->count, r = sum % h->count;
	long double sq = roundl(n * (long double)stddev * (long double)stddev +
				(long double)r * (long double)r / n);
	u128 nqq, sum_sq;
	if (!(sq < u128_end) || __builtin_mul_overflow(q * q, (u128)h->count, &nqq) ||
	    __builtin_add_overflow(nqq, 2 * q * r, &sum_sq) ||
	    __builtin_add_overflow(sum_sq, sq > 0 ? (u128)sq : 0, &sum_sq)) {
		h->sums_saturated = true; /* as hist.c would have: moments from buckets */
		return;
	}
	h->sum = sum;
	h->sum_sq = sum_sq;
}

/* A histogram_buckets array into h (emptied first): known buckets, in
 * order, none empty. */
static int read_buckets(struct jr *c, json_t *buckets, const char *path, struct hist *h)
{
	hist_init(h);
	char bpath[PATH_MAX_LEN];
	subpath(bpath, sizeof bpath, "%s.histogram_buckets", path);
	size_t i, prev = 0;
	json_t *b;
	json_array_foreach(buckets, i, b) {
		char idx[24];
		snprintf(idx, sizeof idx, "[%zu]", i);
		char epath[PATH_MAX_LEN + 24];
		subpath(epath, sizeof epath, "%s%s", bpath, idx);
		uint64_t v[3];
		if (!json_is_array(b) || json_array_size(b) != 3)
			return fail(c, epath, "", "not an array [lower_ns, upper_ns, count]");
		for (size_t k = 0; k < 3; k++) {
			char kpath[PATH_MAX_LEN + 48];
			subpath(kpath, sizeof kpath, "%s[%zu]", epath, k);
			if (as_u64(c, json_array_get(b, k), kpath, "", &v[k]))
				return -1;
		}
		size_t bi = hist_bucket_index(v[0]);
		uint64_t lo, hi;
		hist_bucket_bounds(bi, &lo, &hi);
		if (lo != v[0] || hi != v[1])
			return fail(c, epath, "",
				    "[%" PRIu64 ", %" PRIu64 "] is not a bucket of the histogram"
				    " (the bucket of %" PRIu64 " is [%" PRIu64 ", %" PRIu64 "])",
				    v[0], v[1], v[0], lo, hi);
		if (i > 0 && bi <= prev)
			return fail(c, epath, "", "buckets out of order or repeated");
		if (v[2] == 0)
			return fail(c, epath, "", "an empty bucket (only non-empty ones are written)");
		if (h->count + v[2] < h->count)
			return fail(c, epath, "", "counts overflow");
		prev = bi;
		hist_record_n(h, v[0], v[2]);
	}
	return 0;
}

/* The exact min and max of a non-empty h, checked against its buckets. */
static int set_min_max(struct jr *c, const char *path, struct hist *h, uint64_t min, uint64_t max)
{
	if (hist_bucket_index(min) != hist_bucket_index(h->min_ns))
		return fail(c, path, "min_ns", "%" PRIu64 " is not in the first bucket", min);
	if (hist_bucket_index(max) != hist_bucket_index(h->max_ns) || max < min)
		return fail(c, path, "max_ns", "%" PRIu64 " is not in the last bucket", max);
	h->min_ns = min;
	h->max_ns = max;
	return 0;
}

/* A mean and a standard deviation of values in [min, max]: the mean in
 * that range and the deviation at most its width, give or take the
 * buckets of min and max (hist.c falls back to bucket moments when its
 * sums saturate) and the writer's rounding. Anything else is not what
 * report_write_json wrote, and would make restore_sums() invent sums. */
static int check_moments(struct jr *c, const char *path, uint64_t min, uint64_t max, double mean,
			 double stddev)
{
	uint64_t lo, hi, unused;
	hist_bucket_bounds(hist_bucket_index(min), &lo, &unused);
	hist_bucket_bounds(hist_bucket_index(max), &unused, &hi);
	double slack = 1.0 + (double)hi * 1e-12;
	if (!(mean >= (double)lo - slack && mean <= (double)hi + slack))
		return fail(c, path, "mean_ns",
			    "%g cannot be the mean of values in [%" PRIu64 ", %" PRIu64
			    "] (min_ns, max_ns)", mean, min, max);
	if (!(stddev >= 0 && stddev <= (double)(hi - lo) + slack))
		return fail(c, path, "stddev_ns",
			    "%g cannot be the standard deviation of values in [%" PRIu64 ", %" PRIu64
			    "] (min_ns, max_ns)", stddev, min, max);
	return 0;
}

static int read_hist(struct jr *c, json_t *o, const char *path, struct hist *h)
{
	uint64_t count, overflow, min, max;
	double mean, stddev;
	if (get_u64(c, o, path, "count", &count) || get_u64(c, o, path, "overflow", &overflow) ||
	    get_u64(c, o, path, "min_ns", &min) || get_u64(c, o, path, "max_ns", &max) ||
	    get_real(c, o, path, "mean_ns", &mean) || get_real(c, o, path, "stddev_ns", &stddev))
		return -1;
	json_t *pct = get_typed(c, o, path, "percentiles_ns", JSON_OBJECT);
	json_t *buckets = get_typed(c, o, path, "histogram_buckets", JSON_ARRAY);
	if (!pct || !buckets)
		return -1;
	static const char *const pkeys[] = { "p50", "p90", "p99", "p99.9", "p99.99" };
	uint64_t pwant[5];
	char ppath[PATH_MAX_LEN];
	subpath(ppath, sizeof ppath, "%s.percentiles_ns", path);
	for (size_t i = 0; i < 5; i++)
		if (get_u64(c, pct, ppath, pkeys[i], &pwant[i]))
			return -1;

	if (read_buckets(c, buckets, path, h))
		return -1;
	if (h->count != count)
		return fail(c, path, "count",
			    "%" PRIu64 " but the histogram buckets hold %" PRIu64, count, h->count);
	if (overflow > count)
		return fail(c, path, "overflow", "%" PRIu64 " is above count %" PRIu64, overflow,
			    count);
	if (count == 0) {
		if (min || max)
			return fail(c, path, min ? "min_ns" : "max_ns", "not 0 with count 0");
		hist_init(h);
	} else {
		if (set_min_max(c, path, h, min, max) || check_moments(c, path, min, max, mean, stddev))
			return -1;
		h->overflow = overflow;
		restore_sums(h, mean, stddev);
	}
	struct hist_summary s;
	hist_summarize(h, &s);
	const uint64_t got[5] = { s.p50_ns, s.p90_ns, s.p99_ns, s.p99_9_ns, s.p99_99_ns };
	for (size_t k = 0; k < 5; k++)
		if (got[k] != pwant[k])
			return fail(c, ppath, pkeys[k],
				    "%" PRIu64 " does not match the histogram buckets (%" PRIu64 ")",
				    pwant[k], got[k]);
	return 0;
}

int report_json_read_hist(struct jr *c, json_t *o, const char *path, struct hist *h)
{
	return read_hist(c, o, path, h);
}

/* Schema 5: a histogram per run, present when the scenario ran more than
 * once; their counts add up to the row's. */
static int read_runs(struct jr *c, json_t *o, const char *path, struct step_stats *st,
		     uint64_t runs)
{
	json_t *arr = json_object_get(o, "runs");
	if (runs <= 1)
		return arr ? fail(c, path, "runs", "present, but the scenario ran once") : 0;
	if (!arr)
		return fail(c, path, "runs", "missing (the scenario ran %" PRIu64 " times)", runs);
	if (!json_is_array(arr) || json_array_size(arr) != runs)
		return fail(c, path, "runs", "not an array of %" PRIu64 " runs", runs);
	st->runs = calloc(runs, sizeof *st->runs);
	if (!st->runs)
		return sb_errf(c->err, SB_E_NOMEM, "%s: out of memory", c->file);
	st->n_runs = runs;
	uint64_t total = 0;
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v) {
		char rp[PATH_MAX_LEN];
		subpath(rp, sizeof rp, "%s.runs[%zu]", path, i);
		uint64_t count, min, max;
		json_t *b;
		struct hist *h = &st->runs[i];
		if (!json_is_object(v))
			return fail(c, rp, "", "not an object");
		if (get_u64(c, v, rp, "count", &count) || get_u64(c, v, rp, "min_ns", &min) ||
		    get_u64(c, v, rp, "max_ns", &max) ||
		    !(b = get_typed(c, v, rp, "histogram_buckets", JSON_ARRAY)) ||
		    read_buckets(c, b, rp, h))
			return -1;
		if (h->count != count)
			return fail(c, rp, "count", "%" PRIu64 " but the histogram buckets hold %" PRIu64,
				    count, h->count);
		if (count && set_min_max(c, rp, h, min, max))
			return -1;
		total += count;
	}
	if (total != hist_count(&st->hist))
		return fail(c, path, "runs", "their counts add up to %" PRIu64 ", not count %" PRIu64,
			    total, hist_count(&st->hist));
	return 0;
}

static int read_step(struct jr *c, json_t *o, const char *path, struct step_stats *st, int schema,
		     uint64_t runs)
{
	char kind[16], variant[SCENARIO_VARIANT_NAME_MAX + 1];
	if (!json_is_object(o))
		return fail(c, path, "", "not an object");
	if (get_str(c, o, path, "label", st->label, sizeof st->label) ||
	    get_str(c, o, path, "step", st->step, sizeof st->step) ||
	    get_str(c, o, path, "kind", kind, sizeof kind) ||
	    get_str(c, o, path, "variant", variant, sizeof variant))
		return -1;
	unsigned k;
	for (k = 0; k < SCENARIO_STEP__COUNT; k++)
		if (strcmp(kind, scenario_step_kind_name((enum scenario_step_kind)k)) == 0)
			break;
	if (k == SCENARIO_STEP__COUNT)
		return fail(c, path, "kind", "unknown step kind '%s'", kind);
	st->kind = (enum scenario_step_kind)k;
	st->variant = variant[0] ? scenario_variant_find(variant, strlen(variant))
				 : SCENARIO_VARIANT_NONE;
	if (st->variant == SCENARIO_VARIANT__COUNT)
		return fail(c, path, "variant", "unknown variant '%s'", variant);
	if (!scenario_variant_of_kind(st->kind, st->variant))
		return fail(c, path, "variant", "%s steps have no '%s' row", kind, variant);
	char row[RESULTS_LABEL_MAX];
	scenario_row_name(row, sizeof row, st->step, st->variant);
	if (strcmp(row, st->label) != 0)
		return fail(c, path, "label", "'%s' is not the row name of step '%s' (want '%s')",
			    st->label, st->step, row);
	if (get_u64(c, o, path, "errors", &st->errors) || read_hist(c, o, path, &st->hist) ||
	    read_runs(c, o, path, st, runs))
		return -1;
	if (schema >= 5 &&
	    get_str(c, o, path, "first_error", st->first_error, sizeof st->first_error))
		return -1;

	char pp[PATH_MAX_LEN];
	subpath(pp, sizeof pp, "%s.pages", path);
	json_t *pg = get_typed(c, o, path, "pages", JSON_OBJECT);
	if (!pg || get_u64(c, pg, pp, "scratch_pages", &st->scratch_pages) ||
	    get_u64(c, pg, pp, "exits", &st->exits) ||
	    get_u64(c, pg, pp, "full_restores", &st->full_restores) ||
	    get_u64(c, pg, pp, "pages_reset", &st->pages_reset) ||
	    get_u64(c, pg, pp, "snapshots", &st->snapshots) ||
	    get_u64(c, pg, pp, "pages_mapped", &st->pages_mapped) ||
	    get_u64(c, pg, pp, "pages_copied", &st->pages_copied) ||
	    get_u64(c, pg, pp, "pages_aliased", &st->pages_aliased) ||
	    get_u64(c, pg, pp, "pt_pages", &st->pt_pages) ||
	    get_u64(c, pg, pp, "zero_pages", &st->zero_pages) ||
	    get_u64(c, pg, pp, "snapshot_bytes", &st->snapshot_bytes))
		return -1;
	if (schema >= 4 && (get_u64(c, pg, pp, "cow_faults", &st->cow_faults) ||
			    get_u64(c, pg, pp, "bytes_copied", &st->bytes_copied) ||
			    get_u64(c, pg, pp, "pages_retained", &st->pages_retained)))
		return -1;
	/* written only when retain's cap was reached */
	if (schema >= 4 && json_object_get(pg, "retain_dropped") &&
	    get_u64(c, pg, pp, "retain_dropped", &st->retain_dropped))
		return -1;
	/* Incremental snapshots' sharing: written for snapshot rows since
	 * issue 15, absent from older files (then 0). */
	static const char *const sharing[] = { "snapshots_incremental", "pages_shared",
					       "pt_pages_new", "pages_deduped", "bytes_new" };
	uint64_t *sharing_at[] = { &st->snapshots_incremental, &st->pages_shared,
				   &st->pt_pages_new, &st->pages_deduped, &st->bytes_new };
	for (size_t k = 0; k < sizeof sharing / sizeof sharing[0]; k++)
		if (json_object_get(pg, sharing[k]) && get_u64(c, pg, pp, sharing[k], sharing_at[k]))
			return -1;
	if (json_object_get(pg, "full_reason") &&
	    get_str(c, pg, pp, "full_reason", st->full_reason, sizeof st->full_reason))
		return -1;
	if (st->snapshots_incremental > st->snapshots)
		return fail(c, pp, "snapshots_incremental", "%" PRIu64 " is above snapshots %" PRIu64,
			    st->snapshots_incremental, st->snapshots);
	if (st->full_restores > hist_count(&st->hist))
		return fail(c, pp, "full_restores", "%" PRIu64 " is above count %" PRIu64,
			    st->full_restores, hist_count(&st->hist));

	/* derived: checked for type, recomputed when written */
	subpath(pp, sizeof pp, "%s.ratios", path);
	json_t *ra = get_typed(c, o, path, "ratios", JSON_OBJECT);
	if (!ra)
		return -1;
	static const char *const rkeys[] = { "p50_over_exit_sandbox", "p50_over_exit_real_mode" };
	for (size_t i = 0; i < 2; i++) {
		json_t *v = field(c, ra, pp, rkeys[i]);
		if (!v)
			return -1;
		if (!json_is_number(v) && !json_is_null(v))
			return fail(c, pp, rkeys[i], "not a number or null");
	}
	return 0;
}

/* Derived: checked for type and against the rows, recomputed when
 * written. */
static int read_penalties(struct jr *c, json_t *o, const char *path, const struct scenario_result *s)
{
	json_t *arr = get_typed(c, o, path, "post_restore_penalties", JSON_ARRAY);
	if (!arr)
		return -1;
	size_t i = 0, want = 0;
	json_t *v;
	char sub[PATH_MAX_LEN];
	for (size_t r = 0; r < s->n_steps; r++) {
		struct post_restore_penalty p;
		if (!scenario_result_penalty(s, &s->steps[r], &p))
			continue;
		want++;
		subpath(sub, sizeof sub, "%s.post_restore_penalties[%zu]", path, i);
		v = json_array_get(arr, i++);
		if (!v)
			return fail(c, path, "post_restore_penalties",
				    "has no entry for '%s' (its first calls after a restore were "
				    "recorded)",
				    p.first->step);
		char step[RESULTS_LABEL_MAX];
		uint64_t first;
		if (!json_is_object(v))
			return fail(c, sub, "", "not an object");
		if (get_str(c, v, sub, "step", step, sizeof step) ||
		    get_u64(c, v, sub, "first_after_restore_p50_ns", &first))
			return -1;
		if (strcmp(step, p.first->step) != 0)
			return fail(c, sub, "step", "'%s', but the rows say '%s'", step, p.first->step);
		static const char *const nkeys[] = { "steady_p50_ns", "penalty_p50_ns" };
		for (size_t k = 0; k < 2; k++) {
			json_t *n = field(c, v, sub, nkeys[k]);
			if (!n)
				return -1;
			if (!json_is_integer(n) && !json_is_null(n))
				return fail(c, sub, nkeys[k], "not an integer or null");
		}
		char rpath[PATH_MAX_LEN];
		subpath(rpath, sizeof rpath, "%s.ratios", sub);
		json_t *ra = get_typed(c, v, sub, "ratios", JSON_OBJECT);
		json_t *x = ra ? field(c, ra, rpath, "penalty_over_exit_sandbox") : NULL;
		if (!x)
			return -1;
		if (!json_is_number(x) && !json_is_null(x))
			return fail(c, rpath, "penalty_over_exit_sandbox", "not a number or null");
	}
	if (json_array_size(arr) != want)
		return fail(c, path, "post_restore_penalties",
			    "%zu entries, but the rows have first calls after a restore for %zu "
			    "labels",
			    json_array_size(arr), want);
	return 0;
}

static int read_expect(struct jr *c, json_t *o, const char *path, struct expect_result *e)
{
	if (!json_is_object(o))
		return fail(c, path, "", "not an object");
	return get_str(c, o, path, "text", e->text, sizeof e->text) ||
			       get_bool(c, o, path, "passed", &e->passed) ||
			       get_real(c, o, path, "got", &e->got) ||
			       get_str(c, o, path, "why", e->why, sizeof e->why)
		       ? -1
		       : 0;
}

/* Option pool: an object "pool" when the scenario had one; none in every
 * other report (older ones included): size 0. */
static int read_pool(struct jr *c, json_t *o, const char *path, struct pool_result *p)
{
	memset(p, 0, sizeof *p);
	json_t *po = json_object_get(o, "pool");
	if (!po || json_is_null(po))
		return 0;
	char sub[256];
	snprintf(sub, sizeof sub, "%s.pool", path);
	if (!json_is_object(po))
		return fail(c, path, "pool", "not an object");
	if (get_u64(c, po, sub, "size", &p->size) || get_u64(c, po, sub, "prefilled", &p->prefilled) ||
	    get_u64(c, po, sub, "idle_end", &p->idle_end) ||
	    get_u64(c, po, sub, "takes_pooled", &p->takes_pooled) ||
	    get_u64(c, po, sub, "takes_fresh", &p->takes_fresh) ||
	    get_u64(c, po, sub, "takes_unscrubbed", &p->takes_unscrubbed) ||
	    get_u64(c, po, sub, "takes_full", &p->takes_full) ||
	    get_u64(c, po, sub, "puts_kept", &p->puts_kept) ||
	    get_u64(c, po, sub, "puts_destroyed", &p->puts_destroyed) ||
	    get_u64(c, po, sub, "scrubs", &p->scrubs) ||
	    get_u64(c, po, sub, "scrub_failures", &p->scrub_failures) ||
	    get_u64(c, po, sub, "scrub_ns_total", &p->scrub_ns_total) ||
	    get_u64(c, po, sub, "scrub_cpu_ns_total", &p->scrub_cpu_ns_total))
		return -1;
	if (p->size == 0)
		return fail(c, sub, "size", "0 (a report without a pool has no \"pool\")");
	return 0;
}

/* Schema 4: the strategy the scenario ran with, the pages it declares. */
static int read_strategy(struct jr *c, json_t *o, const char *path, struct scenario_result *s,
			 int schema)
{
	s->dirtied_pages = SCENARIO_NONE;
	if (schema < 4) { /* the one restore there was then */
		snprintf(s->restore_strategy, sizeof s->restore_strategy, "%s",
			 sandbox_restore_strategy_name(SANDBOX_RESTORE_REWRITE));
		return 0;
	}
	if (get_str(c, o, path, "restore_strategy", s->restore_strategy, sizeof s->restore_strategy))
		return -1;
	if (!s->restore_strategy[0])
		return fail(c, path, "restore_strategy", "empty");
	json_t *d = field(c, o, path, "dirtied_pages");
	if (!d)
		return -1;
	if (!json_is_null(d) && as_u64(c, d, path, "dirtied_pages", &s->dirtied_pages))
		return -1;
	if (s->dirtied_pages == SCENARIO_NONE && !json_is_null(d))
		return fail(c, path, "dirtied_pages", "out of range");
	return 0;
}

/* Schema 5's scaling way: null, or a name as the option spells them
 * ([a-z0-9-], a newer build's too: the tables print it as it is); a
 * report written before the key read as none. */
static int read_scaling(struct jr *c, json_t *o, const char *path, struct scenario_result *s,
			int schema)
{
	s->scaling[0] = '\0';
	json_t *v = schema >= 5 ? json_object_get(o, "scaling") : NULL;
	if (!v || json_is_null(v))
		return 0;
	if (as_str(c, v, path, "scaling", s->scaling, sizeof s->scaling))
		return -1;
	if (!s->scaling[0] || strspn(s->scaling, "abcdefghijklmnopqrstuvwxyz0123456789-") !=
				      strlen(s->scaling)) {
		s->scaling[0] = '\0';
		return fail(c, path, "scaling", "not a way's name (lower-case letters, digits, '-')");
	}
	return 0;
}

static int read_scenario(struct jr *c, json_t *o, const char *path, struct scenario_result *s,
			 int schema)
{
	if (!json_is_object(o))
		return fail(c, path, "", "not an object");
	if (get_str(c, o, path, "name", s->name, sizeof s->name) ||
	    get_str(c, o, path, "description", s->description, sizeof s->description) ||
	    get_str(c, o, path, "file", s->file, sizeof s->file) ||
	    (schema >= 5 &&
	     get_str(c, o, path, "file_digest", s->file_digest, sizeof s->file_digest)) ||
	    read_strategy(c, o, path, s, schema) || read_scaling(c, o, path, s, schema))
		return -1;

	json_t *opts = get_typed(c, o, path, "options", JSON_OBJECT);
	if (!opts)
		return -1;
	char sub[PATH_MAX_LEN];
	subpath(sub, sizeof sub, "%s.options", path);
	s->options = calloc(json_object_size(opts) + 1, sizeof *s->options);
	if (!s->options)
		return sb_errf(c->err, SB_E_NOMEM, "%s: out of memory", c->file);
	const char *key;
	json_t *v;
	json_object_foreach(opts, key, v) {
		struct option_echo *oe = &s->options[s->n_options];
		if (strlen(key) >= sizeof oe->name)
			return fail(c, sub, key, "option name longer than %zu bytes",
				    sizeof oe->name - 1);
		strcpy(oe->name, key);
		if (!json_is_string(v))
			return fail(c, sub, key, "not a string");
		size_t len = json_string_length(v);
		if (memchr(json_string_value(v), '\0', len))
			return fail(c, sub, key, "contains a NUL character");
		/* any length: a long step list is echoed whole */
		if (!(oe->value = strdup(json_string_value(v))))
			return sb_errf(c->err, SB_E_NOMEM, "%s: out of memory", c->file);
		s->n_options++; /* owned from here on, freed on error */
	}

	uint64_t runs = 1;
	if (schema >= 5 && get_u64(c, o, path, "runs", &runs))
		return -1;
	if (runs < 1 || runs > RESULTS_RUNS_MAX)
		return fail(c, path, "runs", "%" PRIu64 " is not 1 to %d", runs, RESULTS_RUNS_MAX);
	s->runs = (unsigned)runs;
	if (get_u64(c, o, path, "iterations", &s->iterations) ||
	    get_u64(c, o, path, "warmup", &s->warmup) ||
	    get_u64(c, o, path, "sandboxes", &s->sandboxes) ||
	    get_u64(c, o, path, "heap_bytes", &s->heap_bytes) ||
	    get_u64(c, o, path, "scratch_bytes", &s->scratch_bytes) ||
	    get_u64(c, o, path, "wall_ns", &s->wall_ns) ||
	    get_u64(c, o, path, "rss_bytes", &s->rss_bytes))
		return -1;

	json_t *cal = get_typed(c, o, path, "calibration", JSON_OBJECT);
	subpath(sub, sizeof sub, "%s.calibration", path);
	if (!cal || get_u64(c, cal, sub, "exit_real_mode_ns", &s->cal.exit_real_mode_ns) ||
	    get_u64(c, cal, sub, "exit_sandbox_ns", &s->cal.exit_sandbox_ns) ||
	    get_real(c, cal, sub, "memset_gib_per_s", &s->cal.memset_gib_per_s) ||
	    (schema >= 5 && report_json_read_calibration5(c, cal, sub, &s->cal)))
		return -1;
	if (get_bool(c, o, path, "failed", &s->failed) ||
	    get_str(c, o, path, "error", s->error, sizeof s->error))
		return -1;

	json_t *ex = get_typed(c, o, path, "expects", JSON_ARRAY);
	if (!ex)
		return -1;
	s->expects = calloc(json_array_size(ex) + 1, sizeof *s->expects);
	if (!s->expects)
		return sb_errf(c->err, SB_E_NOMEM, "%s: out of memory", c->file);
	size_t i;
	json_array_foreach(ex, i, v) {
		subpath(sub, sizeof sub, "%s.expects[%zu]", path, i);
		if (read_expect(c, v, sub, &s->expects[i]))
			return -1;
		s->n_expects++;
	}

	json_t *steps = get_typed(c, o, path, "steps", JSON_ARRAY);
	if (!steps)
		return -1;
	s->steps = calloc(json_array_size(steps) + 1, sizeof *s->steps);
	if (!s->steps)
		return sb_errf(c->err, SB_E_NOMEM, "%s: out of memory", c->file);
	json_array_foreach(steps, i, v) {
		subpath(sub, sizeof sub, "%s.steps[%zu]", path, i);
		if (read_step(c, v, sub, &s->steps[i], schema, runs)) {
			/* not counted in n_steps yet: its runs are freed here */
			free(s->steps[i].runs);
			s->steps[i].runs = NULL;
			return -1;
		}
		s->n_steps++;
		for (size_t j = 0; j < i; j++)
			if (strcmp(s->steps[j].label, s->steps[i].label) == 0)
				return fail(c, sub, "label", "'%s' repeats steps[%zu]",
					    s->steps[i].label, j);
	}
	if (read_penalties(c, o, path, s))
		return -1;
	if (read_pool(c, o, path, &s->pool))
		return -1;
	if (schema < 5)
		return 0; /* before the open loop's statistics */
	json_t *ol = field(c, o, path, "open_loop");
	return ol ? report_json_read_open_loop(c, ol, path, &s->open_loop) : -1;
}

static int read_root(struct jr *c, json_t *root, struct run_report *r)
{
	if (!json_is_object(root))
		return sb_errf(c->err, SB_E_INVAL, "%s: not a JSON object (not a snapbench report)",
			       c->file);
	uint64_t schema;
	if (get_u64(c, root, "", "schema_version", &schema))
		return -1;
	if (schema < RESULTS_SCHEMA_OLDEST || schema > RESULTS_SCHEMA_VERSION)
		return sb_errf(c->err, SB_E_INVAL,
			       "%s: schema_version %" PRIu64 " is not supported (this snapbench reads"
			       " schema_version %d to %d)%s",
			       c->file, schema, RESULTS_SCHEMA_OLDEST, RESULTS_SCHEMA_VERSION,
			       schema == 2 ? "; schema 2 has no restore page statistics "
					     "(full_restores, pages_reset): run the scenarios again"
					   : "");
	r->schema_version = (int)schema;
	if (get_str(c, root, "", "tool_version", r->tool_version, sizeof r->tool_version) ||
	    get_str(c, root, "", "started", r->started, sizeof r->started) ||
	    (r->schema_version >= 5 && report_json_read_trace(c, root, r)) ||
	    read_machine(c, root, &r->machine, r->schema_version))
		return -1;
	json_t *arr = get_typed(c, root, "", "scenarios", JSON_ARRAY);
	if (!arr)
		return -1;
	r->scenarios = calloc(json_array_size(arr) + 1, sizeof *r->scenarios);
	if (!r->scenarios)
		return sb_errf(c->err, SB_E_NOMEM, "%s: out of memory", c->file);
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v) {
		char path[PATH_MAX_LEN];
		snprintf(path, sizeof path, "scenarios[%zu]", i);
		r->n_scenarios++; /* owned from here on, freed on error */
		if (read_scenario(c, v, path, &r->scenarios[i], r->schema_version))
			return -1;
		for (size_t j = 0; j < i; j++)
			if (strcmp(r->scenarios[j].name, r->scenarios[i].name) == 0)
				return fail(c, path, "name", "'%s' repeats scenarios[%zu]",
					    r->scenarios[i].name, j);
	}
	return 0;
}

/* The parsed document (or NULL, its error in je) into r. */
static int read_document(struct run_report *r, const char *name, json_t *root,
			 const json_error_t *je, struct sb_err *err)
{
	if (!root) {
		if (je->line < 0) /* could not open or read */
			return sb_errf(err, SB_E_IO, "%s: %s", name, je->text);
		return sb_errf(err, SB_E_INVAL, "%s:%d:%d: not valid JSON: %s", name, je->line,
			       je->column, je->text);
	}
	struct jr c = { .file = name, .err = err };
	int rc = read_root(&c, root, r);
	json_decref(root);
	if (rc)
		run_report_free(r);
	return rc;
}

int report_read_json(struct run_report *r, const char *path, struct sb_err *err)
{
	memset(r, 0, sizeof *r);
	/* a directory (say `run -o DIR` given for its report.json) reads as
	 * "not valid JSON near end of file" to jansson: say what it is */
	struct stat st;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return sb_errf(err, SB_E_IO,
			       "%s: a directory, not a report (its report is %s/report.json)", path,
			       path);
	json_error_t je;
	json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
	return read_document(r, path, root, &je, err);
}

int report_read_json_buffer(struct run_report *r, const char *name, const char *text,
			    size_t len, struct sb_err *err)
{
	memset(r, 0, sizeof *r);
	json_error_t je;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	return read_document(r, name, root, &je, err);
}
