/* test_pt_map_walk.c — x86-64 map/walk round trips over the host buffer. */
#include "vmem_util.h"

#define PT_BASE 0x100000ull

/* ---- round trips across table boundaries ---------------------------- */

struct rt_case {
	const char *name;
	gva_t va;
	gpa_t pa;
	uint64_t len;
	size_t want_tables;
};

static const struct rt_case rt_cases[] = {
	{"single page", 0x1000, 0x2000, PAGE, 4},
	{"across a PT boundary", 0x1FF000, 0x40000, 2 * PAGE, 5},
	{"across a PD boundary", 0x3FFFF000, 0x80000, 2 * PAGE, 6},
	{"across a PDPT boundary", 0x7FFFFFF000, 0x90000, 2 * PAGE, 7},
	{"whole PT plus one", 0x200000, 0x600000, 513 * PAGE, 5},
	{"low half top", 0x00007FFFFFFFE000, 0x3000, 2 * PAGE, 4},
	{"high half bottom", 0xFFFF800000000000, 0x5000, 3 * PAGE, 4},
	{"high half top (scratch window)", 0xFFFFFFFFFFFFF000 - 0x40000, 0xFFFFC0000, 0x40000, 4},
	{"top page of the VA space", 0xFFFFFFFFFFFFF000, 0x7000, PAGE, 4},
};

static void test_round_trips(void)
{
	for (size_t i = 0; i < sizeof rt_cases / sizeof rt_cases[0]; i++) {
		const struct rt_case *c = &rt_cases[i];
		struct pt_hostbuf hb;
		CHECK_U64(pt_hostbuf_init(&hb, &pt_format_x86_64, PT_BASE), PT_OK);
		struct pt_mapping m = {c->pa, c->va, c->len, pt_kind_basic(true, true, false), false};
		if (!CHECK_U64(pt_map(&hb.pt, &m), PT_OK))
			fprintf(stderr, "  case: %s\n", c->name);
		struct walk_result r = walk_collect(&hb.pt, pt_hostbuf_root(&hb), c->va, c->len, 0);
		size_t pages = c->len / PAGE;
		CHECK_U64(r.status, PT_OK);
		if (!CHECK_U64(r.n, pages) || !CHECK_U64(pt_hostbuf_tables(&hb), c->want_tables))
			fprintf(stderr, "  case: %s\n", c->name);
		for (size_t k = 0; k < r.n && k < MAXM; k++) {
			struct pt_mapping want = {c->pa + k * PAGE, c->va + k * PAGE, PAGE,
						  pt_kind_basic(true, true, false), false};
			if (!CHECK(mapping_equal(&r.m[k], &want)))
				fprintf(stderr, "  case %s page %zu: va %" PRIx64 " pa %" PRIx64 "\n",
					c->name, k, r.m[k].virt, r.m[k].phys);
		}
		/* the whole-space walk sees the same pages, sign-extended */
		struct walk_result all = walk_all(&hb.pt, pt_hostbuf_root(&hb), 0);
		CHECK_U64(all.n, pages);
		CHECK_U64(all.m[0].virt, c->va);
		pt_hostbuf_free(&hb);
	}
}

/* ---- every kind / permission combination ---------------------------- */

static bool last_leaf(void *arg, const struct pt_entry_info *e)
{
	if (e->what == PT_ENTRY_LEAF)
		*(pt_entry_t *)arg = e->raw;
	return true;
}

static void test_kinds(void)
{
	for (int tag = PT_KIND_BASIC; tag <= PT_KIND_COW; tag++)
		for (int bits = 0; bits < 16; bits++) {
			bool r = bits & 1, wr = bits & 2, x = bits & 4, user = bits & 8;
			struct pt_kind k = tag == PT_KIND_COW ? pt_kind_cow(r, x) : pt_kind_basic(r, wr, x);
			struct pt_hostbuf hb;
			pt_hostbuf_init(&hb, &pt_format_x86_64, PT_BASE);
			struct pt_mapping m = {0x9000, 0x4000, PAGE, k, user};
			CHECK_U64(pt_map(&hb.pt, &m), PT_OK);

			struct pt_walk w;
			struct pt_mapping got;
			pt_entry_t raw = 0;
			pt_walk_begin(&w, &hb.pt, 0x4000, PAGE);
			pt_walk_set_visitor(&w, last_leaf, &raw);
			bool ok = CHECK(pt_walk_next(&w, &got));
			CHECK(!pt_walk_next(&w, &got));
			/* x86 cannot make a present page unreadable: widened */
			struct pt_kind want = k;
			want.readable = true;
			if (ok && !CHECK(pt_kind_equal(got.kind, want)))
				fprintf(stderr, "  mapped %s, got %s\n", kind_name(k), kind_name(got.kind));
			CHECK_U64(got.user, user);
			CHECK_U64(got.phys, 0x9000);
			/* the raw entry: A and D pre-set, NX iff not executable, CoW mark */
			CHECK_U64(raw & (PT_P | PT_A | PT_D), PT_P | PT_A | PT_D);
			CHECK_U64((raw & PT_NX) != 0, !x);
			CHECK_U64((raw & PT_RW) != 0, tag == PT_KIND_BASIC && wr);
			CHECK_U64(raw & PT_AVL_MASK, tag == PT_KIND_COW ? PT_AVL_COW : 0);
			CHECK_U64((raw & PT_US) != 0, user);
			CHECK_U64(raw & PT_X86_64_ADDR_MASK, 0x9000);
			pt_hostbuf_free(&hb);
		}

	/* decode rules straight from entries: AVL must be exactly bit 9 */
	struct {
		pt_entry_t e;
		struct pt_kind want;
	} dec[] = {
		{0, {PT_KIND_UNMAPPED, 0, 0, 0}},
		{PT_RW | PT_AVL_COW, {PT_KIND_UNMAPPED, 0, 0, 0}}, /* not present */
		{PT_P | PT_AVL_COW, {PT_KIND_COW, 1, 0, 1}},
		{PT_P | PT_AVL_COW | PT_NX, {PT_KIND_COW, 1, 0, 0}},
		{PT_P | (3ull << 9), {PT_KIND_BASIC, 1, 0, 1}},   /* bits 9+10: not CoW */
		{PT_P | (1ull << 10), {PT_KIND_BASIC, 1, 0, 1}},  /* bit 10 only */
		{PT_P | PT_RW | PT_AVL_COW, {PT_KIND_BASIC, 1, 1, 1}}, /* RW set: not CoW */
		{PT_P | PT_RW | PT_NX, {PT_KIND_BASIC, 1, 1, 0}},
	};
	for (size_t i = 0; i < sizeof dec / sizeof dec[0]; i++) {
		struct pt_kind got = pt_entry_kind(&pt_format_x86_64, dec[i].e);
		if (!CHECK(pt_kind_equal(got, dec[i].want)))
			fprintf(stderr, "  entry %#" PRIx64 ": got %s\n", dec[i].e, kind_name(got));
	}

	/* table entries: present, writable, user, accessed; no NX, no D */
	CHECK_U64(pt_entry_table(&pt_format_x86_64, 0x123000),
		  0x123000 | PT_P | PT_RW | PT_US | PT_A);
}

/* ---- reuse of tables, holes, unmapping ------------------------------ */

static void test_reuse_and_holes(void)
{
	struct pt_hostbuf hb;
	pt_hostbuf_init(&hb, &pt_format_x86_64, PT_BASE);
	const struct pt *pt = &hb.pt;
	struct pt_kind rw = pt_kind_basic(true, true, true);
	struct {
		gva_t va;
		gpa_t pa;
		size_t tables_after;
	} steps[] = {
		{0x1000, 0x11000, 4},
		{0x5000, 0x15000, 4},     /* same PT */
		{0x200000, 0x21000, 5},   /* same PD, new PT */
		{0x40000000, 0x31000, 7}, /* same PDPT, new PD + PT */
		{0x1000, 0x99000, 7},     /* remap in place */
	};
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		struct pt_mapping m = {steps[i].pa, steps[i].va, PAGE, rw, false};
		CHECK_U64(pt_map(pt, &m), PT_OK);
		CHECK_U64(pt_hostbuf_tables(&hb), steps[i].tables_after);
	}
	struct walk_result r = walk_collect(pt, pt_root(pt), 0, 0x80000000, 0);
	CHECK_U64(r.n, 4);
	gva_t want_va[] = {0x1000, 0x5000, 0x200000, 0x40000000};
	gpa_t want_pa[] = {0x99000, 0x15000, 0x21000, 0x31000};
	for (size_t i = 0; i < 4; i++) {
		CHECK_U64(r.m[i].virt, want_va[i]);
		CHECK_U64(r.m[i].phys, want_pa[i]);
	}
	/* a hole between mappings yields nothing */
	CHECK_U64(walk_collect(pt, pt_root(pt), 0x2000, 0x3000, 0).n, 0);
	CHECK_U64(walk_collect(pt, pt_root(pt), 0x80000000, 1ull << 40, 0).n, 0);
	/* an unaligned walk range covers the pages it touches */
	CHECK_U64(walk_collect(pt, pt_root(pt), 0x1FFF, 0x3001, 0).n, 1);
	CHECK_U64(walk_collect(pt, pt_root(pt), 0x1FFF, 0x3002, 0).n, 2);

	/* unmapping clears leaves and allocates nothing */
	struct pt_mapping un = {0, 0x5000, PAGE, pt_kind_unmapped(), false};
	CHECK_U64(pt_map(pt, &un), PT_OK);
	struct pt_mapping un_far = {0, 0x7F0000000000, 16 * PAGE, pt_kind_unmapped(), false};
	CHECK_U64(pt_map(pt, &un_far), PT_OK);
	CHECK_U64(pt_hostbuf_tables(&hb), 7);
	CHECK_U64(walk_collect(pt, pt_root(pt), 0, 0x80000000, 0).n, 3);
	pt_hostbuf_free(&hb);
}

/* ---- argument errors ------------------------------------------------ */

static void test_errors(void)
{
	struct pt_hostbuf hb;
	pt_hostbuf_init(&hb, &pt_format_x86_64, PT_BASE);
	struct pt_kind k = pt_kind_basic(true, false, false);
	struct {
		gva_t va;
		gpa_t pa;
		uint64_t len;
		enum pt_status want_map, want_walk;
	} cases[] = {
		{0x0000800000000000, 0, PAGE, PT_E_NONCANONICAL, PT_E_NONCANONICAL},
		{0xFFFF7FFFFFFFF000, 0, PAGE, PT_E_NONCANONICAL, PT_E_NONCANONICAL},
		{0x00007FFFFFFFF000, 0, 2 * PAGE, PT_E_NONCANONICAL, PT_E_NONCANONICAL},
		{0xFFFFFFFFFFFFF000, 0, 2 * PAGE, PT_E_OVERFLOW, PT_E_OVERFLOW},
		{0x1001, 0, PAGE, PT_E_ALIGN, PT_OK},
		{0x1000, 0x10, PAGE, PT_E_ALIGN, PT_OK},
		{0x1000, 0, 100, PT_E_ALIGN, PT_OK},
		{0x1000, 1ull << 52, PAGE, PT_E_PHYS, PT_OK},
		{0x1000, (1ull << 52) - PAGE, 2 * PAGE, PT_E_PHYS, PT_OK},
		{0x1000, 0, 0, PT_OK, PT_OK}, /* empty */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct pt_mapping m = {cases[i].pa, cases[i].va, cases[i].len, k, false};
		if (!CHECK_U64(pt_map(&hb.pt, &m), cases[i].want_map))
			fprintf(stderr, "  case %zu\n", i);
		struct pt_walk w;
		struct pt_mapping out;
		CHECK_U64(pt_walk_begin(&w, &hb.pt, cases[i].va, cases[i].len), cases[i].want_walk);
		CHECK(!pt_walk_next(&w, &out));
		CHECK_U64(pt_walk_status(&w), cases[i].want_walk);
	}
	CHECK_U64(pt_hostbuf_tables(&hb), 1); /* nothing allocated by failures */
	pt_hostbuf_free(&hb);
	CHECK_U64(pt_hostbuf_init(&hb, &pt_format_x86_64, 0x100800), PT_E_ALIGN);
	pt_hostbuf_free(&hb); /* a failed init leaves nothing to leak but may be freed */
	CHECK_STR(pt_strerror(PT_E_NONCANONICAL), "non-canonical address");
	CHECK_STR(pt_strerror((enum pt_status)999), "unknown page-table status");
}

/* ---- large pages written by hand ------------------------------------ */

static void test_large_pages(void)
{
	struct pt_hostbuf hb;
	pt_hostbuf_init(&hb, &pt_format_x86_64, PT_BASE);
	const struct pt *pt = &hb.pt;
	gpa_t root = pt_root(pt);
	struct pt_mapping m = {0x2000, 0x1000, PAGE, pt_kind_basic(true, true, true), false};
	CHECK_U64(pt_map(pt, &m), PT_OK);
	gpa_t pdpt, pd;
	CHECK_U64(pt_table_ensure(pt, root, 0, 3, &pdpt), PT_OK);
	CHECK_U64(pt_table_ensure(pt, root, 0, 2, &pd), PT_OK);
	size_t tables = pt_hostbuf_tables(&hb);
	CHECK_U64(tables, 4); /* ensure did not allocate */
	/* PD[1]: 2 MiB page, PAT bit 12 set (must not leak into the address) */
	poke(pt, pd, 1, 0x40000000 | (1ull << 12) | PT_P | PT_RW | PT_PS | PT_A | PT_D);
	/* PDPT[1]: 1 GiB page, read-only, NX, CoW-marked */
	poke(pt, pdpt, 1, 0x80000000 | PT_P | PT_PS | PT_A | PT_D | PT_NX | PT_AVL_COW);
	/* PML4[1] with PS: reserved at this level, must not be read as a table
	 * nor as a page */
	poke(pt, root, 1, pd | PT_P | PT_RW | PT_PS);

	struct {
		gva_t va;
		uint64_t len;
		size_t n;
		gva_t virt0;
		gpa_t phys0;
		uint64_t len0;
		struct pt_kind kind0;
	} cases[] = {
		{0x200000, 2 * MIB, 1, 0x200000, 0x40000000, 2 * MIB, pt_kind_basic(1, 1, 1)},
		{0x300000, PAGE, 1, 0x200000, 0x40000000, 2 * MIB, pt_kind_basic(1, 1, 1)},
		{0x40000000, GIB, 1, 0x40000000, 0x80000000, GIB, pt_kind_cow(1, 0)},
		{0x7FFFF000, 2 * PAGE, 1, 0x40000000, 0x80000000, GIB, pt_kind_cow(1, 0)},
		{0x1000, 0x1000, 1, 0x1000, 0x2000, PAGE, pt_kind_basic(1, 1, 1)},
		{0x0, 0x80000000, 3, 0x1000, 0x2000, PAGE, pt_kind_basic(1, 1, 1)},
		{0x8000000000, 0x8000000000, 0, 0, 0, 0, pt_kind_unmapped()},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct walk_result r = walk_collect(pt, root, cases[i].va, cases[i].len, 0);
		CHECK_U64(r.status, PT_OK);
		if (!CHECK_U64(r.n, cases[i].n) || r.n == 0)
			continue;
		struct pt_mapping want = {cases[i].phys0, cases[i].virt0, cases[i].len0,
					  cases[i].kind0, false};
		if (!CHECK(mapping_equal(&r.m[0], &want)))
			fprintf(stderr, "  case %zu: va %" PRIx64 " pa %" PRIx64 " len %" PRIx64 " %s\n",
				i, r.m[0].virt, r.m[0].phys, r.m[0].len_bytes, kind_name(r.m[0].kind));
	}
	struct walk_result all = walk_all(pt, root, 0);
	CHECK_U64(all.n, 3);
	CHECK_U64(all.m[2].len_bytes, GIB);
	/* mapping over a large page is refused, not silently split */
	struct pt_mapping over = {0x5000, 0x201000, PAGE, pt_kind_basic(1, 1, 1), false};
	CHECK_U64(pt_map(pt, &over), PT_E_CONFLICT);
	struct pt_mapping over1g = {0x5000, 0x40001000, PAGE, pt_kind_basic(1, 1, 1), false};
	CHECK_U64(pt_map(pt, &over1g), PT_E_CONFLICT);
	CHECK_U64(pt_hostbuf_tables(&hb), tables);
	pt_hostbuf_free(&hb);
}

/* ---- effective permissions along the path --------------------------- */

static void test_effective_permissions(void)
{
	struct pt_hostbuf hb;
	pt_hostbuf_init(&hb, &pt_format_x86_64, PT_BASE);
	const struct pt *pt = &hb.pt;
	gpa_t root = pt_root(pt);
	struct pt_mapping m = {0x2000, 0x1000, PAGE, pt_kind_basic(true, true, true), true};
	CHECK_U64(pt_map(pt, &m), PT_OK);
	gpa_t pdpt, pd;
	pt_table_ensure(pt, root, 0, 3, &pdpt);
	pt_table_ensure(pt, root, 0, 2, &pd);
	struct {
		pt_entry_t pdpt_entry_clear, pdpt_entry_set;
		struct pt_kind want;
		bool user;
	} cases[] = {
		{0, 0, pt_kind_basic(1, 1, 1), true},
		{PT_RW, 0, pt_kind_basic(1, 0, 1), true},
		{PT_US, 0, pt_kind_basic(1, 1, 1), false},
		{0, PT_NX, pt_kind_basic(1, 1, 0), true},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		pt_entry_t e = (pt_entry_table(pt->fmt, pd) & ~cases[i].pdpt_entry_clear) |
			       cases[i].pdpt_entry_set;
		poke(pt, pdpt, 0, e);
		struct walk_result r = walk_collect(pt, root, 0x1000, PAGE, 0);
		if (!CHECK_U64(r.n, 1))
			continue;
		CHECK(pt_kind_equal(r.m[0].kind, cases[i].want));
		CHECK_U64(r.m[0].user, cases[i].user);
	}
	pt_hostbuf_free(&hb);
}

/* ---- the host buffer itself ----------------------------------------- */

static void test_hostbuf(void)
{
	struct pt_hostbuf hb;
	CHECK_U64(pt_hostbuf_init(&hb, &pt_format_x86_64, 0xFFFF0000), PT_OK);
	CHECK_U64(pt_hostbuf_size_bytes(&hb), PAGE);
	gpa_t t[40];
	for (int i = 0; i < 40; i++) {
		CHECK_U64(pt_hostbuf_alloc_table(&hb, &t[i]), PT_OK);
		CHECK_U64(t[i], 0xFFFF0000 + (i + 1) * PAGE);
	}
	CHECK_U64(pt_hostbuf_tables(&hb), 41);
	CHECK_U64(pt_hostbuf_set_root(&hb, t[3]), PT_OK);
	CHECK_U64(pt_hostbuf_set_root(&hb, t[39] + PAGE), PT_E_INVAL);
	CHECK_U64(pt_hostbuf_set_root(&hb, t[3] + 8), PT_E_INVAL);
	CHECK_U64(pt_hostbuf_root(&hb), t[3]);
	struct pt_mapping m = {0x5000, 0x1000, PAGE, pt_kind_basic(1, 1, 1), false};
	CHECK_U64(pt_map(&hb.pt, &m), PT_OK); /* into t[3] */
	CHECK_U64(walk_collect(&hb.pt, t[3], 0x1000, PAGE, 0).n, 1);
	CHECK_U64(walk_collect(&hb.pt, pt_hostbuf_initial_root(&hb), 0x1000, PAGE, 0).n, 0);
	/* the bytes are the tables: root t[3] entry 0 points at the next table */
	const uint8_t *b = pt_hostbuf_bytes(&hb);
	uint64_t e0;
	memcpy(&e0, b + (t[3] - 0xFFFF0000), 8);
	CHECK_U64(e0, pt_entry_table(&pt_format_x86_64, t[39] + PAGE));
	/* reads outside the buffer are "not present" */
	CHECK_U64(hb.pt.ops->read_entry(hb.pt.ctx, 0xFFFF0000 - 8, 8), 0);
	CHECK_U64(hb.pt.ops->read_entry(hb.pt.ctx, 0xFFFF0000 + pt_hostbuf_size_bytes(&hb) - 4, 8),
		  0);
	pt_hostbuf_free(&hb);
}

/* pt_lookup finds the very entry map wrote, for 4 KiB pages in both
 * halves, CoW pages, a hand-made 2 MiB page and in the i686 format. */
static void test_lookup(void)
{
	static const struct {
		const struct pt_format *fmt;
		gva_t va;
		struct pt_kind kind;
	} cases[] = {
		{ &pt_format_x86_64, 0x1000, { PT_KIND_BASIC, true, false, true } },
		{ &pt_format_x86_64, 0x7fffffffe000ull, { PT_KIND_COW, true, false, false } },
		{ &pt_format_x86_64, 0xfffffffffffff000ull, { PT_KIND_BASIC, true, true, false } },
		{ &pt_format_i686, 0x3ff000, { PT_KIND_COW, true, false, true } },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct pt_hostbuf hb;
		CHECK_U64(pt_hostbuf_init(&hb, cases[i].fmt, 0x100000), PT_OK);
		struct pt_mapping m = { 0x5000, cases[i].va, PAGE, cases[i].kind, true };
		CHECK_U64(pt_map(&hb.pt, &m), PT_OK);
		struct pt_leaf leaf;
		if (!CHECK_U64(pt_lookup(&hb.pt, pt_hostbuf_root(&hb), cases[i].va + 0x123, &leaf), PT_OK)) {
			pt_hostbuf_free(&hb);
			continue;
		}
		CHECK_U64(leaf.level, 1);
		CHECK_U64(leaf.entry, pt_entry_leaf(cases[i].fmt, 0x5000, cases[i].kind, true));
		CHECK_U64(hb.pt.ops->read_entry(hb.pt.ctx, leaf.entry_gpa, cases[i].fmt->entry_bytes),
			  leaf.entry);
		/* The neighbouring page is not mapped. */
		CHECK_U64(pt_lookup(&hb.pt, pt_hostbuf_root(&hb), cases[i].va - PAGE, &leaf), PT_E_UNMAPPED);
		pt_hostbuf_free(&hb);
	}
	/* A 2 MiB page written by hand is found at level 2; bad input refused. */
	struct pt_hostbuf hb;
	CHECK_U64(pt_hostbuf_init(&hb, &pt_format_x86_64, 0x100000), PT_OK);
	gpa_t pd;
	CHECK_U64(pt_table_ensure(&hb.pt, pt_hostbuf_root(&hb), 0x40000000, 2, &pd), PT_OK);
	pt_entry_t big = 0x200000 | PT_P | PT_RW | PT_A | PT_D | PT_PS;
	CHECK_U64(hb.pt.ops->write_entry(hb.pt.ctx, pd, 8, big), PT_OK);
	struct pt_leaf leaf;
	CHECK_U64(pt_lookup(&hb.pt, pt_hostbuf_root(&hb), 0x40012345, &leaf), PT_OK);
	CHECK_U64(leaf.level, 2);
	CHECK_U64(leaf.entry, big);
	CHECK_U64(pt_lookup(&hb.pt, pt_hostbuf_root(&hb), 0x0000800000000000ull, &leaf),
		  PT_E_NONCANONICAL);
	CHECK_U64(pt_lookup(&hb.pt, pt_hostbuf_root(&hb), 0x1000, NULL), PT_E_INVAL);
	pt_hostbuf_free(&hb);
}

int main(void)
{
	test_round_trips();
	test_kinds();
	test_reuse_and_holes();
	test_errors();
	test_large_pages();
	test_effective_permissions();
	test_hostbuf();
	test_lookup();
	return check_done();
}
