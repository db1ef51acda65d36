/* runner_worker.c — one sandbox's run: a worker thread runs the step
 * list `iterations` times into its own step statistics (runner.c merges
 * them), calling the hooks between steps when the caller set some. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runner_internal.h"
#include "sandbox.h"
#include "snap_file.h"
#include "vmm.h"

static struct step_stats *stats_for(struct worker *w, const char *label,
				    enum scenario_variant variant)
{
	for (size_t i = 0; i < w->n_stats; i++)
		if (w->stats[i].variant == variant && strcmp(w->stats[i].step, label) == 0)
			return &w->stats[i];
	return NULL;
}

/* The row an execution of s goes to, decided before it runs: a call by
 * what ran before it, a restore by its path (the same snapshot the
 * sandbox runs from, or another one). */
static enum scenario_variant variant_of(const struct worker *w, const struct scenario_step *s,
					const struct snapshot *target)
{
	switch (s->kind) {
	case SCENARIO_STEP_CALL: return w->next_call;
	case SCENARIO_STEP_RESTORE:
		return w->sb && target && sandbox_current_snapshot(w->sb) == target
			       ? SCENARIO_VARIANT_SAME_SNAPSHOT
			       : SCENARIO_VARIANT_OTHER_SNAPSHOT;
	case SCENARIO_STEP_CREATE:
	case SCENARIO_STEP_DESTROY:
		/* with a pool: known once it ran (run_step looks again) */
		return w->pool ? SCENARIO_VARIANT_POOLED : SCENARIO_VARIANT_NONE;
	default: return SCENARIO_VARIANT_NONE;
	}
}

/* After a step ran: what the next call is. */
static void after_step(struct worker *w, const struct scenario_step *s)
{
	if (s->kind == SCENARIO_STEP_CREATE)
		w->next_call = SCENARIO_VARIANT_FIRST_AFTER_CREATE;
	else if (s->kind == SCENARIO_STEP_RESTORE)
		w->next_call = SCENARIO_VARIANT_FIRST_AFTER_RESTORE;
	else if (s->kind == SCENARIO_STEP_CALL)
		w->next_call = SCENARIO_VARIANT_STEADY;
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
	char *copy = strdup(name);
	if (!copy)
		return sb_errf(&w->err, SB_E_NOMEM, "out of memory keeping snapshot '%s'", name);
	w->named[w->n_named].name = copy;
	w->named[w->n_named++].snap = snap_ref(s);
	return 0;
}

/* The file of a save or load step: relative to the run's output
 * directory (file_dir) when it has one; sandbox N > 0 uses FILE.N, and
 * loads FILE when there is no FILE.N (what sandbox 0 saved). A path that
 * does not fit is an error: cut short it would name another file. */
static int file_path(struct worker *w, const struct scenario_step *s, char *path, size_t cap)
{
	const char *f = s->as.file.path;
	bool in_dir = w->file_dir && f[0] != '/';
	int n = snprintf(path, cap, "%s%s%s", in_dir ? w->file_dir : "", in_dir ? "/" : "", f);
	size_t base = n > 0 ? (size_t)n : 0;
	if (n >= 0 && (size_t)n < cap && w->index)
		n = snprintf(path + base, cap - base, ".%u", w->index) + n;
	if (n < 0 || (size_t)n >= cap)
		return sb_errf(&w->err, SB_E_TOO_BIG, "file name '%.40s...' is longer than %zu bytes",
			       f, cap - 1);
	if (s->kind == SCENARIO_STEP_LOAD && w->index && access(path, R_OK) != 0)
		path[base] = '\0'; /* FILE, what sandbox 0 saved */
	return 0;
}

/* A save replaces only a snapshot file: never a text file, a device or a
 * symbolic link a scenario names (it may come from someone else). */
static int save_target_ok(struct worker *w, const char *path)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		if (errno == ELOOP)
			return sb_errf(&w->err, SB_E_IO, "refusing to save over '%s': a symbolic link",
				       path);
		return 0; /* the save itself says what is wrong */
	}
	struct stat st;
	char magic[sizeof SNAP_FILE_MAGIC - 1] = { 0 };
	bool ok = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
		  read(fd, magic, sizeof magic) == (ssize_t)sizeof magic &&
		  memcmp(magic, SNAP_FILE_MAGIC, sizeof magic) == 0;
	close(fd);
	if (!ok)
		return sb_errf(&w->err, SB_E_IO,
			       "refusing to save over '%s': it is not a snapshot file (a save "
			       "replaces only a file that starts with \"%s\")",
			       path, SNAP_FILE_MAGIC);
	return 0;
}

/* What a step needs besides its operation, found before the clock starts:
 * the snapshot it restores or saves, the file it saves or loads. */
struct step_prep {
	struct snapshot *target;
	char path[PATH_MAX];
	struct mapped_file map; /* map steps */
};

static int prepare(struct worker *w, const struct scenario_step *s, struct step_prep *p)
{
	switch (s->kind) {
	case SCENARIO_STEP_RESTORE:
		p->target = named_get(w, s->as.snap.name);
		if (!p->target)
			return sb_errf(&w->err, SB_E_STATE, "no snapshot '%s' yet",
				       s->as.snap.name ? s->as.snap.name : "(last)");
		return 0;
	case SCENARIO_STEP_SAVE:
		p->target = named_get(w, s->as.file.name);
		if (!p->target)
			return sb_errf(&w->err, SB_E_STATE, "nothing to save yet");
		if (file_path(w, s, p->path, sizeof p->path))
			return -1;
		return save_target_ok(w, p->path);
	case SCENARIO_STEP_LOAD: return file_path(w, s, p->path, sizeof p->path);
	case SCENARIO_STEP_MAP: return runner_map_prepare(w, s, &p->map);
	default: return 0;
	}
}

/* After the clock stopped: keep the snapshot a step took or loaded (this
 * may drop, and unmap, the one it replaces: not the step's cost). */
static int keep(struct worker *w, const struct scenario_step *s, struct snapshot *snap)
{
	if (s->kind == SCENARIO_STEP_SNAPSHOT)
		return named_put(w, s->as.snap.name, snap);
	if (named_put(w, s->as.file.name, snap))
		return -1;
	snap_unref(w->last_loaded);
	w->last_loaded = snap_ref(snap);
	return 0;
}

/* The operation of a step, and nothing else: the caller times this. */
static int operate(struct worker *w, const struct scenario_step *s, const struct step_prep *p,
		   struct snapshot **snap, bool *call_error, struct sb_value *ret)
{
	switch (s->kind) {
	case SCENARIO_STEP_CREATE: {
		struct sandbox_config cfg = runner_sandbox_config(w->sc);
		cfg.crashdump_budget = w->cores_left;
		if (w->sc->cfg.host_functions) {
			cfg.host_fns = w->host_fns;
			cfg.n_host_fns = HOST_FN__COUNT;
		}
		struct snapshot *from = w->last_loaded ? w->last_loaded : w->base;
		if (w->pool)
			return runner_pool_take(w, from, &cfg);
		return sandbox_create(&w->sb, from, &cfg, &w->err);
	}
	case SCENARIO_STEP_DESTROY:
		if (w->pool)
			runner_pool_put(w);
		else
			runner_sandbox_destroy(w);
		return 0;
	case SCENARIO_STEP_MAP:
		return sandbox_map_region(w->sb, p->map.gpa, p->map.host, p->map.bytes, &w->err);
	case SCENARIO_STEP_CALL: {
		host_fns_clock_reset(&w->clock);
		int rc = sandbox_call(w->sb, s->as.call.name, s->as.call.args, s->as.call.nargs, ret,
				      &w->err);
		if (rc && w->err.code == SB_E_CALL) {
			*call_error = true; /* the function said no; the sandbox is fine */
			rc = 0;
		}
		return rc;
	}
	case SCENARIO_STEP_SNAPSHOT: return sandbox_snapshot(w->sb, snap, &w->err);
	case SCENARIO_STEP_RESTORE: return sandbox_restore(w->sb, p->target, &w->err);
	case SCENARIO_STEP_SAVE: return snap_save(p->target, p->path, &w->err);
	case SCENARIO_STEP_LOAD: return snap_load(snap, p->path, SNAP_LOAD_VERIFY, &w->err);
	case SCENARIO_STEP_SLEEP: {
		struct timespec ts = { (time_t)(s->as.sleep_ns / 1000000000ull),
				       (long)(s->as.sleep_ns % 1000000000ull) };
		nanosleep(&ts, NULL);
		return 0;
	}
	default: return sb_errf(&w->err, SB_E_INVAL, "unknown step kind %d", s->kind);
	}
}

static int run_steps(struct worker *w, const struct scenario_step *steps, size_t n);

/* `cancel after TIME` and the call it cancels: the call's time until it
 * returned cancelled goes to the cancel step's row, not the call's. */
static int run_cancelled(struct worker *w, const struct scenario_step *s)
{
	struct step_record rec = { .line = s->line };
	struct step_stats *st = w->cancel_row;
	w->cancel_armed = false;
	host_fns_clock_reset(&w->clock);
	if (runner_cancelled_call(w, s, w->cancel_after_ns, &rec.ns)) {
		runner_note_error(st, w->err.msg, s->line);
		if (w->live)
			runner_live_step(w->live, (size_t)(st - w->stats), SCENARIO_STEP_CANCEL, NULL,
					 w->err.msg, s->line);
		return sb_err_prefix(&w->err, "%s:%u: step '%s' (after '%s' at line %u): ", w->sc->file,
				     s->line, s->label, w->cancel_step->label, w->cancel_step->line);
	}
	after_step(w, s);
	if (w->recording)
		runner_account(st, SCENARIO_STEP_CANCEL, &rec);
	if (w->live)
		runner_live_step(w->live, (size_t)(st - w->stats), SCENARIO_STEP_CANCEL,
				 w->recording ? &rec : NULL, NULL, 0);
	return 0;
}

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
	}
	if (s->kind == SCENARIO_STEP_CALL && w->cancel_armed)
		return run_cancelled(w, s);
	struct step_prep prep = { 0 };
	struct snapshot *snap = NULL;
	bool call_error = false;
	struct step_record rec = { 0 };
	struct sb_value ret = { .type = SB_T_VOID };
	int rc = prepare(w, s, &prep);
	/* The parser keeps labels short enough never to be cut (runner.c
	 * refuses one that would be), and scenario_rows() lists every row the
	 * step list reaches: every execution has its statistics. */
	enum scenario_variant variant = variant_of(w, s, prep.target);
	struct step_stats *st = stats_for(w, s->label, variant);
	if (!st)
		return sb_errf(&w->err, SB_E_STATE, "%s:%u: step '%s': no statistics for its row (%s)",
			       w->sc->file, s->line, s->label, scenario_variant_name(variant));
	if (!rc && s->kind == SCENARIO_STEP_CANCEL) {
		/* nothing to time yet: the call it cancels is timed into its row */
		w->cancel_armed = true;
		w->cancel_after_ns = s->as.cancel_after_ns;
		w->cancel_row = st;
		w->cancel_step = s;
		if (w->live)
			runner_live_step(w->live, (size_t)(st - w->stats), s->kind, NULL, NULL, 0);
		return 0;
	}
	if (!rc) {
		uint64_t pages_before = s->kind == SCENARIO_STEP_CALL ? sandbox_scratch_pages_used(w->sb) : 0;
		/* Every step, the first of an open-loop iteration too, is timed
		 * from when it starts; the wait of a late iteration is its
		 * queueing delay (runner_open_loop.c). */
		uint64_t t0 = vmm_now_ns();
		rc = operate(w, s, &prep, &snap, &call_error, &ret);
		rec.ns = vmm_now_ns() - t0;
		if (!rc && w->pool &&
		    (s->kind == SCENARIO_STEP_CREATE || s->kind == SCENARIO_STEP_DESTROY) &&
		    !(st = stats_for(w, s->label, w->pool_variant)))
			return sb_errf(&w->err, SB_E_STATE, "%s:%u: step '%s': no statistics for its "
				       "row (%s)", w->sc->file, s->line, s->label,
				       scenario_variant_name(w->pool_variant));
		if (!rc && snap)
			rc = keep(w, s, snap);
		/* after the clock: the result's views stay valid until the next call */
		if (!rc && s->kind == SCENARIO_STEP_CALL && !call_error)
			rc = runner_check_result(w, s, &ret);
		if (!rc && s->kind == SCENARIO_STEP_MAP)
			rc = runner_map_keep(w, &prep.map);
		if (!rc && s->kind == SCENARIO_STEP_CALL) {
			uint64_t after = sandbox_scratch_pages_used(w->sb);
			rec.scratch_pages = after > pages_before ? after - pages_before : 0;
			rec.exits = sandbox_last_call_exits(w->sb);
			rec.cow_faults = sandbox_last_call_cow_faults(w->sb);
		}
		if (!rc && s->kind == SCENARIO_STEP_RESTORE) {
			struct sandbox_restore_info ri = sandbox_last_restore(w->sb);
			rec.full_restore = ri.full;
			rec.pages_reset = ri.pages_reset;
			rec.bytes_copied = ri.bytes_copied;
			rec.pages_retained = ri.pages_retained;
			rec.retain_dropped = ri.retain_dropped;
		}
	}
	runner_map_drop(&prep.map); /* a map step that failed (kept ones are taken) */
	if (rc) {
		runner_note_error(st, w->err.msg, s->line);
		if (w->live)
			runner_live_step(w->live, (size_t)(st - w->stats), s->kind, NULL, w->err.msg,
					 s->line);
		snap_unref(snap);
		return sb_err_prefix(&w->err, "%s:%u: step '%s': ", w->sc->file, s->line, s->label);
	}
	after_step(w, s);
	rec.call_error = call_error;
	rec.error = call_error ? w->err.msg : NULL;
	rec.line = s->line;
	rec.snap = snap;
	if (w->recording)
		runner_account(st, s->kind, &rec);
	if (w->live)
		runner_live_step(w->live, (size_t)(st - w->stats), s->kind, w->recording ? &rec : NULL,
				 NULL, 0);
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
	runner_sandbox_destroy(w);
	free(w->maps);
	w->maps = NULL;
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
		/* open loop: wait until the iteration is due (runner_open_loop.c) */
		uint64_t due = c->rate ? runner_open_loop_wait(w, start, i) : 0;
		uint64_t started = vmm_now_ns(), held = w->held_ns;
		snap_unref(w->last_loaded);
		w->last_loaded = NULL;
		if (run_steps(w, w->sc->steps, w->sc->n_steps)) {
			w->failed = !w->stopped;
			break;
		}
		if (c->rate)
			runner_open_loop_iteration(w, due, started, vmm_now_ns(), w->held_ns - held);
		/* A step list that does not end with destroy leaves its sandbox
		 * alive; the next iteration's create would replace (and leak)
		 * it. Destroy it here, outside every timed step. */
		runner_sandbox_destroy(w);
		w->cancel_armed = false;
		atomic_fetch_add(w->done, 1);
		if (w->live)
			runner_live_report(w->live);
	}
	worker_cleanup(w);
	atomic_store(&w->finished, true);
	return NULL;
}
