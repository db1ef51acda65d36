/* test_pt_multiroot.c — several roots walked together: shared subtrees
 * detected (first root owns), and rebuilt with sharing preserved. */
#include <stdlib.h>

#include "pt_multiroot.h"
#include "vmem_util.h"

#define IN_BASE 0x100000ull
#define OUT_BASE 0xFF0000000ull
#define KVA 0xFFFF800000000000ull /* "kernel half" shared by the spaces */

static const struct pt_kind RWX = {PT_KIND_BASIC, true, true, true};

static void map1(const struct pt *pt, gpa_t root, gva_t va, gpa_t pa, uint64_t len)
{
	struct pt_mapping m = {pa, va, len, RWX, false};
	CHECK_U64(pt_map_at(pt, root, &m), PT_OK);
}

/* Input: 3 roots.  Root 0 maps a kernel range at KVA and a private page.
 * Root 1 links root 0's table of level `lvl` covering KVA; root 2 does too,
 * and also shares a PT with root 1 (first seen in root 1). */
struct input {
	struct pt_hostbuf hb;
	gpa_t roots[3];
	gpa_t shared_k; /* root 0's level-lvl table at KVA */
	gpa_t shared_12;
};

static void build_input(struct input *in, unsigned lvl)
{
	pt_hostbuf_init(&in->hb, &pt_format_x86_64, IN_BASE);
	const struct pt *pt = &in->hb.pt;
	in->roots[0] = pt_hostbuf_root(&in->hb);
	pt_hostbuf_alloc_table(&in->hb, &in->roots[1]);
	pt_hostbuf_alloc_table(&in->hb, &in->roots[2]);
	map1(pt, in->roots[0], KVA, 0x200000, 3 * PAGE);
	map1(pt, in->roots[0], 0x1000, 0x300000, PAGE);
	map1(pt, in->roots[1], 0x1000, 0x301000, PAGE);
	map1(pt, in->roots[1], 0x400000, 0x500000, 2 * PAGE);
	map1(pt, in->roots[2], 0x2000, 0x302000, PAGE);
	CHECK_U64(pt_table_ensure(pt, in->roots[0], KVA, lvl, &in->shared_k), PT_OK);
	CHECK_U64(pt_table_link(pt, in->roots[1], KVA, lvl, in->shared_k), PT_OK);
	CHECK_U64(pt_table_link(pt, in->roots[2], KVA, lvl, in->shared_k), PT_OK);
	/* root 1's PT covering 0x400000, linked into root 2 at 0x600000 */
	CHECK_U64(pt_table_ensure(pt, in->roots[1], 0x400000, 1, &in->shared_12), PT_OK);
	CHECK_U64(pt_table_link(pt, in->roots[2], 0x600000, 1, in->shared_12), PT_OK);
}

static gpa_t shift_phys(gpa_t p) { return p + 0x10000000; }

static enum pt_status hook_shift(void *arg, size_t space, struct pt_mapping *m, bool *keep)
{
	size_t *calls = arg;
	calls[space]++;
	m->phys = shift_phys(m->phys);
	if (m->kind.tag == PT_KIND_BASIC && m->kind.writable)
		m->kind = pt_kind_cow(true, m->kind.executable);
	*keep = true;
	return PT_OK;
}

static void test_share_and_rebuild(void)
{
	for (unsigned lvl = 1; lvl <= 3; lvl++) {
		struct input in;
		build_input(&in, lvl);
		size_t in_tables = pt_hostbuf_tables(&in.hb);
		struct pt_multiwalk mw;
		CHECK_U64(pt_multiwalk_run(&mw, &in.hb.pt, in.roots, 3, 0), PT_OK);
		CHECK_U64(mw.nroots, 3);
		/* space 0: only leaves (it owns everything it reaches) */
		size_t leaves0 = 0;
		for (size_t i = 0; i < mw.spaces[0].count; i++)
			leaves0 += mw.spaces[0].items[i].tag == PT_ITEM_LEAF;
		CHECK_U64(leaves0, 4);
		CHECK_U64(mw.spaces[0].count, 4);
		/* space 1: private leaves (1 + 2), one SHARED ref to root 0 */
		/* space 2: 1 leaf, refs to root 0 (KVA) and root 1 (the PT) */
		struct {
			size_t space, nleaves, nshared;
		} want[] = {{1, 3, 1}, {2, 1, 2}};
		for (size_t k = 0; k < 2; k++) {
			const struct pt_space *sp = &mw.spaces[want[k].space];
			size_t nl = 0, ns = 0;
			for (size_t i = 0; i < sp->count; i++) {
				const struct pt_space_item *it = &sp->items[i];
				if (it->tag == PT_ITEM_LEAF) {
					nl++;
					continue;
				}
				ns++;
				const struct pt_shared_ref *r = &it->u.shared;
				if (r->va == KVA) {
					CHECK_U64(r->owner_root, 0);
					CHECK_U64(r->owner_va, KVA);
					CHECK_U64(r->level, lvl);
					CHECK_U64(r->table_gpa, in.shared_k);
				} else {
					CHECK_U64(r->va, 0x600000);
					CHECK_U64(r->owner_root, 1);
					CHECK_U64(r->owner_va, 0x400000);
					CHECK_U64(r->level, 1);
					CHECK_U64(r->table_gpa, in.shared_12);
				}
			}
			CHECK_U64(nl, want[k].nleaves);
			if (!CHECK_U64(ns, want[k].nshared))
				fprintf(stderr, "  level %u space %zu\n", lvl, want[k].space);
		}

		/* rebuild with a leaf transform */
		struct pt_hostbuf out;
		pt_hostbuf_init(&out, &pt_format_x86_64, OUT_BASE);
		gpa_t out_roots[3];
		size_t calls[3] = {0};
		CHECK_U64(pt_multiwalk_rebuild(&mw, &out, hook_shift, calls, out_roots), PT_OK);
		CHECK_U64(out_roots[0], OUT_BASE);
		CHECK_U64(calls[0] + calls[1] + calls[2], 8); /* each leaf once, none for shared */
		/* tables shared in the input are shared in the output: same count */
		if (!CHECK_U64(pt_hostbuf_tables(&out), in_tables))
			fprintf(stderr, "  level %u\n", lvl);
		/* per root: same mappings, transformed */
		for (size_t r = 0; r < 3; r++) {
			struct walk_result a = walk_all(&in.hb.pt, in.roots[r], 0);
			struct walk_result b = walk_all(&out.pt, out_roots[r], 0);
			CHECK_U64(b.n, a.n);
			for (size_t i = 0; i < a.n && i < b.n; i++) {
				struct pt_mapping want_m = a.m[i];
				bool kk;
				size_t dummy[3];
				hook_shift(dummy, 0, &want_m, &kk);
				if (!CHECK(mapping_equal(&b.m[i], &want_m)))
					fprintf(stderr, "  level %u root %zu item %zu\n", lvl, r, i);
			}
		}
		/* the shared table is one table in the output */
		gpa_t t0, t1, t2;
		pt_table_ensure(&out.pt, out_roots[0], KVA, lvl, &t0);
		pt_table_ensure(&out.pt, out_roots[1], KVA, lvl, &t1);
		pt_table_ensure(&out.pt, out_roots[2], KVA, lvl, &t2);
		CHECK_U64(t1, t0);
		CHECK_U64(t2, t0);
		pt_table_ensure(&out.pt, out_roots[1], 0x400000, 1, &t1);
		pt_table_ensure(&out.pt, out_roots[2], 0x600000, 1, &t2);
		CHECK_U64(t2, t1);
		CHECK_U64(pt_hostbuf_tables(&out), in_tables); /* ensure allocated nothing */
		pt_hostbuf_free(&out);
		pt_multiwalk_free(&mw);
		pt_hostbuf_free(&in.hb);
	}
}

/* Same table twice inside one root: second occurrence is a ref to root 0. */
static void test_alias_within_root(void)
{
	struct pt_hostbuf hb;
	pt_hostbuf_init(&hb, &pt_format_x86_64, IN_BASE);
	gpa_t root = pt_hostbuf_root(&hb);
	map1(&hb.pt, root, 0x1000, 0x7000, 2 * PAGE);
	gpa_t pdpt;
	pt_table_ensure(&hb.pt, root, 0, 3, &pdpt);
	pt_table_link(&hb.pt, root, 1ull << 39, 3, pdpt);
	struct pt_multiwalk mw;
	CHECK_U64(pt_multiwalk_run(&mw, &hb.pt, &root, 1, 0), PT_OK);
	CHECK_U64(mw.spaces[0].count, 3);
	CHECK_U64(mw.spaces[0].items[2].tag, PT_ITEM_SHARED);
	CHECK_U64(mw.spaces[0].items[2].u.shared.owner_root, 0);
	CHECK_U64(mw.spaces[0].items[2].u.shared.va, 1ull << 39);
	CHECK_U64(mw.spaces[0].items[2].u.shared.owner_va, 0);
	struct pt_hostbuf out;
	gpa_t oroot;
	pt_hostbuf_init(&out, &pt_format_x86_64, OUT_BASE);
	CHECK_U64(pt_multiwalk_rebuild(&mw, &out, NULL, NULL, &oroot), PT_OK);
	CHECK_U64(pt_hostbuf_tables(&out), 4);
	CHECK_U64(walk_all(&out.pt, oroot, 0).n, 4);
	pt_hostbuf_free(&out);
	pt_multiwalk_free(&mw);
	pt_hostbuf_free(&hb);
}

static enum pt_status hook_drop_odd(void *arg, size_t space, struct pt_mapping *m, bool *keep)
{
	(void)arg, (void)space;
	*keep = !((m->virt >> 12) & 1);
	return PT_OK;
}

static enum pt_status hook_fail(void *arg, size_t space, struct pt_mapping *m, bool *keep)
{
	(void)arg, (void)space, (void)m, (void)keep;
	return PT_E_NOMEM;
}

static void test_hooks_and_budget(void)
{
	struct input in;
	build_input(&in, 2);
	struct pt_multiwalk mw;
	CHECK_U64(pt_multiwalk_run(&mw, &in.hb.pt, in.roots, 3, 0), PT_OK);
	struct pt_hostbuf out;
	gpa_t oroots[3];
	pt_hostbuf_init(&out, &pt_format_x86_64, OUT_BASE);
	CHECK_U64(pt_multiwalk_rebuild(&mw, &out, hook_drop_odd, NULL, oroots), PT_OK);
	size_t want[3] = {2, 2, 2}; /* KVA+0, KVA+2p in every root; 0x400000 in 1 and 2 */
	want[0] = 2;                /* root 0: KVA, KVA+0x2000 */
	want[1] = 3;                /* + 0x400000 */
	want[2] = 4;                /* + 0x600000, 0x2000 */
	for (size_t r = 0; r < 3; r++)
		CHECK_U64(walk_all(&out.pt, oroots[r], 0).n, want[r]);
	pt_hostbuf_free(&out);
	pt_hostbuf_init(&out, &pt_format_x86_64, OUT_BASE);
	CHECK_U64(pt_multiwalk_rebuild(&mw, &out, hook_fail, NULL, oroots), PT_E_HOOK);
	pt_hostbuf_free(&out);
	pt_multiwalk_free(&mw);
	/* a budget too small for all roots stops with LIMIT, frees the result */
	CHECK_U64(pt_multiwalk_run(&mw, &in.hb.pt, in.roots, 3, 600), PT_E_LIMIT);
	CHECK(mw.spaces == NULL);
	CHECK_U64(pt_multiwalk_run(&mw, &in.hb.pt, in.roots, 3, 0), PT_OK);
	uint64_t need = mw.entries_read;
	pt_multiwalk_free(&mw);
	CHECK_U64(need, 18 * 512); /* 18 distinct tables, each read once */
	CHECK_U64(pt_multiwalk_run(&mw, &in.hb.pt, in.roots, 3, need), PT_OK);
	pt_multiwalk_free(&mw);
	CHECK_U64(pt_multiwalk_run(&mw, &in.hb.pt, in.roots, 3, need - 1), PT_E_LIMIT);
	pt_hostbuf_free(&in.hb);
}

/* Fan-out over a region reader: every table walked once, so it is fast. */
static void test_fanout_dedup(void)
{
	uint8_t *mem = calloc(1, 4 * PAGE);
	for (unsigned i = 0; i < 512; i++)
		for (unsigned t = 0; t < 4; t++) {
			pt_entry_t e = t < 3 ? (0x10000 + (t + 1) * PAGE) | PT_P | PT_RW | PT_US | PT_A
					     : (0x900000 + i * PAGE) | PT_P | PT_A | PT_D;
			memcpy(mem + t * PAGE + i * 8, &e, 8);
		}
	struct pt_region reg = {0x10000, mem, 4 * PAGE};
	struct pt_regions rr;
	pt_regions_init(&rr, &pt_format_x86_64, &reg, 1, 0x10000);
	gpa_t roots[2] = {0x10000, 0x10000};
	struct pt_multiwalk mw;
	CHECK_U64(pt_multiwalk_run(&mw, &rr.pt, roots, 2, 0), PT_OK);
	CHECK_U64(mw.entries_read, 5 * 512);
	CHECK_U64(mw.spaces[0].count, 512 + 3 * 511);
	CHECK_U64(mw.spaces[1].count, 512); /* every PML4 entry: shared */
	struct pt_hostbuf out;
	gpa_t oroots[2];
	pt_hostbuf_init(&out, &pt_format_x86_64, OUT_BASE);
	CHECK_U64(pt_multiwalk_rebuild(&mw, &out, NULL, NULL, oroots), PT_OK);
	CHECK_U64(pt_hostbuf_tables(&out), 5); /* 2 roots + PDPT + PD + PT */
	struct walk_result a = walk_collect(&rr.pt, 0x10000, 0xFFFF800000000000, 8 * PAGE, 0);
	struct walk_result b = walk_collect(&out.pt, oroots[1], 0xFFFF800000000000, 8 * PAGE, 0);
	CHECK_U64(b.n, 8);
	for (size_t i = 0; i < a.n && i < b.n; i++)
		CHECK(mapping_equal(&a.m[i], &b.m[i]));
	pt_hostbuf_free(&out);
	pt_multiwalk_free(&mw);
	free(mem);
}

int main(void)
{
	test_share_and_rebuild();
	test_alias_within_root();
	test_hooks_and_budget();
	test_fanout_dedup();
	return check_done();
}
