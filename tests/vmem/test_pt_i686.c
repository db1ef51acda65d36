/* test_pt_i686.c — the i686 2-level format through the same walker. */
#include "vmem_util.h"

#define PT_BASE 0x100000ull

static const struct pt_format *F = &pt_format_i686;

struct i686_case {
	const char *name;
	gva_t va;
	gpa_t pa;
	uint64_t len;
	struct pt_kind kind, want_kind;
	size_t want_tables;
};

static const struct i686_case cases[] = {
	{"single page", 0x1000, 0x2000, PAGE, {PT_KIND_BASIC, 1, 1, 1}, {PT_KIND_BASIC, 1, 1, 1}, 2},
	{"CoW page", 0x2000, 0x3000, PAGE, {PT_KIND_COW, 1, 0, 1}, {PT_KIND_COW, 1, 0, 1}, 2},
	{"across a 4 MiB boundary", 0x3FF000, 0x5000, 2 * PAGE, {PT_KIND_BASIC, 1, 0, 1},
	 {PT_KIND_BASIC, 1, 0, 1}, 3},
	/* no NX on i686: executable cannot be refused, it is widened */
	{"no-exec widened", 0x1000, 0x2000, PAGE, {PT_KIND_BASIC, 1, 1, 0}, {PT_KIND_BASIC, 1, 1, 1},
	 2},
	{"top of the 32-bit space", 0xFFFFE000, 0xFFFFE000, 2 * PAGE, {PT_KIND_COW, 1, 0, 0},
	 {PT_KIND_COW, 1, 0, 1}, 2},
};

static void test_cases(void)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct i686_case *c = &cases[i];
		struct pt_hostbuf hb;
		CHECK_U64(pt_hostbuf_init(&hb, F, PT_BASE), PT_OK);
		struct pt_mapping m = {c->pa, c->va, c->len, c->kind, true};
		CHECK_U64(pt_map(&hb.pt, &m), PT_OK);
		struct walk_result r = walk_all(&hb.pt, pt_hostbuf_root(&hb), 0);
		bool ok = CHECK_U64(r.n, c->len / PAGE);
		ok &= CHECK_U64(pt_hostbuf_tables(&hb), c->want_tables);
		for (size_t k = 0; k < r.n; k++) {
			struct pt_mapping want = {c->pa + k * PAGE, c->va + k * PAGE, PAGE, c->want_kind,
						  true};
			ok &= CHECK(mapping_equal(&r.m[k], &want));
		}
		if (!ok)
			fprintf(stderr, "  case: %s\n", c->name);
		pt_hostbuf_free(&hb);
	}
}

static void test_layout_and_reuse(void)
{
	struct pt_hostbuf hb;
	pt_hostbuf_init(&hb, F, PT_BASE);
	struct pt_mapping a = {0x1000, 0x1000, PAGE, pt_kind_basic(1, 1, 1), false};
	struct pt_mapping b = {0x5000, 0x5000, PAGE, pt_kind_basic(1, 1, 1), false};
	CHECK_U64(pt_map(&hb.pt, &a), PT_OK);
	CHECK_U64(pt_map(&hb.pt, &b), PT_OK);
	/* 1 PD + 1 PT = 2 pages: the page table was reused */
	CHECK_U64(pt_hostbuf_size_bytes(&hb), 2 * PAGE);
	CHECK_U64(walk_collect(&hb.pt, pt_root(&hb.pt), 0x1000, PAGE, 0).m[0].phys, 0x1000);
	CHECK_U64(walk_collect(&hb.pt, pt_root(&hb.pt), 0x5000, PAGE, 0).m[0].phys, 0x5000);
	/* 4-byte entries: PD[0] at byte 0, PT[1] and PT[5] at bytes 4 and 20 */
	const uint8_t *bytes = pt_hostbuf_bytes(&hb);
	uint32_t pde, pte1, pte5, pte2;
	memcpy(&pde, bytes, 4);
	memcpy(&pte1, bytes + PAGE + 4, 4);
	memcpy(&pte2, bytes + PAGE + 8, 4);
	memcpy(&pte5, bytes + PAGE + 20, 4);
	CHECK_U64(pde, (PT_BASE + PAGE) | PT_P | PT_RW | PT_US | PT_A);
	CHECK_U64(pte1, 0x1000 | PT_P | PT_RW | PT_A | PT_D);
	CHECK_U64(pte5, 0x5000 | PT_P | PT_RW | PT_A | PT_D);
	CHECK_U64(pte2, 0);
	pt_hostbuf_free(&hb);
}

static void test_large_and_errors(void)
{
	struct pt_hostbuf hb;
	pt_hostbuf_init(&hb, F, PT_BASE);
	const struct pt *pt = &hb.pt;
	/* unmapped returns nothing */
	CHECK_U64(walk_collect(pt, pt_root(pt), 0x1000, PAGE, 0).n, 0);
	CHECK_U64(walk_all(pt, pt_root(pt), 0).n, 0);
	/* PD[2]: a 4 MiB page at 8 MiB -> 0xC00000, CoW-marked */
	poke(pt, pt_root(pt), 2, 0x00C00000 | PT_P | PT_PS | PT_A | PT_D | PT_AVL_COW);
	struct walk_result r = walk_collect(pt, pt_root(pt), 0x900000, PAGE, 0);
	CHECK_U64(r.n, 1);
	struct pt_mapping want = {0xC00000, 0x800000, 4 * MIB, pt_kind_cow(1, 1), false};
	CHECK(mapping_equal(&r.m[0], &want));
	struct pt_mapping over = {0x1000, 0x801000, PAGE, pt_kind_basic(1, 1, 1), false};
	CHECK_U64(pt_map(pt, &over), PT_E_CONFLICT);
	struct {
		gva_t va;
		gpa_t pa;
		uint64_t len;
		enum pt_status want;
	} errs[] = {
		{0x100000000, 0x1000, PAGE, PT_E_NONCANONICAL},
		{0xFFFFF000, 0x1000, 2 * PAGE, PT_E_NONCANONICAL},
		{0x1000, 0x100000000, PAGE, PT_E_PHYS},
		{0x1000, 0xFFFFF000, 2 * PAGE, PT_E_PHYS},
	};
	for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++) {
		struct pt_mapping m = {errs[i].pa, errs[i].va, errs[i].len, pt_kind_basic(1, 1, 1), false};
		CHECK_U64(pt_map(pt, &m), errs[i].want);
	}
	CHECK_U64(pt_hostbuf_tables(&hb), 1);
	/* the hostbuf refuses a base above 4 GiB for i686 */
	struct pt_hostbuf hi;
	CHECK_U64(pt_hostbuf_init(&hi, F, 0x100000000ull), PT_E_PHYS);
	pt_hostbuf_free(&hi);
	pt_hostbuf_free(&hb);
}

int main(void)
{
	test_cases();
	test_layout_and_reuse();
	test_large_and_errors();
	return check_done();
}
