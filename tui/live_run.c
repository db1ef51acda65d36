/* live_run.c — the live view's background run: one runner_run over the
 * scenario set, watched and paused through the runner's hooks. */
#include <stdlib.h>
#include <string.h>

#include "live_run.h"
#include "runner.h"
#include "sandbox.h"

const char *live_status_name(enum live_status s)
{
	static const char *const n[] = { "waiting", "running", "done", "stopped", "FAILED" };
	return s <= LIVE_FAILED ? n[s] : "?";
}

/* The runner moved on to scenario `idx` (caller holds the lock). */
static struct live_scenario *enter(struct live_run *r, const struct scenario *sc)
{
	size_t idx = (size_t)(sc - r->set->items);
	if (idx >= r->n)
		idx = r->n - 1; /* cannot happen: sc is one of the set's */
	if (r->scn[idx].status == LIVE_WAITING) {
		for (size_t j = 0; j < idx; j++)
			if (r->scn[j].status == LIVE_RUNNING)
				r->scn[j].status = LIVE_DONE; /* its final numbers come with the report */
		r->scn[idx].status = LIVE_RUNNING;
		r->current = idx;
		r->n_sandboxes = (unsigned)sc->cfg.sandboxes;
		memset(r->waiter, 0, r->n_sandboxes * sizeof *r->waiter);
	}
	return &r->scn[idx];
}

/* Copy the labels whose statistics moved: one histogram (35 KB) per step
 * run, not all of them. Runs with the runner's mutex held. */
static void on_progress(void *ctx, const struct scenario *sc, const struct scenario_result *partial,
			uint64_t done, uint64_t total)
{
	struct live_run *r = ctx;
	pthread_mutex_lock(&r->lock);
	struct live_scenario *ls = enter(r, sc);
	ls->done = done;
	ls->total = total;
	if (!ls->steps && partial->n_steps) {
		ls->steps = malloc(partial->n_steps * sizeof *ls->steps);
		if (ls->steps) {
			memcpy(ls->steps, partial->steps, partial->n_steps * sizeof *ls->steps);
			ls->n_steps = partial->n_steps;
		}
	}
	for (size_t i = 0; i < ls->n_steps && i < partial->n_steps; i++) {
		const struct step_stats *src = &partial->steps[i];
		if (hist_count(&src->hist) != hist_count(&ls->steps[i].hist) || src->errors != ls->steps[i].errors)
			memcpy(&ls->steps[i], src, sizeof *src);
	}
	pthread_mutex_unlock(&r->lock);
}

/* On the worker thread, which owns `sb`: snapshot it for the UI. Called
 * with the lock held; drops it while the snapshot is taken. */
static void inspect(struct live_run *r, const struct scenario *sc, unsigned sandbox,
		    const struct scenario_step *next, struct sandbox *sb)
{
	char what[sizeof r->inspected_what];
	snprintf(what, sizeof what, "live: scenario %.48s, sandbox %u, before step '%.60s' (line %u)",
		 sc->name, sandbox, next->label, next->line);
	if (!sb) {
		snprintf(r->msg, sizeof r->msg, "nothing to inspect: sandbox %u has no VM before step '%.60s'",
			 sandbox, next->label);
		return;
	}
	pthread_mutex_unlock(&r->lock);
	struct snapshot *snap = NULL;
	struct sb_err err = { 0 };
	int rc = sandbox_snapshot(sb, &snap, &err);
	struct snapshot *origin = rc ? NULL : snap_ref(sandbox_current_snapshot(sb));
	pthread_mutex_lock(&r->lock);
	if (rc) {
		snprintf(r->msg, sizeof r->msg, "inspect failed: %.150s", err.msg);
		return;
	}
	snap_unref(r->inspected); /* one the UI never took */
	snap_unref(r->inspected_origin);
	r->inspected = snap;
	r->inspected_origin = origin;
	snprintf(r->inspected_what, sizeof r->inspected_what, "%s", what);
	r->inspections++;
	snprintf(r->msg, sizeof r->msg, "inspected sandbox %u (generation %llu): see views 1-3", sandbox,
		 (unsigned long long)snap->generation);
}

static bool between_steps(void *ctx, const struct scenario *sc, unsigned sandbox,
			  const struct scenario_step *next, struct sandbox *sb)
{
	struct live_run *r = ctx;
	pthread_mutex_lock(&r->lock);
	enter(r, sc);
	struct live_waiter *w = sandbox < r->n_sandboxes ? &r->waiter[sandbox] : NULL;
	if (w) {
		w->waiting = true;
		w->next = next;
		pthread_cond_broadcast(&r->cond); /* the focus may have moved */
	}
	bool go = true;
	for (;;) {
		if (r->quit) {
			go = false;
			break;
		}
		if (!r->paused)
			break;
		/* requests go to the focus: the first sandbox that waits */
		bool mine = live_run_focus(r) == (int)sandbox;
		if (mine && r->inspect_wanted) {
			r->inspect_wanted = false;
			inspect(r, sc, sandbox, next, sb);
			continue;
		}
		if (mine && r->steps_wanted) {
			r->steps_wanted--;
			break;
		}
		pthread_cond_wait(&r->cond, &r->lock);
	}
	if (w) {
		w->waiting = false;
		pthread_cond_broadcast(&r->cond);
	}
	pthread_mutex_unlock(&r->lock);
	return go;
}

static void finish(struct live_scenario *ls, const struct scenario_result *res)
{
	ls->status = res->failed ? LIVE_FAILED : res->stopped ? LIVE_STOPPED : LIVE_DONE;
	snprintf(ls->error, sizeof ls->error, "%s", res->error);
	struct step_stats *steps = malloc((res->n_steps ? res->n_steps : 1) * sizeof *steps);
	if (!steps)
		return; /* keep the last progress */
	memcpy(steps, res->steps, res->n_steps * sizeof *steps);
	free(ls->steps);
	ls->steps = steps;
	ls->n_steps = res->n_steps;
}

static void *thread_main(void *arg)
{
	struct live_run *r = arg;
	struct runner_options o = {
		.progress = false,
		.tool_version = "tui",
		.hooks = { .ctx = r, .between_steps = between_steps, .on_progress = on_progress },
	};
	struct run_report rep;
	struct sb_err err = { 0 };
	int rc = runner_run(r->set, &o, &rep, &err);
	pthread_mutex_lock(&r->lock);
	if (rc) {
		for (size_t i = 0; i < r->n; i++) {
			r->scn[i].status = LIVE_FAILED;
			snprintf(r->scn[i].error, sizeof r->scn[i].error, "%s", err.msg);
		}
	} else {
		for (size_t i = 0; i < rep.n_scenarios && i < r->n; i++)
			finish(&r->scn[i], &rep.scenarios[i]);
	}
	memset(r->waiter, 0, r->n_sandboxes * sizeof *r->waiter);
	r->finished = true;
	if (!rc) {
		r->report = rep; /* for `q`: written as run writes it */
		r->have_report = true;
	}
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

int live_run_start(struct live_run **out, const struct scenario_set *set, bool paused,
		   struct sb_err *err)
{
	unsigned most = 1;
	for (size_t i = 0; i < set->n; i++)
		if (set->items[i].cfg.sandboxes > most)
			most = (unsigned)set->items[i].cfg.sandboxes;
	struct live_run *r = calloc(1, sizeof *r);
	if (!r || !(r->scn = calloc(set->n ? set->n : 1, sizeof *r->scn)) ||
	    !(r->waiter = calloc(most, sizeof *r->waiter))) {
		if (r)
			free(r->scn);
		free(r);
		return sb_errf(err, SB_E_NOMEM, "cannot allocate the live run");
	}
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->cond, NULL);
	r->set = set;
	r->n = set->n;
	r->paused = paused;
	for (size_t i = 0; i < set->n; i++) {
		const struct scenario_config *c = &set->items[i].cfg;
		snprintf(r->scn[i].name, sizeof r->scn[i].name, "%s", set->items[i].name);
		snprintf(r->scn[i].strategy, sizeof r->scn[i].strategy, "%s",
			 sandbox_restore_strategy_name(scenario_strategy(&set->items[i])));
		r->scn[i].total = c->duration_ns ? 0 : c->iterations * c->sandboxes;
		r->scn[i].warmup = c->warmup * c->sandboxes;
	}
	if (pthread_create(&r->thread, NULL, thread_main, r)) {
		pthread_mutex_destroy(&r->lock);
		pthread_cond_destroy(&r->cond);
		free(r->waiter);
		free(r->scn);
		free(r);
		return sb_errf(err, SB_E_NOMEM, "cannot start the live-run thread");
	}
	*out = r;
	return 0;
}

int live_run_focus(const struct live_run *r)
{
	for (unsigned i = 0; i < r->n_sandboxes; i++)
		if (r->waiter[i].waiting)
			return (int)i;
	return LIVE_NOBODY;
}

void live_run_pause(struct live_run *r, bool paused)
{
	pthread_mutex_lock(&r->lock);
	r->paused = paused;
	r->steps_wanted = 0;
	r->inspect_wanted = false;
	r->msg[0] = '\0';
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

void live_run_step(struct live_run *r)
{
	pthread_mutex_lock(&r->lock);
	if (r->paused)
		r->steps_wanted++;
	r->paused = true; /* while running, s only pauses */
	r->msg[0] = '\0';
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

void live_run_inspect(struct live_run *r)
{
	pthread_mutex_lock(&r->lock);
	if (r->finished) {
		snprintf(r->msg, sizeof r->msg, "the run is over: no live sandbox to inspect");
	} else if (!r->paused) {
		snprintf(r->msg, sizeof r->msg, "pause first (p), then inspect (i)");
	} else {
		r->inspect_wanted = true;
		snprintf(r->msg, sizeof r->msg, "inspecting...");
		pthread_cond_broadcast(&r->cond);
	}
	pthread_mutex_unlock(&r->lock);
}

struct snapshot *live_run_take_inspected(struct live_run *r, char *what, size_t what_bytes,
					 struct snapshot **origin)
{
	pthread_mutex_lock(&r->lock);
	struct snapshot *s = r->inspected;
	r->inspected = NULL;
	struct snapshot *o = s ? r->inspected_origin : NULL;
	if (s)
		r->inspected_origin = NULL;
	if (origin)
		*origin = o;
	else
		snap_unref(o);
	if (s)
		snprintf(what, what_bytes, "%s", r->inspected_what);
	pthread_mutex_unlock(&r->lock);
	return s;
}

void live_run_wait(struct live_run *r)
{
	pthread_mutex_lock(&r->lock);
	r->paused = false;
	pthread_cond_broadcast(&r->cond);
	while (!r->finished)
		pthread_cond_wait(&r->cond, &r->lock);
	pthread_mutex_unlock(&r->lock);
}

void live_run_end(struct live_run *r)
{
	if (!r || r->joined)
		return;
	pthread_mutex_lock(&r->lock);
	r->quit = true; /* between_steps says stop; runner_run returns */
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->thread, NULL);
	r->joined = true;
}

void live_run_stop(struct live_run *r)
{
	if (!r)
		return;
	live_run_end(r);
	if (r->have_report)
		run_report_free(&r->report);
	for (size_t i = 0; i < r->n; i++)
		free(r->scn[i].steps);
	free(r->scn);
	free(r->waiter);
	snap_unref(r->inspected);
	snap_unref(r->inspected_origin);
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->cond);
	free(r);
}
