/* test_io.c — port I/O exits deliver port, direction, size and data; IN
 * values supplied by the host reach the guest; re-entering continues the
 * guest; HLT exits. Real-mode guests, hand-assembled. */
#include "vmm_test.h"

/* Real mode at 0x1000. */
static const uint8_t io_guest[] = {
	0xb0, 0x42,                         /* mov al, 0x42                         */
	0xe6, 0x10,                         /* out 0x10, al       -> port 0x10, 1 B  */
	0xb8, 0x34, 0x12,                   /* mov ax, 0x1234                       */
	0xe7, 0x20,                         /* out 0x20, ax       -> port 0x20, 2 B  */
	0x66, 0xb8, 0x78, 0x56, 0x34, 0x12, /* mov eax, 0x12345678 (operand prefix) */
	0xba, 0xf8, 0x03,                   /* mov dx, 0x3f8                        */
	0x66, 0xef,                         /* out dx, eax        -> port 0x3f8, 4 B */
	0xe4, 0x30,                         /* in al, 0x30        -> IN exit         */
	0x04, 0x01,                         /* add al, 1                            */
	0xe6, 0x31,                         /* out 0x31, al       -> host value + 1  */
	0xb1, 0x05,                         /* mov cl, 5                            */
	0xb0, 0x00,                         /* mov al, 0                            */
	/* loop: */
	0xfe, 0xc0,                         /* inc al                               */
	0xe6, 0x40,                         /* out 0x40, al       -> 1, 2, 3, 4, 5   */
	0xfe, 0xc9,                         /* dec cl                               */
	0x75, 0xf8,                         /* jnz loop           (rel8 -8)          */
	0xf4,                               /* hlt                                  */
	0xb0, 0x99,                         /* mov al, 0x99       (after HLT)        */
	0xe6, 0x50,                         /* out 0x50, al                         */
	0xf4,                               /* hlt                                  */
};

int main(void)
{
	struct kvm *kvm = test_kvm_open_or_skip();
	struct test_vm t;
	test_vm_create(kvm, &t, 0x10000, io_guest, sizeof io_guest);

	RUN_EXPECT_OUT(&t, 0x10, 1, 0x42);
	RUN_EXPECT_OUT(&t, 0x20, 2, 0x1234);
	RUN_EXPECT_OUT(&t, 0x3f8, 4, 0x12345678);

	struct vcpu_exit exit;
	if (RUN_EXPECT(&t, &exit, VCPU_EXIT_IO)) {
		CHECK(!exit.io.is_out);
		CHECK_U64(exit.io.port, 0x30);
		CHECK_U64(exit.io.size, 1);
		CHECK_U64(exit.io.value, 0);
		exit.io.data[0] = 0x5a; /* the IN completes on re-entry */
	}
	RUN_EXPECT_OUT(&t, 0x31, 1, 0x5b);

	for (uint32_t i = 1; i <= 5; i++)
		RUN_EXPECT_OUT(&t, 0x40, 1, i);

	RUN_EXPECT(&t, &exit, VCPU_EXIT_HLT);
	CHECK_U64(exit.reason, KVM_EXIT_HLT);
	/* Re-entering after HLT continues with the next instruction. */
	RUN_EXPECT_OUT(&t, 0x50, 1, 0x99);
	RUN_EXPECT(&t, &exit, VCPU_EXIT_HLT);

	struct kvm_regs regs;
	struct sb_err err = { 0 };
	CHECK(vcpu_get_regs(t.vcpu, &regs, &err) == 0);
	CHECK_U64(regs.rip, TEST_CODE_GPA + sizeof io_guest);
	CHECK_U64(regs.rax & 0xff, 0x99);

	test_vm_destroy(&t);
	kvm_close(kvm);
	return check_done();
}
