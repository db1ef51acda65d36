/* vcpu_state.c — the vCPU state a guest can change and a restore must put
 * back: FPU / SSE / xsave, debug registers, XCR0, the MSRs guest ring-0 code
 * can write, pending events (see vcpu.h).
 *
 * "Fresh" is what KVM gives a vCPU that has never run, read once when the
 * sandbox is created: after a restore the guest sees what a freshly created
 * sandbox sees. Each of these is a vCPU ioctl (~6.5 us each on our
 * machines), so the restore path resets the FPU always and the rest only
 * when ring-0 code may have run (sandbox_snapshot.c); pending events go
 * through kvm_run's synchronised block where KVM offers it.
 */
#include "vcpu.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

/* MSRs guest ring-0 code may write that outlive a call: syscall and
 * sysenter entry points, kernel GS base, TSC_AUX (readable from ring 3 by
 * RDTSCP/RDPID), PAT, DEBUGCTL, MTRR default type. FS/GS base and EFER
 * travel with the special registers. Those this KVM refuses to read or
 * write back are left out at capture (STAR/LSTAR fail here). */
static const uint32_t candidate_msrs[] = {
	0xC0000081, /* STAR */
	0xC0000082, /* LSTAR */
	0xC0000083, /* CSTAR */
	0xC0000084, /* SYSCALL_MASK */
	0xC0000102, /* KERNEL_GS_BASE */
	0xC0000103, /* TSC_AUX */
	0x00000174, /* SYSENTER_CS */
	0x00000175, /* SYSENTER_ESP */
	0x00000176, /* SYSENTER_EIP */
	0x00000277, /* PAT */
	0x000001D9, /* DEBUGCTL */
	0x000002FF, /* MTRR_DEF_TYPE */
};
_Static_assert(sizeof candidate_msrs / sizeof candidate_msrs[0] <= VCPU_RESET_MSRS_MAX,
	       "VCPU_RESET_MSRS_MAX");

/* Keep the candidates KVM reads one at a time and takes back. */
static void capture_msrs(struct vcpu *vcpu, struct vcpu_fresh *f)
{
	f->msrs.h.nmsrs = 0;
	for (size_t i = 0; i < sizeof candidate_msrs / sizeof candidate_msrs[0]; i++) {
		struct {
			struct kvm_msrs h;
			struct kvm_msr_entry e;
		} one = { .h.nmsrs = 1, .e.index = candidate_msrs[i] };
		if (ioctl(vcpu->fd, KVM_GET_MSRS, &one) != 1 || ioctl(vcpu->fd, KVM_SET_MSRS, &one) != 1)
			continue;
		f->msrs.e[f->msrs.h.nmsrs++] = one.e;
	}
}

int vcpu_capture_fresh(struct vcpu *vcpu, struct vcpu_fresh *f, struct sb_err *err)
{
	memset(f, 0, sizeof *f);
	f->have_xsave = ioctl(vcpu->fd, KVM_GET_XSAVE, &f->xsave) == 0;
	if (!f->have_xsave && KVM_IOCTL(vcpu->fd, KVM_GET_FPU, &f->fpu, err) < 0)
		return sb_err_prefix(err, "reading the fresh vCPU state: ");
	f->have_xcrs = ioctl(vcpu->fd, KVM_GET_XCRS, &f->xcrs) == 0;
	if (KVM_IOCTL(vcpu->fd, KVM_GET_DEBUGREGS, &f->dregs, err) < 0 ||
	    KVM_IOCTL(vcpu->fd, KVM_GET_VCPU_EVENTS, &f->events, err) < 0)
		return sb_err_prefix(err, "reading the fresh vCPU state: ");
	capture_msrs(vcpu, f);
	return 0;
}

int vcpu_reset_fpu(struct vcpu *vcpu, const struct vcpu_fresh *f, struct sb_err *err)
{
	if (f->have_xsave)
		return KVM_IOCTL(vcpu->fd, KVM_SET_XSAVE, (void *)&f->xsave, err) < 0 ? -1 : 0;
	return KVM_IOCTL(vcpu->fd, KVM_SET_FPU, (void *)&f->fpu, err) < 0 ? -1 : 0;
}

int vcpu_reset_ring0_state(struct vcpu *vcpu, const struct vcpu_fresh *f, bool sync_events,
			   struct sb_err *err)
{
	if (sync_events) { /* applied by the next KVM_RUN: one ioctl fewer */
		vcpu->run->s.regs.events = f->events;
		vcpu->run->kvm_dirty_regs |= KVM_SYNC_X86_EVENTS;
	} else if (KVM_IOCTL(vcpu->fd, KVM_SET_VCPU_EVENTS, (void *)&f->events, err) < 0) {
		return -1;
	}
	if (KVM_IOCTL(vcpu->fd, KVM_SET_DEBUGREGS, (void *)&f->dregs, err) < 0 ||
	    (f->have_xcrs && KVM_IOCTL(vcpu->fd, KVM_SET_XCRS, (void *)&f->xcrs, err) < 0))
		return -1;
	if (f->msrs.h.nmsrs == 0)
		return 0;
	int n = KVM_IOCTL(vcpu->fd, KVM_SET_MSRS, (void *)&f->msrs, err);
	if (n < 0)
		return -1;
	if ((uint32_t)n != f->msrs.h.nmsrs)
		return sb_errf(err, SB_E_KVM, "KVM_SET_MSRS took %d of %u MSRs (stopped at 0x%x)", n,
			       f->msrs.h.nmsrs, f->msrs.e[n].index);
	return 0;
}
