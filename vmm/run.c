/* run.c — the run loop (see run.h). No allocation on this path: errors are
 * formatted into the caller's struct sb_err, names come from static tables. */
#include "run.h"

#include <errno.h>
#include <string.h>

static int cancelled(struct vcpu *vcpu, struct vcpu_exit *exit, enum vcpu_cancel_reason why,
		     struct sb_err *err)
{
	exit->kind = VCPU_EXIT_CANCELLED;
	exit->cancel = why;
	if (why == VCPU_CANCEL_DEADLINE)
		return sb_errf(err, SB_E_CANCELLED, "vCPU %u: deadline passed", vcpu->id);
	return sb_errf(err, SB_E_CANCELLED, "vCPU %u: run cancelled", vcpu->id);
}

static uint32_t load_le(const uint8_t *p, uint8_t size)
{
	uint32_t v = 0;
	memcpy(&v, p, size <= 4 ? size : 4); /* x86 is little-endian */
	return v;
}

/* Decode kvm_run after KVM_RUN returned 0. Returns 0, -1 (exit is an error),
 * or 1 (nothing for the caller: enter again). */
static int decode_exit(struct vcpu *vcpu, struct vcpu_exit *exit, struct sb_err *err)
{
	struct kvm_run *run = vcpu->run;
	exit->reason = run->exit_reason;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		exit->kind = VCPU_EXIT_IO;
		exit->io.port = run->io.port;
		exit->io.is_out = run->io.direction == KVM_EXIT_IO_OUT;
		exit->io.size = run->io.size;
		exit->io.count = run->io.count;
		exit->io.data = (uint8_t *)run + run->io.data_offset;
		exit->io.value = exit->io.is_out ? load_le(exit->io.data, run->io.size) : 0;
		vcpu->exit_pending = !exit->io.is_out; /* an IN waits for its data */
		vcpu->out_open = exit->io.is_out;
		vcpu->out_rip = run->s.regs.regs.rip; /* kvm_valid_regs: the OUT's own */
		return 0;

	case KVM_EXIT_MMIO:
		vcpu->exit_pending = true;
		exit->kind = VCPU_EXIT_MMIO;
		exit->mmio.addr = run->mmio.phys_addr;
		exit->mmio.is_write = run->mmio.is_write;
		exit->mmio.len = (uint8_t)run->mmio.len;
		exit->mmio.data = run->mmio.data;
		return 0;

	case KVM_EXIT_HLT:
		exit->kind = VCPU_EXIT_HLT;
		return 0;

	case KVM_EXIT_INTR:
		return 1; /* a signal with nothing behind it: the caller re-checks cancel */

	case KVM_EXIT_SHUTDOWN:
		exit->kind = VCPU_EXIT_SHUTDOWN;
		return sb_errf(err, SB_E_GUEST, "vCPU %u: %s: guest shut down (triple fault)",
			       vcpu->id, kvm_exit_reason_name(run->exit_reason));

	case KVM_EXIT_INTERNAL_ERROR: {
		exit->kind = VCPU_EXIT_INTERNAL_ERROR;
		exit->internal.suberror = run->internal.suberror;
		exit->internal.ndata = run->internal.ndata;
		uint32_t n = run->internal.ndata < 4 ? run->internal.ndata : 4;
		for (uint32_t i = 0; i < n; i++)
			exit->internal.data[i] = run->internal.data[i];
		return sb_errf(err, SB_E_KVM,
			       "vCPU %u: %s: suberror %u (%s), data 0x%llx 0x%llx 0x%llx 0x%llx",
			       vcpu->id, kvm_exit_reason_name(run->exit_reason),
			       run->internal.suberror, kvm_internal_error_name(run->internal.suberror),
			       (unsigned long long)exit->internal.data[0],
			       (unsigned long long)exit->internal.data[1],
			       (unsigned long long)exit->internal.data[2],
			       (unsigned long long)exit->internal.data[3]);
	}

	case KVM_EXIT_FAIL_ENTRY:
		exit->kind = VCPU_EXIT_FAIL_ENTRY;
		exit->fail_entry.hardware_reason = run->fail_entry.hardware_entry_failure_reason;
		exit->fail_entry.cpu = run->fail_entry.cpu;
		return sb_errf(err, SB_E_KVM,
			       "vCPU %u: %s: hardware entry failure reason 0x%llx on CPU %u "
			       "(invalid guest state)",
			       vcpu->id, kvm_exit_reason_name(run->exit_reason),
			       (unsigned long long)exit->fail_entry.hardware_reason,
			       exit->fail_entry.cpu);

	default:
		exit->kind = VCPU_EXIT_UNEXPECTED;
		return sb_errf(err, SB_E_KVM, "vCPU %u: unexpected exit %s (%u)", vcpu->id,
			       kvm_exit_reason_name(run->exit_reason), run->exit_reason);
	}
}

int vcpu_run(struct vcpu *vcpu, struct vcpu_exit *exit, struct sb_err *err)
{
	memset(exit, 0, sizeof *exit);
	if (vcpu_cancel_enter(vcpu, err) < 0)
		return -1;

	int ret;
	for (;;) {
		enum vcpu_cancel_reason why = vcpu_cancel_pending(vcpu);
		if (why != VCPU_CANCEL_NONE) {
			ret = cancelled(vcpu, exit, why, err);
			break;
		}

		int r = kvm_ioctl_raw(vcpu->fd, KVM_RUN, NULL);
		vcpu->exit_pending = false; /* KVM completes it first, even on EINTR */
		vcpu->out_open = false;
		if (r == -EINTR) {
			/* immediate_exit, our kick, the deadline timer, or some other
			 * signal. Cancel and deadline are decided by the check at the
			 * top; a stale kick is consumed so it cannot repeat. */
			if (vcpu_cancel_pending(vcpu) == VCPU_CANCEL_NONE) {
				vcpu_kick_drain();
				/* an early timer (cancel.c, vcpu_cancel_arm) */
				if (vcpu_cancel_arm(vcpu, err) < 0) {
					exit->kind = VCPU_EXIT_ERROR;
					ret = -1;
					break;
				}
			}
			continue;
		}
		if (r < 0) {
			exit->kind = VCPU_EXIT_ERROR;
			ret = sb_errf(err, SB_E_KVM, "vCPU %u: KVM_RUN failed: %s", vcpu->id,
				      kvm_strerror(-r));
			break;
		}
		ret = decode_exit(vcpu, exit, err);
		if (ret <= 0)
			break;
	}

	vcpu_cancel_leave(vcpu);
	return ret;
}

/* Data for the access the last exit left open: all ones, as from a bus
 * with nothing on it. */
static void fill_pending(const struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	size_t map = vcpu->vm->kvm->vcpu_mmap_bytes;
	if (run->exit_reason == KVM_EXIT_MMIO) {
		memset(run->mmio.data, 0xff, sizeof run->mmio.data);
	} else if (run->exit_reason == KVM_EXIT_IO && run->io.direction == KVM_EXIT_IO_IN) {
		uint64_t n = (uint64_t)run->io.size * run->io.count;
		uint64_t room = map > run->io.data_offset ? map - run->io.data_offset : 0;
		memset((uint8_t *)run + run->io.data_offset, 0xff, n < room ? n : room);
	}
}

int vcpu_settle_out(struct vcpu *vcpu, uint64_t entry_rip, struct sb_err *err)
{
	if (!vcpu->out_open || vcpu->out_rip != entry_rip)
		return 0;
	vcpu->exit_pending = true; /* finish it now, with the registers it left */
	return vcpu_complete_pending(vcpu, err);
}

int vcpu_complete_pending(struct vcpu *vcpu, struct sb_err *err)
{
	if (!vcpu->exit_pending)
		return 0;
	struct kvm_run *run = vcpu->run;
	int r = 0;
	bool again = true;
	/* One access may take several rounds: an MMIO access split across
	 * two pages, a REP INS. */
	for (unsigned round = 0; round < VCPU_COMPLETE_MAX_ROUNDS && again; round++) {
		fill_pending(vcpu);
		/* A string instruction (REP MOVS from MMIO, REP INS) would go on
		 * for RCX elements, one round each, as many as the guest chose:
		 * RCX = 0 makes KVM's emulator end it at this element (it reads
		 * the count again before each one, after synchronised registers).
		 * The registers are the caller's to reset anyway. Not in the first
		 * round: a REP INS's pending batch must be taken first (with RCX 0
		 * it is never consumed and comes back every round). */
		if (round > 0) {
			run->s.regs.regs.rcx = 0;
			run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
		}
		__atomic_store_n(&run->immediate_exit, 1, __ATOMIC_SEQ_CST);
		r = kvm_ioctl_raw(vcpu->fd, KVM_RUN, NULL);
		/* immediate_exit back to what cancel.c keeps: set only while a
		 * cancel is requested (store, then re-read the flag, as
		 * vcpu_cancel_reset). */
		__atomic_store_n(&run->immediate_exit, 0, __ATOMIC_SEQ_CST);
		if (atomic_load(&vcpu->cancel.requested))
			__atomic_store_n(&run->immediate_exit, 1, __ATOMIC_SEQ_CST);
		if (r == -EINTR) {
			vcpu->exit_pending = false;
			return 0;
		}
		again = r == 0 && (run->exit_reason == KVM_EXIT_MMIO ||
				   (run->exit_reason == KVM_EXIT_IO &&
				    run->io.direction == KVM_EXIT_IO_IN));
	}
	return sb_errf(err, SB_E_KVM, "vCPU %u: completing the guest's last I/O or MMIO access: %s",
		       vcpu->id, r < 0 ? kvm_strerror(-r)
		       : again ? "it went on for more rounds than allowed" : "KVM_RUN ran the guest");
}
