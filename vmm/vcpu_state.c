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
#include <pthread.h>
#include <string.h>
#include <sys/ioctl.h>

/* MSRs: every one KVM saves and restores for a migration
 * (KVM_GET_MSR_INDEX_LIST) -- the syscall and sysenter entries, kernel GS
 * base, PAT, MTRRs, kvmclock and the other paravirtual MSRs (left on, KVM
 * would go on writing a clock into scratch), TSC_ADJUST, machine-check and
 * power controls... -- and those it keeps without listing them (MTRRs,
 * machine-check banks, OSVW); less the
 * time-stamp counter itself (a fresh sandbox
 * has its own) and the ones this KVM will not read or write back from the
 * host. FS/GS base and EFER travel with the special registers. */
static bool skipped_msr(uint32_t index)
{
	return index == 0x10      /* TSC */
	       || index == 0x6E0; /* TSC_DEADLINE: no local APIC here */
}

/* Keep those of f->msrs KVM takes with one op: drop each entry it stops at. */
static void keep_accepted(struct vcpu *vcpu, struct vcpu_fresh *f, unsigned long op)
{
	struct kvm_msrs *h = &f->msrs.h;
	uint32_t done = 0;
	while (done < h->nmsrs) {
		struct {
			struct kvm_msrs h;
			struct kvm_msr_entry e[VCPU_RESET_MSRS_MAX];
		} part = { .h.nmsrs = h->nmsrs - done };
		memcpy(part.e, &f->msrs.e[done], part.h.nmsrs * sizeof part.e[0]);
		int n = ioctl(vcpu->fd, op, &part);
		if (n < 0)
			n = 0;
		memcpy(&f->msrs.e[done], part.e, (size_t)n * sizeof part.e[0]);
		done += (uint32_t)n;
		if (done < h->nmsrs) { /* refused: drop it */
			memmove(&f->msrs.e[done], &f->msrs.e[done + 1],
				(h->nmsrs - done - 1) * sizeof f->msrs.e[0]);
			h->nmsrs--;
		}
	}
}

/* Guest-writable MSRs KVM keeps but does not list (found by a red-team
 * scan of the MSR space, tests/sandbox/test_sandbox_redteam2.c): the MTRRs
 * (variable ranges 0-15, fixed ranges, default type), the machine-check
 * controls and banks, AMD's OS-visible workaround registers. */
struct msr_range {
	uint32_t first, count;
};
static const struct msr_range unlisted_msrs[] = {
	{ 0x200, 32 },	     /* MTRR_PHYSBASE0 .. MTRR_PHYSMASK15 */
	{ 0x250, 1 },	     /* MTRR_FIX64K_00000 */
	{ 0x258, 2 },	     /* MTRR_FIX16K_* */
	{ 0x268, 8 },	     /* MTRR_FIX4K_* */
	{ 0x2FF, 1 },	     /* MTRR_DEF_TYPE */
	{ 0x17A, 2 },	     /* MCG_STATUS, MCG_CTL */
	{ 0x4D0, 1 },	     /* MCG_EXT_CTL */
	{ 0x400, 4 * 32 },   /* MCi_CTL, _STATUS, _ADDR, _MISC of up to 32 banks */
	{ 0xC0010140, 2 },   /* OSVW_ID_LENGTH, OSVW_STATUS */
};

/* Room for every candidate: false when full (the caller says so). */
static bool add_msr(struct vcpu_fresh *f, uint32_t index)
{
	for (uint32_t i = 0; i < f->msrs.h.nmsrs; i++)
		if (f->msrs.e[i].index == index)
			return true;
	if (skipped_msr(index))
		return true;
	if (f->msrs.h.nmsrs == VCPU_RESET_MSRS_MAX)
		return false;
	f->msrs.e[f->msrs.h.nmsrs++].index = index;
	return true;
}

/* Which MSRs this KVM reads and takes back is the same for every vCPU of
 * the process: found once (a probe of ~240 candidates, an ioctl for each
 * one refused), then every sandbox reads their fresh values in one ioctl. */
static pthread_mutex_t accepted_lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t accepted_idx[VCPU_RESET_MSRS_MAX];
static uint32_t n_accepted;
static bool accepted_known;

static int find_accepted(struct vcpu *vcpu, struct vcpu_fresh *f, struct sb_err *err)
{
	struct {
		struct kvm_msr_list h;
		uint32_t idx[VCPU_RESET_MSRS_MAX];
	} list = { .h.nmsrs = VCPU_RESET_MSRS_MAX };
	if (KVM_IOCTL(vcpu->vm->kvm->fd, KVM_GET_MSR_INDEX_LIST, &list, err) < 0)
		return sb_err_prefix(err, "listing the MSRs a restore resets (room for %d): ",
				     VCPU_RESET_MSRS_MAX);
	bool room = true;
	for (uint32_t i = 0; i < list.h.nmsrs; i++)
		room = room && add_msr(f, list.idx[i]);
	for (size_t i = 0; i < sizeof unlisted_msrs / sizeof unlisted_msrs[0]; i++)
		for (uint32_t k = 0; k < unlisted_msrs[i].count; k++)
			room = room && add_msr(f, unlisted_msrs[i].first + k);
	if (!room)
		return sb_errf(err, SB_E_TOO_BIG, "more MSRs to reset than the %d a vCPU keeps room "
			       "for (VCPU_RESET_MSRS_MAX)", VCPU_RESET_MSRS_MAX);
	keep_accepted(vcpu, f, KVM_GET_MSRS);
	keep_accepted(vcpu, f, KVM_SET_MSRS);
	return 0;
}

static int capture_msrs(struct vcpu *vcpu, struct vcpu_fresh *f, struct sb_err *err)
{
	int rc = 0;
	f->msrs.h.nmsrs = 0;
	pthread_mutex_lock(&accepted_lock);
	if (!accepted_known) {
		rc = find_accepted(vcpu, f, err);
		for (uint32_t i = 0; rc == 0 && i < f->msrs.h.nmsrs; i++)
			accepted_idx[i] = f->msrs.e[i].index;
		n_accepted = f->msrs.h.nmsrs;
		accepted_known = rc == 0;
		pthread_mutex_unlock(&accepted_lock);
		return rc;
	}
	pthread_mutex_unlock(&accepted_lock);
	f->msrs.h.nmsrs = n_accepted;
	for (uint32_t i = 0; i < n_accepted; i++)
		f->msrs.e[i] = (struct kvm_msr_entry){ .index = accepted_idx[i] };
	int n = KVM_IOCTL(vcpu->fd, KVM_GET_MSRS, &f->msrs, err);
	if (n < 0)
		return sb_err_prefix(err, "reading the fresh MSRs: ");
	if ((uint32_t)n != n_accepted)
		return sb_errf(err, SB_E_KVM, "KVM_GET_MSRS read %d of %u MSRs (stopped at 0x%x)", n,
			       n_accepted, f->msrs.e[n].index);
	return 0;
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
	return capture_msrs(vcpu, f, err);
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
