/* sandbox_run.c — the sandbox's run loop: one switch over exits, one over
 * ports (proto.h). Everything read from guest memory is bounds-checked by
 * the protocol code; anything unexpected poisons the sandbox with a message
 * that says what the guest did. */
#include <signal.h>
#include <string.h>

#include "sandbox_internal.h"

static const char *abort_code_name(uint8_t code)
{
	switch (code) {
	case SB_ABORT_EXCEPTION: return "unhandled exception";
	case SB_ABORT_OUT_OF_MEMORY: return "out of memory";
	case SB_ABORT_BAD_CALL: return "bad call";
	case SB_ABORT_STACK_OVERFLOW: return "stack overflow";
	case SB_ABORT_GUEST_PANIC: return "guest panic";
	default: return "abort";
	}
}

/* One byte of the abort stream; returns 1 when the stream is complete. */
static int abort_byte(struct abort_stream *a, uint8_t b)
{
	switch (a->got++) {
	case 0:
		a->code = b;
		a->len = 0;
		return 0;
	case 1:
		a->vector = b;
		return 0;
	default:
		if (b == SB_ABORT_END)
			return 1;
		if (a->len < SB_ABORT_MSG_MAX)
			a->msg[a->len++] = (char)b;
		return 0;
	}
}

static int finish_abort(struct sandbox *sb, struct sb_err *err)
{
	struct abort_stream *a = &sb->abort;
	a->msg[a->len] = '\0';
	if (a->vector != SB_ABORT_NO_VECTOR)
		sb_errf(err, SB_E_GUEST, "guest aborted: %s (vector %u): %s", abort_code_name(a->code),
			a->vector, a->msg);
	else
		sb_errf(err, SB_E_GUEST, "guest aborted: %s: %s", abort_code_name(a->code), a->msg);
	memset(a, 0, sizeof *a);
	return sandbox_fail(sb, SANDBOX_POISONED, err);
}

static const struct sandbox_host_fn_def *find_host_fn(const struct sandbox *sb, const char *name,
							uint32_t len)
{
	for (unsigned i = 0; i < sb->n_host_fns; i++) {
		const char *n = sb->host_fns[i].name;
		if (strlen(n) == len && memcmp(n, name, len) == 0)
			return &sb->host_fns[i];
	}
	return NULL;
}

static int push_reply(struct sandbox *sb, const struct sb_value *ret, uint32_t code,
		      const char *msg)
{
	const struct layout *l = mgr_layout(&sb->mem);
	uint8_t *in = mgr_input(&sb->mem);
	struct sb_writer w;
	sb_stack_begin(&w, in, layout_input_bytes(l));
	if (ret)
		sb_encode_result(&w, ret);
	else
		sb_encode_error(&w, code, msg, (uint32_t)strlen(msg));
	int rc = sb_stack_end(&w, in, layout_input_bytes(l));
	/* Where the guest's stack pointer said, what the encoder wrote and the
	 * back-pointer after it, whether it fitted or not. */
	mgr_mark_host_write(&sb->mem, w.p, w.len + 8);
	return rc;
}

/* Push a RESULT or ERROR record onto the input buffer for the guest. A
 * result too big for the room left (the call's own record stays below
 * it: echo of 8 KiB does not fit 16 KiB) is the host function's doing,
 * not the guest's: the guest gets an error it can handle and the sandbox
 * stays usable. Only a reply that cannot be pushed at all poisons. */
static int reply(struct sandbox *sb, const struct sb_value *ret, uint32_t code, const char *msg,
		 struct sb_err *err)
{
	int rc = push_reply(sb, ret, code, msg);
	if (rc == SB_PROTO_FULL && ret)
		rc = push_reply(sb, NULL, SB_CALL_E_HOST,
				"the host function's result does not fit the input buffer");
	if (rc != SB_PROTO_OK) {
		sb_errf(err, SB_E_GUEST, "host function reply does not fit the input buffer: %s",
			sb_proto_strerror(rc));
		return sandbox_fail(sb, SANDBOX_POISONED, err);
	}
	return 0;
}

/* The guest pushed a CALL record for a host function. A call the host can
 * refuse cleanly (unknown name, wrong types, the function failing) gets an
 * ERROR reply and the guest goes on; a malformed buffer poisons. */
static int serve_host_call(struct sandbox *sb, struct sb_err *err)
{
	const struct layout *l = mgr_layout(&sb->mem);
	const uint8_t *p;
	uint64_t len;
	struct sb_record rec;
	struct sb_value args[SB_CALL_MAX_ARGS];
	int rc = sb_stack_pop(mgr_output(&sb->mem), layout_output_bytes(l), &p, &len);
	if (rc == SB_PROTO_OK)
		rc = sb_decode_record(p, len, &rec, args, SB_CALL_MAX_ARGS);
	if (rc == SB_PROTO_OK && rec.kind != SB_REC_CALL)
		rc = SB_PROTO_MALFORMED;
	if (rc != SB_PROTO_OK) {
		sb_errf(err, SB_E_GUEST, "guest host-call record: %s", sb_proto_strerror(rc));
		return sandbox_fail(sb, SANDBOX_POISONED, err);
	}
	const struct sandbox_host_fn_def *f = find_host_fn(sb, rec.as.call.name, rec.as.call.name_len);
	if (!f)
		return reply(sb, NULL, SB_CALL_E_NO_SUCH_FUNCTION, "no such host function", err);
	if (rec.as.call.nargs != f->nparams)
		return reply(sb, NULL, SB_CALL_E_BAD_ARGUMENTS, "wrong number of arguments", err);
	for (unsigned i = 0; i < f->nparams; i++)
		if (args[i].type != f->params[i])
			return reply(sb, NULL, SB_CALL_E_BAD_ARGUMENTS, "argument of the wrong type", err);
	struct sb_value ret = { .type = f->ret };
	char msg[256] = "";
	int failed = f->fn(f->ctx, args, f->nparams, &ret, msg, sizeof msg);
	msg[sizeof msg - 1] = '\0'; /* the function may have filled it to the brim */
	if (failed)
		return reply(sb, NULL, SB_CALL_E_HOST, msg[0] ? msg : "host function failed", err);
	if (ret.type != f->ret)
		return reply(sb, NULL, SB_CALL_E_HOST, "host function returned the wrong type", err);
	return reply(sb, &ret, 0, NULL, err);
}

static int serve_log(struct sandbox *sb, struct sb_err *err)
{
	const struct layout *l = mgr_layout(&sb->mem);
	const uint8_t *p;
	uint64_t len;
	struct sb_record rec;
	int rc = sb_stack_pop(mgr_output(&sb->mem), layout_output_bytes(l), &p, &len);
	if (rc == SB_PROTO_OK)
		rc = sb_decode_record(p, len, &rec, NULL, 0);
	if (rc == SB_PROTO_OK && rec.kind != SB_REC_LOG)
		rc = SB_PROTO_MALFORMED;
	if (rc != SB_PROTO_OK) {
		sb_errf(err, SB_E_GUEST, "guest log record: %s", sb_proto_strerror(rc));
		return sandbox_fail(sb, SANDBOX_POISONED, err);
	}
	if (sb->cfg.on_log)
		sb->cfg.on_log(sb->cfg.callback_ctx, rec.as.log.level, rec.as.log.msg,
			       rec.as.log.msg_len);
	return 0;
}

/* Host pointer to the guest page at `gpa` (snapshot or scratch), or NULL. */
static uint8_t *guest_page(const struct sandbox *sb, gpa_t gpa, bool scratch_only)
{
	const struct layout *l = mgr_layout(&sb->mem);
	struct layout_resolved r;
	if (gpa & (SB_PAGE_SIZE - 1) || !layout_resolve_gpa(l, gpa, NULL, 0, &r) ||
	    (scratch_only && r.base != LAYOUT_GPA_SCRATCH))
		return NULL;
	uint64_t size = r.base == LAYOUT_GPA_SCRATCH ? sb->mem.scratch_bytes : layout_snapshot_bytes(l);
	if (r.offset > size - SB_PAGE_SIZE)
		return NULL;
	return (r.base == LAYOUT_GPA_SCRATCH ? sb->mem.scratch : mgr_snapshot_mem(&sb->mem)) + r.offset;
}

/* The guest's copy-on-write handler asks for one page copy (proto.h). */
static int serve_copy_page(struct sandbox *sb, struct sb_err *err)
{
	const struct kvm_regs *r = &sb->vcpu->run->s.regs.regs;
	uint8_t *src = guest_page(sb, r->rdi, false), *dst = guest_page(sb, r->rsi, true);
	if (!src || !dst) {
		sb_errf(err, SB_E_GUEST, "guest asked to copy page 0x%llx to 0x%llx: %s",
			(unsigned long long)r->rdi, (unsigned long long)r->rsi,
			!src ? "the source is not a guest page" : "the destination is not a scratch page");
		return sandbox_fail(sb, SANDBOX_POISONED, err);
	}
	memcpy(dst, src, SB_PAGE_SIZE);
	mgr_mark_dirty(&sb->mem, (uint64_t)(dst - sb->mem.scratch), SB_PAGE_SIZE);
	return 0;
}

/* The runtime asks for a scratch page to be cleared (proto.h). */
static int serve_zero_page(struct sandbox *sb, struct sb_err *err)
{
	const struct kvm_regs *r = &sb->vcpu->run->s.regs.regs;
	uint8_t *dst = guest_page(sb, r->rsi, true);
	if (!dst) {
		sb_errf(err, SB_E_GUEST, "guest asked to zero page 0x%llx: not a scratch page",
			(unsigned long long)r->rsi);
		return sandbox_fail(sb, SANDBOX_POISONED, err);
	}
	memset(dst, 0, SB_PAGE_SIZE);
	mgr_mark_dirty(&sb->mem, (uint64_t)(dst - sb->mem.scratch), SB_PAGE_SIZE);
	return 0;
}

/* Returns 1 when the guest finished, 0 to keep running, -1 on failure. */
static int serve_port(struct sandbox *sb, const struct vcpu_exit *x, struct sb_err *err)
{
	if (!x->io.is_out || x->io.count != 1) {
		sb_errf(err, SB_E_GUEST, "guest did %s on port 0x%x (only single OUTs are served)",
			x->io.is_out ? "a string OUT" : "IN", x->io.port);
		return sandbox_fail(sb, SANDBOX_POISONED, err);
	}
	/* The rewind replay reports done and nothing else: the run it
	 * replays is over, and what the guest asks now is no call's. */
	if (sb->replaying && x->io.port != SB_PORT_DONE) {
		sb_errf(err, SB_E_GUEST, "rewind replay wrote to port 0x%x (only done is served)",
			x->io.port);
		return sandbox_fail(sb, SANDBOX_POISONED, err);
	}
	switch (x->io.port) {
	case SB_PORT_DONE:
		return 1;
	case SB_PORT_HOST_CALL:
		return serve_host_call(sb, err);
	case SB_PORT_LOG:
		return serve_log(sb, err);
	case SB_PORT_ABORT:
		if (abort_byte(&sb->abort, (uint8_t)x->io.value))
			return finish_abort(sb, err);
		return 0;
	case SB_PORT_COPY_PAGE:
		sb->cow_faults++;
		return serve_copy_page(sb, err);
	case SB_PORT_ZERO_PAGE:
		return serve_zero_page(sb, err);
	case SB_PORT_DEBUG_CHAR:
		if (sb->cfg.on_debug_char)
			sb->cfg.on_debug_char(sb->cfg.callback_ctx, (char)x->io.value);
		return 0;
	default:
		sb_errf(err, SB_E_GUEST, "guest wrote 0x%x to unknown port 0x%x", x->io.value,
			x->io.port);
		return sandbox_fail(sb, SANDBOX_POISONED, err);
	}
}

static int memory_violation(struct sandbox *sb, const struct vcpu_exit *x, struct sb_err *err)
{
	const struct layout *l = mgr_layout(&sb->mem);
	gpa_t a = x->mmio.addr;
	bool in_snapshot = a >= SB_BASE_ADDRESS && a - SB_BASE_ADDRESS < layout_snapshot_bytes(l);
	sb_errf(err, SB_E_GUEST, "guest memory-access violation: %s of %u bytes at GPA 0x%llx (%s)",
		x->mmio.is_write ? "write" : "read", x->mmio.len, (unsigned long long)a,
		in_snapshot && x->mmio.is_write ? "read-only snapshot memory"
						: "no memory there");
	sandbox_crash_capture(sb, err, SIGSEGV); /* at the faulting RIP, before the flush */
	struct sb_err flush;
	if (vcpu_complete_pending(sb->vcpu, &flush)) { /* before a restore sets registers */
		if (err) {
			char was[SB_ERR_MSG_MAX];
			snprintf(was, sizeof was, "%s", err->msg);
			sb_errf(err, flush.code, "%.200s; then %.200s", was, flush.msg);
		}
		return sandbox_fail(sb, SANDBOX_BROKEN, err);
	}
	return sandbox_fail(sb, SANDBOX_POISONED, err);
}

static int run_loop(struct sandbox *sb, struct sb_err *err)
{
	struct vcpu_exit x;
	memset(&sb->abort, 0, sizeof sb->abort);
	sb->exits = 0;
	sb->cow_faults = 0;
	sb->clean_stop = false;
	for (;;) {
		int rc = vcpu_run(sb->vcpu, &x, err);
		sb->exits++;
		if (rc < 0) {
			if (x.kind == VCPU_EXIT_CANCELLED)
				sb_errf(err, SB_E_CANCELLED, "call cancelled (%s)",
					vcpu_cancel_reason_name(x.cancel));
			return sandbox_fail(sb, SANDBOX_POISONED, err);
		}
		switch (x.kind) {
		case VCPU_EXIT_IO:
			rc = serve_port(sb, &x, err);
			if (rc < 0)
				return -1;
			if (rc == 1) {
				sb->clean_stop = true;
				return 0;
			}
			break;
		case VCPU_EXIT_MMIO:
			return memory_violation(sb, &x, err);
		case VCPU_EXIT_HLT:
			sb_errf(err, SB_E_GUEST, "guest halted without finishing the call");
			return sandbox_fail(sb, SANDBOX_POISONED, err);
		default:
			sb_errf(err, SB_E_GUEST, "unexpected exit %s",
				kvm_exit_reason_name(x.reason));
			return sandbox_fail(sb, SANDBOX_POISONED, err);
		}
	}
}

int sandbox_run_until_done(struct sandbox *sb, struct sb_err *err)
{
	sb->crash.valid = false;
	sb->ran_since_restore = true;
	sb->dirty_collected = false; /* what a snapshot read of the logs is stale now */
	int rc = run_loop(sb, err);
	/* The guest's doing (not a host-side failure, not the rewind replay):
	 * keep its registers for a crash dump while nothing has moved them. */
	if (rc && sb->state == SANDBOX_POISONED && !sb->replaying && !sb->crash.valid)
		sandbox_crash_capture(sb, err, 0);
	return rc;
}
