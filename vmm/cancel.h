/* cancel.h — cancelling a running vCPU, from any thread, without losing a request.
 *
 * Design (the pieces and why each is there):
 *
 *  1. A per-vCPU flag `requested`, set by vcpu_cancel() and cleared only by
 *     vcpu_cancel_reset(). It is the truth: vcpu_run() checks it before every
 *     KVM_RUN and after every -EINTR, so a cancel asked for while the vCPU is
 *     not inside KVM_RUN (before the first run, or between two exits while the
 *     caller dispatches) is seen at the next vcpu_run() and returns
 *     SB_E_CANCELLED without entering the guest.
 *
 *  2. kvm_run->immediate_exit, set by vcpu_cancel() right after the flag. KVM
 *     reads it on entry to KVM_RUN and returns -EINTR without running the
 *     guest. The kick below also covers a cancel that lands between
 *     vcpu_run()'s flag check and the ioctl (the kick stays pending), so this
 *     is a second line of defence that needs no signal to be delivered.
 *
 *  3. A kick signal (VMM_KICK_SIGNAL, SIGUSR1) for a vCPU that is already
 *     inside KVM_RUN, where neither of the above is looked at again. Threads
 *     that run vCPUs keep the signal BLOCKED (vcpu_run() blocks it on first
 *     use in each thread); KVM_SET_SIGNAL_MASK gives KVM_RUN a mask in which it
 *     is UNBLOCKED (the mask is the running thread's own mask minus the kick,
 *     set when the vCPU first runs on a thread). So a kick sent at any moment stays pending until the
 *     thread is inside KVM_RUN, where a pending unblocked signal makes KVM
 *     leave the guest (or not enter it) with -EINTR. Since the signal is never
 *     unblocked outside KVM_RUN it is never delivered to a handler and never
 *     interrupts other system calls of the thread; a stale pending kick costs
 *     one spurious -EINTR, after which vcpu_run() drains it (sigtimedwait with
 *     a zero timeout) and re-enters. A no-op handler (no SA_RESTART) is
 *     installed only so a stray process-directed SIGUSR1 cannot kill the
 *     process and is not ignored (an ignored signal is discarded, never pending).
 *
 *  4. Which thread to kick: vcpu_run() records the calling thread and an
 *     `in_run` bit under a mutex for the duration of the call; vcpu_cancel()
 *     takes the same mutex and kicks only if `in_run`. Because the flag and
 *     immediate_exit are written before the mutex is taken, either the
 *     canceller got the mutex first (then vcpu_run() sees the flag) or it sees
 *     in_run and kicks a thread that cannot have left vcpu_run() (leaving needs
 *     the mutex) — so the pthread_t is always alive. No case loses the request.
 *
 *  5. Deadlines (absolute CLOCK_MONOTONIC ns): vcpu_run() compares the clock
 *     with the deadline before every KVM_RUN and after every -EINTR; a POSIX
 *     timer per vCPU (timer_create, SIGEV_THREAD_ID, TIMER_ABSTIME) sends the
 *     same kick signal to the running thread when the deadline passes. No
 *     extra thread, and the timer is (re)armed only when it cannot serve the
 *     deadline (vcpu_cancel_arm: none armed, armed later, expired; re-created
 *     only if the vCPU moves to another thread), so neither the per-exit path
 *     nor a call that sets now + limit makes a timer system call. An expired deadline reads as a cancel
 *     (SB_E_CANCELLED, reason "deadline").
 *
 * A cancel stays in force — every vcpu_run() returns SB_E_CANCELLED — until
 * the owner calls vcpu_cancel_reset() (and, typically, resets vCPU state).
 */
#ifndef SNAPBENCH_VMM_CANCEL_H
#define SNAPBENCH_VMM_CANCEL_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "err.h"

#define VMM_KICK_SIGNAL SIGUSR1

enum vcpu_cancel_reason {
	VCPU_CANCEL_NONE = 0,
	VCPU_CANCEL_REQUESTED, /* vcpu_cancel() */
	VCPU_CANCEL_DEADLINE,  /* the deadline passed */
};

struct vcpu_cancel {
	atomic_bool requested;
	uint64_t deadline_ns;  /* absolute CLOCK_MONOTONIC, 0 = none; owner thread only */

	pthread_mutex_t lock;  /* guards in_run and runner */
	bool in_run;
	pthread_t runner;

	/* Deadline timer, touched only by the thread inside vcpu_run(). */
	bool timer_created;
	timer_t timer;
	pid_t timer_tid;       /* thread the timer signals */
	uint64_t armed_ns;     /* deadline the timer is armed for, 0 = disarmed */
	pid_t mask_tid;        /* thread whose mask KVM_SET_SIGNAL_MASK was given */
};

struct vcpu;

/* Ask the vCPU to stop. Any thread, any time; never lost (see above). */
void vcpu_cancel(struct vcpu *vcpu);

/* Set the absolute deadline (CLOCK_MONOTONIC ns; 0 = none) for the following
 * vcpu_run() calls. Called by the thread that runs the vCPU, between runs. */
void vcpu_set_deadline(struct vcpu *vcpu, uint64_t deadline_ns);

/* Clear a cancel request and the deadline so the vCPU can run again. Owner
 * thread, between runs. A vcpu_cancel() racing with it is either cleared
 * (it came first) or kept (it came after) — never half-applied. */
void vcpu_cancel_reset(struct vcpu *vcpu);

/* Make sure the deadline timer will fire by the deadline (cancel.c says
 * when that costs a system call); vcpu_cancel_enter and the run loop call
 * it. */
int vcpu_cancel_arm(struct vcpu *vcpu, struct sb_err *err);

/* Current CLOCK_MONOTONIC time in ns (the clock deadlines use). */
uint64_t vmm_now_ns(void);

/* ---- used by vcpu.c and run.c ---- */

/* Set up a new vCPU's cancel state; install the no-op handler (once per process). */
int vcpu_cancel_init(struct vcpu *vcpu, struct sb_err *err);
void vcpu_cancel_fini(struct vcpu *vcpu);

/* Bracket one vcpu_run() call: block the kick in this thread, give KVM_RUN
 * this thread's mask minus the kick (when the thread changed), (re)arm the
 * deadline timer (when the deadline changed), publish the runner. */
int vcpu_cancel_enter(struct vcpu *vcpu, struct sb_err *err);
void vcpu_cancel_leave(struct vcpu *vcpu);

/* Whether the run must stop now, and why. */
enum vcpu_cancel_reason vcpu_cancel_pending(struct vcpu *vcpu);

/* Consume a kick pending on the calling thread, if any. */
void vcpu_kick_drain(void);

#endif
