/* crash_guest.c — an SDK guest whose boom() dereferences NULL
 * (test_sdk.sh): gdb on its crash dump must list the runtime's frames from
 * the sources installed in share/snapbench/src, where the archive's debug
 * info names them. */
#include <snapbench/guest.h>

static int boom(const struct sb_value *args, struct sb_value *ret, struct sb_guest_error *err)
{
	(void)args;
	(void)err;
	ret->as.i64 = *(volatile long *)0;
	return 0;
}

static const struct sb_guest_function boom_fn = { .name = "boom", .ret = SB_T_I64, .fn = boom };

void sb_guest_main(void)
{
	sb_register(&boom_fn);
}
