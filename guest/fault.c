/* fault.c — CPU exceptions: copy-on-write, stack overflow, and abort reports.
 *
 * Runs on IST1 and must not fault itself: it touches only scratch (page
 * tables, the new page) and reads the faulting page, which is present.
 * Compiled with -mgeneral-regs-only so the guest's SSE state is untouched.
 */
#include "arch.h"
#include "asm_consts.h"
#include "internal.h"

/* The assembly fast path (exceptions.S) uses these as literals. */
_Static_assert(ASM_PT_ADDR_MASK == PT_X86_64_ADDR_MASK, "asm_consts.h");
_Static_assert(ASM_PT_COW_BITS_MASK == (PT_P | PT_RW | PT_AVL_MASK), "asm_consts.h");
_Static_assert(ASM_PT_COW_BITS == (PT_P | PT_AVL_COW), "asm_consts.h");
_Static_assert(ASM_PT_KEEP_MASK == ~(PT_X86_64_ADDR_MASK | PT_RW | PT_AVL_MASK), "asm_consts.h");
_Static_assert(ASM_PT_RW == PT_RW, "asm_consts.h");
_Static_assert(ASM_SCRATCH_GVA_MINUS_GPA == SB_SCRATCH_GVA_MINUS_GPA, "asm_consts.h");
_Static_assert(ASM_ALLOC_WORD_GVA == SB_SCRATCH_END_GVA - SB_SCRATCH_TOP_ALLOCATOR, "asm_consts.h");
_Static_assert(ASM_LAST_PAGE_GPA == SB_GPA_SPACE_BYTES - (SB_SCRATCH_TOP_PAGES + 1) * SB_PAGE_SIZE, "asm_consts.h");
_Static_assert(ASM_RT_FLAGS_GVA == SB_RT_FLAGS_GVA, "asm_consts.h");
_Static_assert(ASM_INIT_HOST_COPY == SB_INIT_HOST_COPY, "asm_consts.h");
_Static_assert(ASM_UNDO_LOG_GVA == SB_SCRATCH_END_GVA - (SB_SCRATCH_EXN_PAGES + SB_SCRATCH_UNDO_PAGES) * SB_PAGE_SIZE, "asm_consts.h");
_Static_assert(ASM_UNDO_ENTRIES == SB_PT_UNDO_ENTRIES, "asm_consts.h");
_Static_assert(ASM_PORT_COPY_PAGE == SB_PORT_COPY_PAGE, "asm_consts.h");
_Static_assert(ASM_PORT_DONE == SB_PORT_DONE, "asm_consts.h");
_Static_assert(ASM_UNDO_OVERFLOW == offsetof(struct sb_pt_undo_log, overflow), "asm_consts.h");
_Static_assert(ASM_UNDO_E == offsetof(struct sb_pt_undo_log, e), "asm_consts.h");
_Static_assert(sizeof(struct sb_pt_undo_entry) == 1 << ASM_UNDO_ENTRY_SHIFT, "asm_consts.h");
_Static_assert(ASM_UNDO_OLD == offsetof(struct sb_pt_undo_entry, old), "asm_consts.h");
_Static_assert(offsetof(struct sb_pt_undo_entry, entry_gpa) == 0, "asm_consts.h");
_Static_assert(offsetof(struct sb_pt_undo_log, count) == 0, "asm_consts.h");
_Static_assert(ASM_SEL_UDATA == SB_SEL_UDATA, "asm_consts.h");
_Static_assert(ASM_SEL_UCODE == SB_SEL_UCODE, "asm_consts.h");

#define PF_PRESENT (1u << 0)
#define PF_WRITE (1u << 1)

static const char *const vector_names[32] = {
	[0] = "divide error", [1] = "debug", [2] = "NMI", [3] = "breakpoint",
	[4] = "overflow", [5] = "bound range", [6] = "invalid opcode",
	[7] = "device not available", [8] = "double fault", [10] = "invalid TSS",
	[11] = "segment not present", [12] = "stack-segment fault",
	[13] = "general protection", [14] = "page fault", [16] = "x87 FP error",
	[17] = "alignment check", [18] = "machine check", [19] = "SIMD FP error",
	[21] = "control protection",
};

/* A present, CoW-marked page was written: give it a private copy.
 * Short on purpose: on our machines every ring-0 instruction here is
 * emulated by the hypervisor, so one lookup, one entry write, and the
 * 4 KiB copy done by the host when it offered to (SB_INIT_HOST_COPY). */
static bool handle_cow(gva_t va)
{
	gva_t page = va & ~(SB_PAGE_SIZE - 1);
	struct pt_leaf leaf;
	if (pt_lookup(&sb_guest_pt, read_cr3(), page, &leaf) != PT_OK || leaf.level != 1)
		return false;
	struct pt_kind k = pt_entry_kind(&pt_format_x86_64, leaf.entry);
	if (k.tag != PT_KIND_COW)
		return false;
	gpa_t copy = sb_scratch_alloc_page();
	gpa_t src = leaf.entry & PT_X86_64_ADDR_MASK;
	if (sb_init_flags() & SB_INIT_HOST_COPY)
		__asm__ volatile("outb %%al, %[port]"
				 :
				 : "a"(0), [port] "i"(SB_PORT_COPY_PAGE), "D"(src), "S"(copy)
				 : "memory");
	else
		memcpy(sb_scratch_ptr(copy), (const void *)(uintptr_t)page, SB_PAGE_SIZE);
	pt_entry_t e = pt_entry_leaf(&pt_format_x86_64, copy, pt_kind_basic(true, true, k.executable),
				     (leaf.entry & PT_US) != 0);
	sb_pt_write(leaf.entry_gpa, e);
	invlpg(page);
	return true;
}

static bool handle_page_fault(const struct sb_frame *f)
{
	gva_t va = read_cr2();
	if ((f->error & PF_PRESENT) && (f->error & PF_WRITE))
		return handle_cow(va);
	if (f->error & PF_PRESENT)
		return false;
	gva_t guard = sb_stack_guard_gva();
	if (va >= guard && va - guard < SB_SCRATCH_GUARD_PAGES * SB_PAGE_SIZE)
		sb_abort(SB_ABORT_STACK_OVERFLOW, "stack overflow (the call stack is 64 KiB)");
	return false;
}

void sb_exception(struct sb_frame *f)
{
	if (f->vector == SB_VEC_PT_GATE && sb_pt_gate(f))
		return; /* a page-table request (INT3 with an operation in RAX) */
	if (f->vector == 14 && handle_page_fault(f))
		return;

	char vec[24], rip[24], addr[24], err[24];
	sb_fmt_u64(vec, f->vector, 10);
	sb_fmt_u64(rip, f->rip, 16);
	sb_fmt_u64(err, f->error, 16);
	const char *name = f->vector < 32 && vector_names[f->vector] ? vector_names[f->vector]
								      : "exception";
	const char *parts[16];
	unsigned n = 0;
	parts[n++] = name;
	parts[n++] = " (vector ";
	parts[n++] = vec;
	parts[n++] = ") at rip 0x";
	parts[n++] = rip;
	if (f->vector == 14) {
		sb_fmt_u64(addr, read_cr2(), 16);
		parts[n++] = ", address 0x";
		parts[n++] = addr;
	}
	parts[n++] = ", error code 0x";
	parts[n++] = err;
	parts[n] = 0;
	sb_abort_parts(SB_ABORT_EXCEPTION, (uint8_t)f->vector, parts);
}
