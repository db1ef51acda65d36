/* snap_roots.c — several address spaces: which page-table roots a snapshot
 * of a running sandbox keeps, and how the guest finds them again.
 *
 * A guest may run more than one address space (one CR3 each: the runtime's
 * sb_address_space_new copies the current PML4 into a new table that shares
 * every lower table, and the guest then maps something else in it). The
 * design, with the trust rule of DESIGN.md §9 (the guest, ring 0 included,
 * is untrusted):
 *
 *  - How the host learns the roots. CR3 is always one. The others are
 *    declared by the guest in the roots slot at the bottom of the top
 *    scratch page (common/sandbox_abi.h: magic, count, current, gpa[16]);
 *    the runtime appends every root it creates. The slot is guest-written,
 *    so it only says what to keep, never what is safe: snap_roots_declared
 *    checks every entry (page aligned, a page of the page-table area or of
 *    the free pages, where the runtime puts tables; not the I/O buffers,
 *    the stacks, the undo log or the bookkeeping page; no root twice; at
 *    most SNAP_MAX_ROOTS with CR3) and refuses the snapshot naming the
 *    entry otherwise, before anything is walked. A slot without the magic
 *    (a runtime from before the slot, or a guest that scribbled over it)
 *    declares nothing: the snapshot keeps CR3 alone, as before. What the
 *    roots' tables map is then walked with vmem's hostile-safe multi-root
 *    walk (budgets, loops skipped), as for CR3.
 *  - How the roots are kept. snap_from_live walks every root together:
 *    a table shared by several spaces is copied once and stays shared, a
 *    page mapped in several spaces is copied once (the seed's
 *    space-aware map), and each space gets one rebuilt root in the
 *    page-table tail, root 0 at its start (the page-table copy's GPA),
 *    with the scratch window mapped afresh in every root (the seed's
 *    Phase 3), so the runtime works whichever root is loaded. The snapshot
 *    records the rebuilt roots in the slot's order and which one CR3 held.
 *  - How the guest finds them after a restore. Tables move at every
 *    snapshot, so GPAs the guest kept are stale: the host writes the
 *    rebuilt roots into the slot on every build and restore (as it writes
 *    the generation word), and the runtime reads them from there
 *    (sb_address_space_root(i)).
 *  - Restore. The tail holds every root's tables and is written once; CR3
 *    = the root that was current when the snapshot was taken (a guest that
 *    ended a call in space 1 resumes in space 1, as without the snapshot).
 *  - Switching. Ring 3 cannot load CR3: the runtime's page-table gate
 *    switches (guest/ptgate.c), and since the slot is ring-3 writable it
 *    loads only a page the scratch window hides (a table: ring 3 can
 *    neither have written nor forged it) whose runtime slots (the guest
 *    image, the runtime page, the scratch window) are the current root's.
 *
 * A snapshot with more than one root has every restore full: the analysis
 * behind light restores (snap_ring0.c) reads root 0, and another root could
 * map ring 0's tables otherwise. Host copy-on-write counts every root's
 * mappings before it makes a page writable in place (snap_hostcow.c: a page
 * another space maps stays copy-on-write). Retain (mgr_retain.c) patches
 * the leaves of the tables root 0 reaches; a leaf only another space's own
 * table holds stays copy-on-write of the snapshot page, which is what a
 * fresh sandbox has (tested: tests/sandbox/test_sandbox_aspace.c under
 * every restore strategy).
 */
#include <stdio.h>
#include <string.h>

#include "snapshot_internal.h"

static uint64_t get_word(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, sizeof v);
	return v;
}

static int bad_root(struct sb_err *err, size_t i, gpa_t g, const char *why,
		    const struct layout *l)
{
	gpa_t base = layout_scratch_base_gpa(l);
	return sb_errf(err, SB_E_GUEST,
		       "snapshot: the guest declares root %zu at GPA 0x%llx, which %s: a root must "
		       "be a page-aligned page table in scratch's page-table area or free pages "
		       "[0x%llx, 0x%llx) (roots slot at scratch offset 0x%llx)",
		       i, (unsigned long long)g, why,
		       (unsigned long long)(base + layout_pt_scratch_offset(l)),
		       (unsigned long long)(base + layout_top_scratch_offset(l)),
		       (unsigned long long)sb_roots_slot_offset(layout_scratch_bytes(l)));
}

int snap_roots_declared(const struct layout *l, const uint8_t *scratch, uint64_t scratch_bytes,
			gpa_t cr3, gpa_t roots[SNAP_MAX_ROOTS], size_t *nroots, size_t *cur,
			struct sb_err *err)
{
	*nroots = 0;
	*cur = 0;
	const uint8_t *slot = NULL;
	if (scratch_bytes == layout_scratch_bytes(l) && scratch_bytes >= SB_SCRATCH_TOP_ROOTS)
		slot = scratch + sb_roots_slot_offset(scratch_bytes);
	if (slot && get_word(slot + offsetof(struct sb_roots_slot, magic)) == SB_ROOTS_MAGIC) {
		uint64_t count = get_word(slot + offsetof(struct sb_roots_slot, count));
		if (count == 0 || count > SNAP_MAX_ROOTS)
			return sb_errf(err, SB_E_GUEST,
				       "snapshot: the guest declares %llu address spaces in its roots "
				       "slot (1 to %d)", (unsigned long long)count, SNAP_MAX_ROOTS);
		gpa_t base = layout_scratch_base_gpa(l);
		for (size_t i = 0; i < count; i++) {
			gpa_t g = get_word(slot + offsetof(struct sb_roots_slot, gpa) + i * 8);
			if (g & (SB_PAGE_SIZE - 1))
				return bad_root(err, i, g, "is not page aligned", l);
			if (g < base || g - base >= scratch_bytes)
				return bad_root(err, i, g, "is outside scratch", l);
			uint64_t off = g - base;
			if (off < layout_pt_scratch_offset(l))
				return bad_root(err, i, g, "is in the I/O buffers", l);
			if (off >= layout_top_scratch_offset(l))
				return bad_root(err, i, g, "is in scratch's top pages (stacks, undo "
						"log, bookkeeping)", l);
			for (size_t k = 0; k < i; k++)
				if (roots[k] == g)
					return bad_root(err, i, g, "is declared twice", l);
			roots[i] = g;
		}
		*nroots = count;
	}
	for (size_t i = 0; i < *nroots; i++)
		if (roots[i] == cr3) {
			*cur = i;
			return 0;
		}
	/* CR3 is kept whatever the slot says: it is what the guest runs on. */
	if (*nroots == SNAP_MAX_ROOTS)
		return sb_errf(err, SB_E_GUEST,
			       "snapshot: the guest declares %d address spaces and CR3 (0x%llx) is "
			       "none of them: at most %d in all", SNAP_MAX_ROOTS,
			       (unsigned long long)cr3, SNAP_MAX_ROOTS);
	*cur = *nroots;
	roots[(*nroots)++] = cr3;
	return 0;
}

void snap_roots_write_slot(const struct snapshot *s, uint8_t *scratch, uint64_t scratch_bytes)
{
	if (scratch_bytes < SB_SCRATCH_TOP_ROOTS)
		return;
	struct sb_roots_slot slot = { .magic = SB_ROOTS_MAGIC };
	slot.count = s->nroots ? s->nroots : 1;
	slot.current = s->nroots ? s->cur_root : 0;
	if (s->nroots)
		memcpy(slot.gpa, s->roots, s->nroots * sizeof s->roots[0]);
	else
		slot.gpa[0] = layout_pt_base_gpa(&s->layout);
	memcpy(scratch + sb_roots_slot_offset(scratch_bytes), &slot, sizeof slot);
}

int snap_roots_check(const struct snapshot *s, struct sb_err *err)
{
	const struct layout *l = &s->layout;
	gpa_t base = layout_pt_base_gpa(l);
	if (s->nroots == 0 || s->nroots > SNAP_MAX_ROOTS)
		return sb_errf(err, SB_E_INVAL, "%u page-table roots (1 to %d)", s->nroots,
			       SNAP_MAX_ROOTS);
	if (s->cur_root >= s->nroots)
		return sb_errf(err, SB_E_INVAL, "current root %u of %u roots", s->cur_root, s->nroots);
	if (s->roots[0] != base)
		return sb_errf(err, SB_E_INVAL, "root 0 at GPA 0x%llx, not at the page-table copy "
			       "0x%llx", (unsigned long long)s->roots[0], (unsigned long long)base);
	for (unsigned i = 0; i < s->nroots; i++) {
		gpa_t g = s->roots[i];
		if ((g & (SB_PAGE_SIZE - 1)) || g < base || g - base >= layout_pt_bytes(l))
			return sb_errf(err, SB_E_INVAL, "root %u at GPA 0x%llx is not a page of the "
				       "page-table tail [0x%llx, +%llu)", i, (unsigned long long)g,
				       (unsigned long long)base, (unsigned long long)layout_pt_bytes(l));
		for (unsigned k = 0; k < i; k++)
			if (s->roots[k] == g)
				return sb_errf(err, SB_E_INVAL, "root %u at GPA 0x%llx is root %u again",
					       i, (unsigned long long)g, k);
	}
	return 0;
}
