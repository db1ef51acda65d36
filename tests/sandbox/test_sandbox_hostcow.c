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
 *   reads_stay_light  after a full restore, a call that reads the
 *                 bookkeeping page leaves the next restore light.
 *   cross_strategy  a snapshot taken under one strategy, restored into a
 *                 sandbox of another (every pair), is what a fresh sandbox
 *                 of that strategy from it is.
 *   ring0_guard   a snapshot that lets ring 3 into ring 0 without writing
 *                 the exception stack (SYSCALL, an LDT, a call gate, a TSS
 *                 stack elsewhere) has every restore full.
 * The restore contract itself is checked for host-cow by every other
 * sandbox suite (sandbox-*-host-cow). Usage: test_sandbox_hostcow REDTEAM_ELF */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

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

static void test_in_place(void)
{
	struct snapshot *s;
	struct sandbox_config c = config(SANDBOX_RESTORE_HOST_COW);
	struct sandbox *sb = fixture_sandbox_at_snapshot(elf, &c, &s); /* 3 heap pages dirtied */
	if (!s)
		goto out;
	CHECK(sandbox_last_restore(sb).pages_retained >= 3);
	uint64_t used = sandbox_scratch_pages_used(sb);
	uint64_t want = fixture_u64(sb, "bump_pages", 3);
	CHECK_U64(sandbox_last_call_cow_faults(sb), 0);
	CHECK_U64(sandbox_scratch_pages_used(sb), used);
	/* The fourth heap page is the zero page s shares: copy-on-write. */
	fixture_u64(sb, "bump_pages", 4);
	CHECK_U64(sandbox_last_call_cow_faults(sb), 1);
	for (int i = 0; i < 3; i++) {
		if (!fixture_restore(sb, s))
			break;
		CHECK(i == 0 ? sandbox_last_restore(sb).full : !sandbox_last_restore(sb).full);
		CHECK_U64(fixture_u64(sb, "bump_pages", 3), want); /* from the snapshot's values again */
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
	uint64_t v = fixture_u64(sb, "peek", at);
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
	uint64_t want = fixture_u64(sb, "bump_pages", 3), same = 0;
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
			same += fixture_u64(sb, "bump_pages", 3) == want;
			continue;
		}
		if (round < 6)
			fixture_u64(sb, "touch_pages", 3);
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

/* A snapshot that lets ring 3 into ring 0 without the exception stack
 * seeing it (snapshot/snap_ring0.c) has every restore full. Each change is
 * made to the snapshot in place (test only) and undone. */
static void test_ring0_guard(void)
{
	struct snapshot *s;
	struct sandbox_config c = config(SANDBOX_RESTORE_REWRITE);
	struct sandbox *sb = fixture_sandbox_at_snapshot(elf, &c, &s);
	if (!s)
		goto out;
	CHECK(snap_ring0_only_by_exception_stack(s));
	const struct kvm_sregs saved = s->sregs;
	struct { const char *what; int how; } cases[] = {
		{ "EFER.SCE (SYSCALL)", 0 }, { "an LDT", 1 }, { "a call gate in the GDT", 2 },
		{ "TSS.RSP0 off the exception stack", 3 }, { "TSS.IST3 off the exception stack", 4 },
		{ "a TSS that is not mapped", 5 },
	};
	/* The GDT and TSS bytes, writable for the test. */
	const struct layout *l = &s->layout;
	struct pt_region reg = { layout_pt_base_gpa(l), snap_pt_tail(s), layout_pt_bytes(l) };
	struct pt_regions rr;
	pt_regions_init(&rr, &pt_format_x86_64, &reg, 1, reg.gpa);
	struct pt_leaf gl, tl;
	if (!CHECK_I64(pt_lookup(&rr.pt, reg.gpa, saved.gdt.base, &gl), PT_OK) ||
	    !CHECK_I64(pt_lookup(&rr.pt, reg.gpa, saved.tr.base, &tl), PT_OK) ||
	    !CHECK_I64(mprotect(s->image, s->map_bytes, PROT_READ | PROT_WRITE), 0))
		goto out;
	uint8_t *gdt = s->image + ((gl.entry & PT_X86_64_ADDR_MASK) - SB_BASE_ADDRESS) +
		       (saved.gdt.base & (SB_PAGE_SIZE - 1));
	uint8_t *tss = s->image + ((tl.entry & PT_X86_64_ADDR_MASK) - SB_BASE_ADDRESS) +
		       (saved.tr.base & (SB_PAGE_SIZE - 1));
	uint8_t gdt_was[16], tss_was[104];
	memcpy(gdt_was, gdt + 24, sizeof gdt_was); /* slots 3-4: unused by the runtime */
	memcpy(tss_was, tss, sizeof tss_was);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		uint64_t v = 0x1000; /* a stack in the snapshot region */
		switch (cases[i].how) {
		case 0: s->sregs.efer |= 1; break;
		case 1: s->sregs.ldt = s->sregs.cs; s->sregs.ldt.selector = 0x48;
			s->sregs.ldt.unusable = 0; s->sregs.ldt.present = 1; break;
		case 2: { uint64_t gate = 0x0000ec0000080000ull; /* 64-bit call gate, DPL 3, P */
			memcpy(gdt + 24, &gate, 8); break; }
		case 3: memcpy(tss + 4, &v, 8); break;
		case 4: memcpy(tss + 36 + 16, &v, 8); break;
		case 5: s->sregs.tr.base = 0x7fff00000000ull; break;
		}
		s->ring0_guard = 0;
		if (!CHECK(!snap_ring0_only_by_exception_stack(s)))
			fprintf(stderr, "  %s: not seen\n", cases[i].what);
		s->sregs = saved;
		memcpy(gdt + 24, gdt_was, sizeof gdt_was);
		memcpy(tss, tss_was, sizeof tss_was);
	}
	/* And the restore follows it: light with the rule, full without. */
	s->ring0_guard = 0;
	CHECK(snap_ring0_only_by_exception_stack(s));
	fixture_u64(sb, "heap_sum", 2); /* a call that takes no fault */
	if (fixture_restore(sb, s))
		CHECK(!sandbox_last_restore(sb).full);
	s->ring0_guard = 2; /* as if it let ring 3 in */
	fixture_u64(sb, "heap_sum", 2); /* a call that takes no fault */
	if (fixture_restore(sb, s))
		CHECK(sandbox_last_restore(sb).full);
	s->ring0_guard = 0;
	mprotect(s->image, s->map_bytes, PROT_READ);
out:
	snap_unref(s);
	sandbox_destroy(sb);
}

/* After a full restore (KVM's shadow tables dropped), a call that only
 * reads the bookkeeping words on the exception-stack page must leave the
 * next restore light: with the page's leaf marked dirty KVM mapped it
 * writable on that read and logged it dirty, so every restore after a full
 * one was full again. */
static void test_reads_stay_light(enum sandbox_restore_strategy strategy)
{
	struct snapshot *s;
	struct sandbox_config c = config(strategy);
	struct sandbox *sb = fixture_sandbox_at_snapshot(elf, &c, &s);
	if (!s)
		goto out;
	fixture_u64(sb, "bump_pages", 5); /* copy-on-write under every strategy: full */
	if (!fixture_restore(sb, s))
		goto out;
	CHECK(sandbox_last_restore(sb).full);
	for (int i = 0; i < 3; i++) {
		call_void(sb, "read_generation", &(struct sb_err){ 0 });
		if (!fixture_restore(sb, s))
			break;
		if (!CHECK(!sandbox_last_restore(sb).full))
			fprintf(stderr, "  %s: restore %d after reading the generation word was full\n",
				sandbox_restore_strategy_name(strategy), i + 1);
	}
out:
	snap_unref(s);
	sandbox_destroy(sb);
}

/* A snapshot taken in a sandbox of one strategy, restored into a sandbox
 * of another (each pair): the second is what a fresh sandbox of its own
 * strategy from that snapshot is. (A host-cow sandbox's snapshot reads its
 * private copy; a retain sandbox's has its kept copies as ordinary pages.) */
static void test_cross_strategy(void)
{
	for (unsigned a = 0; a < SANDBOX_RESTORE__COUNT; a++)
		for (unsigned b = 0; b < SANDBOX_RESTORE__COUNT; b++) {
			struct snapshot *s0, *own, *s = NULL;
			struct sandbox_config ca = config((enum sandbox_restore_strategy)a);
			struct sandbox_config cb = config((enum sandbox_restore_strategy)b);
			struct sandbox *sa = fixture_sandbox_at_snapshot(elf, &ca, &s0);
			struct sandbox *sb = fixture_sandbox_at_snapshot(elf, &cb, &own);
			char what[96];
			snprintf(what, sizeof what, "a %s snapshot restored under %s",
				 sandbox_restore_strategy_name(a), sandbox_restore_strategy_name(b));
			if (s0) {
				fixture_u64(sa, "bump_pages", 6); /* 3 in place (host-cow), 3 copies */
				if (fixture_restore(sa, s0))
					fixture_u64(sa, "bump_pages", 6); /* kept copies (retain) */
				s = fixture_snapshot_of(sa);
			}
			if (s && fixture_restore(sb, s)) {
				guest_state_check_like_fresh(sb, s, guest_state_default_calls,
							     guest_state_n_default_calls, what);
				/* and back: sb's own snapshot into sa */
				struct snapshot *t = fixture_snapshot_of(sb);
				if (t && fixture_restore(sa, t))
					guest_state_check_like_fresh(sa, t, NULL, 0, what);
				snap_unref(t);
			}
			snap_unref(s);
			snap_unref(s0);
			snap_unref(own);
			sandbox_destroy(sa);
			sandbox_destroy(sb);
		}
}

int main(int argc, char **argv)
{
	elf = fixture_main(argc, argv, "REDTEAM_ELF");
	FIXTURE_RUN("HOSTCOW_ONLY", "in_place", test_in_place());
	FIXTURE_RUN("HOSTCOW_ONLY", "ring0_guard", test_ring0_guard());
	FIXTURE_RUN("HOSTCOW_ONLY", "cross_strategy", test_cross_strategy());
	for (unsigned i = 0; i < SANDBOX_RESTORE__COUNT; i++) {
		enum sandbox_restore_strategy st = (enum sandbox_restore_strategy)i;
		FIXTURE_RUN("HOSTCOW_ONLY", "ring0_tables", test_ring0_tables(st));
		FIXTURE_RUN("HOSTCOW_ONLY", "hot_pages", test_hot_pages(st));
		FIXTURE_RUN("HOSTCOW_ONLY", "reads_stay_light", test_reads_stay_light(st));
	}
	snap_unref(elf);
	return check_done();
}
