/* sandbox_snapshot.c — snapshot a running sandbox and restore one
 * (DESIGN.md §5, §9).
 *
 * Restore makes the sandbox what a fresh sandbox from the snapshot is
 * (the contract in sandbox.h), and the host alone decides what that takes:
 *
 *  - Memory. The scratch slot is dirty-logged: KVM_GET_DIRTY_LOG (~1-2 us
 *    here) names every page the guest wrote since the last restore, from any
 *    ring, through any mapping; the host adds the pages it wrote itself.
 *    Each such page is rewritten in place (mgr_restore): a page of the
 *    snapshot's page-table tail in the page-table area, zero elsewhere, then
 *    the I/O headers and bookkeeping words. The guest's allocator word and
 *    undo log are never asked.
 *  - Translations. On our machines KVM runs the guest on shadow page tables
 *    (kvm_pvm has no EPT), which follow the guest's own writes to its
 *    tables but not the host's: after a host rewrite KVM would go on using
 *    the old translations (measured: a second restore read the previous
 *    run's pages). And a page the guest used as a page table and the host
 *    then zeroed keeps a stale shadow. So the restore is "full" when the
 *    guest wrote the page-table area or the exception stack, or calls run
 *    in ring 0, or the last call did not end cleanly, or the snapshot
 *    changes. The first two are the only ways to edit the tables or to
 *    reach ring 0: every exception pushes its frame onto that stack (IST1),
 *    and the IDT, GDT and TSS sit in snapshot pages that only a table edit
 *    can change. That holds for a snapshot whose TSS stacks are all there,
 *    with no call gate, no LDT and no SYSCALL (snapshot/snap_ring0.c);
 *    any other snapshot has every restore full. A full restore changes a
 *    memory slot, which makes KVM drop every shadow table (with EPT it
 *    flushes the guest's TLB), and resets
 *    the ring-0 state: debug registers, XCR0, MSRs (three ioctls), pending
 *    events (through kvm_run). Otherwise no table changed and no ring-0
 *    code ran since the last restore, which left ring-0 state fresh, and
 *    resetting the data pages in place is enough.
 *  - Registers. Special registers go through kvm_run's synchronised block
 *    (no ioctl); general registers are set at every call's entry; the FPU /
 *    SSE / xsave state is reset by KVM_SET_XSAVE after a full restore and,
 *    after a light one, by the host's entry page at the next call's entry
 *    (sandbox_entry.c: FXRSTOR, ~0.1-0.15 us in that call, measured by
 *    timing calls entered through it against direct ones).
 *
 * Nothing else is left for the guest's next entry. What a restore does not do
 * is KVM's lazy rebuild of its shadow tables after a full restore, paid by
 * the next call as faults; reports show it as the post-restore penalty.
 * While it works the sandbox is marked broken, so a failure half-way never
 * leaves a sandbox that looks healthy.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pt.h"
#include "sandbox_internal.h"

int sandbox_load_sregs(struct sandbox *sb, const struct snapshot *snap, struct sb_err *err)
{
	/* Written into the synchronised register block, applied by KVM at the
	 * next KVM_RUN: an ioctl costs ~6.5 us here, more than the rest of a
	 * restore. */
	struct kvm_run *run = sb->vcpu->run;
	struct kvm_sregs s = snap->sregs;
	s.cr3 = snap_cur_root(snap); /* the space the snapshot was taken in */
	/* Calls resume in the ring the snapshot was taken in. */
	sb->call_rflags = s.cs.dpl == 3 ? SANDBOX_USER_RFLAGS : SANDBOX_KERNEL_RFLAGS;
	if (!sb->sync_sregs)
		return vcpu_set_sregs(sb->vcpu, &s, err);
	run->s.regs.sregs = s;
	run->kvm_dirty_regs |= KVM_SYNC_X86_SREGS;
	return 0;
}

int sandbox_add_scratch_slot(struct sandbox *sb, const struct layout *l, struct sb_err *err)
{
	uint64_t *log = calloc(mgr_dirty_log_words(&sb->mem), sizeof *log);
	if (!log)
		return sb_errf(err, SB_E_NOMEM, "cannot allocate the scratch dirty log");
	free(sb->dirty_log);
	sb->dirty_log = log;
	return vm_set_memslot_logged(sb->vm, SANDBOX_SLOT_SCRATCH, layout_scratch_base_gpa(l),
				     sb->mem.scratch, sb->mem.scratch_bytes, err);
}

int sandbox_add_snapshot_slot(struct sandbox *sb, struct sb_err *err)
{
	const struct mem_mgr *m = &sb->mem;
	uint64_t bytes = layout_snapshot_bytes(mgr_layout(m));
	if (!m->snap_mem)
		return vm_set_memslot(sb->vm, SANDBOX_SLOT_SNAPSHOT, SB_BASE_ADDRESS, m->snap->image,
				      bytes, true, err);
	uint64_t *log = calloc(mgr_snap_dirty_log_words(m), sizeof *log);
	if (!log)
		return sb_errf(err, SB_E_NOMEM, "cannot allocate the snapshot dirty log");
	free(sb->snap_dirty_log);
	sb->snap_dirty_log = log;
	return vm_set_memslot_logged(sb->vm, SANDBOX_SLOT_SNAPSHOT, SB_BASE_ADDRESS, m->snap_mem,
				     bytes, err);
}

uint64_t sandbox_generation(const struct sandbox *sb)
{
	return sb->generation;
}

static void host_fn_record(const struct sandbox_host_fn_def *d, struct snap_host_fn *out)
{
	memset(out, 0, sizeof *out);
	snprintf(out->name, sizeof out->name, "%s", d->name);
	out->ret = (uint8_t)d->ret;
	out->nparams = (uint8_t)d->nparams;
	for (unsigned i = 0; i < d->nparams; i++)
		out->params[i] = (uint8_t)d->params[i];
}

/* Can the snapshot share pages with the one the sandbox runs from
 * (snapshot/snap_incr.c)? Its parent must be a live snapshot, and the
 * page-table area must be what the dirty log says: under retain the host
 * writes kept copies' leaves into it at every restore, and their pages
 * change with no table written, so retain takes full snapshots. */
static bool incremental_ok(const struct sandbox *sb, char *why, size_t bytes)
{
	if (sb->cfg.full_snapshots)
		snprintf(why, bytes, "full snapshots asked for (snapshots = full)");
	else if (!sb->mem.snap->extents)
		snprintf(why, bytes, "the sandbox runs from %s %.80s, not from a live snapshot",
			 sb->mem.snap->file[0] ? "a file's snapshot" : "its ELF's snapshot",
			 sb->mem.snap->file[0] ? sb->mem.snap->file : sb->mem.snap->source);
	else if (sb->mem.retain.on)
		snprintf(why, bytes, "restore strategy retain (its kept copies change pages with "
			 "no table written)");
	else
		return true;
	return false;
}

/* 0 with *out, -1 with err, 1: take the full snapshot (why: the reason). */
static int snapshot_incremental(struct sandbox *sb, const struct snap_live_input *in,
				struct snapshot **out, char *why_full, size_t bytes, struct sb_err *err)
{
	struct mem_mgr *m = &sb->mem;
	const struct layout *l = mgr_layout(m);
	/* What the guest wrote since the create or restore: KVM's logs, merged
	 * into the manager's (a page stays marked until it is reset). The
	 * restore that usually follows need not read them again unless
	 * something runs first (sandbox_run_until_done clears the flag). */
	sandbox_collect_dirty(sb);
	sb->dirty_collected = true;
	/* the page-table area's pages in the manager's bitmap of scratch */
	struct snap_incr_dirty d = { m->dirty, layout_pt_scratch_offset(l) / SB_PAGE_SIZE,
				     m->all_dirty, m->snap_mem ? m->snap_dirty : NULL };
	struct sb_err why = { 0 };
	int rc = snap_from_live_incr(out, in, &d, &why);
	if (rc > 0) /* "incremental snapshot: the guest added a page table at ..." */
		snprintf(why_full, bytes, "%.150s",
			 strncmp(why.msg, "incremental snapshot: ", 22) == 0 ? why.msg + 22 : why.msg);
	if (rc < 0)
		*err = why;
	return rc;
}

int sandbox_snapshot(struct sandbox *sb, struct snapshot **out, struct sb_err *err)
{
	if (sb->state != SANDBOX_READY)
		return sb_errf(err, SB_E_STATE, "snapshot: sandbox is %s (%s)",
			       sandbox_state_name(sb->state), sb->reason);
	/* Right after a restore the snapshot's registers wait in kvm_run for
	 * the next KVM_RUN; KVM_GET_SREGS would give the run before it. */
	struct kvm_sregs sregs;
	const struct kvm_run *run = sb->vcpu->run;
	if (run->kvm_dirty_regs & KVM_SYNC_X86_SREGS)
		sregs = run->s.regs.sregs;
	else if (vcpu_get_sregs(sb->vcpu, &sregs, err))
		return sb_err_prefix(err, "snapshot: ");
	struct snap_host_fn fns[SNAP_MAX_HOST_FNS];
	for (unsigned i = 0; i < sb->n_host_fns; i++)
		host_fn_record(&sb->host_fns[i], &fns[i]);
	/* Every address space: CR3 and the roots the guest declared
	 * (snapshot/snap_roots.c checks them; a bad one refuses the snapshot). */
	gpa_t roots[SNAP_MAX_ROOTS];
	size_t nroots, cur;
	if (snap_roots_declared(mgr_layout(&sb->mem), sb->mem.scratch, sb->mem.scratch_bytes,
				sregs.cr3 & PT_X86_64_ADDR_MASK, roots, &nroots, &cur, err))
		return -1;
	struct snap_live_input in = {
		.base = sb->mem.snap,
		.snapshot_mem = mgr_snapshot_mem(&sb->mem),
		.scratch = sb->mem.scratch,
		.scratch_bytes = sb->mem.scratch_bytes,
		.roots = roots,
		.nroots = nroots,
		.cur_root = cur,
		.sregs = &sregs,
		.dispatch_gva = sb->dispatch_gva,
		.stack_top_gva = sb->stack_top_gva,
		.generation = sb->generation + 1,
		.host_fns = fns,
		.n_host_fns = sb->n_host_fns,
		.extra = sb->extra,
		.n_extra = sb->n_extra,
	};
	int rc = 1;
	char why_full[sizeof (*out)->full_reason] = "";
	if (incremental_ok(sb, why_full, sizeof why_full))
		rc = snapshot_incremental(sb, &in, out, why_full, sizeof why_full, err);
	if (rc < 0 || (rc > 0 && snap_from_live(out, &in, err)))
		return -1;
	if (rc > 0)
		memcpy((*out)->full_reason, why_full, sizeof why_full);
	sb->generation++;
	return 0;
}

/* Every host function the snapshot's guest may call must be here, with the
 * same signature. */
static int check_host_fns(const struct sandbox *sb, const struct snapshot *snap, struct sb_err *err)
{
	for (unsigned i = 0; i < snap->n_host_fns; i++) {
		const struct snap_host_fn *want = &snap->host_fns[i];
		const struct sandbox_host_fn_def *have = NULL;
		for (unsigned j = 0; j < sb->n_host_fns && !have; j++)
			if (strcmp(sb->host_fns[j].name, want->name) == 0)
				have = &sb->host_fns[j];
		if (!have)
			return sb_errf(err, SB_E_STATE,
				       "restore: the snapshot expects host function '%s', which this "
				       "sandbox does not have", want->name);
		struct snap_host_fn mine;
		host_fn_record(have, &mine);
		if (mine.ret != want->ret || mine.nparams != want->nparams ||
		    memcmp(mine.params, want->params, want->nparams) != 0)
			return sb_errf(err, SB_E_STATE,
				       "restore: host function '%s' has another signature here than "
				       "in the snapshot", want->name);
	}
	return 0;
}

static int check_restorable(struct sandbox *sb, const struct snapshot *snap,
			    struct sb_err *err)
{
	if (sb->state == SANDBOX_BROKEN)
		return sb_errf(err, SB_E_STATE, "restore: sandbox is broken (%s); destroy it",
			       sb->reason);
	if (snap->entry_kind != SNAP_ENTRY_CALL || !snap->has_sregs)
		return sb_errf(err, SB_E_STATE,
			       "restore: %s is a pre-init snapshot; create a sandbox from it instead",
			       snap->source);
	const struct layout *have = mgr_layout(&sb->mem), *want = &snap->layout;
	if (have->config.input_bytes != want->config.input_bytes ||
	    have->config.output_bytes != want->config.output_bytes)
		return sb_errf(err, SB_E_STATE,
			       "restore: I/O buffers differ (sandbox %llu/%llu bytes, snapshot %llu/%llu)",
			       (unsigned long long)have->config.input_bytes,
			       (unsigned long long)have->config.output_bytes,
			       (unsigned long long)want->config.input_bytes,
			       (unsigned long long)want->config.output_bytes);
	/* Checked for the snapshot we run (which we hold, so the pointer
	 * cannot be a new snapshot at a freed one's address), and nothing
	 * registered since: keeps the O(n*m) check off the hot path. */
	if (sb->host_fns_match == snap && sb->mem.snap == snap)
		return 0;
	if (check_host_fns(sb, snap, err))
		return -1;
	sb->host_fns_match = snap;
	return 0;
}

/* Point slot `slot` at new memory: KVM cannot resize a slot in place. */
static int swap_slot(struct sandbox *sb, uint32_t slot, gpa_t gpa, void *hva, uint64_t bytes,
		     bool readonly, struct sb_err *err)
{
	if (vm_delete_memslot(sb->vm, slot, err))
		return -1;
	return vm_set_memslot(sb->vm, slot, gpa, hva, bytes, readonly, err);
}

/* Which pages the guest wrote since the last restore: KVM's log, merged
 * into the memory manager's. Without a log, every page. */
void sandbox_collect_dirty(struct sandbox *sb)
{
	struct sb_err ignored;
	sb->log_read_ok = true;
	if (vm_get_dirty_log(sb->vm, SANDBOX_SLOT_SCRATCH, sb->dirty_log, &ignored)) {
		mgr_mark_all_dirty(&sb->mem);
		sb->log_read_ok = false;
	} else {
		mgr_merge_dirty(&sb->mem, sb->dirty_log);
	}
	if (!sb->mem.snap_mem)
		return;
	if (vm_get_dirty_log(sb->vm, SANDBOX_SLOT_SNAPSHOT, sb->snap_dirty_log, &ignored)) {
		mgr_mark_snap_all_dirty(&sb->mem);
		sb->log_read_ok = false;
	} else {
		mgr_merge_snap_dirty(&sb->mem, sb->snap_dirty_log);
	}
}

/* Take the pages in `rp` (NULL: none) out of KVM's log of `slot`, which
 * write-protects them. Only pages in the log read at this restore (`log`)
 * can be writable: the host's own writes (the bookkeeping page at every
 * restore) leave a page protected, and skipping them mostly saves the
 * ioctl (~2 us here). */
static int reprotect(struct sandbox *sb, uint32_t slot, uint64_t *rp, const uint64_t *log,
		     uint64_t words, struct sb_err *err)
{
	if (!rp || !sb->vm->manual_dirty)
		return 0;
	bool any = false;
	for (uint64_t i = 0; i < words; i++) {
		if (sb->log_read_ok)
			rp[i] &= log[i];
		any |= rp[i] != 0;
	}
	return any ? vm_clear_dirty_log(sb->vm, slot, rp, err) : 0;
}

/* Memory: slots, scratch pages. Sets *full when the restore must also drop
 * KVM's shadow tables and reset ring-0 state. */
static int restore_memory(struct sandbox *sb, struct snapshot *snap, bool *full,
			  struct sb_err *err)
{
	const struct layout *l = &snap->layout;
	struct snapshot *old = sb->mem.snap;
	bool slot_changed = false; /* any slot change drops the shadow tables */
	/* Calls in ring 0, or a call that did not end cleanly (an abort, a
	 * fault, a cancel mid-instruction): ring-0 code may have run.
	 * Nothing ran since the last restore (a pooled sandbox scrubbed, then
	 * taken): nothing of that can have happened. */
	bool full_needed = sb->ran_since_restore &&
			   (sb->call_rflags != SANDBOX_USER_RFLAGS || !sb->clean_stop ||
			    !snap_ring0_only_by_exception_stack(old));
	if (!sb->dirty_collected) /* rewind_wanted may have read the logs already */
		sandbox_collect_dirty(sb);
	sb->dirty_collected = false;
	if (old->image != snap->image ||
	    layout_snapshot_bytes(&old->layout) != layout_snapshot_bytes(l)) {
		/* Under host-cow a fresh private copy of the new snapshot: the
		 * old copy's log no longer matters. */
		if (vm_delete_memslot(sb->vm, SANDBOX_SLOT_SNAPSHOT, err))
			return -1;
		if (sb->mem.snap_mem) {
			if (mgr_hostcow_map(&sb->mem, snap, err))
				return -1;
			/* mgr_restore switches m->snap; the slot wants the new
			 * copy and its size now. */
			uint64_t *log = calloc(mgr_snap_dirty_log_words(&sb->mem), sizeof *log);
			if (!log)
				return sb_errf(err, SB_E_NOMEM, "cannot allocate the snapshot dirty log");
			free(sb->snap_dirty_log);
			sb->snap_dirty_log = log;
			if (vm_set_memslot_logged(sb->vm, SANDBOX_SLOT_SNAPSHOT, SB_BASE_ADDRESS,
						  sb->mem.snap_mem, layout_snapshot_bytes(l), err))
				return -1;
		} else if (vm_set_memslot(sb->vm, SANDBOX_SLOT_SNAPSHOT, SB_BASE_ADDRESS, snap->image,
					  layout_snapshot_bytes(l), true, err)) {
			return -1;
		}
		slot_changed = true;
	}
	if (layout_scratch_bytes(l) != sb->mem.scratch_bytes) {
		if (vm_delete_memslot(sb->vm, SANDBOX_SLOT_SCRATCH, err) ||
		    mgr_replace_scratch(&sb->mem, layout_scratch_bytes(l), err) ||
		    sandbox_add_scratch_slot(sb, l, err))
			return -1;
		slot_changed = true;
	}
	struct mgr_reset r;
	if (old != snap) /* memos keyed by a snapshot's address (it may be freed now) */
		sb->entry_checked_snap = NULL;
	mgr_restore(&sb->mem, snap, &r);
	/* Pages the guest must not write unseen again: write-protected. */
	if (reprotect(sb, SANDBOX_SLOT_SCRATCH, mgr_log_reprotect(&sb->mem), sb->dirty_log,
		      mgr_dirty_log_words(&sb->mem), err) ||
	    reprotect(sb, SANDBOX_SLOT_SNAPSHOT, mgr_snap_log_reprotect(&sb->mem),
		      sb->snap_dirty_log, mgr_snap_dirty_log_words(&sb->mem), err))
		return -1;
	mgr_log_reprotected(&sb->mem);
	*full = full_needed || r.tables_touched || slot_changed;
	if (*full && !slot_changed &&
	    swap_slot(sb, SANDBOX_SLOT_FLUSH, 0, sb->flush_page, SB_PAGE_SIZE, true, err))
		return sb_err_prefix(err, "dropping the shadow page tables: ");
	sb->last_restore = (struct sandbox_restore_info){
		.same_snapshot = old == snap,
		.full = *full,
		.pages_reset = r.pages_reset,
		.bytes_copied = r.bytes_copied,
		.pages_retained = sb->mem.retain.on ? sb->mem.retain.n : sb->mem.pages_retained,
		.retain_dropped = sb->mem.retain.dropped,
	};
	return 0;
}

/* rewind: the guest replays its log first when it wrote its tables (in a
 * run that ended cleanly, calls in ring 3, the same snapshot). */
static bool rewind_wanted(struct sandbox *sb, const struct snapshot *snap)
{
	if (sb->cfg.restore_strategy != SANDBOX_RESTORE_REWIND || snap != sb->mem.snap ||
	    !sb->clean_stop || sb->call_rflags != SANDBOX_USER_RFLAGS)
		return false;
	sandbox_collect_dirty(sb);
	if (mgr_tables_written(&sb->mem))
		return true; /* the replay writes more: restore_memory reads again */
	sb->dirty_collected = true;
	return false;
}

int sandbox_restore(struct sandbox *sb, struct snapshot *snap, struct sb_err *err)
{
	if (check_restorable(sb, snap, err))
		return -1;
	sb->state = SANDBOX_BROKEN;
	snprintf(sb->reason, sizeof sb->reason, "a restore failed half-way");
	sb->crash.valid = false; /* the memory a core would show is going */

	/* An access the last call left open (an MMIO access, an IN) would be
	 * finished by the next KVM_RUN over the registers set here. */
	bool full, stub = false;
	if (vcpu_complete_pending(sb->vcpu, err) ||
	    (rewind_wanted(sb, snap) && sandbox_rewind(sb, err)) ||
	    restore_memory(sb, snap, &full, err) ||
	    sandbox_load_sregs(sb, snap, err) ||
	    /* After a light restore the entry page's stub resets the FPU, no
	     * ioctl (sandbox_entry.c); after a full one ring 0 may have
	     * changed more of it than the stub reloads. */
	    (!(stub = sandbox_entry_usable(sb, snap, snap->sregs.cr4)) || full
		     ? vcpu_reset_fpu(sb->vcpu, &sb->fresh, err) : 0) ||
	    (full && vcpu_reset_ring0_state(sb->vcpu, &sb->fresh, sb->sync_events, err))) {
		if (snap->file[0]) /* a snapshot from a file: name it */
			sb_err_prefix(err, "%s: ", snap->file);
		sb_err_prefix(err, "restore: ");
		return sandbox_fail(sb, SANDBOX_BROKEN, err);
	}
	vcpu_cancel_reset(sb->vcpu);
	sb->enter_via_stub = stub;

	sb->dispatch_gva = snap->entry_gva;
	sb->stack_top_gva = snap->stack_top_gva;
	sb->generation = snap->generation;
	sb->clean_stop = true;
	sb->ran_since_restore = false;
	sb->state = SANDBOX_READY;
	sb->reason[0] = '\0';
	return 0;
}

int sandbox_map_region(struct sandbox *sb, gpa_t gpa, const void *host, uint64_t bytes,
		       struct sb_err *err)
{
	if (sb->n_extra == SNAP_MAX_EXTRA)
		return sb_errf(err, SB_E_TOO_BIG, "map region: at most %d extra regions", SNAP_MAX_EXTRA);
	if ((gpa | bytes | (uintptr_t)host) & (SB_PAGE_SIZE - 1) || bytes == 0)
		return sb_errf(err, SB_E_INVAL,
			       "map region: GPA 0x%llx, host %p and size %llu must be page aligned and "
			       "not empty", (unsigned long long)gpa, host, (unsigned long long)bytes);
	if (gpa < SANDBOX_EXTRA_GPA_MIN || gpa > SANDBOX_EXTRA_GPA_END ||
	    bytes > SANDBOX_EXTRA_GPA_END - gpa)
		return sb_errf(err, SB_E_RANGE,
			       "map region: [0x%llx, +%llu) is outside [0x%llx, 0x%llx)",
			       (unsigned long long)gpa, (unsigned long long)bytes,
			       SANDBOX_EXTRA_GPA_MIN, SANDBOX_EXTRA_GPA_END);
	for (size_t i = 0; i < sb->n_extra; i++) {
		const struct snap_extra_region *r = &sb->extra[i];
		if (gpa < r->gpa + r->bytes && r->gpa < gpa + bytes)
			return sb_errf(err, SB_E_RANGE,
				       "map region: [0x%llx, +%llu) overlaps the region at 0x%llx",
				       (unsigned long long)gpa, (unsigned long long)bytes,
				       (unsigned long long)r->gpa);
	}
	if (vm_set_memslot(sb->vm, SANDBOX_SLOT_EXTRA0 + (uint32_t)sb->n_extra, gpa, (void *)host,
			   bytes, true, err))
		return sb_err_prefix(err, "map region: ");
	sb->extra[sb->n_extra++] = (struct snap_extra_region){ gpa, host, bytes };
	return 0;
}
