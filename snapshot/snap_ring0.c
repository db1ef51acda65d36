/* snap_ring0.c — how ring-3 code of a snapshot can reach ring 0.
 *
 * A restore is light (data pages only, no ring-0 state reset, no shadow
 * flush) when the run before it left the exception-stack pages and the
 * page-table area untouched (vmm/sandbox_snapshot.c). That rests on ring 3
 * reaching ring 0 only in ways that write the exception stack. On x86-64
 * ring 3 gets to ring 0 by
 *   - an exception or interrupt: the CPU switches to TSS.RSP0 or an IST
 *     stack and pushes a frame there;
 *   - a far call through a call gate (GDT or LDT): it switches to
 *     TSS.RSP0 and pushes the return address there;
 *   - SYSCALL (EFER.SCE): no stack switch, no push at all;
 *   - SYSENTER: needs IA32_SYSENTER_CS, an MSR that restores keep at its
 *     fresh 0 (#GP).
 * So the rule holds for a snapshot when EFER.SCE is clear, no call gate
 * sits in its GDT, it has no LDT, and every stack its TSS can switch to is
 * in the exception-stack pages. The GDT and TSS are read from the snapshot
 * (they are in its image, mapped where its own tables say), as every
 * sandbox from it starts with them; ring 3 cannot change them later
 * without a copy-on-write fault, which runs on the exception stack
 * (host-cow and retain keep those pages copy-on-write: snap_hostcow.c,
 * mgr_retain.c). A snapshot for which the rule does not hold, or cannot be
 * read, has every restore full. (kvm_pvm refuses SYSCALL and call gates
 * from ring 3 anyway; hardware KVM does not.)
 */
#include <string.h>

#include "snapshot_internal.h"

/* Copy `len` bytes at linear address `va`, through the snapshot's own
 * tables, from its image; false if any byte is not in the snapshot region. */
static bool read_linear(const struct snapshot *s, gva_t va, void *out, size_t len)
{
	const struct layout *l = &s->layout;
	struct pt_region r = { layout_pt_base_gpa(l), snap_pt_tail(s), layout_pt_bytes(l) };
	struct pt_regions rr;
	pt_regions_init(&rr, &pt_format_x86_64, &r, 1, r.gpa);
	uint8_t *o = out;
	while (len) {
		struct pt_leaf leaf;
		if (pt_lookup(&rr.pt, r.gpa, va, &leaf) != PT_OK)
			return false;
		uint64_t span = (uint64_t)SB_PAGE_SIZE << (9 * (leaf.level - 1));
		gpa_t gpa = (leaf.entry & PT_X86_64_ADDR_MASK & ~(span - 1)) + (va & (span - 1));
		uint64_t in_page = SB_PAGE_SIZE - (va & (SB_PAGE_SIZE - 1));
		size_t n = len < in_page ? len : in_page;
		if (gpa < SB_BASE_ADDRESS || gpa - SB_BASE_ADDRESS > layout_snapshot_bytes(l) - n)
			return false;
		memcpy(o, s->image + (gpa - SB_BASE_ADDRESS), n);
		o += n;
		va += n;
		len -= n;
	}
	return true;
}

static bool on_exception_stack(uint64_t rsp)
{
	gva_t low = SB_SCRATCH_END_GVA - SB_SCRATCH_EXN_PAGES * SB_PAGE_SIZE;
	return rsp == 0 || (rsp > low + 64 && rsp <= SB_SCRATCH_END_GVA);
}

static bool compute(const struct snapshot *s)
{
	const struct kvm_sregs *sr = &s->sregs;
	if (!s->has_sregs || (sr->efer & 1) /* SCE */)
		return false;
	if (!sr->ldt.unusable && (sr->ldt.selector & ~3u) != 0 && sr->ldt.present)
		return false;
	/* No call gate (system descriptor type 0xC) in the GDT, read a page's
	 * worth of descriptors at a time (the limit allows 64 KiB). */
	uint64_t gdt[512];
	size_t gdt_bytes = (size_t)sr->gdt.limit + 1;
	for (size_t off = 0; off + 8 <= gdt_bytes; off += sizeof gdt) {
		size_t n = gdt_bytes - off < sizeof gdt ? (gdt_bytes - off) / 8 : 512;
		if (!read_linear(s, sr->gdt.base + off, gdt, n * 8))
			return false;
		for (size_t i = 0; i < n; i++) {
			bool present = gdt[i] >> 47 & 1, system = !(gdt[i] >> 44 & 1);
			if (present && system && (gdt[i] >> 40 & 0xf) == 0xc)
				return false;
		}
	}
	/* Every stack the TSS can switch to: RSP0-2, IST1-7. */
	uint8_t tss[104];
	if (sr->tr.limit + 1ull < sizeof tss || !read_linear(s, sr->tr.base, tss, sizeof tss))
		return false;
	static const unsigned stacks[] = { 4, 12, 20, 36, 44, 52, 60, 68, 76, 84 };
	for (size_t i = 0; i < sizeof stacks / sizeof stacks[0]; i++) {
		uint64_t rsp;
		memcpy(&rsp, tss + stacks[i], 8);
		if (!on_exception_stack(rsp))
			return false;
	}
	return true;
}

bool snap_ring0_only_by_exception_stack(struct snapshot *s)
{
	int v = __atomic_load_n(&s->ring0_guard, __ATOMIC_RELAXED);
	if (v == 0) {
		/* Several address spaces: this reads root 0 only, and another
		 * root may map ring 0's tables otherwise (snap_roots.c). */
		v = s->nroots <= 1 && compute(s) ? 1 : 2; /* the same answer for every thread */
		__atomic_store_n(&s->ring0_guard, v, __ATOMIC_RELAXED);
	}
	return v == 1;
}
