/* chain.c — a two-snapshot chain made without KVM, for the dedup view's
 * compare and its golden tests: the memory manager sets up a scratch
 * region over a base snapshot, we edit its page tables as the guest's
 * copy-on-write handler would, and snap_from_live compacts it. */
#include <string.h>

#include "mgr.h"
#include "tui_model.h"

struct scratch_pt {
	struct pt pt;
	struct mem_mgr *m;
};

static uint8_t *scratch_at(struct mem_mgr *m, gpa_t gpa, uint64_t bytes)
{
	gpa_t base = layout_scratch_base_gpa(mgr_layout(m));
	if (gpa < base || gpa - base > m->scratch_bytes - bytes)
		return NULL;
	return m->scratch + (gpa - base);
}

static pt_entry_t sp_read(void *ctx, gpa_t gpa, unsigned bytes)
{
	uint8_t *p = scratch_at(ctx, gpa, bytes);
	pt_entry_t e = 0;
	if (p)
		memcpy(&e, p, bytes);
	return e;
}

static enum pt_status sp_write(void *ctx, gpa_t gpa, unsigned bytes, pt_entry_t e)
{
	uint8_t *p = scratch_at(ctx, gpa, bytes);
	if (!p)
		return PT_E_INVAL;
	memcpy(p, &e, bytes);
	return PT_OK;
}

/* A page from the guest allocator word, as the guest runtime takes one. */
static enum pt_status sp_alloc(void *ctx, gpa_t *out)
{
	struct mem_mgr *m = ctx;
	uint8_t *word = m->scratch + m->scratch_bytes - SB_SCRATCH_TOP_ALLOCATOR;
	uint64_t next, after;
	memcpy(&next, word, 8);
	if (!scratch_at(m, next, SB_PAGE_SIZE * (SB_SCRATCH_TOP_PAGES + 1)))
		return PT_E_NOMEM;
	after = next + SB_PAGE_SIZE;
	memcpy(word, &after, 8);
	*out = next;
	return PT_OK;
}

static gpa_t sp_root(void *ctx)
{
	return layout_pt_base_gpa(mgr_layout(ctx));
}

static const struct pt_ops scratch_ops = { sp_read, sp_write, sp_alloc, sp_root };

/* A private page filled with `byte`, mapped RW at va. */
static int map_filled(struct scratch_pt *sp, gva_t va, gpa_t *pa, uint8_t byte)
{
	if (!*pa && sp_alloc(sp->m, pa) != PT_OK)
		return -1;
	memset(scratch_at(sp->m, *pa, SB_PAGE_SIZE), byte, SB_PAGE_SIZE);
	struct pt_mapping map = { *pa, va, SB_PAGE_SIZE, pt_kind_basic(true, true, false), true };
	return pt_map(&sp->pt, &map) == PT_OK ? 0 : -1;
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
	struct scratch_pt sp = { { &pt_format_x86_64, &scratch_ops, &m }, &m };
	const gva_t heap = layout_heap_gva(l);
	gpa_t p1 = 0, p2 = 0, p3 = 0;
	int rc = -1;
	if (map_filled(&sp, heap + SB_PAGE_SIZE, &p1, 0xAA) ||
	    map_filled(&sp, TUI_CHAIN_ALIAS_GVA, &p1, 0xAA)) {
		sb_errf(err, SB_E_NOMEM, "scratch too small for the chain");
		goto out;
	}
	if (take(&m, base->generation + 1, a, err))
		goto out;
	if (map_filled(&sp, heap + SB_PAGE_SIZE, &p1, 0xBB) ||
	    map_filled(&sp, heap + 2 * SB_PAGE_SIZE, &p2, 0xCC) ||
	    map_filled(&sp, TUI_CHAIN_ALIAS_GVA + SB_PAGE_SIZE, &p3, 0xDD)) {
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
