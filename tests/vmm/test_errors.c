/* test_errors.c — failures carry the ioctl's name and errno text; memslot
 * bookkeeping; exit-reason names; unexpected exits become named errors. */
#include <errno.h>
#include <sys/mman.h>

#include "vmm_test.h"

static const uint8_t hlt_guest[] = { 0xf4 }; /* hlt */

static void check_ioctl_tiers(void)
{
	struct sb_err err = { 0 };
	CHECK_I64(kvm_ioctl_raw(-1, KVM_GET_API_VERSION, NULL), -EBADF);
	CHECK_I64(KVM_IOCTL(-1, KVM_GET_API_VERSION, 0, &err), -EBADF);
	CHECK_U64(err.code, SB_E_KVM);
	CHECK_STR(err.msg, "KVM_GET_API_VERSION failed: Bad file descriptor");
	/* A NULL error sink is allowed. */
	CHECK_I64(KVM_IOCTL(-1, KVM_RUN, 0, NULL), -EBADF);
}

static void check_names(void)
{
	static const struct {
		uint32_t reason;
		const char *name;
	} cases[] = {
		{ KVM_EXIT_UNKNOWN, "KVM_EXIT_UNKNOWN" },
		{ KVM_EXIT_IO, "KVM_EXIT_IO" },
		{ KVM_EXIT_HLT, "KVM_EXIT_HLT" },
		{ KVM_EXIT_MMIO, "KVM_EXIT_MMIO" },
		{ KVM_EXIT_SHUTDOWN, "KVM_EXIT_SHUTDOWN" },
		{ KVM_EXIT_FAIL_ENTRY, "KVM_EXIT_FAIL_ENTRY" },
		{ KVM_EXIT_INTERNAL_ERROR, "KVM_EXIT_INTERNAL_ERROR" },
		{ KVM_EXIT_NOTIFY, "KVM_EXIT_NOTIFY" },
		{ 9999, "KVM_EXIT_<unknown>" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		CHECK_STR(kvm_exit_reason_name(cases[i].reason), cases[i].name);
	CHECK_STR(kvm_internal_error_name(KVM_INTERNAL_ERROR_EMULATION), "emulation failure");
	CHECK_STR(kvm_internal_error_name(1000), "unknown suberror");
	CHECK_STR(vcpu_cancel_reason_name(VCPU_CANCEL_DEADLINE), "deadline");
}

static void check_memslots(struct kvm *kvm)
{
	struct sb_err err = { 0 };
	struct test_vm t;
	test_vm_create(kvm, &t, 0x10000, hlt_guest, sizeof hlt_guest);
	uint8_t *page = mmap(NULL, 2 * SB_PAGE_SIZE, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(page != MAP_FAILED);

	/* KVM refuses a GPA that is not page aligned: its error, named. */
	CHECK_I64(vm_set_memslot(t.vm, 1, 0x100001, page, SB_PAGE_SIZE, false, &err), -1);
	CHECK_U64(err.code, SB_E_KVM);
	CHECK_CONTAINS(err.msg, "KVM_SET_USER_MEMORY_REGION failed: Invalid argument");
	CHECK_CONTAINS(err.msg, "memslot 1");
	CHECK(!t.vm->slots[1].used);

	/* Overlapping slot 0 (GPA 0..64 KiB). */
	sb_err_clear(&err);
	CHECK_I64(vm_set_memslot(t.vm, 2, 0x8000, page, SB_PAGE_SIZE, false, &err), -1);
	CHECK_CONTAINS(err.msg, "KVM_SET_USER_MEMORY_REGION failed: File exists");

	/* Our own checks. */
	CHECK_I64(vm_set_memslot(t.vm, VM_MAX_MEMSLOTS, 0x100000, page, SB_PAGE_SIZE, false, &err),
		  -1);
	CHECK_U64(err.code, SB_E_RANGE);
	CHECK_I64(vm_set_memslot(t.vm, 0, 0x100000, page, SB_PAGE_SIZE, false, &err), -1);
	CHECK_U64(err.code, SB_E_STATE);
	CHECK_I64(vm_set_memslot(t.vm, 3, 0x100000, page, 0, false, &err), -1);
	CHECK_U64(err.code, SB_E_INVAL);
	CHECK_I64(vm_delete_memslot(t.vm, 5, &err), -1);
	CHECK_U64(err.code, SB_E_STATE);

	/* Add, translate, delete, re-add elsewhere. */
	CHECK_I64(vm_set_memslot(t.vm, 1, 0x100000, page, 2 * SB_PAGE_SIZE, false, &err), 0);
	CHECK(vm_gpa2hva(t.vm, 0x100000, 2 * SB_PAGE_SIZE) == page);
	CHECK(vm_gpa2hva(t.vm, 0x101fff, 1) == page + 0x1fff);
	CHECK(vm_gpa2hva(t.vm, 0x101fff, 2) == NULL);   /* runs off the slot */
	CHECK(vm_gpa2hva(t.vm, 0xfffff, 1) == NULL);
	CHECK(vm_gpa2hva(t.vm, 0x1000, 1) == t.mem + 0x1000);
	CHECK_I64(vm_delete_memslot(t.vm, 1, &err), 0);
	CHECK(vm_gpa2hva(t.vm, 0x100000, 1) == NULL);
	CHECK_I64(vm_set_memslot(t.vm, 1, 0x200000, page, SB_PAGE_SIZE, true, &err), 0);

	struct vcpu_exit exit;
	RUN_EXPECT(&t, &exit, VCPU_EXIT_HLT);

	/* An exit the loop does not expect (single-step debug) is an error
	 * naming the exit. */
	struct kvm_guest_debug dbg = {
		.control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP,
	};
	if (KVM_IOCTL(t.vcpu->fd, KVM_SET_GUEST_DEBUG, &dbg, &err) == 0) {
		CHECK(vcpu_setup_real_mode(t.vcpu, TEST_CODE_GPA, &err) == 0);
		sb_err_clear(&err);
		CHECK_I64(vcpu_run(t.vcpu, &exit, &err), -1);
		CHECK_U64(exit.kind, VCPU_EXIT_UNEXPECTED);
		CHECK_U64(err.code, SB_E_KVM);
		CHECK_CONTAINS(err.msg, "unexpected exit KVM_EXIT_DEBUG (4)");
	} else {
		printf("note: %s; unexpected-exit check not run\n", err.msg);
	}

	test_vm_destroy(&t);
	munmap(page, 2 * SB_PAGE_SIZE);
}

int main(void)
{
	check_ioctl_tiers();
	check_names();
	struct kvm *kvm = test_kvm_open_or_skip();
	CHECK(kvm->vcpu_mmap_bytes >= sizeof(struct kvm_run));
	CHECK(kvm->cpuid->nent > 0);
	CHECK(kvm_check_cap(kvm, KVM_CAP_READONLY_MEM) > 0);
	check_memslots(kvm);
	kvm_close(kvm);
	return check_done();
}
