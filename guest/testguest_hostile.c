/* testguest_hostile.c — the test guest as an attacker: functions that
 * scribble on everything a guest can reach, for the tests that a restore
 * brings back exactly what a fresh sandbox has (tests/sandbox/
 * test_sandbox_scribble.c), and that ring-3 code cannot touch page tables
 * (tests/sandbox/test_sandbox_ptguard.c). Nothing here goes through the
 * runtime's logged page-table writer or its page-table gate: the point is
 * state the host was never told about.
 *
 * scribble(seed, what) writes, from whatever ring the call runs in:
 *   the FPU control word (ring 3 only: our machines emulate ring 0, and
 *   KVM's emulator has no x87); the call stack below this frame, down to its
 *   last page; every free scratch page past the allocator word; both I/O
 *   buffers; the undo log (a forged "PML4[0] was 0" entry, marked pending);
 *   the exception stack; the bookkeeping words, allocator word included.
 * In ring 0 it also writes KERNEL_GS_BASE, SYSENTER_ESP / EIP and PAT, DR0 /
 * DR7, and moves CR3 to a copy of the PML4 in a free page. `what` bit 0
 * leaves the bookkeeping words and the log's `pending` alone, so a later
 * call in the same run still works (a pending forged log would unmap the
 * guest's own code at its next entry).
 *
 * scribble_tables(seed) edits the page tables directly (unlogged, not
 * through the gate): it remaps heap page 0 to a scratch page full of seed
 * bytes, and builds a private page-table chain in free pages linked into
 * PML4 slot HOSTILE_PML4_INDEX (data pages used as tables), read through
 * once so the vCPU's translations hold it; returns the word read through
 * the chain. In ring 3 the tables are supervisor-only, so its first access
 * (reading the PML4 through the scratch window) faults; in ring 0 it runs.
 *
 * cr3_garbage(v) (ring 0) moves v into CR3: nothing is mapped after it,
 * not even the fault handlers (tests/sandbox/test_sandbox_hostile.c).
 * spin_cli() (ring 0) turns interrupts off and spins for ever: only the
 * host's deadline ends it.
 *
 * poke(addr, value) writes one word anywhere. pt_leaf(va, what) asks the
 * runtime's gate for the leaf entry mapping `va` and returns, for what 0,
 * the entry's address in the scratch window (which ring 3 must not be able
 * to write), for what 1 the entry itself.
 */
#include "arch.h"
#include "internal.h"

#define HOSTILE_PML4_INDEX 300ull
/* The address the hostile chain maps: PML4 slot 300, everything else 0. */
#define HOSTILE_VA (0xFFFF000000000000ull | (HOSTILE_PML4_INDEX << 39))

static unsigned cpl(void)
{
	uint16_t cs;
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	return cs & 3;
}

static void fill_words(void *p, uint64_t bytes, uint64_t v, bool sparse)
{
	volatile uint64_t *w = p;
	/* In ring 0 every instruction is emulated on our machines: one word at
	 * each end of a page is enough to make it differ and dirty it. */
	if (sparse) {
		for (uint64_t i = 0; i < bytes / 8; i += SB_PAGE_SIZE / 8) {
			w[i] = v;
			w[i + SB_PAGE_SIZE / 8 - 1] = v;
		}
		return;
	}
	for (uint64_t i = 0; i < bytes / 8; i++)
		w[i] = v ^ i;
}

static uint64_t scratch_limit_gpa(void)
{
	uint64_t size = *(volatile uint64_t *)(uintptr_t)sb_scratch_top_gva(SB_SCRATCH_TOP_SIZE);
	return sb_scratch_base_gpa(size) + size - SB_SCRATCH_TOP_PAGES * SB_PAGE_SIZE;
}

static uint64_t table_flags(void)
{
	return PT_P | PT_RW | PT_US | PT_A | PT_D;
}

/* Data pages as tables: PML4[300] -> t3 -> t2 -> t1 -> a page of seed. */
static uint64_t hostile_chain(gpa_t root, uint64_t seed)
{
	gpa_t t3 = sb_scratch_alloc_page(), t2 = sb_scratch_alloc_page();
	gpa_t t1 = sb_scratch_alloc_page(), leaf = sb_scratch_alloc_page();
	fill_words(sb_scratch_ptr(leaf), SB_PAGE_SIZE, seed, cpl() == 0);
	*(volatile uint64_t *)sb_scratch_ptr(t3) = t2 | table_flags();
	*(volatile uint64_t *)sb_scratch_ptr(t2) = t1 | table_flags();
	*(volatile uint64_t *)sb_scratch_ptr(t1) = leaf | table_flags() | PT_NX;
	*(volatile uint64_t *)sb_scratch_ptr(root + HOSTILE_PML4_INDEX * 8) = t3 | table_flags();
	return *(volatile uint64_t *)(uintptr_t)HOSTILE_VA;
}

/* Heap page 0 now maps a scratch page full of seed, behind the log's back. */
static void remap_heap(gpa_t root, uint64_t seed)
{
	struct pt_leaf leaf;
	if (pt_lookup(&sb_guest_pt, root, (gva_t)(uintptr_t)sb_heap_base(), &leaf) != PT_OK)
		return;
	gpa_t page = sb_scratch_alloc_page();
	fill_words(sb_scratch_ptr(page), SB_PAGE_SIZE, ~seed, cpl() == 0);
	*(volatile uint64_t *)sb_scratch_ptr(leaf.entry_gpa) = page | table_flags() | PT_NX;
	if (cpl() == 0)
		invlpg((gva_t)(uintptr_t)sb_heap_base());
	(void)*(volatile uint64_t *)sb_heap_base();
}

static void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

/* Ring-0 state a fresh sandbox does not have. */
static void scribble_ring0(gpa_t root, uint64_t seed)
{
	uint64_t canonical = (seed << 12) & 0x00007FFFFFFFF000ull;
	wrmsr(0xC0000102, canonical);          /* KERNEL_GS_BASE */
	wrmsr(0x175, canonical);               /* SYSENTER_ESP */
	wrmsr(0x176, canonical + 0x10);        /* SYSENTER_EIP */
	wrmsr(0x277, 0x0006040600060406ull);   /* PAT: write-back slots made write-combining */
	uint64_t dr0 = 0x1234000, dr7 = 0x1; /* an execute breakpoint nobody reaches */
	__asm__ volatile("mov %0, %%dr0" : : "r"(dr0));
	__asm__ volatile("mov %0, %%dr7" : : "r"(dr7));
	/* Run on a copy of the PML4 in a free page. */
	gpa_t copy = sb_scratch_alloc_page();
	volatile uint64_t *src = sb_scratch_ptr(root), *dst = sb_scratch_ptr(copy);
	for (unsigned i = 0; i < 512; i++)
		dst[i] = src[i];
	write_cr3(copy);
}

static gpa_t root_from_words(void)
{
	return *(volatile uint64_t *)(uintptr_t)sb_scratch_top_gva(SB_SCRATCH_TOP_PT_GPA);
}

static int fn_scribble_tables(const struct sb_value *args, struct sb_value *ret,
			      struct sb_guest_error *err)
{
	(void)err;
	gpa_t root = root_from_words();
	remap_heap(root, args[0].as.u64);
	ret->as.u64 = hostile_chain(root, args[0].as.u64);
	return 0;
}

static int fn_scribble(const struct sb_value *args, struct sb_value *ret,
		       struct sb_guest_error *err)
{
	(void)err;
	uint64_t seed = args[0].as.u64, what = args[1].as.u64;
	bool ring0 = cpl() == 0;
	gpa_t root = root_from_words();
	uint16_t cw = 0x27f;
	if (!ring0) /* KVM cannot emulate x87 instructions, and ring 0 is emulated here */
		__asm__ volatile("fldcw %0" : : "m"(cw));

	/* The call stack, from its last page up to just below this frame. */
	uint8_t *frame = __builtin_frame_address(0);
	uint8_t *stack_low = (uint8_t *)(uintptr_t)(sb_call_stack_top_gva() -
						    SB_SCRATCH_STACK_PAGES * SB_PAGE_SIZE);
	uintptr_t below = ((uintptr_t)frame - 1024) & ~(uintptr_t)(SB_PAGE_SIZE - 1);
	fill_words(stack_low, below - (uintptr_t)stack_low, seed, ring0);

	ret->as.u64 = 0;
	if (ring0)
		scribble_ring0(root, seed);

	/* Every free page past the allocator word. */
	gpa_t next = sb_scratch_next_free_gpa();
	uint64_t limit = scratch_limit_gpa();
	if (next < limit)
		fill_words(sb_scratch_ptr(next), limit - next, seed, ring0);

	/* Both I/O buffers: the input (our arguments are read), and the output
	 * past its stack header, which the result still needs. */
	fill_words(sb_rt.input, sb_rt.input_bytes & ~7ull, seed, ring0);
	fill_words(sb_rt.output + 8, (sb_rt.output_bytes - 8) & ~7ull, seed, ring0);
	*(volatile uint64_t *)sb_rt.output = 8;

	/* The undo log: a forged entry the old restore would have replayed. */
	struct sb_pt_undo_log *log = sb_undo_log();
	log->e[0].entry_gpa = root;
	log->e[0].old = 0;
	log->count = 1;
	log->overflow = 0;
	log->pending = !(what & 1);
	fill_words(&log->e[1], sizeof log->e - sizeof log->e[0], seed, ring0);

	/* The exception stack (the lower page of the top two) and the words. */
	fill_words((void *)(uintptr_t)(SB_SCRATCH_END_GVA - 2 * SB_PAGE_SIZE), SB_PAGE_SIZE, seed,
		   ring0);
	if (!(what & 1)) {
		for (uint64_t k = SB_SCRATCH_TOP_SIZE; k <= 0x28; k += 8)
			*(volatile uint64_t *)(uintptr_t)sb_scratch_top_gva(k) = seed + k;
	}
	return 0;
}

/* Read the word at the hostile chain's address: faults in a fresh sandbox. */
static int fn_peek_hostile(const struct sb_value *args, struct sb_value *ret,
			   struct sb_guest_error *err)
{
	(void)args;
	(void)err;
	ret->as.u64 = *(volatile uint64_t *)(uintptr_t)HOSTILE_VA;
	return 0;
}

static int fn_poke(const struct sb_value *args, struct sb_value *ret, struct sb_guest_error *err)
{
	(void)ret;
	(void)err;
	*(volatile uint64_t *)(uintptr_t)args[0].as.u64 = args[1].as.u64;
	return 0;
}

static int fn_cr3_garbage(const struct sb_value *args, struct sb_value *ret,
			  struct sb_guest_error *err)
{
	(void)ret;
	if (cpl() != 0) {
		sb_error_set(err, SB_CALL_E_BAD_ARGUMENTS, "cr3_garbage: ring 0 only");
		return -1;
	}
	__asm__ volatile("mov %0, %%cr3" : : "r"(args[0].as.u64) : "memory");
	return 0; /* not reached: the next fetch has no mapping */
}

static int fn_spin_cli(const struct sb_value *args, struct sb_value *ret,
		       struct sb_guest_error *err)
{
	(void)args;
	(void)ret;
	if (cpl() != 0) {
		sb_error_set(err, SB_CALL_E_BAD_ARGUMENTS, "spin_cli: ring 0 only");
		return -1;
	}
	__asm__ volatile("cli");
	for (;;)
		__asm__ volatile("pause");
}

static int fn_pt_leaf(const struct sb_value *args, struct sb_value *ret,
		      struct sb_guest_error *err)
{
	struct pt_leaf leaf;
	enum pt_status st = sb_lookup_page(args[0].as.u64, &leaf);
	if (st != PT_OK) {
		sb_error_set(err, SB_CALL_E_BAD_ARGUMENTS, pt_strerror(st));
		return -1;
	}
	ret->as.u64 = args[1].as.u64 ? leaf.entry : (uint64_t)(uintptr_t)sb_scratch_ptr(leaf.entry_gpa);
	return 0;
}

static const struct sb_guest_function def_scribble = {
	"scribble", 2, { SB_T_U64, SB_T_U64 }, SB_T_U64, fn_scribble,
};
static const struct sb_guest_function def_scribble_tables = {
	"scribble_tables", 1, { SB_T_U64 }, SB_T_U64, fn_scribble_tables,
};
static const struct sb_guest_function def_peek_hostile = {
	"peek_hostile", 0, { SB_T_VOID }, SB_T_U64, fn_peek_hostile,
};
static const struct sb_guest_function def_poke = {
	"poke", 2, { SB_T_U64, SB_T_U64 }, SB_T_VOID, fn_poke,
};
static const struct sb_guest_function def_pt_leaf = {
	"pt_leaf", 2, { SB_T_U64, SB_T_U64 }, SB_T_U64, fn_pt_leaf,
};

static const struct sb_guest_function def_cr3_garbage = {
	"cr3_garbage", 1, { SB_T_U64 }, SB_T_VOID, fn_cr3_garbage,
};
static const struct sb_guest_function def_spin_cli = {
	"spin_cli", 0, { SB_T_VOID }, SB_T_VOID, fn_spin_cli,
};

void testguest_register_hostile(void)
{
	sb_register(&def_cr3_garbage);
	sb_register(&def_spin_cli);
	sb_register(&def_scribble);
	sb_register(&def_scribble_tables);
	sb_register(&def_peek_hostile);
	sb_register(&def_poke);
	sb_register(&def_pt_leaf);
}
