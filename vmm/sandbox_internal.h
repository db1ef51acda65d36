/* sandbox_internal.h — the sandbox's parts, shared by its source files. */
#ifndef SNAPBENCH_VMM_SANDBOX_INTERNAL_H
#define SNAPBENCH_VMM_SANDBOX_INTERNAL_H

#include "mgr.h"
#include "sandbox.h"
#include "vmm.h"

#define SANDBOX_SLOT_SNAPSHOT 0
#define SANDBOX_SLOT_SCRATCH 1
/* A one-page slot over the NULL-guard page (GPA 0, never mapped by guest
 * page tables) that restore deletes and re-adds: deleting a slot makes KVM
 * drop every shadow page table, the only way to make it forget page-table
 * pages the host rewrote behind its back (see sandbox_snapshot.c). */
#define SANDBOX_SLOT_FLUSH 2
#define SANDBOX_SLOT_EXTRA0 3 /* extra read-only regions: slots 3.. */

/* The abort stream arrives one byte per exit (proto.h). */
struct abort_stream {
	unsigned got; /* bytes so far, 0 = none started */
	uint8_t code, vector;
	size_t len;
	char msg[SB_ABORT_MSG_MAX + 1];
};

/* The guest's state when a run failed, kept for a crash dump
 * (crashdump.c) until the next run. */
struct sandbox_crash {
	bool valid;         /* a failed run's state is there to dump */
	bool cancelled, eager;
	bool have_regs;     /* regs and sregs read (eager: at the failure) */
	bool from_frame;    /* registers from the guest's exception frame */
	int signo;          /* what NT_PRSTATUS reports (SIGSEGV, SIGINT, ...) */
	gva_t frame_gva;    /* where that frame was */
	uint64_t vector, error_code; /* the frame's */
	char call[SB_NAME_MAX + 1];  /* the call that failed ("init": the guest's initialisation) */
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	bool have_fpu;       /* x87/SSE state read (KVM_GET_XSAVE's legacy area) */
	uint8_t fxsave[512]; /* FXSAVE layout: NT_FPREGSET */
};

struct sandbox {
	struct vm *vm;
	struct vcpu *vcpu;
	struct mem_mgr mem;
	struct sandbox_config cfg;
	uint64_t created_deadline_ns; /* cfg.deadline_ns at create (sandbox_reset_host_state) */
	struct sandbox_host_fn_def host_fns[SANDBOX_MAX_HOST_FNS];
	unsigned n_host_fns;
	/* The snapshot whose host functions were last found here, unchanged
	 * since (register_host_fn clears it): its restores skip the check. */
	const struct snapshot *host_fns_match;
	gva_t dispatch_gva;
	gva_t stack_top_gva;
	uint64_t call_rflags; /* ring 3 (IOPL 3, IF) or ring 0 flags for calls */
	bool sync_sregs;      /* KVM takes special registers through kvm_run */
	bool sync_events;     /* and pending events */
	/* The last run ended with the guest reporting done (not an abort, a
	 * fault, a cancel or a host-side failure). */
	bool clean_stop;
	/* The vCPU ran since the last restore (or ever, after a create): with
	 * nothing run, ring-0 state and tables are as the restore left them. */
	bool ran_since_restore;
	uint64_t *dirty_log;  /* KVM_GET_DIRTY_LOG buffer for the scratch slot */
	uint64_t *snap_dirty_log; /* and for the snapshot slot (host-cow only) */
	bool log_read_ok;     /* both logs were read at this restore */
	bool dirty_collected; /* ... and nothing ran since (rewind_wanted, a snapshot) */
	bool rewind_ok;       /* rewind: the last replay reported done */
	bool replaying;       /* rewind: the replay runs (only SB_PORT_DONE is served) */
	struct vcpu_fresh fresh;
	struct sandbox_restore_info last_restore;
	uint64_t generation;  /* of the snapshot last restored, or last taken */
	enum sandbox_state state;
	char reason[SB_ERR_MSG_MAX];
	struct abort_stream abort;
	uint64_t exits;
	uint64_t cow_faults;  /* SB_PORT_COPY_PAGE requests in the last run */
	uint8_t *flush_page; /* host memory behind SANDBOX_SLOT_FLUSH: the entry page */
	bool entry_stub;      /* the entry page holds the FPU stub (sandbox_entry.c) */
	bool enter_via_stub;  /* the next call enters at SB_ENTRY_PAGE_GVA */
	const struct snapshot *entry_checked_snap; /* tables_map_entry_page's memo */
	const uint8_t *entry_checked_tables;
	bool entry_checked_ok;
	struct snap_extra_region extra[SNAP_MAX_EXTRA];
	size_t n_extra;
	struct sandbox_crash crash;
	unsigned crashdumps; /* cores written into cfg.crashdump_dir */
	/* sandbox_pool.c: the CALL snapshot a pool's take made it run (a
	 * reference, dropped by sandbox_destroy), which its put scrubs it back
	 * to; NULL if it never came from a pool. */
	struct snapshot *pool_home;
	/* A pool holds it (put, not taken since): a second put, into that pool
	 * or another, is refused. Atomic: puts may race. */
	bool pool_held;
};

/* The process-wide /dev/kvm handle, opened on first use. */
struct kvm *sandbox_kvm(struct sb_err *err);

/* Run the vCPU until the guest reports SB_PORT_DONE, serving host calls,
 * logs and debug characters on the way. On failure the sandbox is poisoned
 * and err says why. */
int sandbox_run_until_done(struct sandbox *sb, struct sb_err *err);

/* Ring-3 flags for calls: IOPL 3 so the guest can OUT to the host, IF set
 * (the hypervisor runs user mode with it; no interrupt source exists). */
#define SANDBOX_USER_RFLAGS 0x3202ull
#define SANDBOX_KERNEL_RFLAGS 0x2ull

/* Special registers for running `snap`: its own, CR3 at its page tables. */
int sandbox_load_sregs(struct sandbox *sb, const struct snapshot *snap, struct sb_err *err);

/* Add the scratch slot (dirty-logged) for the current scratch mapping, where
 * layout `l` puts it, with a log buffer of its size. */
int sandbox_add_scratch_slot(struct sandbox *sb, const struct layout *l, struct sb_err *err);

/* Add the snapshot slot for the current snapshot: its shared image,
 * read-only, or under host-cow the sandbox's private copy, writable and
 * dirty-logged (with a log buffer of its size). */
int sandbox_add_snapshot_slot(struct sandbox *sb, struct sb_err *err);

/* The host's entry page (sandbox_entry.c): map it (into flush_page), then
 * once the fresh vCPU state is known, write the stub and make it
 * read-only. sandbox_entry_usable: may the next call enter through it
 * instead of a KVM_SET_XSAVE, for `snap` run with control register 4 `cr4`? */
int sandbox_entry_page_init(struct sandbox *sb, struct sb_err *err);
int sandbox_entry_page_fill(struct sandbox *sb, struct sb_err *err);
bool sandbox_entry_usable(struct sandbox *sb, const struct snapshot *snap, uint64_t cr4);

/* Registers for entering the guest at rip with stack rsp and flags (all
 * else zero), through kvm_run; the deadline of the next run. */
void sandbox_set_entry_regs(struct sandbox *sb, gva_t rip, gva_t rsp, uint64_t rflags);
void sandbox_arm_deadline(struct sandbox *sb);

/* The rewind strategy's replay (sandbox_rewind.c): the guest writes back
 * its logged page-table entries in ring 0 and reports done; the host's
 * restore follows as under rewrite. */
int sandbox_rewind(struct sandbox *sb, struct sb_err *err);

/* Merge KVM's dirty logs into the memory manager's (sandbox_snapshot.c). */
void sandbox_collect_dirty(struct sandbox *sb);

/* Crash dumps (crashdump.c). capture: the run just failed with err: its
 * state may be dumped until the next run or restore; signo 0 = judge from
 * err and the registers (cancel, exception frame, abort), read when a
 * core is written; non-zero = read them now, the caller moves them. auto: after a
 * failed call or initialisation, note the call's name, write a core into
 * cfg.crashdump_dir if set, and say so at the end of err's message and the sandbox's reason;
 * `what` names the call. */
void sandbox_crash_capture(struct sandbox *sb, const struct sb_err *err, int signo);
void sandbox_crash_auto(struct sandbox *sb, const char *what, struct sb_err *err);

/* Make the vCPU's registers what its next entry sets: general registers
 * zero, the FPU fresh, the special registers a restore left pending in
 * kvm_run applied now. A light restore leaves the last run's in KVM until
 * the next entry (the FPU until the entry page's stub), where a core of a
 * call that failed before entering the guest reads them: the sandbox pool
 * wipes a sandbox before its next user gets it. Broken on failure. */
int sandbox_wipe_vcpu(struct sandbox *sb, struct sb_err *err);

/* Record a failure: poison (or break) the sandbox, keep the reason; -1. */
int sandbox_fail(struct sandbox *sb, enum sandbox_state state, struct sb_err *err);

#endif
