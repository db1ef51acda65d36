/* test_runner_failures.c — failed executions on real sandboxes (suite
 * kvm): a call to a function the guest does not have, or with the wrong
 * arguments, is counted in its row's errors with its first message and
 * line, never timed (histogram count 0, no page counters), printed once
 * per distinct failure at the scenario's end with file:line, and fails
 * the scenario (a failed implied expectation) unless allow_errors or an
 * expectation on the row's errors allows it; a guest fault stops the
 * scenario and is printed the same way. Exit 77 without /dev/kvm. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "runner.h"

struct ran {
	struct scenario_set set;
	struct run_report rep;
	char *printed; /* what runner_options.failures received */
	const struct scenario_result *r;
};

static bool run_text(struct ran *x, const char *text)
{
	memset(x, 0, sizeof *x);
	struct sb_err err = { 0 };
	if (!CHECK_I64(scenario_set_parse_string(&x->set, "t.ini", text, &err), 0)) {
		fprintf(stderr, "  parse: %s\n", err.msg);
		return false;
	}
	size_t len = 0;
	FILE *f = open_memstream(&x->printed, &len);
	struct runner_options o = { .tool_version = "test", .failures = f };
	int rc = runner_run(&x->set, &o, &x->rep, &err);
	fclose(f);
	if (!CHECK_I64(rc, 0)) {
		fprintf(stderr, "  runner_run: %s\n", err.msg);
		scenario_set_free(&x->set);
		return false;
	}
	x->r = &x->rep.scenarios[0];
	return CHECK_U64(x->rep.n_scenarios, 1);
}

static void done(struct ran *x)
{
	run_report_free(&x->rep);
	scenario_set_free(&x->set);
	free(x->printed);
}

static size_t count_of(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

/* The implied expectation: present and failed, or absent. */
static const struct expect_result *implied(const struct scenario_result *r)
{
	for (size_t i = 0; i < r->n_expects; i++)
		if (strcmp(r->expects[i].text, RESULTS_NO_ERRORS_EXPECT) == 0)
			return &r->expects[i];
	return NULL;
}

#define TYPO "[typo]\niterations = 5\nwarmup = 1\nstep = create\nstep = call ad(1, 2)\n" \
	     "step = call add(1, 2)\n"

static void test_unknown_function(void)
{
	struct ran x;
	if (!run_text(&x, TYPO))
		return;
	const struct step_stats *st = scenario_result_step(x.r, "call ad (first after create)");
	if (CHECK(st != NULL)) {
		CHECK_U64(st->errors, 4); /* 5 iterations, 1 warm-up */
		CHECK_U64(hist_count(&st->hist), 0); /* not timed */
		CHECK_U64(st->exits, 0);             /* nor in the page counters */
		CHECK_CONTAINS(st->first_error, "ad: guest function failed");
		CHECK_CONTAINS(st->first_error, "no such guest function");
		CHECK_U64(st->first_error_line, 5);
	}
	const struct step_stats *ok = scenario_result_step(x.r, "call add (steady)");
	if (CHECK(ok != NULL)) {
		CHECK_U64(ok->errors, 0);
		CHECK_U64(hist_count(&ok->hist), 4);
	}
	CHECK(!x.r->failed);
	const struct expect_result *e = implied(x.r);
	if (CHECK(e != NULL)) {
		CHECK(!e->passed);
		CHECK(e->got == 4);
		CHECK_CONTAINS(e->why, "4 executions failed");
		CHECK_CONTAINS(e->why, "t.ini:5: step 'call ad'");
	}
	CHECK_STR(x.printed, "t.ini:5: [typo] step 'call ad': call 'ad' failed 4 times: guest "
			     "function failed (code 1): no such guest function\n");
	done(&x);
}

static void test_wrong_arguments(void)
{
	struct ran x;
	if (!run_text(&x, "[args]\niterations = 3\nstep = create\nstep = call add(1)\n"
			  "step = repeat 3 {\nstep = call add(1)\nstep = }\n"))
		return;
	/* one step label, one message: its rows (first after create,
	 * steady) printed together, once */
	const struct step_stats *a = scenario_result_step(x.r, "call add (first after create)");
	const struct step_stats *b = scenario_result_step(x.r, "call add (steady)");
	if (CHECK(a && b)) {
		CHECK_U64(a->errors, 3);
		CHECK_U64(b->errors, 9);
		CHECK_U64(hist_count(&a->hist) + hist_count(&b->hist), 0);
	}
	CHECK_U64(count_of(x.printed, "\n"), 1);
	CHECK_CONTAINS(x.printed, "t.ini:4: [args] step 'call add': call 'add' failed 12 times: ");
	const struct expect_result *e = implied(x.r);
	CHECK(e && !e->passed && e->got == 12);
	done(&x);
}

static void test_allowed(void)
{
	struct ran x;
	/* an expectation on the row's errors judges them: no implied one */
	if (run_text(&x, TYPO "expect = call ad.errors == 4\n")) {
		CHECK(implied(x.r) == NULL);
		CHECK_U64(x.r->n_expects, 1);
		CHECK(x.r->expects[0].passed);
		CHECK(x.r->expects[0].got == 4);
		CHECK_CONTAINS(x.printed, "failed 4 times: guest function failed (code 1): no such "
					  "guest function (allowed)\n");
		done(&x);
	}
	/* ... and fails when the count is not the one expected */
	if (run_text(&x, TYPO "expect = call ad.errors == 3\n")) {
		CHECK(implied(x.r) == NULL);
		CHECK(!x.r->expects[0].passed);
		CHECK_CONTAINS(x.r->expects[0].why, "call ad.errors is 4, expected == 3");
		done(&x);
	}
	/* a kind and a row name work too */
	if (run_text(&x, TYPO "expect = call.errors >= 1\n"
			      "expect = call ad (first after create).errors == 4\n")) {
		CHECK(implied(x.r) == NULL);
		CHECK(x.r->expects[0].passed && x.r->expects[1].passed);
		done(&x);
	}
	/* the option */
	if (run_text(&x, "[global]\nallow_errors = true\n" TYPO)) {
		CHECK(implied(x.r) == NULL);
		CHECK_U64(x.r->n_expects, 0);
		CHECK_CONTAINS(x.printed, "(allowed)\n");
		done(&x);
	}
	/* an expectation on one row allows that row only */
	if (run_text(&x, TYPO "step = call add(1)\nexpect = call ad.errors == 4\n")) {
		const struct expect_result *e = implied(x.r);
		if (CHECK(e != NULL)) {
			CHECK(e->got == 4);
			CHECK_CONTAINS(e->why, "t.ini:7: step 'call add'");
		}
		CHECK_U64(count_of(x.printed, "\n"), 2);
		done(&x);
	}
	/* errors == 0 for a row that never fails: judged, passes */
	if (run_text(&x, "[fine]\niterations = 2\nstep = create\nstep = call add(1, 2)\n"
			 "expect = create.errors == 0\n")) {
		CHECK(x.r->n_expects == 1 && x.r->expects[0].passed);
		CHECK_STR(x.printed, "");
		done(&x);
	}
}

/* A guest fault is not a call error: the scenario stops, failed. */
static void test_fault(void)
{
	struct ran x;
	if (!run_text(&x, "[fault]\niterations = 3\nstep = create\nstep = call add(1, 2)\n"
			  "step = call null_deref(0u64)\n"))
		return;
	CHECK(x.r->failed);
	CHECK_CONTAINS(x.r->error, "t.ini:5: step 'call null_deref': null_deref: guest aborted");
	const struct step_stats *st = scenario_result_step(x.r, "call null_deref (steady)");
	if (CHECK(st != NULL)) {
		CHECK_U64(st->errors, 1);
		CHECK_CONTAINS(st->first_error, "page fault");
	}
	CHECK(implied(x.r) == NULL); /* failed says it already */
	CHECK_CONTAINS(x.printed, "t.ini:5: [fault] step 'call null_deref': call 'null_deref' "
				  "failed 1 time: guest aborted");
	done(&x);
}

int main(void)
{
	check_require_kvm();
	test_unknown_function();
	test_wrong_arguments();
	test_allowed();
	test_fault();
	return check_done();
}
