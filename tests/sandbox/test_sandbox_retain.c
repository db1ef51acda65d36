/* test_sandbox_retain.c — restore by retaining the guest's copies
 * (SANDBOX_RESTORE_RETAIN, vmm/sandbox.h; snapshot/mgr_retain.c), and by
 * letting the guest rewind first (SANDBOX_RESTORE_REWIND,
 * vmm/sandbox_rewind.c):
 *
 *   steady     the restore that first finds copies keeps them (full), the
 *              next call writes them with no fault, later restores are
 *              light and give each copy its snapshot page's bytes back.
 *   cap        retain_max_pages: copies past it are unmapped as under
 *              rewrite and counted; they fault again.
 *   rewind     the replay runs when the guest wrote its tables, before a
 *              full restore; not otherwise (light).
 * The restore contract, with what retain changes, is checked for every
 * sandbox suite under retain (sandbox-*-retain): tests/sandbox/guest_state.c
 * expects exactly the kept copies on top of a fresh sandbox and checks each
 * kept leaf against the fresh sandbox's copy-on-write leaf, so the
 * scribbler's direct table edits in ring 0 and the red-team guests try
 * what a forged leaf could keep.
 * Usage: test_sandbox_retain TESTGUEST_ELF */
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "guest_state.h"
#include "sandbox_internal.h"

static struct snapshot *elf;

static struct sandbox_config config(uint32_t cap)
{
	struct sandbox_config c = sandbox_config_default();
	c.restore_strategy = SANDBOX_RESTORE_RETAIN;
	c.retain_max_pages = cap;
	return c;
}

static uint64_t bump(struct sandbox *sb, uint64_t n)
{
	uint64_t r = 0;
	struct sb_err err;
	if (!CHECK_I64(call_u64_1(sb, "bump_pages", n, &r, &err), 0))
		fprintf(stderr, "  bump_pages(%llu): %s\n", (unsigned long long)n, err.msg);
	return r;
}

static void test_steady(void)
{
	struct snapshot *s;
	struct sandbox_config c = config(0);
	struct sandbox *sb = fixture_sandbox_at_snapshot(elf, &c, &s); /* 3 pages dirtied */
	if (!s)
		goto out;
	uint64_t want = bump(sb, 5);
	CHECK_U64(sandbox_last_call_cow_faults(sb), 5);
	for (int round = 0; round < 6; round++) {
		if (!fixture_restore(sb, s))
			break;
		struct sandbox_restore_info ri = sandbox_last_restore(sb);
		CHECK_U64(ri.pages_retained, 5);
		CHECK_U64(ri.retain_dropped, 0);
		if (!CHECK(round == 0 ? ri.full : !ri.full))
			fprintf(stderr, "  round %d: full = %d\n", round, ri.full);
		CHECK_U64(bump(sb, 5), want); /* from the snapshot's bytes again */
		CHECK_U64(sandbox_last_call_cow_faults(sb), 0);
	}
	if (fixture_restore(sb, s))
		guest_state_check_like_fresh(sb, s, guest_state_default_calls,
					     guest_state_n_default_calls, "retain: steady");
out:
	snap_unref(s);
	sandbox_destroy(sb);
}

static void test_cap(void)
{
	struct snapshot *s;
	struct sandbox_config c = config(2);
	struct sandbox *sb = fixture_sandbox_at_snapshot(elf, &c, &s);
	if (!s)
		goto out;
	uint64_t want = bump(sb, 5);
	for (int round = 0; round < 3; round++) {
		if (!fixture_restore(sb, s))
			break;
		struct sandbox_restore_info ri = sandbox_last_restore(sb);
		CHECK_U64(ri.pages_retained, 2);
		/* The copies past the cap are made again every call. */
		CHECK_U64(ri.retain_dropped, 3);
		CHECK(ri.full);
		CHECK_U64(bump(sb, 5), want);
		CHECK_U64(sandbox_last_call_cow_faults(sb), 3);
	}
	if (fixture_restore(sb, s))
		guest_state_check_like_fresh(sb, s, guest_state_default_calls,
					     guest_state_n_default_calls, "retain: cap");
out:
	snap_unref(s);
	sandbox_destroy(sb);
}

/* rewind: when the guest wrote its tables the replay runs (and reports
 * done) before the host's own full restore; otherwise nothing runs and the
 * restore is light. The result is rewrite's either way. */
static void test_rewind(void)
{
	struct snapshot *s;
	struct sandbox_config c = sandbox_config_default();
	c.restore_strategy = SANDBOX_RESTORE_REWIND;
	struct sandbox *sb = fixture_sandbox_at_snapshot(elf, &c, &s);
	if (!s)
		goto out;
	uint64_t want = bump(sb, 5);
	CHECK_U64(sandbox_last_call_cow_faults(sb), 5);
	uint64_t exits = sandbox_last_call_exits(sb);
	sb->rewind_ok = false;
	if (fixture_restore(sb, s)) {
		CHECK(sb->rewind_ok);
		CHECK(sandbox_last_restore(sb).full);
		/* the replay's exits are the restore's, not the last call's */
		CHECK_U64(sandbox_last_call_exits(sb), exits);
	}
	CHECK_U64(bump(sb, 5), want);
	CHECK_U64(sandbox_last_call_cow_faults(sb), 5); /* the copies are gone again */
	if (fixture_restore(sb, s))
		guest_state_check_like_fresh(sb, s, guest_state_default_calls,
					     guest_state_n_default_calls, "rewind: after a replay");
	/* A call that wrote no table: no replay, a light restore. */
	fixture_restore(sb, s); /* after the comparison's calls */
	call_void(sb, "read_generation", &(struct sb_err){ 0 });
	sb->rewind_ok = false;
	if (fixture_restore(sb, s)) {
		CHECK(!sb->rewind_ok);
		CHECK(!sandbox_last_restore(sb).full);
	}
out:
	snap_unref(s);
	sandbox_destroy(sb);
}

int main(int argc, char **argv)
{
	elf = fixture_main(argc, argv, "TESTGUEST_ELF");
	FIXTURE_RUN("RETAIN_ONLY", "steady", test_steady());
	FIXTURE_RUN("RETAIN_ONLY", "cap", test_cap());
	FIXTURE_RUN("RETAIN_ONLY", "rewind", test_rewind());
	snap_unref(elf);
	return check_done();
}
