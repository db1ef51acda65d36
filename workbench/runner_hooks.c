/* runner_hooks.c — the runner's side of its hooks (runner.h): calling
 * between_steps, and the partial result on_progress sees, which the
 * scenario's workers add to under one mutex. Only runs with hooks get
 * here; without them the workers never touch this file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner_internal.h"
#include "vmm.h"

int runner_live_init(struct runner_live *l, const struct runner_hooks *h, const struct scenario *sc,
		     const struct scenario_result *shape, _Atomic uint64_t *done, uint64_t total,
		     struct sb_err *err)
{
	memset(l, 0, sizeof *l);
	l->hooks = *h;
	l->sc = sc;
	l->done = done;
	l->total = total;
	atomic_init(&l->stop, false);
	/* the labels, with empty statistics (a histogram is 35 KB: heap) */
	l->partial.steps = malloc((shape->n_steps ? shape->n_steps : 1) * sizeof *l->partial.steps);
	if (!l->partial.steps)
		return sb_errf(err, SB_E_NOMEM, "cannot allocate the partial statistics");
	memcpy(l->partial.steps, shape->steps, shape->n_steps * sizeof *l->partial.steps);
	l->partial.n_steps = shape->n_steps;
	snprintf(l->partial.name, sizeof l->partial.name, "%s", sc->name);
	pthread_mutex_init(&l->lock, NULL);
	return 0;
}

void runner_live_free(struct runner_live *l)
{
	if (!l->partial.steps)
		return;
	free(l->partial.steps);
	l->partial.steps = NULL;
	pthread_mutex_destroy(&l->lock);
}

bool runner_live_between(struct runner_live *l, unsigned sandbox, uint64_t iteration,
			 const struct scenario_step *next, struct sandbox *sb, uint64_t *hook_ns)
{
	*hook_ns = 0;
	if (atomic_load(&l->stop))
		return false; /* another sandbox of this scenario was told to stop */
	if (!l->hooks.between_steps)
		return true;
	uint64_t t0 = vmm_now_ns();
	bool go = l->hooks.between_steps(l->hooks.ctx, l->sc, sandbox, next, sb);
	*hook_ns = vmm_now_ns() - t0;
	if (!go && !atomic_exchange(&l->stop, true))
		snprintf(l->where, sizeof l->where,
			 "stopped by the caller: sandbox %u, iteration %llu, before step '%s' (line %u)",
			 sandbox, (unsigned long long)iteration + 1, next->label, next->line);
	return go;
}

static void report_locked(struct runner_live *l)
{
	if (l->hooks.on_progress)
		l->hooks.on_progress(l->hooks.ctx, l->sc, &l->partial, atomic_load(l->done), l->total);
}

void runner_live_step(struct runner_live *l, size_t index, enum scenario_step_kind kind,
		      const struct step_record *rec, const char *error, unsigned line)
{
	if (!l->hooks.on_progress || index >= l->partial.n_steps)
		return;
	pthread_mutex_lock(&l->lock);
	if (error)
		runner_note_error(&l->partial.steps[index], error, line);
	if (rec)
		runner_account(&l->partial.steps[index], kind, rec);
	report_locked(l);
	pthread_mutex_unlock(&l->lock);
}

void runner_live_account(struct runner_live *l, size_t index, enum scenario_step_kind kind,
			 const struct step_record *rec)
{
	if (!l->hooks.on_progress || index >= l->partial.n_steps)
		return;
	pthread_mutex_lock(&l->lock);
	runner_account(&l->partial.steps[index], kind, rec);
	pthread_mutex_unlock(&l->lock);
}

void runner_live_report(struct runner_live *l)
{
	if (!l->hooks.on_progress)
		return;
	pthread_mutex_lock(&l->lock);
	report_locked(l);
	pthread_mutex_unlock(&l->lock);
}
