/* test_scenario_scaling.c — the option scaling (the way of serving calls a
 * scenario is in a scaling series): its values, errors with file:line (a
 * name that is not a way; a way whose steps are missing), the echo, the
 * help; and the shipped scenarios/scaling.ini: every way at 1, 2, 4 and 8
 * sandboxes. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "scenario.h"
#include "scenario_parse.h"

static void test_errors(void)
{
	static const struct parse_error_case cases[] = {
		{ S "step = call f()\nscaling = reused\n",
		  "t.ini:4: [s] scaling: 'reused' is not one of none|reuse|restore-per-call|create-per-call" },
		{ S "step = call f()\nscaling = Reuse\n", "t.ini:4: [s] scaling: 'Reuse' is not one of" },
		{ S "step = call f()\nscaling =\n", "t.ini:4: [s] scaling: '' is not one of" },
		{ S "step = call f()\nscaling = reuse, create-per-call\n",
		  "t.ini:4: [s] scaling: 'reuse, create-per-call' is not one of" },
		{ S "step = call f()\nscaling = reuse\nscaling = reuse\n",
		  "t.ini:5: [s] scaling: set twice in this section (first at line 4)" },
		/* the way's steps */
		{ S "scaling = reuse\n",
		  "t.ini:3: [s] scaling: reuse needs a call step (the calls it serves); the scenario has "
		  "none" },
		{ S "scaling = restore-per-call\nstep = call f()\n",
		  "t.ini:3: [s] scaling: restore-per-call needs a restore step (the overhead it times "
		  "before each call); the scenario has none" },
		{ "[s]\nscaling = create-per-call\nstep = create\nstep = call f()\n",
		  "t.ini:2: [s] scaling: create-per-call needs a destroy step (its cycle is create, call, "
		  "destroy, each timed); the scenario has none" },
		/* set in [global]: that line, the section that lacks the step */
		{ "[global]\nscaling = restore-per-call\n[a]\nstep = create\nstep = call f()\n",
		  "t.ini:2: [a] scaling: restore-per-call needs a restore step" },
	};
	check_parse_errors(cases, sizeof cases / sizeof cases[0]);
}

static void echo_scaling(void *ctx, const struct scenario_option *opt, const char *const *values,
			 size_t n)
{
	char *out = ctx;
	if (n == 1 && strcmp(opt->name, "scaling") == 0)
		snprintf(out + strlen(out), 64, "%s;", values[0]);
}

static void test_values(void)
{
	struct scenario_set set = { 0 };
	struct sb_err err = { 0 };
	/* each way with its steps, steps nested in repeats; none by default */
	if (parse_good(&set, "[a]\nstep = create\nstep = call f()\n"
			     "[b]\nscaling = reuse\nstep = create\nstep = repeat 3 {\nstep = call f()\n"
			     "step = }\n"
			     "[c]\nscaling = restore-per-call\nstep = create\nstep = snapshot as s\n"
			     "step = repeat 2 {\nstep = restore s\nstep = call f()\nstep = }\n"
			     "[d]\nscaling = create-per-call\nstep = repeat 2 {\nstep = create\n"
			     "step = call f()\nstep = destroy\nstep = }\n"
			     "[e]\nscaling = none\nstep = create\n") &&
	    CHECK_U64(set.n, 5)) {
		CHECK_U64(set.items[0].cfg.scaling, SCENARIO_SCALING_NONE);
		CHECK_U64(set.items[1].cfg.scaling, SCENARIO_SCALING_REUSE);
		CHECK_U64(set.items[2].cfg.scaling, SCENARIO_SCALING_RESTORE_PER_CALL);
		CHECK_U64(set.items[3].cfg.scaling, SCENARIO_SCALING_CREATE_PER_CALL);
		CHECK_U64(set.items[4].cfg.scaling, SCENARIO_SCALING_NONE);
		char out[256] = "";
		for (size_t i = 0; i < set.n; i++)
			CHECK_I64(scenario_echo_options(&set.items[i], echo_scaling, out, &err), 0);
		CHECK_STR(out, "none;reuse;restore-per-call;create-per-call;none;");
	}
	scenario_set_free(&set);
	/* [global]'s value is every scenario's, a section's replaces it */
	if (parse_good(&set, "[global]\nscaling = reuse\n[a]\nstep = create\nstep = call f()\n"
			     "[b]\nscaling = none\nstep = create\n") &&
	    CHECK_U64(set.n, 2)) {
		CHECK_U64(set.items[0].cfg.scaling, SCENARIO_SCALING_REUSE);
		CHECK_U64(set.items[1].cfg.scaling, SCENARIO_SCALING_NONE);
	}
	scenario_set_free(&set);
	/* the names the reports carry */
	CHECK_STR(scenario_scaling_name(SCENARIO_SCALING_NONE), "");
	CHECK_STR(scenario_scaling_name(SCENARIO_SCALING_REUSE), "reuse");
	CHECK_STR(scenario_scaling_name(SCENARIO_SCALING_RESTORE_PER_CALL), "restore-per-call");
	CHECK_STR(scenario_scaling_name(SCENARIO_SCALING_CREATE_PER_CALL), "create-per-call");
	CHECK_STR(scenario_scaling_name(SCENARIO_SCALING__COUNT), "");
	for (unsigned w = 0; w < SCENARIO_SCALING__COUNT; w++)
		CHECK(strlen(scenario_scaling_name(w)) <= SCENARIO_SCALING_NAME_MAX);

	/* the help says what it is */
	char *help = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&help, &len);
	scenario_print_help(f);
	fclose(f);
	CHECK_CONTAINS(help, "\nscaling          enum    none     "
			     "none|reuse|restore-per-call|create-per-call the way of serving calls");
	CHECK_CONTAINS(help, "\nScaling (scaling = WAY): scenarios that declare a way of serving calls "
			     "form\n  a series;");
	CHECK_CONTAINS(help, "  restore-per-call  a restore before every call (needs a restore step)\n");
	free(help);
}

/* The shipped file: every way at every count, once; the snapshot it
 * creates from written first. */
static void test_shipped(const char *path)
{
	struct scenario_set set = { 0 };
	struct sb_err err = { 0 };
	if (!CHECK_I64(scenario_set_parse_file(&set, path, &err), 0)) {
		fprintf(stderr, "  %s\n", err.msg);
		return;
	}
	static const uint64_t counts[] = { 1, 2, 4, 8 };
	unsigned seen[SCENARIO_SCALING__COUNT][4] = { { 0 } };
	for (size_t i = 0; i < set.n; i++) {
		const struct scenario *sc = &set.items[i];
		if (i == 0) {
			CHECK_STR(sc->name, "scaling-snapshot");
			CHECK_U64(sc->cfg.scaling, SCENARIO_SCALING_NONE);
			continue;
		}
		CHECK(sc->cfg.scaling != SCENARIO_SCALING_NONE);
		CHECK(sc->cfg.duration_ns > 0 && sc->cfg.duration_ns <= 3000000000ull);
		for (size_t k = 0; k < 4; k++)
			if (sc->cfg.sandboxes == counts[k] && sc->cfg.scaling < SCENARIO_SCALING__COUNT)
				seen[sc->cfg.scaling][k] += sc->cfg.pool ? 10 : 1;
	}
	/* create-per-call twice: without a pool (1) and with one (10) */
	for (unsigned w = SCENARIO_SCALING_REUSE; w < SCENARIO_SCALING__COUNT; w++)
		for (size_t k = 0; k < 4; k++)
			if (!CHECK_U64(seen[w][k], w == SCENARIO_SCALING_CREATE_PER_CALL ? 11 : 1))
				fprintf(stderr, "  %s at %llu sandboxes\n", scenario_scaling_name(w),
					(unsigned long long)counts[k]);
	CHECK_U64(set.n, 17);
	scenario_set_free(&set);
}

int main(int argc, char **argv)
{
	test_errors();
	test_values();
	if (CHECK(argc == 2))
		test_shipped(argv[1]);
	return check_done();
}
