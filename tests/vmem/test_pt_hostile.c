/* test_pt_hostile.c — walks over attacker-controlled tables through the
 * region reader: every case must terminate, read nothing out of bounds
 * (run under ASan: region buffers are malloc'd to their exact length) and
 * report what it should. */
#include <limits.h>
#include <stdlib.h>

#include "pt_dump.h"
#include "vmem_util.h"

#define MEM_GPA 0x10000ull
#define MEM_PAGES 8

/* Guest memory: MEM_PAGES tables at MEM_GPA, table i at T(i). */
#define T(i) (MEM_GPA + (gpa_t)(i) * PAGE)

struct guest {
	uint8_t *mem;
	uint64_t len;
	struct pt_region region;
	struct pt_regions rr;
};

static void guest_init(struct guest *g, uint64_t len)
{
	g->len = len;
	g->mem = calloc(1, len);
	g->region = (struct pt_region){MEM_GPA, g->mem, len};
	pt_regions_init(&g->rr, &pt_format_x86_64, &g->region, 1, T(0));
}

static void put(struct guest *g, gpa_t table, unsigned idx, pt_entry_t e)
{
	uint64_t off = table - MEM_GPA + idx * 8ull;
	if (off + 8 <= g->len)
		memcpy(g->mem + off, &e, 8);
}

static pt_entry_t tab(gpa_t t) { return t | PT_P | PT_RW | PT_US | PT_A; }
static pt_entry_t page(gpa_t p) { return p | PT_P | PT_RW | PT_A | PT_D; }

struct counts {
	unsigned loops, bad, tables, leaves;
};

static bool count_entries(void *arg, const struct pt_entry_info *e)
{
	struct counts *c = arg;
	switch (e->what) {
	case PT_ENTRY_LOOP: c->loops++; break;
	case PT_ENTRY_BAD: c->bad++; break;
	case PT_ENTRY_TABLE: c->tables++; break;
	case PT_ENTRY_LEAF: c->leaves++; break;
	}
	return true;
}

struct hostile_case {
	const char *name;
	void (*build)(struct guest *g);
	uint64_t mem_len;
	gpa_t root;
	uint64_t budget;
	size_t want_n;
	enum pt_status want_status;
	unsigned want_loops, want_bad;
};

/* A valid 4-level chain T0 -> T1 -> T2 -> T3 mapping VA 0 -> 0x5000. */
static void build_chain(struct guest *g)
{
	put(g, T(0), 0, tab(T(1)));
	put(g, T(1), 0, tab(T(2)));
	put(g, T(2), 0, tab(T(3)));
	put(g, T(3), 0, page(0x5000));
}

static void build_outside(struct guest *g)
{
	build_chain(g);
	put(g, T(0), 1, tab(0x7000000));      /* PDPT far outside any region */
	put(g, T(1), 1, tab(0xFFFFFFFFF000)); /* PD at the top of phys space */
	put(g, T(2), 1, tab(MEM_GPA - PAGE)); /* PT just below the region */
	put(g, T(3), 1, page(0xFFFFFFFFF000)); /* leaf pointing anywhere: fine */
}

/* Region shorter than its last table: T(7)'s first entry straddles the
 * edge (4 bytes in, 4 out), everything after it is outside. */
static void build_straddle(struct guest *g)
{
	build_chain(g);
	put(g, T(2), 1, tab(T(6)));
	put(g, T(6), 511, page(0x6000)); /* last entry, fully inside */
	put(g, T(2), 2, tab(T(7)));      /* T(7) straddles: reads must give 0 */
	uint32_t half = (uint32_t)page(0x7000);
	memcpy(g->mem + (T(7) - MEM_GPA), &half, 4);
}

static void build_loops(struct guest *g)
{
	build_chain(g);
	put(g, T(1), 1, tab(T(0))); /* PDPT -> root */
	put(g, T(1), 2, tab(T(1))); /* PDPT -> itself */
	put(g, T(2), 1, tab(T(1))); /* PD -> its parent */
	put(g, T(3), 2, tab(T(0)) | PT_RW); /* a leaf pointing at the root: just a page */
	put(g, T(0), 5, tab(T(4))); /* T4 <-> T5 two-table cycle below */
	put(g, T(4), 0, tab(T(5)));
	put(g, T(5), 0, tab(T(4)));
}

static void build_self_root(struct guest *g)
{
	for (unsigned i = 0; i < 512; i++)
		put(g, T(0), i, tab(T(0)));
}

/* Every entry of every level points at the same next table: 2^36 leaves. */
static void build_fanout(struct guest *g)
{
	for (unsigned i = 0; i < 512; i++) {
		put(g, T(0), i, tab(T(1)));
		put(g, T(1), i, tab(T(2)));
		put(g, T(2), i, tab(T(3)));
		put(g, T(3), i, page(0x100000 + i * PAGE));
	}
}

/* Fan-out of empty tables: no leaves at all, 2^27 entries to read. */
static void build_empty_fanout(struct guest *g)
{
	for (unsigned i = 0; i < 512; i++) {
		put(g, T(0), i, tab(T(1)));
		put(g, T(1), i, tab(T(2)));
		put(g, T(2), i, tab(T(3)));
	}
}

static void build_bad_ps(struct guest *g)
{
	build_chain(g);
	put(g, T(0), 1, tab(T(1)) | PT_PS); /* PS in a PML4 entry: reserved */
}

/* Deterministic garbage in every byte of every table. */
static void build_garbage(struct guest *g)
{
	uint64_t x = 0x9E3779B97F4A7C15ull;
	for (uint64_t off = 0; off + 8 <= g->len; off += 8) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		/* bias towards present entries pointing back into the region */
		pt_entry_t e = (x & 3) ? ((MEM_GPA + (x >> 8) % g->len) | (x & 0xFFF)) | PT_P : x;
		memcpy(g->mem + off, &e, 8);
	}
}

static const struct hostile_case cases[] = {
	{"valid chain", build_chain, MEM_PAGES * PAGE, T(0), 0, 1, PT_OK, 0, 0},
	{"root outside every region", build_chain, MEM_PAGES * PAGE, 0x9990000, 0, 0, PT_OK, 0, 0},
	{"root just below the region (low bits dropped)", build_chain, MEM_PAGES * PAGE,
	 MEM_GPA - 8, 0, 0, PT_OK, 0, 0},
	{"root with CR3 flag bits", build_chain, MEM_PAGES * PAGE, T(0) | 0x18, 0, 1, PT_OK, 0, 0},
	{"entries pointing outside", build_outside, MEM_PAGES * PAGE, T(0), 0, 2, PT_OK, 0, 0},
	{"table straddling the region edge", build_straddle, 7 * PAGE + 4, T(0), 0, 2, PT_OK, 0, 0},
	{"loops between tables", build_loops, MEM_PAGES * PAGE, T(0), 0, 2, PT_OK, 4, 0},
	{"self-referencing root", build_self_root, MEM_PAGES * PAGE, T(0), 0, 0, PT_OK, 512, 0},
	/* 100000 reads = PML4 + PDPT entry, 194 x (PD entry + 512 leaves),
	 * PD entry + 475 leaves: 194 * 512 + 475 leaves */
	{"huge fan-out, budget", build_fanout, MEM_PAGES * PAGE, T(0), 100000, 194 * 512 + 475,
	 PT_E_LIMIT, 0, 0},
	{"empty fan-out, budget", build_empty_fanout, MEM_PAGES * PAGE, T(0), 1000000, 0,
	 PT_E_LIMIT, 0, 0},
	{"PS in the PML4", build_bad_ps, MEM_PAGES * PAGE, T(0), 0, 1, PT_OK, 0, 1},
	{"garbage everywhere", build_garbage, MEM_PAGES * PAGE, T(0), 200000, SIZE_MAX, PT_E__COUNT,
	 UINT_MAX, 0},
};

static void test_hostile_cases(void)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct hostile_case *c = &cases[i];
		struct guest g;
		guest_init(&g, c->mem_len);
		c->build(&g);
		struct counts cnt = {0};
		struct pt_walk w;
		struct pt_mapping m;
		size_t n = 0;
		pt_walk_begin_all(&w, &g.rr.pt, c->root);
		pt_walk_set_budget(&w, c->budget);
		pt_walk_set_visitor(&w, count_entries, &cnt);
		while (pt_walk_next(&w, &m))
			n++;
		bool ok = true;
		if (c->want_n != SIZE_MAX)
			ok &= CHECK_U64(n, c->want_n);
		if (c->want_status != PT_E__COUNT)
			ok &= CHECK_U64(pt_walk_status(&w), c->want_status);
		if (c->want_loops != UINT_MAX)
			ok &= CHECK_U64(cnt.loops, c->want_loops);
		if (c->want_bad || c->build != build_garbage)
			ok &= CHECK_U64(cnt.bad, c->want_bad);
		uint64_t budget = c->budget ? c->budget : PT_WALK_DEFAULT_MAX_ENTRIES;
		ok &= CHECK(w.entries_read <= budget);
		if (!ok)
			fprintf(stderr, "  case: %s (n=%zu status=%s)\n", c->name, n,
				pt_strerror(pt_walk_status(&w)));
		/* the dump survives the same tables */
		FILE *devnull = fopen("/dev/null", "w");
		if (c->budget == 0)
			CHECK_U64(pt_dump(devnull, &g.rr.pt, c->root), c->want_status);
		fclose(devnull);
		free(g.mem);
	}
}

/* Lookup agrees with the walk on a PS bit in the PML4: the walk reports
 * PT_ENTRY_BAD and maps nothing there, so lookup must not follow the entry
 * as a table (here it would reach T(1)'s chain and "find" page 0x5000). */
static void test_lookup_bad_ps(void)
{
	struct guest g;
	guest_init(&g, MEM_PAGES * PAGE);
	build_bad_ps(&g);
	struct pt_leaf leaf;
	CHECK_U64(pt_lookup(&g.rr.pt, T(0), 0x0000008000000000ull, &leaf), PT_E_BAD_ENTRY);
	CHECK_U64(pt_lookup(&g.rr.pt, T(0), 0x0000008000000123ull, &leaf), PT_E_BAD_ENTRY);
	/* the same chain through a clean PML4 entry still resolves */
	CHECK_U64(pt_lookup(&g.rr.pt, T(0), 0x123, &leaf), PT_OK);
	CHECK_U64(leaf.entry & PT_X86_64_ADDR_MASK, 0x5000);
	struct walk_result r = walk_collect(&g.rr.pt, T(0), 0x0000008000000000ull, 0x1000, 0);
	CHECK_U64(r.status, PT_OK);
	CHECK_U64(r.n, 0);
	CHECK(strstr(pt_strerror(PT_E_BAD_ENTRY), "PS") != NULL);
	free(g.mem);
}

static void test_fanout_range(void)
{
	/* a small range over the fan-out is walked exactly */
	struct guest g;
	guest_init(&g, MEM_PAGES * PAGE);
	build_fanout(&g);
	struct walk_result r = walk_collect(&g.rr.pt, T(0), 0x7FFFFFFFD000, 0x3000, 0);
	CHECK_U64(r.status, PT_OK);
	CHECK_U64(r.n, 3);
	CHECK_U64(r.m[0].phys, 0x100000 + 509 * PAGE);
	r = walk_collect(&g.rr.pt, T(0), 0xFFFF800000000000, 0x2000, 0);
	CHECK_U64(r.n, 2);
	CHECK_U64(r.m[0].virt, 0xFFFF800000000000);
	CHECK_U64(r.m[0].phys, 0x100000);
	CHECK_U64(r.m[1].phys, 0x101000);
	/* the region reader is read-only */
	struct pt_mapping m = {0x1000, 0x1000, PAGE, pt_kind_basic(1, 1, 1), false};
	CHECK_U64(pt_map(&g.rr.pt, &m), PT_E_READONLY);
	struct pt_mapping far = {0x1000, 0x100000000000, PAGE, pt_kind_basic(1, 1, 1), false};
	CHECK_U64(pt_map(&g.rr.pt, &far), PT_E_READONLY);
	/* host pointers only for ranges fully inside a region */
	CHECK(pt_regions_host_ptr(&g.rr, T(0), PAGE) == g.mem);
	CHECK(pt_regions_host_ptr(&g.rr, T(7), PAGE) != NULL);
	CHECK(pt_regions_host_ptr(&g.rr, T(7) + 8, PAGE) == NULL);
	CHECK(pt_regions_host_ptr(&g.rr, MEM_GPA - 1, 2) == NULL);
	CHECK(pt_regions_host_ptr(&g.rr, ~0ull, 2) == NULL);
	free(g.mem);
}

static void test_two_regions(void)
{
	/* root in one region, lower tables in another, a gap between them */
	uint8_t *a = calloc(1, PAGE), *b = calloc(1, 3 * PAGE);
	struct pt_region regs[2] = {{0x1000, a, PAGE}, {0x100000, b, 3 * PAGE}};
	pt_entry_t e;
	e = tab(0x100000), memcpy(a + 0, &e, 8);
	e = tab(0x101000), memcpy(b + 0, &e, 8);
	e = tab(0x102000), memcpy(b + PAGE, &e, 8);
	e = page(0xABC000), memcpy(b + 2 * PAGE + 8, &e, 8);
	e = tab(0x5000), memcpy(b + PAGE + 8, &e, 8); /* into the gap */
	struct pt_regions rr;
	pt_regions_init(&rr, &pt_format_x86_64, regs, 2, 0x1000);
	struct walk_result r = walk_all(&rr.pt, 0x1000, 0);
	CHECK_U64(r.n, 1);
	CHECK_U64(r.m[0].virt, 0x1000);
	CHECK_U64(r.m[0].phys, 0xABC000);
	free(a);
	free(b);
}

int main(void)
{
	test_hostile_cases();
	test_fanout_range();
	test_lookup_bad_ps();
	test_two_regions();
	return check_done();
}
