/* runner.c — see runner.h. The scenario: rows, base snapshot,
 * calibration, one worker thread per sandbox (runner_worker.c), each
 * recording into its own step stats, merged when all are done. */
#include "runner.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "build_info.h"
#include "guest_elf.h"
#include "runner_internal.h"
#include "sandbox.h"
#include "vmm.h"

/* ---- rows: one step_stats per row (scenario_rows()), found by index ------ */

static int add_row(struct scenario_result *r, const struct scenario_row *row, struct sb_err *err)
{
	/* A label cut short would find no statistics at run time (the parser
	 * refuses such steps; a set built by other means is refused here). */
	if (strlen(row->label) > SCENARIO_LABEL_MAX)
		return sb_errf(err, SB_E_TOO_BIG, "step label '%s' is longer than %d characters",
			       row->label, SCENARIO_LABEL_MAX);
	struct step_stats *n = realloc(r->steps, (r->n_steps + 1) * sizeof *n);
	if (!n)
		return sb_errf(err, SB_E_NOMEM, "out of memory");
	r->steps = n;
	struct step_stats *st = &r->steps[r->n_steps++];
	memset(st, 0, sizeof *st);
	scenario_row_name(st->label, sizeof st->label, row->label, row->variant);
	snprintf(st->step, sizeof st->step, "%s", row->label);
	st->kind = row->kind;
	st->variant = row->variant;
	hist_init(&st->hist);
	return 0;
}

static int collect_rows(struct scenario_result *r, const struct scenario *sc, struct sb_err *err)
{
	struct scenario_row *rows;
	size_t n;
	if (scenario_rows(sc, &rows, &n, err))
		return -1;
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = add_row(r, &rows[i], err);
	free(rows);
	/* the built-in host functions' round trips: rows the run drops again
	 * when the guest made none */
	for (unsigned i = 0; sc->cfg.host_functions && i < HOST_FN__COUNT && rc == 0; i++) {
		char label[RESULTS_LABEL_MAX];
		runner_host_row_label((enum host_fn_id)i, label, sizeof label);
		struct scenario_row row = { label, SCENARIO_STEP_HOST_CALL, SCENARIO_VARIANT_NONE };
		rc = add_row(r, &row, err);
	}
	return rc;
}

/* ---- the scenario --------------------------------------------------------- */

static int load_base(const struct scenario *sc, struct snapshot **out, struct sb_err *err)
{
	const struct scenario_config *c = &sc->cfg;
	struct layout_config lc = {
		.heap_bytes = c->heap_bytes,
		.input_bytes = c->input_bytes,
		.output_bytes = c->output_bytes,
		.scratch_bytes = c->scratch_bytes,
	};
	struct elf_image img;
	if (guest_elf_open(&img, c->guest, err))
		return -1;
	uint8_t *init = NULL;
	size_t init_bytes = 0;
	if (c->init_data[0] && runner_read_file(c->init_data, &init, &init_bytes, err)) {
		elf_image_free(&img);
		return -1;
	}
	int rc = snap_from_elf(out, &img, &lc, init, init_bytes, 0, err);
	free(init);
	elf_image_free(&img);
	return rc;
}

/* The scenario's INIT snapshot. What the parser cannot know (the guest's
 * code size against the layout's limits, a file changed since) fails
 * here, named after the scenario's section. */
static int build_base(const struct scenario *sc, struct snapshot **out, struct sb_err *err)
{
	if (load_base(sc, out, err))
		return sb_err_prefix(err, "%s:%u: [%s] ", sc->file, sc->line, sc->section);
	return 0;
}

struct echo_ctx {
	struct scenario_result *r;
	bool oom;
};

/* Repeatable options are joined with "; " at their full length: the echo
 * is the record of what ran, and a long step list must survive in it. */
static void echo_option(void *ctx, const struct scenario_option *opt, const char *const *values,
			size_t n)
{
	struct echo_ctx *x = ctx;
	struct scenario_result *r = x->r;
	size_t len = 1;
	for (size_t i = 0; i < n; i++)
		len += strlen(values[i]) + 2;
	char *value = malloc(len);
	struct option_echo *e = value ? realloc(r->options, (r->n_options + 1) * sizeof *e) : NULL;
	if (!e) {
		free(value);
		x->oom = true;
		return;
	}
	r->options = e;
	e = &r->options[r->n_options++];
	snprintf(e->name, sizeof e->name, "%s", opt->name);
	e->value = value;
	size_t used = 0;
	value[0] = '\0';
	for (size_t i = 0; i < n; i++)
		used += (size_t)snprintf(value + used, len - used, "%s%s", i ? "; " : "", values[i]);
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

static bool have_hooks(const struct runner_hooks *h)
{
	return h->between_steps || h->on_progress;
}

/* Returns 1 if a between_steps hook stopped it (the run ends), else 0. */
static int run_scenario(const struct scenario *sc, const struct runner_options *o,
			const struct calibration *cal_real, struct scenario_result *r)
{
	const struct scenario_config *c = &sc->cfg;
	struct sb_err err = { 0 };
	struct snapshot *base = NULL;
	struct worker *ws = NULL;
	_Atomic uint64_t done = 0;
	/* crashdump = DIR: a cancel (expected, not a failure) in a loop that
	 * creates a sandbox per iteration would write a core per iteration */
	_Atomic unsigned cores_left = RUNNER_CRASHDUMP_MAX_FILES;
	struct runner_live live = { 0 };
	struct runner_pool *rpool = NULL; /* option pool */
	struct exit_samples cal_before = { .n = 0 }, cal_after = { .n = 0 };
	bool hooked = have_hooks(&o->hooks);
	uint64_t t0 = vmm_now_ns();
	snprintf(r->name, sizeof r->name, "%s", sc->name);
	snprintf(r->restore_strategy, sizeof r->restore_strategy, "%s",
		 sandbox_restore_strategy_name(scenario_strategy(sc)));
	r->dirtied_pages = c->dirtied_pages;
	snprintf(r->scaling, sizeof r->scaling, "%s", scenario_scaling_name(c->scaling));
	snprintf(r->description, sizeof r->description, "%s", c->description);
	snprintf(r->file, sizeof r->file, "%s", sc->file);
	snprintf(r->file_digest, sizeof r->file_digest, "%s", sc->file_digest);
	r->warmup = c->warmup;
	r->sandboxes = c->sandboxes;
	r->heap_bytes = c->heap_bytes;
	r->scratch_bytes = c->scratch_bytes;
	r->cal = *cal_real;
	struct echo_ctx echo = { .r = r };
	if (scenario_echo_options(sc, echo_option, &echo, &err))
		goto fail;
	if (echo.oom) {
		sb_errf(&err, SB_E_NOMEM, "out of memory for the options echo");
		goto fail;
	}
	if (collect_rows(r, sc, &err) || scenario_check_files(sc, &err) ||
	    scenario_make_crashdump_dir(sc, &err) || build_base(sc, &base, &err))
		goto fail;
	runner_sample_sandbox_exit(base, sc, &cal_before);
	runner_calibration_sandbox(&r->cal, &cal_before, NULL);
	if (hooked && runner_live_init(&live, &o->hooks, sc, r, &done,
				       c->duration_ns ? 0 : c->iterations * c->sandboxes, &err))
		goto fail;

	ws = calloc(c->sandboxes, sizeof *ws);
	if (!ws) {
		sb_errf(&err, SB_E_NOMEM, "cannot allocate %llu workers", (unsigned long long)c->sandboxes);
		goto fail;
	}
	for (unsigned i = 0; i < c->sandboxes; i++) {
		struct worker *w = &ws[i];
		*w = (struct worker){ .sc = sc, .file_dir = o->file_dir, .base = base, .index = i,
				      .done = &done, .cores_left = &cores_left,
				      .next_call = SCENARIO_VARIANT_STEADY,
				      .live = hooked ? &live : NULL };
		w->stats = malloc(r->n_steps * sizeof *w->stats);
		if (!w->stats) {
			sb_errf(&err, SB_E_NOMEM, "cannot allocate step statistics");
			goto fail;
		}
		memcpy(w->stats, r->steps, r->n_steps * sizeof *w->stats);
		w->n_stats = r->n_steps;
		if (c->host_functions)
			runner_host_fns_init(w);
		if (runner_open_loop_init(w)) {
			err = w->err;
			goto fail;
		}
	}
	if (c->pool) {
		/* One configuration for the pool: the host functions of the
		 * first worker (each worker registers its own after a take). */
		struct sandbox_config pcfg = runner_sandbox_config(sc);
		pcfg.crashdump_budget = &cores_left;
		if (c->host_functions) {
			pcfg.host_fns = ws[0].host_fns;
			pcfg.n_host_fns = HOST_FN__COUNT;
		}
		if (runner_pool_start(&rpool, sc, &pcfg, base, r, &err))
			goto fail;
		for (unsigned i = 0; i < c->sandboxes; i++)
			ws[i].pool = runner_pool_get(rpool);
	}
	unsigned started = 0;
	for (; started < c->sandboxes; started++)
		if (pthread_create(&ws[started].thread, NULL, runner_worker_main, &ws[started]))
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
	if (!err.msg[0])
		runner_open_loop_merge(r, sc, ws, c->sandboxes, &err);
	if (err.msg[0])
		goto fail;
	runner_sample_sandbox_exit(base, sc, &cal_after);
	runner_calibration_sandbox(&r->cal, &cal_before, &cal_after);
	if (hooked && atomic_load(&live.stop)) {
		r->stopped = true;
		snprintf(r->error, sizeof r->error, "%s", live.where);
	}
	goto done;
fail:
	r->failed = true;
	snprintf(r->error, sizeof r->error, "%s", err.msg[0] ? err.msg : "failed");
done:
	runner_pool_finish(rpool, r); /* before ws: the pool's host functions are ws[0]'s */
	if (ws)
		for (unsigned i = 0; i < c->sandboxes; i++) {
			free(ws[i].stats);
			runner_open_loop_free(&ws[i]);
		}
	free(ws);
	snap_unref(base);
	bool stopped = hooked && atomic_load(&live.stop);
	runner_live_free(&live);
	r->wall_ns = vmm_now_ns() - t0;
	r->rss_bytes = runner_rss_bytes();
	runner_drop_unused_rows(r);
	runner_judge(sc, r);
	runner_report_errors(sc, r, o->failures);
	return stopped ? 1 : 0;
}

/* Repeated runs: the counts an expectation can name (count, full_restores,
 * errors) add up over the runs, so they are judged per run, every run
 * against the expectation ("call add.count == 500" holds for each run of
 * --repeat 5, not for their sum of 2500); latencies and per-execution
 * averages are judged on the runs together. */
static bool counted_per_run(enum scenario_metric m)
{
	return m == SCENARIO_METRIC_COUNT || m == SCENARIO_METRIC_FULL_RESTORES ||
	       m == SCENARIO_METRIC_ERRORS;
}

struct per_run {
	struct expect_result *first_failed; /* per expectation: its first failure */
	unsigned *failed_run;               /* ... in this run (0: none yet; run + 1) */
	double *sum;                        /* of the values the runs got */
};

/* One run's judgement of scenario sc (r, judged by run_scenario). */
static void per_run_note(struct per_run *p, const struct scenario *sc,
			 const struct scenario_result *r, unsigned run)
{
	for (size_t e = 0; p->sum && e < sc->n_expects && e < r->n_expects; e++) {
		if (!counted_per_run(sc->expects[e].metric))
			continue;
		p->sum[e] += r->expects[e].got;
		if (!r->expects[e].passed && !p->failed_run[e]) {
			p->first_failed[e] = r->expects[e];
			p->failed_run[e] = run + 1;
		}
	}
}

/* After the judgement on the runs together: the per-run ones instead. */
static void per_run_apply(const struct per_run *p, const struct scenario *sc,
			  struct scenario_result *r, unsigned runs)
{
	if (!p->sum || r->failed || r->stopped)
		return;
	for (size_t e = 0; e < sc->n_expects && e < r->n_expects; e++) {
		if (!counted_per_run(sc->expects[e].metric))
			continue;
		struct expect_result *x = &r->expects[e];
		if (p->failed_run[e]) {
			x->passed = false;
			x->got = p->first_failed[e].got;
			snprintf(x->why, sizeof x->why, "run %u of %u: %.200s", p->failed_run[e], runs,
				 p->first_failed[e].why);
		} else {
			x->passed = true;
			x->got = p->sum[e] / runs; /* per run, on average */
			x->why[0] = '\0';
		}
	}
}

static void per_run_free(struct per_run *p)
{
	free(p->first_failed);
	free(p->failed_run);
	free(p->sum);
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
	build_facts_fill(&out->build);
	/* the run's units, before the scenarios and again after them */
	struct run_calibration *before = malloc(sizeof *before), *after = malloc(sizeof *after);
	if (!before || !after) {
		free(before);
		free(after);
		return sb_errf(err, SB_E_NOMEM, "cannot allocate the calibration");
	}
	if (runner_calibrate(before, err)) {
		free(before);
		free(after);
		return -1;
	}
	struct calibration cal = { 0 };
	runner_calibration_run(&cal, before, NULL, runner_timer_overhead_ns());
	out->scenarios = calloc(set->n ? set->n : 1, sizeof *out->scenarios);
	if (!out->scenarios) {
		free(before);
		free(after);
		return sb_errf(err, SB_E_NOMEM, "cannot allocate results");
	}
	unsigned runs = o->repeat > 1 ? o->repeat : 1;
	bool stopped = false;
	struct per_run *pr = calloc(set->n ? set->n : 1, sizeof *pr);
	for (size_t i = 0; pr && runs > 1 && i < set->n; i++) {
		size_t n = set->items[i].n_expects ? set->items[i].n_expects : 1;
		pr[i].first_failed = calloc(n, sizeof *pr[i].first_failed);
		pr[i].failed_run = calloc(n, sizeof *pr[i].failed_run);
		pr[i].sum = calloc(n, sizeof *pr[i].sum);
		if (!pr[i].first_failed || !pr[i].failed_run || !pr[i].sum) {
			for (size_t k = 0; k <= i; k++)
				per_run_free(&pr[k]);
			free(pr);
			pr = NULL;
		}
	}
	if (!pr) {
		free(before);
		free(after);
		run_report_free(out);
		return sb_errf(err, SB_E_NOMEM, "cannot allocate results");
	}
	/* repeated: each run's failures are printed once, for all runs, below */
	struct runner_options each = *o;
	if (runs > 1)
		each.failures = NULL;
	for (unsigned run = 0; run < runs && !stopped; run++) {
		for (size_t i = 0; i < set->n && !stopped; i++) {
			if (o->progress && runs > 1)
				fprintf(stderr, "running %s (%zu of %zu, run %u of %u)\n",
					set->items[i].name, i + 1, set->n, run + 1, runs);
			else if (o->progress)
				fprintf(stderr, "running %s (%zu of %zu)\n", set->items[i].name, i + 1,
					set->n);
			if (run == 0) {
				stopped = run_scenario(&set->items[i], &each, &cal, &out->scenarios[i]);
				per_run_note(&pr[i], &set->items[i], &out->scenarios[i], run);
				out->scenarios[i].runs = 1;
				out->n_scenarios++;
				continue;
			}
			/* a later run: added into the first's result, judged again */
			struct scenario_result again = { 0 };
			stopped = run_scenario(&set->items[i], &each, &cal, &again);
			per_run_note(&pr[i], &set->items[i], &again, run);
			int rc = runner_repeat_add(&out->scenarios[i], &again, run, runs, err);
			scenario_result_free(&again);
			if (rc) {
				for (size_t k = 0; k < set->n; k++)
					per_run_free(&pr[k]);
				free(pr);
				run_report_free(out);
				free(before);
				free(after);
				return -1;
			}
		}
	}
	/* repeated: the expectations judged on every run together */
	for (size_t i = 0; runs > 1 && i < out->n_scenarios; i++) {
		runner_judge(&set->items[i], &out->scenarios[i]);
		per_run_apply(&pr[i], &set->items[i], &out->scenarios[i], runs);
		runner_report_errors(&set->items[i], &out->scenarios[i], o->failures);
	}
	for (size_t i = 0; i < set->n; i++)
		per_run_free(&pr[i]);
	free(pr);
	struct sb_err ignored;
	if (out->n_scenarios && runner_calibrate(after, &ignored) == 0)
		for (size_t i = 0; i < out->n_scenarios; i++)
			runner_calibration_run(&out->scenarios[i].cal, before, after,
					       cal.timer_overhead_ns);
	free(before);
	free(after);
	return 0;
}
