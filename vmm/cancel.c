/* cancel.c — vCPU cancellation and deadlines (design in cancel.h). */
#include "cancel.h"

#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kvm.h"
#include "vcpu.h"

uint64_t vmm_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void kick_handler(int sig)
{
	(void)sig; /* only exists so the signal is neither fatal nor ignored */
}

static pthread_once_t handler_once = PTHREAD_ONCE_INIT;
static int handler_errno;

static void install_handler(void)
{
	struct sigaction old;
	if (sigaction(VMM_KICK_SIGNAL, NULL, &old) < 0) {
		handler_errno = errno;
		return;
	}
	/* Leave an application's own handler alone; replace default and ignore
	 * (the default kills, and an ignored signal is never pending). */
	if (!(old.sa_flags & SA_SIGINFO) && (old.sa_handler == SIG_DFL || old.sa_handler == SIG_IGN)) {
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = kick_handler;
		sigemptyset(&sa.sa_mask);
		sa.sa_flags = 0; /* no SA_RESTART */
		if (sigaction(VMM_KICK_SIGNAL, &sa, NULL) < 0)
			handler_errno = errno;
	}
}

int vcpu_cancel_init(struct vcpu *vcpu, struct sb_err *err)
{
	struct vcpu_cancel *c = &vcpu->cancel;

	pthread_once(&handler_once, install_handler);
	if (handler_errno)
		return sb_errf(err, SB_E_IO, "installing the vCPU kick handler: %s",
			       kvm_strerror(handler_errno));

	atomic_init(&c->requested, false);
	c->deadline_ns = 0;
	c->in_run = false;
	c->timer_created = false;
	c->armed_ns = 0;
	c->mask_tid = 0;
	int e = pthread_mutex_init(&c->lock, NULL);
	if (e)
		return sb_errf(err, SB_E_NOMEM, "pthread_mutex_init: %s", kvm_strerror(e));
	return 0;
}

void vcpu_cancel_fini(struct vcpu *vcpu)
{
	struct vcpu_cancel *c = &vcpu->cancel;
	if (c->timer_created)
		timer_delete(c->timer);
	pthread_mutex_destroy(&c->lock);
}

void vcpu_cancel(struct vcpu *vcpu)
{
	struct vcpu_cancel *c = &vcpu->cancel;

	/* Order matters: flag and immediate_exit first, then look for a runner. */
	atomic_store(&c->requested, true);
	__atomic_store_n(&vcpu->run->immediate_exit, 1, __ATOMIC_SEQ_CST);

	pthread_mutex_lock(&c->lock);
	if (c->in_run)
		pthread_kill(c->runner, VMM_KICK_SIGNAL);
	pthread_mutex_unlock(&c->lock);
}

void vcpu_set_deadline(struct vcpu *vcpu, uint64_t deadline_ns)
{
	vcpu->cancel.deadline_ns = deadline_ns;
}

void vcpu_kick_drain(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, VMM_KICK_SIGNAL);
	const struct timespec zero = { 0, 0 };
	while (sigtimedwait(&set, NULL, &zero) == VMM_KICK_SIGNAL)
		;
}

void vcpu_cancel_reset(struct vcpu *vcpu)
{
	struct vcpu_cancel *c = &vcpu->cancel;

	/* Clear the flag, then immediate_exit, then re-read the flag: a cancel
	 * whose flag store lands after our clear also stores immediate_exit
	 * after our clear of it, or we see its flag here and restore it. */
	bool was = atomic_exchange(&c->requested, false);
	__atomic_store_n(&vcpu->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
	if (atomic_load(&c->requested))
		__atomic_store_n(&vcpu->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	c->deadline_ns = 0;
	/* A kick left by a cancel is drained here; any other stale one (a timer)
	 * costs the next KVM_RUN an EINTR, which the run loop drains. Not
	 * draining unconditionally keeps a system call off the restore path. */
	if (was)
		vcpu_kick_drain();
}

enum vcpu_cancel_reason vcpu_cancel_pending(struct vcpu *vcpu)
{
	struct vcpu_cancel *c = &vcpu->cancel;
	if (atomic_load(&c->requested))
		return VCPU_CANCEL_REQUESTED;
	if (c->deadline_ns && vmm_now_ns() >= c->deadline_ns)
		return VCPU_CANCEL_DEADLINE;
	return VCPU_CANCEL_NONE;
}

static __thread bool tls_kick_blocked;
static __thread pid_t tls_tid;

/* KVM_RUN's signal mask: the running thread's own mask with the kick
 * unblocked, so signals the thread blocks stay blocked (a pending one could
 * otherwise make every KVM_RUN return -EINTR) and signals it takes can still
 * interrupt a long KVM_RUN. Set when the vCPU first runs on a thread. The
 * kernel's sigset is 8 bytes (64 signals) on x86-64; glibc's sigset_t is
 * larger, with the same bit layout in its first 8 bytes. A thread that changes
 * its mask after its first vcpu_run() keeps the old one inside KVM_RUN.
 *
 * Should a thread ever unblock the kick and have it delivered to the no-op
 * handler between vcpu_run()'s checks and KVM_RUN, immediate_exit (set before
 * the kick is sent) still makes that KVM_RUN return at once. */
static int set_run_mask(struct vcpu *vcpu, struct sb_err *err)
{
	sigset_t mask;
	pthread_sigmask(SIG_SETMASK, NULL, &mask);
	sigdelset(&mask, VMM_KICK_SIGNAL);
	union {
		struct kvm_signal_mask hdr;
		unsigned char bytes[sizeof(struct kvm_signal_mask) + 8];
	} kmask;
	kmask.hdr.len = 8;
	memcpy(kmask.bytes + sizeof(struct kvm_signal_mask), &mask, 8);
	if (KVM_IOCTL(vcpu->fd, KVM_SET_SIGNAL_MASK, &kmask, err) < 0)
		return -1;
	vcpu->cancel.mask_tid = tls_tid;
	return 0;
}

static int arm_timer(struct vcpu_cancel *c, struct sb_err *err)
{
	if (c->timer_created && c->timer_tid != tls_tid) {
		/* The vCPU moved to another thread: the timer must signal the new one. */
		timer_delete(c->timer);
		c->timer_created = false;
		c->armed_ns = 0;
	}
	if (!c->timer_created) {
		struct sigevent sev;
		memset(&sev, 0, sizeof sev);
		sev.sigev_notify = SIGEV_THREAD_ID;
		sev.sigev_signo = VMM_KICK_SIGNAL;
#ifdef sigev_notify_thread_id
		sev.sigev_notify_thread_id = tls_tid;
#else
		sev._sigev_un._tid = tls_tid; /* older glibc spells the field this way */
#endif
		if (timer_create(CLOCK_MONOTONIC, &sev, &c->timer) < 0)
			return sb_errf(err, SB_E_IO, "timer_create for the vCPU deadline: %s",
				       kvm_strerror(errno));
		c->timer_created = true;
		c->timer_tid = tls_tid;
	}

	struct itimerspec its;
	memset(&its, 0, sizeof its); /* it_value 0 = disarm */
	if (c->deadline_ns) {
		its.it_value.tv_sec = (time_t)(c->deadline_ns / 1000000000ull);
		its.it_value.tv_nsec = (long)(c->deadline_ns % 1000000000ull);
	}
	if (timer_settime(c->timer, TIMER_ABSTIME, &its, NULL) < 0)
		return sb_errf(err, SB_E_IO, "timer_settime for the vCPU deadline: %s",
			       kvm_strerror(errno));
	c->armed_ns = c->deadline_ns;
	return 0;
}

/* Timer system calls only when the armed timer cannot serve the deadline:
 * none armed, armed for later than the deadline, already expired, or on
 * another thread. A timer armed for earlier than the deadline is kept: a
 * sandbox sets now + limit before every call, and re-arming each time would
 * put a timer_settime on every call. When such a timer fires first, the
 * run loop sees the deadline has not passed and calls this again. A timer
 * left armed after the deadline is cleared fires once for nothing: KVM_RUN
 * returns EINTR and the run loop goes on. */
int vcpu_cancel_arm(struct vcpu *vcpu, struct sb_err *err)
{
	struct vcpu_cancel *c = &vcpu->cancel;
	if (!c->deadline_ns)
		return 0;
	if (c->timer_created && c->timer_tid == tls_tid && c->armed_ns &&
	    c->armed_ns <= c->deadline_ns && c->armed_ns > vmm_now_ns())
		return 0;
	return arm_timer(c, err);
}

int vcpu_cancel_enter(struct vcpu *vcpu, struct sb_err *err)
{
	struct vcpu_cancel *c = &vcpu->cancel;

	if (!tls_tid)
		tls_tid = (pid_t)syscall(SYS_gettid);
	if (!tls_kick_blocked) {
		sigset_t set;
		sigemptyset(&set);
		sigaddset(&set, VMM_KICK_SIGNAL);
		pthread_sigmask(SIG_BLOCK, &set, NULL);
		tls_kick_blocked = true;
	}
	if (c->mask_tid != tls_tid && set_run_mask(vcpu, err) < 0)
		return -1;

	if (vcpu_cancel_arm(vcpu, err) < 0)
		return -1;

	pthread_mutex_lock(&c->lock);
	c->in_run = true;
	c->runner = pthread_self();
	pthread_mutex_unlock(&c->lock);
	return 0;
}

void vcpu_cancel_leave(struct vcpu *vcpu)
{
	struct vcpu_cancel *c = &vcpu->cancel;
	pthread_mutex_lock(&c->lock);
	c->in_run = false;
	pthread_mutex_unlock(&c->lock);
}
