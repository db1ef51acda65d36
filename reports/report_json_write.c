/* report_json_write.c — the JSON report (schema in reports.h). */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <string.h>

#include "report_json.h"
#include "report_json_internal.h"
#include "report_util.h"
#include "reports.h"

void report_jw_put(struct jw *w, json_t *obj, const char *key, json_t *v)
{
	if (!v || json_object_set_new(obj, key, v))
		w->oom = true;
}
#define put report_jw_put

static void push(struct jw *w, json_t *arr, json_t *v)
{
	if (!v || json_array_append_new(arr, v))
		w->oom = true;
}

static json_t *ju64(struct jw *w, const char *key, uint64_t v)
{
	if (v > (uint64_t)INT64_MAX) {
		if (!w->too_big[0])
			snprintf(w->too_big, sizeof w->too_big, "%s = %" PRIu64, key, v);
		v = INT64_MAX;
	}
	return json_integer((json_int_t)v);
}

void report_jw_put_u64(struct jw *w, json_t *obj, const char *key, uint64_t v)
{
	put(w, obj, key, ju64(w, key, v));
}
#define put_u64 report_jw_put_u64

void report_jw_put_str(struct jw *w, json_t *obj, const char *key, const char *s)
{
	put(w, obj, key, json_string(s));
}
#define put_str report_jw_put_str

static void put_real3(struct jw *w, json_t *obj, const char *key, double v)
{
	put(w, obj, key, json_real(report_round3(v)));
}

static json_t *machine_json(struct jw *w, const struct machine_facts *m, int schema)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	put_str(w, o, "cpu", m->cpu);
	put_str(w, o, "kernel", m->kernel);
	put_str(w, o, "hypervisor", m->hypervisor);
	if (schema >= 5)
		put_str(w, o, "hypervisor_version", m->hypervisor_version);
	put_u64(w, o, "cpus", m->cpus);
	put_u64(w, o, "mem_bytes", m->mem_bytes);
	return o;
}

/* [[lower_ns, upper_ns, count], ...] of the non-empty buckets. */
static json_t *buckets_json(struct jw *w, const struct hist *h)
{
	json_t *buckets = json_array();
	struct hist_iter it;
	struct hist_bucket b;
	for (hist_iter_init(&it, h); buckets && hist_iter_next(&it, &b);) {
		json_t *t = json_array();
		push(w, buckets, t);
		if (!t)
			break;
		push(w, t, ju64(w, "histogram_buckets", b.lower_ns));
		push(w, t, ju64(w, "histogram_buckets", b.upper_ns));
		push(w, t, ju64(w, "histogram_buckets", b.count));
	}
	return buckets;
}

/* Keys a schema added are written only for it and later ones: a report
 * read from an older schema is written back as it was. */
static json_t *step_json(struct jw *w, const struct step_stats *st, const struct calibration *cal,
			 int schema)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	struct hist_summary s;
	hist_summarize(&st->hist, &s);
	put_str(w, o, "label", st->label);
	put_str(w, o, "step", st->step);
	put_str(w, o, "kind", scenario_step_kind_name(st->kind));
	put_str(w, o, "variant", scenario_variant_name(st->variant));
	put_u64(w, o, "count", s.count);
	put_u64(w, o, "errors", st->errors);
	if (schema >= 5)
		put_str(w, o, "first_error", st->first_error);
	put_u64(w, o, "overflow", s.overflow);
	put_u64(w, o, "min_ns", s.min_ns);
	put_u64(w, o, "max_ns", s.max_ns);
	put_real3(w, o, "mean_ns", s.mean_ns);
	put_real3(w, o, "stddev_ns", s.stddev_ns);

	json_t *p = json_object();
	put(w, o, "percentiles_ns", p);
	if (p) {
		put_u64(w, p, "p50", s.p50_ns);
		put_u64(w, p, "p90", s.p90_ns);
		put_u64(w, p, "p99", s.p99_ns);
		put_u64(w, p, "p99.9", s.p99_9_ns);
		put_u64(w, p, "p99.99", s.p99_99_ns);
	}

	put(w, o, "histogram_buckets", buckets_json(w, &st->hist));
	if (schema >= 5 && st->n_runs > 1) {
		json_t *runs = json_array();
		put(w, o, "runs", runs);
		for (size_t i = 0; runs && i < st->n_runs; i++) {
			json_t *ro = json_object();
			push(w, runs, ro);
			if (!ro)
				break;
			put_u64(w, ro, "count", hist_count(&st->runs[i]));
			put_u64(w, ro, "min_ns", hist_min(&st->runs[i]));
			put_u64(w, ro, "max_ns", hist_max(&st->runs[i]));
			put(w, ro, "histogram_buckets", buckets_json(w, &st->runs[i]));
		}
	}

	json_t *pg = json_object();
	put(w, o, "pages", pg);
	if (pg) {
		put_u64(w, pg, "scratch_pages", st->scratch_pages);
		put_u64(w, pg, "exits", st->exits);
		if (schema >= 4)
			put_u64(w, pg, "cow_faults", st->cow_faults);
		put_u64(w, pg, "full_restores", st->full_restores);
		put_u64(w, pg, "pages_reset", st->pages_reset);
		if (schema >= 4) {
			put_u64(w, pg, "bytes_copied", st->bytes_copied);
			put_u64(w, pg, "pages_retained", st->pages_retained);
			if (st->retain_dropped) /* retain's cap reached: rare */
				put_u64(w, pg, "retain_dropped", st->retain_dropped);
		}
		put_u64(w, pg, "snapshots", st->snapshots);
		put_u64(w, pg, "pages_mapped", st->pages_mapped);
		put_u64(w, pg, "pages_copied", st->pages_copied);
		put_u64(w, pg, "pages_aliased", st->pages_aliased);
		put_u64(w, pg, "pt_pages", st->pt_pages);
		put_u64(w, pg, "zero_pages", st->zero_pages);
		put_u64(w, pg, "snapshot_bytes", st->snapshot_bytes);
		/* Since issue 15 (every snapshot adds bytes): absent from older
		 * files, which are written back as they were read. */
		if (st->bytes_new || st->snapshots_incremental) {
			put_u64(w, pg, "snapshots_incremental", st->snapshots_incremental);
			put_u64(w, pg, "pages_shared", st->pages_shared);
			put_u64(w, pg, "pt_pages_new", st->pt_pages_new);
			put_u64(w, pg, "pages_deduped", st->pages_deduped);
			put_u64(w, pg, "bytes_new", st->bytes_new);
			if (st->full_reason[0])
				put_str(w, pg, "full_reason", st->full_reason);
		}
	}

	json_t *ra = json_object();
	put(w, o, "ratios", ra);
	if (ra) {
		double x;
		put(w, ra, "p50_over_exit_sandbox",
		    report_ratio(s.p50_ns, cal->exit_sandbox_ns, &x) ? json_real(x) : json_null());
		put(w, ra, "p50_over_exit_real_mode",
		    report_ratio(s.p50_ns, cal->exit_real_mode_ns, &x) ? json_real(x) : json_null());
	}
	return o;
}

static json_t *jnull_or_i64(bool have, int64_t v)
{
	return have ? json_integer((json_int_t)v) : json_null();
}

/* One per call label with recorded first calls after a restore. */
static json_t *penalties_json(struct jw *w, const struct scenario_result *sc)
{
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < sc->n_steps; i++) {
		struct post_restore_penalty p;
		if (!scenario_result_penalty(sc, &sc->steps[i], &p))
			continue;
		json_t *o = json_object();
		push(w, arr, o);
		if (!o)
			break;
		bool steady = p.steady != NULL;
		put_str(w, o, "step", p.first->step);
		put_u64(w, o, "first_after_restore_p50_ns", p.first_p50_ns);
		put(w, o, "steady_p50_ns", jnull_or_i64(steady, (int64_t)p.steady_p50_ns));
		put(w, o, "penalty_p50_ns", jnull_or_i64(steady, p.penalty_ns));
		json_t *ra = json_object();
		put(w, o, "ratios", ra);
		double x;
		if (ra)
			put(w, ra, "penalty_over_exit_sandbox",
			    steady && report_ratio_signed(p.penalty_ns, sc->cal.exit_sandbox_ns, &x)
				    ? json_real(x)
				    : json_null());
	}
	return arr;
}

static json_t *scenario_json(struct jw *w, const struct scenario_result *sc, int schema)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	put_str(w, o, "name", sc->name);
	put_str(w, o, "description", sc->description);
	put_str(w, o, "file", sc->file);
	if (schema >= 5)
		put_str(w, o, "file_digest", sc->file_digest);
	if (schema >= 4) {
		put_str(w, o, "restore_strategy", sc->restore_strategy);
		put(w, o, "dirtied_pages",
		    sc->dirtied_pages == SCENARIO_NONE ? json_null()
						       : ju64(w, "dirtied_pages", sc->dirtied_pages));
	}
	/* a scaling way (schema 5, added without a new schema: readers of
	 * older builds ignore it, and reports without it read as none) */
	if (schema >= 5)
		put(w, o, "scaling", sc->scaling[0] ? json_string(sc->scaling) : json_null());
	json_t *opts = json_object();
	put(w, o, "options", opts);
	for (size_t i = 0; opts && i < sc->n_options; i++)
		put_str(w, opts, sc->options[i].name, sc->options[i].value);
	if (schema >= 5)
		put_u64(w, o, "runs", sc->runs ? sc->runs : 1);
	put_u64(w, o, "iterations", sc->iterations);
	put_u64(w, o, "warmup", sc->warmup);
	put_u64(w, o, "sandboxes", sc->sandboxes);
	put_u64(w, o, "heap_bytes", sc->heap_bytes);
	put_u64(w, o, "scratch_bytes", sc->scratch_bytes);
	put_u64(w, o, "wall_ns", sc->wall_ns);
	put_u64(w, o, "rss_bytes", sc->rss_bytes);

	json_t *cal = json_object();
	put(w, o, "calibration", cal);
	if (cal) {
		put_u64(w, cal, "exit_real_mode_ns", sc->cal.exit_real_mode_ns);
		put_u64(w, cal, "exit_sandbox_ns", sc->cal.exit_sandbox_ns);
		put_real3(w, cal, "memset_gib_per_s", sc->cal.memset_gib_per_s);
		if (schema >= 5)
			report_json_calibration5(w, cal, &sc->cal);
	}
	put(w, o, "failed", json_boolean(sc->failed));
	put_str(w, o, "error", sc->error);

	json_t *ex = json_array();
	put(w, o, "expects", ex);
	for (size_t i = 0; ex && i < sc->n_expects; i++) {
		const struct expect_result *e = &sc->expects[i];
		json_t *eo = json_object();
		push(w, ex, eo);
		if (!eo)
			break;
		put_str(w, eo, "text", e->text);
		put(w, eo, "passed", json_boolean(e->passed));
		put_real3(w, eo, "got", e->got);
		put_str(w, eo, "why", e->why);
	}

	json_t *steps = json_array();
	put(w, o, "steps", steps);
	for (size_t i = 0; steps && i < sc->n_steps; i++)
		push(w, steps, step_json(w, &sc->steps[i], &sc->cal, schema));
	put(w, o, "post_restore_penalties", penalties_json(w, sc));
	if (schema >= 5)
		put(w, o, "open_loop", sc->open_loop ? report_json_open_loop(sc->open_loop) : json_null());
	/* option pool: only when there was one (a reader without it skips it) */
	if (sc->pool.size) {
		json_t *p = json_object();
		put(w, o, "pool", p);
		if (p) {
			put_u64(w, p, "size", sc->pool.size);
			put_u64(w, p, "prefilled", sc->pool.prefilled);
			put_u64(w, p, "idle_end", sc->pool.idle_end);
			put_u64(w, p, "takes_pooled", sc->pool.takes_pooled);
			put_u64(w, p, "takes_fresh", sc->pool.takes_fresh);
			put_u64(w, p, "takes_unscrubbed", sc->pool.takes_unscrubbed);
			put_u64(w, p, "takes_full", sc->pool.takes_full);
			put_u64(w, p, "puts_kept", sc->pool.puts_kept);
			put_u64(w, p, "puts_destroyed", sc->pool.puts_destroyed);
			put_u64(w, p, "scrubs", sc->pool.scrubs);
			put_u64(w, p, "scrub_failures", sc->pool.scrub_failures);
			put_u64(w, p, "scrub_ns_total", sc->pool.scrub_ns_total);
			put_u64(w, p, "scrub_cpu_ns_total", sc->pool.scrub_cpu_ns_total);
		}
	}
	return o;
}

int report_write_json(const struct run_report *r, FILE *f, struct sb_err *err)
{
	struct jw w = { 0 };
	json_t *root = json_object();
	if (!root)
		return sb_errf(err, SB_E_NOMEM, "JSON report: out of memory");
	put_str(&w, root, "tool_version", r->tool_version);
	put_u64(&w, root, "schema_version", (uint64_t)r->schema_version);
	put_str(&w, root, "started", r->started);
	if (r->schema_version >= 5)
		report_json_trace(&w, root, r);
	put(&w, root, "machine", machine_json(&w, &r->machine, r->schema_version));
	json_t *arr = json_array();
	put(&w, root, "scenarios", arr);
	for (size_t i = 0; arr && i < r->n_scenarios; i++)
		push(&w, arr, scenario_json(&w, &r->scenarios[i], r->schema_version));

	int rc = 0;
	if (w.oom) {
		rc = sb_errf(err, SB_E_NOMEM, "JSON report: out of memory (or a string is not UTF-8)");
	} else if (w.too_big[0]) {
		rc = sb_errf(err, SB_E_RANGE, "JSON report: %s is above 2^63 - 1", w.too_big);
	} else {
		errno = 0;
		size_t flags = JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15);
		if (json_dumpf(root, f, flags) || fputc('\n', f) == EOF || fflush(f) || ferror(f))
			rc = sb_errf(err, SB_E_IO, "writing the JSON report: %s",
				     strerror(errno ? errno : EIO));
	}
	json_decref(root);
	return rc;
}
