/* runner.c — see runner.h. One thread per sandbox; each records into its
 * own step stats, merged when all are done. */
#include "runner.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "runner_internal.h"
#include "sandbox.h"
#include "snap_file.h"
#include "testguest_blob.h"
#include "vmm.h"

/* ---- labels: one step_stats per distinct label, found by index ---------- */

static int label_index(struct scenario_result *r, const char *label, enum scenario_step_kind kind)
{
	for (size_t i = 0; i < r->n_steps; i++)
		if (strcmp(r->steps[i].label, label) == 0)
			return (int)i;
	struct step_stats *n = realloc(r->steps, (r->n_steps + 1) * sizeof *n);
	if (!n)
		return -1;
	r->steps = n;
	struct step_stats *st = &r->steps[r->n_steps];
	memset(st, 0, sizeof *st);
	snprintf(st->label, sizeof st->label, "%s", label);
	st->kind = kind;
	hist_init(&st->hist);
	return (int)r->n_steps++;
}

static int collect_labels(struct scenario_result *r, const struct scenario_step *steps, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (steps[i].kind == SCENARIO_STEP_REPEAT) {
			if (collect_labels(r, steps[i].as.repeat.steps, steps[i].as.repeat.n))
				return -1;
		} else if (label_index(r, steps[i].label, steps[i].kind) < 0) {
			return -1;
		}
	}
	return 0;
}

/* ---- one sandbox's run --------------------------------------------------- */

#define NAMED_MAX 32

struct named {
	char *name; /* NULL: unnamed */
	struct snapshot *snap;
};

struct worker {
	const struct scenario *sc;
	struct scenario_result *shape; /* labels (read only) */
	struct snapshot *base;
	unsigned index;
	pthread_t thread;
	/* per-thread results */
	struct step_stats *stats;
	size_t n_stats;
	/* run state */
	struct sandbox *sb;
	struct named named[NAMED_MAX];
	size_t n_named;
	struct snapshot *last;        /* last snapshot taken or loaded */
	struct snapshot *last_loaded; /* in this iteration, for create */
	bool recording;
	uint64_t due_ns;              /* open loop: when this iteration is due, 0 = not late-corrected */
	_Atomic uint64_t *done;       /* iterations finished, for progress */
	atomic_bool finished;
	int failed;
	struct sb_err err;
};

static struct step_stats *stats_for(struct worker *w, const char *label)
{
	for (size_t i = 0; i < w->n_stats; i++)
		if (strcmp(w->stats[i].label, label) == 0)
			return &w->stats[i];
	return NULL;
}

static struct snapshot *named_get(struct worker *w, const char *name)
{
	if (!name)
		return w->last;
	for (size_t i = 0; i < w->n_named; i++)
		if (w->named[i].name && strcmp(w->named[i].name, name) == 0)
			return w->named[i].snap;
	return NULL;
}

/* Keep `s` (a reference is taken) under `name` and as the last snapshot. */
static int named_put(struct worker *w, const char *name, struct snapshot *s)
{
	snap_unref(w->last);
	w->last = snap_ref(s);
	if (!name)
		return 0;
	for (size_t i = 0; i < w->n_named; i++) {
		if (w->named[i].name && strcmp(w->named[i].name, name) == 0) {
			snap_unref(w->named[i].snap);
			w->named[i].snap = snap_ref(s);
			return 0;
		}
	}
	if (w->n_named == NAMED_MAX)
		return sb_errf(&w->err, SB_E_TOO_BIG, "more than %d named snapshots", NAMED_MAX);
	w->named[w->n_named].name = strdup(name);
	w->named[w->n_named++].snap = snap_ref(s);
	return 0;
}

static int run_steps(struct worker *w, const struct scenario_step *steps, size_t n);

/* Run one step; its latency is measured around the operation alone. */
static int run_step(struct worker *w, const struct scenario_step *s)
{
	if (s->kind == SCENARIO_STEP_REPEAT) {
		for (uint64_t i = 0; i < s->as.repeat.count; i++)
			if (run_steps(w, s->as.repeat.steps, s->as.repeat.n))
				return -1;
		return 0;
	}
	struct step_stats *st = stats_for(w, s->label);
	const struct scenario_config *c = &w->sc->cfg;
	uint64_t pages_before = s->kind == SCENARIO_STEP_CALL ? sandbox_scratch_pages_used(w->sb) : 0;
	uint64_t t0 = vmm_now_ns();
	/* Open loop: the first step of a late iteration is timed from when
	 * the iteration was due. */
	if (w->due_ns && w->due_ns < t0)
		t0 = w->due_ns;
	w->due_ns = 0;
	int rc = 0;
	bool call_error = false;
	struct snapshot *snap = NULL;
	switch (s->kind) {
	case SCENARIO_STEP_CREATE: {
		struct sandbox_config cfg = sandbox_config_default();
		cfg.deadline_ns = c->deadline_ns;
		cfg.mode = c->mode == SCENARIO_MODE_KERNEL ? SANDBOX_MODE_KERNEL : SANDBOX_MODE_USER;
		rc = sandbox_create(&w->sb, w->last_loaded ? w->last_loaded : w->base, &cfg, &w->err);
		break;
	}
	case SCENARIO_STEP_DESTROY:
		sandbox_destroy(w->sb);
		w->sb = NULL;
		break;
	case SCENARIO_STEP_CALL: {
		struct sb_value ret;
		rc = sandbox_call(w->sb, s->as.call.name, s->as.call.args, s->as.call.nargs, &ret, &w->err);
		if (rc && w->err.code == SB_E_CALL) {
			call_error = true; /* the function said no; the sandbox is fine */
			rc = 0;
		}
		break;
	}
	case SCENARIO_STEP_SNAPSHOT:
		rc = sandbox_snapshot(w->sb, &snap, &w->err);
		if (!rc)
			rc = named_put(w, s->as.snap.name, snap);
		break;
	case SCENARIO_STEP_RESTORE: {
		struct snapshot *target = named_get(w, s->as.snap.name);
		if (!target)
			rc = sb_errf(&w->err, SB_E_STATE, "no snapshot '%s' yet",
				     s->as.snap.name ? s->as.snap.name : "(last)");
		else
			rc = sandbox_restore(w->sb, target, &w->err);
		break;
	}
	case SCENARIO_STEP_SAVE: {
		struct snapshot *target = named_get(w, s->as.file.name);
		char path[1024];
		snprintf(path, sizeof path, w->index ? "%s.%u" : "%s", s->as.file.path, w->index);
		rc = target ? snap_save(target, path, &w->err)
			    : sb_errf(&w->err, SB_E_STATE, "nothing to save yet");
		break;
	}
	case SCENARIO_STEP_LOAD: {
		char path[1024];
		snprintf(path, sizeof path, w->index ? "%s.%u" : "%s", s->as.file.path, w->index);
		if (access(path, R_OK) != 0) /* sandbox N > 0 may load what sandbox 0 saved */
			snprintf(path, sizeof path, "%s", s->as.file.path);
		rc = snap_load(&snap, path, SNAP_LOAD_VERIFY, &w->err);
		if (!rc) {
			rc = named_put(w, s->as.file.name, snap);
			snap_unref(w->last_loaded);
			w->last_loaded = snap_ref(snap);
		}
		break;
	}
	case SCENARIO_STEP_SLEEP: {
		struct timespec ts = { (time_t)(s->as.sleep_ns / 1000000000ull),
				       (long)(s->as.sleep_ns % 1000000000ull) };
		nanosleep(&ts, NULL);
		break;
	}
	default:
		rc = sb_errf(&w->err, SB_E_INVAL, "unknown step kind %d", s->kind);
	}
	uint64_t t1 = vmm_now_ns();
	if (rc) {
		st->errors++;
		snap_unref(snap);
		return sb_err_prefix(&w->err, "%s:%u: step '%s': ", w->sc->file, s->line, s->label);
	}
	if (w->recording) {
		hist_record(&st->hist, t1 - t0);
		if (call_error)
			st->errors++;
		if (s->kind == SCENARIO_STEP_CALL) {
			uint64_t after = sandbox_scratch_pages_used(w->sb);
			st->scratch_pages += after > pages_before ? after - pages_before : 0;
			st->exits += sandbox_last_call_exits(w->sb);
		}
		if (s->kind == SCENARIO_STEP_SNAPSHOT && snap) {
			st->snapshots++;
			st->pages_mapped += snap->stats.pages_mapped;
			st->pages_copied += snap->stats.pages_copied;
			st->pages_aliased += snap->stats.pages_aliased;
			st->pt_pages += snap->stats.pt_pages;
			st->zero_pages += snap->stats.zero_pages;
			st->snapshot_bytes += layout_image_bytes(&snap->layout);
		}
	}
	snap_unref(snap);
	return 0;
}

static int run_steps(struct worker *w, const struct scenario_step *steps, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (run_step(w, &steps[i]))
			return -1;
	return 0;
}

static void worker_cleanup(struct worker *w)
{
	sandbox_destroy(w->sb);
	w->sb = NULL;
	for (size_t i = 0; i < w->n_named; i++) {
		free(w->named[i].name);
		snap_unref(w->named[i].snap);
	}
	w->n_named = 0;
	snap_unref(w->last);
	snap_unref(w->last_loaded);
	w->last = w->last_loaded = NULL;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	const struct scenario_config *c = &w->sc->cfg;
	uint64_t start = vmm_now_ns();
	uint64_t end = c->duration_ns ? start + c->duration_ns : 0;
	for (uint64_t i = 0; end ? vmm_now_ns() < end : i < c->iterations; i++) {
		w->recording = i >= c->warmup;
		if (c->rate) {
			uint64_t due = start + i * 1000000000ull / c->rate;
			uint64_t now = vmm_now_ns();
			if (now < due) {
				struct timespec ts = { (time_t)((due - now) / 1000000000ull),
						       (long)((due - now) % 1000000000ull) };
				nanosleep(&ts, NULL);
			}
			w->due_ns = due;
		}
		snap_unref(w->last_loaded);
		w->last_loaded = NULL;
		if (run_steps(w, w->sc->steps, w->sc->n_steps)) {
			w->failed = 1;
			break;
		}
		atomic_fetch_add(w->done, 1);
	}
	worker_cleanup(w);
	atomic_store(&w->finished, true);
	return NULL;
}

/* ---- the scenario --------------------------------------------------------- */

static int build_base(const struct scenario *sc, struct snapshot **out, struct sb_err *err)
{
	const struct scenario_config *c = &sc->cfg;
	struct layout_config lc = {
		.heap_bytes = c->heap_bytes,
		.input_bytes = c->input_bytes,
		.output_bytes = c->output_bytes,
		.scratch_bytes = c->scratch_bytes,
	};
	struct elf_image img;
	int rc = c->guest[0] ? elf_image_open(&img, c->guest, err)
			     : elf_image_from_memory(&img, sb_testguest_elf, sb_testguest_elf_bytes(),
						     "(embedded test guest)", err);
	if (rc)
		return -1;
	uint8_t *init = NULL;
	size_t init_bytes = 0;
	if (c->init_data[0] && runner_read_file(c->init_data, &init, &init_bytes, err)) {
		elf_image_free(&img);
		return -1;
	}
	rc = snap_from_elf(out, &img, &lc, init, init_bytes, 0, err);
	free(init);
	elf_image_free(&img);
	return rc;
}

static void echo_option(void *ctx, const struct scenario_option *opt, const char *const *values,
			size_t n)
{
	struct scenario_result *r = ctx;
	struct option_echo *e = realloc(r->options, (r->n_options + 1) * sizeof *e);
	if (!e)
		return; /* the echo is incomplete, the run is not */
	r->options = e;
	e = &r->options[r->n_options++];
	snprintf(e->name, sizeof e->name, "%s", opt->name);
	e->value[0] = '\0';
	size_t used = 0;
	for (size_t i = 0; i < n && used < sizeof e->value; i++)
		used += (size_t)snprintf(e->value + used, sizeof e->value - used, "%s%s",
					 i ? "; " : "", values[i]);
}

static void progress(const struct scenario *sc, uint64_t done, uint64_t total, uint64_t t0)
{
	if (sc->cfg.duration_ns) {
		uint64_t el = vmm_now_ns() - t0;
		unsigned pct = (unsigned)(el >= sc->cfg.duration_ns ? 100 : el * 100 / sc->cfg.duration_ns);
		fprintf(stderr, "\r%-32.32s %3u%%  %llu iterations", sc->name, pct, (unsigned long long)done);
	} else {
		fprintf(stderr, "\r%-32.32s %3u%%  %llu/%llu iterations", sc->name,
			(unsigned)(total ? done * 100 / total : 100), (unsigned long long)done,
			(unsigned long long)total);
	}
	fflush(stderr);
}

static int run_scenario(const struct scenario *sc, const struct runner_options *o,
			const struct calibration *cal_real, struct scenario_result *r)
{
	const struct scenario_config *c = &sc->cfg;
	struct sb_err err = { 0 };
	struct snapshot *base = NULL;
	struct worker *ws = NULL;
	_Atomic uint64_t done = 0;
	uint64_t t0 = vmm_now_ns();
	snprintf(r->name, sizeof r->name, "%s", sc->name);
	snprintf(r->description, sizeof r->description, "%s", c->description);
	snprintf(r->file, sizeof r->file, "%s", sc->file);
	r->warmup = c->warmup;
	r->sandboxes = c->sandboxes;
	r->heap_bytes = c->heap_bytes;
	r->scratch_bytes = c->scratch_bytes;
	r->cal = *cal_real;
	if (scenario_echo_options(sc, echo_option, r, &err) || collect_labels(r, sc->steps, sc->n_steps) ||
	    build_base(sc, &base, &err))
		goto fail;
	runner_calibrate_sandbox(base, c->mode, &r->cal);

	ws = calloc(c->sandboxes, sizeof *ws);
	if (!ws) {
		sb_errf(&err, SB_E_NOMEM, "cannot allocate %llu workers", (unsigned long long)c->sandboxes);
		goto fail;
	}
	for (unsigned i = 0; i < c->sandboxes; i++) {
		struct worker *w = &ws[i];
		*w = (struct worker){ .sc = sc, .shape = r, .base = base, .index = i, .done = &done };
		w->stats = malloc(r->n_steps * sizeof *w->stats);
		if (!w->stats) {
			sb_errf(&err, SB_E_NOMEM, "cannot allocate step statistics");
			goto fail;
		}
		memcpy(w->stats, r->steps, r->n_steps * sizeof *w->stats);
		w->n_stats = r->n_steps;
	}
	unsigned started = 0;
	for (; started < c->sandboxes; started++)
		if (pthread_create(&ws[started].thread, NULL, worker_main, &ws[started]))
			break;
	uint64_t total = c->iterations * c->sandboxes;
	bool drew = false;
	for (;;) {
		uint64_t d = atomic_load(&done);
		bool running = false;
		for (unsigned i = 0; i < started; i++)
			running |= !atomic_load(&ws[i].finished);
		if (!running)
			break;
		if (o->progress && vmm_now_ns() - t0 > 1000000000ull) {
			progress(sc, d, total, t0);
			drew = true;
		}
		usleep(50000);
	}
	for (unsigned i = 0; i < started; i++)
		pthread_join(ws[i].thread, NULL);
	if (drew) {
		progress(sc, atomic_load(&done), total, t0);
		fputc('\n', stderr);
	}
	if (started < c->sandboxes)
		sb_errf(&err, SB_E_NOMEM, "could only start %u of %llu sandbox threads", started,
			(unsigned long long)c->sandboxes);
	for (unsigned i = 0; i < c->sandboxes; i++) {
		runner_merge_stats(r, ws[i].stats, ws[i].n_stats);
		if (ws[i].failed && !err.msg[0])
			err = ws[i].err;
	}
	r->iterations = atomic_load(&done);
	r->iterations = r->iterations > c->warmup * c->sandboxes ? r->iterations - c->warmup * c->sandboxes : 0;
	if (err.msg[0])
		goto fail;
	goto done;
fail:
	r->failed = true;
	snprintf(r->error, sizeof r->error, "%s", err.msg[0] ? err.msg : "failed");
done:
	if (ws)
		for (unsigned i = 0; i < c->sandboxes; i++)
			free(ws[i].stats);
	free(ws);
	snap_unref(base);
	r->wall_ns = vmm_now_ns() - t0;
	r->rss_bytes = runner_rss_bytes();
	runner_judge(sc, r);
	return 0;
}

int runner_run(const struct scenario_set *set, const struct runner_options *o,
	       struct run_report *out, struct sb_err *err)
{
	memset(out, 0, sizeof *out);
	snprintf(out->tool_version, sizeof out->tool_version, "%s", o->tool_version ? o->tool_version : "");
	out->schema_version = RESULTS_SCHEMA_VERSION;
	time_t now = time(NULL);
	strftime(out->started, sizeof out->started, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	runner_machine_facts(&out->machine);
	struct calibration cal = { 0 };
	if (runner_calibrate(&cal, err))
		return -1;
	out->scenarios = calloc(set->n ? set->n : 1, sizeof *out->scenarios);
	if (!out->scenarios)
		return sb_errf(err, SB_E_NOMEM, "cannot allocate results");
	for (size_t i = 0; i < set->n; i++) {
		if (o->progress)
			fprintf(stderr, "running %s (%zu of %zu)\n", set->items[i].name, i + 1, set->n);
		run_scenario(&set->items[i], o, &cal, &out->scenarios[i]);
		out->n_scenarios++;
	}
	return 0;
}
