/* guest_state.c — see guest_state.h. */
#include "guest_state.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "check.h"
#include "fixture.h"

bool guest_state_read(struct sandbox *sb, struct guest_state *out)
{
	memset(out, 0, sizeof *out);
	int fd = sb->vcpu->fd;
	struct kvm_run *run = sb->vcpu->run;
	out->scratch_bytes = sb->mem.scratch_bytes;
	out->scratch = malloc(out->scratch_bytes);
	if (!out->scratch)
		return false;
	memcpy(out->scratch, sb->mem.scratch, out->scratch_bytes);
	/* Under host-cow the guest writes the snapshot region in place. */
	out->snap_bytes = layout_snapshot_bytes(mgr_layout(&sb->mem));
	out->snap_mem = malloc(out->snap_bytes);
	if (!out->snap_mem)
		return false;
	memcpy(out->snap_mem, mgr_snapshot_mem(&sb->mem), out->snap_bytes);
	const struct mgr_retain *rt = &sb->mem.retain;
	if (rt->n) {
		out->retained = calloc(rt->n, sizeof *out->retained);
		if (!out->retained)
			return false;
		out->n_retained = rt->n;
		for (unsigned i = 0; i < rt->n; i++) {
			struct retained_copy *c = &out->retained[i];
			c->pt_off = rt->e[i].pt_off;
			c->entry = rt->e[i].entry;
			c->page = rt->e[i].page;
			memcpy(c->bytes, mgr_retained_source(&sb->mem, &rt->e[i]), SB_PAGE_SIZE);
		}
	}
	if (run->kvm_dirty_regs & KVM_SYNC_X86_SREGS)
		out->sregs = run->s.regs.sregs;
	else if (ioctl(fd, KVM_GET_SREGS, &out->sregs))
		return false;
	if (ioctl(fd, KVM_GET_XSAVE, &out->xsave) || ioctl(fd, KVM_GET_DEBUGREGS, &out->dregs) ||
	    ioctl(fd, KVM_GET_XCRS, &out->xcrs) || ioctl(fd, KVM_GET_VCPU_EVENTS, &out->events)) {
		perror("guest_state_read");
		return false;
	}
	if (run->kvm_dirty_regs & KVM_SYNC_X86_EVENTS) /* set for the next entry */
		out->events = run->s.regs.events;
	/* The XSAVE header (XSTATE_BV, XCOMP_BV) records which components the
	 * CPU saw leave their initial state, not their values, and it varies
	 * between two vCPUs that ran the same code (seen: the SSE bit, under
	 * the host load of an ASan build). The values are compared; KVM gives
	 * a component in its initial state as its initial values. */
	memset((uint8_t *)&out->xsave + 512, 0, 64);
	/* The next call enters through the host's entry page, whose FXRSTOR
	 * gives the guest, before its first instruction, the x87/SSE state
	 * the page holds (vmm/sandbox_entry.c): that is what it will observe.
	 * Taken from the page itself, as the guest would. */
	if (sb->enter_via_stub)
		memcpy(&out->xsave, sb->flush_page + 0x100, 512);
	out->nmsrs = sb->fresh.msrs.h.nmsrs;
	for (unsigned i = 0; i < out->nmsrs; i++) {
		struct {
			struct kvm_msrs h;
			struct kvm_msr_entry e;
		} one = { .h.nmsrs = 1, .e.index = sb->fresh.msrs.e[i].index };
		if (ioctl(fd, KVM_GET_MSRS, &one) != 1)
			return false;
		out->msr_index[i] = one.e.index;
		out->msr_value[i] = one.e.data;
	}
	out->generation = sb->generation;
	out->dispatch_gva = sb->dispatch_gva;
	out->stack_top_gva = sb->stack_top_gva;
	out->call_rflags = sb->call_rflags;
	out->state = sb->state;
	return true;
}

void guest_state_free(struct guest_state *s)
{
	free(s->scratch);
	free(s->snap_mem);
	free(s->retained);
	s->retained = NULL;
	s->n_retained = 0;
	s->scratch = NULL;
	s->snap_mem = NULL;
}

static const char *region(const struct layout *l, uint64_t scratch_bytes, uint64_t off)
{
	if (off < layout_output_scratch_offset(l))
		return "input buffer";
	if (off < layout_pt_scratch_offset(l))
		return "output buffer";
	if (off < layout_free_scratch_offset(l))
		return "page-table area";
	if (off >= scratch_bytes - SB_SCRATCH_EXN_PAGES * SB_PAGE_SIZE)
		return "exception stack / bookkeeping";
	if (off >= sb_undo_log_offset(scratch_bytes))
		return "undo log";
	if (off >= sb_stack_guard_offset(scratch_bytes))
		return "call stack";
	return "free pages";
}

static unsigned differ(const char *what, const char *field)
{
	check_true_at(false, field, __FILE__, __LINE__);
	fprintf(stderr, "  %s: %s differs from a fresh sandbox\n", what, field);
	return 1;
}

#define SAME(field) \
	(memcmp(&got->field, &want->field, sizeof got->field) == 0 ? 0 : differ(what, #field))

/* What a fresh sandbox's scratch becomes with `got`'s retained copies
 * (retain): the leaves, the pages holding their snapshot pages' bytes, the
 * allocator past them. Each leaf must be what the guest's copy-on-write
 * handler makes of the fresh sandbox's copy-on-write leaf there, pointing
 * at a free page. NULL (with failed checks) if one is not. */
static uint8_t *with_retained(const struct guest_state *got, const struct guest_state *want,
			      const struct layout *l, const char *what)
{
	uint8_t *s = malloc(want->scratch_bytes);
	if (!s)
		return NULL;
	memcpy(s, want->scratch, want->scratch_bytes);
	uint64_t pt_off = layout_pt_scratch_offset(l), last = 0;
	gpa_t base = layout_scratch_base_gpa(l);
	unsigned bad = 0;
	for (unsigned i = 0; i < got->n_retained; i++) {
		const struct retained_copy *c = &got->retained[i];
		uint64_t was;
		memcpy(&was, s + pt_off + c->pt_off, 8);
		gpa_t page_gpa = base + c->page * SB_PAGE_SIZE;
		bool cow = pt_entry_kind(&pt_format_x86_64, was).tag == PT_KIND_COW;
		uint64_t want_entry = (was & ~(PT_X86_64_ADDR_MASK | PT_AVL_MASK)) | PT_RW | page_gpa;
		bool free_page = c->page * SB_PAGE_SIZE >= layout_free_scratch_offset(l) &&
				 c->page * SB_PAGE_SIZE < layout_top_scratch_offset(l);
		if (!cow || c->entry != want_entry || !free_page) {
			fprintf(stderr, "  %s: retained leaf at page-table offset 0x%llx: 0x%llx over 0x%llx"
				" (page %llu)\n", what, (unsigned long long)c->pt_off,
				(unsigned long long)c->entry, (unsigned long long)was,
				(unsigned long long)c->page);
			bad++;
			continue;
		}
		memcpy(s + pt_off + c->pt_off, &c->entry, 8);
		memcpy(s + c->page * SB_PAGE_SIZE, c->bytes, SB_PAGE_SIZE);
		if (c->page > last)
			last = c->page;
	}
	if (got->n_retained) {
		gpa_t next = base + (last + 1) * SB_PAGE_SIZE;
		memcpy(s + want->scratch_bytes - SB_SCRATCH_TOP_ALLOCATOR, &next, 8);
	}
	if (bad) {
		differ(what, "retained copies");
		free(s);
		return NULL;
	}
	return s;
}

unsigned guest_state_compare(const struct guest_state *got, const struct guest_state *want,
			     const struct layout *l, const char *what)
{
	unsigned n = 0;
	if (got->scratch_bytes != want->scratch_bytes)
		return differ(what, "scratch size");
	uint8_t *expect = got->n_retained ? with_retained(got, want, l, what) : NULL;
	if (got->n_retained && !expect)
		return 1;
	const uint8_t *want_scratch = expect ? expect : want->scratch;
	uint64_t pages = 0, first = UINT64_MAX;
	for (uint64_t off = 0; off < got->scratch_bytes; off += SB_PAGE_SIZE) {
		if (memcmp(got->scratch + off, want_scratch + off, SB_PAGE_SIZE) == 0)
			continue;
		if (first == UINT64_MAX)
			for (first = off; got->scratch[first] == want_scratch[first]; first++)
				;
		pages++;
		fprintf(stderr, "  %s: scratch page %llu (%s) differs\n", what,
			(unsigned long long)(off / SB_PAGE_SIZE), region(l, got->scratch_bytes, off));
	}
	free(expect);
	if (pages) {
		n += differ(what, "scratch bytes");
		fprintf(stderr, "  %s: %llu pages differ, first at offset 0x%llx\n", what,
			(unsigned long long)pages, (unsigned long long)first);
	}
	if (got->snap_bytes != want->snap_bytes)
		return n + differ(what, "snapshot region size");
	pages = 0;
	for (uint64_t off = 0; off < got->snap_bytes; off += SB_PAGE_SIZE)
		if (memcmp(got->snap_mem + off, want->snap_mem + off, SB_PAGE_SIZE) != 0 &&
		    pages++ < 8)
			fprintf(stderr, "  %s: snapshot-region page at GPA 0x%llx differs\n", what,
				(unsigned long long)(SB_BASE_ADDRESS + off));
	if (pages)
		n += differ(what, "snapshot region bytes");
	if (memcmp(&got->xsave, &want->xsave, sizeof got->xsave) != 0) {
		const uint8_t *a = (const uint8_t *)&got->xsave, *b = (const uint8_t *)&want->xsave;
		for (size_t i = 0, shown = 0; i < sizeof got->xsave && shown < 8; i++)
			if (a[i] != b[i] && ++shown)
				fprintf(stderr, "  %s: xsave byte %zu: 0x%02x, fresh 0x%02x\n", what, i, a[i],
					b[i]);
	}
	n += SAME(sregs) + SAME(xsave) + SAME(dregs) + SAME(xcrs) + SAME(events);
	n += SAME(nmsrs) + SAME(msr_index) + SAME(msr_value);
	n += SAME(generation) + SAME(dispatch_gva) + SAME(stack_top_gva) + SAME(call_rflags);
	n += SAME(state);
	if (n == 0)
		check_true_at(true, what, __FILE__, __LINE__);
	return n;
}

const struct same_call guest_state_default_calls[] = {
	{ "heap_sum", 1, 4 },		{ "read_generation", 0, 0 }, { "fpu_control", 1, 0 },
	{ "sse_state", 1, 0 },
	{ "scratch_next_free", 0, 0 }, { "touch_pages", 1, 2 },     { "peek_hostile", 0, 0 },
};
const size_t guest_state_n_default_calls =
	sizeof guest_state_default_calls / sizeof guest_state_default_calls[0];

void guest_state_same_calls(struct sandbox *a, struct sandbox *b, const struct same_call *calls,
			    size_t n, const char *what)
{
	for (size_t i = 0; i < n; i++) {
		struct sb_value arg = v_u64(calls[i].arg), ra = { 0 }, rb = { 0 };
		struct sb_err ea = { 0 }, eb = { 0 };
		int ca = sandbox_call(a, calls[i].fn, &arg, calls[i].nargs, &ra, &ea);
		int cb = sandbox_call(b, calls[i].fn, &arg, calls[i].nargs, &rb, &eb);
		bool same = ca == cb && (ca ? strcmp(ea.msg, eb.msg) == 0 : ra.as.u64 == rb.as.u64);
		/* The allocator word: under retain, past the copies kept. */
		if (!ca && !cb && strcmp(calls[i].fn, "scratch_next_free") == 0 &&
		    sandbox_restore_strategy(a) == SANDBOX_RESTORE_RETAIN)
			same = ra.as.u64 >= rb.as.u64;
		if (!check_true_at(same, "same result as a fresh sandbox", __FILE__, __LINE__))
			fprintf(stderr, "  %s: %s(%llu): restored %s (%s, 0x%llx), fresh %s (%s, 0x%llx)\n",
				what, calls[i].fn, (unsigned long long)calls[i].arg,
				ca ? "failed" : "ok", ca ? ea.msg : "", (unsigned long long)ra.as.u64,
				cb ? "failed" : "ok", cb ? eb.msg : "", (unsigned long long)rb.as.u64);
		if (ca || cb) {
			fixture_restore(a, sandbox_current_snapshot(a));
			fixture_restore(b, sandbox_current_snapshot(b));
		}
	}
}

/* Read both and compare; the differences. */
static unsigned compare_now(struct sandbox *sb, struct sandbox *fresh, const struct layout *l,
			    const char *what, const char *when)
{
	struct guest_state got, want;
	char label[200];
	unsigned n = 0;
	bool ok_got = guest_state_read(sb, &got), ok_want = guest_state_read(fresh, &want);
	if (check_true_at(ok_got && ok_want, "guest state read", __FILE__, __LINE__)) {
		snprintf(label, sizeof label, "%s, %s", what, when);
		n = guest_state_compare(&got, &want, l, label);
	}
	guest_state_free(&got);
	guest_state_free(&want);
	return n;
}

unsigned guest_state_check_like_fresh(struct sandbox *sb, struct snapshot *s,
				      const struct same_call *calls, size_t n, const char *what)
{
	struct sandbox_config c = sb->cfg;
	struct sandbox *fresh = fixture_sandbox(s, &c);
	unsigned diff = compare_now(sb, fresh, &s->layout, what, "right after the restore");
	guest_state_same_calls(sb, fresh, calls, n, what);
	/* Under retain the two place their copy-on-write copies apart (the
	 * restored one has some already): the calls' results are compared,
	 * not the bytes. */
	if (sandbox_restore_strategy(sb) != SANDBOX_RESTORE_RETAIN)
		compare_now(sb, fresh, &s->layout, what, "after the same calls");
	sandbox_destroy(fresh);
	return diff;
}
