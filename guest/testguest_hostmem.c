/* testguest_hostmem.c — a guest that tries to choose the host's memory,
 * for tests/sandbox/test_sandbox_hostmem.c: page tables that map little
 * guest memory from very many entries, so a snapshot that pays per mapping
 * instead of per page of guest memory shows. Linked into its own ELF,
 * build/guest/testguest_hostmem, with the test guest's functions
 * (registered through -Wl,--wrap=sb_guest_main, guest/meson.build).
 *
 *   hm_fanout(n)    ring 0 (a SANDBOX_MODE_KERNEL sandbox): take a 2 MiB
 *                   aligned 2 MiB region of free scratch (the allocator
 *                   word moves past it), write 0x4D0000 + k at the start of
 *                   its page k, and map it as a 2 MiB large page from the
 *                   first n (<= 512) entries of one new page directory at
 *                   HM_FANOUT_VA: n x 2 MiB of VA, 2 MiB of memory. Returns
 *                   the region's GPA.
 *   hm_aliases(n)   ring 0: one fresh scratch page (0x4A11A5 at its start)
 *                   mapped read-only at n consecutive 4 KiB VAs from
 *                   HM_ALIAS_VA, written straight into new page tables
 *                   (ceil(n / 512) of them). Returns the page's GPA.
 *   hm_peek(va)     the u64 at va (any ring).
 *   hm_poke(va, v)  write v at va (any ring; a copy-on-write fault on the
 *                   way is the runtime's business); returns 0.
 */
#include "arch.h"
#include "internal.h"

#define HM_FANOUT_VA 0x0000600000000000ull
#define HM_ALIAS_VA 0x0000610000000000ull
#define HM_LARGE (2ull << 20)

static volatile uint64_t *hm_top_word(uint64_t k)
{
	return (volatile uint64_t *)(uintptr_t)sb_scratch_top_gva(k);
}

static bool hm_ring0(struct sb_guest_error *err)
{
	uint16_t cs;
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	if (cs & 3)
		sb_error_set(err, SB_CALL_E_BAD_ARGUMENTS, "ring 0 only (SANDBOX_MODE_KERNEL)");
	return (cs & 3) == 0;
}

static int fn_hm_fanout(const struct sb_value *args, struct sb_value *ret,
			struct sb_guest_error *err)
{
	uint64_t n = args[0].as.u64;
	if (!hm_ring0(err))
		return -1;
	if (n == 0 || n > 512) {
		sb_error_set(err, SB_CALL_E_BAD_ARGUMENTS, "n: 1 to 512");
		return -1;
	}
	uint64_t size = *hm_top_word(SB_SCRATCH_TOP_SIZE);
	gpa_t limit = sb_scratch_base_gpa(size) + size - SB_SCRATCH_TOP_PAGES * SB_PAGE_SIZE;
	gpa_t next = *hm_top_word(SB_SCRATCH_TOP_ALLOCATOR);
	gpa_t region = (next + HM_LARGE - 1) & ~(HM_LARGE - 1);
	if (region + HM_LARGE + 4 * SB_PAGE_SIZE > limit) {
		sb_error_set(err, SB_CALL_E_BAD_ARGUMENTS, "scratch too small for a 2 MiB region");
		return -1;
	}
	*hm_top_word(SB_SCRATCH_TOP_ALLOCATOR) = region + HM_LARGE;
	for (uint64_t k = 0; k < HM_LARGE / SB_PAGE_SIZE; k++)
		*(volatile uint64_t *)sb_scratch_ptr(region + k * SB_PAGE_SIZE) = 0x4D0000 + k;
	gpa_t pd;
	if (pt_table_ensure(&sb_guest_pt, read_cr3(), HM_FANOUT_VA, 2, &pd) != PT_OK) {
		sb_error_set(err, SB_CALL_E_BAD_ARGUMENTS, "no page directory");
		return -1;
	}
	volatile uint64_t *e = sb_scratch_ptr(pd);
	for (uint64_t i = 0; i < n; i++)
		e[i] = region | PT_P | PT_RW | PT_US | PT_A | PT_D | PT_PS | PT_NX;
	ret->as.u64 = region;
	return 0;
}

static int fn_hm_aliases(const struct sb_value *args, struct sb_value *ret,
			 struct sb_guest_error *err)
{
	uint64_t n = args[0].as.u64;
	if (!hm_ring0(err))
		return -1;
	if (n == 0 || n > (1ull << 21)) {
		sb_error_set(err, SB_CALL_E_BAD_ARGUMENTS, "n: 1 to 2^21");
		return -1;
	}
	gpa_t page = sb_scratch_alloc_page();
	*(volatile uint64_t *)sb_scratch_ptr(page) = 0x4A11A5;
	uint64_t leaf = page | PT_P | PT_US | PT_A | PT_D | PT_NX;
	for (uint64_t done = 0; done < n; done += 512) {
		gpa_t pt;
		if (pt_table_ensure(&sb_guest_pt, read_cr3(), HM_ALIAS_VA + done * SB_PAGE_SIZE, 1,
				    &pt) != PT_OK) {
			sb_error_set(err, SB_CALL_E_BAD_ARGUMENTS, "no page table");
			return -1;
		}
		volatile uint64_t *e = sb_scratch_ptr(pt);
		uint64_t m = n - done < 512 ? n - done : 512;
		for (uint64_t i = 0; i < m; i++)
			e[i] = leaf;
	}
	ret->as.u64 = page;
	return 0;
}

static int fn_hm_peek(const struct sb_value *args, struct sb_value *ret,
		      struct sb_guest_error *err)
{
	(void)err;
	ret->as.u64 = *(volatile uint64_t *)(uintptr_t)args[0].as.u64;
	return 0;
}

static int fn_hm_poke(const struct sb_value *args, struct sb_value *ret,
		      struct sb_guest_error *err)
{
	(void)err;
	*(volatile uint64_t *)(uintptr_t)args[0].as.u64 = args[1].as.u64;
	ret->as.u64 = 0;
	return 0;
}

#define U SB_T_U64
static const struct sb_guest_function hm_defs[] = {
	{ "hm_poke", 2, { U, U }, U, fn_hm_poke },
	{ "hm_fanout", 1, { U }, U, fn_hm_fanout },
	{ "hm_aliases", 1, { U }, U, fn_hm_aliases },
	{ "hm_peek", 1, { U }, U, fn_hm_peek },
};

/* -Wl,--wrap=sb_guest_main: the runtime calls this; the test guest
 * (testguest.c's sb_guest_main) registers its functions first. */
void __real_sb_guest_main(void);
void __wrap_sb_guest_main(void);
void __wrap_sb_guest_main(void)
{
	__real_sb_guest_main();
	for (unsigned i = 0; i < sizeof hm_defs / sizeof hm_defs[0]; i++)
		sb_register(&hm_defs[i]);
}
