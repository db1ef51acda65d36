/* test_sandbox_scribble.c — the restore contract (vmm/sandbox.h) under a
 * hostile guest: the test guest's `scribble` writes everything it can
 * reach (guest/testguest_hostile.c), from ring 3 and from ring 0, and its
 * `scribble_tables` edits the page tables directly: in ring 0 it does, in
 * ring 3 it is refused (the tables are supervisor-only: a page fault
 * poisons the sandbox). Then the sandbox is restored and everything a
 * guest can observe is compared with a sandbox freshly created from the
 * same snapshot, byte for byte — right after the restore, and again after
 * the same calls on both (which catches translations the vCPU kept: the
 * hostile page-table chain, the remapped heap page). Every restore path:
 * the same snapshot, another snapshot, a snapshot from another sandbox,
 * after poisoning, after a cancelled call, after an undo-log overflow.
 * Usage: test_sandbox_scribble TESTGUEST_ELF */
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "guest_state.h"

static struct snapshot *guest_elf; /* the ring is the sandbox's, not the snapshot's */

static void check_like_fresh(struct sandbox *sb, struct snapshot *s, const char *what)
{
	guest_state_check_like_fresh(sb, s, guest_state_default_calls, guest_state_n_default_calls,
				     what);
}

static struct sandbox_config config(enum sandbox_guest_mode mode)
{
	struct sandbox_config c = fixture_config();
	c.mode = mode;
	c.deadline_ns = 30ull * 1000000000; /* ring-0 scribbling is emulated here */
	return c;
}

static void scribble(struct sandbox *sb, uint64_t seed, uint64_t what)
{
	struct sb_value args[2] = { v_u64(seed), v_u64(what) }, ret;
	struct sb_err err;
	if (!CHECK_I64(sandbox_call(sb, "scribble", args, 2, &ret, &err), 0))
		fprintf(stderr, "  scribble: %s\n", err.msg);
}

/* Direct page-table edits: done in ring 0; refused in ring 3, where the
 * first access to a table faults and poisons the sandbox. */
static void scribble_tables(struct sandbox *sb, uint64_t seed)
{
	struct sb_value arg = v_u64(seed), ret;
	struct sb_err err = { 0 };
	int rc = sandbox_call(sb, "scribble_tables", &arg, 1, &ret, &err);
	if (sb->cfg.mode == SANDBOX_MODE_KERNEL) {
		if (!CHECK_I64(rc, 0))
			fprintf(stderr, "  scribble_tables: %s\n", err.msg);
		return;
	}
	char at[48];
	snprintf(at, sizeof at, "address 0x%llx,",
		 (unsigned long long)(layout_scratch_base_gva(mgr_layout(&sb->mem)) +
				      layout_pt_scratch_offset(mgr_layout(&sb->mem))));
	if (!CHECK_I64(rc, -1) || !CHECK_CONTAINS(err.msg, "page fault (vector 14)") ||
	    !CHECK_CONTAINS(err.msg, at) || !CHECK_U64(sandbox_status(sb), SANDBOX_POISONED))
		fprintf(stderr, "  scribble_tables in ring 3: %s\n", rc ? err.msg : "ran");
}

/* A sandbox from `elf` that has taken snapshot *s1 (3 heap pages dirtied)
 * and then *s2 (5 more), and runs from *s1 again. */
static struct sandbox *two_snapshots(struct snapshot *elf, enum sandbox_guest_mode mode,
				     struct snapshot **s1, struct snapshot **s2)
{
	struct sandbox_config c = config(mode);
	struct sandbox *sb = fixture_sandbox(elf, &c);
	uint64_t r;
	struct sb_err err;
	call_u64_1(sb, "touch_pages", 3, &r, &err);
	*s1 = fixture_snapshot_of(sb);
	call_u64_1(sb, "touch_pages", 8, &r, &err);
	*s2 = fixture_snapshot_of(sb);
	if (*s1)
		fixture_restore(sb, *s1);
	return sb;
}

static void test_same_and_other(struct snapshot *elf, enum sandbox_guest_mode mode,
				const char *ring)
{
	struct snapshot *s1, *s2;
	struct sandbox *sb = two_snapshots(elf, mode, &s1, &s2);
	char what[96];
	if (!s1 || !s2)
		goto out;
	for (int round = 0; round < 2; round++) { /* twice: nothing carries over */
		uint64_t seed = 0x5C0FF1A00000000ull + (uint64_t)round;
		if (mode == SANDBOX_MODE_KERNEL) {
			/* Tables first: scribble's bookkeeping words would leave
			 * no allocator for the chain. */
			scribble_tables(sb, seed);
			scribble(sb, seed, 0);
		} else if (round == 0) {
			/* Bookkeeping kept, so the refused table edit faults on
			 * the real page-table area; round 2 scribbles the words. */
			scribble(sb, seed, 1);
			scribble_tables(sb, seed);
		} else {
			scribble(sb, seed, 0);
		}
		if (fixture_restore(sb, s1)) {
			snprintf(what, sizeof what, "%s, same snapshot, round %d", ring, round + 1);
			CHECK(sandbox_last_restore(sb).same_snapshot && sandbox_last_restore(sb).full);
			check_like_fresh(sb, s1, what);
		}
	}
	if (mode == SANDBOX_MODE_KERNEL)
		scribble_tables(sb, 0xA77AC4);
	scribble(sb, 0xA77AC4, 0);
	if (fixture_restore(sb, s2)) {
		snprintf(what, sizeof what, "%s, other snapshot", ring);
		CHECK(!sandbox_last_restore(sb).same_snapshot);
		check_like_fresh(sb, s2, what);
	}
out:
	snap_unref(s1);
	snap_unref(s2);
	sandbox_destroy(sb);
}

/* Snapshot from sandbox A, scribbled sandbox B restores it. */
static void test_cross_sandbox(void)
{
	struct snapshot *s1, *s2;
	struct sandbox *a = two_snapshots(guest_elf, SANDBOX_MODE_USER, &s1, &s2);
	struct sandbox_config c = config(SANDBOX_MODE_USER);
	struct sandbox *b = fixture_sandbox(guest_elf, &c);
	sandbox_destroy(a);
	scribble(b, 0xC505, 0);
	if (s2 && fixture_restore(b, s2))
		check_like_fresh(b, s2, "snapshot from another sandbox");
	snap_unref(s1);
	snap_unref(s2);
	sandbox_destroy(b);
}

/* Scribble, then end the run badly: a fault, a cancel (deadline). */
static void test_after_failure(void)
{
	struct snapshot *s1, *s2;
	struct sandbox *sb = two_snapshots(guest_elf, SANDBOX_MODE_USER, &s1, &s2);
	struct sb_err err;
	uint64_t r;
	if (!s1)
		goto out;
	scribble(sb, 0xBAD, 1); /* bookkeeping kept: the next call must run */
	CHECK(call_u64_1(sb, "null_deref", 0, &r, &err) != 0);
	CHECK_U64(sandbox_status(sb), SANDBOX_POISONED);
	if (fixture_restore(sb, s1)) {
		CHECK(sandbox_last_restore(sb).full);
		check_like_fresh(sb, s1, "after poisoning");
	}
	scribble(sb, 0xCA7CE1, 1);
	sandbox_set_deadline(sb, 50 * 1000000ull);
	CHECK_I64(call_void(sb, "spin", &err), -1);
	CHECK_U64(err.code, SB_E_CANCELLED);
	sandbox_set_deadline(sb, config(SANDBOX_MODE_USER).deadline_ns);
	if (fixture_restore(sb, s1))
		check_like_fresh(sb, s1, "after a cancelled call");
out:
	snap_unref(s1);
	snap_unref(s2);
	sandbox_destroy(sb);
}

/* More page-table writes than the guest's undo log holds, then scribble. */
static void test_after_overflow(const char *elf)
{
	struct layout_config big = layout_config_default();
	big.heap_bytes = 2 << 20;
	big.scratch_bytes = 4 << 20;
	struct snapshot *base = fixture_snapshot(elf, &big);
	struct snapshot *s1, *s2;
	struct sandbox *sb = two_snapshots(base, SANDBOX_MODE_USER, &s1, &s2);
	uint64_t r;
	struct sb_err err;
	if (!s1)
		goto out;
	CHECK_I64(call_u64_1(sb, "touch_pages", 400, &r, &err), 0);
	struct sb_pt_undo_log *log = (void *)(sb->mem.scratch + sb_undo_log_offset(sb->mem.scratch_bytes));
	CHECK(log->overflow != 0);
	scribble(sb, 0x0F10, 0);
	if (fixture_restore(sb, s1))
		check_like_fresh(sb, s1, "after an undo-log overflow");
out:
	snap_unref(s1);
	snap_unref(s2);
	sandbox_destroy(sb);
	snap_unref(base);
}

/* A call that wrote no page table and ran no ring-0 code: the restore is
 * not full, and still complete. */
static void test_light_restore(void)
{
	struct snapshot *s1, *s2;
	struct sandbox *sb = two_snapshots(guest_elf, SANDBOX_MODE_USER, &s1, &s2);
	uint64_t r;
	struct sb_err err;
	if (!s1)
		goto out;
	CHECK_I64(call_u64_1(sb, "heap_sum", 4, &r, &err), 0);
	CHECK_I64(call_u64_1(sb, "fpu_control", 0x27f, &r, &err), 0);
	CHECK_I64(call_u64_1(sb, "sse_state", 0x6000123456789ull, &r, &err), 0);
	CHECK_U64(r, 0x1f80ull << 32); /* fresh: MXCSR default, XMM0 zero */
	CHECK_I64(call_u64_1(sb, "sse_state", 0, &r, &err), 0);
	CHECK_U64(r, (0x1f80ull | 0x6000) << 32 | 0x23456789);
	CHECK(fixture_restore(sb, s1));
	CHECK(!sandbox_last_restore(sb).full);
	CHECK(sandbox_last_restore(sb).pages_reset >= 2);
	check_like_fresh(sb, s1, "light restore");
out:
	snap_unref(s1);
	snap_unref(s2);
	sandbox_destroy(sb);
}

int main(int argc, char **argv)
{
	guest_elf = fixture_main(argc, argv, "TESTGUEST_ELF");
	test_light_restore();
	test_same_and_other(guest_elf, SANDBOX_MODE_USER, "ring 3");
	test_same_and_other(guest_elf, SANDBOX_MODE_KERNEL, "ring 0");
	test_cross_sandbox();
	test_after_failure();
	test_after_overflow(argv[1]);
	snap_unref(guest_elf);
	return check_done();
}
