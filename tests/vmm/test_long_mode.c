/* test_long_mode.c — enter 64-bit mode through vcpu_setup_long_mode with a
 * hand-built identity map (PML4 -> PDPT -> PD with one 2 MiB page), run
 * 64-bit instructions whose OUT value depends on 64-bit registers, and check
 * that a fault with no IDT ends as a named shutdown error. */
#include "vmm_test.h"

#define MEM_BYTES (2u << 20)  /* 2 MiB: exactly the one large page */
#define PML4_GPA 0x2000
#define PDPT_GPA 0x3000
#define PD_GPA 0x4000
#define CODE64_GPA 0x10000
#define UD2_GPA 0x11000
#define STACK_TOP 0x80000

#define PTE_P (1ull << 0)
#define PTE_RW (1ull << 1)
#define PTE_A (1ull << 5)
#define PTE_D (1ull << 6)
#define PTE_PS (1ull << 7)

static const uint8_t code64[] = {
	0x48, 0xb8, 0x89, 0x67, 0x45, 0x23, 0x01, 0x00, 0x00, 0x00, /* movabs rax, 0x123456789  */
	0x48, 0xc1, 0xe8, 0x04,                                     /* shr rax, 4 -> 0x12345678 */
	0xe7, 0x20,                                                 /* out 0x20, eax            */
	0x48, 0xbb, 0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe, /* movabs rbx, 0xfedcba9876543210 */
	0x53,                                                       /* push rbx                 */
	0x5a,                                                       /* pop rdx                  */
	0x48, 0xc1, 0xea, 0x20,                                     /* shr rdx, 32              */
	0x89, 0xd0,                                                 /* mov eax, edx             */
	0xe7, 0x21,                                                 /* out 0x21, eax -> 0xfedcba98 */
	0x48, 0x8b, 0x0c, 0x25, 0x00, 0x00, 0x10, 0x00,             /* mov rcx, [0x100000]      */
	0x48, 0x01, 0xc9,                                           /* add rcx, rcx             */
	0x48, 0xc1, 0xe9, 0x1c,                                     /* shr rcx, 28              */
	0x89, 0xc8,                                                 /* mov eax, ecx             */
	0xe7, 0x22,                                                 /* out 0x22, eax            */
	0xf4,                                                       /* hlt                      */
};

static const uint8_t ud2[] = { 0x0f, 0x0b }; /* ud2: #UD with no IDT -> triple fault */

static void build_identity_map(uint8_t *mem)
{
	uint64_t *pml4 = (uint64_t *)(mem + PML4_GPA);
	uint64_t *pdpt = (uint64_t *)(mem + PDPT_GPA);
	uint64_t *pd = (uint64_t *)(mem + PD_GPA);
	pml4[0] = PDPT_GPA | PTE_P | PTE_RW | PTE_A;
	pdpt[0] = PD_GPA | PTE_P | PTE_RW | PTE_A;
	pd[0] = 0 | PTE_P | PTE_RW | PTE_A | PTE_D | PTE_PS; /* GVA 0..2 MiB -> GPA 0..2 MiB */
}

static void check_pure_sregs(void)
{
	struct kvm_sregs s;
	memset(&s, 0, sizeof s);
	vcpu_sregs_long_mode(&s, 0x5000);
	CHECK_U64(s.cr3, 0x5000);
	CHECK_U64(s.cr0 & (X86_CR0_PE | X86_CR0_PG | X86_CR0_WP), X86_CR0_PE | X86_CR0_PG | X86_CR0_WP);
	CHECK_U64(s.cr4, X86_CR4_PAE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT);
	CHECK_U64(s.efer, X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE);
	CHECK(s.cs.l == 1 && s.cs.db == 0 && s.cs.present == 1 && s.cs.s == 1);
	CHECK_U64(s.cs.selector, VCPU_SEL_CODE64);
	CHECK_U64(s.ss.selector, VCPU_SEL_DATA);
	CHECK(s.tr.type == 0xb && s.tr.present == 1 && s.tr.s == 0);
}

int main(void)
{
	check_pure_sregs();

	struct kvm *kvm = test_kvm_open_or_skip();
	struct sb_err err = { 0 };
	struct test_vm t;
	test_vm_create(kvm, &t, MEM_BYTES, NULL, 0);
	build_identity_map(t.mem);
	memcpy(t.mem + CODE64_GPA, code64, sizeof code64);
	memcpy(t.mem + UD2_GPA, ud2, sizeof ud2);
	uint64_t v = 0x0000000090000000ull; /* read by the guest at GVA 1 MiB */
	memcpy(t.mem + 0x100000, &v, sizeof v);

	if (!CHECK(vcpu_setup_long_mode(t.vcpu, PML4_GPA, &err) == 0))
		fprintf(stderr, "%s\n", err.msg);
	struct kvm_sregs sregs;
	CHECK(vcpu_get_sregs(t.vcpu, &sregs, &err) == 0);
	CHECK(sregs.efer & X86_EFER_LMA);
	CHECK_U64(sregs.cr3, PML4_GPA);

	struct kvm_regs regs;
	memset(&regs, 0, sizeof regs);
	regs.rip = CODE64_GPA;
	regs.rsp = STACK_TOP;
	regs.rflags = 0x2;
	CHECK(vcpu_set_regs(t.vcpu, &regs, &err) == 0);

	RUN_EXPECT_OUT(&t, 0x20, 4, 0x12345678);
	RUN_EXPECT_OUT(&t, 0x21, 4, 0xfedcba98);
	/* 0x90000000 * 2 = 0x120000000 needs 33 bits; >> 28 = 0x12. */
	RUN_EXPECT_OUT(&t, 0x22, 4, 0x12);
	struct vcpu_exit exit;
	RUN_EXPECT(&t, &exit, VCPU_EXIT_HLT);

	CHECK(vcpu_get_regs(t.vcpu, &regs, &err) == 0);
	CHECK_U64(regs.rbx, 0xfedcba9876543210ull);
	CHECK_U64(regs.rcx, 0x12);
	CHECK_U64(regs.rsp, STACK_TOP);
	CHECK_U64(regs.rip, CODE64_GPA + sizeof code64);
	CHECK_U64(*(uint64_t *)(t.mem + STACK_TOP - 8), 0xfedcba9876543210ull); /* the push */

	/* A fault with no IDT: #UD -> #GP -> #DF -> triple fault -> shutdown. */
	regs.rip = UD2_GPA;
	CHECK(vcpu_set_regs(t.vcpu, &regs, &err) == 0);
	sb_err_clear(&err);
	CHECK_I64(vcpu_run(t.vcpu, &exit, &err), -1);
	CHECK_U64(exit.kind, VCPU_EXIT_SHUTDOWN);
	CHECK_U64(err.code, SB_E_GUEST);
	CHECK_CONTAINS(err.msg, "KVM_EXIT_SHUTDOWN");
	printf("ud2 without IDT: %s\n", err.msg);

	test_vm_destroy(&t);
	kvm_close(kvm);
	return check_done();
}
