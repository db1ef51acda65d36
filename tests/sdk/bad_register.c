/* bad_register.c — a guest that registers a function no call could reach
 * (test_sdk.sh builds it once per -DBAD=N): the create must abort, saying
 * which rule the function breaks, instead of registering it in silence.
 *   1  a name of SB_NAME_MAX + 1 bytes   2  an empty name
 *   3  SB_CALL_MAX_ARGS + 1 parameters   4  a parameter of type void
 *   5  the reserved name __sb_functions  6  SB_GUEST_MAX_FUNCTIONS + 1 functions
 *   7  a result of type 42
 *   8  a name registered twice ('f01' as functions 2 and 4): accepted by the
 *      runtime (it does not compare names), marked by the host
 *   0  none of these: 64 functions, one of a 255-byte name (accepted) */
#include <snapbench/guest.h>

static int one(const struct sb_value *args, struct sb_value *ret, struct sb_guest_error *err)
{
	(void)args;
	(void)err;
	ret->as.i64 = 1;
	return 0;
}

static char long_name[SB_NAME_MAX + 2];
static char names[SB_GUEST_MAX_FUNCTIONS + 1][4];
static struct sb_guest_function fns[SB_GUEST_MAX_FUNCTIONS + 1];

void sb_guest_main(void)
{
	unsigned n = BAD == 6 ? SB_GUEST_MAX_FUNCTIONS + 1 : SB_GUEST_MAX_FUNCTIONS;
	for (unsigned i = 0; i < n; i++) {
		names[i][0] = 'f';
		names[i][1] = (char)('0' + i / 10);
		names[i][2] = (char)('0' + i % 10);
		fns[i].name = names[i];
		fns[i].ret = SB_T_I64;
		fns[i].fn = one;
	}
	memset(long_name, 'a', BAD == 1 ? SB_NAME_MAX + 1 : SB_NAME_MAX);
	fns[0].name = BAD == 2 ? "" : BAD == 5 ? SB_LIST_FUNCTIONS_CALL : long_name;
	if (BAD == 3)
		fns[1].nparams = SB_CALL_MAX_ARGS + 1;
	if (BAD == 4)
		fns[1].nparams = 1; /* params[0] is SB_T_VOID (0) */
	if (BAD == 7)
		fns[2].ret = (enum sb_type)42;
	if (BAD == 8)
		fns[3].name = names[1];
	for (unsigned i = 0; i < n; i++)
		sb_register(&fns[i]);
}
