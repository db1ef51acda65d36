/* sandbox_abi.h — the guest memory ABI shared by the host and the guest runtime.
 *
 * Freestanding: needs only <stdint.h> (through addr.h), no libc; everything is
 * a macro, a static inline function or a fixed-width struct.
 *
 * Guest-physical space is 36 bits wide and holds two regions:
 *
 *   snapshot  GPA = GVA, from SB_BASE_ADDRESS (page 0 is never mapped: NULL
 *             guard): code · PEB · heap · init data.
 *   scratch   the top scratch_bytes of the GPA space, mapped RW/NX into the
 *             guest-virtual space as a window that ends one page below the
 *             top of the 64-bit space, so scratch GVA = scratch GPA + a
 *             constant (SB_SCRATCH_GVA_MINUS_GPA, modulo 2^64).
 *
 *   scratch, from its base:
 *     input buffer · output buffer · page-table copy (page aligned; CR3) ·
 *     free pages (bump allocator) · top SB_SCRATCH_TOP_PAGES pages:
 *     exception stack growing down from (end - SB_SCRATCH_TOP_EXN_STACK),
 *     and above it the bookkeeping words.
 *
 * Bookkeeping words: each is a uint64_t at host offset (scratch_bytes - k)
 * in the scratch region, i.e. at guest-virtual address (SB_SCRATCH_END_GVA - k)
 * whatever the scratch size; see SB_SCRATCH_TOP_* below.
 *
 * Who writes page tables (defence in depth; restore does not depend on it,
 * the host resets scratch from KVM's dirty log). Calls run in ring 3, and
 * the window is user-accessible except where it maps a page table:
 *   - the page-table copy (pt offset .. free offset) is supervisor-only in
 *     the tables the host builds (snapshot/snap_elf.c, snap_hide_pt_area;
 *     also for the snapshot of a running sandbox, whose tables all land in
 *     that area);
 *   - a page the runtime turns into a table at run time comes from the free
 *     pages, so the runtime first makes the window's mapping of it
 *     supervisor-only, then clears it, then links it (guest/runtime.c,
 *     rt_alloc_table); the runtime page (IDT, GDT, TSS) is hidden the same
 *     way. Tables are not taken from a reserved supervisor-only region, so
 *     there is no second limit to size.
 * Ring-3 code that reads or writes a table through the window takes a page
 * fault, and the call fails naming the address. Guest code asks for
 * mappings through the runtime's page-table gate (INT3 with a request in
 * the registers, guest/ptgate.c), which edits in ring 0 and refuses the
 * runtime's own addresses (the guest image, the top two PML4 slots) and
 * pages (any page the window hides). Ring-0 code (the fault handlers, the
 * gate, init) writes tables as before, through the window.
 *
 * What this does not close (the guest stays one trust domain for the host,
 * DESIGN.md §9): the runtime's ring-0 code and data sit in the code region,
 * which ring 3 can write (RWX, copy-on-write), so ring 3 can patch an
 * exception handler and run it in ring 0; the allocator word is ring-3
 * writable, so ring 3 can rewind it and have ring 0 hand out a page it
 * still reaches elsewhere (as a copy-on-write copy mapped user-writable,
 * or as a new table it aliased before); and SB_PORT_COPY_PAGE and
 * SB_PORT_ZERO_PAGE are accepted from ring 3, so the host copies or clears
 * any scratch page, tables included (restore resets those pages like any
 * other the host wrote).
 */
#ifndef SNAPBENCH_COMMON_SANDBOX_ABI_H
#define SNAPBENCH_COMMON_SANDBOX_ABI_H

#include <stdint.h>

#include "addr.h" /* gpa_t, gva_t, SB_PAGE_SIZE; itself only <stdint.h> */

/* First byte of the snapshot region (GPA = GVA). Page 0 stays unmapped. */
#define SB_BASE_ADDRESS 0x1000ull

/* Guest-physical address width and size of the GPA space. */
#define SB_GPA_BITS 36
#define SB_GPA_SPACE_BYTES (1ull << SB_GPA_BITS)

/* One past the last byte of the scratch window in guest-virtual space: the
 * window ends one page below the top of the 64-bit space. */
#define SB_SCRATCH_END_GVA 0xFFFFFFFFFFFFF000ull

/* The host's entry page: the last page of the 64-bit space, user R-X in
 * every snapshot's tables (the host builds that part of them), backed by a
 * read-only host page at GPA 0 that no guest can write. The first call
 * after a restore enters there: it reloads the fresh x87/SSE state
 * (FXRSTOR) and jumps to the dispatch entry (in R11), so a restore needs no
 * FPU ioctl (vmm/sandbox_snapshot.c). */
#define SB_ENTRY_PAGE_GVA 0xFFFFFFFFFFFFF000ull
#define SB_ENTRY_PAGE_GPA 0x0ull

/* scratch GVA - scratch GPA, computed modulo 2^64 (a wrapping constant). */
#define SB_SCRATCH_GVA_MINUS_GPA (SB_SCRATCH_END_GVA - SB_GPA_SPACE_BYTES)

/* Each region is at most 16 GiB; the snapshot region loses BASE_ADDRESS. */
#define SB_REGION_MAX_BYTES (16ull << 30)
#define SB_SNAPSHOT_MAX_BYTES (SB_REGION_MAX_BYTES - SB_BASE_ADDRESS)
#define SB_SCRATCH_MAX_BYTES SB_REGION_MAX_BYTES

/* Bookkeeping words: host offset scratch_bytes - k, GVA SB_SCRATCH_END_GVA - k.
 * The host rewrites them on every build and restore. */
#define SB_SCRATCH_TOP_SIZE 0x08ull      /* scratch size in bytes */
#define SB_SCRATCH_TOP_ALLOCATOR 0x10ull /* next free GPA; guest atomically adds.
					    * Every page at or above it is zero: the
					    * host clears what was handed out when it
					    * resets scratch, so the guest never has to. */
#define SB_SCRATCH_TOP_PT_GPA 0x18ull    /* GPA of the page-table copy (CR3) */
#define SB_SCRATCH_TOP_GENERATION 0x20ull /* snapshot generation */
/* 0x28 is unused: it keeps the exception-stack top 16-byte aligned. */
/* Not a word but a position: the exception stack's initial stack pointer
 * (the first push writes just below it). */
#define SB_SCRATCH_TOP_EXN_STACK 0x30ull

/* The top pages of scratch, from the top: the exception stack with the
 * bookkeeping words above it (two pages), the page-table undo log (one
 * page, struct sb_pt_undo_log), the guest's call stack (SB_SCRATCH_STACK_
 * PAGES, growing down from the undo log) and one guard page that the
 * scratch window leaves unmapped, so an overflow faults.
 *
 * The call stack lives in scratch because it is dead between calls: it
 * needs no copy in a snapshot, and after a restore the first push finds a
 * writable page instead of taking a copy-on-write fault. */
#define SB_SCRATCH_EXN_PAGES 2ull
#define SB_SCRATCH_UNDO_PAGES 1ull
#define SB_SCRATCH_STACK_PAGES 16ull
#define SB_SCRATCH_GUARD_PAGES 1ull
#define SB_SCRATCH_TOP_PAGES \
	(SB_SCRATCH_EXN_PAGES + SB_SCRATCH_UNDO_PAGES + SB_SCRATCH_STACK_PAGES + SB_SCRATCH_GUARD_PAGES)
/* A second stack in the lower exception-stack page, for the runtime's
 * rewind entry (faults it takes use the top of the exception stack). */
#define SB_SCRATCH_TOP_RESTORE_STACK 0x1030ull

/* Address spaces (page-table roots): the slot at the bottom of the top
 * scratch page, GVA SB_SCRATCH_END_GVA - SB_SCRATCH_TOP_ROOTS. The host
 * writes it on every build and restore: magic, count = the snapshot's
 * roots, gpa[i] = root i's page-table copy (rebuilt at a new GPA by every
 * snapshot, so a guest never keeps its own root GPAs), current = the root
 * CR3 holds. The runtime appends a root it creates (guest/ptgate.c) and
 * updates `current` when it switches. The exception stack grows down
 * towards it from SB_SCRATCH_TOP_EXN_STACK and would reach it only ~3.9 KiB
 * deep.
 *
 * Everything here is guest-written, so a hint: the host keeps the roots it
 * lists (with CR3 always) only after checking each (snapshot/snap_roots.c),
 * and refuses the snapshot otherwise; a slot without the magic (a guest
 * that scribbled it, or a runtime from before the slot) declares nothing.
 * Root 0 is the space the runtime started in. */
#define SB_SCRATCH_TOP_ROOTS 0x1000ull
#define SB_ROOTS_MAGIC 0x53544f4f52425300ull /* "\0SBROOTS" */
#define SB_MAX_ROOTS 16
struct sb_roots_slot {
	uint64_t magic;   /* SB_ROOTS_MAGIC, or the slot declares nothing */
	uint64_t count;   /* roots in gpa[] (root 0 included), 1..SB_MAX_ROOTS */
	uint64_t current; /* index of the root CR3 holds */
	uint64_t reserved;
	uint64_t gpa[SB_MAX_ROOTS];
};
_Static_assert(sizeof(struct sb_roots_slot) == 160, "the roots slot is 20 words");
static inline uint64_t sb_roots_slot_offset(uint64_t scratch_bytes)
{
	return scratch_bytes - SB_SCRATCH_TOP_ROOTS;
}
static inline gva_t sb_roots_slot_gva(void)
{
	return SB_SCRATCH_END_GVA - SB_SCRATCH_TOP_ROOTS;
}

/* Page-table undo log. Every page-table entry the runtime writes is first
 * logged here with its old value; the runtime's rewind entry (dispatch with
 * `pending` set, on the restore stack, in ring 0) writes them back. The
 * host's restore never reads the log: it is guest-written, so restore
 * resets this page like any page the guest wrote (vmm/sandbox_snapshot.c).
 * Only the rewind restore strategy sets `pending`, to SB_PT_UNDO_REWIND_ONLY:
 * the runtime replays the log and reports done, nothing else
 * (vmm/sandbox_rewind.c); the host then checks and resets everything as
 * under rewrite. */
#define SB_PT_UNDO_REWIND_ONLY 2
#define SB_PT_UNDO_ENTRIES 254
struct sb_pt_undo_entry {
	uint64_t entry_gpa; /* where the page-table entry sits */
	uint64_t old;       /* its value before the guest's write */
};
struct sb_pt_undo_log {
	uint64_t count;    /* entries in use */
	uint64_t overflow; /* non-zero: some writes went unlogged */
	uint64_t pending;  /* set by the host: replay before anything else */
	uint64_t reserved;
	struct sb_pt_undo_entry e[SB_PT_UNDO_ENTRIES];
};
_Static_assert(sizeof(struct sb_pt_undo_log) == 4096, "the undo log is one page");
/* Fixed pages a scratch region needs beyond the I/O buffers (the top pages
 * plus room for the allocator); the page-table copy comes on top. */
#define SB_SCRATCH_MIN_EXTRA_PAGES (SB_SCRATCH_TOP_PAGES + 10ull)

/* The guest's GDT selectors (guest/cpu.c). The host enters the guest's
 * ring 0 with the kernel ones (restore's rewind entry), so they are ABI.
 * User selectors carry RPL 3. */
#define SB_SEL_KCODE 0x08
#define SB_SEL_KDATA 0x10
#define SB_SEL_UCODE32 0x23
#define SB_SEL_UDATA 0x2b
#define SB_SEL_UCODE 0x33
#define SB_SEL_TSS 0x38

/* The first uint64_t of each I/O buffer is its stack pointer (offset of the
 * first free byte); the host initialises it to this value. */
#define SB_IO_BUFFER_HEADER_BYTES 8ull

static inline gpa_t sb_scratch_base_gpa(uint64_t scratch_bytes)
{
	return SB_GPA_SPACE_BYTES - scratch_bytes;
}

/* The runtime's own page (IDT, GDT, TSS; guest/internal.h), mapped at init
 * below the scratch window's PML4 slot: its three tables are in every
 * snapshot of a running guest, so the scratch minimum counts them. */
#define SB_RT_PAGE_GVA 0xFFFFFF0000000000ull

static inline gva_t sb_scratch_base_gva(uint64_t scratch_bytes)
{
	return SB_SCRATCH_END_GVA - scratch_bytes;
}

/* Translate within the scratch window (valid only for scratch addresses). */
static inline gva_t sb_scratch_gpa_to_gva(gpa_t gpa)
{
	return gpa + SB_SCRATCH_GVA_MINUS_GPA;
}

static inline gpa_t sb_scratch_gva_to_gpa(gva_t gva)
{
	return gva - SB_SCRATCH_GVA_MINUS_GPA;
}

/* Host offset, inside the scratch region, of the bookkeeping word k. */
static inline uint64_t sb_scratch_top_offset(uint64_t scratch_bytes, uint64_t k)
{
	return scratch_bytes - k;
}

/* Guest-virtual address of the bookkeeping word k (independent of size). */
static inline gva_t sb_scratch_top_gva(uint64_t k)
{
	return SB_SCRATCH_END_GVA - k;
}

/* Host offset and guest-virtual address of the page-table undo log. */
static inline uint64_t sb_undo_log_offset(uint64_t scratch_bytes)
{
	return scratch_bytes - (SB_SCRATCH_EXN_PAGES + SB_SCRATCH_UNDO_PAGES) * SB_PAGE_SIZE;
}
static inline gva_t sb_undo_log_gva(void)
{
	return SB_SCRATCH_END_GVA - (SB_SCRATCH_EXN_PAGES + SB_SCRATCH_UNDO_PAGES) * SB_PAGE_SIZE;
}

/* The call stack: its top (initial stack pointer) and its guard page. */
static inline gva_t sb_call_stack_top_gva(void)
{
	return sb_undo_log_gva();
}
static inline gva_t sb_stack_guard_gva(void)
{
	return SB_SCRATCH_END_GVA - SB_SCRATCH_TOP_PAGES * SB_PAGE_SIZE;
}
static inline uint64_t sb_stack_guard_offset(uint64_t scratch_bytes)
{
	return scratch_bytes - SB_SCRATCH_TOP_PAGES * SB_PAGE_SIZE;
}

/* Initial stack pointer of the exception stack. */
static inline gva_t sb_exn_stack_top_gva(void)
{
	return SB_SCRATCH_END_GVA - SB_SCRATCH_TOP_EXN_STACK;
}

/* Host offset in scratch of the page-table copy: just above the I/O buffers,
 * page aligned. Arguments must each be at most SB_SCRATCH_MAX_BYTES. */
static inline uint64_t sb_scratch_pt_offset(uint64_t input_bytes, uint64_t output_bytes)
{
	return sb_page_round_up(input_bytes + output_bytes);
}

/* Smallest scratch region for these I/O buffers, before the page tables are
 * known (add their size once known). Arguments at most SB_SCRATCH_MAX_BYTES. */
static inline uint64_t sb_min_scratch_bytes(uint64_t input_bytes, uint64_t output_bytes)
{
	return sb_scratch_pt_offset(input_bytes, output_bytes) +
	       SB_SCRATCH_MIN_EXTRA_PAGES * SB_PAGE_SIZE;
}

/* PEB: one page at the start of which sits this struct, read-only to the
 * guest. The guest finds it through its entry point's first argument.
 * Every field is a little-endian uint64_t; the order is ABI. */
struct sb_peb_region {
	uint64_t size; /* bytes; 0 = absent */
	uint64_t gva;  /* first byte; 0 when absent */
};

struct sb_peb {
	struct sb_peb_region input;     /* host -> guest buffer (scratch) */
	struct sb_peb_region output;    /* guest -> host buffer (scratch) */
	struct sb_peb_region init_data; /* optional blob (snapshot) */
	struct sb_peb_region heap;      /* guest heap (snapshot) */
};

_Static_assert(sizeof(struct sb_peb_region) == 16, "sb_peb_region is two u64");
_Static_assert(sizeof(struct sb_peb) == 64, "sb_peb is four regions");
_Static_assert(__builtin_offsetof(struct sb_peb, input) == 0, "PEB ABI");
_Static_assert(__builtin_offsetof(struct sb_peb, output) == 16, "PEB ABI");
_Static_assert(__builtin_offsetof(struct sb_peb, init_data) == 32, "PEB ABI");
_Static_assert(__builtin_offsetof(struct sb_peb, heap) == 48, "PEB ABI");

#endif
