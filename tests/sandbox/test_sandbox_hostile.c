/* test_sandbox_hostile.c — the hostile-guest suite (issue 12): ring-0 guest
 * code does what an attacker's would to the host's view of it, then the
 * host snapshots the sandbox, restores it and calls it again. Each attack
 * must end in a typed error or a snapshot whose cost is bounded by the
 * guest memory that exists (not by what the tables claim), and the sandbox
 * must be as fresh after the restore. At the end, the process's peak
 * resident set is held under a bound derived from the layout.
 *
 *   pt_loop        PML4[1] points at the PML4 itself (a table cycle)
 *   pte_outside    PML4[2] points 512 GiB past the guest's memory
 *   cr3_garbage    CR3 moved to an address with nothing behind it
 *   spin_cli       interrupts off, then a spin only the deadline ends
 *   alloc_word     the allocator word set past the end of scratch
 *   size_word      the scratch size word set to 2^62
 *   framing        the output buffer's framing overwritten in a call
 *
 * The forged undo log is test_sandbox_redteam2.c's forged_undo and the
 * scribble tests'; large-page fan-out and one page at many addresses are
 * in test_snap_live.c. Runs once per restore strategy (meson).
 * Usage: test_sandbox_hostile TESTGUEST_REDTEAM_ELF (any test guest with the
 * hostile functions: meson passes the red-team guest, its own ELF;
 * HOSTILE_ONLY=name,... picks). */
#include <sys/resource.h>

#include "fixture.h"
#include "guest_state.h"
#include "layout.h"
#include "sandbox_abi.h"
#include "snapshot.h"
#include "vmm.h"

static struct snapshot *elf;

static uint64_t pml4_gva(const struct snapshot *s)
{
	return sb_scratch_gpa_to_gva(layout_pt_base_gpa(&s->layout));
}

/* After an attack: a snapshot of the sandbox succeeds with no more pages
 * copied than guest memory has, or fails with a typed error; a restore
 * then gives a sandbox like a fresh one, and a call that takes
 * copy-on-write faults works. */
static void aftermath(struct sandbox *sb, struct snapshot *s, const char *what)
{
	const struct layout *l = &s->layout;
	uint64_t mem_pages = (layout_snapshot_bytes(l) + layout_scratch_bytes(l)) / SB_PAGE_SIZE;
	struct snapshot *t = NULL;
	struct sb_err err = { 0 };
	uint64_t t0 = vmm_now_ns();
	int rc = sandbox_snapshot(sb, &t, &err);
	double ms = (double)(vmm_now_ns() - t0) / 1e6;
	if (rc == 0) {
		if (!CHECK(t->stats.pages_copied <= mem_pages))
			fprintf(stderr, "  %s: %llu pages copied, guest memory has %llu\n", what,
				(unsigned long long)t->stats.pages_copied,
				(unsigned long long)mem_pages);
		CHECK(layout_image_bytes(&t->layout) <=
		      layout_snapshot_bytes(l) + layout_scratch_bytes(l) + layout_pt_bytes(l));
		printf("  %s: snapshot taken in %.1f ms, %llu pages copied (guest memory %llu)\n",
		       what, ms, (unsigned long long)t->stats.pages_copied,
		       (unsigned long long)mem_pages);
	} else {
		CHECK(err.code != SB_OK && err.msg[0]);
		printf("  %s: snapshot refused in %.1f ms: %s\n", what, ms, err.msg);
	}
	snap_unref(t);
	if (!fixture_restore(sb, s))
		return;
	guest_state_check_like_fresh(sb, s, NULL, 0, what);
	uint64_t r;
	if (!CHECK_I64(call_u64s(sb, "touch_pages", (uint64_t[]){ 2 }, 1, &r, &err), 0))
		fprintf(stderr, "  %s: a call after the restore: %s\n", what, err.msg);
	fixture_restore(sb, s);
}

/* A kernel-mode sandbox at a CALL snapshot; the attack; the aftermath. */
static void attack(const char *what, uint64_t deadline_ns,
		   void (*hit)(struct sandbox *sb, struct snapshot *s))
{
	struct sandbox_config c = fixture_config_in(SANDBOX_MODE_KERNEL);
	if (deadline_ns)
		c.deadline_ns = deadline_ns;
	struct snapshot *s;
	struct sandbox *sb = fixture_sandbox_at_snapshot(elf, &c, &s);
	if (s) {
		hit(sb, s);
		if (CHECK(sandbox_status(sb) != SANDBOX_BROKEN))
			aftermath(sb, s, what);
	}
	snap_unref(s);
	sandbox_destroy(sb);
}

static void poke(struct sandbox *sb, uint64_t gva, uint64_t v)
{
	struct sb_err err;
	if (!CHECK_I64(call_u64s(sb, "poke", (uint64_t[]){ gva, v }, 2, NULL, &err), 0))
		fprintf(stderr, "  poke 0x%llx: %s\n", (unsigned long long)gva, err.msg);
}

static void hit_pt_loop(struct sandbox *sb, struct snapshot *s)
{
	poke(sb, pml4_gva(s) + 8, layout_pt_base_gpa(&s->layout) | 0x3);
}

static void hit_pte_outside(struct sandbox *sb, struct snapshot *s)
{
	poke(sb, pml4_gva(s) + 16, (1ull << 39) | 0x3);
}

/* A call that cannot complete: a typed error, the sandbox not broken. */
static void must_fail(struct sandbox *sb, const char *fn, const uint64_t *a, unsigned n,
		      enum sb_errcode want)
{
	struct sb_err err = { 0 };
	int rc = call_u64s(sb, fn, a, n, NULL, &err);
	CHECK(rc != 0);
	if (!CHECK_I64(err.code, want))
		fprintf(stderr, "  %s: %s\n", fn, err.msg);
	printf("  %s: %s\n", fn, err.msg);
}

static void hit_cr3_garbage(struct sandbox *sb, struct snapshot *s)
{
	(void)s;
	must_fail(sb, "cr3_garbage", (uint64_t[]){ 0x7FFF0000000ull }, 1, SB_E_GUEST);
}

static void hit_spin_cli(struct sandbox *sb, struct snapshot *s)
{
	(void)s;
	must_fail(sb, "spin_cli", NULL, 0, SB_E_CANCELLED);
}

static void hit_alloc_word(struct sandbox *sb, struct snapshot *s)
{
	(void)s;
	poke(sb, sb_scratch_top_gva(SB_SCRATCH_TOP_ALLOCATOR), ~0xFFFull);
	/* the guest's own allocator now hands out nothing sane: its call may
	 * fail, but only as a call (typed), never the host */
	struct sb_err err = { 0 };
	uint64_t r;
	if (call_u64s(sb, "touch_pages", (uint64_t[]){ 2 }, 1, &r, &err))
		CHECK(err.code == SB_E_CALL || err.code == SB_E_GUEST);
}

static void hit_size_word(struct sandbox *sb, struct snapshot *s)
{
	(void)s;
	poke(sb, sb_scratch_top_gva(SB_SCRATCH_TOP_SIZE), 1ull << 62);
	struct sb_err err = { 0 };
	uint64_t r;
	if (call_u64s(sb, "touch_pages", (uint64_t[]){ 2 }, 1, &r, &err))
		CHECK(err.code == SB_E_CALL || err.code == SB_E_GUEST);
}

/* The output buffer's framing (its first word, the stack pointer the
 * host reads answers back by) overwritten during a call: the host must
 * refuse the answer with a typed error, not read past the buffer. */
static void hit_framing(struct sandbox *sb, struct snapshot *s)
{
	must_fail(sb, "poke", (uint64_t[]){ layout_output_gva(&s->layout), ~0ull }, 2, SB_E_GUEST);
}

int main(int argc, char **argv)
{
	elf = fixture_main(argc, argv, "TESTGUEST_ELF");
	FIXTURE_RUN("HOSTILE_ONLY", "pt_loop", attack("pt_loop", 0, hit_pt_loop));
	FIXTURE_RUN("HOSTILE_ONLY", "pte_outside", attack("pte_outside", 0, hit_pte_outside));
	FIXTURE_RUN("HOSTILE_ONLY", "cr3_garbage", attack("cr3_garbage", 0, hit_cr3_garbage));
	FIXTURE_RUN("HOSTILE_ONLY", "spin_cli", attack("spin_cli", 300000000ull, hit_spin_cli));
	FIXTURE_RUN("HOSTILE_ONLY", "alloc_word", attack("alloc_word", 0, hit_alloc_word));
	FIXTURE_RUN("HOSTILE_ONLY", "size_word", attack("size_word", 0, hit_size_word));
	FIXTURE_RUN("HOSTILE_ONLY", "framing", attack("framing", 0, hit_framing));
	/* The peak resident set: the test's own sandboxes (one at a time, each
	 * with its snapshots) and the sanitizers' or valgrind's overhead. A
	 * guest that chose the host's memory would show here in hundreds of
	 * MiB. */
	const struct layout *l = &elf->layout;
	uint64_t bound = (128ull << 20) +
			 8 * (layout_image_bytes(l) + layout_scratch_bytes(l) + layout_pt_bytes(l));
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	uint64_t peak = (uint64_t)ru.ru_maxrss << 10;
	CHECK(peak <= bound);
	printf("peak resident set %llu KiB (bound %llu KiB)\n", (unsigned long long)(peak >> 10),
	       (unsigned long long)(bound >> 10));
	snap_unref(elf);
	return check_done();
}
