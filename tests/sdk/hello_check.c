/* hello_check.c — the hello example (examples/hello-guest/hello.c) with one
 * more function, check_hello(), that calls its functions with known
 * arguments and fails, naming what it got, when a result is wrong: a run
 * of `call check_hello()` fails unless the example computes what it says.
 * Built out of tree against the installed SDK, like the example
 * (tests/sdk/test_sdk.sh; -I the example's directory). */
#define sb_guest_main hello_main
#include "hello.c"
#undef sb_guest_main

void sb_guest_main(void);

static int fail(struct sb_guest_error *err, const char *what, const char *got, size_t n)
{
	char msg[SB_GUEST_ERR_MAX];
	size_t len = strlen(what);
	memcpy(msg, what, len);
	if (n > sizeof msg - len - 1)
		n = sizeof msg - len - 1;
	memcpy(msg + len, got, n);
	msg[len + n] = '\0';
	sb_error_set(err, SB_CALL_E_FAILED, msg);
	return -1;
}

static int check_hello(const struct sb_value *args, struct sb_value *ret,
		       struct sb_guest_error *err)
{
	(void)args;
	static const char name[] = "world", want[] = "hello, world!";
	struct sb_value a[2] = { { .type = SB_T_STRING } }, r = { .type = SB_T_STRING };
	a[0].as.buf.ptr = (const uint8_t *)name;
	a[0].as.buf.len = sizeof name - 1;
	if (greet(a, &r, err) != 0)
		return -1;
	if (r.as.buf.len != sizeof want - 1 || memcmp(r.as.buf.ptr, want, sizeof want - 1) != 0)
		return fail(err, "greet(\"world\") returned: ", (const char *)r.as.buf.ptr,
			    r.as.buf.len);
	a[0] = (struct sb_value){ .type = SB_T_I64, .as.i64 = 40 };
	a[1] = (struct sb_value){ .type = SB_T_I64, .as.i64 = -42 };
	r = (struct sb_value){ .type = SB_T_I64 };
	if (add(a, &r, err) != 0)
		return -1;
	if (r.as.i64 != -2) {
		char v[24];
		size_t n = sb_fmt_u64(v, (uint64_t)r.as.i64, 16);
		return fail(err, "add(40, -42) returned 0x", v, n);
	}
	/* The address-space operations come from their own archive
	 * (libsnapbench-guest-aspace.a): this links only if the .pc names it. */
	if (sb_address_space_count() > 16)
		return fail(err, "sb_address_space_count() above 16", "", 0);
	ret->as.b = true;
	return 0;
}

static const struct sb_guest_function check_fn = {
	.name = "check_hello", .nparams = 0, .ret = SB_T_BOOL, .fn = check_hello,
};

void sb_guest_main(void)
{
	hello_main();
	sb_register(&check_fn);
}
