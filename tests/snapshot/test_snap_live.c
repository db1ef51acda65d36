/* test_snap_live.c — compaction without KVM: a "running sandbox" made by
 * hand (the INIT snapshot of the test guest, its scratch set up by the
 * memory manager, page tables edited here as a guest would), then
 * snap_from_live. Checks copy-once, aliases, the shared zero page, CoW
 * marking, the scratch window, independence of two snapshots (the seed's
 * multiple_snapshots_independent) and a hostile entry.
 * Usage: test_snap_live TESTGUEST_ELF */
#include <stdlib.h>

#include "check.h"
#include "mgr.h"
#include "proto.h"
#include "pt_host.h"
#include "snapshot.h"

static gpa_t alloc_page(struct mem_mgr *m)
{
	gpa_t pa = 0;
	CHECK_U64(mgr_alloc_page(m, &pa), PT_OK);
	return pa;
}

static void map_page(struct pt *pt, gva_t va, gpa_t pa, struct pt_kind k)
{
	struct pt_mapping m = { pa, va, SB_PAGE_SIZE, k, true };
	CHECK_U64(pt_map(pt, &m), PT_OK);
}

/* The new snapshot's view of a VA: its leaf, and the page's bytes. */
static const uint8_t *snap_page(const struct snapshot *s, gva_t va, struct pt_kind *kind)
{
	struct pt_region r = { layout_pt_base_gpa(&s->layout), snap_pt_tail(s), layout_pt_bytes(&s->layout) };
	struct pt_regions rr;
	pt_regions_init(&rr, &pt_format_x86_64, &r, 1, r.gpa);
	struct pt_leaf leaf;
	if (pt_lookup(&rr.pt, r.gpa, va, &leaf) != PT_OK)
		return NULL;
	gpa_t pa = leaf.entry & PT_X86_64_ADDR_MASK;
	if (kind)
		*kind = pt_entry_kind(&pt_format_x86_64, leaf.entry);
	if (pa < SB_BASE_ADDRESS || pa - SB_BASE_ADDRESS >= layout_snapshot_bytes(&s->layout))
		return NULL;
	return s->image + (pa - SB_BASE_ADDRESS);
}

static struct snapshot *take(struct mem_mgr *m, uint64_t generation, struct sb_err *err)
{
	gpa_t root = layout_pt_base_gpa(mgr_layout(m));
	struct kvm_sregs sregs = { .cr0 = 0x80010033 };
	struct snap_host_fn fn = { .name = "twice", .ret = SB_T_I64, .nparams = 1, .params = { SB_T_I64 } };
	struct snap_live_input in = {
		.base = m->snap, .scratch = m->scratch, .scratch_bytes = m->scratch_bytes,
		.roots = &root, .nroots = 1, .sregs = &sregs,
		.dispatch_gva = 0x1234, .stack_top_gva = sb_call_stack_top_gva(),
		.generation = generation, .host_fns = &fn, .n_host_fns = 1,
	};
	struct snapshot *s = NULL;
	if (snap_from_live(&s, &in, err))
		return NULL;
	return s;
}

int main(int argc, char **argv)
{
	struct elf_image img;
	struct sb_err err;
	if (argc < 2 || elf_image_open(&img, argv[1], &err)) {
		fprintf(stderr, "usage: %s TESTGUEST_ELF\n", argv[0]);
		return 2;
	}
	struct layout_config cfg = layout_config_default();
	struct snapshot *base = NULL;
	if (!CHECK_I64(snap_from_elf(&base, &img, &cfg, NULL, 0, 0, &err), 0))
		return check_done();
	const struct layout *l = &base->layout;
	struct mem_mgr m;
	if (!CHECK_I64(mgr_init(&m, base, &err), 0))
		return check_done();
	struct pt sp = mgr_scratch_pt(&m);

	const gva_t heap = layout_heap_gva(l), alias = 0x0000500000000000ull;
	/* Copy-on-write as the guest does it: heap page 1 gets a private
	 * scratch copy with pattern A. */
	gpa_t priv = alloc_page(&m);
	memset(mgr_scratch_at(&m, priv, SB_PAGE_SIZE), 0xAA, SB_PAGE_SIZE);
	map_page(&sp, heap + SB_PAGE_SIZE, priv, pt_kind_basic(true, true, false));
	/* An alias: the same private page also at another VA. */
	map_page(&sp, alias, priv, pt_kind_basic(true, true, false));

	struct snapshot *a = take(&m, 1, &err);
	if (!CHECK(a != NULL)) {
		fprintf(stderr, "  %s\n", err.msg);
		return check_done();
	}
	CHECK_U64(a->entry_kind, SNAP_ENTRY_CALL);
	CHECK_U64(a->generation, 1);
	CHECK_U64(a->entry_gva, 0x1234);
	CHECK(a->has_sregs && a->sregs.cr0 == 0x80010033);
	CHECK(a->n_host_fns == 1 && strcmp(a->host_fns[0].name, "twice") == 0);

	/* Pattern A at both VAs, one copy, copy-on-write. */
	struct pt_kind k1, k2;
	const uint8_t *p1 = snap_page(a, heap + SB_PAGE_SIZE, &k1), *p2 = snap_page(a, alias, &k2);
	CHECK(p1 != NULL && p1 == p2);
	CHECK(p1 && p1[0] == 0xAA && p1[SB_PAGE_SIZE - 1] == 0xAA);
	CHECK(k1.tag == PT_KIND_COW && k2.tag == PT_KIND_COW);
	CHECK(a->stats.pages_aliased >= 1);
	/* Zero heap pages share one page; read-only pages stay read-only. */
	const uint8_t *z0 = snap_page(a, heap, NULL), *z5 = snap_page(a, heap + 5 * SB_PAGE_SIZE, NULL);
	CHECK(z0 != NULL && z0 == z5);
	CHECK(a->stats.zero_pages >= layout_heap_bytes(l) / SB_PAGE_SIZE - 1);
	struct pt_kind kp;
	CHECK(snap_page(a, layout_peb_gva(l), &kp) != NULL);
	CHECK(kp.tag == PT_KIND_BASIC && !kp.writable);
	/* Every distinct page once, all zero pages as one. */
	CHECK_U64(a->stats.pages_copied, a->stats.pages_mapped - a->stats.pages_aliased -
						 a->stats.zero_pages + (a->stats.zero_pages > 0));
	CHECK_U64(layout_snapshot_bytes(&a->layout), a->stats.pages_copied * SB_PAGE_SIZE);
	/* The scratch window is mapped afresh (not copied), guard page left out. */
	struct pt_region r = { layout_pt_base_gpa(&a->layout), snap_pt_tail(a), layout_pt_bytes(&a->layout) };
	struct pt_regions rr;
	pt_regions_init(&rr, &pt_format_x86_64, &r, 1, r.gpa);
	struct pt_leaf leaf;
	CHECK_U64(pt_lookup(&rr.pt, r.gpa, layout_input_gva(l), &leaf), PT_OK);
	CHECK_U64(leaf.entry & PT_X86_64_ADDR_MASK, layout_scratch_base_gpa(l));
	CHECK_U64(pt_lookup(&rr.pt, r.gpa, sb_stack_guard_gva(), &leaf), PT_E_UNMAPPED);

	/* A second snapshot with pattern B is independent of the first. */
	memset(mgr_scratch_at(&m, priv, SB_PAGE_SIZE), 0xBB, SB_PAGE_SIZE);
	struct snapshot *b = take(&m, 2, &err);
	if (CHECK(b != NULL)) {
		const uint8_t *pa = snap_page(a, heap + SB_PAGE_SIZE, NULL), *pb = snap_page(b, heap + SB_PAGE_SIZE, NULL);
		CHECK(pa && pb && pa[0] == 0xAA && pb[0] == 0xBB);
		CHECK(!snap_equal(a, b));
		/* Restoring each into the memory manager puts its own tables in
		 * scratch: the heap page resolves to that snapshot's pattern. */
		struct snapshot *order[] = { a, b, a };
		for (int i = 0; i < 3; i++) {
			mgr_restore(&m, order[i]);
			struct pt_region rs[2] = {
				{ SB_BASE_ADDRESS, order[i]->image, layout_snapshot_bytes(&order[i]->layout) },
				{ layout_scratch_base_gpa(l), m.scratch, m.scratch_bytes },
			};
			struct pt_regions live;
			pt_regions_init(&live, &pt_format_x86_64, rs, 2, layout_pt_base_gpa(l));
			CHECK_U64(pt_lookup(&live.pt, layout_pt_base_gpa(l), heap + SB_PAGE_SIZE, &leaf), PT_OK);
			const uint8_t *page = pt_regions_host_ptr(&live, leaf.entry & PT_X86_64_ADDR_MASK, SB_PAGE_SIZE);
			CHECK(page && page[0] == (order[i] == a ? 0xAA : 0xBB));
			CHECK_U64(mgr_pages_allocated(&m), 0);
		}
	}

	/* A hostile entry pointing outside guest memory is refused. */
	mgr_restore(&m, base);
	map_page(&sp, heap + 2 * SB_PAGE_SIZE, 0x700000000ull, pt_kind_basic(true, true, false));
	struct snapshot *bad = take(&m, 1, &err);
	CHECK(bad == NULL);
	CHECK_CONTAINS(err.msg, "not guest memory");

	snap_unref(a);
	snap_unref(b);
	mgr_fini(&m);
	snap_unref(base);
	elf_image_free(&img);
	return check_done();
}
