/* test_runner.c — what the runner does between and around steps, on real
 * sandboxes (suite kvm): a sandbox left alive at the end of an iteration
 * is destroyed there; the open loop times the first step of an on-time
 * iteration and of a late one from its real start (a late one's wait is
 * its queueing delay, test_runner_open_loop.c); a step label or a file
 * path that would not fit fails the scenario instead of crashing it or
 * naming another file; the options echo keeps a long step list whole;
 * calls and restores land in the rows of their variant; restore rows
 * count full restores and pages reset as the sandbox reported them; a
 * restore_strategy list runs once per strategy, every sandbox with it.
 * Exit 77 without /dev/kvm. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "check.h"
#include "runner.h"
#include "sandbox.h"

static bool parse(struct scenario_set *set, const char *text)
{
	struct sb_err err = { 0 };
	if (!CHECK_I64(scenario_set_parse_string(set, "t.ini", text, &err), 0)) {
		fprintf(stderr, "  parse: %s\n", err.msg);
		return false;
	}
	return true;
}

static bool run(const struct scenario_set *set, const struct runner_hooks *h,
		struct run_report *rep)
{
	struct runner_options o = { .tool_version = "test" };
	if (h)
		o.hooks = *h;
	struct sb_err err = { 0 };
	if (!CHECK_I64(runner_run(set, &o, rep, &err), 0)) {
		fprintf(stderr, "  runner_run: %s\n", err.msg);
		return false;
	}
	return CHECK_U64(rep->n_scenarios, set->n);
}

/* parse() then run() (h may be NULL): false, the set freed, when either
 * fails (a failed check). */
static bool parse_and_run(struct scenario_set *set, const char *text, const struct runner_hooks *h,
			  struct run_report *rep)
{
	if (parse(set, text) && run(set, h, rep))
		return true;
	scenario_set_free(set);
	return false;
}

/* The first n expectations of r passed; each that did not is printed. */
static void check_expects_passed(const struct scenario_result *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!check_true_at(r->expects[i].passed, r->expects[i].text, __FILE__, __LINE__))
			fprintf(stderr, "  %s: %s: %s\n", r->name, r->expects[i].text,
				r->expects[i].why);
}

/* ---- a sandbox left alive at the end of an iteration ---------------------- */

struct creates {
	pthread_mutex_t lock;
	unsigned n, with_sandbox; /* creates seen; of them with a live sandbox */
};

static bool before_step(void *ctx, const struct scenario *sc, unsigned sandbox,
			const struct scenario_step *next, struct sandbox *sb)
{
	struct creates *c = ctx;
	(void)sc, (void)sandbox;
	if (next->kind == SCENARIO_STEP_CREATE) {
		pthread_mutex_lock(&c->lock);
		c->n++;
		c->with_sandbox += sb != NULL;
		pthread_mutex_unlock(&c->lock);
	}
	return true;
}

static void test_no_destroy(void)
{
	struct scenario_set set = { 0 };
	if (!parse(&set, "[s]\niterations = 3\nsandboxes = 2\nstep = create\nstep = call add(1, 2)\n"))
		return;
	struct creates c = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct runner_hooks h = { .ctx = &c, .between_steps = before_step };
	struct run_report rep;
	if (run(&set, &h, &rep)) {
		CHECK(!rep.scenarios[0].failed);
		CHECK_U64(rep.scenarios[0].iterations, 6);
		/* every create finds the previous iteration's sandbox gone */
		CHECK_U64(c.n, 6);
		CHECK_U64(c.with_sandbox, 0);
		run_report_free(&rep);
	}
	scenario_set_free(&set);
}

/* ---- open loop -------------------------------------------------------------- */

static uint64_t create_max_ns(const struct run_report *rep)
{
	const struct step_stats *st = scenario_result_step(&rep->scenarios[0], "create");
	return st ? hist_max(&st->hist) : 0;
}

static void test_open_loop(void)
{
	/* A timer slack of 100 ms (inherited by the runner's threads) makes
	 * every sleep overshoot by up to that much: an on-time iteration's
	 * first step must not be charged with it. */
	if (!CHECK_I64(prctl(PR_SET_TIMERSLACK, 100000000ul, 0, 0, 0), 0))
		return;
	struct scenario_set set = { 0 };
	struct run_report rep;
	if (parse(&set, "[on-time]\niterations = 3\nrate = 4\nstep = create\nstep = destroy\n") &&
	    run(&set, NULL, &rep)) {
		CHECK(!rep.scenarios[0].failed);
		uint64_t max = create_max_ns(&rep);
		printf("  on time: create max %.3f ms\n", (double)max / 1e6);
		CHECK(max > 0 && max < 50000000);
		run_report_free(&rep);
	}
	scenario_set_free(&set);

	/* Late: each iteration takes 200 ms or more against a 100 ms period,
	 * so later iterations start late: the wait is their queueing delay,
	 * not their create's (timed from when it starts, like any step). */
	if (parse(&set, "[late]\niterations = 3\nrate = 10\nstep = create\nstep = sleep 200ms\n"
			"step = destroy\n") &&
	    run(&set, NULL, &rep)) {
		CHECK(!rep.scenarios[0].failed);
		uint64_t max = create_max_ns(&rep);
		const struct open_loop_stats *ol = rep.scenarios[0].open_loop;
		uint64_t queued = ol ? hist_max(&ol->queueing_delay) : 0;
		printf("  late: create max %.3f ms, queueing delay max %.3f ms\n", (double)max / 1e6,
		       (double)queued / 1e6);
		CHECK(max > 0 && max < 50000000);
		CHECK(queued >= 80000000);
		run_report_free(&rep);
	}
	scenario_set_free(&set);
	prctl(PR_SET_TIMERSLACK, 0ul, 0, 0, 0); /* back to the default */
}

/* ---- what does not fit ------------------------------------------------------- */

/* A label too long for the statistics (a set not from the parser, which
 * refuses it): the scenario fails, nothing crashes. */
static void test_long_label(void)
{
	struct scenario_set set = { 0 };
	if (!parse(&set, "[s]\nstep = create\nstep = destroy\n"))
		return;
	struct scenario_step *st = &set.items[0].steps[1];
	free(st->label);
	st->label = malloc(71);
	memset(st->label, 'd', 70);
	st->label[70] = '\0';
	struct run_report rep;
	if (run(&set, NULL, &rep)) {
		CHECK(rep.scenarios[0].failed);
		CHECK_CONTAINS(rep.scenarios[0].error, "is longer than 63 characters");
		run_report_free(&rep);
	}
	scenario_set_free(&set);
}

/* A save path longer than the runner's buffer: cut short, this one would
 * name DIR/s.snap, a file that can be written. It must fail instead. */
static void test_long_path(void)
{
	char dir[] = "/tmp/snapbench-runner-XXXXXX";
	if (!CHECK(mkdtemp(dir) != NULL))
		return;
	struct scenario_set set = { 0 };
	if (!parse(&set, "[s]\nstep = create\nstep = snapshot\nstep = save x.snap\n"))
		goto out;
	size_t cap = 5000, cut = 1023; /* the old buffer held 1023 characters */
	char *path = malloc(cap + 1);
	size_t n = (size_t)snprintf(path, cap, "%s/", dir);
	size_t end = cut - strlen("s.snap");
	if ((end - n) % 2)
		path[n++] = '/'; /* "//" is "/" */
	while (n < end) {
		path[n++] = '.';
		path[n++] = '/';
	}
	n += (size_t)snprintf(path + n, cap - n, "s.snap");
	while (n < cap)
		path[n++] = 'y';
	path[n] = '\0';
	struct scenario_step *st = &set.items[0].steps[2];
	free(st->as.file.path);
	st->as.file.path = path;
	struct run_report rep;
	if (run(&set, NULL, &rep)) {
		CHECK(rep.scenarios[0].failed);
		CHECK_CONTAINS(rep.scenarios[0].error, "step 'save x.snap': file name '");
		CHECK_CONTAINS(rep.scenarios[0].error, "' is longer than 4095 bytes");
		run_report_free(&rep);
	}
	char other[64];
	snprintf(other, sizeof other, "%s/s.snap", dir);
	CHECK(access(other, F_OK) != 0); /* nothing was written under another name */
	unlink(other);
	scenario_set_free(&set);
out:
	rmdir(dir);
}

/* ---- the options echo --------------------------------------------------------- */

static void test_long_echo(void)
{
	/* 42 steps: far more than the 512 bytes the echo once held */
	char text[8192];
	size_t n = (size_t)snprintf(text, sizeof text, "[s]\nstep = create\n");
	char want[8192];
	size_t w = (size_t)snprintf(want, sizeof want, "create");
	for (int i = 0; i < 40; i++) {
		n += (size_t)snprintf(text + n, sizeof text - n, "step = call add(%d, %d)\n", i, i + 1);
		w += (size_t)snprintf(want + w, sizeof want - w, "; call add(%d, %d)", i, i + 1);
	}
	snprintf(text + n, sizeof text - n, "step = destroy\n");
	snprintf(want + w, sizeof want - w, "; destroy");
	struct scenario_set set = { 0 };
	struct run_report rep;
	if (parse(&set, text) && run(&set, NULL, &rep)) {
		const struct scenario_result *r = &rep.scenarios[0];
		const char *steps = NULL;
		for (size_t i = 0; i < r->n_options; i++)
			if (strcmp(r->options[i].name, "step") == 0)
				steps = r->options[i].value;
		if (CHECK(steps != NULL)) {
			CHECK(strlen(steps) > 512);
			CHECK_STR(steps, want);
		}
		run_report_free(&rep);
	}
	scenario_set_free(&set);
}

/* ---- rows: calls by where they run, restores by path ------------------------ */

/* The first call after a create or a restore and the steady calls go to
 * their own rows; restores of the snapshot the sandbox runs from and of
 * another one too; a path never taken has no row; expectations address
 * one row, or all rows of a label; the penalty pairs first and steady. */
static void test_rows(void)
{
	struct scenario_set set = { 0 };
	struct run_report rep;
	/* "restore a" always follows a snapshot or "restore b": always the
	 * other snapshot; the second "restore b" restores the same one */
	static const char ini[] =
		"[rows]\niterations = 3\nwarmup = 1\nstep = create\n"
		"step = call touch_pages(3u) as dirty\nstep = snapshot as a\n"
		"step = snapshot as b\nstep = repeat 2 {\nstep = restore a\n"
		"step = call touch_pages(3u) as dirty\nstep = call touch_pages(3u) as dirty\n"
		"step = restore b\nstep = restore b\nstep = }\nstep = call add(1, 2)\n"
		"step = destroy\n"
		"expect = dirty (steady).scratch_pages == 0\n"
		"expect = restore b (same snapshot).count == 4\n"
		"expect = restore b.count == 8\n"
		"expect = dirty.count == 10\n"
		"expect = call (first after restore).count == 6\n"
		"expect = dirty (steady).count == 5\n";
	if (!parse_and_run(&set, ini, NULL, &rep))
		return;
	const struct scenario_result *r = &rep.scenarios[0];
	CHECK(!r->failed);
	static const struct {
		const char *row;
		uint64_t count;
	} want[] = {
		{ "create", 2 },
		{ "dirty (first after create)", 2 },
		{ "dirty (first after restore)", 4 },
		{ "dirty (steady)", 4 },
		{ "snapshot a", 2 },
		{ "snapshot b", 2 },
		{ "restore a (other snapshot)", 4 },
		{ "restore b (same snapshot)", 4 },
		{ "restore b (other snapshot)", 4 },
		{ "call add (first after restore)", 2 },
		{ "destroy", 2 },
	};
	if (CHECK_U64(r->n_steps, sizeof want / sizeof want[0])) {
		for (size_t i = 0; i < r->n_steps; i++) {
			CHECK_STR(r->steps[i].label, want[i].row);
			CHECK_U64(hist_count(&r->steps[i].hist), want[i].count);
		}
	}
	CHECK(scenario_result_step(r, "restore a (same snapshot)") == NULL); /* never taken */
	const struct step_stats *st = scenario_result_row(r, "dirty", SCENARIO_VARIANT_STEADY);
	if (CHECK(st != NULL)) {
		CHECK_STR(st->label, "dirty (steady)");
		CHECK_U64(st->scratch_pages, 0); /* the pages are the sandbox's own by then */
		CHECK_U64(st->kind, SCENARIO_STEP_CALL);
	}
	/* penalties: dirty has both rows, add has no steady call */
	struct post_restore_penalty p;
	const struct step_stats *first = scenario_result_row(r, "dirty", SCENARIO_VARIANT_FIRST_AFTER_RESTORE);
	if (CHECK(first != NULL) && CHECK(scenario_result_penalty(r, first, &p))) {
		CHECK(p.steady == st);
		CHECK_U64(p.first_p50_ns, hist_value_at_percentile(&first->hist, 50));
		CHECK_I64(p.penalty_ns, (int64_t)p.first_p50_ns - (int64_t)p.steady_p50_ns);
		CHECK(p.first_p50_ns > 0 && p.steady_p50_ns > 0);
	}
	first = scenario_result_row(r, "call add", SCENARIO_VARIANT_FIRST_AFTER_RESTORE);
	if (CHECK(first != NULL) && CHECK(scenario_result_penalty(r, first, &p)))
		CHECK(p.steady == NULL);
	CHECK(!scenario_result_penalty(r, &r->steps[1], &p)); /* first after create: none */
	/* expectations: one row, all rows of a label, a kind with a row */
	if (CHECK_U64(r->n_expects, 6)) {
		check_expects_passed(r, 5);
		CHECK(r->expects[2].got == 8);
		CHECK(r->expects[3].got == 10);
		CHECK(!r->expects[5].passed);
		CHECK_STR(r->expects[5].why, "dirty (steady).count is 4, expected == 5");
	}
	run_report_free(&rep);
	scenario_set_free(&set);
}

/* ---- restore page statistics ------------------------------------------------ */

/* What the sandbox itself said after each recorded restore, per snapshot
 * name ('a' to 'c'), read in between_steps before the step after it. */
struct restore_seen {
	const struct scenario_step *prev;
	unsigned creates; /* iteration = creates - 1 (one sandbox) */
	uint64_t restores[3], full[3], pages[3];
};

static bool seen_restore(void *ctx, const struct scenario *sc, unsigned sandbox,
			 const struct scenario_step *next, struct sandbox *sb)
{
	struct restore_seen *c = ctx;
	(void)sandbox;
	if (next->kind == SCENARIO_STEP_CREATE)
		c->creates++;
	const struct scenario_step *p = c->prev;
	if (p && p->kind == SCENARIO_STEP_RESTORE && sb && c->creates > sc->cfg.warmup) {
		struct sandbox_restore_info ri = sandbox_last_restore(sb);
		unsigned k = (unsigned)(p->as.snap.name[0] - 'a');
		c->restores[k]++;
		c->full[k] += ri.full;
		c->pages[k] += ri.pages_reset;
	}
	c->prev = next;
	return true;
}

/* A restore is full after copy-on-write faults and when it changes the
 * snapshot, light after a call with no fault or with nothing run since;
 * one with nothing run since resets exactly the pages every restore
 * rewrites (the input and output stack headers' pages and the bookkeeping
 * page: 3). The rows hold what the sandbox reported, warm-up excluded. */
static void test_restore_stats(void)
{
	struct scenario_set set = { 0 };
	struct run_report rep;
	struct restore_seen seen = { 0 };
	struct runner_hooks h = { .ctx = &seen, .between_steps = seen_restore };
	static const char ini[] =
		"[r]\niterations = 4\nwarmup = 1\nstep = create\n"
		"step = call touch_pages(3u) as dirty\nstep = snapshot as a\n"
		"step = snapshot as b\nstep = snapshot as c\n"
		"step = restore a\nstep = restore a\nstep = restore a\n"
		"step = restore b\nstep = call touch_pages(3u) as dirty\nstep = restore b\n"
		"step = restore c\nstep = call add(1, 2)\nstep = restore c\n"
		"step = restore c\nstep = destroy\n"
		"expect = restore b.full_restores == 6\n"
		"expect = restore a (same snapshot).pages_reset == 3\n"
		"expect = restore (same snapshot).full_restores == 3\n";
	if (!parse_and_run(&set, ini, &h, &rep))
		return;
	const struct scenario_result *r = &rep.scenarios[0];
	CHECK(!r->failed);
	static const struct {
		const char *row;
		uint64_t count, full;
	} want[] = {
		{ "restore a (other snapshot)", 3, 3 }, /* another snapshot: full */
		{ "restore a (same snapshot)", 6, 0 },  /* nothing ran since: light */
		{ "restore b (other snapshot)", 3, 3 },
		{ "restore b (same snapshot)", 3, 3 },  /* after copy-on-write faults */
		{ "restore c (other snapshot)", 3, 3 },
		{ "restore c (same snapshot)", 6, 0 },  /* after add, and nothing */
	};
	uint64_t full[3] = { 0 }, pages[3] = { 0 }, count[3] = { 0 };
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		const struct step_stats *st = scenario_result_step(r, want[i].row);
		if (!check_true_at(st != NULL, want[i].row, __FILE__, __LINE__))
			continue;
		check_i64_at((int64_t)hist_count(&st->hist), (int64_t)want[i].count, want[i].row,
			     __FILE__, __LINE__);
		check_i64_at((int64_t)st->full_restores, (int64_t)want[i].full, want[i].row,
			     __FILE__, __LINE__);
		unsigned k = (unsigned)(st->step[8] - 'a');
		full[k] += st->full_restores;
		pages[k] += st->pages_reset;
		count[k] += hist_count(&st->hist);
	}
	const struct step_stats *back = scenario_result_step(r, "restore a (same snapshot)");
	if (back)
		CHECK_U64(back->pages_reset, 6 * 3);
	const struct step_stats *dirty = scenario_result_step(r, "restore b (same snapshot)");
	if (dirty) /* at least the 3 copies and the 3 pages every restore rewrites */
		CHECK(dirty->pages_reset >= 3 * (3 + 3));
	/* calls and other steps have none */
	for (size_t i = 0; i < r->n_steps; i++)
		if (r->steps[i].kind != SCENARIO_STEP_RESTORE)
			CHECK(r->steps[i].full_restores == 0 && r->steps[i].pages_reset == 0);
	/* every row's sums are the sandbox's own reports, warm-up excluded */
	for (unsigned k = 0; k < 3; k++) {
		CHECK_U64(seen.restores[k], count[k]);
		CHECK_U64(seen.full[k], full[k]);
		CHECK_U64(seen.pages[k], pages[k]);
	}
	if (CHECK_U64(r->n_expects, 3))
		check_expects_passed(r, 3);
	run_report_free(&rep);
	scenario_set_free(&set);
}

/* ---- restore strategies --------------------------------------------------- */

/* The strategy of every sandbox the hook met, per run (strategy order). */
struct strategies_seen {
	unsigned sandboxes[SANDBOX_RESTORE__COUNT];
	unsigned wrong; /* a sandbox whose strategy is not its scenario's */
};

static bool seen_strategy(void *ctx, const struct scenario *sc, unsigned sandbox,
			  const struct scenario_step *next, struct sandbox *sb)
{
	struct strategies_seen *c = ctx;
	(void)sandbox;
	if (sb && next->kind == SCENARIO_STEP_CALL) {
		enum sandbox_restore_strategy s = sandbox_restore_strategy(sb);
		c->wrong += s != scenario_strategy(sc) || (unsigned)s >= SANDBOX_RESTORE__COUNT;
		if ((unsigned)s < SANDBOX_RESTORE__COUNT)
			c->sandboxes[s]++;
	}
	return true;
}

static const struct step_stats *row(const struct scenario_result *r, const char *name)
{
	const struct step_stats *st = scenario_result_step(r, name);
	check_true_at(st != NULL, name, __FILE__, __LINE__);
	return st;
}

/* A list runs the scenario once per strategy, every sandbox created with
 * it; calls count their copy-on-write faults, restores the bytes they
 * copied and the pages they left writable in place. Under rewrite each
 * re-dirtied page faults again after a restore; under host-cow (the pages
 * are non-zero in the snapshot, so no other address shares them) none
 * does, and restores retain pages. */
static void test_strategies(void)
{
	struct scenario_set set = { 0 };
	struct run_report rep;
	struct strategies_seen seen = { 0 };
	struct runner_hooks h = { .ctx = &seen, .between_steps = seen_strategy };
	static const char ini[] =
		"[s]\nrestore_strategy = rewrite, host-cow\niterations = 3\nwarmup = 1\n"
		"sandboxes = 2\ndirtied_pages = 3\nstep = create\n"
		"step = call touch_pages(3u) as t\nstep = snapshot as b\n"
		"step = repeat 4 {\nstep = restore b\nstep = call touch_pages(3u) as t\n"
		"step = call touch_pages(3u) as t\nstep = }\n"
		"expect = t (steady).cow_faults == 0\n"
		"expect = restore b (same snapshot).bytes_copied > 0\n";
	if (!parse_and_run(&set, ini, &h, &rep))
		return;
	if (!CHECK_U64(set.n, 2))
		goto out;
	CHECK_U64(seen.wrong, 0);
	/* 3 iterations x 2 sandboxes x 9 calls each */
	CHECK_U64(seen.sandboxes[SANDBOX_RESTORE_REWRITE], 54);
	CHECK_U64(seen.sandboxes[SANDBOX_RESTORE_HOST_COW], 54);
	static const char *const names[] = { "s [rewrite]", "s [host-cow]" };
	for (size_t i = 0; i < 2; i++) {
		const struct scenario_result *r = &rep.scenarios[i];
		CHECK_STR(r->name, names[i]);
		CHECK_STR(r->restore_strategy, i ? "host-cow" : "rewrite");
		CHECK_U64(r->dirtied_pages, 3);
		CHECK(!r->failed);
		check_expects_passed(r, r->n_expects);
		const struct step_stats *first = row(r, "t (first after restore)");
		const struct step_stats *steady = row(r, "t (steady)");
		const struct step_stats *same = row(r, "restore b (same snapshot)");
		if (!first || !steady || !same)
			continue;
		uint64_t n_first = hist_count(&first->hist), n_same = hist_count(&same->hist);
		CHECK_U64(n_first, 2 * 2 * 4);
		CHECK_U64(steady->cow_faults, 0);
		CHECK(same->bytes_copied >= n_same * 4096);
		if (i == 0) {
			CHECK_U64(first->cow_faults, 3 * n_first);
			CHECK_U64(same->pages_retained, 0);
		} else { /* host-cow */
			CHECK_U64(first->cow_faults, 0);
			CHECK(same->pages_retained >= 3 * n_same);
		}
		for (size_t k = 0; k < r->n_steps; k++)
			if (r->steps[k].kind != SCENARIO_STEP_RESTORE)
				CHECK(r->steps[k].bytes_copied == 0 && r->steps[k].pages_retained == 0);
			else
				CHECK(r->steps[k].cow_faults == 0);
	}
out:
	run_report_free(&rep);
	scenario_set_free(&set);
}

int main(void)
{
	check_require_kvm();
	test_strategies();
	test_rows();
	test_restore_stats();
	test_no_destroy();
	test_long_label();
	test_long_path();
	test_long_echo();
	test_open_loop();
	return check_done();
}
