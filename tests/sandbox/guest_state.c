/* guest_state.c — see guest_state.h. */
#include "guest_state.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "check.h"

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
	s->scratch = NULL;
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

unsigned guest_state_compare(const struct guest_state *got, const struct guest_state *want,
			     const struct layout *l, const char *what)
{
	unsigned n = 0;
	if (got->scratch_bytes != want->scratch_bytes)
		return differ(what, "scratch size");
	uint64_t pages = 0, first = UINT64_MAX;
	for (uint64_t off = 0; off < got->scratch_bytes; off += SB_PAGE_SIZE) {
		if (memcmp(got->scratch + off, want->scratch + off, SB_PAGE_SIZE) == 0)
			continue;
		if (first == UINT64_MAX)
			for (first = off; got->scratch[first] == want->scratch[first]; first++)
				;
		pages++;
		fprintf(stderr, "  %s: scratch page %llu (%s) differs\n", what,
			(unsigned long long)(off / SB_PAGE_SIZE), region(l, got->scratch_bytes, off));
	}
	if (pages) {
		n += differ(what, "scratch bytes");
		fprintf(stderr, "  %s: %llu pages differ, first at offset 0x%llx\n", what,
			(unsigned long long)pages, (unsigned long long)first);
	}
	n += SAME(sregs) + SAME(xsave) + SAME(dregs) + SAME(xcrs) + SAME(events);
	n += SAME(nmsrs) + SAME(msr_index) + SAME(msr_value);
	n += SAME(generation) + SAME(dispatch_gva) + SAME(stack_top_gva) + SAME(call_rflags);
	n += SAME(state);
	if (n == 0)
		check_true_at(true, what, __FILE__, __LINE__);
	return n;
}
