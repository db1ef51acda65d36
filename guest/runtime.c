/* runtime.c — guest start-up, the scratch page allocator and the guest's
 * view of its own page tables.
 *
 * Start-up order matters: until the IDT is loaded no fault can be handled,
 * so sb_cpu_init writes only scratch pages; and until we leave the
 * exception stack a fault would reuse the stack we are running on, so the
 * first write to the (copy-on-write) snapshot region happens only after
 * switching to the main stack.
 *
 * Rings: init runs in ring 0 (it loads the GDT, TSS and IDT), then drops to
 * ring 3 for good; every call runs in ring 3 and only exception handlers
 * run in ring 0. On our machines the hypervisor under KVM (kvm_pvm) runs
 * ring-3 guest code natively but emulates ring-0 guest code instruction
 * by instruction (~0.26 us each: a 2-million-instruction loop takes 518 ms
 * in ring 0 and 0.8 ms in ring 3), so this is where the guest's speed
 * comes from. Pages are user-accessible except the CPU tables (the runtime
 * page) and, as defence in depth, the page tables: ring 3 can neither read
 * nor write them (they are supervisor-only in the scratch window), and
 * asks for mappings through the page-table gate (ptgate.c), which edits
 * them in ring 0. See sandbox_abi.h for the rule and what it leaves open.
 */
#include "arch.h"
#include "internal.h"

struct sb_runtime sb_rt;

extern char sb_guest_dispatch[];

static volatile uint64_t *top_word(uint64_t k)
{
	return (volatile uint64_t *)(uintptr_t)sb_scratch_top_gva(k);
}

static uint64_t scratch_bytes(void)
{
	return *top_word(SB_SCRATCH_TOP_SIZE);
}

/* ---- scratch allocator ---------------------------------------------- */

static gpa_t alloc_raw(void)
{
	uint64_t size = scratch_bytes();
	gpa_t base = sb_scratch_base_gpa(size);
	gpa_t limit = base + size - SB_SCRATCH_TOP_PAGES * SB_PAGE_SIZE;
	gpa_t gpa = __atomic_fetch_add(top_word(SB_SCRATCH_TOP_ALLOCATOR), SB_PAGE_SIZE,
				       __ATOMIC_RELAXED);
	if (gpa < base || gpa > limit - SB_PAGE_SIZE)
		return 0;
	return gpa;
}

/* Pages come from the host already zeroed (sandbox_abi.h), so nothing to
 * clear here: where ring-0 guest code is emulated, clearing 4 KiB would
 * cost about a millisecond. */
gpa_t sb_scratch_try_alloc_page(void)
{
	return alloc_raw();
}

gpa_t sb_scratch_alloc_page(void)
{
	gpa_t gpa = sb_scratch_try_alloc_page();
	if (!gpa)
		sb_abort(SB_ABORT_OUT_OF_MEMORY, "out of physical memory (scratch exhausted)");
	return gpa;
}

uint64_t sb_scratch_next_free_gpa(void)
{
	return *top_word(SB_SCRATCH_TOP_ALLOCATOR);
}

uint64_t sb_generation(void)
{
	return *top_word(SB_SCRATCH_TOP_GENERATION);
}

/* ---- page-table storage: tables live in scratch ---------------------- */

static bool in_scratch(gpa_t gpa, unsigned bytes)
{
	uint64_t size = scratch_bytes();
	gpa_t base = sb_scratch_base_gpa(size);
	return gpa >= base && gpa - base <= size - bytes;
}

/* Entries are reached through the window: ring 0 only (supervisor pages). */
static pt_entry_t rt_read_entry(void *ctx, gpa_t gpa, unsigned bytes)
{
	(void)ctx;
	if (bytes != 8 || !in_scratch(gpa, 8))
		return 0;
	return *(volatile uint64_t *)sb_scratch_ptr(gpa);
}

void sb_pt_write(gpa_t gpa, pt_entry_t e)
{
	volatile pt_entry_t *p = sb_scratch_ptr(gpa);
	struct sb_pt_undo_log *log = sb_undo_log();
	uint64_t n = log->count;
	if (n < SB_PT_UNDO_ENTRIES) {
		log->e[n].entry_gpa = gpa;
		log->e[n].old = *p;
		log->count = n + 1;
	} else {
		log->overflow = 1;
	}
	*p = e;
}

static enum pt_status rt_write_entry(void *ctx, gpa_t gpa, unsigned bytes, pt_entry_t e)
{
	(void)ctx;
	if (bytes != 8 || !in_scratch(gpa, 8))
		return PT_E_INVAL;
	sb_pt_write(gpa, e);
	return PT_OK;
}


static __attribute__((noreturn)) void dispatch_on_main_stack(void *unused)
{
	(void)unused;
	sb_runtime_dispatch();
}

/* The x87/SSE state of a fresh CPU (FCW 0x37f, MXCSR 0x1f80), loaded on
 * every rewind so nothing of the previous run's FPU state survives. */
static const uint8_t clean_fpu[512] __attribute__((aligned(16))) = {
	[0] = 0x7f, [1] = 0x03,   /* FCW */
	[24] = 0x80, [25] = 0x1f, /* MXCSR */
	[28] = 0xff, [29] = 0xff, /* MXCSR_MASK (ignored on load) */
};

__attribute__((noreturn)) void sb_runtime_rewind(void)
{
	__asm__ volatile("fxrstor64 %0" : : "m"(clean_fpu));
	struct sb_pt_undo_log *log = sb_undo_log();
	uint64_t mode = log->pending;
	uint64_t n = log->count < SB_PT_UNDO_ENTRIES ? log->count : SB_PT_UNDO_ENTRIES;
	if (!log->overflow) {
		/* These writes are the guest's own, so the hypervisor's shadow
		 * tables follow them (a host rewrite would go unseen). */
		while (n--) {
			gpa_t g = log->e[n].entry_gpa;
			if (in_scratch(g, 8))
				*(volatile pt_entry_t *)sb_scratch_ptr(g) = log->e[n].old;
		}
	}
	log->count = 0;
	log->pending = 0;
	write_cr3(read_cr3()); /* flush the TLB (needed where tables are not shadowed) */
	if (mode == SB_PT_UNDO_REWIND_ONLY) { /* the host's rewind restore: done */
		outb(SB_PORT_DONE, 0);
		halt_forever();
	}
	if (sb_init_flags() & SB_INIT_USER_MODE)
		sb_enter_user((uint64_t)(uintptr_t)sb_guest_dispatch, sb_call_stack_top_gva());
	sb_call_on_stack(sb_call_stack_top_gva(), dispatch_on_main_stack, 0);
	halt_forever();
}

/* A new table (ring 0: init, the page-table gate). The rule that keeps
 * tables out of ring 3's reach (sandbox_abi.h): a page becomes a table only
 * here, and only after the window's mapping of it is made supervisor-only.
 * Tables come from the same free pages as everything else rather than from
 * a reserved supervisor-only region, so a sandbox's table space has no
 * second limit to size. The page came from the free pool, which ring 3 can
 * write through the window until now (the host zeroes it on a restore, not
 * in between), so it is cleared here, after hiding it, by the host
 * (SB_PORT_ZERO_PAGE: one exit, where an emulated `rep stosq` in ring 0
 * costs ~0.3 ms; and no flag to read: this runs before the runtime page
 * that holds the flags is mapped). */
static enum pt_status rt_alloc_table(void *ctx, gpa_t *out)
{
	(void)ctx;
	gpa_t gpa = sb_scratch_try_alloc_page();
	if (!gpa)
		return PT_E_NOMEM;
	enum pt_status st = sb_window_hide(gpa);
	if (st != PT_OK)
		return st;
	__asm__ volatile("outb %%al, %[port]"
			 :
			 : "a"(0), [port] "i"(SB_PORT_ZERO_PAGE), "S"(gpa)
			 : "memory");
	*out = gpa;
	return PT_OK;
}

/* CR3 itself: tables are edited only in ring 0, and the bookkeeping word
 * that also holds it is ring-3 writable (a forged root would let ring 3
 * choose where ring 0 writes entries). */
static gpa_t rt_root(void *ctx)
{
	(void)ctx;
	return read_cr3() & PT_X86_64_ADDR_MASK;
}

static const struct pt_ops rt_pt_ops = {
	.read_entry = rt_read_entry,
	.write_entry = rt_write_entry,
	.alloc_table = rt_alloc_table,
	.root = rt_root,
};

const struct pt sb_guest_pt = { &pt_format_x86_64, &rt_pt_ops, 0 };

void sb_map_fresh_page(gva_t va, bool user)
{
	gpa_t gpa = sb_scratch_alloc_page();
	struct pt_mapping m = {
		.phys = gpa,
		.virt = va,
		.len_bytes = SB_PAGE_SIZE,
		.kind = pt_kind_basic(true, true, false),
		.user = user,
	};
	if (pt_map(&sb_guest_pt, &m) != PT_OK)
		sb_abort(SB_ABORT_OUT_OF_MEMORY, "out of physical memory (page tables)");
	invlpg(va);
	/* A kernel-only page (the IDT, GDT and TSS) must not stay writable
	 * from ring 3 through the window either. */
	if (!user && sb_window_hide(gpa) != PT_OK)
		sb_abort(SB_ABORT_GUEST_PANIC, "cannot hide a runtime page from ring 3");
}

/* ---- heap ------------------------------------------------------------ */

void *sb_heap_base(void)
{
	return (void *)(uintptr_t)sb_rt.peb->heap.gva;
}

uint64_t sb_heap_bytes(void)
{
	return sb_rt.peb->heap.size;
}

void *sb_malloc(size_t n)
{
	n = (n + 15) & ~(size_t)15;
	if (n > (size_t)(sb_rt.heap_end - sb_rt.heap_next))
		return 0;
	void *p = sb_rt.heap_next;
	sb_rt.heap_next += n;
	return p;
}

/* ---- start-up ---------------------------------------------------------- */

void sb_runtime_init(const struct sb_peb *peb, uint64_t flags);

static __attribute__((noreturn)) void init_on_main_stack(void *arg)
{
	const struct sb_peb *peb = arg;
	sb_rt.peb = peb; /* first write to the snapshot region: a CoW fault */
	sb_rt.input = (uint8_t *)(uintptr_t)peb->input.gva;
	sb_rt.input_bytes = peb->input.size;
	sb_rt.output = (uint8_t *)(uintptr_t)peb->output.gva;
	sb_rt.output_bytes = peb->output.size;
	sb_rt.heap_next = (uint8_t *)(uintptr_t)peb->heap.gva;
	sb_rt.heap_end = sb_rt.heap_next + peb->heap.size;

	sb_guest_main();

	struct sb_writer w;
	sb_stack_begin(&w, sb_rt.output, sb_rt.output_bytes);
	sb_encode_init(&w, (uint64_t)(uintptr_t)sb_guest_dispatch, sb_call_stack_top_gva());
	if (sb_stack_end(&w, sb_rt.output, sb_rt.output_bytes) != SB_PROTO_OK)
		sb_abort(SB_ABORT_BAD_CALL, "output buffer unusable for the init record");
	if (!(sb_init_flags() & SB_INIT_USER_MODE)) {
		outb(SB_PORT_DONE, 0);
		halt_forever();
	}
	/* Report "done" from ring 3, so the vCPU is in ring 3 at every exit
	 * from now on and each call starts there. */
	sb_enter_user((uint64_t)(uintptr_t)sb_user_done, sb_call_stack_top_gva());
}

__attribute__((noreturn)) void sb_runtime_init(const struct sb_peb *peb, uint64_t flags)
{
	sb_cpu_init();
	*(volatile uint64_t *)(uintptr_t)SB_RT_FLAGS_GVA = flags;
	sb_call_on_stack(sb_call_stack_top_gva(), init_on_main_stack, (void *)peb);
	halt_forever();
}
