/* test_sandbox_faults.c — every way a guest can fail: each gives a typed
 * error naming what happened, poisons the sandbox, and the sandbox then
 * refuses calls. Also deadlines and cross-thread cancellation.
 * Usage: test_sandbox_faults TESTGUEST_ELF */
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"

static struct snapshot *snap;

struct fault_case {
	const char *what;
	const char *fn;
	unsigned nargs;
	struct sb_value args[2];
	enum sb_errcode code;
	const char *msg1, *msg2;
};

static void run_case(const struct fault_case *c, enum sandbox_guest_mode mode)
{
	struct sandbox_config cfg = fixture_config();
	cfg.mode = mode;
	struct sandbox *sb = fixture_sandbox(snap, &cfg);
	struct sb_err err = { 0 };
	struct sb_value ret;
	int rc = sandbox_call(sb, c->fn, c->args, c->nargs, &ret, &err);
	bool ok = CHECK_I64(rc, -1) && CHECK_U64(err.code, c->code) &&
		  CHECK_CONTAINS(err.msg, c->msg1) && (!c->msg2 || CHECK_CONTAINS(err.msg, c->msg2)) &&
		  CHECK_U64(sandbox_status(sb), SANDBOX_POISONED);
	/* Poisoned: the next call is refused without running the guest. */
	int64_t r;
	ok = CHECK_I64(call_i64_2(sb, "add", 1, 2, &r, &err), -1) && ok;
	ok = CHECK_U64(err.code, SB_E_STATE) && CHECK_CONTAINS(err.msg, "poisoned") && ok;
	if (!ok)
		fprintf(stderr, "  case: %s in ring %d (%s)\n", c->what,
			mode == SANDBOX_MODE_USER ? 3 : 0, err.msg);
	sandbox_destroy(sb);
}

static void test_faults(void)
{
	char peb_addr[64];
	snprintf(peb_addr, sizeof peb_addr, "address 0x%llx,",
		 (unsigned long long)layout_peb_gva(&snap->layout));
	const struct fault_case cases[] = {
		{ "write to the read-only PEB", "write_peb", 0, { { 0 } }, SB_E_GUEST,
		  "page fault (vector 14)", peb_addr },
		{ "null dereference", "null_deref", 1, { v_u64(0) }, SB_E_GUEST,
		  "page fault (vector 14)", "address 0x0," },
		{ "wild read", "null_deref", 1, { v_u64(0x7000000000ull) }, SB_E_GUEST,
		  "page fault", "address 0x7000000000" },
		{ "divide by zero", "divide", 2, { v_i64(1), v_i64(0) }, SB_E_GUEST,
		  "divide error (vector 0)", NULL },
		{ "stack overflow", "stack_overflow", 0, { { 0 } }, SB_E_GUEST, "stack overflow",
		  NULL },
		{ "scratch exhausted", "exhaust_scratch", 0, { { 0 } }, SB_E_GUEST,
		  "out of memory", "out of physical memory" },
		{ "output stack pointer past the buffer", "corrupt_output", 2,
		  { v_u64(0), v_u64(1ull << 40) }, SB_E_GUEST, "output buffer", "out of bounds" },
		{ "output stack pointer below the header", "corrupt_output", 2,
		  { v_u64(0), v_u64(3) }, SB_E_GUEST, "output buffer", "out of bounds" },
		{ "back-pointer past its record", "corrupt_output", 2,
		  { v_u64(1), v_u64(4096) }, SB_E_GUEST, "output buffer", "out of bounds" },
		{ "garbage record", "corrupt_output", 2, { v_u64(2), v_u64(40) }, SB_E_GUEST,
		  "output buffer", "malformed record" },
		{ "host call with a corrupt buffer", "corrupt_output", 2,
		  { v_u64(3), v_u64(~0ull) }, SB_E_GUEST, "host-call record", "out of bounds" },
		{ "unknown port", "corrupt_output", 2, { v_u64(4), v_u64(0) }, SB_E_GUEST,
		  "unknown port 0x99", NULL },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		run_case(&cases[i], SANDBOX_MODE_USER);
		run_case(&cases[i], SANDBOX_MODE_KERNEL);
	}
}

/* Copy-on-write faults that run scratch out (the assembly fast path gives
 * the page back and the C handler reports it), in both rings. */
static void test_cow_exhaustion(const char *elf)
{
	struct layout_config big = layout_config_default();
	big.heap_bytes = 2 << 20; /* 512 pages; default scratch has ~40 free */
	struct snapshot *s = fixture_snapshot(elf, &big);
	for (int ring0 = 0; ring0 < 2; ring0++) {
		struct sandbox_config cfg = fixture_config();
		cfg.mode = ring0 ? SANDBOX_MODE_KERNEL : SANDBOX_MODE_USER;
		/* The guest's fault handler: under host-cow an ELF snapshot's
		 * heap is written in place and never faults. */
		cfg.restore_strategy = SANDBOX_RESTORE_REWRITE;
		struct sandbox *sb = fixture_sandbox(s, &cfg);
		struct sb_err err;
		uint64_t r;
		if (!CHECK_I64(call_u64_1(sb, "touch_pages", 512, &r, &err), -1) ||
		    !CHECK_CONTAINS(err.msg, "out of physical memory"))
			fprintf(stderr, "  ring %d: %s\n", ring0 ? 0 : 3, err.msg);
		CHECK_U64(sandbox_status(sb), SANDBOX_POISONED);
		sandbox_destroy(sb);
	}
	snap_unref(s);
}

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void test_deadline(void)
{
	struct sandbox_config cfg = fixture_config();
	cfg.deadline_ns = 200000000; /* 200 ms */
	struct sandbox *sb = fixture_sandbox(snap, &cfg);
	struct sb_err err;
	uint64_t t0 = now_ms();
	CHECK_I64(call_void(sb, "spin", &err), -1);
	uint64_t took = now_ms() - t0;
	CHECK_U64(err.code, SB_E_CANCELLED);
	CHECK_CONTAINS(err.msg, "deadline");
	CHECK(took >= 190 && took < 1000);
	CHECK_U64(sandbox_status(sb), SANDBOX_POISONED);
	printf("deadline 200 ms: the call returned after %llu ms\n", (unsigned long long)took);
	sandbox_destroy(sb);
}

static void *cancel_later(void *arg)
{
	usleep(100 * 1000);
	sandbox_cancel(arg);
	return NULL;
}

static void test_cross_thread_cancel(void)
{
	struct sandbox_config cfg = fixture_config();
	cfg.deadline_ns = 0; /* only the cancel can stop it */
	struct sandbox *sb = fixture_sandbox(snap, &cfg);
	pthread_t t;
	pthread_create(&t, NULL, cancel_later, sb);
	struct sb_err err;
	uint64_t t0 = now_ms();
	CHECK_I64(call_void(sb, "spin", &err), -1);
	uint64_t took = now_ms() - t0;
	pthread_join(t, NULL);
	CHECK_U64(err.code, SB_E_CANCELLED);
	CHECK_CONTAINS(err.msg, "requested");
	CHECK(took >= 90 && took < 1000);
	CHECK_U64(sandbox_status(sb), SANDBOX_POISONED);
	printf("cancel after 100 ms: the call returned after %llu ms\n", (unsigned long long)took);
	sandbox_destroy(sb);

	/* A cancel before the call is not lost. */
	sb = fixture_sandbox(snap, &cfg);
	sandbox_cancel(sb);
	CHECK_I64(call_void(sb, "spin", &err), -1);
	CHECK_U64(err.code, SB_E_CANCELLED);
	sandbox_destroy(sb);
}

int main(int argc, char **argv)
{
	snap = fixture_main(argc, argv, "TESTGUEST_ELF");
	test_faults();
	test_cow_exhaustion(argv[1]);
	test_deadline();
	test_cross_thread_cancel();
	snap_unref(snap);
	return check_done();
}
