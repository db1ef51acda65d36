/* internal.h — the runtime's own pieces, not for guest programs. */
#ifndef SNAPBENCH_GUEST_INTERNAL_H
#define SNAPBENCH_GUEST_INTERNAL_H

#include <stdint.h>

#include "guest.h"
#include "pt.h"
#include "sandbox_abi.h"

/* Guest-virtual map owned by the runtime (outside the snapshot region and
 * below the scratch window):
 *   SB_RT_PAGE_GVA    one page holding the IDT, GDT and TSS (backed by a
 *                     scratch page at init; a snapshot keeps it; defined in
 *                     sandbox_abi.h: the host's scratch minimum counts its
 *                     tables).
 * The call stack is in scratch (sandbox_abi.h, sb_call_stack_top_gva). */
/* The host's SB_INIT_* flags, kept in the runtime page (not in .bss) so the
 * fault handler can read them before the first copy-on-write fault. */
#define SB_RT_FLAGS_GVA (SB_RT_PAGE_GVA + 2048)

/* GDT selectors: sandbox_abi.h (the host enters ring 0 with them too). */

/* The page-table gate (ptgate.c): INT3, i.e. vector 3 (#BP), whose IDT
 * gate alone has DPL 3. Not INT n on a spare vector: our hypervisor
 * (kvm_pvm) hands INT n from ring 3 to KVM's instruction emulator, which
 * has no protected-mode INT n and raises #UD instead (measured: `int $0x16`
 * ends as "invalid opcode" at the INT); INT3 is delivered as #BP. RAX holds
 * one of the operations below, a magic value, so a stray INT3 in guest
 * code is still reported as a breakpoint rather than taken for a request. */
#define SB_VEC_PT_GATE 3
#define SB_PT_GATE_LOOKUP 0x5054474154450001ull /* "PTGATE" 01 */
#define SB_PT_GATE_MAP 0x5054474154450002ull
#define SB_PT_GATE_SPACE_NEW 0x5054474154450003ull    /* address spaces: ptgate.c */
#define SB_PT_GATE_SPACE_SWITCH 0x5054474154450004ull
#define SB_PT_GATE_MAX_PAGES 512ull /* per trap: bounds one ring-0 stay */

/* Registers as the exception stubs lay them out (exceptions.S). */
struct sb_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

/* Runtime state that lives in .bss (CoW-copied on first write). */
struct sb_runtime {
	const struct sb_peb *peb;
	uint8_t *input;
	uint64_t input_bytes;
	uint8_t *output;
	uint64_t output_bytes;
	uint8_t *heap_next;
	uint8_t *heap_end;
	unsigned nfunctions;
	const struct sb_guest_function *functions[SB_GUEST_MAX_FUNCTIONS];
};
extern struct sb_runtime sb_rt;

static inline uint64_t sb_init_flags(void)
{
	return *(volatile const uint64_t *)(uintptr_t)SB_RT_FLAGS_GVA;
}

/* Page tables of the running guest: tables live in scratch and are reached
 * through the scratch window, where they are supervisor-only: ring 0 only
 * (the fault handlers, init, the page-table gate). Its root is CR3. */
extern const struct pt sb_guest_pt;

/* Ring 0: make the window's mapping of the scratch page `gpa` supervisor-
 * only, before the page becomes a table (or other ring-0 state). PT_E_DENIED
 * if the window does not map it user-accessible (already hidden, or not a
 * scratch page): the caller must not use it then. */
enum pt_status sb_window_hide(gpa_t gpa);

/* The gate's handler (ring 0, from sb_exception on vector 3): registers
 * in, out. false: RAX names no operation (a real breakpoint). */
bool sb_pt_gate(struct sb_frame *f);
/* Its address-space operations (aspace.c): weak, absent from guests that
 * do not use them. The gate's rule for pages and its caller's side. */
bool sb_pt_gate_spaces(struct sb_frame *f) __attribute__((weak, visibility("hidden")));

/* One request: INT3 from ring 3. From ring 0 (calls in SANDBOX_MODE_KERNEL)
 * the handler is called directly: there is no privilege to gain, and ring 0
 * is emulated here, where KVM's emulator cannot run INT3 in protected mode
 * (measured: an emulation-failure exit). */
static inline void sb_gate_request(struct sb_frame *f)
{
	uint16_t cs;
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	if ((cs & 3) == 0) {
		sb_pt_gate(f);
		return;
	}
	__asm__ volatile("int3"
			 : "+a"(f->rax), "+D"(f->rdi), "+S"(f->rsi), "+d"(f->rdx), "+c"(f->rcx)
			 :
			 : "memory", "cc");
}


/* Scratch page allocator (atomic add on the bookkeeping word). Returns the
 * GPA of a zeroed page (the host zeroes free scratch, see sandbox_abi.h),
 * or aborts "out of physical memory". */
gpa_t sb_scratch_alloc_page(void);
/* Same, but returns 0 instead of aborting. */
gpa_t sb_scratch_try_alloc_page(void);
static inline void *sb_scratch_ptr(gpa_t gpa)
{
	return (void *)(uintptr_t)sb_scratch_gpa_to_gva(gpa);
}

/* Write a page-table entry (in scratch), logging its old value in the
 * undo log first (sandbox_abi.h). Every page-table write the runtime makes
 * in C goes through here (the copy-on-write fast path in exceptions.S
 * writes its leaf itself); ring 0 only: the tables are supervisor-only. */
void sb_pt_write(gpa_t entry_gpa, pt_entry_t e);

/* The host restored the snapshot we were last reset to: write the logged
 * old values back (newest first), then go on into the call. Runs in
 * ring 0 on the restore stack; never returns. */
__attribute__((noreturn)) void sb_runtime_rewind(void);
__attribute__((noreturn)) void sb_runtime_dispatch(void);

static inline struct sb_pt_undo_log *sb_undo_log(void)
{
	return (struct sb_pt_undo_log *)(uintptr_t)sb_undo_log_gva();
}

/* Map one fresh zeroed scratch page at `va` (RW, NX; user-accessible or
 * kernel-only; a kernel-only page is hidden in the window too). Ring 0. */
void sb_map_fresh_page(gva_t va, bool user);

/* CPU tables: GDT, TSS (IST1 = exception stack), IDT. Touches only scratch. */
void sb_cpu_init(void);

/* Exception entry from exceptions.S; returns to retry the instruction. */
void sb_exception(struct sb_frame *f);

/* Abort with a message made of parts (NULL-terminated list of strings). */
__attribute__((noreturn)) void sb_abort_parts(enum sb_abort_code code, uint8_t vector,
					      const char *const *parts);

/* Switch to a new stack and call fn(arg); fn must not return. */
void sb_call_on_stack(uint64_t stack_top, void (*fn)(void *), void *arg);


/* Leave ring 0 for good: iretq to `rip` in ring 3 with stack `rsp`. */
__attribute__((noreturn)) void sb_enter_user(uint64_t rip, uint64_t rsp);
/* Ring-3 stub: report SB_PORT_DONE (the end of init). */
extern char sb_user_done[];

#endif
