/* test_scenario_strategy.c — restore strategies in scenario files: the
 * option restore_strategy (one name or a list; errors with file:line, what
 * was wrong and the valid names), a list running the scenario once per
 * strategy as scenarios "NAME [STRATEGY]" (deep copies), the override of
 * `snapbench run --restore-strategy`, the echo, dirtied_pages, and the
 * expectation metrics cow_faults, bytes_copied, pages_retained. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "scenario.h"
#include "scenario_parse.h"

#define RW SANDBOX_RESTORE_REWRITE
#define HC SANDBOX_RESTORE_HOST_COW

#define R S "step = snapshot\nstep = restore\n" /* S and a restore; line 5 is next */

static void test_errors(void)
{
	static const struct parse_error_case cases[] = {
		{ S "restore_strategy = rewrit\n",
		  "t.ini:3: [s] restore_strategy: 'rewrit' is not one of rewrite|host-cow|retain|rewind (or a "
		  "comma-separated list of them)" },
		{ S "restore_strategy = rewrite, cow\n",
		  "t.ini:3: [s] restore_strategy: 'cow' is not one of rewrite|host-cow|retain|rewind" },
		{ S "restore_strategy = rewrite,rewrite\n",
		  "t.ini:3: [s] restore_strategy: 'rewrite' is listed twice in 'rewrite,rewrite'" },
		{ S "restore_strategy = rewrite,,host-cow\n",
		  "t.ini:3: [s] restore_strategy: 'rewrite,,host-cow': a name is missing in the list "
		  "(want one or more of rewrite|host-cow|retain|rewind, comma-separated)" },
		{ S "restore_strategy = host-cow,\n", "a name is missing in the list" },
		{ S "restore_strategy =\n",
		  "t.ini:3: [s] restore_strategy: '': empty (want one or more of rewrite|host-cow|retain|rewind" },
		{ S "restore_strategy = rewrite host-cow\n",
		  "'rewrite host-cow' is not one of rewrite|host-cow|retain|rewind" },
		{ "[global]\nrestore_strategy = Rewrite\n[s]\nstep = create\n",
		  "t.ini:2: [global] restore_strategy: 'Rewrite' is not one of rewrite|host-cow|retain|rewind" },
		{ S "restore_strategy = rewrite\nrestore_strategy = host-cow\n",
		  "t.ini:4: [s] restore_strategy: set twice in this section (first at line 3)" },
		{ S "dirtied_pages = some\n", "t.ini:3: [s] dirtied_pages: count 'some' is not a whole" },
		{ S "dirtied_pages = 2000000000000\n",
		  "t.ini:3: [s] dirtied_pages: '2000000000000' is out of range (none, 0..1099511627776)" },
		/* the new metrics: on the steps that count them only */
		{ R "expect = restore.cow_faults == 0\n",
		  "t.ini:5: [s] expect: cow_faults are counted for call steps only, not 'restore'" },
		{ S "step = call f()\nexpect = call f.bytes_copied == 0\n",
		  "t.ini:4: [s] expect: bytes_copied are counted for restore steps only, not 'call f'" },
		{ S "step = call f()\nexpect = call.pages_retained > 0\n",
		  "t.ini:4: [s] expect: pages_retained are counted for restore steps only, not 'call'" },
		{ S "expect = create.cow_fault == 0\n",
		  "scratch_pages exits cow_faults full_restores pages_reset bytes_copied "
		  "pages_retained errors)" },
		{ R "expect = restore.bytes_copied < 4K\n",
		  "t.ini:5: [s] expect: bytes_copied: '4K' is not a whole number (no unit)" },
		/* a scenario copied per strategy keeps the file's checks: the
		 * section's line in messages */
		{ "[global]\nrestore_strategy = rewrite, host-cow\n[s]\nstep = create\n[s]\n",
		  "t.ini:5: [s] duplicate scenario name (first at line 3)" },
	};
	check_parse_errors(cases, sizeof cases / sizeof cases[0]);
}

/* ---- one strategy, a list, [global] and sections ---------------------------------- */

static void check_run(const struct scenario *sc, const char *name, const char *section,
		      enum sandbox_restore_strategy s)
{
	enum sandbox_restore_strategy got[SANDBOX_RESTORE__COUNT];
	CHECK_STR(sc->name, name);
	CHECK_STR(sc->section, section);
	/* after parsing every scenario runs one strategy */
	CHECK_U64(scenario_strategies(sc->cfg.restore_strategies, got, SANDBOX_RESTORE__COUNT), 1);
	CHECK_U64(scenario_strategy(sc), s);
}

static void test_lists(void)
{
	struct scenario_set set = { 0 };
	/* the default: rewrite, the name unchanged */
	if (parse_good(&set, S)) {
		CHECK_U64(set.n, 1);
		check_run(&set.items[0], "s", "s", SANDBOX_RESTORE_DEFAULT);
		CHECK_U64(set.items[0].cfg.dirtied_pages, SCENARIO_NONE);
	}
	scenario_set_free(&set);

	/* [global] gives a list; a section's own value replaces it; spaces
	 * around commas; the copies come in list order, next to each other */
	if (parse_good(&set, "[global]\nrestore_strategy = host-cow ,rewrite\n"
			     "[a]\ndirtied_pages = 3\nstep = create\nstep = call f(\"xy\", bytes(2))\n"
			     "step = snapshot as b\nstep = repeat 2 {\nstep = restore b\n"
			     "step = call f(x\"0102\") as w\nstep = }\nexpect = w.cow_faults == 3\n"
			     "[b]\nrestore_strategy = host-cow\nstep = create\n"
			     "[c]\nstep = create\n") &&
	    CHECK_U64(set.n, 5)) {
		check_run(&set.items[0], "a [host-cow]", "a", HC);
		check_run(&set.items[1], "a [rewrite]", "a", RW);
		check_run(&set.items[2], "b", "b", HC);
		check_run(&set.items[3], "c [host-cow]", "c", HC);
		check_run(&set.items[4], "c [rewrite]", "c", RW);
		const struct scenario *x = &set.items[0], *y = &set.items[1];
		/* the copy is whole and its own: steps, arguments, expectations */
		CHECK_U64(y->line, x->line);
		CHECK_STR(y->file, x->file);
		CHECK_U64(y->cfg.dirtied_pages, 3);
		CHECK_U64(y->n_steps, x->n_steps);
		CHECK_U64(y->n_step_lines, x->n_step_lines);
		CHECK_STR(y->step_lines[1], "call f(\"xy\", bytes(2))");
		CHECK(y->step_lines[1] != x->step_lines[1]);
		if (CHECK_U64(y->n_steps, 4)) {
			const struct scenario_step *cx = &x->steps[1], *cy = &y->steps[1];
			CHECK_STR(cy->label, "call f");
			CHECK(cy->label != cx->label);
			CHECK_U64(cy->as.call.nargs, 2);
			CHECK_U64(cy->as.call.args[0].as.buf.len, 2);
			CHECK(memcmp(cy->as.call.args[0].as.buf.ptr, "xy", 2) == 0);
			CHECK(cy->as.call.args[0].as.buf.ptr != cx->as.call.args[0].as.buf.ptr);
			const struct scenario_step *rx = &x->steps[3], *ry = &y->steps[3];
			CHECK_U64(ry->kind, SCENARIO_STEP_REPEAT);
			CHECK(ry->as.repeat.steps != rx->as.repeat.steps);
			if (CHECK_U64(ry->as.repeat.n, 2)) {
				CHECK_STR(ry->as.repeat.steps[0].as.snap.name, "b");
				CHECK_STR(ry->as.repeat.steps[1].label, "w");
				CHECK(memcmp(ry->as.repeat.steps[1].as.call.args[0].as.buf.ptr,
					     "\x01\x02", 2) == 0);
			}
		}
		if (CHECK_U64(y->n_expects, 1)) {
			CHECK_STR(y->expects[0].text, "w.cow_faults == 3");
			CHECK_STR(y->expects[0].step, "w");
			CHECK(y->expects[0].text != x->expects[0].text);
			CHECK_U64(y->expects[0].metric, SCENARIO_METRIC_COW_FAULTS);
		}
		/* found by run name or by section (the first of its runs) */
		CHECK(scenario_set_find(&set, "a [rewrite]") == &set.items[1]);
		CHECK(scenario_set_find(&set, "a") == &set.items[0]);
		CHECK(scenario_set_find(&set, "b") == &set.items[2]);
		CHECK(scenario_set_find(&set, "a [bogus]") == NULL);
	}
	scenario_set_free(&set);

	/* a section name of the longest length still fits a run name */
	char text[256];
	snprintf(text, sizeof text, "[%.*s]\nrestore_strategy = rewrite,host-cow\nstep = create\n",
		 SCENARIO_NAME_MAX, "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghij");
	if (parse_good(&set, text) && CHECK_U64(set.n, 2))
		CHECK(strlen(set.items[1].name) <= SCENARIO_RUN_NAME_MAX);
	scenario_set_free(&set);
}

/* ---- the override of --restore-strategy ------------------------------------------------- */

static uint64_t pack1(enum sandbox_restore_strategy a)
{
	return scenario_strategies_pack(&a, 1);
}

static uint64_t pack2(enum sandbox_restore_strategy a, enum sandbox_restore_strategy b)
{
	enum sandbox_restore_strategy s[2] = { a, b };
	return scenario_strategies_pack(s, 2);
}

static void test_override(void)
{
	struct scenario_set set = { 0 };
	struct sb_err err = { 0 };
	if (!parse_good(&set, "[a]\nrestore_strategy = rewrite,host-cow\nstep = create\n"
			      "[b]\nstep = create\nstep = call f(bytes(8))\n"))
		return;
	const struct scenario *b = &set.items[2];
	/* both, everywhere: b gains a copy; a keeps its two (moved, not copied) */
	struct scenario *a_rw = &set.items[0];
	char *a_rw_name_steps = a_rw->steps[0].label;
	if (CHECK_I64(scenario_set_restore_strategies(&set, pack2(HC, RW), &err), 0) &&
	    CHECK_U64(set.n, 4)) {
		check_run(&set.items[0], "a [host-cow]", "a", HC);
		check_run(&set.items[1], "a [rewrite]", "a", RW);
		CHECK(set.items[1].steps[0].label == a_rw_name_steps); /* the same scenario, moved */
		check_run(&set.items[2], "b [host-cow]", "b", HC);
		check_run(&set.items[3], "b [rewrite]", "b", RW);
		CHECK_U64(set.items[3].n_steps, 2);
		/* the echo and the lines: the command line set it */
		size_t n;
		const struct scenario_option *o = scenario_option_find("restore_strategy");
		size_t idx = (size_t)(o - scenario_options(&n));
		CHECK_U64(set.items[0].set_line[idx], 0);
	}
	(void)b;
	/* one strategy: each section becomes one scenario again, named as its section */
	if (CHECK_I64(scenario_set_restore_strategies(&set, pack1(HC), &err), 0) &&
	    CHECK_U64(set.n, 2)) {
		check_run(&set.items[0], "a", "a", HC);
		check_run(&set.items[1], "b", "b", HC);
		CHECK_U64(set.items[1].n_steps, 2);
	}
	/* parsing an override as the command line writes it */
	uint64_t packed = 0;
	CHECK_I64(scenario_strategies_parse("rewrite, host-cow", &packed, &err), 0);
	CHECK_U64(packed, pack2(RW, HC));
	CHECK_I64(scenario_strategies_parse("hostcow", &packed, &err), -1);
	CHECK_STR(err.msg, "'hostcow' is not one of rewrite|host-cow|retain|rewind (or a comma-separated list of them)");
	scenario_set_free(&set);
}

/* ---- the echo, the table, the names -------------------------------------------------------- */

static void echo_line(void *ctx, const struct scenario_option *opt, const char *const *values,
		      size_t n)
{
	char *out = ctx;
	if (n == 1 && (strcmp(opt->name, "restore_strategy") == 0 ||
		       strcmp(opt->name, "dirtied_pages") == 0))
		snprintf(out + strlen(out), 128, "%s=%s;", opt->name, values[0]);
}

static void test_echo_and_table(void)
{
	struct scenario_set set = { 0 };
	struct sb_err err = { 0 };
	if (parse_good(&set, "[global]\nrestore_strategy = rewrite,host-cow\n[a]\nstep = create\n"
			     "[b]\ndirtied_pages = 64\nrestore_strategy = host-cow\nstep = create\n")) {
		char out[512] = "";
		for (size_t i = 0; i < set.n; i++)
			CHECK_I64(scenario_echo_options(&set.items[i], echo_line, out, &err), 0);
		CHECK_STR(out, "restore_strategy=rewrite;dirtied_pages=none;"
			       "restore_strategy=host-cow;dirtied_pages=none;"
			       "restore_strategy=host-cow;dirtied_pages=64;");
	}
	scenario_set_free(&set);

	/* the option table names the strategies as the sandbox does */
	const struct scenario_option *o = scenario_option_find("restore_strategy");
	if (CHECK(o != NULL)) {
		CHECK_U64(o->type, SCENARIO_OPT_LIST);
		CHECK_STR(o->def, sandbox_restore_strategy_name(SANDBOX_RESTORE_DEFAULT));
		size_t k = 0;
		for (; o->choices[k]; k++) {
			CHECK_STR(o->choices[k], sandbox_restore_strategy_name((enum sandbox_restore_strategy)k));
			CHECK(strlen(o->choices[k]) <= SCENARIO_STRATEGY_NAME_MAX);
		}
		CHECK_U64(k, SANDBOX_RESTORE__COUNT);
		/* a packed list formats back to what parses to it */
		char buf[64];
		struct scenario_config cfg = { .restore_strategies = pack2(HC, RW) };
		scenario_opt_format(o, &cfg, buf, sizeof buf);
		CHECK_STR(buf, "host-cow, rewrite");
		uint64_t v = 0;
		CHECK_I64(scenario_opt_parse(o, buf, &v, NULL, &err), 0);
		CHECK_U64(v, cfg.restore_strategies);
	}
	enum sandbox_restore_strategy got[4];
	CHECK_U64(scenario_strategies(pack2(HC, RW), got, 4), 2);
	CHECK_U64(got[0], HC);
	CHECK_U64(got[1], RW);
	CHECK_U64(scenario_strategies(0, got, 4), 0);
	CHECK_STR(scenario_metric_name(SCENARIO_METRIC_COW_FAULTS), "cow_faults");
	CHECK_STR(scenario_metric_name(SCENARIO_METRIC_BYTES_COPIED), "bytes_copied");
	CHECK_STR(scenario_metric_name(SCENARIO_METRIC_PAGES_RETAINED), "pages_retained");
	CHECK(!scenario_metric_is_time(SCENARIO_METRIC_PAGES_RETAINED));

	/* expectations name the new metrics on their steps */
	if (parse_good(&set, R "step = call f()\nexpect = restore.bytes_copied <= 40960\n"
			       "expect = restore.pages_retained == 0\n"
			       "expect = call f (first after restore).cow_faults == 3\n") &&
	    CHECK_U64(set.items[0].n_expects, 3)) {
		CHECK_U64(set.items[0].expects[0].metric, SCENARIO_METRIC_BYTES_COPIED);
		CHECK_U64(set.items[0].expects[0].value, 40960);
		CHECK_U64(set.items[0].expects[1].metric, SCENARIO_METRIC_PAGES_RETAINED);
		CHECK_U64(set.items[0].expects[2].metric, SCENARIO_METRIC_COW_FAULTS);
		CHECK_U64(set.items[0].expects[2].variant, SCENARIO_VARIANT_FIRST_AFTER_RESTORE);
	}
	scenario_set_free(&set);

	/* the help says how to use it */
	char *help = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&help, &len);
	scenario_print_help(f);
	fclose(f);
	CHECK_CONTAINS(help, "restore_strategy list    rewrite  rewrite|host-cow|retain|rewind, a list");
	CHECK_CONTAINS(help, "dirtied_pages    count   none     none, 0..1099511627776");
	CHECK_CONTAINS(help, "A list (restore_strategy = rewrite, host-cow) runs the scenario once per\n"
			     "  strategy, in list order, as scenarios named \"NAME [STRATEGY]\"");
	CHECK_CONTAINS(help, "--restore-strategy LIST` replaces every scenario's list");
	CHECK_CONTAINS(help, "for calls also cow_faults");
	CHECK_CONTAINS(help, "bytes_copied (bytes the restore\n  wrote into guest memory)");
	free(help);
}

int main(void)
{
	test_errors();
	test_lists();
	test_override();
	test_echo_and_table();
	return check_done();
}
