/* test_leak.c — 100 full create/run/destroy cycles (kvm_open .. kvm_close,
 * with a deadline timer and a cancel in each) leave no file descriptor, no
 * mapping and no POSIX timer behind. */
#include <dirent.h>
#include <sys/mman.h>

#include "vmm_test.h"

#define CYCLES 100

static const uint8_t guest[] = {
	0xe6, 0x10, /* out 0x10, al */
	0xf4,       /* hlt          */
	0xeb, 0xfe, /* jmp $        */
};

static long count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return -1;
	long n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1; /* the DIR's own fd */
}

static long count_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	long n = 0;
	int c;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

static bool cycle(void)
{
	struct kvm *kvm = test_kvm_open_or_skip();
	struct test_vm t;
	test_vm_create(kvm, &t, 0x10000, guest, sizeof guest);
	bool ok = RUN_EXPECT_OUT(&t, 0x10, 1, 0);
	struct vcpu_exit exit;
	ok &= RUN_EXPECT(&t, &exit, VCPU_EXIT_HLT);
	/* Spin until a near deadline: creates and fires the deadline timer. */
	vcpu_set_deadline(t.vcpu, vmm_now_ns() + 1000000);
	struct sb_err err = { 0 };
	ok &= CHECK(vcpu_run(t.vcpu, &exit, &err) == -1 && err.code == SB_E_CANCELLED);
	ok &= CHECK(count_lines("/proc/self/timers") > 0); /* the count below can see timers */
	vcpu_cancel_reset(t.vcpu);
	vcpu_cancel(t.vcpu);
	ok &= CHECK(vcpu_run(t.vcpu, &exit, &err) == -1 && exit.cancel == VCPU_CANCEL_REQUESTED);
	test_vm_destroy(&t);
	kvm_close(kvm);
	return ok;
}

int main(void)
{
	kvm_close(test_kvm_open_or_skip());
	cycle(); /* warm-up: first-use allocations (malloc arenas, libc) */

	long fds0 = count_fds(), maps0 = count_lines("/proc/self/maps");
	long timers0 = count_lines("/proc/self/timers");
	unsigned failed = 0;
	for (int i = 0; i < CYCLES; i++)
		failed += !cycle();
	long fds1 = count_fds(), maps1 = count_lines("/proc/self/maps");
	long timers1 = count_lines("/proc/self/timers");

	CHECK_U64(failed, 0);
	CHECK(fds0 > 0);
	CHECK(maps0 > 0);
	CHECK_I64(fds1, fds0);
	CHECK_I64(maps1, maps0);
	CHECK_I64(timers1, timers0);
	printf("%d cycles: fds %ld -> %ld, maps %ld -> %ld lines, timers %ld -> %ld lines\n", CYCLES,
	       fds0, fds1, maps0, maps1, timers0, timers1);
	return check_done();
}
