/* test_sandbox_hostcow.c — what restore by host copy-on-write adds
 * (SANDBOX_RESTORE_HOST_COW, vmm/sandbox.h), and what both strategies now
 * do with pages the guest keeps writing (snapshot/mgr.h, "hot" pages):
 *
 *   in_place      the snapshot's own pages are written in place: no
 *                 copy-on-write fault, no scratch page, a light restore;
 *                 pages the snapshot maps twice stay copy-on-write.
 *   ring0_tables  the pages holding the GDT, IDT and TSS stay copy-on-write:
 *                 a ring-3 store to them, the first since the snapshot,
 *                 faults, and the restore after it is full (ring 0 ran),
 *                 under every strategy.
 *   hot_pages     a page left writable after a restore is still reset by
 *                 the next one, whatever the guest writes (the same bytes
 *                 as the snapshot, other bytes, nothing for many restores
 *                 and then something).
 * The restore contract itself is checked for host-cow by every other
 * sandbox suite (sandbox-*-host-cow). Usage: test_sandbox_hostcow REDTEAM_ELF */
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "guest_state.h"
#include "pt_host.h"

static struct snapshot *elf;

static struct sandbox_config config(enum sandbox_restore_strategy s)
{
	struct sandbox_config c = sandbox_config_default();
	c.restore_strategy = s;
	return c;
}

static uint64_t u64_call(struct sandbox *sb, const char *fn, uint64_t a)
{
	uint64_t r = 0;
	struct sb_err err;
	if (!CHECK_I64(call_u64_1(sb, fn, a, &r, &err), 0))
		fprintf(stderr, "  %s(%llu): %s\n", fn, (unsigned long long)a, err.msg);
	return r;
}

static void test_in_place(void)
{
	struct snapshot *s;
	struct sandbox_config c = config(SANDBOX_RESTORE_HOST_COW);
	struct sandbox *sb = fixture_sandbox_at_snapshot(elf, &c, &s); /* 3 heap pages dirtied */
	if (!s)
		goto out;
	CHECK(sandbox_last_restore(sb).pages_retained >= 3);
	uint64_t used = sandbox_scratch_pages_used(sb);
	uint64_t want = u64_call(sb, "bump_pages", 3);
	CHECK_U64(sandbox_last_call_cow_faults(sb), 0);
	CHECK_U64(sandbox_scratch_pages_used(sb), used);
	/* The fourth heap page is the zero page s shares: copy-on-write. */
	u64_call(sb, "bump_pages", 4);
	CHECK_U64(sandbox_last_call_cow_faults(sb), 1);
	for (int i = 0; i < 3; i++) {
		if (!fixture_restore(sb, s))
			break;
		CHECK(i == 0 ? sandbox_last_restore(sb).full : !sandbox_last_restore(sb).full);
		CHECK_U64(u64_call(sb, "bump_pages", 3), want); /* from the snapshot's values again */
		CHECK_U64(sandbox_last_call_cow_faults(sb), 0);
	}
	if (fixture_restore(sb, s)) {
		CHECK(!sandbox_last_restore(sb).full);
		CHECK(sandbox_last_restore(sb).pages_reset >= 3);
		CHECK(sandbox_last_restore(sb).bytes_copied >= 3 * SB_PAGE_SIZE);
		guest_state_check_like_fresh(sb, s, guest_state_default_calls,
					     guest_state_n_default_calls, "in_place");
	}
out:
	snap_unref(s);
	sandbox_destroy(sb);
}

/* One store to the page holding the GDT, IDT or TSS (`which`), in a new
 * sandbox: the first write to that page since the snapshot. */
static void ring0_table_store(enum sandbox_restore_strategy strategy, unsigned which)
{
	struct snapshot *s;
	struct sandbox_config c = config(strategy);
	struct sandbox *sb = fixture_sandbox_at_snapshot(elf, &c, &s);
	if (!s)
		goto out;
	static const char *const names[] = { "GDT", "IDT", "TSS" };
	const uint64_t base[] = { s->sregs.gdt.base, s->sregs.idt.base, s->sregs.tr.base };
	char what[80];
	snprintf(what, sizeof what, "%s: a ring-3 store to the %s",
		 sandbox_restore_strategy_name(strategy), names[which]);
	/* The runtime maps them supervisor-only at a high address; ring 3
	 * reaches their page where the snapshot region maps it (GVA = GPA). */
	const struct layout *l = &s->layout;
	struct pt_region reg = { layout_pt_base_gpa(l), snap_pt_tail(s), layout_pt_bytes(l) };
	struct pt_regions rr;
	pt_regions_init(&rr, &pt_format_x86_64, &reg, 1, reg.gpa);
	struct pt_leaf leaf;
	if (!CHECK_I64(pt_lookup(&rr.pt, reg.gpa, base[which], &leaf), PT_OK))
		goto out;
	uint64_t at = (leaf.entry & PT_X86_64_ADDR_MASK) + (base[which] & (SB_PAGE_SIZE - 1));
	uint64_t v = u64_call(sb, "peek", at);
	struct sb_value args[2] = { v_u64(at), v_u64(v) }, ret;
	struct sb_err err;
	int rc = sandbox_call(sb, "rt2_poke", args, 2, &ret, &err);
	/* Mapped read-only to ring 3 it is refused; mapped copy-on-write it is
	 * copied. Either way an exception ran ring 0. */
	if (!CHECK(rc != 0 || sandbox_last_call_cow_faults(sb) == 1))
		fprintf(stderr, "  %s: written in place, no fault\n", what);
	if (!fixture_restore(sb, s))
		goto out;
	if (!CHECK(sandbox_last_restore(sb).full))
		fprintf(stderr, "  %s: the restore after it was light\n", what);
	guest_state_check_like_fresh(sb, s, NULL, 0, what);
out:
	snap_unref(s);
	sandbox_destroy(sb);
}

static void test_ring0_tables(enum sandbox_restore_strategy strategy)
{
	for (unsigned which = 0; which < 3; which++)
		ring0_table_store(strategy, which);
}

static void test_hot_pages(enum sandbox_restore_strategy strategy)
{
	struct snapshot *s;
	struct sandbox_config c = config(strategy);
	struct sandbox *sb = fixture_sandbox_at_snapshot(elf, &c, &s);
	if (!s)
		goto out;
	uint64_t want = u64_call(sb, "bump_pages", 3), same = 0;
	char what[80];
	snprintf(what, sizeof what, "hot pages (%s)", sandbox_restore_strategy_name(strategy));
	/* Rounds: write, restore; the same bytes (touch_pages writes what the
	 * snapshot holds); then many restores with no write at all (a hot
	 * page found fresh for MGR_HOT_CLEAN_RUNS is write-protected again);
	 * then write again. Every bump after a restore starts from s. */
	for (int round = 0; round < 3 * MGR_HOT_CLEAN_RUNS; round++) {
		if (!fixture_restore(sb, s))
			break;
		if (round < 4 || round >= 3 * MGR_HOT_CLEAN_RUNS - 2) {
			same += u64_call(sb, "bump_pages", 3) == want;
			continue;
		}
		if (round < 6)
			u64_call(sb, "touch_pages", 3);
		else
			call_void(sb, "read_generation", &(struct sb_err){ 0 }); /* no heap write */
	}
	CHECK_U64(same, 6);
	if (fixture_restore(sb, s))
		guest_state_check_like_fresh(sb, s, guest_state_default_calls,
					     guest_state_n_default_calls, what);
out:
	snap_unref(s);
	sandbox_destroy(sb);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s REDTEAM_ELF\n", argv[0]);
		return 2;
	}
	fixture_require_kvm();
	elf = fixture_snapshot(argv[1], NULL);
	if (fixture_section("HOSTCOW_ONLY", "in_place"))
		test_in_place();
	for (unsigned st = 0; st < SANDBOX_RESTORE__COUNT; st++) {
		if (fixture_section("HOSTCOW_ONLY", "ring0_tables"))
			test_ring0_tables((enum sandbox_restore_strategy)st);
		if (fixture_section("HOSTCOW_ONLY", "hot_pages"))
			test_hot_pages((enum sandbox_restore_strategy)st);
	}
	snap_unref(elf);
	return check_done();
}
