/* test_runner_guest_io.c — the guest I/O steps on real sandboxes (suite
 * kvm): a call's result against its `== VALUE` (a mismatch fails the
 * scenario with file:line and both values); the built-in host functions
 * and their "host call NAME" rows (one sample per round trip, none for a
 * function never called twice in a call; without host_functions the
 * guest finds none); `map FILE at GPA`: the file's bytes seen by the
 * guest, after a snapshot and a restore, and in a sandbox created from
 * the snapshot saved to a file and loaded without the mapping; runtime
 * errors of a map (an empty file, one past the window, a GPA mapped
 * twice); `cancel after TIME`: the call cancelled from another thread,
 * timed into the cancel's row, a restore making the sandbox usable, and a
 * call that returns first failing the scenario. Exit 77 without /dev/kvm. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "check.h"
#include "host_fns.h"
#include "runner.h"

/* Parse text as file `name` and run it; false (and the set freed) when
 * either fails. */
static bool parse_and_run(struct scenario_set *set, const char *name, const char *text,
			  const char *file_dir, struct run_report *rep)
{
	struct sb_err err = { 0 };
	if (!CHECK_I64(scenario_set_parse_string(set, name, text, &err), 0)) {
		fprintf(stderr, "  parse: %s\n", err.msg);
		return false;
	}
	struct runner_options o = { .tool_version = "test", .file_dir = file_dir };
	if (!CHECK_I64(runner_run(set, &o, rep, &err), 0)) {
		fprintf(stderr, "  runner_run: %s\n", err.msg);
		scenario_set_free(set);
		return false;
	}
	return true;
}

static void done(struct scenario_set *set, struct run_report *rep)
{
	run_report_free(rep);
	scenario_set_free(set);
}

static bool not_failed(const struct scenario_result *r)
{
	if (!CHECK(!r->failed))
		fprintf(stderr, "  %s: %s\n", r->name, r->error);
	return !r->failed;
}

static void test_results(void)
{
	struct scenario_set set = { 0 };
	struct run_report rep;
	/* any integer type for a bare literal; floats, strings, bytes */
	if (parse_and_run(&set, "t.ini",
			  "[ok]\niterations = 2\nstep = create\nstep = call add(1, 2) == 3\n"
			  "step = call touch_pages(0u) == 0\nstep = call fneg(2.0) == -2.0\n"
			  "step = call echo(x\"6869\") == \"hi\"\nstep = call f32_bits(0.5f32) == "
			  "0x3f000000\n",
			  NULL, &rep)) {
		not_failed(&rep.scenarios[0]);
		done(&set, &rep);
	}
	static const struct {
		const char *step, *want;
	} bad[] = {
		{ "call add(1, 2) == 4", "t.ini:4: step 'call add': returned 3 (i64), expected 4 (i64)" },
		{ "call add(1, 2) == 3u", "returned 3 (i64), expected 3 (u64)" },
		{ "call touch_pages(0u) == -1", "returned 0 (u64), expected -1 (i64)" },
		{ "call echo(x\"00ff\") == x\"00fe\"",
		  "returned x\"00ff\" (bytes, 2), expected x\"00fe\" (bytes, 2)" },
		{ "call echo(x\"6869\") == \"hi!\"",
		  "returned x\"6869\" (bytes, 2), expected \"hi!\" (string, 3 bytes)" },
		{ "call fneg(2.0) == 2.0", "returned -2 (f64), expected 2 (f64)" },
		{ "call add(1, 2) == true", "returned 3 (i64), expected true (bool)" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char text[256];
		snprintf(text, sizeof text, "[bad]\niterations = 3\nstep = create\nstep = %s\n",
			 bad[i].step);
		if (!parse_and_run(&set, "t.ini", text, NULL, &rep))
			continue;
		const struct scenario_result *r = &rep.scenarios[0];
		CHECK(r->failed);
		if (!CHECK_CONTAINS(r->error, bad[i].want))
			fprintf(stderr, "  case %zu\n", i);
		done(&set, &rep);
	}
}

static const struct step_stats *row(const struct scenario_result *r, const char *label)
{
	return scenario_result_step(r, label);
}

static void test_host_calls(void)
{
	struct scenario_set set = { 0 };
	struct run_report rep;
	if (parse_and_run(&set, "t.ini",
			  "[host]\nhost_functions = builtin\niterations = 3\nwarmup = 1\n"
			  "step = create\nstep = call host_add(40, 2) == 42\n"
			  "step = call host_echo(x\"0102\") == x\"0102\"\n"
			  "step = call host_loop(\"add\", 10u) == 10\n"
			  "step = call host_loop(\"sleep_ns\", 3u) == 3\n"
			  "step = call host_loop(\"fail\", 4u) == 0\n"
			  "step = call host_sleep(2000000000u)\n"
			  "step = call host_fail()\n"
			  "expect = call host_sleep.errors == 2\nexpect = call host_fail.errors == 2\n",
			  NULL, &rep)) {
		const struct scenario_result *r = &rep.scenarios[0];
		not_failed(r);
		const struct step_stats *add = row(r, "host call add");
		if (CHECK(add != NULL)) {
			/* 10 host calls in one guest call: 9 round trips, x 2 recorded */
			CHECK_U64(hist_count(&add->hist), 18);
			CHECK_U64(add->kind, SCENARIO_STEP_HOST_CALL);
			/* a round trip is an exit and an entry at least: not the
			 * function alone (tens of ns) */
			CHECK(hist_min(&add->hist) > 1000);
		}
		const struct step_stats *sl = row(r, "host call sleep_ns");
		CHECK(sl != NULL && hist_count(&sl->hist) == 4);
		const struct step_stats *fl = row(r, "host call fail");
		CHECK(fl != NULL && hist_count(&fl->hist) == 6);
		/* echo was called once per guest call: no round trip, no row */
		CHECK(row(r, "host call echo") == NULL);
		const struct step_stats *sleep = row(r, "call host_sleep (steady)");
		if (CHECK(sleep != NULL))
			CHECK_CONTAINS(sleep->first_error, "sleep_ns(2000000000): at most 1000000000 ns");
		const struct step_stats *fail = row(r, "call host_fail (steady)");
		if (CHECK(fail != NULL))
			CHECK_CONTAINS(fail->first_error, HOST_FNS_FAIL_MSG);
		done(&set, &rep);
	}
	/* A result too big for the input buffer (echo's reply lies above the
	 * call's own 8 KiB argument) is an error the guest's call returns, not
	 * a poisoned sandbox: the next call runs without a restore. */
	if (parse_and_run(&set, "t.ini",
			  "[big]\nhost_functions = builtin\niterations = 2\nwarmup = 0\n"
			  "step = create\nstep = call host_echo(bytes(8K))\n"
			  "step = call host_add(1, 2) == 3\n"
			  "expect = call host_echo.errors == 2\n",
			  NULL, &rep)) {
		const struct scenario_result *r = &rep.scenarios[0];
		not_failed(r);
		const struct step_stats *big = row(r, "call host_echo (first after create)");
		if (CHECK(big != NULL))
			CHECK_CONTAINS(big->first_error,
				       "the host function's result does not fit the input buffer");
		const struct step_stats *add = row(r, "call host_add (steady)");
		CHECK(add != NULL && hist_count(&add->hist) == 2 && add->errors == 0);
		done(&set, &rep);
	}
	/* without the option the guest finds no host function (and no row) */
	if (parse_and_run(&set, "t.ini",
			  "[none]\nallow_errors = true\nstep = create\nstep = call host_add(1, 2)\n"
			  "step = call host_loop(\"add\", 5u) == 0\n",
			  NULL, &rep)) {
		const struct scenario_result *r = &rep.scenarios[0];
		not_failed(r);
		const struct step_stats *st = row(r, "call host_add (first after create)");
		if (CHECK(st != NULL)) {
			CHECK_U64(st->errors, 1);
			CHECK_CONTAINS(st->first_error, "no such host function");
		}
		CHECK(row(r, "host call add") == NULL);
		done(&set, &rep);
	}
}

/* A watching caller (the curses UI's live view) sees the host call rows
 * fill in its partial statistics, as the step rows do. */
struct seen {
	uint64_t host_add;
};

static void on_progress(void *ctx, const struct scenario *sc, const struct scenario_result *partial,
			uint64_t done_, uint64_t total)
{
	(void)sc, (void)done_, (void)total;
	struct seen *s = ctx;
	for (size_t i = 0; i < partial->n_steps; i++)
		if (strcmp(partial->steps[i].label, "host call add") == 0)
			s->host_add = hist_count(&partial->steps[i].hist);
}

static void test_host_calls_live(void)
{
	struct scenario_set set = { 0 };
	struct sb_err err = { 0 };
	if (!CHECK_I64(scenario_set_parse_string(&set, "t.ini",
						 "[live]\nhost_functions = builtin\niterations = 2\n"
						 "step = create\nstep = call host_loop(\"add\", 6u) == 6\n",
						 &err),
		       0))
		return;
	struct seen seen = { 0 };
	struct runner_options o = { .tool_version = "test",
				    .hooks = { .ctx = &seen, .on_progress = on_progress } };
	struct run_report rep;
	if (CHECK_I64(runner_run(&set, &o, &rep, &err), 0)) {
		not_failed(&rep.scenarios[0]);
		CHECK_U64(seen.host_add, 10);
		run_report_free(&rep);
	}
	scenario_set_free(&set);
}

static bool write_file(const char *path, const void *data, size_t n)
{
	FILE *f = fopen(path, "wb");
	bool ok = f && fwrite(data, 1, n, f) == n;
	if (f)
		ok &= fclose(f) == 0;
	return CHECK(ok);
}

static void test_map(void)
{
	char dir[] = "/tmp/snapbench-guest-io-XXXXXX";
	if (!CHECK(mkdtemp(dir) != NULL))
		return;
	char path[512], name[512];
	snprintf(path, sizeof path, "%s/data.bin", dir);
	if (!write_file(path, "snapbenchXYZ", 12))
		return;
	snprintf(path, sizeof path, "%s/empty.bin", dir);
	write_file(path, "", 0);
	static char two_pages[8192];
	snprintf(path, sizeof path, "%s/two.bin", dir);
	write_file(path, two_pages, sizeof two_pages);
	/* the scenario file's directory: where map paths resolve */
	snprintf(name, sizeof name, "%s/t.ini", dir);

	struct scenario_set set = { 0 };
	struct run_report rep;
	/* "snapbenc" and the next word ("hXYZ" and the page's zero tail) */
	if (parse_and_run(&set, name,
			  "[map]\niterations = 3\nstep = create\nstep = map data.bin at 0x500000000\n"
			  "step = call map_gpa(0x500000000u, 0x7000000000u, 1u) == 1\n"
			  "step = call peek(0x7000000000u) == 0x636e656270616e73\n"
			  "step = call peek(0x7000000008u) == 0x5a595868\n"
			  "step = snapshot as s\nstep = call touch_pages(2u)\nstep = restore s\n"
			  "step = call peek(0x7000000000u) == 0x636e656270616e73 as after-restore\n"
			  "step = save s.snap from s\nstep = destroy\nstep = load s.snap as l\n"
			  "step = create\n"
			  "step = call peek(0x7000000000u) == 0x636e656270616e73 as from-file\n"
			  "step = call peek(0x7000000008u) == 0x5a595868 as from-file2\n",
			  dir, &rep)) {
		const struct scenario_result *r = &rep.scenarios[0];
		not_failed(r);
		const struct step_stats *m = row(r, "map data.bin");
		CHECK(m != NULL && hist_count(&m->hist) == 3);
		const struct step_stats *f = row(r, "from-file (first after create)");
		CHECK(f != NULL && hist_count(&f->hist) == 3);
		done(&set, &rep);
	}
	/* the control: without the map step nothing is at that GPA, and the
	 * guest's read of it faults (what the loaded sandbox above would do
	 * if the snapshot had not frozen the page) */
	if (parse_and_run(&set, name,
			  "[unmapped]\nstep = create\n"
			  "step = call map_gpa(0x500000000u, 0x7000000000u, 1u) == 1\n"
			  "step = call peek(0x7000000000u)\n",
			  dir, &rep)) {
		CHECK(rep.scenarios[0].failed);
		CHECK_CONTAINS(rep.scenarios[0].error, "t.ini:4: step 'call peek'");
		done(&set, &rep);
	}
	/* A sparse file costs its data, not its size: 512 MiB of hole with
	 * one word at its last page (the copy used to touch every page). */
	snprintf(path, sizeof path, "%s/sparse.bin", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (CHECK(fd >= 0)) {
		CHECK(pwrite(fd, "sparse!", 8, (512 << 20) - 4096) == 8);
		close(fd);
	}
	struct rusage ru0, ru1;
	getrusage(RUSAGE_SELF, &ru0);
	if (parse_and_run(&set, name,
			  "[sparse]\niterations = 1\nwarmup = 0\nstep = create\n"
			  "step = map sparse.bin at 0x500000000\n"
			  "step = call map_gpa(0x51ffff000u, 0x7000000000u, 1u) == 1\n"
			  "step = call peek(0x7000000000u) == 0x21657372617073\n",
			  dir, &rep)) {
		not_failed(&rep.scenarios[0]);
		getrusage(RUSAGE_SELF, &ru1);
		long grew_kib = ru1.ru_maxrss - ru0.ru_maxrss;
		if (!CHECK(grew_kib < 128 * 1024))
			fprintf(stderr, "  mapping a 512 MiB sparse file grew the peak RSS by %ld KiB\n",
				grew_kib);
		done(&set, &rep);
	}
	unlink(path);

	static const struct {
		const char *steps, *want;
	} bad[] = {
		{ "step = map empty.bin at 16G\n", "empty.bin': empty (nothing to map)" },
		{ "step = map two.bin at 0xBFFFFF000\n",
		  "two.bin': larger than the room above its address" },
		{ "step = map none.bin at 16G\n", "none.bin': No such file or directory" },
		{ "step = map data.bin at 16G\nstep = map data.bin at 16G\n", "t.ini:4: step 'map data.bin'" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char text[256];
		snprintf(text, sizeof text, "[bad]\nstep = create\n%s", bad[i].steps);
		if (!parse_and_run(&set, name, text, dir, &rep))
			continue;
		CHECK(rep.scenarios[0].failed);
		if (!CHECK_CONTAINS(rep.scenarios[0].error, bad[i].want))
			fprintf(stderr, "  case %zu\n", i);
		done(&set, &rep);
	}
	static const char *const files[] = { "data.bin", "empty.bin", "two.bin", "s.snap" };
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
}

static void test_cancel(void)
{
	struct scenario_set set = { 0 };
	struct run_report rep;
	/* the deadline is far: only the cancel step can stop spin() quickly */
	if (parse_and_run(&set, "t.ini",
			  "[cancel]\ndeadline = 5s\niterations = 3\nstep = create\n"
			  "step = snapshot as s\nstep = cancel after 1ms\nstep = call spin()\n"
			  "step = restore s\nstep = call add(2, 2) == 4\n",
			  NULL, &rep)) {
		const struct scenario_result *r = &rep.scenarios[0];
		not_failed(r);
		const struct step_stats *c = row(r, "cancel after 1ms");
		if (CHECK(c != NULL)) {
			CHECK_U64(c->kind, SCENARIO_STEP_CANCEL);
			CHECK_U64(hist_count(&c->hist), 3);
			CHECK_U64(c->errors, 0);
			printf("  cancel after 1ms: min %.3f ms, max %.3f ms\n",
			       (double)hist_min(&c->hist) / 1e6, (double)hist_max(&c->hist) / 1e6);
			CHECK(hist_min(&c->hist) >= 1000000);
			CHECK(hist_max(&c->hist) < 1000000000ull);
		}
		/* the cancelled call has no row of its own: its time is the cancel's */
		CHECK(row(r, "call spin (steady)") == NULL);
		CHECK(row(r, "call spin (first after create)") == NULL);
		const struct step_stats *add = row(r, "call add (first after restore)");
		CHECK(add != NULL && hist_count(&add->hist) == 3);
		done(&set, &rep);
	}
	/* a call that returns before the cancel fails the scenario */
	if (parse_and_run(&set, "t.ini",
			  "[early]\nstep = create\nstep = cancel after 2s\nstep = call add(1, 2)\n",
			  NULL, &rep)) {
		const struct scenario_result *r = &rep.scenarios[0];
		CHECK(r->failed);
		CHECK_CONTAINS(r->error, "t.ini:4: step 'call add' (after 'cancel after 2s' at line 3): "
					 "call 'add' returned after ");
		CHECK_CONTAINS(r->error, "before it was cancelled");
		const struct step_stats *c = row(r, "cancel after 2s");
		CHECK(c != NULL && c->errors == 1);
		done(&set, &rep);
	}
}

int main(void)
{
	if (access("/dev/kvm", R_OK | W_OK) != 0) {
		printf("skipped: /dev/kvm is missing\n");
		return 77;
	}
	test_results();
	test_host_calls();
	test_host_calls_live();
	test_map();
	test_cancel();
	return check_done();
}
