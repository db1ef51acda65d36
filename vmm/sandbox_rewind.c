/* sandbox_rewind.c — the rewind restore strategy (SANDBOX_RESTORE_REWIND,
 * vmm/sandbox.h): before the host's own restore, the guest replays its
 * page-table undo log in ring 0 (guest/runtime.c, sb_runtime_rewind), as
 * the first design of this project did on the next call's entry.
 *
 * Made complete, it buys nothing here, and the strategy exists to measure
 * that: the log is the guest's, so the host does not trust the replay. It
 * rewrites every page-table page the dirty log names as under rewrite, and
 * it cannot skip the shadow flush either, because ring-0 code ran (the
 * copy-on-write faults before, the replay now) and may have made any page
 * the host writes a page table KVM shadows; only a memory-slot change drops
 * such shadows. So a rewind restore costs rewrite's plus the replay: one
 * entry into emulated ring 0 here (~0.3-0.8 us an instruction) and its
 * exit. The replay runs only when the guest wrote the page-table area;
 * otherwise the restore is rewrite's light one. The replay is the guest's
 * code (ring 3 can patch it), so it gets only what it needs: the done port
 * (a host call, a log record, anything else ends it as failed, with no
 * callback run) and a budget of its own (SANDBOX_REWIND_BUDGET_NS).
 */
#include <string.h>

#include "sandbox_internal.h"

/* What a replay may take before it is given up (and the host restores as
 * under rewrite): far above an honest replay of a full log. */
#define SANDBOX_REWIND_BUDGET_NS (100ull * 1000 * 1000)

/* The guest's ring 0 with the VMM's flat selectors, which are the guest
 * GDT's kernel ones (guest/cpu.c). */
_Static_assert(VCPU_SEL_CODE64 == SB_SEL_KCODE, "kernel code selector");
_Static_assert(VCPU_SEL_DATA == SB_SEL_KDATA, "kernel data selector");

static int enter_ring0(struct sandbox *sb, const struct snapshot *snap, struct sb_err *err)
{
	struct kvm_sregs s = snap->sregs;
	s.cr3 = layout_pt_base_gpa(&snap->layout);
	s.cs.selector = VCPU_SEL_CODE64;
	s.cs.dpl = 0;
	s.ss.selector = VCPU_SEL_DATA;
	s.ss.dpl = 0;
	if (!sb->sync_sregs)
		return vcpu_set_sregs(sb->vcpu, &s, err);
	sb->vcpu->run->s.regs.sregs = s;
	sb->vcpu->run->kvm_dirty_regs |= KVM_SYNC_X86_SREGS;
	return 0;
}

int sandbox_rewind(struct sandbox *sb, struct sb_err *err)
{
	struct mem_mgr *m = &sb->mem;
	uint64_t off = sb_undo_log_offset(m->scratch_bytes);
	struct sb_pt_undo_log *log = (struct sb_pt_undo_log *)(m->scratch + off);
	log->pending = SB_PT_UNDO_REWIND_ONLY;
	mgr_mark_dirty(m, off, sizeof *log);
	if (enter_ring0(sb, m->snap, err))
		return -1;
	sandbox_set_entry_regs(sb, sb->dispatch_gva,
			       sb_scratch_top_gva(SB_SCRATCH_TOP_RESTORE_STACK), SANDBOX_KERNEL_RFLAGS);
	/* The replay is the restore's, not a call's: its exits stay out of
	 * the last call's figures. A replay that fails (a forged log, a
	 * timeout) changes nothing: the host resets everything after it. */
	uint64_t exits = sb->exits, cow = sb->cow_faults;
	struct sb_err ignored;
	/* Its own budget, not the call deadline (which may be none): 254
	 * entries take a few ms of emulated ring 0 here. */
	vcpu_set_deadline(sb->vcpu, vmm_now_ns() + SANDBOX_REWIND_BUDGET_NS);
	sb->replaying = true;
	int rc = sandbox_run_until_done(sb, &ignored);
	sb->replaying = false;
	sb->exits = exits;
	sb->cow_faults = cow;
	sb->rewind_ok = rc == 0;
	/* An access a replay cut short left open (run.h). Its final OUT needs
	 * nothing: the next entry is elsewhere (vcpu_settle_out). */
	return vcpu_complete_pending(sb->vcpu, err);
}
