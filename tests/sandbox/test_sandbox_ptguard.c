/* test_sandbox_ptguard.c — ring-3 guest code cannot touch page tables
 * (common/sandbox_abi.h, "Who writes page tables"; guest/ptgate.c).
 *
 * Ring 3 writing or reading a table through the scratch window faults —
 * the host-built page-table area, a table the runtime built at run time,
 * the same table once a snapshot moved it into the page-table area, and
 * the runtime page (IDT, GDT, TSS) through its backing scratch page — and
 * the call fails with a page fault naming the address. The runtime's
 * page-table gate maps what guest code may map and refuses the runtime's
 * own addresses and pages, in both rings, leaving the sandbox ready.
 * Usage: test_sandbox_ptguard TESTGUEST_ELF */
#include <stdlib.h>

#include "fixture.h"
#include "pt.h"

#define RT_PAGE_GVA 0xFFFFFF0000000000ull /* SB_RT_PAGE_GVA (guest/internal.h) */
#define ALIAS_VA 0x500000000ull           /* PML4[0], PDPT[20]: tables built at run time */

static struct snapshot *elf;

static struct sandbox *sandbox_in(struct snapshot *s, enum sandbox_guest_mode mode)
{
	struct sandbox_config c = fixture_config();
	c.mode = mode;
	return fixture_sandbox(s, &c);
}

static const char *ring(enum sandbox_guest_mode mode)
{
	return mode == SANDBOX_MODE_USER ? "ring 3" : "ring 0";
}

static uint64_t u64_call2(struct sandbox *sb, const char *fn, uint64_t a, uint64_t b)
{
	struct sb_value args[2] = { v_u64(a), v_u64(b) }, ret = { 0 };
	struct sb_err err;
	if (!CHECK_I64(sandbox_call(sb, fn, args, 2, &ret, &err), 0))
		fprintf(stderr, "  %s(0x%llx, 0x%llx): %s\n", fn, (unsigned long long)a,
			(unsigned long long)b, err.msg);
	return ret.as.u64;
}

/* `fn(a, b)` from ring 3 must fault on `addr` (a write: error code 7, a
 * read: 5) and poison the sandbox. */
static void expect_fault(struct sandbox *sb, const char *fn, uint64_t a, uint64_t b, uint64_t addr,
			 bool write, const char *what)
{
	struct sb_value args[2] = { v_u64(a), v_u64(b) }, ret;
	struct sb_err err = { 0 };
	char want[96];
	snprintf(want, sizeof want, "address 0x%llx, error code 0x%d", (unsigned long long)addr,
		 write ? 7 : 5);
	bool ok = CHECK_I64(sandbox_call(sb, fn, args, 2, &ret, &err), -1) &&
		  CHECK_U64(err.code, SB_E_GUEST) && CHECK_CONTAINS(err.msg, "page fault (vector 14)") &&
		  CHECK_CONTAINS(err.msg, want) && CHECK_U64(sandbox_status(sb), SANDBOX_POISONED);
	if (!ok)
		fprintf(stderr, "  %s: %s\n", what, err.msg);
}

static gva_t window_gva(const struct layout *l, gpa_t gpa)
{
	return layout_scratch_base_gva(l) + (gpa - layout_scratch_base_gpa(l));
}

/* The host-built page-table area: the PML4 entry of the hostile slot. */
static void test_pt_area(void)
{
	const struct layout *l = &elf->layout;
	gva_t pml4 = window_gva(l, layout_pt_base_gpa(l));
	struct sandbox *sb = sandbox_in(elf, SANDBOX_MODE_USER);
	expect_fault(sb, "poke", pml4 + 300 * 8, 0x1234007, pml4 + 300 * 8, true, "PML4 write");
	sandbox_destroy(sb);
	sb = sandbox_in(elf, SANDBOX_MODE_USER);
	struct sb_value arg = v_u64(pml4), ret;
	struct sb_err err;
	CHECK_I64(sandbox_call(sb, "peek", &arg, 1, &ret, &err), -1);
	CHECK_CONTAINS(err.msg, "error code 0x5");
	sandbox_destroy(sb);
	/* The hostile scribbler's table edits are refused at their first access. */
	sb = sandbox_in(elf, SANDBOX_MODE_USER);
	arg = v_u64(0x5EED);
	CHECK_I64(sandbox_call(sb, "scribble_tables", &arg, 1, &ret, &err), -1);
	char at[48]; /* its first access: reading PML4[0] for the heap */
	snprintf(at, sizeof at, "address 0x%llx,", (unsigned long long)pml4);
	CHECK_CONTAINS(err.msg, "page fault (vector 14)");
	CHECK_CONTAINS(err.msg, at);
	CHECK_U64(sandbox_status(sb), SANDBOX_POISONED);
	sandbox_destroy(sb);
	/* In ring 0 the same write goes through (the tables are supervisor-only,
	 * not read-only): the fault above is the supervisor bit at work. */
	sb = sandbox_in(elf, SANDBOX_MODE_KERNEL);
	u64_call2(sb, "poke", pml4 + 300 * 8, 0);
	sandbox_destroy(sb);
}

/* A table the runtime built at run time, before and after a snapshot put
 * it into the page-table area. */
static void test_runtime_tables(void)
{
	const struct layout *l = &elf->layout;
	struct sandbox *sb = sandbox_in(elf, SANDBOX_MODE_USER);
	struct sb_value args[3] = { v_u64(layout_heap_gva(l)), v_u64(ALIAS_VA), v_u64(1) }, ret;
	struct sb_err err;
	if (!CHECK_I64(sandbox_call(sb, "map_gpa", args, 3, &ret, &err), 0))
		fprintf(stderr, "  map_gpa: %s\n", err.msg);
	gva_t e = u64_call2(sb, "pt_leaf", ALIAS_VA, 0);
	CHECK(e >= layout_scratch_base_gva(l) + layout_free_scratch_offset(l)); /* a new table */
	struct snapshot *s = NULL;
	CHECK_I64(sandbox_snapshot(sb, &s, &err), 0);
	expect_fault(sb, "poke", e, 0, e, true, "run-time table");
	sandbox_destroy(sb);
	if (!s)
		return;
	sb = sandbox_in(s, SANDBOX_MODE_USER);
	e = u64_call2(sb, "pt_leaf", ALIAS_VA, 0);
	uint64_t off = e - layout_scratch_base_gva(&s->layout);
	CHECK(off >= layout_pt_scratch_offset(&s->layout) && off < layout_free_scratch_offset(&s->layout));
	expect_fault(sb, "poke", e, 0, e, true, "rebuilt table");
	sandbox_destroy(sb);
	snap_unref(s);
}

/* The runtime page (IDT, GDT, TSS) through its backing scratch page. */
static void test_runtime_page(void)
{
	struct sandbox *sb = sandbox_in(elf, SANDBOX_MODE_USER);
	uint64_t entry = u64_call2(sb, "pt_leaf", RT_PAGE_GVA, 1);
	CHECK(!(entry & PT_US));
	gva_t backing = window_gva(&elf->layout, entry & PT_X86_64_ADDR_MASK);
	expect_fault(sb, "poke", backing, 0, backing, true, "runtime page backing");
	sandbox_destroy(sb);
}

/* The gate maps what guest code may map and refuses the rest, in both
 * rings; a refusal is an error of the call, not a fault. */
static void test_gate(enum sandbox_guest_mode mode)
{
	const struct layout *l = &elf->layout;
	struct sandbox *sb = sandbox_in(elf, mode);
	uint64_t heap = layout_heap_gva(l), rt = u64_call2(sb, "pt_leaf", RT_PAGE_GVA, 1);
	struct sb_value args[3] = { v_u64(heap), v_u64(ALIAS_VA), v_u64(1) }, ret;
	struct sb_err err;
	CHECK_I64(sandbox_call(sb, "map_gpa", args, 3, &ret, &err), 0);
	gpa_t table = u64_call2(sb, "pt_leaf", ALIAS_VA, 0) - SB_SCRATCH_GVA_MINUS_GPA;
	table &= ~(gpa_t)(SB_PAGE_SIZE - 1);
	gpa_t free_page = 0;
	CHECK_I64(sandbox_call(sb, "scratch_next_free", NULL, 0, &ret, &err), 0);
	free_page = ret.as.u64;
	const struct {
		const char *what;
		gpa_t gpa;
		gva_t va;
		bool ok;
	} cases[] = {
		{ "the runtime page's VA", heap, RT_PAGE_GVA, false },
		{ "the scratch window", heap, layout_scratch_base_gva(l), false },
		{ "the top of the VA space", heap, 0xFFFFFFFFFFFFE000ull, false },
		{ "the guest image", heap, layout_code_gva(l), false },
		{ "the PML4", layout_pt_base_gpa(l), ALIAS_VA + SB_PAGE_SIZE, false },
		{ "a run-time table", table, ALIAS_VA + SB_PAGE_SIZE, false },
		{ "the runtime page's backing", rt & PT_X86_64_ADDR_MASK, ALIAS_VA + SB_PAGE_SIZE, false },
		{ "a free scratch page", free_page, ALIAS_VA + SB_PAGE_SIZE, true },
		{ "a GPA with no memory", 0x900000000ull, ALIAS_VA + 2 * SB_PAGE_SIZE, true },
		{ "a high-half VA below the runtime's", heap, 0xFFFF800000000000ull, true },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct sb_value a[3] = { v_u64(cases[i].gpa), v_u64(cases[i].va), v_u64(1) };
		int rc = sandbox_call(sb, "map_gpa", a, 3, &ret, &err);
		bool ok = cases[i].ok ? CHECK_I64(rc, 0)
				      : CHECK_I64(rc, -1) && CHECK_CONTAINS(err.msg, "refused");
		ok = CHECK_U64(sandbox_status(sb), SANDBOX_READY) && ok;
		if (!ok)
			fprintf(stderr, "  %s: map %s: %s\n", ring(mode), cases[i].what, rc ? err.msg : "ok");
	}
	/* What was allowed is mapped; the sandbox still runs calls. */
	uint64_t word = 0;
	CHECK_I64(call_u64_1(sb, "peek", ALIAS_VA + SB_PAGE_SIZE, &word, &err), 0);
	int64_t r = 0;
	CHECK_I64(call_i64_2(sb, "add", 40, 2, &r, &err), 0);
	CHECK_I64(r, 42);
	sandbox_destroy(sb);
}

int main(int argc, char **argv)
{
	elf = fixture_main(argc, argv, "TESTGUEST_ELF");
	test_pt_area();
	test_runtime_tables();
	test_runtime_page();
	test_gate(SANDBOX_MODE_USER);
	test_gate(SANDBOX_MODE_KERNEL);
	snap_unref(elf);
	return check_done();
}
