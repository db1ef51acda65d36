/* test_mmio.c — a read-only memslot: guest reads see its contents, a guest
 * write becomes an MMIO exit with the address and data and leaves memory
 * unchanged; a read of unbacked GPA is an MMIO read the host completes. */
#include <sys/mman.h>

#include "vmm_test.h"

#define RO_GPA 0x20000      /* read-only slot, one page */
#define HOLE_GPA 0x30000    /* no slot here */

/* Real mode at 0x1000; DS selects the 64 KiB window being accessed. */
static const uint8_t mmio_guest[] = {
	0xb8, 0x00, 0x20,             /* mov ax, 0x2000       (DS base 0x20000 = RO_GPA) */
	0x8e, 0xd8,                   /* mov ds, ax                                      */
	0xa0, 0x10, 0x00,             /* mov al, [0x0010]     read the RO slot: 0x77     */
	0xe6, 0x10,                   /* out 0x10, al                                    */
	0xc6, 0x06, 0x20, 0x00, 0x99, /* mov byte [0x0020], 0x99  -> MMIO write 0x20020  */
	0xa0, 0x20, 0x00,             /* mov al, [0x0020]     still the old 0x55         */
	0xe6, 0x11,                   /* out 0x11, al                                    */
	0xb8, 0x00, 0x30,             /* mov ax, 0x3000       (DS base 0x30000: a hole)  */
	0x8e, 0xd8,                   /* mov ds, ax                                      */
	0xa0, 0x00, 0x01,             /* mov al, [0x0100]     -> MMIO read 0x30100       */
	0xe6, 0x12,                   /* out 0x12, al         the host's value           */
	0xf4,                         /* hlt                                             */
};

int main(void)
{
	struct kvm *kvm = test_kvm_open_or_skip();
	struct sb_err err = { 0 };
	struct test_vm t;
	test_vm_create(kvm, &t, 0x10000, mmio_guest, sizeof mmio_guest);

	uint8_t *ro = mmap(NULL, SB_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			   -1, 0);
	CHECK(ro != MAP_FAILED);
	ro[0x10] = 0x77;
	ro[0x20] = 0x55;
	if (!CHECK(vm_set_memslot(t.vm, 1, RO_GPA, ro, SB_PAGE_SIZE, true, &err) == 0))
		fprintf(stderr, "%s\n", err.msg);
	CHECK(t.vm->slots[1].readonly);
	CHECK(vm_gpa2hva(t.vm, RO_GPA + 0x10, 1) == ro + 0x10);

	RUN_EXPECT_OUT(&t, 0x10, 1, 0x77);

	struct vcpu_exit exit;
	if (RUN_EXPECT(&t, &exit, VCPU_EXIT_MMIO)) {
		CHECK_U64(exit.reason, KVM_EXIT_MMIO);
		CHECK_U64(exit.mmio.addr, RO_GPA + 0x20);
		CHECK(exit.mmio.is_write);
		CHECK_U64(exit.mmio.len, 1);
		CHECK_U64(exit.mmio.data[0], 0x99);
	}
	CHECK_U64(ro[0x20], 0x55); /* the write did not reach memory */
	RUN_EXPECT_OUT(&t, 0x11, 1, 0x55);

	if (RUN_EXPECT(&t, &exit, VCPU_EXIT_MMIO)) {
		CHECK_U64(exit.mmio.addr, HOLE_GPA + 0x100);
		CHECK(!exit.mmio.is_write);
		CHECK_U64(exit.mmio.len, 1);
		exit.mmio.data[0] = 0xab; /* completes the read on re-entry */
	}
	RUN_EXPECT_OUT(&t, 0x12, 1, 0xab);
	RUN_EXPECT(&t, &exit, VCPU_EXIT_HLT);

	test_vm_destroy(&t);
	munmap(ro, SB_PAGE_SIZE);
	kvm_close(kvm);
	return check_done();
}
