/* chain.c — a two-snapshot chain made without KVM, for the dedup view's
 * compare and its golden tests: the memory manager sets up a scratch
 * region over a base snapshot, we edit its page tables as the guest's
 * copy-on-write handler would, and snap_from_live compacts it. */
#include <string.h>

#include "mgr.h"
#include "tui_model.h"

/* A private page filled with `byte`, mapped RW at va. */
static int map_filled(struct mem_mgr *m, gva_t va, gpa_t *pa, uint8_t byte)
{
	if (!*pa && mgr_alloc_page(m, pa) != PT_OK)
		return -1;
	memset(mgr_scratch_at(m, *pa, SB_PAGE_SIZE), byte, SB_PAGE_SIZE);
	struct pt pt = mgr_scratch_pt(m);
	struct pt_mapping map = { *pa, va, SB_PAGE_SIZE, pt_kind_basic(true, true, false), true };
	return pt_map(&pt, &map) == PT_OK ? 0 : -1;
}

static int take(struct mem_mgr *m, uint64_t generation, struct snapshot **out, struct sb_err *err)
{
	gpa_t root = layout_pt_base_gpa(mgr_layout(m));
	struct kvm_sregs sregs = { .cr0 = 0x80010033 };
	struct snap_live_input in = {
		.base = m->snap, .scratch = m->scratch, .scratch_bytes = m->scratch_bytes,
		.roots = &root, .nroots = 1, .sregs = &sregs,
		.dispatch_gva = m->snap->entry_gva, .stack_top_gva = sb_call_stack_top_gva(),
		.generation = generation,
		.host_fns = m->snap->host_fns, .n_host_fns = m->snap->n_host_fns,
	};
	return snap_from_live(out, &in, err);
}

int tui_chain_handmade(struct snapshot *base, struct snapshot **a, struct snapshot **b,
		       struct sb_err *err)
{
	const struct layout *l = &base->layout;
	*a = *b = NULL;
	if (layout_heap_bytes(l) < 3 * SB_PAGE_SIZE)
		return sb_errf(err, SB_E_TOO_SMALL, "the heap needs 3 pages for the chain");
	struct mem_mgr m;
	if (mgr_init(&m, base, err))
		return -1;
	const gva_t heap = layout_heap_gva(l);
	gpa_t p1 = 0, p2 = 0, p3 = 0;
	int rc = -1;
	if (map_filled(&m, heap + SB_PAGE_SIZE, &p1, 0xAA) ||
	    map_filled(&m, TUI_CHAIN_ALIAS_GVA, &p1, 0xAA)) {
		sb_errf(err, SB_E_NOMEM, "scratch too small for the chain");
		goto out;
	}
	if (take(&m, base->generation + 1, a, err))
		goto out;
	if (map_filled(&m, heap + SB_PAGE_SIZE, &p1, 0xBB) ||
	    map_filled(&m, heap + 2 * SB_PAGE_SIZE, &p2, 0xCC) ||
	    map_filled(&m, TUI_CHAIN_ALIAS_GVA + SB_PAGE_SIZE, &p3, 0xDD)) {
		sb_errf(err, SB_E_NOMEM, "scratch too small for the chain");
		goto out;
	}
	if (take(&m, base->generation + 2, b, err))
		goto out;
	rc = 0;
out:
	if (rc) {
		snap_unref(*a);
		*a = NULL;
	}
	mgr_fini(&m);
	return rc;
}
