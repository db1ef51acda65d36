/* test_cancel.c — cancellation that no race can lose.
 *
 * A guest spinning on `jmp $` never exits by itself, so every return from
 * vcpu_run() below is the cancel mechanism working. Covered: cancel from
 * another thread during KVM_RUN; cancel requested before the run (same and
 * other thread); cancel between exits; deadlines in the past and the near
 * future; cancels stay in force until reset; the vCPU runs normally after a
 * reset; running on a thread other than the creator; and a stress loop of
 * cancels at random moments around the start of KVM_RUN, each guarded by a
 * 5 s deadline so a lost cancel shows up as "deadline" instead of a hang.
 */
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "vmm_test.h"

#define SPIN_GPA 0x1000 /* eb fe          jmp $                 */
#define OUT_GPA 0x1010  /* e6 10 eb fc    1: out 0x10, al; jmp 1b */
#define HLT_GPA 0x1020  /* f4             hlt                   */

#define MS 1000000ull
#define BOUND_NS (1000 * MS) /* a cancel must take effect within 1 s */

static void load_guests(uint8_t *mem)
{
	static const uint8_t spin[] = { 0xeb, 0xfe };
	static const uint8_t out_loop[] = { 0xe6, 0x10, 0xeb, 0xfc };
	mem[HLT_GPA] = 0xf4;
	memcpy(mem + SPIN_GPA, spin, sizeof spin);
	memcpy(mem + OUT_GPA, out_loop, sizeof out_loop);
}

static void restart_at(struct test_vm *t, uint16_t ip)
{
	struct sb_err err = { 0 };
	vcpu_cancel_reset(t->vcpu);
	if (!CHECK(vcpu_setup_real_mode(t->vcpu, ip, &err) == 0))
		fprintf(stderr, "%s\n", err.msg);
}

/* Run; expect SB_E_CANCELLED with reason `why`; returns elapsed ns. */
static uint64_t expect_cancelled_at(struct test_vm *t, enum vcpu_cancel_reason why,
				    const char *file, int line)
{
	struct sb_err err = { 0 };
	struct vcpu_exit exit;
	uint64_t t0 = vmm_now_ns();
	int ret = vcpu_run(t->vcpu, &exit, &err);
	uint64_t dt = vmm_now_ns() - t0;
	check_i64_at(ret, -1, "vcpu_run()", file, line);
	check_u64_at(err.code, SB_E_CANCELLED, "err.code", file, line);
	check_u64_at(exit.kind, VCPU_EXIT_CANCELLED, "exit.kind", file, line);
	check_str_at(vcpu_cancel_reason_name(exit.cancel), vcpu_cancel_reason_name(why),
		     "exit.cancel", file, line);
	check_true_at(dt < BOUND_NS, "cancel took effect within 1 s", file, line);
	return dt;
}
#define EXPECT_CANCELLED(t, why) expect_cancelled_at((t), (why), __FILE__, __LINE__)

struct canceller {
	struct vcpu *vcpu;
	uint64_t delay_ns;
};

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull) };
	nanosleep(&ts, NULL);
}

static void *cancel_after(void *arg)
{
	struct canceller *c = arg;
	if (c->delay_ns)
		sleep_ns(c->delay_ns);
	vcpu_cancel(c->vcpu);
	return NULL;
}

static void test_cancel_during_run(struct test_vm *t)
{
	restart_at(t, SPIN_GPA);
	vcpu_set_deadline(t->vcpu, vmm_now_ns() + 5000 * MS); /* a lost cancel fails, not hangs */
	struct canceller c = { t->vcpu, 50 * MS };
	pthread_t th;
	pthread_create(&th, NULL, cancel_after, &c);
	uint64_t dt = EXPECT_CANCELLED(t, VCPU_CANCEL_REQUESTED);
	pthread_join(th, NULL);
	CHECK(dt >= 40 * MS); /* it really ran until the cancel */
	printf("cancel during KVM_RUN: returned after %.3f ms (cancel at 50 ms)\n", dt / 1e6);

	/* Still cancelled until reset: no guest instruction runs. */
	EXPECT_CANCELLED(t, VCPU_CANCEL_REQUESTED);

	/* After reset (and state reset) the vCPU runs normally. */
	restart_at(t, HLT_GPA);
	struct vcpu_exit exit;
	RUN_EXPECT(t, &exit, VCPU_EXIT_HLT);
}

static void test_cancel_before_run(struct test_vm *t)
{
	/* Same thread. */
	restart_at(t, SPIN_GPA);
	vcpu_cancel(t->vcpu);
	CHECK(EXPECT_CANCELLED(t, VCPU_CANCEL_REQUESTED) < 100 * MS);

	/* Another thread, finished before the run starts. */
	restart_at(t, SPIN_GPA);
	struct canceller c = { t->vcpu, 0 };
	pthread_t th;
	pthread_create(&th, NULL, cancel_after, &c);
	pthread_join(th, NULL);
	CHECK(EXPECT_CANCELLED(t, VCPU_CANCEL_REQUESTED) < 100 * MS);
}

static void test_cancel_between_exits(struct test_vm *t)
{
	restart_at(t, OUT_GPA);
	RUN_EXPECT_OUT(t, 0x10, 1, 0);
	RUN_EXPECT_OUT(t, 0x10, 1, 0);
	vcpu_cancel(t->vcpu); /* while the "caller dispatches" */
	EXPECT_CANCELLED(t, VCPU_CANCEL_REQUESTED);
	restart_at(t, OUT_GPA);
	RUN_EXPECT_OUT(t, 0x10, 1, 0);
}

static void test_deadlines(struct test_vm *t)
{
	/* In the past: no guest instruction runs. */
	restart_at(t, SPIN_GPA);
	vcpu_set_deadline(t->vcpu, vmm_now_ns() - 1);
	CHECK(EXPECT_CANCELLED(t, VCPU_CANCEL_DEADLINE) < 100 * MS);

	/* Near future: the timer kicks the spinning guest out. */
	restart_at(t, SPIN_GPA);
	vcpu_set_deadline(t->vcpu, vmm_now_ns() + 50 * MS);
	uint64_t dt = EXPECT_CANCELLED(t, VCPU_CANCEL_DEADLINE);
	CHECK(dt >= 40 * MS);
	printf("deadline 50 ms ahead: returned after %.3f ms\n", dt / 1e6);

	/* A deadline that passes while the guest keeps exiting. */
	restart_at(t, OUT_GPA);
	vcpu_set_deadline(t->vcpu, vmm_now_ns() + 20 * MS);
	struct sb_err err = { 0 };
	struct vcpu_exit exit;
	uint64_t t0 = vmm_now_ns();
	unsigned exits = 0;
	while (vcpu_run(t->vcpu, &exit, &err) == 0 && vmm_now_ns() - t0 < BOUND_NS)
		exits++;
	CHECK_U64(err.code, SB_E_CANCELLED);
	CHECK_U64(exit.cancel, VCPU_CANCEL_DEADLINE);
	CHECK(exits > 0);

	/* A later deadline replaces an earlier one: the earlier one has passed
	 * when the guest runs, and the run still reaches its HLT. */
	restart_at(t, HLT_GPA);
	vcpu_set_deadline(t->vcpu, vmm_now_ns() + 1 * MS);
	vcpu_set_deadline(t->vcpu, vmm_now_ns() + 10 * BOUND_NS);
	usleep(5000);
	RUN_EXPECT(t, &exit, VCPU_EXIT_HLT);
	/* Reset clears a deadline that has passed. */
	vcpu_set_deadline(t->vcpu, vmm_now_ns() + 1 * MS);
	usleep(5000);
	restart_at(t, HLT_GPA);
	RUN_EXPECT(t, &exit, VCPU_EXIT_HLT);
}

/* Cancels at random moments from 0 to 300 µs after the run is started, so
 * some land before vcpu_run, some between its checks and KVM_RUN, most inside. */
static void test_stress(struct test_vm *t, unsigned rounds)
{
	unsigned lost = 0;
	uint64_t worst = 0;
	srand(12345);
	for (unsigned i = 0; i < rounds; i++) {
		restart_at(t, SPIN_GPA);
		vcpu_set_deadline(t->vcpu, vmm_now_ns() + 5000 * MS);
		struct canceller c = { t->vcpu, (uint64_t)(rand() % 300) * 1000 };
		pthread_t th;
		pthread_create(&th, NULL, cancel_after, &c);
		struct sb_err err = { 0 };
		struct vcpu_exit exit;
		uint64_t t0 = vmm_now_ns();
		int ret = vcpu_run(t->vcpu, &exit, &err);
		uint64_t dt = vmm_now_ns() - t0;
		pthread_join(th, NULL);
		if (ret != -1 || exit.kind != VCPU_EXIT_CANCELLED || exit.cancel != VCPU_CANCEL_REQUESTED)
			lost++;
		if (dt > worst)
			worst = dt;
	}
	CHECK_U64(lost, 0);
	CHECK(worst < BOUND_NS);
	printf("stress: %u cancels at random moments, %u lost, slowest %.3f ms\n", rounds, lost,
	       worst / 1e6);
}

/* The vCPU runs in a thread other than its creator; the main thread cancels. */
struct runner_args {
	struct test_vm *t;
	int ret;
	struct vcpu_exit exit;
	struct sb_err err;
	volatile int started;
};

static void *run_in_thread(void *arg)
{
	struct runner_args *a = arg;
	a->started = 1;
	a->ret = vcpu_run(a->t->vcpu, &a->exit, &a->err);
	return NULL;
}

static void test_other_thread(struct test_vm *t)
{
	restart_at(t, SPIN_GPA);
	vcpu_set_deadline(t->vcpu, vmm_now_ns() + 5000 * MS); /* a lost cancel fails, not hangs */
	struct runner_args a = { .t = t };
	pthread_t th;
	pthread_create(&th, NULL, run_in_thread, &a);
	while (!a.started)
		sleep_ns(MS);
	sleep_ns(20 * MS);
	vcpu_cancel(t->vcpu);
	pthread_join(th, NULL);
	CHECK_I64(a.ret, -1);
	CHECK_U64(a.err.code, SB_E_CANCELLED);
	CHECK_U64(a.exit.cancel, VCPU_CANCEL_REQUESTED);

	/* A deadline enforced on the other thread (the timer follows the runner). */
	restart_at(t, SPIN_GPA);
	vcpu_set_deadline(t->vcpu, vmm_now_ns() + 30 * MS);
	memset(&a, 0, sizeof a);
	a.t = t;
	pthread_create(&th, NULL, run_in_thread, &a);
	pthread_join(th, NULL);
	CHECK_I64(a.ret, -1);
	CHECK_U64(a.exit.cancel, VCPU_CANCEL_DEADLINE);

	/* And back on the main thread. */
	restart_at(t, HLT_GPA);
	struct vcpu_exit exit;
	RUN_EXPECT(t, &exit, VCPU_EXIT_HLT);
}

int main(void)
{
	struct kvm *kvm = test_kvm_open_or_skip();
	struct test_vm t;
	test_vm_create(kvm, &t, 0x10000, NULL, 0);
	load_guests(t.mem);

	test_cancel_during_run(&t);
	test_cancel_before_run(&t);
	test_cancel_between_exits(&t);
	test_deadlines(&t);
	test_other_thread(&t);
	test_stress(&t, 300);

	test_vm_destroy(&t);
	kvm_close(kvm);
	return check_done();
}
