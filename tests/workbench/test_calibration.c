/* test_calibration.c — the calibration's arithmetic (runner_calibration.c):
 * before and after pooled into one median and its quartiles (not the lower
 * of two medians), each half's median kept, the warning and its bounds;
 * the timer overhead; and what build_info.c gives a report (shell quoting
 * of the command line, the scenario file digest). No KVM. */
#include <stdlib.h>
#include <string.h>

#include "build_info.h"
#include "check.h"
#include "runner_internal.h"

/* before: n values around `mid` (mid - n/2 .. mid + n/2 step `step`) */
static void fill(struct exit_samples *s, uint64_t mid, uint64_t step)
{
	s->n = CALIBRATION_SANDBOX_ROUNDS;
	for (unsigned i = 0; i < s->n; i++)
		s->ns[i] = mid - (s->n / 2) * step + i * step;
}

static void test_pooled(void)
{
	struct exit_samples before, after;
	struct calibration cal = { 0 };
	/* tight, no drift: no warning; 101 + 101 samples pooled */
	fill(&before, 30000, 10); /* 29500..30500 */
	fill(&after, 30100, 10);  /* 29600..30600 */
	runner_calibration_sandbox(&cal, &before, &after);
	CHECK_U64(cal.exit_sandbox_samples, 2 * CALIBRATION_SANDBOX_ROUNDS);
	CHECK_U64(cal.exit_sandbox_before_ns, 30000);
	CHECK_U64(cal.exit_sandbox_after_ns, 30100);
	/* the pooled median lies between the halves' medians: not the lower */
	CHECK(cal.exit_sandbox_ns >= 30000 && cal.exit_sandbox_ns <= 30100);
	CHECK(cal.exit_sandbox_p25_ns < cal.exit_sandbox_ns);
	CHECK(cal.exit_sandbox_p75_ns > cal.exit_sandbox_ns);
	CHECK(cal.exit_sandbox_p75_ns - cal.exit_sandbox_p25_ns <= 600);
	CHECK_STR(cal.warning, "");

	/* drift: after 20 % above before (bound 15 %) */
	fill(&after, 36000, 10);
	runner_calibration_sandbox(&cal, &before, &after);
	CHECK_U64(cal.exit_sandbox_before_ns, 30000);
	CHECK_U64(cal.exit_sandbox_after_ns, 36000);
	CHECK(cal.exit_sandbox_ns > 30000 && cal.exit_sandbox_ns < 36000);
	CHECK_CONTAINS(cal.warning, "sandbox exit drift: 30.000 us before, 36.000 us after");
	CHECK_CONTAINS(cal.warning, "(bound 15%)");

	/* spread: IQR ~50 % of the median, no drift */
	fill(&before, 30000, 300); /* 15000..45000 */
	fill(&after, 30000, 300);
	runner_calibration_sandbox(&cal, &before, &after);
	CHECK_U64(cal.exit_sandbox_ns, 30000);
	CHECK_U64(cal.exit_sandbox_p25_ns, 22500);
	CHECK_U64(cal.exit_sandbox_p75_ns, 37500);
	CHECK_CONTAINS(cal.warning, "sandbox exit spread: IQR 22.500..37.500 us is 50.0% of its median "
				    "30.000 us (bound 20%)");
	CHECK(strstr(cal.warning, "drift") == NULL);

	/* the scenario failed before the second measurement: before alone */
	fill(&before, 30000, 10);
	runner_calibration_sandbox(&cal, &before, NULL);
	CHECK_U64(cal.exit_sandbox_samples, CALIBRATION_SANDBOX_ROUNDS);
	CHECK_U64(cal.exit_sandbox_ns, 30000);
	CHECK_U64(cal.exit_sandbox_after_ns, 0);
	CHECK_STR(cal.warning, "");
	/* a guest without debug_exits: nothing measured, nothing flagged */
	struct exit_samples none = { .n = 0 };
	runner_calibration_sandbox(&cal, &none, &none);
	CHECK_U64(cal.exit_sandbox_ns, 0);
	CHECK_U64(cal.exit_sandbox_samples, 0);
	CHECK_STR(cal.warning, "");
}

static void test_real_mode(void)
{
	struct run_calibration *before = calloc(1, sizeof *before), *after = calloc(1, sizeof *after);
	if (!CHECK(before && after))
		return;
	for (unsigned i = 0; i < CALIBRATION_REAL_MODE_EXITS; i++) {
		before->real_mode_ns[i] = 7000 + i % 100;
		after->real_mode_ns[i] = 9000 + i % 100;
	}
	before->memset_gib_per_s = 20;
	after->memset_gib_per_s = 25;
	struct calibration cal = { 0 };
	runner_calibration_run(&cal, before, NULL, 21);
	CHECK_U64(cal.exit_real_mode_before_ns, 7049);
	CHECK_U64(cal.exit_real_mode_after_ns, 0);
	CHECK_U64(cal.exit_real_mode_ns, 7049);
	CHECK_U64(cal.timer_overhead_ns, 21);
	CHECK_STR(cal.warning, "");
	runner_calibration_run(&cal, before, after, 21);
	CHECK_U64(cal.exit_real_mode_after_ns, 9049);
	CHECK(cal.exit_real_mode_ns >= 7049 && cal.exit_real_mode_ns <= 9049);
	CHECK(cal.memset_gib_per_s == 25);
	CHECK_CONTAINS(cal.warning, "real-mode exit drift: 7.049 us before the run, 9.049 us after");
	free(before);
	free(after);
}

static void test_timer(void)
{
	uint64_t t = runner_timer_overhead_ns();
	CHECK(t > 0 && t < 1000);
	printf("timer overhead: %llu ns\n", (unsigned long long)t);
}

static void test_shell_join(void)
{
	static const struct {
		const char *args[4];
		int n;
		const char *want;
	} cases[] = {
		{ { "build/snapbench", "run", "-o", "out" }, 4, "build/snapbench run -o out" },
		{ { "sb", "run", "my file.ini" }, 3, "sb run 'my file.ini'" },
		{ { "sb", "--only", "p [host-cow]" }, 3, "sb --only 'p [host-cow]'" },
		{ { "sb", "it's" }, 2, "sb 'it'\\''s'" },
		{ { "sb", "" }, 2, "sb ''" },
		{ { "sb", "$HOME", "a;b" }, 3, "sb '$HOME' 'a;b'" },
		{ { "sb", "--threshold", "p99=40%" }, 3, "sb --threshold p99=40%" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *s = build_shell_join(cases[i].n, (char *const *)cases[i].args);
		if (CHECK(s != NULL))
			CHECK_STR(s, cases[i].want);
		free(s);
	}
	char *q = build_shell_quote("/tmp/snap bench");
	if (CHECK(q != NULL))
		CHECK_STR(q, "'/tmp/snap bench'");
	free(q);
}

static void test_digest(void)
{
	char d[33];
	build_text_digest("", 0, d);
	CHECK_STR(d, "99aa06d3014798d86001c324468d497f"); /* XXH3-128 of nothing */
	char e[33];
	build_text_digest("[s]\nstep = create\n", 18, e);
	CHECK_U64(strlen(e), 32);
	CHECK(strcmp(d, e) != 0);
}

int main(void)
{
	test_pooled();
	test_real_mode();
	test_timer();
	test_shell_join();
	test_digest();
	return check_done();
}
