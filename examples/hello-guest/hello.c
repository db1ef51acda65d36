/* hello.c — a snapbench guest written outside the tree, against the
 * installed SDK (README, "Writing your own guest"). Two functions:
 *
 *   greet(string) -> string   "hello, NAME!"
 *   add(i64, i64) -> i64      the sum
 *
 * Build: make (the Makefile asks pkg-config for the flags); run:
 * snapbench run hello.ini.
 */
#include <snapbench/guest.h>

/* greet's reply. A string result is a view the runtime copies into the
 * output buffer after the function returns, so it must outlive the call:
 * static, not on the stack. */
static char reply[SB_GUEST_ERR_MAX];

static int greet(const struct sb_value *args, struct sb_value *ret, struct sb_guest_error *err)
{
	static const char hello[] = "hello, ";
	uint32_t n = args[0].as.buf.len; /* strings are not NUL-terminated */
	if (n > sizeof reply - sizeof hello - 1) {
		sb_error_set(err, SB_CALL_E_BAD_ARGUMENTS, "name too long");
		return -1;
	}
	memcpy(reply, hello, sizeof hello - 1);
	memcpy(reply + sizeof hello - 1, args[0].as.buf.ptr, n);
	reply[sizeof hello - 1 + n] = '!';
	ret->as.buf.ptr = (const uint8_t *)reply;
	ret->as.buf.len = (uint32_t)(sizeof hello + n);
	return 0;
}

static int add(const struct sb_value *args, struct sb_value *ret, struct sb_guest_error *err)
{
	(void)err;
	ret->as.i64 = args[0].as.i64 + args[1].as.i64;
	return 0;
}

static const struct sb_guest_function greet_fn = {
	.name = "greet", .nparams = 1, .params = { SB_T_STRING }, .ret = SB_T_STRING, .fn = greet,
};
static const struct sb_guest_function add_fn = {
	.name = "add", .nparams = 2, .params = { SB_T_I64, SB_T_I64 }, .ret = SB_T_I64, .fn = add,
};

/* Runs once, when the sandbox is created (its state is in every snapshot
 * taken later): register the functions. */
void sb_guest_main(void)
{
	sb_register(&greet_fn);
	sb_register(&add_fn);
	sb_log(1, "hello guest ready");
}
