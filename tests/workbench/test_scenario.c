/* test_scenario.c — scenario files: options, steps, literals, call labels,
 * the rows a step list yields, expectations on them, errors
 * (file:line:[section] option), help and echo.
 *
 * argv[1]: the folder of test scenario files (tests/workbench/scenarios). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "layout.h"
#include "scenario.h"
#include "scenario_parse.h"

#define KiB (1ull << 10)
#define MiB (1ull << 20)
#define GiB (1ull << 30)

static const char *dir;

/* ---- errors ------------------------------------------------------------------ */

static void test_errors(void)
{
	static const struct parse_error_case cases[] = {
		/* file structure */
		{ "", "t.ini:1: no scenario sections" },
		{ "[global]\nheap = 1M\n", "t.ini:2: no scenario sections" },
		{ "heap = 1M\n[s]\n", "t.ini:1: 'heap = 1M' comes before any section" },
		{ "[s\nstep = create\n", "t.ini:1: section header '[s' has no closing ']'" },
		{ "[s] x\nstep = create\n", "t.ini:1: unexpected 'x' after section header" },
		{ "[a b]\n", "t.ini:1: section name 'a b' may hold only letters" },
		{ "[]\n", "t.ini:1: empty section name" },
		{ "[a123456789a123456789a123456789a123456789a123456789]\n",
		  "t.ini:1: section name 'a12345" },
		{ S "step create\n", "t.ini:3: [s] 'step create' is not 'name = value'" },
		{ S "heapp = 1M\n", "t.ini:3: [s] unknown option 'heapp'" },
		{ S "[s]\nstep = create\n", "t.ini:3: [s] duplicate scenario name (first at line 1)" },
		{ "[s]\nheap = 1M\nheap = 2M\n", "t.ini:3: [s] heap: set twice in this section (first at line 2)" },
		{ "[global]\nstep = create\n", "t.ini:2: [global] step: not allowed in [global]" },
		{ "[global]\nexpect = create.p99 < 1s\n", "t.ini:2: [global] expect: not allowed" },
		{ "[s]\ndescription = x\n", "t.ini:1: [s] the step list is empty" },
		{ S "description = "
		    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
		    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n",
		  "t.ini:3: [s] line is 212 characters long, at most 197" },
		/* option values: every type, range messages say the range */
		{ S "heap = 64Q\n", "t.ini:3: [s] heap: size '64Q' has an unknown unit 'Q'" },
		{ S "heap = 2K\n", "t.ini:3: [s] heap: '2K' is out of range (4K..16777204K, multiple of 4K)" },
		{ S "heap = 5000\n", "t.ini:3: [s] heap: '5000' is not a multiple of 4K" },
		{ S "input = 20\n", "t.ini:3: [s] input: '20' is not a multiple of 8" },
		{ S "scratch = 32G\n", "t.ini:3: [s] scratch: '32G' is out of range (16K..16G" },
		{ S "deadline = 5q\n", "t.ini:3: [s] deadline: time '5q' has an unknown unit 'q'" },
		{ S "deadline = 5\n", "t.ini:3: [s] deadline: time '5' has no unit" },
		{ S "deadline = 61m\n", "t.ini:3: [s] deadline: '61m' is out of range (0..60m)" },
		{ S "duration = 1.0000000001s\n", "duration: time '1.0000000001s' has more than 9 decimals" },
		{ S "duration = 0.5ns\n", "duration: time '0.5ns' is not a whole number of nanoseconds" },
		{ S "iterations = 1e3\n", "t.ini:3: [s] iterations: count '1e3' is not a whole number" },
		{ S "iterations = 0\n", "t.ini:3: [s] iterations: '0' is out of range (1..1000000000000)" },
		{ S "sandboxes = 65\n", "t.ini:3: [s] sandboxes: '65' is out of range (1..64)" },
		{ S "rate = -1\n", "t.ini:3: [s] rate: count '-1' is not a whole number" },
		{ S "mode = ring0\n", "t.ini:3: [s] mode: 'ring0' is not one of user|kernel" },
		{ "[global]\nheap = 1Q\n", "t.ini:2: [global] heap: size '1Q'" },
		{ S "iterations = 5\nduration = 1s\n",
		  "t.ini:4: [s] duration: iterations and duration exclude each other (iterations is set "
		  "at line 3)" },
		{ S "iterations = 5\nwarmup = 5\n",
		  "t.ini:4: [s] warmup: warmup (5) must be less than iterations (5)" },
		{ "[global]\nwarmup = 3\n[s]\nstep = create\n",
		  "t.ini:2: [s] warmup: warmup (3) must be less than iterations (1)" },
		/* steps */
		{ S "step = }\n", "t.ini:3: [s] step '}': '}' without a repeat" },
		{ S "step = jump\n", "t.ini:3: [s] step 'jump': unknown step" },
		{ "[s]\nstep = call f()\n", "t.ini:2: [s] step 'call f()': comes before any create" },
		{ "[s]\nstep = sleep 1ms\n", "t.ini:2: [s] step 'sleep 1ms': comes before any create" },
		{ S "step = create\n", "t.ini:3: [s] step 'create': a sandbox already exists" },
		{ S "step = destroy\nstep = call f()\n", "t.ini:4: [s] step 'call f()': no sandbox here" },
		{ S "step = restore\n", "t.ini:3: [s] step 'restore': no snapshot (or load) before" },
		{ S "step = snapshot as other\nstep = restore base\n",
		  "t.ini:4: [s] step 'restore base': no snapshot named 'base' before this step" },
		{ S "step = save x.snap from base\n",
		  "t.ini:3: [s] step 'save x.snap from base': no snapshot named 'base'" },
		{ S "step = save x.snap\n", "t.ini:3: [s] step 'save x.snap': no snapshot (or load)" },
		{ S "step = repeat 2 {\nstep = restore b\nstep = snapshot as b\nstep = }\n",
		  "t.ini:4: [s] step 'restore b': no snapshot named 'b'" },
		{ S "step = snapshot as a/b\n", "t.ini:3: [s] step 'snapshot as a/b': snapshot name must" },
		{ S "step = create x\n", "t.ini:3: [s] step 'create x': unexpected 'x'" },
		{ S "step = load\n", "t.ini:3: [s] step 'load': missing file name" },
		{ S "step = sleep 10\n", "t.ini:3: [s] step 'sleep 10': time '10' has no unit" },
		{ S "step = repeat 0 {\n", "t.ini:3: [s] step 'repeat 0 {': repeat count must be at least 1" },
		{ S "step = repeat 3\n", "t.ini:3: [s] step 'repeat 3': expected '{'" },
		{ S "step = repeat x {\n", "t.ini:3: [s] step 'repeat x {': expected 'repeat N {'" },
		{ S "step = repeat 3 {\nstep = }\n", "t.ini:4: [s] step '}': the repeat at line 3 has an empty body" },
		{ S "step = repeat 3 {\nstep = call f()\n", "t.ini:3: [s] step 'repeat 3 {': no closing '}'" },
		{ S "step = repeat 2 {\nstep = destroy\nstep = }\n",
		  "t.ini:5: [s] step '}': the body of the repeat at line 3 destroys the sandbox" },
		{ S "step = repeat 2 {\nstep = destroy\nstep = create\nstep = }\nstep = repeat 2 {\n"
		    "step = repeat 2 {\nstep = repeat 2 {\nstep = repeat 2 {\nstep = repeat 2 {\n"
		    "step = repeat 2 {\nstep = repeat 2 {\nstep = repeat 2 {\nstep = repeat 2 {\n",
		  "t.ini:15: [s] step 'repeat 2 {': repeats nest deeper than 8" },
		/* calls */
		{ S "step = call (1)\n", "t.ini:3: [s] step 'call (1)': call needs a function name" },
		{ S "step = call f\n", "step 'call f': expected '(' after 'f'" },
		{ S "step = call f(1 2)\n", "step 'call f(1 2)': expected ',' or ')' after argument 1" },
		{ S "step = call f(1,)\n", "step 'call f(1,)': argument 2 is missing" },
		{ S "step = call f(1\n", "step 'call f(1': expected ',' or ')' after argument 1" },
		{ S "step = call f(1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17)\n", "more than 16 arguments" },
		{ S "step = call f(foo)\n", "argument 1: 'foo' is not a literal" },
		{ S "step = call f(3000000000i32)\n", "argument 1: '3000000000i32' is out of range for i32" },
		{ S "step = call f(-1u32)\n", "argument 1: '-1u32' is out of range for u32" },
		{ S "step = call f(-1u)\n", "argument 1: '-1u' is out of range for u64" },
		{ S "step = call f(9223372036854775808)\n", "out of range for i64" },
		{ S "step = call f(18446744073709551616u64)\n", "does not fit 64 bits" },
		{ S "step = call f(5q)\n", "argument 1: '5q' has an unknown suffix 'q'" },
		{ S "step = call f(1.5.5)\n", "argument 1: '1.5.5' is not a literal" },
		{ S "step = call f(1e39f32)\n", "argument 1: '1e39f32' is out of range for f32" },
		{ S "step = call f(1e400)\n", "argument 1: '1e400' is out of range for f64" },
		{ S "step = call f(\"abc)\n", "string has no closing '\"'" },
		{ S "step = call f(\"a\\qb\")\n", "unknown escape '\\q'" },
		{ S "step = call f(x\"0\")\n", "argument 1: hex bytes need an even number of digits" },
		{ S "step = call f(x\"zz\")\n", "argument 1: 'zz' is not a hex byte" },
		{ S "step = call f(bytes(4Q))\n", "argument 1: size '4Q' has an unknown unit 'Q'" },
		{ S "step = call f(bytes(2G))\n", "argument 1: bytes(2G) is over 1G" },
		/* call labels: `as LABEL` */
		{ S "step = call f() as\n", "t.ini:3: [s] step 'call f() as': 'as' needs a label after it" },
		{ S "step = call f() as a/b\n",
		  "t.ini:3: [s] step 'call f() as a/b': a call's label must be letters, digits" },
		{ S "step = call f() as a b\n", "t.ini:3: [s] step 'call f() as a b': unexpected 'b'" },
		{ S "step = call f() to x\n", "t.ini:3: [s] step 'call f() to x': unexpected 'to x'" },
		{ S "step = call f(1) as create\n",
		  "t.ini:3: [s] step 'call f(1) as create': 'create' is a step kind; label the call "
		  "with another name" },
		{ S "step = call f() as restore\n", "'restore' is a step kind" },
		{ S "step = call f() as x234567890123456789012345678901234567890123456789012345678901234\n",
		  "its label 'x234567890123456789012345678901234567890123456789012345678901234' is 64 "
		  "characters long, at most 63" },
		{ S "step = call f(bytes(16K))\n",
		  "t.ini:3: [s] step 'call f': the call needs 16410 bytes of input buffer but input is 16K" },
		/* expectations */
		{ S "expect = create.p98 < 5us\n", "t.ini:3: [s] expect: 'create.p98' is not STEP.METRIC" },
		{ S "expect = create.p99 = 5us\n", "t.ini:3: [s] expect: unknown comparison '='" },
		{ S "expect = create.p99 5us\n", "t.ini:3: [s] expect: 'create.p99 5us' has no comparison" },
		{ S "expect = create.p99 < 50\n", "t.ini:3: [s] expect: p99: time '50' has no unit" },
		{ S "expect = create.count > 5us\n", "t.ini:3: [s] expect: count: '5us' is not a whole number" },
		{ S "expect = .p99 < 5us\n", "t.ini:3: [s] expect: '.p99' is not STEP.METRIC" },
		{ S "step = snapshot\nexpect = restre.p99 < 5us\n",
		  "t.ini:4: [s] expect: no step labelled 'restre'" },
		{ S "expect = create.exits < 5\n",
		  "t.ini:3: [s] expect: exits are counted for call steps only, not 'create'" },
		/* scratch_pages is measured around calls: elsewhere it would be a
		 * constant 0 and always pass */
		{ S "step = snapshot\nstep = restore\nexpect = restore.scratch_pages == 0\n",
		  "t.ini:5: [s] expect: scratch_pages are counted for call steps only, not 'restore'" },
		{ S "step = snapshot as b\nexpect = snapshot b.scratch_pages < 1\n",
		  "t.ini:4: [s] expect: scratch_pages are counted for call steps only, not 'snapshot b'" },
		/* full_restores and pages_reset are counted around restores only */
		{ S "step = call f()\nexpect = call f.full_restores == 0\n",
		  "t.ini:4: [s] expect: full_restores are counted for restore steps only, not 'call f'" },
		{ S "step = call f()\nexpect = call (first after create).pages_reset < 3\n",
		  "t.ini:4: [s] expect: pages_reset are counted for restore steps only, not 'call'" },
		{ S "expect = create.full_restores == 0\n",
		  "t.ini:3: [s] expect: full_restores are counted for restore steps only, not 'create'" },
		{ S "step = snapshot\nstep = restore\nexpect = restore.full_restores == 0.5\n",
		  "t.ini:5: [s] expect: full_restores: '0.5' is not a whole number (no unit)" },
		{ S "expect = create.full_restore == 0\n",
		  "'create.full_restore' is not STEP.METRIC (METRIC one of count min max mean p50 p90 "
		  "p99 p99.9 p99.99 scratch_pages exits cow_faults full_restores pages_reset "
		  "bytes_copied pages_retained errors)" },
		/* rows: STEP (VARIANT) */
		{ S "step = snapshot as b\nstep = restore b\nexpect = restore b (steady).p50 < 1ms\n",
		  "t.ini:5: [s] expect: 'restore b (steady)': restore steps have no 'steady' row "
		  "(restores: same snapshot, other snapshot)" },
		{ S "step = call f()\nexpect = call f (same snapshot).count == 1\n",
		  "t.ini:4: [s] expect: 'call f (same snapshot)': call steps have no 'same snapshot' row "
		  "(calls: first after create, first after restore, steady)" },
		{ S "expect = create (steady).count == 1\n",
		  "t.ini:3: [s] expect: 'create (steady)': create steps have no 'steady' row (one row: "
		  "name it without a suffix)" },
		{ S "step = call f()\nexpect = call f (first after restore).count == 1\n",
		  "t.ini:4: [s] expect: 'call f (first after restore)': no call labelled 'call f' runs "
		  "first after a restore in this step list" },
		{ S "step = call f()\nexpect = call f (steady).count == 1\n",
		  "no call labelled 'call f' runs as a steady call (after another call)" },
		{ S "step = call f()\nexpect = call (first after restore).count == 1\n",
		  "t.ini:4: [s] expect: 'call (first after restore)': no call runs first after a restore" },
		{ S "step = call f()\nexpect = call f (sideways).count == 1\n",
		  "t.ini:4: [s] expect: no step labelled 'call f (sideways)' and no step of that kind" },
		{ S "step = call f()\nexpect = call g (steady).count == 1\n",
		  "t.ini:4: [s] expect: no step labelled 'call g' and no step of that kind" },
		{ S "step = call f() as x\nexpect = call f.count == 1\n",
		  "t.ini:4: [s] expect: no step labelled 'call f' and no step of that kind" },
		/* labels that would not fit a report's step statistics */
		{ S "step = snapshot\nstep = save /tmp/"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/s.snap\n",
		  "t.ini:4: [s] step 'save /tmp/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		  "/s.snap': its label 'save /tmp/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		  "/s.snap' is 82 characters long, at most 63 (use a shorter file name)" },
		{ S "step = load xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.snap\n",
		  "is 78 characters long, at most 63 (name it with 'as NAME')" },
		{ S "step = call f234567890123456789012345678901234567890123456789012345678a()\n",
		  "t.ini:3: [s] step 'call f234567890123456789012345678901234567890123456789012345678a()': "
		  "its label 'call f234567890123456789012345678901234567890123456789012345678a' is 64 "
		  "characters long, at most 63" },
		/* sizes: the option ranges are the layout's limits; the sizes
		 * together pass the layout's check */
		{ S "heap = 16G\n", "t.ini:3: [s] heap: '16G' is out of range (4K..16777204K, multiple of 4K)" },
		{ S "heap = 16777208K\n", "t.ini:3: [s] heap: '16777208K' is out of range" },
		{ S "input = 1M\n", "t.ini:3: [s] scratch size 294912 bytes is below the minimum" },
		{ "[s]\nstep = create\nscratch = 16K\ninput = 16\noutput = 16\ndescription = x\n",
		  "t.ini:5: [s] scratch size 16384 bytes is below the minimum" },
		{ "[global]\nscratch = 16K\n[s]\nstep = create\n",
		  "t.ini:2: [s] scratch size 16384 bytes is below the minimum" },
		/* a scratch too small for the heap's page tables: refused when
		 * parsed, not when the snapshot is built, with the size to use
		 * (the minimum `snapbench layout --heap 128M` prints) */
		{ S "heap = 128M\n",
		  "t.ini:3: [s] scratch = 288K is too small for heap = 128M (its page tables take "
		  "284 KiB of scratch): use scratch = 448K or more ('snapbench layout --heap 128M'" },
		{ S "heap = 128M\nscratch = 432K\n", "t.ini:4: [s] scratch = 432K is too small" },
	};
	check_parse_errors(cases, sizeof cases / sizeof cases[0]);
}

static void test_error_files(void)
{
	static const struct {
		const char *file;
		const char *want;
	} cases[] = {
		{ "bad_unit.ini", "bad_unit.ini:5: [restore-64M] heap: size '64Q' has an unknown unit 'Q'" },
		{ "bad_restore.ini",
		  "bad_restore.ini:7: [s] step 'restore base': no snapshot named 'base' before this step" },
		{ "bad_brace.ini", "bad_brace.ini:3: [s] step 'repeat 3 {': no closing '}'" },
		{ "bad_empty.ini", "bad_empty.ini:3: [nothing-to-do] the step list is empty" },
		{ "missing.ini", "missing.ini: cannot open: No such file or directory" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", dir, cases[i].file);
		struct scenario_set set = { 0 };
		struct sb_err err = { 0 };
		CHECK_I64(scenario_set_parse_file(&set, path, &err), -1);
		CHECK_CONTAINS(err.msg, cases[i].want);
		CHECK_U64(set.n, 0);
		scenario_set_free(&set);
	}
}

/* ---- the good file --------------------------------------------------------------- */

static void test_good_file(void)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/good.ini", dir);
	struct scenario_set set = { 0 };
	struct sb_err err = { 0 };
	if (!CHECK_I64(scenario_set_parse_file(&set, path, &err), 0)) {
		fprintf(stderr, "  %s\n", err.msg);
		return;
	}
	if (!CHECK_U64(set.n, 2))
		goto out;
	const struct scenario *a = &set.items[0], *b = &set.items[1];
	CHECK_STR(a->name, "restore-64M");
	CHECK_U64(a->line, 8);
	CHECK_STR(a->cfg.description, "restore latency with a 64 MiB heap");
	CHECK_U64(a->cfg.heap_bytes, 64 * MiB);        /* [global] */
	CHECK_U64(a->cfg.iterations, 1000);            /* [global] */
	CHECK_U64(a->cfg.mode, SCENARIO_MODE_KERNEL);  /* [global] */
	CHECK_U64(a->cfg.scratch_bytes, 320 * KiB);    /* its heap needs more than the default */
	CHECK_U64(a->cfg.duration_ns, 0);
	CHECK_U64(a->cfg.deadline_ns, 1000000000);
	size_t hi = (size_t)(scenario_option_find("heap") - scenario_options(&(size_t){ 0 }));
	CHECK_U64(a->set_line[hi], 4);
	CHECK(!a->set_in_section[hi]);

	/* the tree: create, call, snapshot, repeat 1000 { call, repeat 2 { restore } } */
	if (CHECK_U64(a->n_steps, 4)) {
		static const char *const labels[] = { "create", "call touch_pages", "snapshot base",
						      "repeat 1000" };
		for (size_t i = 0; i < 4; i++)
			CHECK_STR(a->steps[i].label, labels[i]);
		CHECK_U64(a->steps[1].as.call.nargs, 1);
		CHECK_U64(a->steps[1].as.call.args[0].type, SB_T_I64);
		CHECK_I64(a->steps[1].as.call.args[0].as.i64, 3);
		const struct scenario_step *r = &a->steps[3];
		CHECK_U64(r->kind, SCENARIO_STEP_REPEAT);
		CHECK_U64(r->line, 13);
		CHECK_U64(r->as.repeat.count, 1000);
		if (CHECK_U64(r->as.repeat.n, 2)) {
			CHECK_STR(r->as.repeat.steps[0].label, "call touch_pages");
			const struct scenario_step *r2 = &r->as.repeat.steps[1];
			CHECK_U64(r2->kind, SCENARIO_STEP_REPEAT);
			CHECK_U64(r2->as.repeat.count, 2);
			if (CHECK_U64(r2->as.repeat.n, 1)) {
				CHECK_STR(r2->as.repeat.steps[0].label, "restore base");
				CHECK_STR(r2->as.repeat.steps[0].as.snap.name, "base");
				CHECK_U64(r2->as.repeat.steps[0].line, 16);
			}
		}
	}
	CHECK_U64(a->n_step_lines, 9);
	if (CHECK_U64(a->n_expects, 2)) {
		const struct scenario_expect *e = &a->expects[0];
		CHECK_STR(e->step, "restore base");
		CHECK(!e->step_is_kind);
		CHECK_U64(e->metric, SCENARIO_METRIC_P99);
		CHECK_U64(e->op, SCENARIO_CMP_LT);
		CHECK_U64(e->value, 50000);
		CHECK_U64(e->line, 19);
		CHECK_STR(e->text, "restore base.p99 < 50us");
		e = &a->expects[1];
		CHECK_STR(e->step, "call");
		CHECK(e->step_is_kind);
		CHECK_U64(e->metric, SCENARIO_METRIC_COUNT);
		CHECK_U64(e->op, SCENARIO_CMP_GE);
		CHECK_U64(e->value, 2000);
	}

	/* every option type set in the scenario, overriding [global] */
	CHECK_STR(b->name, "sizes");
	CHECK_U64(b->cfg.heap_bytes, 1 * GiB);
	CHECK_U64(b->cfg.scratch_bytes, 4 * MiB);
	CHECK_U64(b->cfg.input_bytes, 64 * KiB);
	CHECK_U64(b->cfg.output_bytes, 4096);
	CHECK_STR(b->cfg.init_data, "data/blob.bin");
	CHECK_STR(b->cfg.guest, "guests/other.elf");
	CHECK_U64(b->cfg.duration_ns, 1500000000);
	CHECK_U64(b->cfg.iterations, 1); /* duration cleared the inherited 1000 */
	CHECK_U64(b->cfg.warmup, 10);
	CHECK_U64(b->cfg.sandboxes, 8);
	CHECK_U64(b->cfg.rate, 20000);
	CHECK_U64(b->cfg.deadline_ns, 250000000);
	CHECK_U64(b->cfg.mode, SCENARIO_MODE_USER);
	CHECK_STR(b->cfg.description, "");
	CHECK(b->set_in_section[hi]);
	CHECK_U64(b->n_expects, 0);
	if (CHECK_U64(b->n_steps, 6)) {
		static const char *const labels[] = { "load base", "create", "restore base",
						      "sleep 1ms", "save out.snap", "destroy" };
		for (size_t i = 0; i < 6; i++)
			CHECK_STR(b->steps[i].label, labels[i]);
		CHECK_STR(b->steps[0].as.file.path, "base.snap");
		CHECK_STR(b->steps[0].as.file.name, "base");
		CHECK_U64(b->steps[3].as.sleep_ns, 1000000);
		CHECK_STR(b->steps[4].as.file.path, "out.snap");
		CHECK_STR(b->steps[4].as.file.name, "base");
	}
	CHECK(scenario_set_find(&set, "sizes") == b);
	CHECK(scenario_set_find(&set, "nope") == NULL);
out:
	scenario_set_free(&set);
}

/* ---- the files a scenario names (checked before a run) ------------------------------ */

static void test_check_files(void)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/good.ini", dir);
	struct scenario_set set = { 0 };
	struct sb_err err = { 0 };
	if (!CHECK_I64(scenario_set_parse_file(&set, path, &err), 0))
		return;
	CHECK_I64(scenario_check_files(&set.items[0], &err), 0); /* the embedded guest */
	CHECK_I64(scenario_check_files(&set.items[1], &err), -1);
	char want[4200];
	snprintf(want, sizeof want, "%s:28: [sizes] guest: 'guests/other.elf': No such file or directory",
		 path);
	CHECK_STR(err.msg, want);
	scenario_set_free(&set);

	/* an existing guest passes; a directory is not a file; the line is
	 * the one that set the value, in [global] too */
	char text[8400];
	snprintf(text, sizeof text, "[global]\ninit_data = %s\n[s]\nguest = %s\nstep = create\n",
		 dir, path);
	if (parse_good(&set, text)) {
		CHECK_I64(scenario_check_files(&set.items[0], &err), -1);
		snprintf(want, sizeof want, "t.ini:2: [s] init_data: '%s': not a regular file", dir);
		CHECK_STR(err.msg, want);
		free(set.items[0].cfg.init_data);
		set.items[0].cfg.init_data = strdup("");
		CHECK_I64(scenario_check_files(&set.items[0], &err), 0);
	}
	scenario_set_free(&set);
}

/* ---- defaults, [global] ------------------------------------------------------------- */

static void test_defaults_and_global(void)
{
	struct scenario_set set = { 0 };
	if (parse_good(&set, "[s]\nstep = create\n")) {
		const struct scenario_config *c = &set.items[0].cfg;
		struct layout_config lc = layout_config_default();
		CHECK_U64(c->heap_bytes, lc.heap_bytes);
		CHECK_U64(c->scratch_bytes, lc.scratch_bytes);
		CHECK_U64(c->input_bytes, lc.input_bytes);
		CHECK_U64(c->output_bytes, lc.output_bytes);
		CHECK_STR(c->description, "");
		CHECK_STR(c->guest, "");
		CHECK_STR(c->init_data, "");
		CHECK_U64(c->iterations, 1);
		CHECK_U64(c->duration_ns, 0);
		CHECK_U64(c->warmup, 0);
		CHECK_U64(c->sandboxes, 1);
		CHECK_U64(c->rate, 0);
		CHECK_U64(c->deadline_ns, 1000000000);
		CHECK_U64(c->mode, SCENARIO_MODE_USER);
		for (size_t i = 0; i < SCENARIO_MAX_OPTIONS; i++)
			CHECK_U64(set.items[0].set_line[i], 0);
	}
	scenario_set_free(&set);

	/* [global] applies to the scenarios after it; a later [global] adds */
	if (parse_good(&set, "[global]\nheap = 1M\ndescription = shared\n"
			     "[a]\nstep = create\n"
			     "[global]\nheap = 2M\niterations = 50\n"
			     "[b]\nstep = create\n"
			     "[c]\nheap = 8K\nduration = 2s\nstep = create\n"
			     "[global]\nduration = 1m\n"
			     "[d]\niterations = 7\nstep = create\n")) {
		if (CHECK_U64(set.n, 4)) {
			CHECK_U64(set.items[0].cfg.heap_bytes, 1 * MiB);
			CHECK_U64(set.items[0].cfg.iterations, 1);
			CHECK_STR(set.items[0].cfg.description, "shared");
			CHECK_U64(set.items[1].cfg.heap_bytes, 2 * MiB);
			CHECK_U64(set.items[1].cfg.iterations, 50);
			CHECK_STR(set.items[1].cfg.description, "shared");
			CHECK_U64(set.items[2].cfg.heap_bytes, 8 * KiB);
			CHECK_U64(set.items[2].cfg.duration_ns, 2000000000);
			CHECK_U64(set.items[2].cfg.iterations, 1); /* cleared by duration */
			CHECK_U64(set.items[3].cfg.iterations, 7);
			CHECK_U64(set.items[3].cfg.duration_ns, 0); /* cleared by iterations */
			CHECK_U64(set.items[3].cfg.heap_bytes, 2 * MiB);
		}
	}
	scenario_set_free(&set);

	/* a scratch at the minimum for its heap: accepted */
	if (parse_good(&set, "[s]\nstep = create\nheap = 128M\nscratch = 448K\n"))
		CHECK_U64(set.items[0].cfg.scratch_bytes, 448 * KiB);
	scenario_set_free(&set);

	/* indentation is ignored; ':' separates too; CRLF line ends */
	if (parse_good(&set, "  [s]\r\n\tstep = create\r\n   heap: 1M\r\n")) {
		CHECK_U64(set.items[0].cfg.heap_bytes, 1 * MiB);
		CHECK_U64(set.items[0].n_steps, 1);
	}
	scenario_set_free(&set);
}

/* ---- call literals -> sb_value -------------------------------------------------------- */

static void test_literals(void)
{
	static const struct {
		const char *lit;
		enum sb_type type;
		int64_t i;     /* integers, bool */
		double f;      /* floats */
		const char *buf; /* strings, bytes (len bytes) */
		uint32_t len;
	} cases[] = {
		{ "0", SB_T_I64, 0, 0, NULL, 0 },
		{ "-5", SB_T_I64, -5, 0, NULL, 0 },
		{ "+7", SB_T_I64, 7, 0, NULL, 0 },
		{ "0x1f", SB_T_I64, 31, 0, NULL, 0 },
		{ "9223372036854775807", SB_T_I64, INT64_MAX, 0, NULL, 0 },
		{ "-9223372036854775808", SB_T_I64, INT64_MIN, 0, NULL, 0 },
		{ "7i64", SB_T_I64, 7, 0, NULL, 0 },
		{ "5i32", SB_T_I32, 5, 0, NULL, 0 },
		{ "-2147483648i32", SB_T_I32, INT32_MIN, 0, NULL, 0 },
		{ "0xffu32", SB_T_U32, 255, 0, NULL, 0 },
		{ "4294967295u32", SB_T_U32, UINT32_MAX, 0, NULL, 0 },
		{ "5u", SB_T_U64, 5, 0, NULL, 0 },
		{ "18446744073709551615u64", SB_T_U64, -1, 0, NULL, 0 }, /* UINT64_MAX bits */
		{ "1.5", SB_T_F64, 0, 1.5, NULL, 0 },
		{ "-2e3", SB_T_F64, 0, -2000, NULL, 0 },
		{ ".25", SB_T_F64, 0, 0.25, NULL, 0 },
		{ "2.5f64", SB_T_F64, 0, 2.5, NULL, 0 },
		{ "1.5f32", SB_T_F32, 0, 1.5, NULL, 0 },
		{ "true", SB_T_BOOL, 1, 0, NULL, 0 },
		{ "false", SB_T_BOOL, 0, 0, NULL, 0 },
		{ "\"hi\"", SB_T_STRING, 0, 0, "hi", 2 },
		{ "\"\"", SB_T_STRING, 0, 0, "", 0 },
		{ "\"a\\\"b\\\\c\"", SB_T_STRING, 0, 0, "a\"b\\c", 5 },
		{ "\"\\n\\t\\x41\\x00z\"", SB_T_STRING, 0, 0, "\n\tA\0z", 5 },
		{ "\"a,b)\"", SB_T_STRING, 0, 0, "a,b)", 4 },
		{ "x\"00ff7F\"", SB_T_BYTES, 0, 0, "\x00\xff\x7f", 3 },
		{ "x\"\"", SB_T_BYTES, 0, 0, "", 0 },
		{ "bytes(0)", SB_T_BYTES, 0, 0, "", 0 },
		{ "bytes(3)", SB_T_BYTES, 0, 0, "\0\0\0", 3 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char text[512];
		snprintf(text, sizeof text, "[s]\nstep = create\nstep = call f( %s )\n", cases[i].lit);
		struct scenario_set set = { 0 };
		if (!parse_good(&set, text))
			continue;
		const struct scenario_step *s = &set.items[0].steps[1];
		CHECK_U64(s->as.call.nargs, 1);
		const struct sb_value *v = &s->as.call.args[0];
		if (!CHECK_U64(v->type, cases[i].type)) {
			fprintf(stderr, "  literal %s\n", cases[i].lit);
			scenario_set_free(&set);
			continue;
		}
		bool ok = true;
		switch (v->type) {
		case SB_T_I64: ok = CHECK_I64(v->as.i64, cases[i].i); break;
		case SB_T_I32: ok = CHECK_I64(v->as.i32, cases[i].i); break;
		case SB_T_U32: ok = CHECK_U64(v->as.u32, (uint64_t)cases[i].i); break;
		case SB_T_U64: ok = CHECK_U64(v->as.u64, (uint64_t)cases[i].i); break;
		case SB_T_F64: ok = CHECK(v->as.f64 == cases[i].f); break;
		case SB_T_F32: ok = CHECK(v->as.f32 == (float)cases[i].f); break;
		case SB_T_BOOL: ok = CHECK_I64(v->as.b, cases[i].i); break;
		default:
			ok = CHECK_U64(v->as.buf.len, cases[i].len) && CHECK(v->as.buf.ptr != NULL) &&
			     CHECK(memcmp(v->as.buf.ptr, cases[i].buf, cases[i].len) == 0);
			break;
		}
		if (!ok)
			fprintf(stderr, "  literal %s\n", cases[i].lit);
		scenario_set_free(&set);
	}

	/* several arguments, big bytes, the maximum count */
	struct scenario_set set = { 0 };
	if (parse_good(&set, "[s]\ninput = 64K\nstep = create\n"
			     "step = call f(1, \"a, b\" ,true,x\"01\",bytes(4K), 2u32)\n"
			     "step = call g(1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16)\n"
			     "step = call h()\n")) {
		const struct scenario_step *s = set.items[0].steps;
		if (CHECK_U64(s[1].as.call.nargs, 6)) {
			CHECK_U64(s[1].as.call.args[1].type, SB_T_STRING);
			CHECK_U64(s[1].as.call.args[1].as.buf.len, 4);
			CHECK_U64(s[1].as.call.args[4].as.buf.len, 4096);
			CHECK_U64(s[1].as.call.args[5].type, SB_T_U32);
		}
		CHECK_U64(s[2].as.call.nargs, SB_CALL_MAX_ARGS);
		CHECK_I64(s[2].as.call.args[15].as.i64, 16);
		CHECK_U64(s[3].as.call.nargs, 0);
		CHECK_STR(s[3].as.call.name, "h");
		/* header 8 + kind/nargs/len 4 + "h" + back-pointer 8 */
		CHECK_U64(scenario_call_record_bytes(&s[3]), 21);
	}
	scenario_set_free(&set);
}

/* ---- step labels and fields ----------------------------------------------------------------- */

static void test_steps(void)
{
	static const struct {
		const char *text;
		enum scenario_step_kind kind;
		const char *label;
		const char *name; /* call/snap name, file path */
		const char *name2; /* save/load snapshot name */
	} cases[] = {
		{ "destroy", SCENARIO_STEP_DESTROY, "destroy", NULL, NULL },
		{ "call touch_pages(3)", SCENARIO_STEP_CALL, "call touch_pages", "touch_pages", NULL },
		{ "call  _x9 ( )", SCENARIO_STEP_CALL, "call _x9", "_x9", NULL },
		{ "snapshot", SCENARIO_STEP_SNAPSHOT, "snapshot", NULL, NULL },
		{ "snapshot as base", SCENARIO_STEP_SNAPSHOT, "snapshot base", "base", NULL },
		{ "restore", SCENARIO_STEP_RESTORE, "restore", NULL, NULL },
		{ "restore pre", SCENARIO_STEP_RESTORE, "restore pre", "pre", NULL },
		{ "save out.snap", SCENARIO_STEP_SAVE, "save out.snap", "out.snap", NULL },
		{ "save \"my dir/o.snap\" from pre", SCENARIO_STEP_SAVE, "save my dir/o.snap",
		  "my dir/o.snap", "pre" },
		{ "load a.snap", SCENARIO_STEP_LOAD, "load a.snap", "a.snap", NULL },
		{ "load a.snap as x", SCENARIO_STEP_LOAD, "load x", "a.snap", "x" },
		{ "sleep 1500us", SCENARIO_STEP_SLEEP, "sleep 1500us", NULL, NULL },
		{ "sleep 2s", SCENARIO_STEP_SLEEP, "sleep 2s", NULL, NULL },
		{ "repeat 3 { ", SCENARIO_STEP_REPEAT, "repeat 3", NULL, NULL },
		{ "call add(1, 2) as warm-add.1", SCENARIO_STEP_CALL, "warm-add.1", "add", NULL },
		{ "call f()as x_y", SCENARIO_STEP_CALL, "x_y", "f", NULL },
		{ "call f(\"as b\")  as  a  ", SCENARIO_STEP_CALL, "a", "f", NULL },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char text[512];
		bool rep = cases[i].kind == SCENARIO_STEP_REPEAT;
		snprintf(text, sizeof text,
			 "[s]\nstep = create\nstep = snapshot as pre\nstep = %s\n%s", cases[i].text,
			 rep ? "step = call f()\nstep = }\n" : "");
		struct scenario_set set = { 0 };
		if (!parse_good(&set, text))
			continue;
		const struct scenario_step *s = &set.items[0].steps[2];
		CHECK_U64(s->kind, cases[i].kind);
		CHECK_STR(s->label, cases[i].label);
		CHECK_U64(s->line, 4);
		const char *name = NULL, *name2 = NULL;
		switch (s->kind) {
		case SCENARIO_STEP_CALL: name = s->as.call.name; break;
		case SCENARIO_STEP_SNAPSHOT:
		case SCENARIO_STEP_RESTORE: name = s->as.snap.name; break;
		case SCENARIO_STEP_SAVE:
		case SCENARIO_STEP_LOAD:
			name = s->as.file.path;
			name2 = s->as.file.name;
			break;
		default: break;
		}
		if (cases[i].name)
			CHECK_STR(name, cases[i].name);
		else
			CHECK(name == NULL);
		if (cases[i].name2)
			CHECK_STR(name2, cases[i].name2);
		else
			CHECK(name2 == NULL);
		scenario_set_free(&set);
	}

	/* load before create; create/destroy cycles inside a repeat; a
	 * loaded snapshot counts for restore; p99.9 and kinds in expect */
	struct scenario_set set = { 0 };
	if (parse_good(&set, "[s]\nstep = load a.snap as a\n"
			     "step = repeat 10 {\nstep = create\nstep = restore a\n"
			     "step = destroy\nstep = }\n"
			     "expect = restore a.p99.9 <= 1ms\nexpect = create.p99.99 > 0\n"
			     "expect = repeat 10.max >= 1.5ms\nexpect = restore.count == 10\n")) {
		const struct scenario *sc = &set.items[0];
		CHECK_U64(sc->n_steps, 2);
		if (CHECK_U64(sc->n_expects, 4)) {
			CHECK_STR(sc->expects[0].step, "restore a");
			CHECK_U64(sc->expects[0].metric, SCENARIO_METRIC_P99_9);
			CHECK_U64(sc->expects[0].op, SCENARIO_CMP_LE);
			CHECK_U64(sc->expects[0].value, 1000000);
			CHECK_U64(sc->expects[1].metric, SCENARIO_METRIC_P99_99);
			CHECK(!sc->expects[1].step_is_kind); /* the label "create" */
			CHECK_U64(sc->expects[2].value, 1500000);
			CHECK_U64(sc->expects[3].metric, SCENARIO_METRIC_COUNT);
			CHECK_U64(sc->expects[3].value, 10);
			CHECK(sc->expects[3].step_is_kind); /* no step is labelled "restore" */
		}
	}
	scenario_set_free(&set);
}

/* ---- rows: what a step list yields in a report, and expectations on them ---------------- */

struct want_row {
	const char *label;
	enum scenario_variant v;
};

static void check_rows(const char *text, const struct want_row *want, size_t n_want)
{
	struct scenario_set set = { 0 };
	if (!parse_good(&set, text))
		return;
	struct scenario_row *rows = NULL;
	size_t n = 0;
	struct sb_err err = { 0 };
	if (CHECK_I64(scenario_rows(&set.items[0], &rows, &n, &err), 0) && CHECK_U64(n, n_want)) {
		for (size_t i = 0; i < n; i++) {
			char got[96], exp[96];
			scenario_row_name(got, sizeof got, rows[i].label, rows[i].variant);
			scenario_row_name(exp, sizeof exp, want[i].label, want[i].v);
			if (!CHECK_STR(got, exp))
				fprintf(stderr, "  row %zu of:\n%s\n", i, text);
		}
	}
	free(rows);
	scenario_set_free(&set);
}

#define ROWS(...)                                                                           \
	(const struct want_row[]){ __VA_ARGS__ },                                           \
		sizeof((const struct want_row[]){ __VA_ARGS__ }) / sizeof(struct want_row)
#define NONE SCENARIO_VARIANT_NONE
#define AC SCENARIO_VARIANT_FIRST_AFTER_CREATE
#define AR SCENARIO_VARIANT_FIRST_AFTER_RESTORE
#define ST SCENARIO_VARIANT_STEADY
#define SAME SCENARIO_VARIANT_SAME_SNAPSHOT
#define OTHER SCENARIO_VARIANT_OTHER_SNAPSHOT

static void test_rows(void)
{
	/* labels in first-use order, each label's rows in variant order */
	check_rows("[s]\nstep = create\nstep = call a()\nstep = snapshot as s\n"
		   "step = repeat 3 {\nstep = restore s\nstep = call b()\nstep = call a()\nstep = }\n"
		   "step = call c() as lab\nstep = destroy\n",
		   ROWS({ "create", NONE }, { "call a", AC }, { "call a", ST }, { "snapshot s", NONE },
			{ "restore s", SAME }, { "restore s", OTHER }, { "call b", AR },
			{ "lab", ST }, { "destroy", NONE }));
	/* a repeat's second round starts where its first ended */
	check_rows("[s]\nstep = create\nstep = snapshot as s\nstep = repeat 2 {\nstep = call x()\n"
		   "step = restore s\nstep = }\n",
		   ROWS({ "create", NONE }, { "snapshot s", NONE }, { "call x", AC }, { "call x", AR },
			{ "restore s", SAME }, { "restore s", OTHER }));
	/* ... but a repeat of 1 has no second round */
	check_rows("[s]\nstep = create\nstep = snapshot as s\nstep = repeat 1 {\nstep = call x()\n"
		   "step = restore s\nstep = }\n",
		   ROWS({ "create", NONE }, { "snapshot s", NONE }, { "call x", AC },
			{ "restore s", SAME }, { "restore s", OTHER }));
	/* nested: the inner body's exit feeds the outer round; a snapshot
	 * between a restore and a call keeps the call first after the restore;
	 * destroy and create inside a repeat; two calls share a label */
	check_rows("[s]\nstep = create\nstep = snapshot as s\nstep = repeat 2 {\n"
		   "step = repeat 3 {\nstep = call y() as same\nstep = }\nstep = restore s\n"
		   "step = snapshot as t\nstep = call z() as same\nstep = destroy\nstep = create\n"
		   "step = }\n",
		   ROWS({ "create", NONE }, { "snapshot s", NONE }, { "same", AC }, { "same", AR },
			{ "same", ST }, { "restore s", SAME }, { "restore s", OTHER },
			{ "snapshot t", NONE }, { "destroy", NONE }));

	/* expectations name a row, a label (all its rows) or a kind (with or
	 * without a row) */
	struct scenario_set set = { 0 };
	if (parse_good(&set, "[s]\nstep = create\nstep = snapshot as s\nstep = repeat 2 {\n"
			     "step = restore s\nstep = call f(1) as dirty\nstep = call f(1) as dirty\n"
			     "step = }\n"
			     "expect = restore s (same snapshot).p50 < 1ms\n"
			     "expect = dirty (first after restore).scratch_pages == 3\n"
			     "expect = dirty.count == 4\n"
			     "expect = call (steady).exits == 1\n"
			     "expect = restore (other snapshot).count == 1\n"
			     "expect = restore s.count == 2\n"
			     "expect = restore s (same snapshot).full_restores == 0\n"
			     "expect = restore.pages_reset >= 3\n")) {
		const struct scenario *sc = &set.items[0];
		static const struct {
			const char *step;
			bool kind;
			enum scenario_variant v;
		} want[] = {
			{ "restore s", false, SAME }, { "dirty", false, AR }, { "dirty", false, NONE },
			{ "call", true, ST },	      { "restore", true, OTHER }, { "restore s", false, NONE },
			{ "restore s", false, SAME }, { "restore", true, NONE },
		};
		if (CHECK_U64(sc->n_expects, 8)) {
			for (size_t i = 0; i < 8; i++) {
				CHECK_STR(sc->expects[i].step, want[i].step);
				CHECK(sc->expects[i].step_is_kind == want[i].kind);
				CHECK_U64(sc->expects[i].variant, want[i].v);
			}
			/* the text is kept as written, for the report */
			CHECK_STR(sc->expects[0].text, "restore s (same snapshot).p50 < 1ms");
			CHECK_U64(sc->expects[6].metric, SCENARIO_METRIC_FULL_RESTORES);
			CHECK_U64(sc->expects[6].op, SCENARIO_CMP_EQ);
			CHECK_U64(sc->expects[6].value, 0);
			CHECK_U64(sc->expects[7].metric, SCENARIO_METRIC_PAGES_RESET);
			CHECK_U64(sc->expects[7].op, SCENARIO_CMP_GE);
			CHECK_U64(sc->expects[7].value, 3);
		}
	}
	scenario_set_free(&set);

	/* the variant table */
	CHECK_STR(scenario_variant_name(AR), "first after restore");
	CHECK_STR(scenario_variant_name(NONE), "");
	CHECK_U64(scenario_variant_find("other snapshot", 14), OTHER);
	CHECK_U64(scenario_variant_find("other", 5), SCENARIO_VARIANT__COUNT);
	CHECK(scenario_variant_of_kind(SCENARIO_STEP_CALL, ST));
	CHECK(!scenario_variant_of_kind(SCENARIO_STEP_CALL, SAME));
	CHECK(!scenario_variant_of_kind(SCENARIO_STEP_RESTORE, NONE));
	CHECK(scenario_variant_of_kind(SCENARIO_STEP_SNAPSHOT, NONE));
	char name[96];
	CHECK_I64(scenario_row_name(name, sizeof name, "call add", AC), 29);
	CHECK_STR(name, "call add (first after create)");
	for (unsigned v = 0; v < SCENARIO_VARIANT__COUNT; v++)
		CHECK(strlen(scenario_variant_name((enum scenario_variant)v)) <= SCENARIO_VARIANT_NAME_MAX);
}

static void test_cmp(void)
{
	static const struct {
		enum scenario_cmp op;
		double got, want;
		bool ok;
	} cases[] = {
		{ SCENARIO_CMP_LT, 1, 2, true },  { SCENARIO_CMP_LT, 2, 2, false },
		{ SCENARIO_CMP_LE, 2, 2, true },  { SCENARIO_CMP_LE, 3, 2, false },
		{ SCENARIO_CMP_GT, 3, 2, true },  { SCENARIO_CMP_GT, 2, 2, false },
		{ SCENARIO_CMP_GE, 2, 2, true },  { SCENARIO_CMP_GE, 1, 2, false },
		{ SCENARIO_CMP_EQ, 2, 2, true },  { SCENARIO_CMP_EQ, 1, 2, false },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		CHECK(scenario_cmp_eval(cases[i].op, cases[i].got, cases[i].want) == cases[i].ok);
	CHECK_STR(scenario_cmp_name(SCENARIO_CMP_GE), ">=");
	CHECK_STR(scenario_metric_name(SCENARIO_METRIC_P99_99), "p99.99");
	CHECK_STR(scenario_metric_name(SCENARIO_METRIC_FULL_RESTORES), "full_restores");
	CHECK_STR(scenario_metric_name(SCENARIO_METRIC_PAGES_RESET), "pages_reset");
	CHECK(!scenario_metric_is_time(SCENARIO_METRIC_FULL_RESTORES));
	CHECK(!scenario_metric_is_time(SCENARIO_METRIC_PAGES_RESET));
}

/* ---- the option table: defaults, help, echo -------------------------------------------------- */

static void test_table_and_help(void)
{
	size_t n;
	const struct scenario_option *opts = scenario_options(&n);
	static const char *const required[] = {
		"description", "guest", "heap", "scratch", "input", "output", "init_data",
		"iterations", "duration", "warmup", "sandboxes", "rate", "deadline", "mode",
		"step", "expect",
	};
	for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
		if (!CHECK(scenario_option_find(required[i]) != NULL))
			fprintf(stderr, "  missing option %s\n", required[i]);

	char *help = NULL;
	size_t help_len = 0;
	FILE *f = open_memstream(&help, &help_len);
	scenario_print_help(f);
	fclose(f);
	for (size_t i = 0; i < n; i++) {
		const struct scenario_option *o = &opts[i];
		/* every default parses and lies in its range */
		if (!(o->flags & SCENARIO_OPT_REPEATABLE)) {
			uint64_t v;
			char *s = NULL;
			struct sb_err err;
			if (!CHECK_I64(scenario_opt_parse(o, o->def, &v, &s, &err), 0))
				fprintf(stderr, "  default of %s: %s\n", o->name, err.msg);
			free(s);
		}
		/* its help row: name, type, default, range */
		char row_start[64];
		snprintf(row_start, sizeof row_start, "\n%s ", o->name);
		const char *row = strstr(help, row_start);
		if (!CHECK(row != NULL)) {
			fprintf(stderr, "  help has no row for %s\n", o->name);
			continue;
		}
		row++;
		char line[512];
		size_t len = strcspn(row, "\n");
		snprintf(line, sizeof line, "%.*s", (int)len, row);
		CHECK_CONTAINS(line, scenario_opt_type_name(o->type));
		CHECK_CONTAINS(line, o->help);
		CHECK_CONTAINS(line, o->def ? (*o->def ? o->def : "\"\"") : "(none)");
		char lo[32], hi[32], range[80];
		switch (o->type) {
		case SCENARIO_OPT_SIZE:
			scenario_format_size(o->min, lo, sizeof lo);
			scenario_format_size(o->max, hi, sizeof hi);
			break;
		case SCENARIO_OPT_TIME:
			scenario_format_time(o->min, lo, sizeof lo);
			scenario_format_time(o->max, hi, sizeof hi);
			break;
		case SCENARIO_OPT_COUNT:
			snprintf(lo, sizeof lo, "%llu", (unsigned long long)o->min);
			snprintf(hi, sizeof hi, "%llu", (unsigned long long)o->max);
			break;
		default: lo[0] = hi[0] = '\0'; break;
		}
		if (lo[0]) {
			snprintf(range, sizeof range, "%s..%s", lo, hi);
			CHECK_CONTAINS(line, range);
		}
		for (size_t c = 0; o->choices && o->choices[c]; c++)
			CHECK_CONTAINS(line, o->choices[c]);
		if (o->flags & SCENARIO_OPT_REPEATABLE)
			CHECK_CONTAINS(line, "repeatable");
	}
	/* spot checks against the text a reader sees */
	CHECK_CONTAINS(help, "heap             size    128K     4K..16777204K, multiple of 4K");
	CHECK_CONTAINS(help, "scratch          size    288K     16K..16G, multiple of 4K");
	CHECK_CONTAINS(help, "iterations/s per sandbox");
	CHECK_CONTAINS(help, "sandboxes        count   1        1..64");
	CHECK_CONTAINS(help, "mode             enum    user     user|kernel");
	CHECK_CONTAINS(help, "deadline         time    1s       0..60m");
	/* labelled calls, rows and how expectations name them */
	CHECK_CONTAINS(help, "call NAME(ARGS) [== VALUE] [as LABEL]");
	CHECK_CONTAINS(help, "LABEL (first after restore)  the first call step run after a restore");
	CHECK_CONTAINS(help, "LABEL (same snapshot)        a restore of the snapshot the sandbox runs");
	CHECK_CONTAINS(help, "A restore row is restore-to-ready");
	CHECK_CONTAINS(help, "p50(LABEL (first after restore)) - p50(LABEL (steady))");
	CHECK_CONTAINS(help, "e.g. expect = restore base (same snapshot).p99 < 50us");
	/* the restore page statistics, and what full and light mean */
	CHECK_CONTAINS(help, "for restores\n  also full_restores (how many were full: page tables "
			     "rewritten, KVM's shadow\n");
	CHECK_CONTAINS(help, "the others were light: dirty data pages\n  and FPU state only");
	CHECK_CONTAINS(help, "pages_reset (scratch pages\n  rewritten, per restore)");
	free(help);
}

struct echo_seen {
	size_t calls;
	size_t order_ok;
	const struct scenario *sc;
	size_t n_expect, n_step;
	char *first_step;
	bool values_parse;
};

static void on_echo(void *ctx, const struct scenario_option *opt, const char *const *values,
		    size_t n)
{
	struct echo_seen *e = ctx;
	size_t nopt;
	const struct scenario_option *opts = scenario_options(&nopt);
	if (opt == &opts[e->calls])
		e->order_ok++;
	e->calls++;
	if (opt->type == SCENARIO_OPT_STEP) {
		e->n_step = n;
		if (n)
			e->first_step = strdup(values[0]);
		return;
	}
	if (opt->type == SCENARIO_OPT_EXPECT) {
		e->n_expect = n;
		return;
	}
	/* scalars: one value, in file syntax, parsing back to the same value */
	if (n != 1) {
		e->values_parse = false;
		return;
	}
	uint64_t v = 0;
	char *s = NULL;
	struct sb_err err;
	if (scenario_opt_parse(opt, values[0], &v, &s, &err)) {
		fprintf(stderr, "  echo %s = %s: %s\n", opt->name, values[0], err.msg);
		e->values_parse = false;
		return;
	}
	const char *base = (const char *)&e->sc->cfg + opt->offset;
	if (s) {
		if (strcmp(s, *(char *const *)(const void *)base) != 0)
			e->values_parse = false;
		free(s);
	} else if (memcmp(&v, base, sizeof v) != 0) {
		fprintf(stderr, "  echo %s = %s differs\n", opt->name, values[0]);
		e->values_parse = false;
	}
}

static void test_echo(void)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/good.ini", dir);
	struct scenario_set set = { 0 };
	struct sb_err err;
	if (!CHECK_I64(scenario_set_parse_file(&set, path, &err), 0))
		return;
	size_t nopt;
	scenario_options(&nopt);
	for (size_t i = 0; i < set.n; i++) {
		struct echo_seen e = { .sc = &set.items[i], .values_parse = true };
		CHECK_I64(scenario_echo_options(&set.items[i], on_echo, &e, &err), 0);
		CHECK_U64(e.calls, nopt);
		CHECK_U64(e.order_ok, nopt);
		CHECK(e.values_parse);
		CHECK_U64(e.n_step, set.items[i].n_step_lines);
		CHECK_U64(e.n_expect, set.items[i].n_expects);
		CHECK_STR(e.first_step, i == 0 ? "create" : "load base.snap as base");
		free(e.first_step);
	}

	/* the INI echo: every option named, values as the effective ones */
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	CHECK_I64(scenario_echo_options_file(&set.items[1], f, &err), 0);
	fclose(f);
	for (size_t i = 0; i < nopt; i++) {
		char name[64];
		snprintf(name, sizeof name, "%s", scenario_options(&nopt)[i].name);
		CHECK_CONTAINS(text, name);
	}
	static const char *const lines[] = {
		"heap = 1G\n", "scratch = 4M\n", "input = 64K\n", "output = 4K\n",
		"duration = 1500ms\n", "iterations = 1\n", "deadline = 250ms\n", "mode = user\n",
		"guest = guests/other.elf\n", "description = \n", "step = sleep 1ms\n",
		"; expect: none\n",
	};
	for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
		CHECK_CONTAINS(text, lines[i]);
	free(text);
	scenario_set_free(&set);
}

static void test_units(void)
{
	static const struct {
		const char *in;
		uint64_t ns;
		const char *out;
	} good[] = {
		{ "0", 0, "0" },          { "0ns", 0, "0" },     { "7ns", 7, "7ns" },
		{ "50us", 50000, "50us" }, { "1.5ms", 1500000, "1500us" },
		{ "2s", 2000000000, "2s" }, { "1m", 60000000000ull, "1m" },
		{ "0.000000001s", 1, "1ns" }, { "90s", 90000000000ull, "90s" },
	};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		uint64_t ns = 1;
		struct sb_err err;
		if (!CHECK_I64(scenario_parse_time(good[i].in, &ns, &err), 0))
			fprintf(stderr, "  %s: %s\n", good[i].in, err.msg);
		CHECK_U64(ns, good[i].ns);
		char buf[32];
		scenario_format_time(ns, buf, sizeof buf);
		CHECK_STR(buf, good[i].out);
	}
	static const char *const bad[] = { "", "s", "1", "1.s", "1 s", "1h", "-1s",
					   "99999999999999999999ns", "400000000m" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		uint64_t ns = 5;
		struct sb_err err;
		CHECK_I64(scenario_parse_time(bad[i], &ns, &err), -1);
		CHECK_U64(ns, 5);
	}
	static const struct {
		uint64_t b;
		const char *out;
	} sizes[] = { { 0, "0" }, { 100, "100" }, { 4096, "4K" }, { 1536 * KiB, "1536K" },
		      { 64 * MiB, "64M" }, { 2 * GiB, "2G" }, { 1ull << 40, "1T" } };
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		char buf[32];
		scenario_format_size(sizes[i].b, buf, sizeof buf);
		CHECK_STR(buf, sizes[i].out);
	}
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: test_scenario SCENARIO_DIR\n");
		return 2;
	}
	dir = argv[1];
	test_errors();
	test_error_files();
	test_good_file();
	test_check_files();
	test_defaults_and_global();
	test_literals();
	test_steps();
	test_rows();
	test_cmp();
	test_table_and_help();
	test_echo();
	test_units();
	return check_done();
}
