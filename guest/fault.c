/* fault.c — CPU exceptions: copy-on-write, stack growth, and abort reports.
 *
 * Runs on IST1 and must not fault itself: it touches only scratch (page
 * tables, the new page) and reads the faulting page, which is present.
 * Compiled with -mgeneral-regs-only so the guest's SSE state is untouched.
 */
#include "arch.h"
#include "internal.h"

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

/* A present, CoW-marked page was written: give it a private copy. */
static bool handle_cow(gva_t va)
{
	gva_t page = va & ~(SB_PAGE_SIZE - 1);
	struct pt_walk w;
	struct pt_mapping m;
	if (pt_walk_begin(&w, &sb_guest_pt, page, SB_PAGE_SIZE) != PT_OK)
		return false;
	if (!pt_walk_next(&w, &m) || m.kind.tag != PT_KIND_COW || m.len_bytes != SB_PAGE_SIZE)
		return false;
	gpa_t copy = sb_scratch_alloc_page();
	memcpy(sb_scratch_ptr(copy), (const void *)(uintptr_t)page, SB_PAGE_SIZE);
	struct pt_mapping nm = {
		.phys = copy,
		.virt = page,
		.len_bytes = SB_PAGE_SIZE,
		.kind = pt_kind_basic(true, true, m.kind.executable),
		.user = m.user,
	};
	if (pt_map(&sb_guest_pt, &nm) != PT_OK)
		sb_abort(SB_ABORT_OUT_OF_MEMORY, "out of physical memory (page tables)");
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
	gva_t stack_low = SB_STACK_TOP_GVA - SB_STACK_MAX_BYTES;
	if (va >= stack_low && va < SB_STACK_TOP_GVA) {
		sb_map_fresh_page(va & ~(SB_PAGE_SIZE - 1), true);
		return true;
	}
	if (va >= stack_low - SB_STACK_GUARD_BYTES && va < stack_low)
		sb_abort(SB_ABORT_STACK_OVERFLOW, "stack overflow (the guest stack is 64 KiB)");
	return false;
}

void sb_exception(struct sb_frame *f)
{
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
