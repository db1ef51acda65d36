/* fixture.c — see fixture.h. */
#include "fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports.h"

static void *must(void *p)
{
	if (!p) {
		fprintf(stderr, "fixture: out of memory\n");
		exit(1);
	}
	return p;
}

void fixture_fill_restore(struct hist *h, unsigned scale_pct, uint64_t tail_ns)
{
	hist_init(h);
	for (uint64_t i = 0; i < 980; i++)
		hist_record(h, (20000 + (i * 7) % 5000) * scale_pct / 100);
	hist_record_n(h, tail_ns, 20);
}

static struct step_stats *add_row(struct scenario_result *s, const char *step,
				  enum scenario_step_kind kind, enum scenario_variant variant)
{
	struct step_stats *st = &s->steps[s->n_steps++];
	memset(st, 0, sizeof *st);
	scenario_row_name(st->label, sizeof st->label, step, variant);
	snprintf(st->step, sizeof st->step, "%s", step);
	st->kind = kind;
	st->variant = variant;
	hist_init(&st->hist);
	return st;
}

static struct step_stats *add_step(struct scenario_result *s, const char *label,
				   enum scenario_step_kind kind)
{
	return add_row(s, label, kind, SCENARIO_VARIANT_NONE);
}

static void add_option(struct scenario_result *s, const char *name, const char *value)
{
	struct option_echo *o = &s->options[s->n_options++];
	snprintf(o->name, sizeof o->name, "%s", name);
	o->value = must(strdup(value));
}

static void scenario0(struct scenario_result *s)
{
	snprintf(s->name, sizeof s->name, "restore-64M");
	snprintf(s->description, sizeof s->description, "restore latency with a 64 MiB heap");
	snprintf(s->file, sizeof s->file, "scenarios/restore.ini");
	snprintf(s->restore_strategy, sizeof s->restore_strategy, "rewrite");
	s->dirtied_pages = 3;
	s->options = must(calloc(4, sizeof *s->options));
	add_option(s, "heap", "64M");
	add_option(s, "iterations", "500");
	add_option(s, "step", "create; call touch_pages(3); snapshot as base; repeat 500 {; "
			      "call touch_pages(3); restore base; }");
	add_option(s, "expect", "restore base.p99 < 50us");
	s->iterations = 1000;
	s->warmup = 10;
	s->sandboxes = 2;
	s->heap_bytes = 64ull << 20;
	s->scratch_bytes = 1ull << 20;
	s->wall_ns = 2500000000ull;
	s->rss_bytes = 100ull << 20;
	s->cal = (struct calibration){ .exit_real_mode_ns = 1200, .exit_sandbox_ns = 1500,
				       .memset_gib_per_s = 12.5, .exit_sandbox_p25_ns = 1420,
				       .exit_sandbox_p75_ns = 1610, .exit_sandbox_before_ns = 1480,
				       .exit_sandbox_after_ns = 1530, .exit_sandbox_samples = 202,
				       .exit_real_mode_before_ns = 1190,
				       .exit_real_mode_after_ns = 1215, .timer_overhead_ns = 27 };
	snprintf(s->file_digest, sizeof s->file_digest, "0123456789abcdef0123456789abcdef");
	s->steps = must(calloc(5, sizeof *s->steps));
	struct step_stats *st = add_step(s, "create", SCENARIO_STEP_CREATE);
	hist_record(&st->hist, 2000000);
	hist_record(&st->hist, 2100000);
	st = add_row(s, "call touch_pages", SCENARIO_STEP_CALL, SCENARIO_VARIANT_FIRST_AFTER_RESTORE);
	for (uint64_t i = 0; i < 1000; i++)
		hist_record(&st->hist, 40000 + (i * 7919) % 3000);
	st->scratch_pages = 3000;
	st->exits = 4000;
	st->cow_faults = 3000;
	st = add_row(s, "call touch_pages", SCENARIO_STEP_CALL, SCENARIO_VARIANT_STEADY);
	for (uint64_t i = 0; i < 1002; i++)
		hist_record(&st->hist, i % 100 == 99 ? 80000 + i : 5000 + (i * 7919) % 3000);
	st->exits = 1002;
	st = add_step(s, "snapshot as base", SCENARIO_STEP_SNAPSHOT);
	hist_record(&st->hist, 300000);
	hist_record(&st->hist, 310000);
	st->snapshots = 2;
	st->pages_mapped = 32800;
	st->pages_copied = 80;
	st->pages_aliased = 32720;
	st->pt_pages = 24;
	st->zero_pages = 6;
	st->snapshot_bytes = 2 * (64ull << 20) + 24 * 4096;
	st = add_row(s, "restore base", SCENARIO_STEP_RESTORE, SCENARIO_VARIANT_SAME_SNAPSHOT);
	fixture_fill_restore(&st->hist, 100, FIXTURE_TAIL_NS);
	st->full_restores = FIXTURE_FULL_RESTORES; /* the tail */
	st->pages_reset = FIXTURE_PAGES_RESET;
	st->bytes_copied = FIXTURE_PAGES_RESET * 4096;
	/* an open loop: 2 x 250 iterations/s asked, 400 achieved (80 %) */
	struct open_loop_stats *ol = must(calloc(1, sizeof *ol));
	ol->rate_per_sandbox = FIXTURE_RATE;
	ol->rate_target_per_s = 2.0 * FIXTURE_RATE;
	ol->rate_achieved_per_s = FIXTURE_RATE_ACHIEVED;
	hist_init(&ol->iteration);
	hist_init(&ol->queueing_delay);
	hist_init(&ol->sleep_overshoot);
	hist_record_n(&ol->iteration, 3000000, 500);
	hist_record_n(&ol->iteration, 3500000, 400);
	hist_record_n(&ol->iteration, 5000000, 100);
	hist_record_n(&ol->queueing_delay, 0, 600);
	hist_record_n(&ol->queueing_delay, 500000, 300);
	hist_record_n(&ol->queueing_delay, 2000000, 100);
	hist_record_n(&ol->sleep_overshoot, 50000, 500);
	hist_record_n(&ol->sleep_overshoot, 120000, 100);
	s->open_loop = ol;
	s->expects = must(calloc(1, sizeof *s->expects));
	s->n_expects = 1;
	s->expects[0] = (struct expect_result){ .text = "restore base.p99 < 50us",
						.passed = true,
						.got = 40000 };
}

static void scenario1(struct scenario_result *s, bool failures)
{
	snprintf(s->name, sizeof s->name, "esc<&>\"name");
	snprintf(s->description, sizeof s->description, "a name with <markup> & \"quotes\"");
	snprintf(s->file, sizeof s->file, "scenarios/odd.ini");
	snprintf(s->restore_strategy, sizeof s->restore_strategy, "host-cow");
	s->dirtied_pages = SCENARIO_NONE;
	s->options = must(calloc(2, sizeof *s->options));
	add_option(s, "heap", "256M");
	add_option(s, "mode", "kernel");
	s->iterations = 100;
	s->warmup = 0;
	s->sandboxes = 1;
	s->heap_bytes = 256ull << 20;
	s->scratch_bytes = 4ull << 20;
	s->wall_ns = 123456789;
	s->rss_bytes = 300ull << 20;
	s->cal = (struct calibration){ .exit_sandbox_ns = 1400, .memset_gib_per_s = 9.75,
				       .exit_sandbox_p25_ns = 1100, .exit_sandbox_p75_ns = 2100,
				       .exit_sandbox_before_ns = 1200, .exit_sandbox_after_ns = 1900,
				       .exit_sandbox_samples = 202, .timer_overhead_ns = 27 };
	snprintf(s->cal.warning, sizeof s->cal.warning,
		 "sandbox exit spread: IQR 1.100..2.100 us is 71.4%% of its median 1.400 us "
		 "(bound 20%%) <&>");
	if (failures) {
		s->failed = true;
		snprintf(s->error, sizeof s->error, "sandbox 1: guest aborted: <oops> & \"more\"");
	}
	s->steps = must(calloc(4, sizeof *s->steps));
	struct step_stats *st = add_row(s, "call touch_pages", SCENARIO_STEP_CALL,
					SCENARIO_VARIANT_FIRST_AFTER_RESTORE);
	for (uint64_t i = 0; i < 100; i++)
		hist_record(&st->hist, 6000 + i * 13);
	st->scratch_pages = 500;
	st->exits = 200;
	st->errors = 1;
	snprintf(st->first_error, sizeof st->first_error, "%s", FIXTURE_FIRST_ERROR);
	st = add_row(s, "restore", SCENARIO_STEP_RESTORE, SCENARIO_VARIANT_OTHER_SNAPSHOT);
	for (uint64_t i = 0; i < 100; i++)
		hist_record(&st->hist, 60000 + i * i * 10);
	st->full_restores = 100; /* another snapshot: every one is full */
	st->pages_reset = 1700;
	st->bytes_copied = 1700 * 4096;
	st->pages_retained = 1200; /* 12 per restore */
	add_step(s, "destroy", SCENARIO_STEP_DESTROY); /* never ran */
	st = add_step(s, "sleep 1m", SCENARIO_STEP_SLEEP);
	hist_record(&st->hist, 200);
	hist_record(&st->hist, HIST_VALUE_MAX + 5); /* clamped: overflow 1 */
	s->expects = must(calloc(1, sizeof *s->expects));
	s->n_expects = 1;
	s->expects[0] = (struct expect_result){ .text = "restore.p99 < 200us",
						.passed = !failures,
						.got = 156410 };
	if (failures)
		snprintf(s->expects[0].why, sizeof s->expects[0].why,
			 "p99 = 156.410us, not < 200us <as written>");
}

void fixture_report(struct run_report *r, bool failures)
{
	memset(r, 0, sizeof *r);
	snprintf(r->tool_version, sizeof r->tool_version, "0.1.0-test");
	r->schema_version = RESULTS_SCHEMA_VERSION;
	snprintf(r->started, sizeof r->started, "2024-01-02T03:04:05Z");
	snprintf(r->machine.cpu, sizeof r->machine.cpu, "Test CPU @ 3.00GHz");
	snprintf(r->machine.kernel, sizeof r->machine.kernel, "6.1.0-test");
	snprintf(r->machine.hypervisor, sizeof r->machine.hypervisor, "kvm_intel");
	snprintf(r->machine.hypervisor_version, sizeof r->machine.hypervisor_version, "built-in");
	r->command_line = must(strdup("build/cli/snapbench run -o 'my results' "
				      "scenarios/restore.ini"));
	r->working_dir = must(strdup("/home/ci/snap bench"));
	r->build = (struct build_facts){ .compiler = "gcc 12.2.0", .buildtype = "debugoptimized",
					 .optimization = "2", .sanitize = "none", .c_args = "" };
	r->machine.cpus = 8;
	r->machine.mem_bytes = 16ull << 30;
	r->scenarios = must(calloc(2, sizeof *r->scenarios));
	r->n_scenarios = 2;
	scenario0(&r->scenarios[0]);
	scenario1(&r->scenarios[1], failures);
}

static void sweep_cell(struct scenario_result *s, uint64_t heap, uint64_t pages, bool host_cow)
{
	const char *strategy = host_cow ? "host-cow" : "rewrite";
	snprintf(s->name, sizeof s->name, "h%s-p%llu [%s]", heap >> 20 ? "256M" : "128K",
		 (unsigned long long)pages, strategy);
	snprintf(s->restore_strategy, sizeof s->restore_strategy, "%s", strategy);
	s->dirtied_pages = pages;
	s->heap_bytes = heap;
	s->iterations = 100;
	s->sandboxes = 1;
	s->cal = (struct calibration){ .exit_real_mode_ns = 10000, .exit_sandbox_ns = 50000,
				       .memset_gib_per_s = 10 };
	uint64_t restore = host_cow ? 10000 + pages * 250 : 20000 + pages * 1000;
	uint64_t first = host_cow ? 31000 : 30000 + pages * 150000;
	bool no_steady = host_cow && heap >> 20 && pages == 3;
	if (host_cow && heap >> 20 && pages == 0)
		first = 15000;
	s->steps = must(calloc(3, sizeof *s->steps));
	struct step_stats *st = add_row(s, "restore base", SCENARIO_STEP_RESTORE,
					SCENARIO_VARIANT_SAME_SNAPSHOT);
	hist_record_n(&st->hist, restore, 100);
	st = add_row(s, "call touch_pages", SCENARIO_STEP_CALL, SCENARIO_VARIANT_FIRST_AFTER_RESTORE);
	hist_record_n(&st->hist, first, 100);
	st->cow_faults = host_cow ? 0 : 100 * pages;
	if (!no_steady) {
		st = add_row(s, "call touch_pages", SCENARIO_STEP_CALL, SCENARIO_VARIANT_STEADY);
		hist_record_n(&st->hist, 30000, 100);
	}
}

void fixture_sweep(struct run_report *r)
{
	static const uint64_t heaps[] = { 128ull << 10, 256ull << 20 }, pages[] = { 0, 3, 64 };
	memset(r, 0, sizeof *r);
	snprintf(r->tool_version, sizeof r->tool_version, "0.1.0-test");
	r->schema_version = RESULTS_SCHEMA_VERSION;
	snprintf(r->started, sizeof r->started, "2024-01-02T03:04:05Z");
	r->scenarios = must(calloc(12, sizeof *r->scenarios));
	for (size_t h = 0; h < 2; h++)
		for (size_t p = 0; p < 3; p++)
			for (int cow = 0; cow < 2 && (h || pages[p] < 64); cow++)
				sweep_cell(&r->scenarios[r->n_scenarios++], heaps[h], pages[p], cow);
}

/* One scenario of the scaling fixture: rows of n values v_ns each,
 * given as (label, kind, variant, n, ns) until a NULL label. */
struct fx_row {
	const char *step;
	enum scenario_step_kind kind;
	enum scenario_variant variant;
	uint64_t n, ns;
};

static void scaling_cell(struct scenario_result *s, const char *name, const char *way,
			 uint64_t sandboxes, const struct fx_row *rows)
{
	snprintf(s->name, sizeof s->name, "%s", name);
	snprintf(s->restore_strategy, sizeof s->restore_strategy, "host-cow");
	snprintf(s->scaling, sizeof s->scaling, "%s", way);
	s->dirtied_pages = SCENARIO_NONE;
	s->heap_bytes = 128ull << 10;
	s->scratch_bytes = 288ull << 10;
	s->sandboxes = sandboxes;
	s->iterations = 10 * sandboxes;
	s->runs = 1;
	s->wall_ns = 2000000000ull;
	s->cal = (struct calibration){ .exit_real_mode_ns = 9000, .exit_sandbox_ns = 25000,
				       .memset_gib_per_s = 10 };
	s->options = must(calloc(3, sizeof *s->options));
	add_option(s, "mode", "user");
	add_option(s, "scaling", way[0] ? way : "none");
	size_t n = 0;
	while (rows[n].step)
		n++;
	s->steps = must(calloc(n + 1, sizeof *s->steps));
	for (size_t i = 0; i < n; i++) {
		struct step_stats *st = add_row(s, rows[i].step, rows[i].kind, rows[i].variant);
		hist_record_n(&st->hist, rows[i].ns, rows[i].n);
	}
}

#define FX_CALL(v, n, ns) { "call bump_pages", SCENARIO_STEP_CALL, SCENARIO_VARIANT_##v, n, ns }
#define FX_STEP(label, kind, n, ns) { label, SCENARIO_STEP_##kind, SCENARIO_VARIANT_NONE, n, ns }

void fixture_scaling(struct run_report *r)
{
	memset(r, 0, sizeof *r);
	snprintf(r->tool_version, sizeof r->tool_version, "0.1.0-test");
	r->schema_version = RESULTS_SCHEMA_VERSION;
	snprintf(r->started, sizeof r->started, "2024-01-02T03:04:05Z");
	snprintf(r->machine.cpu, sizeof r->machine.cpu, "Test CPU @ 3.00GHz");
	r->machine.cpus = 2;
	r->machine.mem_bytes = 4ull << 30;
	r->scenarios = must(calloc(16, sizeof *r->scenarios));
	struct scenario_result *s = r->scenarios;
	static const uint64_t reuse_n[] = { 1, 2, 4 };
	for (size_t i = 0; i < 3; i++) {
		char name[32];
		snprintf(name, sizeof name, "reuse-%llu", (unsigned long long)reuse_n[i]);
		const struct fx_row rows[] = {
			FX_STEP("create", CREATE, 1, 2000000),
			FX_CALL(FIRST_AFTER_CREATE, 1, 90000),
			FX_CALL(STEADY, 1000, reuse_n[i] > 2 ? 100000 : 25000),
			FX_STEP("destroy", DESTROY, 1, 1000000),
			{ 0 },
		};
		scaling_cell(s++, name, "reuse", reuse_n[i], rows);
	}
	for (uint64_t k = 1; k <= 2; k++) {
		char name[32];
		snprintf(name, sizeof name, "restore-per-call-%llu", (unsigned long long)k);
		const struct fx_row rows[] = {
			FX_STEP("create", CREATE, 1, 2000000),
			{ "restore s", SCENARIO_STEP_RESTORE, SCENARIO_VARIANT_SAME_SNAPSHOT, 1000, 5000 },
			FX_CALL(FIRST_AFTER_RESTORE, 1000, 25000),
			{ 0 },
		};
		scaling_cell(s, name, "restore-per-call", k, rows);
		if (k == 2)
			s->cal.exit_sandbox_ns = 20000; /* the yardstick */
		s++;
	}
	static const uint64_t create_n[] = { 1, 4 };
	for (size_t i = 0; i < 2; i++) {
		char name[32];
		snprintf(name, sizeof name, "create-per-call-%llu", (unsigned long long)create_n[i]);
		const struct fx_row rows[] = {
			FX_STEP("load s", LOAD, 5, 50000),
			FX_STEP("create", CREATE, 100, 1000000),
			FX_CALL(FIRST_AFTER_CREATE, 100, 200000),
			FX_STEP("destroy", DESTROY, 100, 500000),
			{ 0 },
		};
		scaling_cell(s++, name, "create-per-call", create_n[i], rows);
	}
	const struct fx_row pooled[] = {
		FX_STEP("create", CREATE, 100, 40000),
		FX_CALL(FIRST_AFTER_CREATE, 100, 30000),
		FX_STEP("destroy", DESTROY, 100, 10000),
		{ 0 },
	};
	scaling_cell(s, "create-pooled-2", "create-per-call", 2, pooled);
	add_option(s++, "pool", "4");
	scaling_cell(s, "create-per-call-8", "create-per-call", 8, pooled);
	s->failed = true;
	snprintf(s->error, sizeof s->error, "sandbox 3: out of memory");
	s++;
	const struct fx_row again[] = { FX_CALL(STEADY, 10, 50000), { 0 } };
	scaling_cell(s++, "reuse-1-again", "reuse", 1, again);
	scaling_cell(s++, "not-scaling", "", 1, again);
	const struct fx_row rewrite[] = {
		{ "restore s", SCENARIO_STEP_RESTORE, SCENARIO_VARIANT_SAME_SNAPSHOT, 100, 100000 },
		FX_CALL(FIRST_AFTER_RESTORE, 100, 30000),
		{ 0 },
	};
	scaling_cell(s, "restore-rewrite-1", "restore-per-call", 1, rewrite);
	snprintf(s->restore_strategy, sizeof s->restore_strategy, "rewrite");
	s++;
	r->n_scenarios = (size_t)(s - r->scenarios);
}

void fixture_remove_step(struct scenario_result *s, const char *label)
{
	for (size_t i = 0; i < s->n_steps; i++) {
		if (strcmp(s->steps[i].label, label) != 0)
			continue;
		memmove(&s->steps[i], &s->steps[i + 1], (s->n_steps - i - 1) * sizeof *s->steps);
		s->n_steps--;
		return;
	}
}

char *fixture_json(const struct run_report *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	struct sb_err err = { 0 };
	int rc = report_write_json(r, f, &err);
	fclose(f);
	if (rc) {
		fprintf(stderr, "report_write_json: %s\n", err.msg);
		free(buf);
		return NULL;
	}
	return buf;
}
