/* test_scenario_guest_io.c — the scenario steps that reach beyond the
 * guest's memory (suite unit, no KVM): `call ... == VALUE` with every
 * literal kind, `map FILE at GPA` with its bounds, alignment and path
 * confinement, `cancel after TIME` with the states it leaves (the next
 * step is the call, the sandbox poisoned until restore or destroy), the
 * option host_functions and expectations on "host call NAME" rows, deep
 * copies of the new parts (a strategy list copies scenarios), and the
 * decoding of a guest's list of its functions, which the guest controls
 * (guest_fns.h): every truncation and overflow is refused, never read. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guest_fns.h"
#include "scenario_parse.h"

static const struct scenario_step *step(const struct scenario_set *set, size_t i)
{
	return &set->items[0].steps[i];
}

static void test_expected_results(void)
{
	struct scenario_set set = { 0 };
	if (parse_good(&set, S "step = call add(1, 2) == 3\n"
			     "step = call add(1, 2) == 3i64 as sum\n"
			     "step = call touch_pages(1u) == 0x1fu\n"
			     "step = call fneg(1.5) == -1.5\n"
			     "step = call f32_bits(1.0f32) == 1065353216u32\n"
			     "step = call echo(x\"00ff\") == x\"00ff\"\n"
			     "step = call echo(\"a\") == \"a\\\"b\"\n"
			     "step = call flag() == true\n"
			     "step = call add(1, 2)==3\n")) {
		const struct scenario_step *s = step(&set, 1);
		CHECK(s->as.call.has_expect);
		CHECK_U64(s->as.call.expect.type, SB_T_I64);
		CHECK_I64(s->as.call.expect.as.i64, 3);
		CHECK(s->as.call.expect_any_int);
		CHECK_STR(s->label, "call add");
		s = step(&set, 2);
		CHECK(s->as.call.has_expect && !s->as.call.expect_any_int);
		CHECK_STR(s->label, "sum");
		s = step(&set, 3);
		CHECK_U64(s->as.call.expect.type, SB_T_U64);
		CHECK_U64(s->as.call.expect.as.u64, 0x1f);
		CHECK(!s->as.call.expect_any_int);
		s = step(&set, 4);
		CHECK_U64(s->as.call.expect.type, SB_T_F64);
		CHECK(s->as.call.expect.as.f64 == -1.5);
		CHECK_U64(step(&set, 5)->as.call.expect.type, SB_T_U32);
		s = step(&set, 6);
		CHECK_U64(s->as.call.expect.type, SB_T_BYTES);
		CHECK_U64(s->as.call.expect.as.buf.len, 2);
		CHECK(memcmp(s->as.call.expect.as.buf.ptr, "\x00\xff", 2) == 0);
		s = step(&set, 7);
		CHECK_U64(s->as.call.expect.type, SB_T_STRING);
		CHECK_U64(s->as.call.expect.as.buf.len, 3);
		CHECK(s->as.call.expect.as.buf.len == 3 &&
		      memcmp(s->as.call.expect.as.buf.ptr, "a\"b", 3) == 0);
		CHECK_U64(step(&set, 8)->as.call.expect.type, SB_T_BOOL);
		CHECK(step(&set, 8)->as.call.expect.as.b);
		CHECK(step(&set, 9)->as.call.has_expect);
		/* no expectation: none */
		CHECK(!step(&set, 0)->as.call.has_expect);
	}
	scenario_set_free(&set);

	static const struct parse_error_case bad[] = {
		{ S "step = call add(1, 2) ==\n", "expected result is missing" },
		{ S "step = call add(1, 2) == nope\n", "expected result: 'nope' is not a literal" },
		{ S "step = call add(1, 2) == 3 4\n", "unexpected '4'" },
		{ S "step = call add(1, 2) as x == 3\n", "unexpected '== 3'" },
		{ S "step = call add(1, 2) == 300i32x\n", "unknown suffix" },
		{ S "step = call add(1, 2) == 5000000000i32\n", "out of range for i32" },
		{ S "step = call add(1, 2) = 3\n", "unexpected '= 3'" },
	};
	check_parse_errors(bad, sizeof bad / sizeof bad[0]);
}

static void test_map(void)
{
	struct scenario_set set = { 0 };
	if (parse_good(&set, S "step = map data.bin at 16G\n"
			     "step = map \"dir/my file\" at 0x7fffff000\n"
			     "step = map x at 0xBFFFFF000\n")) {
		const struct scenario_step *s = step(&set, 1);
		CHECK_U64(s->kind, SCENARIO_STEP_MAP);
		CHECK_STR(s->as.map.path, "data.bin");
		CHECK_U64(s->as.map.gpa, 16ull << 30);
		CHECK_STR(s->label, "map data.bin");
		CHECK_STR(step(&set, 2)->as.map.path, "dir/my file");
		CHECK_U64(step(&set, 2)->as.map.gpa, 0x7fffff000ull);
		CHECK_U64(step(&set, 3)->as.map.gpa, (48ull << 30) - 4096);
		struct sb_err err = { 0 };
		CHECK_I64(scenario_check_paths(&set.items[0], &err), 0);
	}
	scenario_set_free(&set);

	static const struct parse_error_case bad[] = {
		{ "[s]\nstep = map d at 16G\nstep = create\n", "comes before any create" },
		{ S "step = map d\n", "expected 'map FILE at GPA'" },
		{ S "step = map d at\n", "expected a guest-physical address after 'at'" },
		{ S "step = map d at 0x400000800\n", "address 0x400000800 is not page aligned (4K)" },
		{ S "step = map d at 8G\n", "address 0x200000000 is outside [16G, 48G)" },
		{ S "step = map d at 48G\n", "is outside [16G, 48G)" },
		{ S "step = map d at 0xzz\n", "'0xzz' is not a hex address" },
		{ S "step = map d at 0x\n", "'0x' is not a hex address" },
		{ S "step = map d at 16Q\n", "address: " },
		{ S "step = map d at 16G extra\n", "unexpected 'extra'" },
		{ S "step = map at 16G\n", "expected 'map FILE at GPA'" },
		{ S "step = destroy\nstep = map d at 16G\n", "no sandbox here" },
	};
	check_parse_errors(bad, sizeof bad / sizeof bad[0]);

	/* confined like save and load: relative to the scenario file's
	 * directory, never out of it (unless --allow-paths skips the check) */
	static const char *const escaping[] = { "/etc/passwd", "../x", "a/../../x" };
	for (size_t i = 0; i < sizeof escaping / sizeof escaping[0]; i++) {
		char text[256];
		snprintf(text, sizeof text, S "step = map %s at 16G\n", escaping[i]);
		if (!parse_good(&set, text))
			continue;
		struct sb_err err = { 0 };
		CHECK_I64(scenario_check_paths(&set.items[0], &err), -1);
		CHECK_CONTAINS(err.msg, "t.ini:3: [s] step 'map ");
		CHECK_CONTAINS(err.msg, "map paths are relative to the scenario file's directory");
		scenario_set_free(&set);
	}
	/* nor out of it through a symbolic link (one inside it is fine) */
	char dir[] = "/tmp/snapbench-map-XXXXXX";
	if (CHECK(mkdtemp(dir) != NULL)) {
		char name[256], link[256], target[256];
		snprintf(name, sizeof name, "%s/t.ini", dir);
		snprintf(target, sizeof target, "%s/in.bin", dir);
		FILE *f = fopen(target, "w");
		if (f)
			fclose(f);
		snprintf(link, sizeof link, "%s/out.bin", dir);
		CHECK_I64(symlink("/etc/hostname", link), 0);
		snprintf(link, sizeof link, "%s/in-link.bin", dir);
		CHECK_I64(symlink("in.bin", link), 0);
		struct sb_err err = { 0 };
		if (CHECK_I64(scenario_set_parse_string(&set, name,
							S "step = map out.bin at 16G\n", &err), 0)) {
			CHECK_I64(scenario_check_paths(&set.items[0], &err), -1);
			CHECK_CONTAINS(err.msg, "'out.bin' is a path whose symbolic links lead out of "
						"the scenario file's directory");
		}
		scenario_set_free(&set);
		if (CHECK_I64(scenario_set_parse_string(&set, name,
							S "step = map in-link.bin at 16G\n"
							"step = map in.bin at 17G\n", &err), 0)) {
			CHECK_I64(scenario_check_paths(&set.items[0], &err), 0);
			CHECK_I64(scenario_check_files(&set.items[0], &err), 0);
		}
		scenario_set_free(&set);
		unlink(link);
		snprintf(link, sizeof link, "%s/out.bin", dir);
		unlink(link);
		unlink(target);
		rmdir(dir);
	}
	/* and the file must exist, seen from the scenario file's directory */
	if (parse_good(&set, S "step = map no-such-file.bin at 16G\n")) {
		struct sb_err err = { 0 };
		CHECK_I64(scenario_check_files(&set.items[0], &err), -1);
		CHECK_CONTAINS(err.msg, "t.ini:3: [s] step 'map no-such-file.bin': 'no-such-file.bin': "
					"No such file or directory");
	}
	scenario_set_free(&set);
}

static void test_cancel(void)
{
	struct scenario_set set = { 0 };
	if (parse_good(&set, S "step = snapshot as s\n"
			     "step = cancel after 1ms\n"
			     "step = call spin()\n"
			     "step = sleep 1ms\n"
			     "step = save x.snap from s\n"
			     "step = restore s\n"
			     "step = call add(1, 2) == 3\n"
			     "step = repeat 3 {\n"
			     "step = cancel after 0\n"
			     "step = call spin()\n"
			     "step = restore s\n"
			     "step = }\n"
			     "step = cancel after 2.5ms\n"
			     "step = call spin()\n"
			     "step = destroy\n")) {
		const struct scenario_step *s = step(&set, 2);
		CHECK_U64(s->kind, SCENARIO_STEP_CANCEL);
		CHECK_U64(s->as.cancel_after_ns, 1000000);
		CHECK_STR(s->label, "cancel after 1ms");
		CHECK_STR(step(&set, 8)->as.repeat.steps[0].label, "cancel after 0");
		CHECK_STR(step(&set, 9)->label, "cancel after 2500us");
	}
	scenario_set_free(&set);
	/* rows: the cancel step's; the call it cancels has none, the same
	 * label called normally has its own */
	if (parse_good(&set, S "step = snapshot as s\nstep = cancel after 1ms\nstep = call spin()\n"
			     "step = restore s\nstep = call add(1, 2)\nstep = cancel after 1ms\n"
			     "step = call add(1, 2)\n")) {
		struct scenario_row *rows;
		size_t n;
		struct sb_err err = { 0 };
		if (CHECK_I64(scenario_rows(&set.items[0], &rows, &n, &err), 0)) {
			char names[512] = "";
			for (size_t i = 0; i < n; i++) {
				char one[SCENARIO_ROW_NAME_MAX + 1];
				scenario_row_name(one, sizeof one, rows[i].label, rows[i].variant);
				strcat(names, one);
				strcat(names, "; ");
			}
			CHECK_STR(names, "create; snapshot s; cancel after 1ms; restore s (same snapshot); "
					 "restore s (other snapshot); call add (first after restore); ");
			free(rows);
		}
	}
	scenario_set_free(&set);
	/* a poisoned sandbox at the end of the list is fine: it is destroyed */
	if (parse_good(&set, S "step = cancel after 1ms\nstep = call spin()\n"))
		CHECK_U64(set.items[0].n_steps, 3);
	scenario_set_free(&set);

	static const struct parse_error_case bad[] = {
		{ "[s]\nstep = cancel after 1ms\nstep = create\n", "comes before any create" },
		{ S "step = cancel 1ms\nstep = call spin()\n", "expected 'cancel after TIME'" },
		{ S "step = cancel after\nstep = call spin()\n", "time" },
		{ S "step = cancel after 2m\nstep = call spin()\n", "cancel after at most 1m" },
		{ S "step = cancel after 1ms\nstep = snapshot\n",
		  "the cancel at line 3 must be followed by the call it cancels" },
		{ S "step = cancel after 1ms\n", "the cancel at line 3 must be followed by the call" },
		{ S "step = repeat 2 {\nstep = cancel after 1ms\nstep = }\n",
		  "the cancel at line 4 must be followed by the call it cancels" },
		{ S "step = cancel after 1ms\nstep = repeat 2 {\nstep = call spin()\nstep = }\n",
		  "must be followed by the call it cancels, not a repeat" },
		{ S "step = cancel after 1ms\nstep = call spin()\nstep = call add(1, 2)\n",
		  "the call cancelled at line 3 poisoned the sandbox: restore or destroy it first" },
		{ S "step = cancel after 1ms\nstep = call spin()\nstep = snapshot\n",
		  "poisoned the sandbox" },
		{ S "step = cancel after 1ms\nstep = call spin()\nstep = map d at 16G\n",
		  "poisoned the sandbox" },
		{ S "step = cancel after 1ms\nstep = call spin()\nstep = cancel after 1ms\n",
		  "poisoned the sandbox" },
		{ S "step = snapshot as s\nstep = repeat 2 {\nstep = cancel after 1ms\n"
		    "step = call spin()\nstep = }\n",
		  "the body of the repeat at line 4 leaves the sandbox poisoned" },
	};
	check_parse_errors(bad, sizeof bad / sizeof bad[0]);
}

static void test_host_functions(void)
{
	struct scenario_set set = { 0 };
	if (parse_good(&set, "[s]\nhost_functions = builtin\nstep = create\n"
			     "step = call host_loop(\"add\", 3u) == 3\n"
			     "expect = host call add.count == 2\n"
			     "expect = host call.p50 < 1s\n")) {
		CHECK_U64(set.items[0].cfg.host_functions, 1);
		CHECK_STR(set.items[0].expects[0].step, "host call add");
		CHECK(!set.items[0].expects[0].step_is_kind);
		CHECK(set.items[0].expects[1].step_is_kind);
	}
	scenario_set_free(&set);
	if (parse_good(&set, S "step = destroy\n"))
		CHECK_U64(set.items[0].cfg.host_functions, 0);
	scenario_set_free(&set);

	static const struct parse_error_case bad[] = {
		{ "[s]\nhost_functions = some\nstep = create\n", "host_functions" },
		/* the rows exist only with the built-in functions */
		{ S "expect = host call add.count == 2\n", "no step labelled 'host call add'" },
		{ "[s]\nhost_functions = builtin\nstep = create\nexpect = host call nope.count == 2\n",
		  "no step labelled 'host call nope'" },
		{ "[s]\nhost_functions = builtin\nstep = create\nexpect = host call add.exits == 2\n",
		  "exits are counted for call steps only" },
	};
	check_parse_errors(bad, sizeof bad / sizeof bad[0]);

	char *help = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&help, &len);
	scenario_print_help(f);
	fclose(f);
	CHECK_CONTAINS(help, "host_functions   enum    none");
	CHECK_CONTAINS(help, "map FILE at GPA | cancel after TIME");
	CHECK_CONTAINS(help, "call ... == VALUE");
	CHECK_CONTAINS(help, "so a call\n  making N host calls gives N - 1 samples");
	free(help);
}

/* A restore_strategy list copies each scenario once per strategy: the
 * expected values, map paths and cancel times are copied deep (the set's
 * free would otherwise free them twice, which ASan reports). */
static void test_copies(void)
{
	struct scenario_set set = { 0 };
	if (parse_good(&set, "[s]\nrestore_strategy = rewrite, host-cow\nstep = create\n"
			     "step = map d.bin at 16G\nstep = call echo(x\"01\") == x\"01\"\n"
			     "step = call echo(\"ab\") == \"ab\"\nstep = snapshot as s\n"
			     "step = cancel after 3ms\nstep = call spin()\nstep = restore s\n") &&
	    CHECK_U64(set.n, 2)) {
		for (size_t i = 0; i < 2; i++) {
			const struct scenario_step *st = set.items[i].steps;
			CHECK_STR(st[1].as.map.path, "d.bin");
			CHECK_U64(st[2].as.call.expect.as.buf.len, 1);
			CHECK(st[3].as.call.expect.as.buf.len == 2 &&
			      memcmp(st[3].as.call.expect.as.buf.ptr, "ab", 2) == 0);
			CHECK_U64(st[5].as.cancel_after_ns, 3000000);
		}
		CHECK(set.items[0].steps[1].as.map.path != set.items[1].steps[1].as.map.path);
		CHECK(set.items[0].steps[2].as.call.expect.as.buf.ptr !=
		      set.items[1].steps[2].as.call.expect.as.buf.ptr);
	}
	scenario_set_free(&set);
}

/* ---- the guest's list of its functions ------------------------------------------ */

static size_t put_fn(uint8_t *p, const char *name, uint8_t ret, unsigned np, const uint8_t *params)
{
	size_t n = 0, nl = strlen(name);
	p[n++] = (uint8_t)nl;
	memcpy(p + n, name, nl);
	n += nl;
	p[n++] = ret;
	p[n++] = (uint8_t)np;
	if (np)
		memcpy(p + n, params, np);
	return n + np;
}

static void test_guest_fns(void)
{
	uint8_t buf[1024];
	size_t n = 0;
	buf[n++] = SB_LIST_FUNCTIONS_VERSION;
	buf[n++] = 4;
	n += put_fn(buf + n, "add", SB_T_I64, 2, (const uint8_t[]){ SB_T_I64, SB_T_I64 });
	n += put_fn(buf + n, "spin", SB_T_VOID, 0, NULL);
	n += put_fn(buf + n, "bad\x1b[2Jname", 42, 1, (const uint8_t[]){ 200 });
	n += put_fn(buf + n, "echo", SB_T_BYTES, 1, (const uint8_t[]){ SB_T_BYTES });
	struct guest_fn_sig *fs;
	size_t count;
	struct sb_err err = { 0 };
	if (CHECK_I64(guest_fns_decode(buf, n, &fs, &count, &err), 0) && CHECK_U64(count, 4)) {
		char line[512];
		guest_fn_format(&fs[0], line, sizeof line);
		CHECK_STR(line, "add(i64, i64) -> i64");
		guest_fn_format(&fs[1], line, sizeof line);
		CHECK_STR(line, "spin() -> void");
		/* the terminal escape is not printed as the guest sent it */
		guest_fn_format(&fs[2], line, sizeof line);
		CHECK_STR(line, "bad?[2Jname(type#200) -> type#42");
		guest_fn_format(&fs[3], line, sizeof line);
		CHECK_STR(line, "echo(bytes) -> bytes");
		/* a small buffer is cut, never overrun */
		char tiny[8];
		memset(tiny, 'Z', sizeof tiny);
		guest_fn_format(&fs[0], tiny, 6);
		CHECK_STR(tiny, "add(i");
		CHECK(tiny[6] == 'Z');
		free(fs);
	}
	/* every truncation is refused (and read nothing past the end: ASan) */
	for (size_t cut = 0; cut < n; cut++) {
		uint8_t *copy = malloc(cut ? cut : 1);
		memcpy(copy, buf, cut);
		fs = (void *)1;
		CHECK_I64(guest_fns_decode(copy, cut, &fs, &count, &err), -1);
		CHECK(fs == NULL && count == 0);
		CHECK(err.code == SB_E_GUEST);
		free(copy);
	}
	struct sb_err e2 = { 0 };
	CHECK_I64(guest_fns_decode(buf, 5, &fs, &count, &e2), -1);
	CHECK_CONTAINS(e2.msg, "function 1 of 4: its name runs past the end (byte 3 of 5)");
	/* trailing bytes, a wrong version, too many parameters, an empty name */
	buf[n] = 0;
	CHECK_I64(guest_fns_decode(buf, n + 1, &fs, &count, &e2), -1);
	CHECK_CONTAINS(e2.msg, "1 bytes after its 4 functions");
	uint8_t v[] = { 99, 0 };
	CHECK_I64(guest_fns_decode(v, sizeof v, &fs, &count, &e2), -1);
	CHECK_CONTAINS(e2.msg, "version 99, this host reads 1");
	uint8_t many[64] = { SB_LIST_FUNCTIONS_VERSION, 1, 1, 'f', SB_T_VOID, SB_CALL_MAX_ARGS + 1 };
	CHECK_I64(guest_fns_decode(many, sizeof many, &fs, &count, &e2), -1);
	CHECK_CONTAINS(e2.msg, "function 1 ('f') has 17 parameters, at most 16");
	uint8_t empty[] = { SB_LIST_FUNCTIONS_VERSION, 1, 0, SB_T_VOID, 0 };
	CHECK_I64(guest_fns_decode(empty, sizeof empty, &fs, &count, &e2), -1);
	CHECK_CONTAINS(e2.msg, "its empty name runs past the end");
	uint8_t none[] = { SB_LIST_FUNCTIONS_VERSION, 0 };
	if (CHECK_I64(guest_fns_decode(none, sizeof none, &fs, &count, &e2), 0)) {
		CHECK_U64(count, 0);
		free(fs);
	}
	/* the longest name and every parameter */
	uint8_t big[2 + 1 + 255 + 2 + 16];
	size_t k = 0;
	big[k++] = SB_LIST_FUNCTIONS_VERSION;
	big[k++] = 1;
	big[k++] = 255;
	memset(big + k, 'n', 255);
	k += 255;
	big[k++] = SB_T_STRING;
	big[k++] = 16;
	memset(big + k, SB_T_F32, 16);
	k += 16;
	if (CHECK_I64(guest_fns_decode(big, k, &fs, &count, &e2), 0)) {
		char line[SB_NAME_MAX + 1 + SB_CALL_MAX_ARGS * 10 + 32];
		guest_fn_format(&fs[0], line, sizeof line);
		CHECK_U64(strlen(line), 255 + 1 + 16 * 3 + 15 * 2 + 11);
		CHECK_CONTAINS(line, "(f32, f32, ");
		CHECK_CONTAINS(line, "f32) -> string");
		free(fs);
	}
	/* a name registered again is marked (only the first runs); names that
	 * differ only in bytes printed as '?' are not, nor a longer name */
	uint8_t d[256];
	size_t m = 0;
	d[m++] = SB_LIST_FUNCTIONS_VERSION;
	d[m++] = 6;
	m += put_fn(d + m, "add", SB_T_I64, 0, NULL);
	m += put_fn(d + m, "a\x01", SB_T_I64, 0, NULL);
	m += put_fn(d + m, "a\x02", SB_T_I64, 0, NULL);
	m += put_fn(d + m, "addd", SB_T_I64, 0, NULL);
	m += put_fn(d + m, "add", SB_T_VOID, 1, (const uint8_t[]){ SB_T_U64 });
	m += put_fn(d + m, "add", SB_T_I64, 0, NULL);
	if (CHECK_I64(guest_fns_decode(d, m, &fs, &count, &e2), 0) && CHECK_U64(count, 6)) {
		CHECK_U64(fs[0].dup_of, 0);
		CHECK_U64(fs[1].dup_of, 0);
		CHECK_U64(fs[2].dup_of, 0);
		CHECK_U64(fs[3].dup_of, 0);
		CHECK_U64(fs[4].dup_of, 1);
		CHECK_U64(fs[5].dup_of, 1);
		CHECK_U64(guest_fns_duplicates(fs, count), 2);
		char line[SB_NAME_MAX + 1 + SB_CALL_MAX_ARGS * 10 + 32 + 48];
		guest_fn_format(&fs[4], line, sizeof line);
		CHECK_STR(line, "add(u64) -> void  (registered twice: only the first runs)");
		guest_fn_format(&fs[0], line, sizeof line);
		CHECK_STR(line, "add() -> i64");
		free(fs);
	}
}

/* The shipped scenarios/guest-io.ini parses, and its map file is found
 * from its own directory, inside it. */
static void test_shipped(const char *path)
{
	struct scenario_set set = { 0 };
	struct sb_err err = { 0 };
	if (!CHECK_I64(scenario_set_parse_file(&set, path, &err), 0)) {
		fprintf(stderr, "  %s\n", err.msg);
		return;
	}
	CHECK_U64(set.n, 4);
	for (size_t i = 0; i < set.n; i++) {
		CHECK_U64(set.items[i].cfg.host_functions, 1);
		if (!CHECK_I64(scenario_check_files(&set.items[i], &err), 0) ||
		    !CHECK_I64(scenario_check_paths(&set.items[i], &err), 0))
			fprintf(stderr, "  %s\n", err.msg);
	}
	scenario_set_free(&set);
}

int main(int argc, char **argv)
{
	if (argc > 1)
		test_shipped(argv[1]);
	test_expected_results();
	test_map();
	test_cancel();
	test_host_functions();
	test_copies();
	test_guest_fns();
	return check_done();
}
