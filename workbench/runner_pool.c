/* runner_pool.c — option pool = N: the run's sandbox pool (vmm/sandbox_pool.h).
 *
 * One pool per scenario run, shared by its worker threads: a create step
 * takes from it (row "create (pooled)" or "create (fresh)"), a destroy
 * step puts back ("destroy (pooled)", or "destroy (not pooled)" when the
 * pool was full or the sandbox mapped files). The pool's cleaner thread
 * scrubs each returned sandbox off the steps' path; its hook times every
 * scrub into the row "pool scrub", so the work a pooled create no longer
 * does is in the report next to it. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "runner_internal.h"
#include "sandbox_pool.h"

struct runner_pool {
	struct sandbox_pool *pool;
	pthread_mutex_t lock; /* guards scrub (the cleaner writes, the runner reads at the end) */
	struct step_stats scrub;
	size_t scrub_row;     /* index in r->steps */
	uint64_t scrubs_before, scrub_ns_before, scrub_cpu_before; /* the fill's */
};

#define POOL_SCRUB_LABEL "pool scrub"

/* The cleaner thread, after each scrub (pool locked: nothing of the pool here). */
static void on_scrub(void *ctx, uint64_t ns, bool ok)
{
	struct runner_pool *rp = ctx;
	struct step_record rec = { .ns = ns };
	pthread_mutex_lock(&rp->lock);
	if (ok)
		runner_account(&rp->scrub, SCENARIO_STEP_POOL_SCRUB, &rec);
	else
		runner_note_error(&rp->scrub, "the scrub failed: the sandbox was destroyed", 0);
	pthread_mutex_unlock(&rp->lock);
}

static bool has_load(const struct scenario_step *steps, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (steps[i].kind == SCENARIO_STEP_LOAD ||
		    (steps[i].kind == SCENARIO_STEP_REPEAT &&
		     has_load(steps[i].as.repeat.steps, steps[i].as.repeat.n)))
			return true;
	return false;
}

int runner_pool_start(struct runner_pool **out, const struct scenario *sc,
		      const struct sandbox_config *cfg, struct snapshot *base,
		      struct scenario_result *r, struct sb_err *err)
{
	*out = NULL;
	if (!sc->cfg.pool)
		return 0;
	struct step_stats *rows = realloc(r->steps, (r->n_steps + 1) * sizeof *rows);
	struct runner_pool *rp = calloc(1, sizeof *rp);
	if (rows)
		r->steps = rows;
	if (!rows || !rp) {
		free(rp);
		return sb_errf(err, SB_E_NOMEM, "out of memory for the sandbox pool");
	}
	struct step_stats *st = &r->steps[r->n_steps];
	memset(st, 0, sizeof *st);
	snprintf(st->label, sizeof st->label, "%s", POOL_SCRUB_LABEL);
	snprintf(st->step, sizeof st->step, "%s", POOL_SCRUB_LABEL);
	st->kind = SCENARIO_STEP_POOL_SCRUB;
	st->variant = SCENARIO_VARIANT_NONE;
	hist_init(&st->hist);
	rp->scrub = *st;
	rp->scrub_row = r->n_steps++;
	if (sandbox_pool_create(&rp->pool, cfg, (unsigned)sc->cfg.pool, err)) {
		free(rp);
		return sb_err_prefix(err, "%s:%u: [%s] pool: ", sc->file, sc->line, sc->section);
	}
	pthread_mutex_init(&rp->lock, NULL);
	sandbox_pool_set_scrub_hook(rp->pool, on_scrub, rp);
	*out = rp;
	/* Filled before the clock starts, when every create runs the
	 * scenario's guest (no load step: a loaded snapshot is a new one each
	 * iteration, which a pooled sandbox restores as another snapshot). */
	if (!has_load(sc->steps, sc->n_steps)) {
		if (sandbox_pool_fill(rp->pool, base, (unsigned)sc->cfg.pool, err))
			return sb_err_prefix(err, "%s:%u: [%s] pool: ", sc->file, sc->line,
					     sc->section);
		sandbox_pool_quiesce(rp->pool);
		struct sandbox_pool_stats ps = sandbox_pool_stats(rp->pool);
		r->pool.prefilled = ps.idle;
		/* the fill's scrubs are set-up, not the run's */
		pthread_mutex_lock(&rp->lock);
		rp->scrub = r->steps[rp->scrub_row];
		rp->scrubs_before = ps.scrubs;
		rp->scrub_ns_before = ps.scrub_ns_total;
		rp->scrub_cpu_before = ps.scrub_cpu_ns_total;
		pthread_mutex_unlock(&rp->lock);
	}
	return 0;
}

struct sandbox_pool *runner_pool_get(struct runner_pool *rp)
{
	return rp ? rp->pool : NULL;
}

void runner_pool_finish(struct runner_pool *rp, struct scenario_result *r)
{
	if (!rp)
		return;
	/* every put's scrub counted, none running while the pool goes */
	sandbox_pool_quiesce(rp->pool);
	struct sandbox_pool_stats ps = sandbox_pool_stats(rp->pool);
	sandbox_pool_destroy(rp->pool);
	r->pool = (struct pool_result){
		.prefilled = r->pool.prefilled,
		.size = ps.max_idle,
		.idle_end = ps.idle,
		.takes_pooled = ps.takes_pooled,
		.takes_fresh = ps.takes_fresh,
		.takes_unscrubbed = ps.takes_unscrubbed,
		.takes_full = ps.takes_full,
		.puts_kept = ps.puts_kept,
		.puts_destroyed = ps.puts_destroyed,
		.scrubs = ps.scrubs - rp->scrubs_before,
		.scrub_failures = ps.scrub_failures,
		.scrub_ns_total = ps.scrub_ns_total - rp->scrub_ns_before,
		.scrub_cpu_ns_total = ps.scrub_cpu_ns_total - rp->scrub_cpu_before,
	};
	if (rp->scrub_row < r->n_steps)
		step_stats_add(&r->steps[rp->scrub_row], &rp->scrub);
	pthread_mutex_destroy(&rp->lock);
	free(rp);
}

int runner_pool_take(struct worker *w, struct snapshot *snap, const struct sandbox_config *cfg)
{
	enum sandbox_pool_take_kind kind;
	if (sandbox_pool_take(w->pool, snap, &w->sb, &kind, &w->err))
		return -1;
	w->pool_variant = kind == SANDBOX_POOL_POOLED ? SCENARIO_VARIANT_POOLED
						      : SCENARIO_VARIANT_FRESH;
	/* The pool's host functions are the first worker's: this worker's
	 * own (their clock is its), same names and signatures. */
	for (unsigned i = 0; i < cfg->n_host_fns; i++)
		if (sandbox_register_host_fn(w->sb, &cfg->host_fns[i], &w->err))
			return -1;
	return 0;
}

void runner_pool_put(struct worker *w)
{
	/* A mapped file's memory goes with the sandbox: not pooled. */
	if (w->n_maps) {
		runner_sandbox_destroy(w);
		w->pool_variant = SCENARIO_VARIANT_NOT_POOLED;
		return;
	}
	bool kept = sandbox_pool_put(w->pool, w->sb);
	w->sb = NULL;
	w->pool_variant = kept ? SCENARIO_VARIANT_POOLED : SCENARIO_VARIANT_NOT_POOLED;
}
