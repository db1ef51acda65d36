/* ptgate.c — page-table edits for guest code, made in ring 0.
 *
 * Defence in depth (common/sandbox_abi.h, "Who writes page tables"): the
 * page tables sit in scratch, and the scratch window is user-accessible,
 * except that every page holding a table is supervisor-only in it: the
 * host-built page-table area (snapshot/snap_elf.c, snap_hide_pt_area) and
 * every page this runtime turns into a table (rt_alloc_table in runtime.c,
 * through sb_window_hide below). So ring-3 code can neither read nor write
 * a table, and a call that tries faults ("page fault ... address ...").
 *
 * Guest code that wants a mapping (an alias, an extra region the host
 * mapped) asks for it through a software-interrupt gate: INT3, vector
 * SB_VEC_PT_GATE (3, #BP), whose IDT gate alone has DPL 3 (guest/cpu.c;
 * why not INT n on a spare vector: internal.h). The handler runs in ring 0
 * on the exception stack, takes its arguments in registers and trusts none
 * of them:
 *
 *   RAX = SB_PT_GATE_LOOKUP: RDI = VA.  Out: RAX = status, RDX = the leaf
 *         entry, RCX = its level, RSI = the entry's GPA. Reading is
 *         harmless; the root is CR3 itself, never the bookkeeping word
 *         ring 3 can write.
 *   RAX = SB_PT_GATE_MAP: RDI = VA, RSI = GPA, RDX = pages (1 to
 *         SB_PT_GATE_MAX_PAGES), RCX = SB_MAP_* flags.  Out: RAX = status.
 *         Refused with PT_E_DENIED:
 *           - a VA range reaching SB_RT_PAGE_GVA or above: the runtime's
 *             two top PML4 slots (the runtime page with the IDT, GDT and
 *             TSS; the scratch window, whose US bits are the rule itself);
 *           - a VA range overlapping the guest image (the runtime's own
 *             code and data, which ring-0 code runs and reads);
 *           - a scratch page the window maps supervisor-only (a table, the
 *             page-table area, the runtime page's backing): ring 3 may map
 *             only scratch pages it already reaches through the window.
 *         Pages outside scratch (the read-only snapshot slot, extra
 *         read-only regions, GPAs with no memory) are allowed: no table
 *         lives there (the CPU writes A/D bits, tables must be writable).
 *         It edits the tables of the current root (CR3), whichever it is.
 * Address spaces (in aspace.c, linked only into guests that use them):
 *   RAX = SB_PT_GATE_SPACE_NEW.  Out: RAX = status, RDX = the new root's
 *         index. A new table (rt_alloc_table: hidden from ring 3 first)
 *         gets the current root's top-level entries, so every lower table
 *         is shared, and is appended to the roots slot (sandbox_abi.h),
 *         which declares it to the host. PT_E_NOMEM: SB_MAX_ROOTS already,
 *         or no scratch; PT_E_INVAL: the slot was scribbled.
 *   RAX = SB_PT_GATE_SPACE_SWITCH: RDI = index.  Out: RAX = status. CR3 =
 *         the slot's root `index`. The slot is ring-3 writable, so the
 *         root must pass root_loadable: PT_E_DENIED otherwise.
 *
 * Ring-0 code is emulated instruction by instruction on our machines
 * (~0.5 us each), and this is the general page-table code, so an edit is
 * slow: measured here, a call that maps one page (tables present) takes
 * ~1.3 ms against ~28 us for a call that does nothing. Mapping is rare
 * (aliases, extra regions); it is not on the copy-on-write path, which
 * stays in exceptions.S, nor on any call that does not ask for it.
 *
 * What this does not close is listed in sandbox_abi.h.
 */
#include "arch.h"
#include "internal.h"

/* The guest image as linked: ELF header (first PT_LOAD) to the end of .bss. */
extern char __executable_start[], _end[];

_Static_assert(SB_VEC_PT_GATE == 3, "INT3 raises vector 3 (#BP)");

enum pt_status sb_window_hide(gpa_t gpa)
{
	if (gpa >= SB_GPA_SPACE_BYTES || (gpa & (SB_PAGE_SIZE - 1)))
		return PT_E_DENIED;
	gva_t va = sb_scratch_gpa_to_gva(gpa);
	struct pt_leaf leaf;
	if (pt_lookup(&sb_guest_pt, read_cr3(), va, &leaf) != PT_OK || leaf.level != 1 ||
	    (leaf.entry & PT_X86_64_ADDR_MASK) != gpa || !(leaf.entry & PT_US))
		return PT_E_DENIED; /* not a page ring 3 reaches: already hidden, or not scratch */
	sb_pt_write(leaf.entry_gpa, leaf.entry & ~PT_US);
	invlpg(va);
	return PT_OK;
}

/* May ring 3 have `gpa` mapped? Not if the window hides it. */
static bool phys_allowed(gpa_t gpa)
{
	/* The page behind the runtime page (IDT, GDT, TSS): in scratch after
	 * init, in the snapshot image in a sandbox made from a CALL snapshot,
	 * where the window's test below does not see it. */
	struct pt_leaf rt;
	if (pt_lookup(&sb_guest_pt, read_cr3(), SB_RT_PAGE_GVA, &rt) == PT_OK &&
	    (rt.entry & PT_X86_64_ADDR_MASK) == gpa)
		return false;
	if (gpa >= SB_GPA_SPACE_BYTES)
		return true; /* no scratch there */
	struct pt_leaf leaf;
	if (pt_lookup(&sb_guest_pt, read_cr3(), sb_scratch_gpa_to_gva(gpa), &leaf) != PT_OK ||
	    leaf.level != 1 || (leaf.entry & PT_X86_64_ADDR_MASK) != gpa)
		return true; /* the window does not map it: not scratch (or the guard page) */
	return (leaf.entry & PT_US) != 0;
}

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

static enum pt_status gate_map(gva_t va, gpa_t gpa, uint64_t pages, uint64_t flags)
{
	if (pages == 0 || pages > SB_PT_GATE_MAX_PAGES || (flags & ~(uint64_t)SB_MAP_ALL))
		return PT_E_INVAL;
	if ((va | gpa) & (SB_PAGE_SIZE - 1))
		return PT_E_ALIGN;
	uint64_t len = pages * SB_PAGE_SIZE;
	uint64_t img = (uint64_t)(uintptr_t)__executable_start & ~(SB_PAGE_SIZE - 1);
	uint64_t img_len = sb_page_round_up((uint64_t)(uintptr_t)_end) - img;
	if (va + len < va || va + len > SB_RT_PAGE_GVA || overlaps(va, len, img, img_len))
		return PT_E_DENIED;
	bool unmap = flags & SB_MAP_UNMAP;
	if (!unmap)
		for (uint64_t i = 0; i < pages; i++)
			if (!phys_allowed(gpa + i * SB_PAGE_SIZE))
				return PT_E_DENIED;
	bool w = flags & SB_MAP_WRITE, x = flags & SB_MAP_EXEC;
	struct pt_mapping m = {
		.phys = unmap ? 0 : gpa,
		.virt = va,
		.len_bytes = len,
		.kind = unmap ? pt_kind_unmapped()
			      : (flags & SB_MAP_COW) ? pt_kind_cow(true, x) : pt_kind_basic(true, w, x),
		.user = true,
	};
	enum pt_status st = pt_map_at(&sb_guest_pt, read_cr3(), &m);
	/* Leaves may have been overwritten, even on an error midway. */
	for (uint64_t i = 0; i < pages; i++)
		invlpg(va + i * SB_PAGE_SIZE);
	return st;
}

bool sb_pt_gate(struct sb_frame *f)
{
	if (f->rax == SB_PT_GATE_LOOKUP) {
		struct pt_leaf leaf = { 0 };
		f->rax = pt_lookup(&sb_guest_pt, read_cr3(), f->rdi, &leaf);
		f->rdx = leaf.entry;
		f->rcx = leaf.level;
		f->rsi = leaf.entry_gpa;
	} else if (f->rax == SB_PT_GATE_MAP) {
		f->rax = gate_map(f->rdi, f->rsi, f->rdx, f->rcx);
	} else if (!sb_pt_gate_spaces || !sb_pt_gate_spaces(f)) {
		return false;
	}
	return true;
}

/* ---- the callers' side (any ring) --------------------------------------- */

/* One request: sb_gate_request (internal.h). */
enum pt_status sb_lookup_page(gva_t va, struct pt_leaf *out)
{
	struct sb_frame f = { .rax = SB_PT_GATE_LOOKUP, .rdi = va };
	sb_gate_request(&f);
	out->entry = f.rdx;
	out->level = (unsigned)f.rcx;
	out->entry_gpa = f.rsi;
	return (enum pt_status)f.rax;
}

enum pt_status sb_map_pages(gva_t va, gpa_t gpa, uint64_t pages, unsigned flags)
{
	while (pages) {
		uint64_t n = pages < SB_PT_GATE_MAX_PAGES ? pages : SB_PT_GATE_MAX_PAGES;
		struct sb_frame f = { .rax = SB_PT_GATE_MAP, .rdi = va, .rsi = gpa, .rdx = n,
				      .rcx = flags };
		sb_gate_request(&f);
		if (f.rax != PT_OK)
			return (enum pt_status)f.rax;
		va += n * SB_PAGE_SIZE;
		if (!(flags & SB_MAP_UNMAP))
			gpa += n * SB_PAGE_SIZE;
		pages -= n;
	}
	return PT_OK;
}
