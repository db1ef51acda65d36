/* test_sandbox_calls.c — create a sandbox from the test guest and call
 * every well-behaved function: results, errors that leave the sandbox
 * usable, host calls, logs, and copy-on-write page accounting.
 * Usage: test_sandbox_calls TESTGUEST_ELF */
#include <stdlib.h>

#include "fixture.h"
#include "sandbox_internal.h"

static char last_log[256];
static uint8_t last_level;
static unsigned logs;

static void on_log(void *ctx, uint8_t level, const char *msg, size_t len)
{
	(void)ctx;
	snprintf(last_log, sizeof last_log, "%.*s", (int)len, msg);
	last_level = level;
	logs++;
}

static int host_add_one(void *ctx, const struct sb_value *args, unsigned nargs,
			struct sb_value *ret, char *errmsg, size_t n)
{
	(void)ctx;
	(void)nargs;
	if (args[0].as.i64 < 0) {
		snprintf(errmsg, n, "negative input %lld", (long long)args[0].as.i64);
		return -1;
	}
	ret->as.i64 = args[0].as.i64 + 1;
	return 0;
}

static void test_results(struct sandbox *sb)
{
	struct sb_err err;
	int64_t r = 0;
	CHECK_I64(call_i64_2(sb, "add", 40, 2, &r, &err), 0);
	CHECK_I64(r, 42);
	CHECK_U64(sandbox_last_call_exits(sb), 1); /* one exit per call, nothing else */
	CHECK_I64(call_i64_2(sb, "add", -5, 3, &r, &err), 0);
	CHECK_I64(r, -2);

	struct sb_value f = { .type = SB_T_F64, .as.f64 = 2.5 }, ret;
	CHECK_I64(sandbox_call(sb, "fneg", &f, 1, &ret, &err), 0);
	CHECK(ret.type == SB_T_F64 && ret.as.f64 == -2.5);
	f = (struct sb_value){ .type = SB_T_F32, .as.f32 = 1.0f };
	CHECK_I64(sandbox_call(sb, "f32_bits", &f, 1, &ret, &err), 0);
	CHECK(ret.type == SB_T_U32 && ret.as.u32 == 0x3f800000);

	static uint8_t payload[8000];
	for (size_t i = 0; i < sizeof payload; i++)
		payload[i] = (uint8_t)(i * 7 + 3);
	size_t sizes[] = { 0, 1, 100, sizeof payload };
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		struct sb_value b = { .type = SB_T_BYTES };
		b.as.buf.ptr = payload;
		b.as.buf.len = (uint32_t)sizes[i];
		if (!CHECK_I64(sandbox_call(sb, "echo", &b, 1, &ret, &err), 0))
			fprintf(stderr, "  echo %zu: %s\n", sizes[i], err.msg);
		CHECK(ret.type == SB_T_BYTES && ret.as.buf.len == sizes[i] &&
		      memcmp(ret.as.buf.ptr, payload, sizes[i]) == 0);
	}
	uint64_t gen = 99;
	CHECK_I64(call_u64_1(sb, "read_generation", 0, &gen, &err), -1); /* takes no argument */
	CHECK_U64(err.code, SB_E_CALL);
	struct sb_value none;
	CHECK_I64(sandbox_call(sb, "read_generation", NULL, 0, &none, &err), 0);
	CHECK(none.type == SB_T_U64 && none.as.u64 == 0);
}

/* Errors a function reports leave the sandbox ready. */
static void test_call_errors(struct sandbox *sb)
{
	struct sb_err err;
	int64_t r;
	struct sb_value ret;
	CHECK_I64(call_i64_2(sb, "no_such_function", 1, 2, &r, &err), -1);
	CHECK_U64(err.code, SB_E_CALL);
	CHECK_CONTAINS(err.msg, "no such guest function");
	struct sb_value wrong[2] = { v_str("x"), v_i64(1) };
	CHECK_I64(sandbox_call(sb, "add", wrong, 2, &ret, &err), -1);
	CHECK_U64(err.code, SB_E_CALL);
	CHECK_CONTAINS(err.msg, "wrong type");
	CHECK_I64(sandbox_call(sb, "add", wrong, 1, &ret, &err), -1);
	CHECK_CONTAINS(err.msg, "wrong number of arguments");

	/* Bigger than the 16 KiB input buffer: refused before running. */
	static uint8_t big[20000];
	struct sb_value b = { .type = SB_T_BYTES };
	b.as.buf.ptr = big;
	b.as.buf.len = sizeof big;
	CHECK_I64(sandbox_call(sb, "echo", &b, 1, &ret, &err), -1);
	CHECK_U64(err.code, SB_E_TOO_BIG);
	CHECK_CONTAINS(err.msg, "input buffer");
	/* A call the encoder cannot express is a bad argument, not a size. */
	struct sb_value many[SB_CALL_MAX_ARGS + 1];
	for (unsigned i = 0; i <= SB_CALL_MAX_ARGS; i++)
		many[i] = v_i64(i);
	CHECK_I64(sandbox_call(sb, "add", many, SB_CALL_MAX_ARGS + 1, &ret, &err), -1);
	CHECK_U64(err.code, SB_E_INVAL);
	CHECK_CONTAINS(err.msg, "arguments (at most");
	struct sb_value bad = { .type = (enum sb_type)SB_T__COUNT };
	CHECK_I64(sandbox_call(sb, "add", &bad, 1, &ret, &err), -1);
	CHECK_U64(err.code, SB_E_INVAL);
	CHECK_I64(sandbox_call(sb, "", NULL, 0, &ret, &err), -1);
	CHECK_U64(err.code, SB_E_INVAL);
	CHECK_U64(sandbox_status(sb), SANDBOX_READY);

	uint64_t sum;
	CHECK_I64(call_u64_1(sb, "touch_pages", 1000000, &sum, &err), -1);
	CHECK_CONTAINS(err.msg, "more pages than the heap has");
	CHECK_U64(sandbox_status(sb), SANDBOX_READY);
	CHECK_I64(call_i64_2(sb, "add", 1, 1, &r, &err), 0);
}

static void test_host_calls(struct sandbox *sb)
{
	struct sb_err err;
	struct sb_value args[2] = { v_str("host_add_one"), v_i64(41) }, ret;
	if (!CHECK_I64(sandbox_call(sb, "call_host", args, 2, &ret, &err), 0))
		fprintf(stderr, "  %s\n", err.msg);
	CHECK(ret.type == SB_T_I64 && ret.as.i64 == 42);
	CHECK_U64(sandbox_last_call_exits(sb), 2); /* the host call + done */

	args[1] = v_i64(-3);
	CHECK_I64(sandbox_call(sb, "call_host", args, 2, &ret, &err), -1);
	CHECK_U64(err.code, SB_E_CALL);
	CHECK_CONTAINS(err.msg, "negative input -3");

	args[0] = v_str("missing_host_fn");
	CHECK_I64(sandbox_call(sb, "call_host", args, 2, &ret, &err), -1);
	CHECK_CONTAINS(err.msg, "no such host function");
	CHECK_U64(sandbox_status(sb), SANDBOX_READY);

	struct sb_value msg = v_str("hello from the guest");
	CHECK_I64(sandbox_call(sb, "log_message", &msg, 1, &ret, &err), 0);
	CHECK_U64(logs, 1);
	CHECK_U64(last_level, 3);
	CHECK_STR(last_log, "hello from the guest");
}

/* Copy-on-write: dirtying n new heap pages takes exactly n scratch pages
 * and n faults. Under host-cow the sandbox runs from an ELF snapshot whose
 * heap pages are each mapped once, so all are written in place: none. */
static void test_cow_accounting(struct sandbox *sb)
{
	struct sb_err err;
	uint64_t sum = 0, before, after;
	CHECK_I64(call_u64_1(sb, "touch_pages", 0, &sum, &err), 0); /* warm the stack */
	struct { uint64_t n, new_pages; } steps[] = { { 5, 5 }, { 5, 0 }, { 8, 3 }, { 32, 24 } };
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		before = sandbox_scratch_pages_used(sb);
		CHECK_I64(call_u64_1(sb, "touch_pages", steps[i].n, &sum, &err), 0);
		after = sandbox_scratch_pages_used(sb);
		uint64_t want_new = sandbox_restore_strategy(sb) == SANDBOX_RESTORE_HOST_COW
					    ? 0 : steps[i].new_pages;
		if (!sb->cfg.guest_copies_pages)
			CHECK_U64(sandbox_last_call_cow_faults(sb), want_new);
		if (!CHECK_U64(after - before, want_new))
			fprintf(stderr, "  touch_pages(%llu)\n", (unsigned long long)steps[i].n);
		uint64_t want = 0;
		for (uint64_t p = 1; p <= steps[i].n; p++)
			want += p * 0x9E3779B97F4A7C15ull;
		CHECK_U64(sum, want);
	}
	/* The guest and host agree on the allocator word. */
	struct sb_value ret;
	CHECK_I64(sandbox_call(sb, "scratch_next_free", NULL, 0, &ret, &err), 0);
	CHECK_U64(ret.as.u64, mgr_next_free_gpa(&sb->mem));
}

int main(int argc, char **argv)
{
	struct snapshot *snap = fixture_main(argc, argv, "TESTGUEST_ELF");
	struct sandbox_host_fn_def host_fns[] = {
		{ .name = "host_add_one", .ret = SB_T_I64, .nparams = 1, .params = { SB_T_I64 },
		  .fn = host_add_one },
	};
	/* Every guest mode and both ways of copying pages behave the same. */
	static const struct {
		const char *what;
		enum sandbox_guest_mode mode;
		bool guest_copies;
	} configs[] = {
		{ "ring 3, host copies", SANDBOX_MODE_USER, false },
		{ "ring 0, host copies", SANDBOX_MODE_KERNEL, false },
		{ "ring 3, guest copies", SANDBOX_MODE_USER, true },
	};
	for (size_t i = 0; i < sizeof configs / sizeof configs[0]; i++) {
		unsigned failed_before = check_failed;
		struct sandbox_config cfg = fixture_config();
		cfg.host_fns = host_fns;
		cfg.n_host_fns = 1;
		cfg.on_log = on_log;
		cfg.mode = configs[i].mode;
		cfg.guest_copies_pages = configs[i].guest_copies;
		logs = 0;
		struct sandbox *sb = fixture_sandbox(snap, &cfg);
		CHECK_U64(sandbox_status(sb), SANDBOX_READY);
		test_results(sb);
		test_call_errors(sb);
		test_host_calls(sb);
		test_cow_accounting(sb);
		sandbox_destroy(sb);
		if (check_failed != failed_before)
			fprintf(stderr, "  (config: %s)\n", configs[i].what);
	}
	snap_unref(snap);
	return check_done();
}
