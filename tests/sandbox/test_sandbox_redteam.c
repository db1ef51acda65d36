/* test_sandbox_redteam.c — attacks on the restore contract (vmm/sandbox.h:
 * after sandbox_restore(sb, S) everything the guest can observe equals a
 * sandbox freshly created from S), beyond what test_sandbox_scribble
 * covers. The hostile guest functions are in guest/testguest_redteam.c.
 * Every check fails when the attack works; a passing check guards the
 * property.
 *
 *   in_pending       an IN the host refuses, completed by KVM at the next
 *                    entry after the restore (plain, INS, REP INS)
 *   mmio_fragments   an MMIO access of several fragments: poisoned, not broken
 *   ring0_msrs       MSRs ring-0 guest code can write, after a full restore
 *   cpuid_faulting   ring 0 turns on CPUID faulting; after a restore to a
 *                    ring-3 snapshot, CPUID in ring 3 must still work
 *   movss_tf         a call ending in an interrupt shadow / with TF set,
 *                    then a light restore: events and the next calls
 *   host_reply_tail  a host-function reply the input buffer cannot hold,
 *                    written at a stack pointer the guest chose
 *   call_too_big     a call the input buffer cannot hold (host only)
 *   copy_page        SB_PORT_COPY_PAGE from ring 3 into the page tables
 *   other_scratch    a restore to a snapshot with another scratch size
 *   cancel_cow       calls cancelled at random points of copy-on-write
 * Usage: test_sandbox_redteam build/guest/testguest_redteam */
#include <sched.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "guest_state.h"

#define RT_HIJACKED 0x4841434B4544ull
#define MMIO_GPA (20ull << 30) /* no memory there */

static const char *elf_path;
static struct snapshot *elf;

/* ---- helpers ----------------------------------------------------------- */

static uint8_t big_reply[16000];

static int host_big(void *ctx, const struct sb_value *args, unsigned nargs, struct sb_value *ret,
		    char *msg, size_t msg_bytes)
{
	(void)ctx;
	(void)args;
	(void)nargs;
	(void)msg;
	(void)msg_bytes;
	ret->type = SB_T_BYTES;
	ret->as.buf.ptr = big_reply;
	ret->as.buf.len = sizeof big_reply;
	return 0;
}

static const struct sandbox_host_fn_def host_fns[] = {
	{ .name = "big", .ret = SB_T_BYTES, .nparams = 0, .fn = host_big },
};

static struct sandbox_config config(enum sandbox_guest_mode mode)
{
	struct sandbox_config c = fixture_config();
	c.mode = mode;
	c.deadline_ns = 30ull * 1000000000;
	c.host_fns = host_fns;
	c.n_host_fns = 1;
	return c;
}

static int call_u64(struct sandbox *sb, const char *fn, const struct sb_value *args, unsigned n,
		    uint64_t *out, struct sb_err *err)
{
	struct sb_value ret = { 0 };
	int rc = sandbox_call(sb, fn, args, n, &ret, err);
	*out = ret.as.u64;
	return rc;
}

/* A sandbox (ring `mode`) and a CALL snapshot of it with 3 heap pages
 * dirtied; the sandbox runs from that snapshot. */
static struct sandbox *sandbox_with_snapshot(enum sandbox_guest_mode mode, struct snapshot **s)
{
	struct sandbox_config c = config(mode);
	return fixture_sandbox_at_snapshot(elf, &c, s);
}

/* The calls compared after a restore: the usual ones, and reads of the
 * input buffer past its first page. */
static const struct same_call redteam_calls[] = {
	{ "heap_sum", 1, 4 },	       { "read_generation", 0, 0 }, { "fpu_control", 1, 0 },
	{ "scratch_next_free", 0, 0 }, { "touch_pages", 1, 2 },     { "heap_sum", 1, 4 },
	{ "rt_read_input", 1, 4096 },  { "rt_read_input", 1, 8192 },
};

static unsigned check_like_fresh(struct sandbox *sb, struct snapshot *s, const char *what)
{
	return guest_state_check_like_fresh(sb, s, redteam_calls,
					    sizeof redteam_calls / sizeof redteam_calls[0], what);
}

/* ---- in_pending ---------------------------------------------------------- */

static void test_in_pending(uint64_t mode)
{
	static const char *const names[] = { "IN", "INS", "REP INS", "REP INS of two pages" };
	struct snapshot *s;
	struct sandbox *sb = sandbox_with_snapshot(SANDBOX_MODE_USER, &s);
	struct sb_err err;
	uint64_t r = 0;
	char what[96];
	snprintf(what, sizeof what, "in_pending (%s refused, then restore)", names[mode]);
	if (!s)
		goto out;
	struct sb_value args[2] = { v_u64(mode), v_u64(0x80) };
	CHECK(call_u64(sb, "rt_in", args, 2, &r, &err) != 0);
	fprintf(stderr, "  %s: the refused call: %s\n", what, err.msg);
	CHECK_U64(sandbox_status(sb), SANDBOX_POISONED);
	if (!fixture_restore(sb, s))
		goto out;
	/* The first call after the restore must be the call we make, not the
	 * guest resuming after its IN. */
	struct sb_value add_args[2] = { v_i64(2), v_i64(3) }, sum = { 0 };
	int rc = sandbox_call(sb, "add", add_args, 2, &sum, &err);
	if (!CHECK(rc == 0 && sum.type == SB_T_I64 && sum.as.i64 == 5))
		fprintf(stderr, "  %s: add(2, 3) after the restore: %s, %s 0x%llx%s\n", what,
			rc ? err.msg : "ok", sb_type_name(sum.type), (unsigned long long)sum.as.u64,
			sum.as.u64 == RT_HIJACKED ? " (the guest's landing code after its IN answered)" : "");
	/* Does a restore ever get the sandbox back? */
	for (int i = 0; i < 3; i++) {
		if (!fixture_restore(sb, s))
			break;
		rc = sandbox_call(sb, "add", add_args, 2, &sum, &err);
		if (!CHECK(rc == 0 && sum.type == SB_T_I64 && sum.as.i64 == 5))
			fprintf(stderr, "  %s: add(2, 3) after restore %d more: %s, %s 0x%llx\n", what,
				i + 1, rc ? err.msg : "ok", sb_type_name(sum.type),
				(unsigned long long)sum.as.u64);
	}
	if (fixture_restore(sb, s))
		check_like_fresh(sb, s, what);
out:
	snap_unref(s);
	sandbox_destroy(sb);
}

/* ---- mmio_fragments ------------------------------------------------------- */

static void test_mmio(uint64_t mode)
{
	static const char *const names[] = { "one load", "a load across two pages",
					     "rep movsq x4", "rep movsq x1024" };
	struct snapshot *s;
	struct sandbox *sb = sandbox_with_snapshot(SANDBOX_MODE_USER, &s);
	struct sb_err err;
	uint64_t r = 0;
	char what[96];
	snprintf(what, sizeof what, "mmio (%s)", names[mode]);
	if (!s)
		goto out;
	struct sb_value args[2] = { v_u64(mode), v_u64(MMIO_GPA) };
	CHECK(call_u64(sb, "rt_mmio", args, 2, &r, &err) != 0);
	fprintf(stderr, "  %s: %s\n", what, err.msg);
	/* A guest's bad access poisons; "broken" is for the host's own
	 * failures and cannot be restored. */
	if (!CHECK_U64(sandbox_status(sb), SANDBOX_POISONED))
		fprintf(stderr, "  %s: the guest made the sandbox %s: %s\n", what,
			sandbox_state_name(sandbox_status(sb)), sandbox_status_reason(sb));
	if (sandbox_status(sb) == SANDBOX_POISONED && fixture_restore(sb, s))
		check_like_fresh(sb, s, what);
out:
	snap_unref(s);
	sandbox_destroy(sb);
}

/* ---- ring0_msrs ---------------------------------------------------------- */

struct msr_case {
	uint32_t idx;
	uint64_t val;
	const char *name;
	bool counter; /* TSC-like: survived if it is still above 2^59 */
};

static const struct msr_case msr_cases[] = {
	{ 0x140, 1, "MISC_FEATURES_ENABLES (CPUID faulting)", false },
	{ 0x4b564d00, 0x500000000ull, "KVM_WALL_CLOCK_NEW", false },
	{ 0x4b564d01, 0x2000, "KVM_SYSTEM_TIME_NEW (kvmclock, disabled)", false },
	{ 0x4b564d02, 0x3000, "KVM_STEAL_TIME (disabled)", false },
	{ 0x4b564d03, 0, "KVM_ASYNC_PF_EN", false },
	{ 0x10, 1ull << 60, "TSC", true },
	{ 0x3b, 1ull << 60, "TSC_ADJUST", true },
	{ 0x200, 0x6, "MTRR_PHYSBASE0", false },
	{ 0x201, 0xF00000800ull, "MTRR_PHYSMASK0", false },
	{ 0x250, 0x0606060606060606ull, "MTRR_FIX64K_00000", false },
	{ 0x17a, 1, "MCG_STATUS", false },
	{ 0x1fc, 1, "POWER_CTL", false },
	{ 0x48, 1, "SPEC_CTRL", false },
	{ 0x186, 0x4300c0, "PERFEVTSEL0", false },
	{ 0xc1, 12345, "PMC0", false },
	{ 0x38f, 1, "PERF_GLOBAL_CTRL", false },
	{ 0x1c4, 1ull << 18, "XFD", false },
	{ 0x6a0, 1, "U_CET", false },
	{ 0xda0, 1ull << 8, "XSS", false },
	{ 0xC0000081, 0x0023001000000000ull, "STAR", false },
	{ 0xC0000082, 0x1234000, "LSTAR", false },
	{ 0xC0000083, 0x1235000, "CSTAR", false },
	{ 0xC0000084, 0x700, "SYSCALL_MASK", false },
	{ 0xC0000102, 0x4321000, "KERNEL_GS_BASE (in the reset list)", false },
	{ 0x176, 0x5551000, "SYSENTER_EIP (in the reset list)", false },
	{ 0x277, 0x0006040600060406ull, "PAT (in the reset list)", false },
};

static int rdmsr_call(struct sandbox *sb, uint32_t idx, uint64_t *v, struct sb_err *err)
{
	struct sb_value a[3] = { v_u64(idx), v_u64(0), v_u64(0) };
	return call_u64(sb, "rt_msr", a, 3, v, err);
}

static void test_ring0_msrs(void)
{
	struct snapshot *s;
	struct sandbox *sb = sandbox_with_snapshot(SANDBOX_MODE_KERNEL, &s);
	struct sandbox_config c = config(SANDBOX_MODE_KERNEL);
	if (!s)
		goto out;
	struct sandbox *fresh = fixture_sandbox(s, &c);
	for (size_t i = 0; i < sizeof msr_cases / sizeof msr_cases[0]; i++) {
		const struct msr_case *m = &msr_cases[i];
		struct sb_err err;
		uint64_t v0 = 0, w = 0, v1 = 0;
		if (rdmsr_call(fresh, m->idx, &v0, &err)) {
			fprintf(stderr, "  msr 0x%x %s: not readable by the guest (skipped)\n", m->idx,
				m->name);
			fixture_restore(fresh, s);
			continue;
		}
		struct sb_value a[3] = { v_u64(m->idx), v_u64(m->val), v_u64(1) };
		if (call_u64(sb, "rt_msr", a, 3, &w, &err)) {
			fprintf(stderr, "  msr 0x%x %s: the guest cannot write 0x%llx (skipped)\n",
				m->idx, m->name, (unsigned long long)m->val);
			fixture_restore(sb, s);
			continue;
		}
		if (!fixture_restore(sb, s))
			break;
		CHECK(sandbox_last_restore(sb).full);
		if (rdmsr_call(sb, m->idx, &v1, &err)) {
			CHECK(false);
			fprintf(stderr, "  msr 0x%x %s: unreadable after the restore: %s\n", m->idx,
				m->name, err.msg);
			fixture_restore(sb, s);
			continue;
		}
		bool survived = m->counter ? (v1 >= (1ull << 59) && v0 < (1ull << 59)) : v1 != v0;
		bool changed = m->counter ? w >= (1ull << 59) : w != v0;
		fprintf(stderr, "  msr 0x%x %s: fresh 0x%llx, guest wrote -> 0x%llx, after restore 0x%llx%s\n",
			m->idx, m->name, (unsigned long long)v0, (unsigned long long)w,
			(unsigned long long)v1,
			survived ? "  <== SURVIVES THE RESTORE" : changed ? "" : " (write had no effect)");
		if (!check_true_at(!survived, m->name, __FILE__, __LINE__))
			fprintf(stderr, "  ring0_msrs: %s written by ring 0 survives a full restore\n",
				m->name);
		fixture_restore(sb, s);
	}
	sandbox_destroy(fresh);
out:
	snap_unref(s);
	sandbox_destroy(sb);
}

/* ---- cpuid_faulting ------------------------------------------------------- */

static void test_cpuid_faulting(void)
{
	struct snapshot *su, *sk;
	struct sandbox *u = sandbox_with_snapshot(SANDBOX_MODE_USER, &su);
	struct sandbox *k = sandbox_with_snapshot(SANDBOX_MODE_KERNEL, &sk);
	struct sb_err err;
	uint64_t r;
	if (!su || !sk)
		goto out;
	struct sb_value a[3] = { v_u64(0x140), v_u64(1), v_u64(1) };
	if (call_u64(k, "rt_msr", a, 3, &r, &err)) {
		fprintf(stderr, "  cpuid_faulting: the guest cannot turn it on (%s): skipped\n",
			err.msg);
		goto out;
	}
	/* The ring-0 sandbox now runs the ring-3 snapshot. */
	if (!fixture_restore(k, su))
		goto out;
	CHECK(sandbox_last_restore(k).full);
	struct sb_value leaf = v_u64(0);
	uint64_t rk = 0, ru = 0;
	struct sb_err ek = { 0 }, eu = { 0 };
	int ck = call_u64(k, "rt_cpuid", &leaf, 1, &rk, &ek);
	int cu = call_u64(u, "rt_cpuid", &leaf, 1, &ru, &eu);
	if (!CHECK(ck == cu && rk == ru))
		fprintf(stderr, "  cpuid_faulting: CPUID(0) in ring 3 after the restore: %s (0x%llx); "
			"in a fresh ring-3 sandbox: %s (0x%llx)\n",
			ck ? ek.msg : "ok", (unsigned long long)rk, cu ? eu.msg : "ok",
			(unsigned long long)ru);
out:
	snap_unref(su);
	snap_unref(sk);
	sandbox_destroy(u);
	sandbox_destroy(k);
}

/* ---- movss_tf ---------------------------------------------------------------- */

static void test_odd_end(const char *fn)
{
	struct snapshot *s;
	struct sandbox *sb = sandbox_with_snapshot(SANDBOX_MODE_USER, &s);
	struct sb_err err;
	uint64_t r = 0;
	char what[96];
	snprintf(what, sizeof what, "%s, then a restore", fn);
	if (!s)
		goto out;
	struct sb_value a = v_u64(7);
	if (!CHECK(call_u64(sb, fn, &a, 1, &r, &err) == 0 && r == 7))
		fprintf(stderr, "  %s: %s\n", what, err.msg);
	/* And once more without a restore: the next entry must be clean too. */
	int64_t sum = 0;
	int rc = call_i64_2(sb, "add", 2, 3, &sum, &err);
	if (!CHECK(rc == 0 && sum == 5))
		fprintf(stderr, "  %s: the next call: %s\n", what, rc ? err.msg : "wrong sum");
	if (sandbox_status(sb) == SANDBOX_READY &&
	    !CHECK(call_u64(sb, fn, &a, 1, &r, &err) == 0 && r == 7))
		fprintf(stderr, "  %s: %s\n", what, err.msg);
	if (fixture_restore(sb, s)) {
		fprintf(stderr, "  %s: restore was %s\n", what,
			sandbox_last_restore(sb).full ? "full" : "light");
		check_like_fresh(sb, s, what);
	}
out:
	snap_unref(s);
	sandbox_destroy(sb);
}

/* ---- host_reply_tail --------------------------------------------------------- */

static void test_host_reply_tail(void)
{
	struct snapshot *s;
	struct sandbox *sb = sandbox_with_snapshot(SANDBOX_MODE_USER, &s);
	struct sb_err err;
	uint64_t r = 0;
	if (!s)
		goto out;
	memset(big_reply, 0xAB, sizeof big_reply);
	/* The input stack pointer on a page boundary: the host writes the
	 * reply's first bytes on the next page, then finds it does not fit. */
	struct sb_value a[2] = { v_u64(4096), v_str("big") };
	CHECK(call_u64(sb, "rt_set_input_sp", a, 2, &r, &err) != 0);
	fprintf(stderr, "  host_reply_tail: %s\n", err.msg);
	if (fixture_restore(sb, s)) {
		const uint8_t *in = sb->mem.scratch + layout_input_scratch_offset(&s->layout);
		if (!CHECK(in[4096] == 0))
			fprintf(stderr, "  host_reply_tail: input byte 4096 is 0x%02x after the restore "
				"(the host's partial reply; a fresh sandbox has 0)\n", in[4096]);
		check_like_fresh(sb, s, "host_reply_tail");
	}
out:
	snap_unref(s);
	sandbox_destroy(sb);
}

/* ---- call_too_big ---------------------------------------------------------------- */

static void test_call_too_big(void)
{
	struct snapshot *s;
	struct sandbox *sb = sandbox_with_snapshot(SANDBOX_MODE_USER, &s);
	struct sb_err err;
	struct sb_value ret;
	if (!s)
		goto out;
	static uint8_t a[8000], b[16000];
	memset(a, 0x5A, sizeof a);
	struct sb_value args[2] = { { .type = SB_T_BYTES, .as.buf = { a, sizeof a } },
				    { .type = SB_T_BYTES, .as.buf = { b, sizeof b } } };
	CHECK_I64(sandbox_call(sb, "echo", args, 2, &ret, &err), -1);
	CHECK_U64(err.code, SB_E_TOO_BIG);
	if (fixture_restore(sb, s)) {
		uint64_t v = 0;
		struct sb_value off = v_u64(4096);
		int rc = call_u64(sb, "rt_read_input", &off, 1, &v, &err);
		if (!CHECK(rc == 0 && v == 0))
			fprintf(stderr, "  call_too_big: input word at 4096 after the restore: %s 0x%llx "
				"(the refused call's bytes; a fresh sandbox has 0)\n",
				rc ? err.msg : "", (unsigned long long)v);
		fixture_restore(sb, s);
	}
	/* The same with no restore in between: the next call's input buffer. */
	CHECK_I64(sandbox_call(sb, "echo", args, 2, &ret, &err), -1);
	if (fixture_restore(sb, s))
		check_like_fresh(sb, s, "call_too_big");
out:
	snap_unref(s);
	sandbox_destroy(sb);
}

/* ---- copy_page ------------------------------------------------------------------- */

static void test_copy_page(void)
{
	struct snapshot *s;
	struct sandbox *sb = sandbox_with_snapshot(SANDBOX_MODE_USER, &s);
	struct sb_err err;
	uint64_t r;
	if (!s)
		goto out;
	const struct layout *l = &s->layout;
	gpa_t scratch = layout_scratch_base_gpa(l);
	gpa_t pt = scratch + layout_pt_scratch_offset(l);
	/* A page of the page tables over with a snapshot page (code): the
	 * host writes a table behind KVM's shadow tables. */
	struct sb_value a[2] = { v_u64(SB_BASE_ADDRESS), v_u64(pt + (l->pt_bytes / SB_PAGE_SIZE - 1) * SB_PAGE_SIZE) };
	int rc = call_u64(sb, "rt_copy_page", a, 2, &r, &err);
	fprintf(stderr, "  copy_page into the page tables: %s\n", rc ? err.msg : "done");
	if (sandbox_status(sb) == SANDBOX_BROKEN)
		goto out;
	if (fixture_restore(sb, s)) {
		CHECK(sandbox_last_restore(sb).full);
		check_like_fresh(sb, s, "copy_page into the page tables");
	}
	/* Into a free page, from ring 3: a light restore must reset it. */
	gpa_t free_page = scratch + layout_free_scratch_offset(l) + 8 * SB_PAGE_SIZE;
	a[1] = v_u64(free_page);
	rc = call_u64(sb, "rt_copy_page", a, 2, &r, &err);
	if (!CHECK_I64(rc, 0))
		fprintf(stderr, "  copy_page into a free page: %s\n", err.msg);
	if (fixture_restore(sb, s))
		check_like_fresh(sb, s, "copy_page into a free page");
out:
	snap_unref(s);
	sandbox_destroy(sb);
}

/* ---- other_scratch ------------------------------------------------------------------ */

static void test_other_scratch(void)
{
	struct layout_config big = layout_config_default();
	big.heap_bytes = 2 << 20;
	big.scratch_bytes = 8 << 20;
	struct snapshot *base_big = fixture_snapshot(elf_path, &big);
	struct sandbox_config c = config(SANDBOX_MODE_USER);
	struct sandbox *a = fixture_sandbox(elf, &c), *b = fixture_sandbox(base_big, &c);
	struct sb_err err;
	uint64_t r;
	call_u64_1(a, "touch_pages", 3, &r, &err);
	call_u64_1(b, "touch_pages", 5, &r, &err);
	struct snapshot *sa = fixture_snapshot_of(a), *sbig = fixture_snapshot_of(b);
	if (!sa || !sbig)
		goto out;
	fprintf(stderr, "  other_scratch: %llu vs %llu bytes of scratch\n",
		(unsigned long long)layout_scratch_bytes(&sa->layout),
		(unsigned long long)layout_scratch_bytes(&sbig->layout));
	struct sb_value args[2] = { v_u64(0xFEED), v_u64(0) };
	struct sb_value ret;
	sandbox_call(a, "scribble", args, 2, &ret, &err);
	if (fixture_restore(a, sbig))
		check_like_fresh(a, sbig, "other_scratch (small -> big)");
	sandbox_call(a, "scribble", args, 2, &ret, &err);
	if (fixture_restore(a, sa))
		check_like_fresh(a, sa, "other_scratch (big -> small)");
out:
	snap_unref(sa);
	snap_unref(sbig);
	snap_unref(base_big);
	sandbox_destroy(a);
	sandbox_destroy(b);
}

/* ---- cancel_cow ---------------------------------------------------------------------- */

static void test_cancel_cow(void)
{
	struct snapshot *s;
	struct sandbox *sb = sandbox_with_snapshot(SANDBOX_MODE_USER, &s);
	struct sb_err err;
	uint64_t r;
	unsigned cancelled = 0, bad = 0;
	if (!s)
		goto out;
	srand(12345);
	for (int i = 0; i < 24 && bad == 0; i++) {
		sandbox_set_deadline(sb, 50000ull + (uint64_t)(rand() % 3000) * 1000ull);
		if (call_u64_1(sb, "touch_pages", 30, &r, &err))
			cancelled++;
		sandbox_set_deadline(sb, 30ull * 1000000000);
		if (!fixture_restore(sb, s))
			break;
		char what[64];
		snprintf(what, sizeof what, "cancel_cow round %d", i);
		bad += check_like_fresh(sb, s, what);
	}
	fprintf(stderr, "  cancel_cow: %u of the calls were cancelled\n", cancelled);
out:
	snap_unref(s);
	sandbox_destroy(sb);
}

/* ---- kvm_writes ------------------------------------------------------------ */

/* Ring 0 points KVM's paravirtual clocks at scratch pages: KVM writes the
 * wall clock at once (the dirty log must see it), and kvmclock whenever
 * it updates the clock, e.g. after the vCPU thread moves to another CPU --
 * after a restore too, if the MSR survives it. */
static void test_kvm_writes(void)
{
	struct snapshot *s;
	struct sandbox *sb = sandbox_with_snapshot(SANDBOX_MODE_KERNEL, &s);
	struct sb_err err;
	uint64_t r;
	if (!s)
		goto out;
	const struct layout *l = &s->layout;
	uint64_t scratch_bytes = layout_scratch_bytes(l);
	uint64_t off_wall = scratch_bytes - (SB_SCRATCH_TOP_PAGES + 2) * SB_PAGE_SIZE;
	uint64_t off_clock = scratch_bytes - (SB_SCRATCH_TOP_PAGES + 3) * SB_PAGE_SIZE;
	gpa_t base = layout_scratch_base_gpa(l);
	struct sb_value a[3] = { v_u64(0x4b564d00), v_u64(base + off_wall), v_u64(1) };
	if (call_u64(sb, "rt_msr", a, 3, &r, &err))
		fprintf(stderr, "  kvm_writes: wall clock: %s\n", err.msg);
	fprintf(stderr, "  kvm_writes: wall clock page word 0 before the restore: 0x%llx\n",
		(unsigned long long)*(uint64_t *)(sb->mem.scratch + off_wall + 8));
	if (fixture_restore(sb, s))
		check_like_fresh(sb, s, "kvm_writes: after KVM wrote the wall clock");

	a[0] = v_u64(0x4b564d01);
	a[1] = v_u64((base + off_clock) | 1);
	if (call_u64(sb, "rt_msr", a, 3, &r, &err)) {
		fprintf(stderr, "  kvm_writes: kvmclock: %s (skipped)\n", err.msg);
		goto out;
	}
	if (!fixture_restore(sb, s))
		goto out;
	CHECK(sandbox_last_restore(sb).full);
	/* Move between CPUs and read the page (read-only calls). */
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	uint64_t seen = 0;
	for (int round = 0; round < 64 && !seen; round++) {
		cpu_set_t set;
		CPU_ZERO(&set);
		CPU_SET(round % (ncpu > 0 ? ncpu : 1), &set);
		sched_setaffinity(0, sizeof set, &set);
		struct sb_value o = v_u64(off_clock);
		if (call_u64(sb, "rt_read_scratch", &o, 1, &r, &err) == 0)
			seen = r;
	}
	cpu_set_t all;
	CPU_ZERO(&all);
	for (long i = 0; i < ncpu; i++)
		CPU_SET(i, &all);
	sched_setaffinity(0, sizeof all, &all);
	if (!CHECK(seen == 0))
		fprintf(stderr, "  kvm_writes: after a restore the guest reads 0x%llx from a scratch page "
			"a fresh sandbox has zero (KVM keeps writing kvmclock there)\n",
			(unsigned long long)seen);
out:
	snap_unref(s);
	sandbox_destroy(sb);
}

int main(int argc, char **argv)
{
	elf = fixture_main(argc, argv, "TESTGUEST_ELF");
	elf_path = argv[1];
	FIXTURE_RUN("REDTEAM_ONLY", "in_pending",
		    for (uint64_t m = 0; m < 4; m++) test_in_pending(m));
	FIXTURE_RUN("REDTEAM_ONLY", "mmio_fragments", for (uint64_t m = 0; m < 4; m++) test_mmio(m));
	FIXTURE_RUN("REDTEAM_ONLY", "ring0_msrs", test_ring0_msrs());
	FIXTURE_RUN("REDTEAM_ONLY", "cpuid_faulting", test_cpuid_faulting());
	FIXTURE_RUN("REDTEAM_ONLY", "movss_tf", {
		test_odd_end("rt_movss_done");
		test_odd_end("rt_tf_done");
	});
	FIXTURE_RUN("REDTEAM_ONLY", "host_reply_tail", test_host_reply_tail());
	FIXTURE_RUN("REDTEAM_ONLY", "call_too_big", test_call_too_big());
	FIXTURE_RUN("REDTEAM_ONLY", "copy_page", test_copy_page());
	FIXTURE_RUN("REDTEAM_ONLY", "other_scratch", test_other_scratch());
	FIXTURE_RUN("REDTEAM_ONLY", "cancel_cow", test_cancel_cow());
	FIXTURE_RUN("REDTEAM_ONLY", "kvm_writes", test_kvm_writes());
	snap_unref(elf);
	return check_done();
}
