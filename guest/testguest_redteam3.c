/* testguest_redteam3.c — the third red-team pass, for
 * tests/sandbox/test_sandbox_redteam3.c: ways into ring 0 that push no
 * frame onto the exception stack (so a restore thinks no ring-0 code ran),
 * and a call that ends with an OUT where the next call will start.
 * Linked into its own ELF, build/guest/testguest_redteam3, with the test
 * guest's and the first two red-team passes' functions (registered through
 * -Wl,--wrap=sb_guest_main, guest/meson.build).
 *
 *   rt3_prep(what)           ring 0 (a SANDBOX_MODE_KERNEL sandbox): set up
 *                            state for a snapshot, then end the call from
 *                            ring 3 (so a snapshot taken now resumes calls
 *                            in ring 3):
 *                              bit 0: EFER.SCE, and VA 0 mapped (user R-X)
 *                                     to the gadget page: SYSCALL with a
 *                                     fresh LSTAR (0) runs it in ring 0
 *                              bit 1: a DPL-3 call gate (selector 0x4B) to
 *                                     the gadget page's second entry, and
 *                                     TSS.RSP0 moved into the call stack
 *                              bit 2: CR4.OSXSAVE (the host's entry page
 *                                     is then not used)
 *                            returns the bits that were set up.
 *   rt3_syscall(op, a, b)    ring 3: SYSCALL into the gadget: op 0 WRMSR(a,
 *                            b), 1 RDMSR(a), 2 *(u64 *)a = b (ring 0).
 *   rt3_callgate(op, a, b)   the same through the call gate.
 *   rt3_out_at(gva)          write `out %al, $DONE` at gva (ring 3; the
 *                            code region is copy-on-write), push a result
 *                            of 0x0u7 and end the call by jumping there.
 *   rt3_cpl()                the current privilege level.
 *   rt3_jmp_page()           the address of rt3_jmp_r11_page, a page whose first
 *                            instruction is `jmp *%r11`: a snapshot whose
 *                            tables map the entry page's address here
 *                            enters calls without the FXRSTOR.
 */
#include "arch.h"
#include "internal.h"

#define RT3_STR2(x) #x
#define RT3_STR(x) RT3_STR2(x)

/* The gadget page: page aligned, so mapping it at VA 0 puts the SYSCALL
 * entry at LSTAR's fresh value. Position independent. Ring-0 op in
 * rdx: 0 WRMSR(edi, rsi), 1 RDMSR(edi) -> rax, 2 *(u64 *)rdi = rsi. */
void rt3_gadget_page(void);
void rt3_gate_entry(void);
void rt3_syscall_raw(uint64_t op, uint64_t a, uint64_t b);
__asm__(".text\n"
	".balign 4096\n"
	".globl rt3_gadget_page\n"
	"rt3_gadget_page:\n\t"
	/* +0: SYSCALL (RCX = user RIP, R11 = user RFLAGS, user RSP) */
	"movq %rcx, %r8\n\t"
	"call rt3_r0_op\n\t"
	"movq %rsp, %r9\n\t"
	"pushq $" RT3_STR(SB_SEL_UDATA) "\n\t"
	"pushq %r9\n\t"
	"pushq %r11\n\t"
	"pushq $" RT3_STR(SB_SEL_UCODE) "\n\t"
	"pushq %r8\n\t"
	"iretq\n\t"
	".balign 256\n"
	".globl rt3_gate_entry\n"
	"rt3_gate_entry:\n\t"
	/* +0x100: call gate; on the RSP0 stack: RIP, CS, RSP, SS */
	"call rt3_r0_op\n\t"
	"popq %r8\n\t"
	"popq %r9\n\t"
	"popq %r10\n\t"
	"popq %r11\n\t"
	"pushq $" RT3_STR(SB_SEL_UDATA) "\n\t"
	"pushq %r10\n\t"
	"pushq $0x202\n\t"
	"pushq $" RT3_STR(SB_SEL_UCODE) "\n\t"
	"pushq %r8\n\t"
	"iretq\n\t"
	".balign 64\n"
	"rt3_r0_op:\n\t"
	"cmpq $1, %rdx\n\t"
	"je 1f\n\t"
	"cmpq $2, %rdx\n\t"
	"je 2f\n\t"
	"cmpq $3, %rdx\n\t"
	"je 3f\n\t"
	"movl %edi, %ecx\n\t"
	"movl %esi, %eax\n\t"
	"movq %rsi, %rdx\n\t"
	"shrq $32, %rdx\n\t"
	"wrmsr\n\t"
	"xorl %eax, %eax\n\t"
	"ret\n"
	"1:\n\t"
	"movl %edi, %ecx\n\t"
	"rdmsr\n\t"
	"shlq $32, %rdx\n\t"
	"orq %rdx, %rax\n\t"
	"ret\n"
	"2:\n\t"
	"movq %rsi, (%rdi)\n\t"
	"xorl %eax, %eax\n\t"
	"ret\n"
	"3:\n\t"
	"movq %cs, %rax\n\t"
	"ret\n"
	".balign 4096\n"
	/* A page that starts like the host's entry page ends: jmp *%r11 */
	".globl rt3_jmp_r11_page\n"
	"rt3_jmp_r11_page:\n\t"
	"jmp *%r11\n\t"
	".balign 4096\n"
	/* ring 3 callers: below the red zone, arguments rdx = op, rdi, rsi */
	".globl rt3_do_syscall\n"
	"rt3_do_syscall:\n\t"
	"pushq %rbx\n\t"
	"subq $128, %rsp\n\t"
	"movq %rdi, %rdx\n\t"
	"movq %rsi, %rdi\n\t"
	"movq %rax, %rsi\n\t"
	"syscall\n\t"
	"addq $128, %rsp\n\t"
	"popq %rbx\n\t"
	"ret\n"
	".globl rt3_do_callgate\n"
	"rt3_do_callgate:\n\t"
	"pushq %rbx\n\t"
	"subq $128, %rsp\n\t"
	"movq %rdi, %rdx\n\t"
	"movq %rsi, %rdi\n\t"
	"movq %rax, %rsi\n\t"
	"lcall *rt3_farptr(%rip)\n\t"
	"addq $128, %rsp\n\t"
	"popq %rbx\n\t"
	"ret\n"
	".data\n"
	".balign 16\n"
	"rt3_farptr:\n\t"
	".long 0\n\t"
	".word 0x4B\n"
	".text\n");

/* op in rdi, a in rsi, b in rax (the asm above moves them into place). */
static uint64_t ring0_op(bool gate, uint64_t op, uint64_t a, uint64_t b)
{
	uint64_t rax = b, rdi = op, rsi = a;
	if (gate)
		__asm__ volatile("call rt3_do_callgate"
				 : "+a"(rax), "+D"(rdi), "+S"(rsi)
				 :
				 : "rcx", "rdx", "r8", "r9", "r10", "r11", "memory", "cc");
	else
		__asm__ volatile("call rt3_do_syscall"
				 : "+a"(rax), "+D"(rdi), "+S"(rsi)
				 :
				 : "rcx", "rdx", "r8", "r9", "r10", "r11", "memory", "cc");
	return rax;
}

static unsigned cpl(void)
{
	uint16_t cs;
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	return cs & 3;
}

static uint64_t rdmsr64(uint32_t idx)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(idx));
	return (uint64_t)hi << 32 | lo;
}

static void wrmsr64(uint32_t idx, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(idx), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static void push_result(uint64_t x)
{
	struct sb_value v = { .type = SB_T_U64, .as.u64 = x };
	struct sb_writer w;
	sb_stack_reset(sb_rt.output, sb_rt.output_bytes);
	sb_stack_begin(&w, sb_rt.output, sb_rt.output_bytes);
	sb_encode_result(&w, &v);
	sb_stack_end(&w, sb_rt.output, sb_rt.output_bytes);
}

#define RT3_GDT_GATE 9 /* selector 0x48; slots 9-10 of the runtime page's GDT are free */

static int fn_rt3_prep(const struct sb_value *args, struct sb_value *ret,
		       struct sb_guest_error *err)
{
	(void)ret;
	if (cpl() != 0) {
		sb_error_set(err, SB_CALL_E_BAD_ARGUMENTS, "ring 0 only");
		return -1;
	}
	uint64_t what = args[0].as.u64, done = 0;
	if (what & 1) {
		wrmsr64(0xC0000080, rdmsr64(0xC0000080) | 1); /* EFER.SCE */
		struct pt_leaf leaf;
		if (sb_lookup_page((gva_t)(uintptr_t)rt3_gadget_page, &leaf) == PT_OK &&
		    sb_map_pages(0, leaf.entry & PT_X86_64_ADDR_MASK, 1, SB_MAP_EXEC) == PT_OK &&
		    (rdmsr64(0xC0000080) & 1))
			done |= 1;
	}
	if (what & 2) {
		struct desc_ptr gdtr;
		__asm__ volatile("sgdt %0" : "=m"(gdtr));
		uint64_t *gdt = (uint64_t *)(uintptr_t)gdtr.base;
		uint64_t h = (uint64_t)(uintptr_t)rt3_gate_entry;
		gdt[RT3_GDT_GATE] = (h & 0xFFFF) | ((uint64_t)SB_SEL_KCODE << 16) | (0xECull << 40) |
				    ((h >> 16) & 0xFFFF) << 48;
		gdt[RT3_GDT_GATE + 1] = h >> 32;
		gdtr.limit = (RT3_GDT_GATE + 2) * 8 - 1;
		__asm__ volatile("lgdt %0" : : "m"(gdtr));
		/* TSS.RSP0 (offset 4 of the TSS, guest/cpu.c: TSS at page + 640):
		 * eight pages down the call stack, not the exception stack. */
		uint64_t rsp0 = sb_call_stack_top_gva() - 8 * SB_PAGE_SIZE;
		*(volatile uint64_t *)(uintptr_t)(SB_RT_PAGE_GVA + 640 + 4) = rsp0;
		done |= 2;
	}
	if (what & 4) {
		uint64_t cr4;
		__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
		cr4 |= 1ull << 18;
		__asm__ volatile("mov %0, %%cr4" : : "r"(cr4));
		done |= 4;
	}
	/* End the call from ring 3: a snapshot taken now resumes in ring 3. */
	push_result(done);
	uint64_t rsp;
	__asm__ volatile("mov %%rsp, %0" : "=r"(rsp));
	sb_enter_user((uint64_t)(uintptr_t)sb_user_done, (rsp - 256) & ~15ull);
}

static int fn_rt3_syscall(const struct sb_value *args, struct sb_value *ret,
			  struct sb_guest_error *err)
{
	(void)err;
	ret->as.u64 = ring0_op(false, args[0].as.u64, args[1].as.u64, args[2].as.u64);
	return 0;
}

static int fn_rt3_callgate(const struct sb_value *args, struct sb_value *ret,
			   struct sb_guest_error *err)
{
	(void)err;
	ret->as.u64 = ring0_op(true, args[0].as.u64, args[1].as.u64, args[2].as.u64);
	return 0;
}

static int fn_rt3_out_at(const struct sb_value *args, struct sb_value *ret,
			 struct sb_guest_error *err)
{
	(void)ret;
	(void)err;
	volatile uint8_t *p = (volatile uint8_t *)(uintptr_t)args[0].as.u64;
	p[0] = 0xE6; /* out %al, $imm8 */
	p[1] = SB_PORT_DONE;
	push_result(0x0B7);
	__asm__ volatile("jmp *%0" : : "r"(args[0].as.u64) : "memory");
	halt_forever();
}

static int fn_rt3_cpl(const struct sb_value *args, struct sb_value *ret,
		      struct sb_guest_error *err)
{
	(void)args;
	(void)err;
	ret->as.u64 = cpl();
	return 0;
}

void rt3_jmp_r11_page(void);
static int fn_rt3_jmp_page(const struct sb_value *args, struct sb_value *ret,
			   struct sb_guest_error *err)
{
	(void)args;
	(void)err;
	ret->as.u64 = (uint64_t)(uintptr_t)rt3_jmp_r11_page;
	return 0;
}

#define U SB_T_U64
static const struct sb_guest_function defs3[] = {
	{ "rt3_jmp_page", 0, { SB_T_VOID }, U, fn_rt3_jmp_page },
	{ "rt3_prep", 1, { U }, U, fn_rt3_prep },
	{ "rt3_syscall", 3, { U, U, U }, U, fn_rt3_syscall },
	{ "rt3_callgate", 3, { U, U, U }, U, fn_rt3_callgate },
	{ "rt3_out_at", 1, { U }, U, fn_rt3_out_at },
	{ "rt3_cpl", 0, { SB_T_VOID }, U, fn_rt3_cpl },
};

/* -Wl,--wrap=sb_guest_main: the runtime calls this; the first two passes
 * (testguest_redteam.c's sb_guest_main) register theirs first. */
void __real_sb_guest_main(void);
void __wrap_sb_guest_main(void);
void __wrap_sb_guest_main(void)
{
	__real_sb_guest_main();
	for (unsigned i = 0; i < sizeof defs3 / sizeof defs3[0]; i++)
		sb_register(&defs3[i]);
}
