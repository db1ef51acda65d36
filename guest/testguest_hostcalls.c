/* testguest_hostcalls.c — the test guest's way to the workbench's
 * built-in host functions (workbench/host_fns.h: echo, add, sleep_ns,
 * fail), so a scenario can exercise guest -> host calls:
 *
 *   host_echo(bytes) -> bytes    echo(bytes), its reply returned
 *   host_add(i64, i64) -> i64    add(a, b)
 *   host_sleep(u64) -> void      sleep_ns(ns)
 *   host_fail() -> void          fail(): the call fails with the host's error
 *   host_loop(string, u64) -> u64
 *                                n calls of one of them back to back (echo
 *                                with 8 bytes, add(i, 1), sleep_ns(0),
 *                                fail()); returns how many succeeded. The
 *                                runner times each round trip from one host
 *                                call's entry to the next's (runner.h).
 */
#include "arch.h"
#include "internal.h"

static int host1(const char *name, const struct sb_value *args, unsigned n, struct sb_value *ret,
		 struct sb_guest_error *err)
{
	return sb_host_call(name, args, n, ret, err);
}

static int fn_host_echo(const struct sb_value *args, struct sb_value *ret,
			struct sb_guest_error *err)
{
	struct sb_value r;
	if (host1("echo", args, 1, &r, err))
		return -1;
	if (r.type != SB_T_BYTES) {
		sb_error_set(err, SB_CALL_E_HOST, "echo did not return bytes");
		return -1;
	}
	/* a view into the input buffer: valid until the next host call, and
	 * the runtime encodes the result before any */
	ret->as.buf = r.as.buf;
	return 0;
}

static int fn_host_add(const struct sb_value *args, struct sb_value *ret,
		       struct sb_guest_error *err)
{
	struct sb_value r;
	if (host1("add", args, 2, &r, err))
		return -1;
	if (r.type != SB_T_I64) {
		sb_error_set(err, SB_CALL_E_HOST, "add did not return an i64");
		return -1;
	}
	ret->as.i64 = r.as.i64;
	return 0;
}

static int fn_host_sleep(const struct sb_value *args, struct sb_value *ret,
			 struct sb_guest_error *err)
{
	(void)ret;
	struct sb_value r;
	return host1("sleep_ns", args, 1, &r, err) ? -1 : 0;
}

static int fn_host_fail(const struct sb_value *args, struct sb_value *ret,
			struct sb_guest_error *err)
{
	(void)args;
	(void)ret;
	struct sb_value r;
	if (host1("fail", 0, 0, &r, err))
		return -1;
	sb_error_set(err, SB_CALL_E_FAILED, "fail() returned instead of failing");
	return -1;
}

static bool name_is(const struct sb_value *v, const char *s)
{
	size_t n = strlen(s);
	return v->as.buf.len == n && memcmp(v->as.buf.ptr, s, n) == 0;
}

static int fn_host_loop(const struct sb_value *args, struct sb_value *ret,
			struct sb_guest_error *err)
{
	static const uint8_t eight[8] = { 's', 'n', 'a', 'p', 'b', 'e', 'n', 'c' };
	const char *name;
	if (name_is(&args[0], "echo"))
		name = "echo";
	else if (name_is(&args[0], "add"))
		name = "add";
	else if (name_is(&args[0], "sleep_ns"))
		name = "sleep_ns";
	else if (name_is(&args[0], "fail"))
		name = "fail";
	else {
		sb_error_set(err, SB_CALL_E_BAD_ARGUMENTS, "host_loop: want echo, add, sleep_ns or fail");
		return -1;
	}
	uint64_t n = args[1].as.u64, ok = 0;
	for (uint64_t i = 0; i < n; i++) {
		struct sb_value a[2], r;
		unsigned na = 0;
		if (name[0] == 'e') {
			a[0] = (struct sb_value){ .type = SB_T_BYTES };
			a[0].as.buf.ptr = eight;
			a[0].as.buf.len = sizeof eight;
			na = 1;
		} else if (name[0] == 'a') {
			a[0] = (struct sb_value){ .type = SB_T_I64, .as.i64 = (int64_t)i };
			a[1] = (struct sb_value){ .type = SB_T_I64, .as.i64 = 1 };
			na = 2;
		} else if (name[0] == 's') {
			a[0] = (struct sb_value){ .type = SB_T_U64, .as.u64 = 0 };
			na = 1;
		}
		struct sb_guest_error e;
		if (sb_host_call(name, a, na, &r, &e) == 0)
			ok++;
	}
	ret->as.u64 = ok;
	return 0;
}

#define T(x) SB_T_##x
static const struct sb_guest_function defs[] = {
	{ "host_echo", 1, { T(BYTES) }, T(BYTES), fn_host_echo },
	{ "host_add", 2, { T(I64), T(I64) }, T(I64), fn_host_add },
	{ "host_sleep", 1, { T(U64) }, T(VOID), fn_host_sleep },
	{ "host_fail", 0, { T(VOID) }, T(VOID), fn_host_fail },
	{ "host_loop", 2, { T(STRING), T(U64) }, T(U64), fn_host_loop },
};

void testguest_register_hostcalls(void)
{
	for (unsigned i = 0; i < sizeof defs / sizeof defs[0]; i++)
		sb_register(&defs[i]);
}
