/* report_json_open_loop.c — a scenario's "open_loop" in the JSON report
 * (schema 5, reports.h): the target and achieved rates and three
 * histograms with the keys a step row gives its latency histogram. */
#include <stdlib.h>
#include <string.h>

#include "report_json_internal.h"
#include "report_util.h"

static bool set(json_t *o, const char *key, json_t *v)
{
	return v && json_object_set_new(o, key, v) == 0;
}

static bool set_u64(json_t *o, const char *key, uint64_t v)
{
	/* histogram values are below 2^40 and counts below 2^63 */
	return set(o, key, json_integer((json_int_t)v));
}

bool report_json_put_hist(json_t *o, const struct hist *h)
{
	struct hist_summary s;
	hist_summarize(h, &s);
	bool ok = set_u64(o, "count", s.count) && set_u64(o, "overflow", s.overflow) &&
		  set_u64(o, "min_ns", s.min_ns) && set_u64(o, "max_ns", s.max_ns) &&
		  set(o, "mean_ns", json_real(report_round3(s.mean_ns))) &&
		  set(o, "stddev_ns", json_real(report_round3(s.stddev_ns)));
	json_t *p = json_object();
	ok = ok && set(o, "percentiles_ns", p) && set_u64(p, "p50", s.p50_ns) &&
	     set_u64(p, "p90", s.p90_ns) && set_u64(p, "p99", s.p99_ns) &&
	     set_u64(p, "p99.9", s.p99_9_ns) && set_u64(p, "p99.99", s.p99_99_ns);
	json_t *buckets = json_array();
	ok = ok && set(o, "histogram_buckets", buckets);
	struct hist_iter it;
	struct hist_bucket b;
	for (hist_iter_init(&it, h); ok && hist_iter_next(&it, &b);) {
		json_t *t = json_pack("[III]", (json_int_t)b.lower_ns, (json_int_t)b.upper_ns,
				      (json_int_t)b.count);
		ok = t && json_array_append_new(buckets, t) == 0;
	}
	return ok;
}

static const char *const hist_keys[] = { "iteration", "queueing_delay", "sleep_overshoot" };

static struct hist *hist_of(struct open_loop_stats *ol, size_t i)
{
	return i == 0 ? &ol->iteration : i == 1 ? &ol->queueing_delay : &ol->sleep_overshoot;
}

json_t *report_json_open_loop(const struct open_loop_stats *ol)
{
	json_t *o = json_object();
	bool ok = o && set_u64(o, "rate_per_sandbox", ol->rate_per_sandbox) &&
		  set(o, "rate_target_per_s", json_real(report_round3(ol->rate_target_per_s))) &&
		  set(o, "rate_achieved_per_s", json_real(report_round3(ol->rate_achieved_per_s)));
	for (size_t i = 0; ok && i < 3; i++) {
		json_t *h = json_object();
		ok = set(o, hist_keys[i], h) &&
		     report_json_put_hist(h, hist_of((struct open_loop_stats *)ol, i));
	}
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int get_rate(struct jr *c, json_t *o, const char *path, const char *key, double *out)
{
	json_t *v = json_object_get(o, key);
	if (!v)
		return report_json_fail(c, path, key, "missing");
	if (!json_is_number(v))
		return report_json_fail(c, path, key, "not a number");
	*out = json_number_value(v);
	if (*out < 0)
		return report_json_fail(c, path, key, "negative");
	return 0;
}

int report_json_read_open_loop(struct jr *c, json_t *v, const char *path,
			       struct open_loop_stats **out)
{
	*out = NULL;
	if (json_is_null(v))
		return 0; /* a closed loop */
	char sub[200];
	snprintf(sub, sizeof sub, "%s.open_loop", path);
	if (!json_is_object(v))
		return report_json_fail(c, path, "open_loop", "not an object or null");
	struct open_loop_stats *ol = calloc(1, sizeof *ol);
	if (!ol)
		return sb_errf(c->err, SB_E_NOMEM, "%s: out of memory", c->file);
	json_t *rate = json_object_get(v, "rate_per_sandbox");
	int rc = 0;
	if (!rate)
		rc = report_json_fail(c, sub, "rate_per_sandbox", "missing");
	else if (!json_is_integer(rate) || json_integer_value(rate) <= 0)
		rc = report_json_fail(c, sub, "rate_per_sandbox", "not a positive integer");
	else
		ol->rate_per_sandbox = (uint64_t)json_integer_value(rate);
	if (!rc)
		rc = get_rate(c, v, sub, "rate_target_per_s", &ol->rate_target_per_s) ||
			     get_rate(c, v, sub, "rate_achieved_per_s", &ol->rate_achieved_per_s)
		     ? -1
		     : 0;
	for (size_t i = 0; !rc && i < 3; i++) {
		json_t *h = json_object_get(v, hist_keys[i]);
		char hp[256];
		snprintf(hp, sizeof hp, "%s.%s", sub, hist_keys[i]);
		if (!h)
			rc = report_json_fail(c, sub, hist_keys[i], "missing");
		else if (!json_is_object(h))
			rc = report_json_fail(c, sub, hist_keys[i], "not an object");
		else
			rc = report_json_read_hist(c, h, hp, hist_of(ol, i));
	}
	if (rc) {
		free(ol);
		return -1;
	}
	*out = ol;
	return 0;
}
