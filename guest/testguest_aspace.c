/* testguest_aspace.c — a guest with two address spaces, for
 * tests/sandbox/test_sandbox_aspace.c (snapshots that keep every root,
 * snapshot/snap_roots.c). Linked into its own ELF, build/guest/
 * testguest_aspace, with the test guest's functions (registered through
 * -Wl,--wrap=sb_guest_main, guest/meson.build).
 *
 * AS_VA sits in a top-level slot (PML4 index 2) nothing else uses, so each
 * space gets its own tables under it: after as_setup, AS_VA maps a page
 * holding AS_VALUE0 in root 0 and another holding AS_VALUE1 in root 1
 * (each a copy-on-write copy of a heap page, written through AS_VA), and
 * AS_VA + 4 KiB in root 1 maps root 0's page read-only: one page in two
 * spaces, through tables of their own.
 *
 *   as_setup()          create root 1, map and write AS_VA in both spaces,
 *                       end in root 0; returns root 1's index
 *   as_new()            sb_address_space_new: status | index << 8
 *   as_switch(i)        load root i; returns the gate's status
 *   as_read()           the u64 at AS_VA in the current space
 *   as_read_alias()     the u64 at AS_VA + 4 KiB in the current space
 *   as_write(v)         write v at AS_VA in the current space; returns 0
 *   as_info()           count | current << 8 (the roots slot)
 *   as_root(i)          root i's GPA as the slot has it (0: none)
 *   as_slot_poke(w, v)  write word w of the roots slot (0 magic, 1 count,
 *                       2 current, 4 + i root i): the hostile guest
 *   as_loop_root()      ring 0: a free page whose first entries point at
 *                       itself, appended to the slot as a root; its GPA
 */
#include "arch.h"
#include "internal.h"

#define AS_VA 0x0000010000000000ull
#define AS_VALUE0 0xA5A50000000000A0ull
#define AS_VALUE1 0xA5A50000000000A1ull

static volatile uint64_t *as_slot_word(uint64_t w)
{
	return (volatile uint64_t *)(uintptr_t)(sb_roots_slot_gva() + w * 8);
}

static int as_fail(struct sb_guest_error *err, const char *what, enum pt_status st)
{
	char msg[SB_GUEST_ERR_MAX] = { 0 };
	size_t n = strlen(what);
	memcpy(msg, what, n);
	memcpy(msg + n, ": status ", 9);
	sb_fmt_u64(msg + n + 9, (uint64_t)st, 10);
	sb_error_set(err, SB_CALL_E_FAILED, msg);
	return -1;
}

/* Map AS_VA copy-on-write to heap page `page` in the current space and
 * write `v` through it (the fault gives the space its own copy). */
static enum pt_status as_map_write(unsigned page, uint64_t v)
{
	struct pt_leaf leaf;
	uint64_t heap = (uint64_t)(uintptr_t)sb_heap_base() + page * SB_PAGE_SIZE;
	enum pt_status st = sb_lookup_page(heap, &leaf);
	if (st != PT_OK)
		return st;
	st = sb_map_pages(AS_VA, leaf.entry & PT_X86_64_ADDR_MASK, 1, SB_MAP_WRITE | SB_MAP_COW);
	if (st == PT_OK)
		*(volatile uint64_t *)(uintptr_t)AS_VA = v;
	return st;
}

static int fn_as_setup(const struct sb_value *args, struct sb_value *ret,
		       struct sb_guest_error *err)
{
	(void)args;
	unsigned one;
	enum pt_status st = sb_address_space_new(&one);
	if (st != PT_OK)
		return as_fail(err, "sb_address_space_new", st);
	if ((st = as_map_write(0, AS_VALUE0)) != PT_OK)
		return as_fail(err, "mapping in root 0", st);
	struct pt_leaf page0;
	if ((st = sb_lookup_page(AS_VA, &page0)) != PT_OK)
		return as_fail(err, "looking up root 0's page", st);
	if ((st = sb_address_space_switch(one)) != PT_OK)
		return as_fail(err, "switching to root 1", st);
	if ((st = as_map_write(1, AS_VALUE1)) != PT_OK)
		return as_fail(err, "mapping in root 1", st);
	st = sb_map_pages(AS_VA + SB_PAGE_SIZE, page0.entry & PT_X86_64_ADDR_MASK, 1, 0);
	if (st != PT_OK)
		return as_fail(err, "aliasing root 0's page in root 1", st);
	if ((st = sb_address_space_switch(0)) != PT_OK)
		return as_fail(err, "switching to root 0", st);
	ret->as.u64 = one;
	return 0;
}

static int fn_as_new(const struct sb_value *args, struct sb_value *ret,
		     struct sb_guest_error *err)
{
	(void)args, (void)err;
	unsigned index = 0;
	enum pt_status st = sb_address_space_new(&index);
	ret->as.u64 = (uint64_t)st | (uint64_t)index << 8;
	return 0;
}

static int fn_as_switch(const struct sb_value *args, struct sb_value *ret,
			struct sb_guest_error *err)
{
	(void)err;
	ret->as.u64 = sb_address_space_switch((unsigned)args[0].as.u64);
	return 0;
}

static int fn_as_read(const struct sb_value *args, struct sb_value *ret,
		      struct sb_guest_error *err)
{
	(void)args, (void)err;
	ret->as.u64 = *(volatile uint64_t *)(uintptr_t)AS_VA;
	return 0;
}

static int fn_as_read_alias(const struct sb_value *args, struct sb_value *ret,
			    struct sb_guest_error *err)
{
	(void)args, (void)err;
	ret->as.u64 = *(volatile uint64_t *)(uintptr_t)(AS_VA + SB_PAGE_SIZE);
	return 0;
}

static int fn_as_write(const struct sb_value *args, struct sb_value *ret,
		       struct sb_guest_error *err)
{
	(void)err;
	*(volatile uint64_t *)(uintptr_t)AS_VA = args[0].as.u64;
	ret->as.u64 = 0;
	return 0;
}

static int fn_as_info(const struct sb_value *args, struct sb_value *ret,
		      struct sb_guest_error *err)
{
	(void)args, (void)err;
	ret->as.u64 = sb_address_space_count() | (uint64_t)sb_address_space_current() << 8;
	return 0;
}

static int fn_as_root(const struct sb_value *args, struct sb_value *ret,
		      struct sb_guest_error *err)
{
	(void)err;
	ret->as.u64 = sb_address_space_root((unsigned)args[0].as.u64);
	return 0;
}

static int fn_as_slot_poke(const struct sb_value *args, struct sb_value *ret,
			   struct sb_guest_error *err)
{
	if (args[0].as.u64 >= sizeof(struct sb_roots_slot) / 8) {
		sb_error_set(err, SB_CALL_E_BAD_ARGUMENTS, "as_slot_poke: no such word");
		return -1;
	}
	*as_slot_word(args[0].as.u64) = args[1].as.u64;
	ret->as.u64 = 0;
	return 0;
}

static int fn_as_loop_root(const struct sb_value *args, struct sb_value *ret,
			   struct sb_guest_error *err)
{
	(void)args;
	uint16_t cs;
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	if (cs & 3) {
		sb_error_set(err, SB_CALL_E_BAD_ARGUMENTS, "as_loop_root: ring 0 only");
		return -1;
	}
	gpa_t page = sb_scratch_alloc_page();
	volatile uint64_t *e = sb_scratch_ptr(page);
	uint64_t table = page | PT_P | PT_RW | PT_US | PT_A | PT_D;
	e[0] = table;   /* PML4[0] -> itself: a loop at every level */
	e[1] = table;
	e[300] = table;
	uint64_t n = *as_slot_word(1);
	if (n < SB_MAX_ROOTS) {
		*as_slot_word(4 + n) = page;
		*as_slot_word(1) = n + 1;
	}
	ret->as.u64 = page;
	return 0;
}

#define U SB_T_U64
static const struct sb_guest_function as_defs[] = {
	{ "as_setup", 0, { 0 }, U, fn_as_setup },
	{ "as_new", 0, { 0 }, U, fn_as_new },
	{ "as_switch", 1, { U }, U, fn_as_switch },
	{ "as_read", 0, { 0 }, U, fn_as_read },
	{ "as_read_alias", 0, { 0 }, U, fn_as_read_alias },
	{ "as_write", 1, { U }, U, fn_as_write },
	{ "as_info", 0, { 0 }, U, fn_as_info },
	{ "as_root", 1, { U }, U, fn_as_root },
	{ "as_slot_poke", 2, { U, U }, U, fn_as_slot_poke },
	{ "as_loop_root", 0, { 0 }, U, fn_as_loop_root },
};

/* -Wl,--wrap=sb_guest_main: the runtime calls this; the test guest
 * (testguest.c's sb_guest_main) registers its functions first. */
void __real_sb_guest_main(void);
void __wrap_sb_guest_main(void);
void __wrap_sb_guest_main(void)
{
	__real_sb_guest_main();
	for (unsigned i = 0; i < sizeof as_defs / sizeof as_defs[0]; i++)
		sb_register(&as_defs[i]);
}
