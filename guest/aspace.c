/* aspace.c — several address spaces in the guest: the page-table gate's
 * SB_PT_GATE_SPACE_NEW and SB_PT_GATE_SPACE_SWITCH (ring 0; described in
 * ptgate.c) and the guest's API (guest.h, sb_address_space_*). The design,
 * host side included, is in snapshot/snap_roots.c.
 *
 * A library of its own, not linked whole: only a guest that calls the API
 * carries it (ptgate.c reaches the gate operations through a weak symbol),
 * so every other guest's image, and the goldens made from it, stay as
 * they are.
 */
#include "arch.h"
#include "internal.h"

/* The guest image as linked: ELF header (first PT_LOAD) to the end of .bss. */
extern char __executable_start[], _end[];

static volatile struct sb_roots_slot *roots_slot(void)
{
	return (volatile struct sb_roots_slot *)(uintptr_t)sb_roots_slot_gva();
}

static unsigned pml4_index(uint64_t va)
{
	return (unsigned)(va >> 39) & 511;
}

/* May CR3 hold `root` (a GPA read from the ring-3 writable slot)? Only a
 * page the window hides, which ring 3 can neither have written nor have
 * had turned into anything but a table made in ring 0, and not the
 * runtime page; and whose top-level slots that hold the runtime (the
 * guest image, the runtime page's slot, the scratch window's) are the
 * current root's: ring 3 keeps no way into the runtime's own pages that
 * the gate's map refuses it in the current space. */
static bool root_loadable(gpa_t root)
{
	if ((root & (SB_PAGE_SIZE - 1)) || root >= SB_GPA_SPACE_BYTES)
		return false;
	struct pt_leaf leaf; /* a scratch page the window hides (ptgate.c, phys_allowed) */
	if (pt_lookup(&sb_guest_pt, read_cr3(), sb_scratch_gpa_to_gva(root), &leaf) != PT_OK ||
	    leaf.level != 1 || (leaf.entry & PT_X86_64_ADDR_MASK) != root || (leaf.entry & PT_US))
		return false;
	/* not the runtime page's backing (hidden too, but IDT, GDT and TSS) */
	if (pt_lookup(&sb_guest_pt, read_cr3(), SB_RT_PAGE_GVA, &leaf) == PT_OK &&
	    (leaf.entry & PT_X86_64_ADDR_MASK) == root)
		return false;
	const volatile uint64_t *cur = sb_scratch_ptr(read_cr3() & PT_X86_64_ADDR_MASK);
	const volatile uint64_t *nw = sb_scratch_ptr(root);
	uint64_t img = (uint64_t)(uintptr_t)__executable_start;
	for (unsigned i = pml4_index(img); i <= pml4_index((uint64_t)(uintptr_t)_end - 1); i++)
		if (cur[i] != nw[i])
			return false;
	return cur[pml4_index(SB_RT_PAGE_GVA)] == nw[pml4_index(SB_RT_PAGE_GVA)] &&
	       cur[pml4_index(SB_SCRATCH_END_GVA - 1)] == nw[pml4_index(SB_SCRATCH_END_GVA - 1)];
}

static enum pt_status gate_space_new(uint64_t *index)
{
	volatile struct sb_roots_slot *slot = roots_slot();
	uint64_t n = slot->count;
	if (slot->magic != SB_ROOTS_MAGIC || n == 0 || n > SB_MAX_ROOTS)
		return PT_E_INVAL;
	if (n == SB_MAX_ROOTS)
		return PT_E_NOMEM;
	gpa_t root;
	enum pt_status st = sb_guest_pt.ops->alloc_table(sb_guest_pt.ctx, &root);
	if (st != PT_OK)
		return st;
	/* Not through the undo log: the page is new, no table links it, and a
	 * restore zeroes it like any free page written. Only the present
	 * entries: each emulated instruction costs here. */
	const volatile uint64_t *src = sb_scratch_ptr(read_cr3() & PT_X86_64_ADDR_MASK);
	volatile uint64_t *dst = sb_scratch_ptr(root);
	for (unsigned i = 0; i < 512; i++)
		if (src[i])
			dst[i] = src[i];
	slot->gpa[n] = root;
	slot->count = n + 1;
	*index = n;
	return PT_OK;
}

static enum pt_status gate_space_switch(uint64_t index)
{
	volatile struct sb_roots_slot *slot = roots_slot();
	uint64_t n = slot->count;
	if (slot->magic != SB_ROOTS_MAGIC || n > SB_MAX_ROOTS || index >= n)
		return PT_E_INVAL;
	gpa_t root = slot->gpa[index];
	if (root != (read_cr3() & PT_X86_64_ADDR_MASK)) {
		if (!root_loadable(root))
			return PT_E_DENIED;
		write_cr3(root); /* flushes the TLB: no global pages here */
	}
	slot->current = index;
	return PT_OK;
}

/* The gate's address-space operations (ring 0, from sb_pt_gate). */
bool sb_pt_gate_spaces(struct sb_frame *f)
{
	if (f->rax == SB_PT_GATE_SPACE_NEW) {
		f->rdx = 0;
		f->rax = gate_space_new(&f->rdx);
	} else if (f->rax == SB_PT_GATE_SPACE_SWITCH) {
		f->rax = gate_space_switch(f->rdi);
	} else {
		return false;
	}
	return true;
}

/* ---- the callers' side (any ring) --------------------------------------- */

enum pt_status sb_address_space_new(unsigned *index)
{
	struct sb_frame f = { .rax = SB_PT_GATE_SPACE_NEW };
	sb_gate_request(&f);
	*index = (unsigned)f.rdx;
	return (enum pt_status)f.rax;
}

enum pt_status sb_address_space_switch(unsigned index)
{
	struct sb_frame f = { .rax = SB_PT_GATE_SPACE_SWITCH, .rdi = index };
	sb_gate_request(&f);
	return (enum pt_status)f.rax;
}

/* The slot as the host (or the runtime) last wrote it: a hint for the
 * caller, never trusted by the gate. */
unsigned sb_address_space_count(void)
{
	volatile struct sb_roots_slot *slot = roots_slot();
	uint64_t n = slot->count;
	return slot->magic == SB_ROOTS_MAGIC && n <= SB_MAX_ROOTS ? (unsigned)n : 0;
}

unsigned sb_address_space_current(void)
{
	return (unsigned)roots_slot()->current;
}

uint64_t sb_address_space_root(unsigned index)
{
	return index < sb_address_space_count() ? roots_slot()->gpa[index] : 0;
}
