/* live_run.c — the live view's background runner (batches of runner_run). */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "live_run.h"
#include "runner.h"

static atomic_bool detached;

bool live_run_detached(void)
{
	return atomic_load(&detached);
}

const char *live_status_name(enum live_status s)
{
	static const char *const n[] = { "waiting", "running", "done", "FAILED" };
	return s <= LIVE_FAILED ? n[s] : "?";
}

static void merge(struct live_scenario *ls, const struct scenario_result *r)
{
	for (size_t i = 0; i < r->n_steps; i++) {
		const struct step_stats *src = &r->steps[i];
		struct step_stats *dst = NULL;
		for (size_t j = 0; j < ls->n_steps; j++)
			if (strcmp(ls->steps[j].label, src->label) == 0)
				dst = &ls->steps[j];
		if (!dst) {
			struct step_stats *v = realloc(ls->steps, (ls->n_steps + 1) * sizeof *v);
			if (!v)
				continue;
			ls->steps = v;
			dst = &v[ls->n_steps++];
			memcpy(dst, src, sizeof *dst);
			continue;
		}
		hist_merge(&dst->hist, &src->hist);
		dst->errors += src->errors;
		dst->scratch_pages += src->scratch_pages;
		dst->exits += src->exits;
		dst->snapshots += src->snapshots;
		dst->pages_mapped += src->pages_mapped;
		dst->pages_copied += src->pages_copied;
		dst->pages_aliased += src->pages_aliased;
		dst->pt_pages += src->pt_pages;
		dst->zero_pages += src->zero_pages;
		dst->snapshot_bytes += src->snapshot_bytes;
	}
}

/* Run one batch of scenario i: `iters` recorded iterations (or a slice of
 * its duration). Called without the lock. */
static int run_batch(struct live_run *r, size_t i, uint64_t iters, uint64_t duration_ns, bool first,
		     struct run_report *rep, struct sb_err *err)
{
	struct scenario sc = r->set->items[i]; /* shallow copy: only the counts change */
	sc.cfg.iterations = iters + (first ? sc.cfg.warmup : 0);
	sc.cfg.duration_ns = duration_ns;
	if (!first)
		sc.cfg.warmup = 0;
	struct scenario_set one = { &sc, 1 };
	struct runner_options o = { .progress = false, .tool_version = "tui" };
	return runner_run(&one, &o, rep, err);
}

static void *thread_main(void *arg)
{
	struct live_run *r = arg;
	pthread_mutex_lock(&r->lock);
	for (size_t i = 0; i < r->n && !r->quit; i++) {
		struct live_scenario *ls = &r->scn[i];
		const struct scenario_config *c = &r->set->items[i].cfg;
		uint64_t per = c->iterations / (r->batches_per_scenario ? r->batches_per_scenario : 1);
		uint64_t slice = c->duration_ns / (r->batches_per_scenario ? r->batches_per_scenario : 1);
		r->current = i;
		ls->status = LIVE_RUNNING;
		bool first = true;
		while (!r->quit) {
			bool by_time = c->duration_ns > 0;
			if (by_time ? ls->batches >= r->batches_per_scenario : ls->done >= ls->total)
				break;
			while (r->paused && !r->steps_wanted && !r->quit)
				pthread_cond_wait(&r->cond, &r->lock);
			if (r->quit)
				break;
			uint64_t n = per ? per : 1;
			if (r->paused) {
				r->steps_wanted--;
				n = 1;
			}
			if (!by_time && n > (ls->total - ls->done) / c->sandboxes)
				n = (ls->total - ls->done) / c->sandboxes;
			if (n == 0)
				break;
			r->busy = true;
			pthread_mutex_unlock(&r->lock);
			struct run_report rep;
			struct sb_err err = { 0 };
			int rc = run_batch(r, i, n, by_time ? (slice ? slice : 1) : 0, first, &rep, &err);
			pthread_mutex_lock(&r->lock);
			r->busy = false;
			first = false;
			ls->batches++;
			if (rc) {
				ls->status = LIVE_FAILED;
				snprintf(ls->error, sizeof ls->error, "%s", err.msg);
				break;
			}
			const struct scenario_result *res = &rep.scenarios[0];
			merge(ls, res);
			ls->done += res->iterations;
			if (res->failed) {
				ls->status = LIVE_FAILED;
				snprintf(ls->error, sizeof ls->error, "%s", res->error);
			}
			run_report_free(&rep);
			if (ls->status == LIVE_FAILED || (!by_time && res->iterations == 0))
				break;
		}
		if (ls->status == LIVE_RUNNING)
			ls->status = LIVE_DONE;
	}
	r->finished = true;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

int live_run_start(struct live_run **out, const struct scenario_set *set, bool paused,
		   unsigned batches_per_scenario, struct sb_err *err)
{
	struct live_run *r = calloc(1, sizeof *r);
	if (!r || !(r->scn = calloc(set->n ? set->n : 1, sizeof *r->scn))) {
		free(r);
		return sb_errf(err, SB_E_NOMEM, "cannot allocate the live run");
	}
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->cond, NULL);
	r->set = set;
	r->n = set->n;
	r->paused = paused;
	r->batches_per_scenario = batches_per_scenario ? batches_per_scenario : 1;
	for (size_t i = 0; i < set->n; i++) {
		const struct scenario_config *c = &set->items[i].cfg;
		snprintf(r->scn[i].name, sizeof r->scn[i].name, "%s", set->items[i].name);
		r->scn[i].total = c->duration_ns ? 0 : c->iterations * c->sandboxes;
	}
	if (pthread_create(&r->thread, NULL, thread_main, r)) {
		free(r->scn);
		free(r);
		return sb_errf(err, SB_E_NOMEM, "cannot start the live-run thread");
	}
	r->started = true;
	*out = r;
	return 0;
}

void live_run_pause(struct live_run *r, bool paused)
{
	pthread_mutex_lock(&r->lock);
	r->paused = paused;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
}

void live_run_step(struct live_run *r)
{
	pthread_mutex_lock(&r->lock);
	r->paused = true;
	r->steps_wanted++;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
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

void live_run_stop(struct live_run *r, bool wait)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	r->quit = true;
	bool busy = r->busy;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
	if (busy && !wait) {
		pthread_detach(r->thread);
		atomic_store(&detached, true);
		return;
	}
	pthread_join(r->thread, NULL);
	for (size_t i = 0; i < r->n; i++)
		free(r->scn[i].steps);
	free(r->scn);
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->cond);
	free(r);
}
