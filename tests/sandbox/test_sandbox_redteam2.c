/* test_sandbox_redteam2.c — the second red-team pass on the restore
 * contract (vmm/sandbox.h) and on the page-table guard
 * (common/sandbox_abi.h). Guest side: the "second pass" section of
 * guest/testguest_redteam.c. Every check FAILS when the attack works.
 *
 *   snap_after_create    sandbox_create from a CALL snapshot, then
 *                        sandbox_snapshot before any call
 *   snap_after_restore   sandbox_snapshot right after a restore: segment
 *                        selectors ring 3 changed before a light restore,
 *                        and a restore to a snapshot with another scratch size
 *   snap_file            a snapshot saved and loaded, restored into a
 *                        running sandbox (and back)
 *   zero_page            SB_PORT_ZERO_PAGE / SB_PORT_COPY_PAGE from ring 3
 *                        on the page tables, the top pages, the I/O headers,
 *                        then a restore: full where it must be, like fresh
 *   gate_args            the INT3 gate: non-canonical, wrapping, huge,
 *                        image, hidden pages, the runtime page's backing
 *   gate_ring0           INT3 (gate and real breakpoint) from ring 0
 *   msr_scan             every MSR ring 0 can read and change, after a
 *                        full restore
 *   xcr0                 ring 0 enables XCR0 components (CR4.OSXSAVE) and
 *                        dirties AVX state
 *   dr7_gd               ring 0 arms DR0/DR7 with general detect
 *   restore_fails        a host-side step of a restore fails: broken, never
 *                        ready
 *   scratch_resize       host writes after a scratch-size change
 * Usage: test_sandbox_redteam2 build/guest/testguest_redteam
 * REDTEAM2_ONLY=name[,name] runs a subset. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "fixture.h"
#include "guest_state.h"
#include "snap_file.h"

#define RT_PAGE_GVA 0xFFFFFF0000000000ull /* SB_RT_PAGE_GVA (guest/internal.h) */
#define USER_VA 0x0000300000000000ull
/* guest/guest.h: SB_MAP_* */
#define SB_MAP_WRITE_ 1u
#define SB_MAP_UNMAP_ 8u

static const char *elf_path;
static struct snapshot *elf;

static struct sandbox_config config(enum sandbox_guest_mode mode)
{
	return fixture_config_in(mode);
}


/* A sandbox (ring `mode`) and a CALL snapshot of it with 3 heap pages
 * dirtied; the sandbox runs from that snapshot. */
static struct sandbox *sandbox_with_snapshot(enum sandbox_guest_mode mode, struct snapshot **s)
{
	struct sandbox_config c = config(mode);
	return fixture_sandbox_at_snapshot(elf, &c, s);
}

/* test(sb, s) on sandbox_with_snapshot(mode): skipped when the snapshot
 * failed (a failed check already); both are freed after. */
static void at_snapshot(enum sandbox_guest_mode mode,
			void (*test)(struct sandbox *sb, struct snapshot *s))
{
	struct snapshot *s;
	struct sandbox *sb = sandbox_with_snapshot(mode, &s);
	if (s)
		test(sb, s);
	snap_unref(s);
	sandbox_destroy(sb);
}

/* After a call that may have upset the vCPU: the sandbox is not broken
 * and restores to `s` (a failed check, and false, if not). */
static bool still_restores(struct sandbox *sb, struct snapshot *s)
{
	return check_true_at(sandbox_status(sb) != SANDBOX_BROKEN, "sandbox not broken", __FILE__,
			     __LINE__) &&
	       fixture_restore(sb, s);
}

static const struct same_call calls[] = {
	{ "heap_sum", 1, 4 },	       { "read_generation", 0, 0 }, { "fpu_control", 1, 0 },
	{ "scratch_next_free", 0, 0 }, { "touch_pages", 1, 2 },     { "heap_sum", 1, 4 },
	{ "rt_read_input", 1, 4096 },  { "rt2_sidt", 0, 0 },
};

static unsigned like_fresh(struct sandbox *sb, struct snapshot *s, const char *what)
{
	return guest_state_check_like_fresh(sb, s, calls, sizeof calls / sizeof calls[0], what);
}

/* The same calls on two sandboxes give the same answers (a snapshot and
 * what should be the same snapshot). */
static void same_answers(struct snapshot *want, struct snapshot *got, enum sandbox_guest_mode mode,
			 const char *what)
{
	struct sandbox_config c = config(mode);
	struct sandbox *a = fixture_sandbox(want, &c), *b = fixture_sandbox(got, &c);
	static const struct same_call more[] = {
		/* not read_generation: a snapshot is one generation past its source */
		{ "heap_sum", 1, 4 }, { "rt2_sidt", 0, 0 }, { "touch_pages", 1, 2 },
		{ "heap_sum", 1, 4 }, { "scratch_next_free", 0, 0 },
	};
	guest_state_same_calls(a, b, more, sizeof more / sizeof more[0], what);
	sandbox_destroy(a);
	sandbox_destroy(b);
}

/* The fields of the special registers a guest can see: everything but the
 * interrupt bitmap (no interrupt controller). */
static bool same_sregs(const struct kvm_sregs *a, const struct kvm_sregs *b, const char *what)
{
	bool ok = true;
#define SEG(f)                                                                             \
	if (a->f.selector != b->f.selector || a->f.base != b->f.base || a->f.dpl != b->f.dpl ||   \
	    a->f.type != b->f.type || a->f.present != b->f.present || a->f.l != b->f.l) {       \
		ok = false;                                                                   \
		fprintf(stderr, "  %s: sregs." #f ": selector 0x%x base 0x%llx dpl %u type %u, want " \
			"0x%x 0x%llx %u %u\n", what, b->f.selector, (unsigned long long)b->f.base,  \
			b->f.dpl, b->f.type, a->f.selector, (unsigned long long)a->f.base, a->f.dpl, \
			a->f.type);                                                            \
	}
#define REG(f)                                                                             \
	if (a->f != b->f) {                                                                \
		ok = false;                                                                   \
		fprintf(stderr, "  %s: sregs." #f " 0x%llx, want 0x%llx\n", what,                \
			(unsigned long long)b->f, (unsigned long long)a->f);                   \
	}
	SEG(cs) SEG(ds) SEG(es) SEG(fs) SEG(gs) SEG(ss) SEG(tr)
	REG(cr0) REG(cr3) REG(cr4) REG(efer) REG(gdt.base) REG(idt.base) REG(gdt.limit)
	REG(idt.limit)
#undef SEG
#undef REG
	return check_true_at(ok, what, __FILE__, __LINE__);
}

/* ---- snap_after_create --------------------------------------------------- */

static void test_snap_after_create(void)
{
	struct snapshot *s;
	struct sandbox *sb = sandbox_with_snapshot(SANDBOX_MODE_USER, &s);
	sandbox_destroy(sb);
	if (!s)
		return;
	struct sandbox_config c = config(SANDBOX_MODE_USER);
	sb = fixture_sandbox(s, &c); /* a CALL snapshot: no init, no run yet */
	struct snapshot *s2 = NULL;
	struct sb_err err;
	int rc = sandbox_snapshot(sb, &s2, &err);
	if (!CHECK_I64(rc, 0)) {
		fprintf(stderr, "  snap_after_create: sandbox_snapshot of a sandbox created from a "
			"CALL snapshot, before any call: %s\n", err.msg);
	} else {
		fprintf(stderr, "  snap_after_create: snapshot taken: CR0 0x%llx CR3 0x%llx CS dpl %u "
			"(the source has CR0 0x%llx CR3 0x%llx CS dpl %u)\n",
			(unsigned long long)s2->sregs.cr0, (unsigned long long)s2->sregs.cr3,
			s2->sregs.cs.dpl, (unsigned long long)s->sregs.cr0,
			(unsigned long long)s->sregs.cr3, s->sregs.cs.dpl);
		same_sregs(&s->sregs, &s2->sregs, "snap_after_create: snapshot's sregs");
		same_answers(s, s2, SANDBOX_MODE_USER, "snap_after_create: a sandbox from it");
	}
	/* After one call the sandbox's registers are KVM's: a snapshot then works. */
	snap_unref(s2);
	s2 = NULL;
	snap_unref(s);
	sandbox_destroy(sb);
}

/* ---- snap_after_restore -------------------------------------------------- */

static void test_snap_after_restore_segs(void)
{
	struct snapshot *s;
	struct sandbox *sb = sandbox_with_snapshot(SANDBOX_MODE_USER, &s);
	struct sb_err err;
	uint64_t before = 0, after = 0;
	if (!s)
		goto out;
	uint64_t a0[2] = { 0, 0 };
	call_u64s(sb, "rt2_segs", a0, 2, &before, &err);
	/* Ring 3 loads its own data selector (0x2b) into DS, ES, FS and GS:
	 * its own registers, a plain call with no fault, a light restore. */
	uint64_t a[2] = { 0x2b, 15 };
	if (!CHECK_I64(call_u64s(sb, "rt2_segs", a, 2, &after, &err), 0))
		fprintf(stderr, "  snap_after_restore: rt2_segs: %s\n", err.msg);
	fprintf(stderr, "  snap_after_restore: selectors 0x%016llx -> 0x%016llx\n",
		(unsigned long long)before, (unsigned long long)after);
	struct kvm_sregs k;
	if (ioctl(sb->vcpu->fd, KVM_GET_SREGS, &k) == 0)
		fprintf(stderr, "  snap_after_restore: KVM's sregs after the call: DS 0x%x FS 0x%x GS 0x%x "
			"(the snapshot has DS 0x%x FS 0x%x GS 0x%x)\n", k.ds.selector, k.fs.selector,
			k.gs.selector, s->sregs.ds.selector, s->sregs.fs.selector, s->sregs.gs.selector);
	if (!fixture_restore(sb, s))
		goto out;
	fprintf(stderr, "  snap_after_restore: restore was %s\n",
		sandbox_last_restore(sb).full ? "full" : "light");
	struct snapshot *s2 = fixture_snapshot_of(sb);
	if (s2) {
		same_sregs(&s->sregs, &s2->sregs, "snap_after_restore (selectors): snapshot's sregs");
		struct sandbox_config c = config(SANDBOX_MODE_USER);
		struct sandbox *f1 = fixture_sandbox(s, &c), *f2 = fixture_sandbox(s2, &c);
		uint64_t g1 = 0, g2 = 0;
		call_u64s(f1, "rt2_segs", a0, 2, &g1, &err);
		call_u64s(f2, "rt2_segs", a0, 2, &g2, &err);
		if (!CHECK_U64(g2, g1))
			fprintf(stderr, "  snap_after_restore (selectors): a sandbox from the snapshot taken "
				"after the restore starts with selectors 0x%016llx; one from the snapshot "
				"restored, 0x%016llx\n", (unsigned long long)g2, (unsigned long long)g1);
		sandbox_destroy(f1);
		sandbox_destroy(f2);
		same_answers(s, s2, SANDBOX_MODE_USER, "snap_after_restore (selectors): a sandbox from it");
	}
	snap_unref(s2);
out:
	snap_unref(s);
	sandbox_destroy(sb);
}

/* Ring 0 changes a control register (CR4.OSXSAVE; the XSETBV after it
 * fails here, which poisons), then a full restore and a snapshot. */
static void test_snap_after_restore_kernel(void)
{
	struct snapshot *s;
	struct sandbox *sb = sandbox_with_snapshot(SANDBOX_MODE_KERNEL, &s);
	struct sb_err err;
	uint64_t r = 0, cr4_fresh = 0, cr4_s2 = 0;
	struct snapshot *s2 = NULL;
	if (!s)
		goto out;
	call_u64s(sb, "rt2_cr", (uint64_t[]){ 4 }, 1, &cr4_fresh, &err);
	call_u64s(sb, "rt2_xcr0", (uint64_t[]){ 7, 0 }, 2, &r, &err);
	if (sandbox_status(sb) == SANDBOX_BROKEN || !fixture_restore(sb, s))
		goto out;
	s2 = fixture_snapshot_of(sb);
	if (!s2)
		goto out;
	same_sregs(&s->sregs, &s2->sregs, "snap_after_restore (ring 0, CR4): snapshot's sregs");
	struct sandbox_config c = config(SANDBOX_MODE_KERNEL);
	struct sandbox *f2 = fixture_sandbox(s2, &c);
	call_u64s(f2, "rt2_cr", (uint64_t[]){ 4 }, 1, &cr4_s2, &err);
	if (!CHECK_U64(cr4_s2, cr4_fresh))
		fprintf(stderr, "  snap_after_restore (ring 0, CR4): a sandbox from the snapshot taken "
			"after the restore runs with CR4 0x%llx; the snapshot restored has 0x%llx\n",
			(unsigned long long)cr4_s2, (unsigned long long)cr4_fresh);
	sandbox_destroy(f2);
out:
	snap_unref(s2);
	snap_unref(s);
	sandbox_destroy(sb);
}

static void test_snap_after_restore_layout(void)
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
	struct snapshot *sa = fixture_snapshot_of(a), *sbig = fixture_snapshot_of(b), *s2 = NULL;
	if (!sa || !sbig)
		goto out;
	if (!fixture_restore(a, sa) || !fixture_restore(a, sbig))
		goto out;
	/* `a` is now what sbig is: its snapshot should be sbig again. */
	int rc = sandbox_snapshot(a, &s2, &err);
	if (!CHECK_I64(rc, 0)) {
		fprintf(stderr, "  snap_after_restore (other scratch size): %s\n", err.msg);
		goto out;
	}
	fprintf(stderr, "  snap_after_restore (other scratch size): snapshot CR3 0x%llx, the "
		"restored snapshot's page tables at 0x%llx\n", (unsigned long long)s2->sregs.cr3,
		(unsigned long long)layout_pt_base_gpa(&sbig->layout));
	same_sregs(&sbig->sregs, &s2->sregs, "snap_after_restore (other scratch size): sregs");
	/* retain takes full snapshots (its kept copies change pages with no
	 * table written); the others share with sbig. */
	bool retain = fixture_config().restore_strategy == SANDBOX_RESTORE_RETAIN;
	CHECK_I64(s2->stats.incremental, !retain);
	if (retain) {
		CHECK_U64(s2->stats.pages_mapped, sbig->stats.pages_mapped);
	} else {
		/* Nothing ran since the restore: no table walked, nothing new,
		 * every page sbig's. */
		CHECK_U64(s2->stats.pages_mapped, 0);
		CHECK_U64(s2->stats.bytes_new, 0);
		CHECK_U64(s2->stats.pages_shared, layout_snapshot_bytes(&sbig->layout) / SB_PAGE_SIZE);
		CHECK(snap_equal(s2, sbig)); /* the same bytes: the same digest */
	}
	same_answers(sbig, s2, SANDBOX_MODE_USER,
		     "snap_after_restore (other scratch size): a sandbox from it");
out:
	snap_unref(s2);
	snap_unref(sa);
	snap_unref(sbig);
	snap_unref(base_big);
	sandbox_destroy(a);
	sandbox_destroy(b);
}

/* ---- snap_file ------------------------------------------------------------ */

static void test_snap_file(void)
{
	struct snapshot *s, *loaded = NULL;
	struct sandbox *sb = sandbox_with_snapshot(SANDBOX_MODE_USER, &s);
	struct sb_err err;
	char path[] = "/tmp/snapbench-redteam2-XXXXXX";
	int fd = mkstemp(path);
	if (!s || fd < 0)
		goto out;
	close(fd);
	if (!CHECK_I64(snap_save(s, path, &err), 0) ||
	    !CHECK_I64(snap_load(&loaded, path, SNAP_LOAD_VERIFY, &err), 0)) {
		fprintf(stderr, "  snap_file: %s\n", err.msg);
		goto out;
	}
	same_sregs(&s->sregs, &loaded->sregs, "snap_file: loaded sregs");
	CHECK_U64(loaded->generation, s->generation);
	CHECK_U64(loaded->entry_gva, s->entry_gva);
	CHECK_U64(loaded->stack_top_gva, s->stack_top_gva);
	same_answers(s, loaded, SANDBOX_MODE_USER, "snap_file: a sandbox from the loaded file");
	uint64_t a[2] = { 0xFEED, 0 }, r;
	call_u64s(sb, "scribble", a, 2, &r, &err);
	if (fixture_restore(sb, loaded)) {
		CHECK(sandbox_last_restore(sb).full);
		like_fresh(sb, loaded, "snap_file: restore of the loaded snapshot");
	}
	call_u64s(sb, "touch_pages", (uint64_t[]){ 5 }, 1, &r, &err);
	if (fixture_restore(sb, s))
		like_fresh(sb, s, "snap_file: back to the in-memory snapshot");
	/* And the snapshot of a sandbox running the file. */
	if (fixture_restore(sb, loaded)) {
		call_u64s(sb, "touch_pages", (uint64_t[]){ 2 }, 1, &r, &err);
		struct snapshot *s3 = fixture_snapshot_of(sb);
		if (s3 && fixture_restore(sb, s3))
			like_fresh(sb, s3, "snap_file: snapshot of a sandbox running the loaded file");
		snap_unref(s3);
	}
out:
	unlink(path);
	snap_unref(loaded);
	snap_unref(s);
	sandbox_destroy(sb);
}

/* ---- zero_page -------------------------------------------------------------- */

static void zero_one(const char *name, uint64_t off, bool must_be_full, bool copy, bool copy_self)
{
	struct snapshot *s;
	struct sandbox *sb = sandbox_with_snapshot(SANDBOX_MODE_USER, &s);
	struct sb_err err;
	uint64_t r;
	char what[128];
	snprintf(what, sizeof what, "%s %s from ring 3", copy ? "copy_page into" : "zero_page on",
		 name);
	(void)copy_self;
	if (!s)
		goto out;
	const struct layout *l = &s->layout;
	gpa_t gpa = layout_scratch_base_gpa(l) + off;
	int rc;
	if (copy)
		rc = call_u64s(sb, "rt_copy_page", (uint64_t[]){ copy_self ? gpa : SB_BASE_ADDRESS, gpa }, 2,
			   &r, &err);
	else
		rc = call_u64s(sb, "rt2_zero_page", (uint64_t[]){ gpa }, 1, &r, &err);
	fprintf(stderr, "  %s: %s (sandbox %s)\n", what, rc ? err.msg : "the call returned",
		sandbox_state_name(sandbox_status(sb)));
	if (!CHECK(sandbox_status(sb) != SANDBOX_BROKEN)) {
		fprintf(stderr, "  %s: the guest broke the sandbox: %s\n", what,
			sandbox_status_reason(sb));
		goto out;
	}
	if (!fixture_restore(sb, s))
		goto out;
	bool full = sandbox_last_restore(sb).full;
	if (must_be_full && !check_true_at(full, what, __FILE__, __LINE__))
		fprintf(stderr, "  %s: the restore after it was light (the host wrote a page "
			"that holds page tables or the exception stack)\n", what);
	like_fresh(sb, s, what);
	/* A second round on the same sandbox, with a call in between that
	 * takes no fault: the next light restore must be clean too. */
	if (!copy)
		call_u64s(sb, "rt2_zero_page", (uint64_t[]){ gpa }, 1, &r, &err);
	call_u64s(sb, "heap_sum", (uint64_t[]){ 4 }, 1, &r, &err);
	if (fixture_restore(sb, s))
		like_fresh(sb, s, what);
out:
	snap_unref(s);
	sandbox_destroy(sb);
}

static void test_zero_page(void)
{
	const struct layout *l = &elf->layout;
	struct snapshot *s;
	struct sandbox *probe = sandbox_with_snapshot(SANDBOX_MODE_USER, &s);
	sandbox_destroy(probe);
	if (!s)
		return;
	l = &s->layout;
	uint64_t bytes = layout_scratch_bytes(l);
	uint64_t pt = layout_pt_scratch_offset(l), pt_pages = sb_page_round_up(layout_pt_bytes(l)) / SB_PAGE_SIZE;
	struct {
		const char *name;
		uint64_t off;
		bool full;
	} t[] = {
		{ "the PML4 (first page-table page)", pt, true },
		{ "the last page-table page", pt + (pt_pages - 1) * SB_PAGE_SIZE, true },
		{ "the exception-stack page", bytes - 2 * SB_PAGE_SIZE, true },
		{ "the bookkeeping page", bytes - SB_PAGE_SIZE, true },
		{ "the undo-log page", sb_undo_log_offset(bytes), false },
		{ "the input buffer's first page", layout_input_scratch_offset(l), false },
		{ "the output buffer's first page", layout_output_scratch_offset(l), false },
		{ "a free page", layout_free_scratch_offset(l) + 4 * SB_PAGE_SIZE, false },
		{ "the call stack's top page", sb_undo_log_offset(bytes) - SB_PAGE_SIZE, false },
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		zero_one(t[i].name, t[i].off, t[i].full, false, false);
		zero_one(t[i].name, t[i].off, t[i].full, true, false);
	}
	/* A host write that leaves the guest running: each page-table page
	 * copied over itself (the host marks it written; the decision must
	 * see it). */
	for (uint64_t p = 0; p < pt_pages; p++) {
		char name[64];
		snprintf(name, sizeof name, "page-table page %llu (over itself)", (unsigned long long)p);
		zero_one(name, pt + p * SB_PAGE_SIZE, true, true, true);
	}
	snap_unref(s);
}

/* ---- gate_args -------------------------------------------------------------- */

static uint64_t gate(struct sandbox *sb, uint64_t op, uint64_t va, uint64_t gpa, uint64_t pages,
		     uint64_t flags, int *rc, struct sb_err *err)
{
	uint64_t r = ~0ull;
	*rc = call_u64s(sb, "rt2_gate", (uint64_t[]){ op, va, gpa, pages, flags }, 5, &r, err);
	return r;
}

static void test_gate_args(void)
{
	struct snapshot *s;
	struct sandbox *sb = sandbox_with_snapshot(SANDBOX_MODE_USER, &s);
	struct sb_err err;
	int rc;
	if (!s)
		goto out;
	const struct layout *l = &s->layout;
	gpa_t sbase = layout_scratch_base_gpa(l);
	gpa_t pml4 = layout_pt_base_gpa(l);
	gpa_t free_page = sbase + layout_free_scratch_offset(l) + 6 * SB_PAGE_SIZE;
	gva_t win = layout_scratch_base_gva(l);
	gva_t pml4_win = win + (pml4 - sbase);
	struct {
		const char *name;
		uint64_t va, gpa, pages, flags;
	} bad[] = {
		/* PML4 slot 511 / 510 written as non-canonical addresses */
		{ "non-canonical VA in PML4 slot 511 (the window)", pml4_win & 0x0000FFFFFFFFFFFFull,
		  free_page, 1, SB_MAP_WRITE_ },
		{ "non-canonical VA in PML4 slot 510 (the runtime page)",
		  RT_PAGE_GVA & 0x0000FFFFFFFFFFFFull, free_page, 1, SB_MAP_WRITE_ },
		{ "unmap, non-canonical VA of the window's PML4 page", pml4_win & 0x0000FFFFFFFFFFFFull,
		  0, 1, SB_MAP_UNMAP_ },
		{ "a range that wraps to the runtime page", RT_PAGE_GVA - SB_PAGE_SIZE, free_page, 2,
		  SB_MAP_WRITE_ },
		{ "a range that wraps around 2^64", 0xFFFFFFFFFFFFF000ull, free_page, 2, SB_MAP_WRITE_ },
		{ "2^52 pages", USER_VA, free_page, 1ull << 52, SB_MAP_WRITE_ },
		{ "513 pages", USER_VA, free_page, 513, SB_MAP_WRITE_ },
		{ "the PML4 (hidden)", USER_VA, pml4, 1, SB_MAP_WRITE_ },
		{ "the PML4 with bit 63 set in the GPA", USER_VA, pml4 | (1ull << 63), 1, SB_MAP_WRITE_ },
		{ "the PML4 with bit 52 set in the GPA", USER_VA, pml4 | (1ull << 52), 1, SB_MAP_WRITE_ },
		{ "the guest image (code at 0x1000)", SB_BASE_ADDRESS, free_page, 1, SB_MAP_WRITE_ },
		{ "unmapping the guest image", SB_BASE_ADDRESS, 0, 1, SB_MAP_UNMAP_ },
		{ "unknown flags", USER_VA, free_page, 1, 0x10 },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		uint64_t st = gate(sb, 0, bad[i].va, bad[i].gpa, bad[i].pages, bad[i].flags, &rc, &err);
		bool refused = rc == 0 && st != PT_OK;
		if (!check_true_at(refused, bad[i].name, __FILE__, __LINE__))
			fprintf(stderr, "  gate_args: %s (VA 0x%llx, GPA 0x%llx, %llu pages): %s, status "
				"%llu\n", bad[i].name, (unsigned long long)bad[i].va,
				(unsigned long long)bad[i].gpa, (unsigned long long)bad[i].pages,
				rc ? err.msg : "accepted", (unsigned long long)st);
		if (sandbox_status(sb) != SANDBOX_READY)
			fixture_restore(sb, s);
	}
	/* Whatever got through: ring 3 must still not reach the PML4. */
	uint64_t v;
	rc = call_u64s(sb, "peek", (uint64_t[]){ pml4_win }, 1, &v, &err);
	if (!CHECK(rc != 0))
		fprintf(stderr, "  gate_args: ring 3 reads the PML4 through the window: 0x%llx\n",
			(unsigned long long)v);
	fixture_restore(sb, s);

	/* The runtime page (IDT, GDT, TSS): where does it live in a sandbox
	 * running a CALL snapshot, and can ring 3 map it? */
	uint64_t e = gate(sb, 1, RT_PAGE_GVA, 0, 0, 0, &rc, &err);
	if (rc == 0) {
		gpa_t rt_gpa = e & PT_X86_64_ADDR_MASK;
		fprintf(stderr, "  gate_args: the runtime page is at GPA 0x%llx (%s), entry 0x%llx\n",
			(unsigned long long)rt_gpa,
			rt_gpa >= sbase ? "scratch" : "the snapshot image", (unsigned long long)e);
		uint64_t st = gate(sb, 0, USER_VA, rt_gpa, 1, 0, &rc, &err);
		uint64_t idt0 = 0;
		int rrc = -1;
		if (rc == 0 && st == PT_OK)
			rrc = call_u64s(sb, "peek", (uint64_t[]){ USER_VA }, 1, &idt0, &err);
		if (!check_true_at(!(rc == 0 && st == PT_OK && rrc == 0),
				   "ring 3 cannot map the runtime page", __FILE__, __LINE__))
			fprintf(stderr, "  gate_args: ring 3 mapped the runtime page (IDT, GDT, TSS) at "
				"0x%llx and read IDT gate 0, low word: 0x%llx (sandbox_abi.h: the runtime page "
				"is hidden from ring 3)\n", (unsigned long long)USER_VA,
				(unsigned long long)idt0);
	} else {
		fprintf(stderr, "  gate_args: lookup of the runtime page: %s\n", err.msg);
	}
	fixture_restore(sb, s);
	/* A page mapped twice, and unmapped: fine, and restored away. */
	gate(sb, 0, USER_VA, free_page, 1, SB_MAP_WRITE_, &rc, &err);
	gate(sb, 0, USER_VA + SB_PAGE_SIZE, free_page, 1, SB_MAP_WRITE_, &rc, &err);
	call_u64s(sb, "poke", (uint64_t[]){ USER_VA, 0x1234 }, 2, NULL, &err);
	if (fixture_restore(sb, s))
		like_fresh(sb, s, "gate_args: after aliasing a free page");
out:
	snap_unref(s);
	sandbox_destroy(sb);
}

/* ---- gate_ring0 --------------------------------------------------------------- */

static void test_gate_ring0(void)
{
	struct snapshot *s;
	struct sandbox *sb = sandbox_with_snapshot(SANDBOX_MODE_KERNEL, &s);
	struct sb_err err;
	int rc;
	if (!s)
		goto out;
	const struct layout *l = &s->layout;
	gpa_t free_page = layout_scratch_base_gpa(l) + layout_free_scratch_offset(l) + 6 * SB_PAGE_SIZE;
	uint64_t st = gate(sb, 0, USER_VA, free_page, 1, SB_MAP_WRITE_, &rc, &err);
	fprintf(stderr, "  gate_ring0: INT3 gate from ring 0: %s (status %llu), sandbox %s\n",
		rc ? err.msg : "returned", (unsigned long long)st,
		sandbox_state_name(sandbox_status(sb)));
	if (!CHECK(sandbox_status(sb) != SANDBOX_BROKEN))
		goto out;
	if (fixture_restore(sb, s))
		like_fresh(sb, s, "gate_ring0: after INT3 (gate) from ring 0");
	rc = call_u64s(sb, "rt2_int3", NULL, 0, NULL, &err);
	fprintf(stderr, "  gate_ring0: plain INT3 from ring 0: %s\n", rc ? err.msg : "returned");
	CHECK(rc != 0);
	if (!CHECK(sandbox_status(sb) != SANDBOX_BROKEN))
		goto out;
	if (fixture_restore(sb, s))
		like_fresh(sb, s, "gate_ring0: after a real breakpoint in ring 0");
out:
	snap_unref(s);
	sandbox_destroy(sb);
	/* And a real breakpoint from ring 3. */
	sb = sandbox_with_snapshot(SANDBOX_MODE_USER, &s);
	if (s) {
		rc = call_u64s(sb, "rt2_int3", NULL, 0, NULL, &err);
		CHECK(rc != 0 && strstr(err.msg, "breakpoint"));
		if (fixture_restore(sb, s))
			like_fresh(sb, s, "gate_ring0: after a real breakpoint in ring 3");
	}
	snap_unref(s);
	sandbox_destroy(sb);
}

/* ---- msr_scan ------------------------------------------------------------------ */

struct msr_range {
	uint32_t first, n;
};

static void test_msr_scan(struct sandbox *sb, struct snapshot *s)
{
	static const struct msr_range ranges[] = {
		{ 0x0, 0x2000 },	  { 0xC0000000, 0x400 }, { 0xC0010000, 0x400 },
		{ 0xC0011000, 0x100 }, { 0x4b564d00, 0x100 }, { 0x40000000, 0x100 },
		{ 0xC0002000, 0x200 },
	};
	struct sb_err err;
	struct {
		uint64_t idx, old, new;
	} found[512];
	unsigned nfound = 0;
	bool restored_last = false; /* nothing ran since the last restore */
	for (size_t r = 0; r < sizeof ranges / sizeof ranges[0]; r++) {
		for (uint32_t at = 0; at < ranges[r].n; at += 256) {
			struct sb_value a[2] = { v_u64(ranges[r].first + at), v_u64(256) }, ret;
			if (sandbox_call(sb, "rt2_msr_scan", a, 2, &ret, &err)) {
				fprintf(stderr, "  msr_scan: 0x%x..: %s\n", ranges[r].first + at, err.msg);
				if (sandbox_status(sb) == SANDBOX_BROKEN)
					return;
				restored_last = fixture_restore(sb, s);
				continue;
			}
			restored_last = false;
			for (uint32_t k = 0; k + 24 <= ret.as.buf.len && nfound < 512; k += 24)
				memcpy(&found[nfound++], ret.as.buf.ptr + k, 24);
		}
	}
	fprintf(stderr, "  msr_scan: %u MSRs ring 0 can change\n", nfound);
	if (!fixture_restore(sb, s))
		return;
	/* Full, unless the last scan failed and its restore (full) was the
	 * last thing to run: then nothing ran since, and this one is light. */
	CHECK(sandbox_last_restore(sb).full || restored_last);
	struct sandbox_config c = config(SANDBOX_MODE_KERNEL);
	struct sandbox *fresh = fixture_sandbox(s, &c);
	unsigned survived = 0;
	for (unsigned i = 0; i < nfound; i++) {
		uint64_t got = 0, want = 0;
		int rg = call_u64s(sb, "rt2_rdmsr_safe", &found[i].idx, 1, &got, &err);
		int rw = call_u64s(fresh, "rt2_rdmsr_safe", &found[i].idx, 1, &want, &err);
		bool in_list = false;
		for (uint32_t j = 0; j < sb->fresh.msrs.h.nmsrs; j++)
			in_list |= sb->fresh.msrs.e[j].index == found[i].idx;
		bool bad = rg == rw && got != want && got == found[i].new;
		fprintf(stderr, "  msr 0x%llx: fresh 0x%llx, guest wrote -> 0x%llx, after restore 0x%llx, "
			"fresh sandbox 0x%llx%s%s\n", (unsigned long long)found[i].idx,
			(unsigned long long)found[i].old, (unsigned long long)found[i].new,
			(unsigned long long)got, (unsigned long long)want,
			in_list ? " (in the reset list)" : " (not in the reset list)",
			bad ? "  <== SURVIVES THE RESTORE" : "");
		char name[64];
		snprintf(name, sizeof name, "msr 0x%llx reset by a full restore",
			 (unsigned long long)found[i].idx);
		survived += !check_true_at(!bad, name, __FILE__, __LINE__);
	}
	fprintf(stderr, "  msr_scan: %u survive a full restore\n", survived);
	sandbox_destroy(fresh);
}

/* ---- xcr0 ------------------------------------------------------------------------ */

static void test_xcr0(struct sandbox *sb, struct snapshot *s)
{
	struct sb_err err;
	uint64_t r = 0;
	static const uint64_t xcr0s[] = { 0x7, 0xE7, 0x3 };
	for (size_t i = 0; i < sizeof xcr0s / sizeof xcr0s[0]; i++) {
		for (uint64_t ymm = 0; ymm < 2; ymm++) {
			int rc = call_u64s(sb, "rt2_xcr0", (uint64_t[]){ xcr0s[i], ymm }, 2, &r, &err);
			fprintf(stderr, "  xcr0: XCR0 0x%llx%s: %s 0x%llx\n",
				(unsigned long long)xcr0s[i], ymm ? " + YMM0" : "",
				rc ? err.msg : "XGETBV", (unsigned long long)r);
			if (!still_restores(sb, s))
				return;
			char what[64];
			snprintf(what, sizeof what, "xcr0 0x%llx%s", (unsigned long long)xcr0s[i],
				 ymm ? " + ymm" : "");
			like_fresh(sb, s, what);
		}
	}
	/* The restore in the other order: a user-mode sandbox takes the
	 * kernel sandbox's dirty state? (The vCPUs are separate; this is the
	 * same sandbox going to a ring-3 snapshot.) */
	struct snapshot *su;
	struct sandbox *u = sandbox_with_snapshot(SANDBOX_MODE_USER, &su);
	if (su) {
		call_u64s(sb, "rt2_xcr0", (uint64_t[]){ 0xE7, 1 }, 2, &r, &err);
		if (fixture_restore(sb, su))
			like_fresh(sb, su, "xcr0: then a restore to a ring-3 snapshot");
	}
	snap_unref(su);
	sandbox_destroy(u);
}

/* ---- forged_undo --------------------------------------------------------------------- */

/* A forged undo-log entry (issue 12): ring 0 logs "PML4[0] was 0" after a
 * call that took copy-on-write faults. A restore that trusted the log (or
 * a rewind that replayed it and stopped there) would leave PML4[0] zero:
 * every restore "succeeds" and every call after it times out. The host
 * never reads the log, so every restore and call after it must work, the
 * sandbox as fresh, each time. */
static void test_forged_undo(struct sandbox *sb, struct snapshot *s)
{
	const gva_t log = sb_undo_log_gva();
	const uint64_t pml4 = layout_pt_base_gpa(&s->layout);
	struct sb_err err;
	uint64_t r;
	for (int round = 0; round < 3; round++) {
		if (!CHECK_I64(call_u64s(sb, "touch_pages", (uint64_t[]){ 2 }, 1, &r, &err), 0))
			return;
		static const size_t at[] = { 0, 8, 32, 40 }; /* count, overflow, e[0] */
		const uint64_t v[] = { 1, 0, pml4, 0 };
		for (size_t i = 0; i < 4; i++)
			if (!CHECK_I64(call_u64s(sb, "rt2_poke", (uint64_t[]){ log + at[i], v[i] }, 2,
						 &r, &err),
				       0))
				fprintf(stderr, "  forged_undo: poke +%zu: %s\n", at[i], err.msg);
		/* the forgery is in place: the log names PML4[0] with old value 0 */
		uint64_t got[2] = { 0, 0 };
		CHECK_I64(call_u64s(sb, "peek", (uint64_t[]){ log + 32 }, 1, &got[0], &err), 0);
		CHECK_I64(call_u64s(sb, "peek", (uint64_t[]){ log }, 1, &got[1], &err), 0);
		CHECK_U64(got[0], pml4);
		CHECK_U64(got[1], 1);
		if (!still_restores(sb, s))
			return;
		/* touches a page: needs the tables PML4[0] leads through */
		if (!CHECK_I64(call_u64s(sb, "touch_pages", (uint64_t[]){ 1 }, 1, &r, &err), 0)) {
			fprintf(stderr, "  forged_undo: the call after restore %d: %s\n", round, err.msg);
			return;
		}
		if (!still_restores(sb, s))
			return;
		like_fresh(sb, s, "forged undo log");
	}
}

/* ---- dr7_gd ------------------------------------------------------------------------ */

static void test_dr7(struct sandbox *sb, struct snapshot *s)
{
	struct sb_err err;
	uint64_t r = 0;
	/* DR0 on the dispatch entry (execute, L0 | G0), and GD. */
	uint64_t dr7s[] = { 0x2403, 0x403, 0x2400 };
	for (size_t i = 0; i < sizeof dr7s / sizeof dr7s[0]; i++) {
		int rc = call_u64s(sb, "rt2_dr", (uint64_t[]){ s->entry_gva, dr7s[i] }, 2, &r, &err);
		fprintf(stderr, "  dr7: DR7 0x%llx: %s (old DR7 0x%llx)\n", (unsigned long long)dr7s[i],
			rc ? err.msg : "set", (unsigned long long)r);
		int64_t sum = 0;
		rc = call_i64_2(sb, "add", 2, 3, &sum, &err);
		fprintf(stderr, "  dr7: the next call without a restore: %s\n", rc ? err.msg : "ok");
		if (!still_restores(sb, s))
			return;
		rc = call_i64_2(sb, "add", 2, 3, &sum, &err);
		if (!CHECK(rc == 0 && sum == 5))
			fprintf(stderr, "  dr7: add after the restore: %s\n", rc ? err.msg : "wrong");
		fixture_restore(sb, s);
		like_fresh(sb, s, "dr7");
	}
}

/* ---- restore_fails --------------------------------------------------------------- */

static void sabotaged_restore(bool vm_fd, const char *what)
{
	struct snapshot *s, *other = NULL;
	struct sandbox *sb = sandbox_with_snapshot(SANDBOX_MODE_USER, &s);
	struct sb_err err;
	uint64_t r;
	if (!s)
		goto out;
	/* Another snapshot, so the restore has slots to change. */
	call_u64s(sb, "touch_pages", (uint64_t[]){ 6 }, 1, &r, &err);
	other = fixture_snapshot_of(sb);
	fixture_restore(sb, s);
	call_u64s(sb, "touch_pages", (uint64_t[]){ 2 }, 1, &r, &err);
	int fd = vm_fd ? sb->vm->fd : sb->vcpu->fd;
	int saved = dup(fd), nul = open("/dev/null", O_RDWR);
	dup2(nul, fd);
	int rc = (sandbox_restore)(sb, other ? other : s, &err); /* sabotaged: not pooled */
	dup2(saved, fd);
	close(saved);
	close(nul);
	fprintf(stderr, "  restore_fails (%s): restore %s: %s; sandbox %s\n", what,
		rc ? "failed" : "succeeded", rc ? err.msg : "", sandbox_state_name(sandbox_status(sb)));
	if (rc == 0) {
		/* It went through: it must then be a real restore. */
		like_fresh(sb, other ? other : s, what);
		goto out;
	}
	CHECK_U64(sandbox_status(sb), SANDBOX_BROKEN);
	int64_t sum;
	CHECK(call_i64_2(sb, "add", 2, 3, &sum, &err) != 0);
	CHECK((sandbox_restore)(sb, s, &err) != 0);
	struct snapshot *x = NULL;
	CHECK(sandbox_snapshot(sb, &x, &err) != 0);
	snap_unref(x);
out:
	snap_unref(other);
	snap_unref(s);
	sandbox_destroy(sb);
}

static void test_restore_fails(void)
{
	sabotaged_restore(false, "vCPU ioctls fail");
	sabotaged_restore(true, "VM ioctls fail");
}

/* ---- scratch_resize ---------------------------------------------------------------- */

static void test_scratch_resize(void)
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
	const struct layout *lb = &sbig->layout;
	gpa_t pt = layout_pt_base_gpa(lb);
	gpa_t freep = layout_scratch_base_gpa(lb) + layout_free_scratch_offset(lb) + 100 * SB_PAGE_SIZE;
	if (!fixture_restore(a, sbig))
		goto out;
	call_u64s(a, "rt2_zero_page", (uint64_t[]){ freep }, 1, &r, &err);
	call_u64s(a, "rt_copy_page", (uint64_t[]){ SB_BASE_ADDRESS, freep + SB_PAGE_SIZE }, 2, &r, &err);
	if (fixture_restore(a, sbig))
		like_fresh(a, sbig, "scratch_resize: free pages written by the host after a resize");
	call_u64s(a, "rt2_zero_page", (uint64_t[]){ pt }, 1, &r, &err);
	if (fixture_restore(a, sbig)) {
		CHECK(sandbox_last_restore(a).full);
		like_fresh(a, sbig, "scratch_resize: the PML4 zeroed by the host after a resize");
	}
	call_u64s(a, "rt_copy_page", (uint64_t[]){ SB_BASE_ADDRESS, freep }, 2, &r, &err);
	if (fixture_restore(a, sa))
		like_fresh(a, sa, "scratch_resize: back to the small scratch");
	if (fixture_restore(a, sbig))
		like_fresh(a, sbig, "scratch_resize: and to the big one again");
out:
	snap_unref(sa);
	snap_unref(sbig);
	snap_unref(base_big);
	sandbox_destroy(a);
	sandbox_destroy(b);
}

int main(int argc, char **argv)
{
	elf = fixture_main(argc, argv, "TESTGUEST_ELF");
	elf_path = argv[1];
	FIXTURE_RUN("REDTEAM2_ONLY", "snap_after_create", test_snap_after_create());
	FIXTURE_RUN("REDTEAM2_ONLY", "snap_after_restore", {
		test_snap_after_restore_segs();
		test_snap_after_restore_kernel();
		test_snap_after_restore_layout();
	});
	FIXTURE_RUN("REDTEAM2_ONLY", "snap_file", test_snap_file());
	FIXTURE_RUN("REDTEAM2_ONLY", "zero_page", test_zero_page());
	FIXTURE_RUN("REDTEAM2_ONLY", "gate_args", test_gate_args());
	FIXTURE_RUN("REDTEAM2_ONLY", "gate_ring0", test_gate_ring0());
	FIXTURE_RUN("REDTEAM2_ONLY", "msr_scan", at_snapshot(SANDBOX_MODE_KERNEL, test_msr_scan));
	FIXTURE_RUN("REDTEAM2_ONLY", "xcr0", at_snapshot(SANDBOX_MODE_KERNEL, test_xcr0));
	FIXTURE_RUN("REDTEAM2_ONLY", "dr7_gd", at_snapshot(SANDBOX_MODE_KERNEL, test_dr7));
	FIXTURE_RUN("REDTEAM2_ONLY", "forged_undo", at_snapshot(SANDBOX_MODE_KERNEL, test_forged_undo));
	FIXTURE_RUN("REDTEAM2_ONLY", "restore_fails", test_restore_fails());
	FIXTURE_RUN("REDTEAM2_ONLY", "scratch_resize", test_scratch_resize());
	snap_unref(elf);
	return check_done();
}
