/* runner_open_loop.c — the open loop (option rate > 0, runner.h): when
 * each iteration is due, how late it starts (queueing delay), how long
 * it takes from due to end, how late an on-time sleep wakes, and the
 * rate the scenario achieved against the one it asked for. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runner_internal.h"
#include "vmm.h"

#define NS_PER_S 1000000000ull

int runner_open_loop_init(struct worker *w)
{
	uint64_t rate = w->sc->cfg.rate;
	if (!rate)
		return 0;
	struct open_loop_worker *o = calloc(1, sizeof *o); /* 3 histograms: 105 KB */
	if (!o)
		return sb_errf(&w->err, SB_E_NOMEM, "out of memory for the open-loop statistics");
	hist_init(&o->stats.iteration);
	hist_init(&o->stats.queueing_delay);
	hist_init(&o->stats.sleep_overshoot);
	o->period_ns = NS_PER_S / rate;
	w->open_loop = o;
	return 0;
}

void runner_open_loop_free(struct worker *w)
{
	free(w->open_loop);
	w->open_loop = NULL;
}

uint64_t runner_open_loop_wait(struct worker *w, uint64_t start, uint64_t i)
{
	/* held_ns: time paused in between_steps moves the schedule on */
	uint64_t due = start + w->held_ns + i * NS_PER_S / w->sc->cfg.rate;
	uint64_t now = vmm_now_ns();
	if (w->open_loop)
		w->open_loop->slept = now < due;
	if (now >= due)
		return due; /* late: no sleep; its wait is the queueing delay */
	struct timespec ts = { (time_t)((due - now) / NS_PER_S), (long)((due - now) % NS_PER_S) };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		; /* interrupted: sleep the rest */
	uint64_t woke = vmm_now_ns();
	if (w->recording && w->open_loop)
		hist_record(&w->open_loop->stats.sleep_overshoot, woke > due ? woke - due : 0);
	return due;
}

void runner_open_loop_iteration(struct worker *w, uint64_t due, uint64_t started, uint64_t ended,
				uint64_t held)
{
	struct open_loop_worker *o = w->open_loop;
	if (!o || !w->recording)
		return;
	/* On time (it slept until due): no queueing; how late the sleep
	 * woke is the scheduler's overshoot, measured apart. Late: it
	 * waited behind the iterations before it from due to its start. */
	uint64_t queued = !o->slept && started > due ? started - due : 0;
	hist_record(&o->stats.queueing_delay, queued);
	uint64_t e2e = ended > due ? ended - due : 0;
	hist_record(&o->stats.iteration, e2e > held ? e2e - held : 0);
	if (!o->recorded) {
		o->recorded = true;
		o->first_start_ns = started;
	}
	/* to the end of the iteration, or to when the next one is due when
	 * that is later: an on-time schedule of N iterations spans N periods */
	uint64_t next_due = due + o->period_ns;
	o->last_end_ns = ended > next_due ? ended : next_due;
	o->held_ns += held;
}

int runner_open_loop_merge(struct scenario_result *r, const struct scenario *sc,
			   const struct worker *ws, size_t n, struct sb_err *err)
{
	if (!sc->cfg.rate)
		return 0;
	struct open_loop_stats *m = calloc(1, sizeof *m);
	if (!m)
		return sb_errf(err, SB_E_NOMEM, "out of memory for the open-loop statistics");
	hist_init(&m->iteration);
	hist_init(&m->queueing_delay);
	hist_init(&m->sleep_overshoot);
	m->rate_per_sandbox = sc->cfg.rate;
	m->rate_target_per_s = (double)sc->cfg.rate * (double)sc->cfg.sandboxes;
	uint64_t span = 0;
	for (size_t i = 0; i < n; i++) {
		const struct open_loop_worker *o = ws[i].open_loop;
		if (!o)
			continue;
		hist_merge(&m->iteration, &o->stats.iteration);
		hist_merge(&m->queueing_delay, &o->stats.queueing_delay);
		hist_merge(&m->sleep_overshoot, &o->stats.sleep_overshoot);
		if (!o->recorded)
			continue;
		uint64_t s = o->last_end_ns - o->first_start_ns;
		s = s > o->held_ns ? s - o->held_ns : 0;
		if (s > span)
			span = s;
	}
	uint64_t iterations = hist_count(&m->iteration);
	m->rate_achieved_per_s = span ? (double)iterations * 1e9 / (double)span : 0;
	free(r->open_loop);
	r->open_loop = m;
	return 0;
}
