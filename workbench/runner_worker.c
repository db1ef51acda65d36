/* runner_worker.c — one sandbox's run: a worker thread runs the step
 * list `iterations` times into its own step statistics (runner.c merges
 * them), calling the hooks between steps when the caller set some. */
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
#include "vmm.h"

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
	if (w->live) {
		uint64_t held;
		if (!runner_live_between(w->live, w->index, w->iteration, s, w->sb, &held)) {
			w->stopped = true;
			return -1;
		}
		/* the hook's time is not the step's, nor the schedule's */
		w->held_ns += held;
		if (w->due_ns)
			w->due_ns += held;
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
		if (w->live)
			runner_live_step(w->live, (size_t)(st - w->stats), s->kind, NULL, true);
		snap_unref(snap);
		return sb_err_prefix(&w->err, "%s:%u: step '%s': ", w->sc->file, s->line, s->label);
	}
	struct step_record rec = { .ns = t1 - t0, .call_error = call_error, .snap = snap };
	if (w->recording) {
		if (s->kind == SCENARIO_STEP_CALL) {
			uint64_t after = sandbox_scratch_pages_used(w->sb);
			rec.scratch_pages = after > pages_before ? after - pages_before : 0;
			rec.exits = sandbox_last_call_exits(w->sb);
		}
		runner_account(st, s->kind, &rec);
	}
	if (w->live)
		runner_live_step(w->live, (size_t)(st - w->stats), s->kind, w->recording ? &rec : NULL,
				 false);
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

void *runner_worker_main(void *arg)
{
	struct worker *w = arg;
	const struct scenario_config *c = &w->sc->cfg;
	uint64_t start = vmm_now_ns();
	uint64_t end = c->duration_ns ? start + c->duration_ns : 0;
	/* held_ns: time paused in between_steps moves the clock on (0 without hooks) */
	for (uint64_t i = 0; end ? vmm_now_ns() < end + w->held_ns : i < c->iterations; i++) {
		w->recording = i >= c->warmup;
		w->iteration = i;
		if (c->rate) {
			uint64_t due = start + w->held_ns + i * 1000000000ull / c->rate;
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
			w->failed = !w->stopped;
			break;
		}
		atomic_fetch_add(w->done, 1);
		if (w->live)
			runner_live_report(w->live);
	}
	worker_cleanup(w);
	atomic_store(&w->finished, true);
	return NULL;
}
