/* test_runner_hooks.c — the runner's hooks (runner.h) on real sandboxes
 * (suite kvm): between_steps is called once before every step of every
 * iteration with the step that runs next and the worker's sandbox;
 * returning false stops the scenario (recorded as stopped, not failed)
 * and the run; a hook may snapshot the quiescent sandbox; on_progress
 * sees statistics that grow to the final ones. Exit 77 without /dev/kvm. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "runner.h"
#include "sandbox.h"

static const char scenarios[] =
	"[global]\n"
	"iterations = 3\n"
	"warmup = 1\n"
	"[hooks]\n"
	"step = create\n"
	"step = call touch_pages(3u)\n"
	"step = snapshot as s\n"
	"step = repeat 2 {\n"
	"step = restore s\n"
	"step = call add(1, 2)\n"
	"step = }\n"
	"step = destroy\n"
	"[after]\n"
	"iterations = 1\n"
	"warmup = 0\n"
	"step = create\n"
	"step = destroy\n";

#define STEPS_PER_ITERATION 8
#define MAX_CALLS 256

struct recorder {
	pthread_mutex_t lock;
	const struct scenario *sc[MAX_CALLS];
	const struct scenario_step *next[MAX_CALLS];
	unsigned sandbox[MAX_CALLS];
	bool had_sb[MAX_CALLS];
	unsigned n;
	unsigned stop_at;          /* return false on this call (1-based); 0 = never */
	/* snapshots taken before these steps (by label) */
	struct snapshot *before_touch, *before_snapshot;
	int snap_errors;
	/* on_progress */
	unsigned progress_calls;
	uint64_t last_done, last_total, add_count;
	bool done_went_back;
};

static bool between(void *ctx, const struct scenario *sc, unsigned sandbox,
		    const struct scenario_step *next, struct sandbox *sb)
{
	struct recorder *r = ctx;
	pthread_mutex_lock(&r->lock);
	unsigned i = r->n++;
	if (i < MAX_CALLS) {
		r->sc[i] = sc;
		r->next[i] = next;
		r->sandbox[i] = sandbox;
		r->had_sb[i] = sb != NULL;
	}
	bool stop = r->stop_at && r->n == r->stop_at;
	/* the first iteration's sandbox, right after create and after the call */
	struct snapshot **slot = NULL;
	if (sb && i < STEPS_PER_ITERATION && strcmp(sc->name, "hooks") == 0) {
		if (strcmp(next->label, "call touch_pages") == 0)
			slot = &r->before_touch;
		else if (strcmp(next->label, "snapshot s") == 0)
			slot = &r->before_snapshot;
	}
	pthread_mutex_unlock(&r->lock);
	if (slot) {
		struct sb_err err;
		if (sandbox_snapshot(sb, slot, &err)) {
			fprintf(stderr, "hook: sandbox_snapshot: %s\n", err.msg);
			r->snap_errors++;
		}
	}
	return !stop;
}

static void progress(void *ctx, const struct scenario *sc, const struct scenario_result *partial,
		     uint64_t done, uint64_t total)
{
	struct recorder *r = ctx;
	if (strcmp(sc->name, "hooks") != 0)
		return;
	pthread_mutex_lock(&r->lock);
	r->progress_calls++;
	if (done < r->last_done)
		r->done_went_back = true;
	r->last_done = done;
	r->last_total = total;
	const struct step_stats *add = scenario_result_step(partial, "call add (first after restore)");
	r->add_count = add ? hist_count(&add->hist) : 0;
	pthread_mutex_unlock(&r->lock);
}

/* The steps one iteration of [hooks] runs, in order. */
static void expected_order(const struct scenario *sc, const struct scenario_step *out[STEPS_PER_ITERATION])
{
	const struct scenario_step *rep = &sc->steps[3];
	const struct scenario_step *o[STEPS_PER_ITERATION] = {
		&sc->steps[0], &sc->steps[1], &sc->steps[2], &rep->as.repeat.steps[0],
		&rep->as.repeat.steps[1], &rep->as.repeat.steps[0], &rep->as.repeat.steps[1], &sc->steps[4],
	};
	memcpy(out, o, sizeof o);
}

static int run(const struct scenario_set *set, struct recorder *r, struct run_report *rep)
{
	struct runner_options o = {
		.tool_version = "test",
		.hooks = { .ctx = r, .between_steps = between, .on_progress = progress },
	};
	struct sb_err err = { 0 };
	int rc = runner_run(set, &o, rep, &err);
	if (rc)
		fprintf(stderr, "runner_run: %s\n", err.msg);
	return rc;
}

static void test_order_and_snapshots(const struct scenario_set *set)
{
	struct recorder r = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct run_report rep;
	if (!CHECK_I64(run(set, &r, &rep), 0))
		return;
	const struct scenario *sc = &set->items[0];
	CHECK_U64(rep.n_scenarios, 2);
	const struct scenario_result *res = &rep.scenarios[0];
	CHECK(!res->failed);
	CHECK(!res->stopped);
	CHECK_U64(res->iterations, 2); /* 3 - 1 warm-up */
	/* 3 iterations x 8 steps, then [after]: create, destroy */
	CHECK_U64(r.n, 3 * STEPS_PER_ITERATION + 2);
	const struct scenario_step *order[STEPS_PER_ITERATION];
	expected_order(sc, order);
	unsigned wrong = 0;
	for (unsigned i = 0; i < 3 * STEPS_PER_ITERATION && i < MAX_CALLS; i++) {
		const struct scenario_step *want = order[i % STEPS_PER_ITERATION];
		bool ok = r.sc[i] == sc && r.next[i] == want && r.sandbox[i] == 0 &&
			  r.had_sb[i] == (want->kind != SCENARIO_STEP_CREATE);
		if (!ok && wrong++ < 3)
			fprintf(stderr, "  call %u: got '%s' (sandbox %u, sb %s), want '%s'\n", i,
				r.next[i]->label, r.sandbox[i], r.had_sb[i] ? "set" : "NULL", want->label);
	}
	CHECK_U64(wrong, 0);
	CHECK(r.sc[3 * STEPS_PER_ITERATION] == &set->items[1]);
	CHECK(!r.had_sb[3 * STEPS_PER_ITERATION]); /* before [after]'s create */

	/* progress: monotonic, and it ends where the report ends */
	CHECK(r.progress_calls >= 3 * STEPS_PER_ITERATION);
	CHECK(!r.done_went_back);
	CHECK_U64(r.last_done, 3);
	CHECK_U64(r.last_total, 3);
	const struct step_stats *add = scenario_result_step(res, "call add (first after restore)");
	CHECK(add != NULL);
	CHECK_U64(r.add_count, 4); /* 2 recorded iterations x repeat 2 */
	if (add)
		CHECK_U64(hist_count(&add->hist), 4);

	/* snapshots the hook took of the live sandbox: after create, then
	 * after touch_pages(3u) dirtied 3 heap pages */
	CHECK_I64(r.snap_errors, 0);
	if (CHECK(r.before_touch && r.before_snapshot)) {
		const struct snap_stats *a = &r.before_touch->stats, *b = &r.before_snapshot->stats;
		printf("  after create: mapped %llu copied %llu zero %llu pt %llu; after the call: "
		       "mapped %llu copied %llu zero %llu pt %llu\n",
		       (unsigned long long)a->pages_mapped, (unsigned long long)a->pages_copied,
		       (unsigned long long)a->zero_pages, (unsigned long long)a->pt_pages,
		       (unsigned long long)b->pages_mapped, (unsigned long long)b->pages_copied,
		       (unsigned long long)b->zero_pages, (unsigned long long)b->pt_pages);
		CHECK(a->pages_mapped > 0 && a->pt_pages > 0);
		CHECK(b->pages_mapped >= a->pages_mapped);
		/* three heap pages went from the shared zero page to content */
		CHECK(b->pages_copied >= a->pages_copied + 3);
		CHECK_U64(r.before_snapshot->generation, r.before_touch->generation + 1);
		CHECK(r.before_touch->entry_kind == SNAP_ENTRY_CALL);
	}
	snap_unref(r.before_touch);
	snap_unref(r.before_snapshot);
	run_report_free(&rep);
}

static void test_stop(const struct scenario_set *set)
{
	/* stop before the 2nd iteration's touch_pages call */
	struct recorder r = { .lock = PTHREAD_MUTEX_INITIALIZER, .stop_at = STEPS_PER_ITERATION + 2 };
	struct run_report rep;
	if (!CHECK_I64(run(set, &r, &rep), 0))
		return;
	CHECK_U64(r.n, STEPS_PER_ITERATION + 2); /* not called again after false */
	CHECK_U64(rep.n_scenarios, 1);           /* [after] did not run */
	const struct scenario_result *res = &rep.scenarios[0];
	CHECK(res->stopped);
	CHECK(!res->failed);
	CHECK_CONTAINS(res->error, "stopped by the caller");
	CHECK_CONTAINS(res->error, "iteration 2, before step 'call touch_pages'");
	CHECK_U64(res->iterations, 0); /* the only complete iteration was the warm-up */
	const struct step_stats *create = scenario_result_step(res, "create");
	if (CHECK(create != NULL))
		CHECK_U64(hist_count(&create->hist), 1); /* iteration 2's create, recorded */
	CHECK_U64(r.last_done, 1);
	snap_unref(r.before_touch);
	snap_unref(r.before_snapshot);
	run_report_free(&rep);
}

/* Two sandboxes: each worker sees its own index and every step of it. */
static void test_sandboxes(void)
{
	struct scenario_set set = { 0 };
	struct sb_err err;
	if (!CHECK_I64(scenario_set_parse_string(&set, "two",
						 "[two]\niterations = 2\nwarmup = 0\nsandboxes = 2\n"
						 "step = create\nstep = call add(1, 2)\nstep = destroy\n",
						 &err), 0)) {
		fprintf(stderr, "  %s\n", err.msg);
		return;
	}
	struct recorder r = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct run_report rep;
	if (CHECK_I64(run(&set, &r, &rep), 0)) {
		unsigned per[2] = { 0 };
		for (unsigned i = 0; i < r.n && i < MAX_CALLS; i++)
			if (r.sandbox[i] < 2)
				per[r.sandbox[i]]++;
		CHECK_U64(per[0], 6);
		CHECK_U64(per[1], 6);
		CHECK_U64(rep.scenarios[0].iterations, 4);
		run_report_free(&rep);
	}
	scenario_set_free(&set);
}

int main(void)
{
	check_require_kvm();
	struct scenario_set set = { 0 };
	struct sb_err err;
	if (scenario_set_parse_string(&set, "hooks.ini", scenarios, &err)) {
		fprintf(stderr, "parse: %s\n", err.msg);
		return 1;
	}
	test_order_and_snapshots(&set);
	test_stop(&set);
	test_sandboxes();
	scenario_set_free(&set);
	return check_done();
}
