/* run.h — the run loop: enter the guest until the next exit the caller must see.
 *
 * vcpu_run() returns after one exit, described in a struct vcpu_exit; the
 * caller dispatches on `kind` and calls vcpu_run() again to continue the
 * guest (a port or MMIO access completes on that re-entry: for IN and MMIO
 * reads, write the value into `data` first). The run path never allocates
 * user memory; the only system calls besides KVM_RUN happen when something
 * changed: a new thread (KVM_SET_SIGNAL_MASK, and timer_create if a deadline
 * is set) or a new deadline (timer_settime).
 */
#ifndef SNAPBENCH_VMM_RUN_H
#define SNAPBENCH_VMM_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "cancel.h"
#include "err.h"
#include "vcpu.h"

enum vcpu_exit_kind {
	VCPU_EXIT_NONE = 0,       /* vcpu_run failed before entering the guest */
	VCPU_EXIT_IO,             /* port I/O: exit.io */
	VCPU_EXIT_MMIO,           /* access outside RAM or a write to a read-only slot: exit.mmio */
	VCPU_EXIT_HLT,            /* the guest executed HLT */
	/* The kinds below come with vcpu_run() returning -1 and err filled. */
	VCPU_EXIT_SHUTDOWN,       /* triple fault (SB_E_GUEST) */
	VCPU_EXIT_INTERNAL_ERROR, /* KVM could not handle the exit: exit.internal (SB_E_KVM) */
	VCPU_EXIT_FAIL_ENTRY,     /* VM entry failed, invalid guest state: exit.fail_entry (SB_E_KVM) */
	VCPU_EXIT_CANCELLED,      /* vcpu_cancel() or the deadline: exit.cancel (SB_E_CANCELLED) */
	VCPU_EXIT_UNEXPECTED,     /* any other KVM exit reason, named in err (SB_E_KVM) */
	VCPU_EXIT_ERROR,          /* KVM_RUN itself failed (SB_E_KVM) */
};

struct vcpu_exit {
	enum vcpu_exit_kind kind;
	uint32_t reason; /* raw kvm_run->exit_reason (KVM_EXIT_*) when the guest ran */
	union {
		struct {
			uint16_t port;
			bool is_out;     /* true: OUT (guest → host); false: IN */
			uint8_t size;    /* bytes per element: 1, 2 or 4 */
			uint32_t count;  /* elements (> 1 for REP INS/OUTS) */
			uint32_t value;  /* OUT with count 1: the value written */
			uint8_t *data;   /* size*count bytes inside kvm_run; fill it for IN */
		} io;
		struct {
			gpa_t addr;
			bool is_write;
			uint8_t len;     /* 1..8 */
			uint8_t *data;   /* inside kvm_run; fill it for reads */
		} mmio;
		struct {
			uint32_t suberror; /* KVM_INTERNAL_ERROR_* */
			uint32_t ndata;
			uint64_t data[4];  /* first entries of run->internal.data */
		} internal;
		struct {
			uint64_t hardware_reason;
			uint32_t cpu;
		} fail_entry;
		enum vcpu_cancel_reason cancel;
	};
};

/* Run the guest until an exit the caller must see. Returns 0 for IO, MMIO
 * and HLT exits; -1 with `err` filled (and `exit` describing what happened)
 * for everything else, including cancellation (SB_E_CANCELLED). */
int vcpu_run(struct vcpu *vcpu, struct vcpu_exit *exit, struct sb_err *err);

/* Finish the MMIO access or IN of the last exit without running another
 * guest instruction, for a caller that abandons it (a memory violation, a
 * refused IN, a restore after either). KVM completes such an access on
 * the next KVM_RUN by re-running its instruction's write-back, after
 * applying synchronised registers: left pending, it would overwrite the
 * RIP and destination a restore just set (on our machines port I/O goes
 * through KVM's emulator, so an IN is such an access too; an OUT is
 * finished at its exit). KVM_RUN with immediate_exit set completes it and
 * returns at once; an access split in several (across two pages) takes
 * one round each, at most VCPU_COMPLETE_MAX_ROUNDS; a string instruction
 * (REP INS, REP MOVS from MMIO) is cut short at its current element with
 * RCX = 0 (the registers are the caller's to reset). Reads return all
 * ones. No-op when nothing is pending. */
#define VCPU_COMPLETE_MAX_ROUNDS 64
int vcpu_complete_pending(struct vcpu *vcpu, struct sb_err *err);

/* KVM finishes an OUT at the next KVM_RUN by skipping the instruction at
 * the OUT's address, if RIP is still there. When the next entry is set to
 * exactly that address (a guest that put its last OUT where the next call
 * enters), finish the OUT first, so the entry's first instruction runs, as
 * in a fresh vCPU. No-op otherwise (the usual case: nothing to do). */
int vcpu_settle_out(struct vcpu *vcpu, uint64_t entry_rip, struct sb_err *err);

/* "KVM_EXIT_IO", ...; "KVM_EXIT_<unknown>" for numbers not in the table. */
const char *kvm_exit_reason_name(uint32_t reason);

/* "emulation failure", ... for kvm_run->internal.suberror. */
const char *kvm_internal_error_name(uint32_t suberror);

/* "requested", "deadline", "none". */
const char *vcpu_cancel_reason_name(enum vcpu_cancel_reason why);

#endif
