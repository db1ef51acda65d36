/* testguest_redteam5.c — the fifth red-team pass, for
 * tests/sandbox/test_sandbox_redteam5.c: incremental snapshots
 * (snapshot/snap_incr.c). Linked into its own ELF,
 * build/guest/testguest_redteam5, with the test guest's functions (poke,
 * peek, bump_pages, ...), registered through -Wl,--wrap=sb_guest_main
 * (guest/meson.build).
 *
 *   rt5_relink(va, slot)    ring 0: point root entry `slot` (CR3's table)
 *                           at the last-level table that maps `va`, as if
 *                           it were a third-level table. The CPU then reads
 *                           that table's leaves as PDPTEs: the page `va`
 *                           maps becomes a page directory, whatever its
 *                           data says. Writes one entry of the root, nothing
 *                           else. Returns the address through which `va`'s
 *                           page is now read as a page directory:
 *                           slot << 39 | (index of va's leaf) << 30.
 *   rt5_scratch_put(off, v) ring 0: write v at scratch offset `off` through
 *                           the scratch window (no table involved).
 *   rt5_flip(gen, n)        heap pages [0, n) are range A, [n, 2n) range B:
 *                           map n fresh scratch pages (written: not zero) at
 *                           one range and unmap the other (A in odd
 *                           generations, B in even ones), through the
 *                           page-table gate. Every generation's new pages
 *                           go where its parent had no leaf, and its
 *                           parent's go away. Returns the sum of the words
 *                           written.
 *   rt5_find(v, pages)      ring 3 is enough: map each of the snapshot
 *                           region's first `pages` guest-physical pages
 *                           read-only (through the gate, at 0x500000000000;
 *                           the runtime's own pages are refused, skipped)
 *                           and count the pages whose first word is v.
 *   rt5_scatter(n, stride)  add 1 to the first word of heap pages 0, stride,
 *                           2 * stride, ... (n pages): writes scattered
 *                           across the heap. Returns the sum of the words.
 */
#include "arch.h"
#include "internal.h"

static int fn_rt5_relink(const struct sb_value *args, struct sb_value *ret,
			 struct sb_guest_error *err)
{
	uint16_t cs;
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	uint64_t va = args[0].as.u64, slot = args[1].as.u64;
	struct pt_leaf leaf;
	if ((cs & 3) != 0 || slot >= 256 || sb_lookup_page(va, &leaf) != PT_OK) {
		sb_error_set(err, SB_CALL_E_BAD_ARGUMENTS, "rt5_relink: ring 0, a lower-half slot "
			     "and a mapped address");
		return -1;
	}
	gpa_t table = leaf.entry_gpa & ~(gpa_t)(SB_PAGE_SIZE - 1);
	gpa_t root = read_cr3() & PT_X86_64_ADDR_MASK;
	sb_pt_write(root + 8 * slot, table | PT_P | PT_RW | PT_US);
	ret->as.u64 = slot << 39 | ((va >> 12) & 511) << 30;
	return 0;
}

static int fn_rt5_scratch_put(const struct sb_value *args, struct sb_value *ret,
			      struct sb_guest_error *err)
{
	uint16_t cs;
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	uint64_t size = *(volatile uint64_t *)(uintptr_t)sb_scratch_top_gva(SB_SCRATCH_TOP_SIZE);
	uint64_t off = args[0].as.u64;
	if ((cs & 3) != 0 || off > size - 8 || (off & 7)) {
		sb_error_set(err, SB_CALL_E_BAD_ARGUMENTS, "rt5_scratch_put: ring 0, an offset in "
			     "scratch");
		return -1;
	}
	*(volatile uint64_t *)(uintptr_t)(sb_scratch_base_gva(size) + off) = args[1].as.u64;
	ret->as.u64 = off;
	return 0;
}

static int fn_rt5_scatter(const struct sb_value *args, struct sb_value *ret,
			  struct sb_guest_error *err)
{
	uint64_t n = args[0].as.u64, stride = args[1].as.u64;
	uint8_t *heap = sb_heap_base();
	if (stride == 0 || n == 0 || (n - 1) > (sb_heap_bytes() / SB_PAGE_SIZE - 1) / stride) {
		sb_error_set(err, SB_CALL_E_BAD_ARGUMENTS, "rt5_scatter: past the heap");
		return -1;
	}
	uint64_t sum = 0;
	for (uint64_t i = 0; i < n; i++) {
		volatile uint64_t *w = (volatile uint64_t *)(heap + i * stride * SB_PAGE_SIZE);
		sum += ++*w;
	}
	ret->as.u64 = sum;
	return 0;
}

static int fn_rt5_flip(const struct sb_value *args, struct sb_value *ret,
		       struct sb_guest_error *err)
{
	uint64_t gen = args[0].as.u64, n = args[1].as.u64;
	uint8_t *heap = sb_heap_base();
	if (n == 0 || n > SB_PT_GATE_MAX_PAGES || 2 * n > sb_heap_bytes() / SB_PAGE_SIZE) {
		sb_error_set(err, SB_CALL_E_BAD_ARGUMENTS, "rt5_flip: 2n pages must fit the heap");
		return -1;
	}
	uint8_t *to = heap + (gen & 1 ? 0 : n) * SB_PAGE_SIZE;
	uint8_t *from = heap + (gen & 1 ? n : 0) * SB_PAGE_SIZE;
	gpa_t first = sb_scratch_alloc_page();
	for (uint64_t i = 1; i < n; i++) {
		if (sb_scratch_alloc_page() != first + i * SB_PAGE_SIZE) {
			sb_error_set(err, SB_CALL_E_FAILED, "rt5_flip: scratch pages not contiguous");
			return -1;
		}
	}
	enum pt_status st = sb_map_pages((uintptr_t)to, first, n, SB_MAP_WRITE);
	if (st == PT_OK)
		st = sb_map_pages((uintptr_t)from, 0, n, SB_MAP_UNMAP);
	if (st != PT_OK) {
		sb_error_set(err, SB_CALL_E_FAILED, pt_strerror(st));
		return -1;
	}
	uint64_t sum = 0;
	for (uint64_t i = 0; i < n; i++) {
		volatile uint64_t *w = (volatile uint64_t *)(to + i * SB_PAGE_SIZE);
		*w = gen * 1000003 + i + 1;
		sum += *w;
	}
	ret->as.u64 = sum;
	return 0;
}

static int fn_rt5_find(const struct sb_value *args, struct sb_value *ret,
		       struct sb_guest_error *err)
{
	uint64_t v = args[0].as.u64, pages = args[1].as.u64, found = 0;
	const uint64_t va = 0x500000000000ull;
	for (uint64_t at = 0; at < pages; at++) {
		enum pt_status st = sb_map_pages(va, SB_BASE_ADDRESS + at * SB_PAGE_SIZE, 1, 0);
		if (st == PT_E_DENIED)
			continue; /* the runtime's own pages */
		if (st != PT_OK) {
			sb_error_set(err, SB_CALL_E_FAILED, pt_strerror(st));
			return -1;
		}
		found += *(volatile uint64_t *)(uintptr_t)va == v;
		sb_map_pages(va, 0, 1, SB_MAP_UNMAP);
	}
	ret->as.u64 = found;
	return 0;
}

#define U SB_T_U64
static const struct sb_guest_function defs5[] = {
	{ "rt5_relink", 2, { U, U }, U, fn_rt5_relink },
	{ "rt5_scratch_put", 2, { U, U }, U, fn_rt5_scratch_put },
	{ "rt5_scatter", 2, { U, U }, U, fn_rt5_scatter },
	{ "rt5_flip", 2, { U, U }, U, fn_rt5_flip },
	{ "rt5_find", 2, { U, U }, U, fn_rt5_find },
};

/* -Wl,--wrap=sb_guest_main: the test guest registers first. */
void __real_sb_guest_main(void);
void __wrap_sb_guest_main(void);
void __wrap_sb_guest_main(void)
{
	__real_sb_guest_main();
	for (unsigned i = 0; i < sizeof defs5 / sizeof defs5[0]; i++)
		sb_register(&defs5[i]);
}
