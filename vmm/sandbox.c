/* sandbox.c — creating, calling into and destroying a sandbox. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "sandbox_internal.h"

/* ---- the process-wide KVM handle --------------------------------------- */

static pthread_once_t kvm_once = PTHREAD_ONCE_INIT;
static struct kvm *kvm_handle;
static struct sb_err kvm_open_err;

static void open_kvm(void)
{
	kvm_handle = kvm_open(&kvm_open_err);
}

struct kvm *sandbox_kvm(struct sb_err *err)
{
	pthread_once(&kvm_once, open_kvm);
	if (!kvm_handle && err)
		*err = kvm_open_err;
	return kvm_handle;
}

/* ---- configuration and state ------------------------------------------- */

struct sandbox_config sandbox_config_default(void)
{
	return (struct sandbox_config){ .deadline_ns = SANDBOX_DEFAULT_DEADLINE_NS };
}

const char *sandbox_state_name(enum sandbox_state s)
{
	switch (s) {
	case SANDBOX_READY: return "ready";
	case SANDBOX_POISONED: return "poisoned";
	case SANDBOX_BROKEN: return "broken";
	}
	return "?";
}

enum sandbox_state sandbox_status(const struct sandbox *sb)
{
	return sb->state;
}

const char *sandbox_status_reason(const struct sandbox *sb)
{
	return sb->reason;
}

int sandbox_fail(struct sandbox *sb, enum sandbox_state state, struct sb_err *err)
{
	if (state > sb->state)
		sb->state = state;
	snprintf(sb->reason, sizeof sb->reason, "%s", err ? err->msg : "unknown failure");
	return -1;
}

struct snapshot *sandbox_current_snapshot(const struct sandbox *sb)
{
	return sb->mem.snap;
}

uint64_t sandbox_scratch_pages_used(const struct sandbox *sb)
{
	return mgr_pages_allocated(&sb->mem);
}

uint64_t sandbox_last_call_exits(const struct sandbox *sb)
{
	return sb->exits;
}

uint64_t sandbox_last_call_cow_faults(const struct sandbox *sb)
{
	return sb->cow_faults;
}

enum sandbox_restore_strategy sandbox_restore_strategy(const struct sandbox *sb)
{
	return sb->cfg.restore_strategy;
}

static const char *const strategy_names[SANDBOX_RESTORE__COUNT] = {
	[SANDBOX_RESTORE_REWRITE] = "rewrite",
	[SANDBOX_RESTORE_HOST_COW] = "host-cow",
	[SANDBOX_RESTORE_RETAIN] = "retain",
	[SANDBOX_RESTORE_REWIND] = "rewind",
};

const char *sandbox_restore_strategy_name(enum sandbox_restore_strategy s)
{
	return (unsigned)s < SANDBOX_RESTORE__COUNT ? strategy_names[s] : "?";
}

int sandbox_restore_strategy_parse(const char *name, enum sandbox_restore_strategy *out)
{
	for (unsigned i = 0; i < SANDBOX_RESTORE__COUNT; i++)
		if (strcmp(name, strategy_names[i]) == 0) {
			*out = (enum sandbox_restore_strategy)i;
			return 0;
		}
	return -1;
}

struct sandbox_restore_info sandbox_last_restore(const struct sandbox *sb)
{
	return sb->last_restore;
}

void sandbox_set_deadline(struct sandbox *sb, uint64_t deadline_ns)
{
	sb->cfg.deadline_ns = deadline_ns;
}

void sandbox_cancel(struct sandbox *sb)
{
	vcpu_cancel(sb->vcpu);
}

int sandbox_register_host_fn(struct sandbox *sb, const struct sandbox_host_fn_def *def,
			     struct sb_err *err)
{
	if (!def->name || !def->fn || def->nparams > SB_CALL_MAX_ARGS ||
	    strlen(def->name) > SB_NAME_MAX)
		return sb_errf(err, SB_E_INVAL, "host function '%s': bad definition",
			       def->name ? def->name : "(null)");
	sb->host_fns_match = NULL;
	for (unsigned i = 0; i < sb->n_host_fns; i++) {
		if (strcmp(sb->host_fns[i].name, def->name) == 0) {
			sb->host_fns[i] = *def;
			return 0;
		}
	}
	if (sb->n_host_fns == SANDBOX_MAX_HOST_FNS)
		return sb_errf(err, SB_E_TOO_BIG, "host function '%s': more than %d host functions",
			       def->name, SANDBOX_MAX_HOST_FNS);
	sb->host_fns[sb->n_host_fns++] = *def;
	return 0;
}

struct sandbox_config sandbox_created_config(const struct sandbox *sb)
{
	struct sandbox_config c = sb->cfg;
	c.deadline_ns = sb->created_deadline_ns;
	return c;
}

/* The host functions of the configuration, registered again: what a
 * create registers. Cannot fail for definitions the create accepted. */
static int reset_host_fns(struct sandbox *sb, struct sb_err *err)
{
	memset(sb->host_fns, 0, sizeof sb->host_fns);
	sb->n_host_fns = 0;
	sb->host_fns_match = NULL;
	for (unsigned i = 0; i < sb->cfg.n_host_fns; i++)
		if (sandbox_register_host_fn(sb, &sb->cfg.host_fns[i], err))
			return -1;
	return 0;
}

int sandbox_reset_host_state(struct sandbox *sb, struct sb_err *err)
{
	if (sb->state == SANDBOX_BROKEN)
		return sb_errf(err, SB_E_STATE, "reset: sandbox is broken (%s); destroy it", sb->reason);
	/* Extra regions: the slots go, so the guest cannot reach the previous
	 * user's memory, whatever its page tables say. A slot that will not go
	 * breaks the sandbox: it must not be handed out again. */
	while (sb->n_extra > 0) {
		uint32_t slot = SANDBOX_SLOT_EXTRA0 + (uint32_t)sb->n_extra - 1;
		if (vm_delete_memslot(sb->vm, slot, err)) {
			sb_err_prefix(err, "reset: extra region at 0x%llx: ",
				      (unsigned long long)sb->extra[sb->n_extra - 1].gpa);
			return sandbox_fail(sb, SANDBOX_BROKEN, err);
		}
		sb->n_extra--;
		sb->extra[sb->n_extra] = (struct snap_extra_region){ 0 };
	}
	if (reset_host_fns(sb, err))
		return sandbox_fail(sb, SANDBOX_BROKEN, err);
	sb->cfg.deadline_ns = sb->created_deadline_ns;
	sb->crashdumps = 0;
	sb->crash.valid = false;
	sb->exits = 0;
	sb->cow_faults = 0;
	/* A cancel that arrived after the last call ended; the restore that
	 * must follow clears it again (one racing with this reset). */
	vcpu_cancel_reset(sb->vcpu);
	return 0;
}

int sandbox_wipe_vcpu(struct sandbox *sb, struct sb_err *err)
{
	if (sb->state == SANDBOX_BROKEN)
		return sb_errf(err, SB_E_STATE, "wipe: sandbox is broken (%s); destroy it", sb->reason);
	/* The restore put its special registers in kvm_run for the next entry;
	 * KVM_GET_SREGS would still give the last run's until then. */
	struct kvm_run *run = sb->vcpu->run;
	struct kvm_regs zero = { .rflags = SANDBOX_KERNEL_RFLAGS };
	if (((run->kvm_dirty_regs & KVM_SYNC_X86_SREGS) &&
	     vcpu_set_sregs(sb->vcpu, &run->s.regs.sregs, err)) ||
	    vcpu_set_regs(sb->vcpu, &zero, err) || vcpu_reset_fpu(sb->vcpu, &sb->fresh, err)) {
		sb_err_prefix(err, "wipe: ");
		return sandbox_fail(sb, SANDBOX_BROKEN, err);
	}
	return 0;
}

/* ---- running ------------------------------------------------------------ */

/* Fresh registers for a run starting at rip with stack rsp: handed to KVM
 * through the synchronised register block, so no KVM_SET_REGS ioctl.
 * Init starts in ring 0 with interrupts off; calls start where init left
 * the vCPU, in ring 3, where the flag image has IF set. */
void sandbox_set_entry_regs(struct sandbox *sb, gva_t rip, gva_t rsp, uint64_t rflags)
{
	struct kvm_run *run = sb->vcpu->run;
	memset(&run->s.regs.regs, 0, sizeof run->s.regs.regs);
	run->s.regs.regs.rip = rip;
	run->s.regs.regs.rsp = rsp;
	run->s.regs.regs.rflags = rflags;
	run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
}

static void set_entry_regs(struct sandbox *sb, gva_t rip, gva_t rsp, uint64_t rdi,
			   uint64_t rsi, uint64_t rflags)
{
	struct kvm_run *run = sb->vcpu->run;
	struct kvm_regs *r = &run->s.regs.regs;
	memset(r, 0, sizeof *r);
	r->rip = rip;
	r->rsp = rsp;
	r->rdi = rdi;
	r->rsi = rsi;
	r->rflags = rflags;
	run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
}

void sandbox_arm_deadline(struct sandbox *sb)
{
	uint64_t d = sb->cfg.deadline_ns;
	vcpu_set_deadline(sb->vcpu, d ? vmm_now_ns() + d : 0);
}

/* Pop the one record the guest left on its output buffer. */
static int pop_output(struct sandbox *sb, struct sb_record *rec, struct sb_err *err)
{
	const struct layout *l = mgr_layout(&sb->mem);
	const uint8_t *p;
	uint64_t len;
	int rc = sb_stack_pop(mgr_output(&sb->mem), layout_output_bytes(l), &p, &len);
	if (rc == SB_PROTO_OK)
		rc = sb_decode_record(p, len, rec, NULL, 0);
	if (rc != SB_PROTO_OK) {
		sb_errf(err, SB_E_GUEST, "guest output buffer: %s", sb_proto_strerror(rc));
		return sandbox_fail(sb, SANDBOX_POISONED, err);
	}
	return 0;
}

/* Run the guest's initialisation: entry(PEB) on the exception stack, until
 * it reports its dispatch entry and main stack. */
static int run_init(struct sandbox *sb, struct sb_err *err)
{
	struct snapshot *snap = sb->mem.snap;
	uint64_t flags = (sb->cfg.mode == SANDBOX_MODE_USER ? SB_INIT_USER_MODE : 0) |
			 (sb->cfg.guest_copies_pages ? 0 : SB_INIT_HOST_COPY);
	set_entry_regs(sb, snap->entry_gva, snap->stack_top_gva, layout_peb_gva(&snap->layout),
		       flags, SANDBOX_KERNEL_RFLAGS);
	sandbox_arm_deadline(sb);
	if (sandbox_run_until_done(sb, err)) {
		sandbox_crash_auto(sb, "init", err);
		return sb_err_prefix(err, "guest initialisation: ");
	}
	struct sb_record rec;
	if (pop_output(sb, &rec, err))
		return sb_err_prefix(err, "guest initialisation: ");
	if (rec.kind != SB_REC_INIT) {
		sb_errf(err, SB_E_GUEST, "guest initialisation ended without an init record");
		return sandbox_fail(sb, SANDBOX_POISONED, err);
	}
	sb->dispatch_gva = rec.as.init.dispatch_gva;
	sb->stack_top_gva = rec.as.init.stack_top_gva;
	sb->call_rflags = sb->cfg.mode == SANDBOX_MODE_USER ? SANDBOX_USER_RFLAGS : SANDBOX_KERNEL_RFLAGS;
	return 0;
}

static int create(struct sandbox **out, struct snapshot *snap, const struct sandbox_config *cfg,
		  struct sb_err *err)
{
	struct kvm *kvm = sandbox_kvm(err);
	if (!kvm)
		return -1;
	struct sandbox *sb = calloc(1, sizeof *sb);
	if (!sb)
		return sb_errf(err, SB_E_NOMEM, "cannot allocate a sandbox");
	sb->cfg = cfg ? *cfg : sandbox_config_default();
	sb->created_deadline_ns = sb->cfg.deadline_ns;
	if ((unsigned)sb->cfg.restore_strategy >= SANDBOX_RESTORE__COUNT) {
		sb_errf(err, SB_E_INVAL, "create: unknown restore strategy %d",
			(int)sb->cfg.restore_strategy);
		free(sb);
		return -1;
	}
	for (unsigned i = 0; i < sb->cfg.n_host_fns; i++)
		if (sandbox_register_host_fn(sb, &sb->cfg.host_fns[i], err))
			goto fail_free;

	const struct layout *l = &snap->layout;
	if (!(sb->vm = vm_create(kvm, err)))
		goto fail_free;
	if (mgr_init(&sb->mem, snap, err))
		goto fail_vm;
	uint32_t retain_cap = sb->cfg.retain_max_pages ? sb->cfg.retain_max_pages
						       : SANDBOX_RETAIN_DEFAULT_PAGES;
	if ((sb->cfg.restore_strategy == SANDBOX_RESTORE_HOST_COW && mgr_use_hostcow(&sb->mem, err)) ||
	    (sb->cfg.restore_strategy == SANDBOX_RESTORE_RETAIN &&
	     mgr_use_retain(&sb->mem, retain_cap, err)) ||
	    sandbox_add_snapshot_slot(sb, err) || sandbox_add_scratch_slot(sb, l, err))
		goto fail_mem;
	mgr_log_reprotected(&sb->mem); /* new slots start write-protected */
	if (sandbox_entry_page_init(sb, err))
		goto fail_mem;
	if (vm_set_memslot(sb->vm, SANDBOX_SLOT_FLUSH, SB_ENTRY_PAGE_GPA, sb->flush_page,
			   SB_PAGE_SIZE, true, err))
		goto fail_flush;
	if (!(sb->vcpu = vcpu_create(sb->vm, 0, err)))
		goto fail_flush;
	/* What a restore puts back, read before the vCPU first runs. */
	if (vcpu_capture_fresh(sb->vcpu, &sb->fresh, err) || sandbox_entry_page_fill(sb, err))
		goto fail_vcpu;
	if (snap->has_sregs ? sandbox_load_sregs(sb, snap, err)
			    : vcpu_setup_long_mode(sb->vcpu, layout_pt_base_gpa(l), err))
		goto fail_vcpu;
	/* General registers come back in kvm_run on every exit (the copy
	 * port passes its arguments in registers). */
	sb->vcpu->run->kvm_valid_regs = KVM_SYNC_X86_REGS;
	int sync = kvm_check_cap(kvm, KVM_CAP_SYNC_REGS);
	sb->sync_sregs = sync > 0 && (sync & KVM_SYNC_X86_SREGS);
	sb->sync_events = sync > 0 && (sync & KVM_SYNC_X86_EVENTS);

	if (snap->entry_kind == SNAP_ENTRY_INIT) {
		if (run_init(sb, err))
			goto fail_vcpu;
	} else {
		/* A CALL snapshot: calls start at its dispatch entry, in the ring
		 * it was taken in (sandbox_load_sregs). */
		sb->dispatch_gva = snap->entry_gva;
		sb->stack_top_gva = snap->stack_top_gva;
		sb->generation = snap->generation;
		sb->clean_stop = true;
		/* As a restore would: the first call goes through the stub. */
		sb->enter_via_stub = sandbox_entry_usable(sb, snap, snap->sregs.cr4);
	}
	sb->state = SANDBOX_READY;
	*out = sb;
	return 0;

fail_vcpu:
	vcpu_destroy(sb->vcpu);
fail_flush:
	if (sb->flush_page)
		munmap(sb->flush_page, SB_PAGE_SIZE);
fail_mem:
	free(sb->dirty_log);
	free(sb->snap_dirty_log);
	mgr_fini(&sb->mem);
fail_vm:
	vm_destroy(sb->vm);
fail_free:
	free(sb);
	return -1;
}

int sandbox_create(struct sandbox **out, struct snapshot *snap, const struct sandbox_config *cfg,
		   struct sb_err *err)
{
	if (create(out, snap, cfg, err) == 0)
		return 0;
	/* A KVM error (KVM_SET_SREGS refusing the file's registers, a guest
	 * initialisation that fails) names the file the snapshot came from. */
	if (snap->file[0])
		sb_err_prefix(err, "%s (%s): ", snap->file, snap->source);
	return -1;
}

void sandbox_destroy(struct sandbox *sb)
{
	if (!sb)
		return;
	vcpu_destroy(sb->vcpu);
	vm_destroy(sb->vm);
	if (sb->pool_home)
		snap_unref(sb->pool_home);
	mgr_fini(&sb->mem);
	free(sb->dirty_log);
	free(sb->snap_dirty_log);
	if (sb->flush_page)
		munmap(sb->flush_page, SB_PAGE_SIZE);
	free(sb);
}

/* Enter the guest for one call at its dispatch entry. */
static int run_call(struct sandbox *sb, struct sb_err *err)
{
	gva_t entry = sb->enter_via_stub ? SB_ENTRY_PAGE_GVA : sb->dispatch_gva;
	if (vcpu_settle_out(sb->vcpu, entry, err))
		return sandbox_fail(sb, SANDBOX_BROKEN, err);
	if (sb->enter_via_stub) {
		/* The first call after a restore: the entry page's FPU stub,
		 * then the dispatch entry (sandbox_entry.c). */
		set_entry_regs(sb, SB_ENTRY_PAGE_GVA, sb->stack_top_gva, 0, 0, sb->call_rflags);
		sb->vcpu->run->s.regs.regs.r11 = sb->dispatch_gva;
		sb->enter_via_stub = false;
	} else {
		set_entry_regs(sb, sb->dispatch_gva, sb->stack_top_gva, 0, 0, sb->call_rflags);
	}
	sandbox_arm_deadline(sb);
	return sandbox_run_until_done(sb, err);
}

int sandbox_call(struct sandbox *sb, const char *name, const struct sb_value *args, unsigned nargs,
		 struct sb_value *ret, struct sb_err *err)
{
	if (sb->state != SANDBOX_READY)
		return sb_errf(err, SB_E_STATE, "sandbox is %s (%s); restore or destroy it",
			       sandbox_state_name(sb->state), sb->reason);
	/* What the encoder would refuse is the caller's mistake, not a size. */
	size_t name_len = strlen(name);
	if (name_len == 0 || name_len > SB_NAME_MAX)
		return sb_errf(err, SB_E_INVAL, "call: function name of %zu bytes (1..%d)", name_len,
			       SB_NAME_MAX);
	if (nargs > SB_CALL_MAX_ARGS)
		return sb_errf(err, SB_E_INVAL, "call to %s: %u arguments (at most %d)", name, nargs,
			       SB_CALL_MAX_ARGS);
	for (unsigned i = 0; i < nargs; i++)
		if ((unsigned)args[i].type >= SB_T__COUNT)
			return sb_errf(err, SB_E_INVAL, "call to %s: argument %u has no valid type",
				       name, i + 1);
	const struct layout *l = mgr_layout(&sb->mem);
	uint8_t *in = mgr_input(&sb->mem), *outb = mgr_output(&sb->mem);
	sb_stack_reset(in, layout_input_bytes(l));
	sb_stack_reset(outb, layout_output_bytes(l));

	struct sb_writer w;
	sb_stack_begin(&w, in, layout_input_bytes(l));
	sb_encode_call(&w, name, (uint32_t)name_len, args, nargs);
	int end = sb_stack_end(&w, in, layout_input_bytes(l));
	/* What the encoder wrote, and the back-pointer after it. */
	mgr_mark_host_write(&sb->mem, w.p, w.len + 8);
	if (end != SB_PROTO_OK)
		return sb_errf(err, SB_E_TOO_BIG, "call to %s does not fit the %llu-byte input buffer",
			       name, (unsigned long long)layout_input_bytes(l));

	if (run_call(sb, err)) {
		sandbox_crash_auto(sb, name, err);
		return sb_err_prefix(err, "%s: ", name);
	}

	struct sb_record r;
	if (pop_output(sb, &r, err))
		return sb_err_prefix(err, "%s: ", name);
	if (r.kind == SB_REC_RESULT) {
		*ret = r.as.result;
		return 0;
	}
	if (r.kind == SB_REC_ERROR)
		return sb_errf(err, SB_E_CALL, "%s: guest function failed (code %u): %.*s", name,
			       r.as.error.code, (int)r.as.error.msg_len, r.as.error.msg);
	sb_errf(err, SB_E_GUEST, "%s: guest answered with a record of kind %u", name, r.kind);
	return sandbox_fail(sb, SANDBOX_POISONED, err);
}
