/* test_sandbox_aspace.c — several address spaces (issue 13 item 6; the
 * design in snapshot/snap_roots.c). Guest side: guest/testguest_aspace.c
 * (as_*), built as build/guest/testguest_aspace: after as_setup, AS_VA
 * reads AS_VALUE0 in root 0 and AS_VALUE1 in root 1.
 *
 *   spaces   snapshot keeps both roots; mutate both spaces, restore, both
 *            back; the guest finds its roots in the slot; a snapshot taken
 *            in root 1 restores into root 1; a page mapped in both spaces
 *            (writable in root 0, read-only in root 1) behaves after a
 *            restore as in a fresh sandbox under every restore strategy
 *   file     round trip through a file (v3): load into a fresh sandbox,
 *            switch to root 1, read; a two-root snapshot refuses version 2;
 *            `snapbench inspect` (the binary in $SNAPBENCH, when set) shows
 *            both roots' tables
 *   hostile  garbage in the roots slot: the snapshot refuses it with a
 *            message naming it (or ignores a slot without the magic), the
 *            sandbox goes on; the switch gate refuses pages that are no
 *            root; a ring-0 guest declares a table that loops into itself;
 *            16 roots of whatever sits in the page-table area and free
 *            pages are walked, bounded; the gate makes no 17th root
 *
 * Usage: test_sandbox_aspace build/guest/testguest_aspace
 * ASPACE_ONLY=name[,name] runs a subset. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"
#include "pt.h"
#include "snap_file.h"
#include "snapshot.h"

#define AS_VALUE0 0xA5A50000000000A0ull
#define AS_VALUE1 0xA5A50000000000A1ull

static struct snapshot *elf;

static double now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e6 + (double)t.tv_nsec * 1e-3;
}

/* The output of `$SNAPBENCH inspect ARGS` (NULL without $SNAPBENCH). */
static char *inspect(const char *args)
{
	const char *bin = getenv("SNAPBENCH");
	if (!bin || !*bin)
		return NULL;
	char cmd[512];
	snprintf(cmd, sizeof cmd, "'%s' inspect %s", bin, args);
	FILE *p = popen(cmd, "r");
	if (!p)
		return NULL;
	size_t cap = 1 << 20, n = 0;
	char *out = calloc(1, cap + 1);
	while (out && n < cap) {
		size_t r = fread(out + n, 1, cap - n, p);
		if (r == 0)
			break;
		n += r;
	}
	CHECK_I64(pclose(p), 0);
	return out;
}

static uint64_t call0(struct sandbox *sb, const char *fn)
{
	uint64_t v = 0;
	struct sb_err err;
	if (!CHECK_I64(call_u64s(sb, fn, NULL, 0, &v, &err), 0))
		fprintf(stderr, "  %s: %s\n", fn, err.msg);
	return v;
}

static uint64_t call1(struct sandbox *sb, const char *fn, uint64_t a)
{
	uint64_t v = 0;
	struct sb_err err;
	if (!CHECK_I64(call_u64s(sb, fn, &a, 1, &v, &err), 0))
		fprintf(stderr, "  %s(%llu): %s\n", fn, (unsigned long long)a, err.msg);
	return v;
}

static void poke(struct sandbox *sb, uint64_t word, uint64_t v)
{
	uint64_t a[2] = { word, v };
	struct sb_err err;
	if (!CHECK_I64(call_u64s(sb, "as_slot_poke", a, 2, NULL, &err), 0))
		fprintf(stderr, "  as_slot_poke: %s\n", err.msg);
}

/* Reads AS_VA in root i (switching there, staying there). */
static uint64_t read_in(struct sandbox *sb, unsigned i)
{
	CHECK_U64(call1(sb, "as_switch", i), PT_OK);
	return call0(sb, "as_read");
}

static void check_calls(struct sandbox *sb)
{
	int64_t sum = 0;
	struct sb_err err;
	if (!CHECK_I64(call_i64_2(sb, "add", 2, 40, &sum, &err), 0))
		fprintf(stderr, "  add: %s\n", err.msg);
	CHECK_I64(sum, 42);
}

static struct sandbox *setup(enum sandbox_guest_mode mode)
{
	struct sandbox_config c = fixture_config_in(mode);
	struct sandbox *sb = fixture_sandbox(elf, &c);
	CHECK_U64(call0(sb, "as_setup"), 1);
	return sb;
}

static void test_spaces(void)
{
	struct sandbox *sb = setup(SANDBOX_MODE_USER);
	CHECK_U64(call0(sb, "as_info"), 2);
	CHECK_U64(read_in(sb, 1), AS_VALUE1);
	CHECK_U64(read_in(sb, 0), AS_VALUE0);
	/* Timings for the report (not checked: machines are shared). */
	double t0 = now_us();
	for (int i = 0; i < 10; i++)
		call1(sb, "as_switch", (unsigned)(i & 1) ^ 1);
	double t1 = now_us();
	struct snapshot *s = fixture_snapshot_of(sb);
	double t2 = now_us();
	if (!s) {
		sandbox_destroy(sb);
		return;
	}
	fprintf(stderr, "  as_switch call %.0f us (mean of 10), snapshot of two roots %.0f us\n",
		(t1 - t0) / 10, t2 - t1);
	CHECK_U64(s->nroots, 2);
	CHECK_U64(s->cur_root, 0);
	CHECK_U64(s->roots[0], layout_pt_base_gpa(&s->layout));
	fprintf(stderr, "  snapshot: roots 0x%llx 0x%llx, %llu page-table pages, %llu pages copied\n",
		(unsigned long long)s->roots[0], (unsigned long long)s->roots[1],
		(unsigned long long)s->stats.pt_pages, (unsigned long long)s->stats.pages_copied);
	for (int round = 0; round < 2; round++) {
		/* Mutate both spaces, end in root 1. */
		CHECK_U64(call1(sb, "as_write", 0x1111), 0);
		CHECK_U64(read_in(sb, 1), AS_VALUE1);
		CHECK_U64(call1(sb, "as_write", 0x2222), 0);
		CHECK_U64(read_in(sb, 0), 0x1111);
		CHECK_U64(read_in(sb, 1), 0x2222);
		double r0 = now_us();
		if (!fixture_restore(sb, s))
			break;
		fprintf(stderr, "  restore of two roots %.0f us (full: %d)\n", now_us() - r0,
			sandbox_last_restore(sb).full);
		/* Back in root 0 (current when taken), each root where the
		 * snapshot put it, each space's page as it was. */
		CHECK_U64(call0(sb, "as_info"), 2);
		CHECK_U64(call1(sb, "as_root", 0), s->roots[0]);
		CHECK_U64(call1(sb, "as_root", 1), s->roots[1]);
		CHECK_U64(call1(sb, "as_root", 2), 0);
		CHECK_U64(call0(sb, "as_read"), AS_VALUE0);
		CHECK_U64(read_in(sb, 1), AS_VALUE1);
		CHECK_U64(call0(sb, "as_read_alias"), AS_VALUE0);
		check_calls(sb);
		CHECK_U64(read_in(sb, 0), AS_VALUE0);
		/* Root 0's write is its copy-on-write copy, as in a fresh
		 * sandbox: root 1's read-only mapping of the page keeps the
		 * snapshot's value (host-cow must not write the page in place). */
		CHECK_U64(call1(sb, "as_write", 0x4444), 0);
		CHECK_U64(read_in(sb, 1), AS_VALUE1);
		CHECK_U64(call0(sb, "as_read_alias"), AS_VALUE0);
		CHECK_U64(read_in(sb, 0), 0x4444);
	}
	/* Taken in root 1: restores into root 1. */
	CHECK_U64(call1(sb, "as_switch", 1), PT_OK);
	struct snapshot *s1 = fixture_snapshot_of(sb);
	if (s1) {
		CHECK_U64(s1->nroots, 2);
		CHECK_U64(s1->cur_root, 1);
		CHECK(!snap_equal(s, s1));
		CHECK_U64(call1(sb, "as_write", 0x3333), 0);
		if (fixture_restore(sb, s1)) {
			CHECK_U64(call0(sb, "as_info"), 2 | 1 << 8);
			CHECK_U64(call0(sb, "as_read"), AS_VALUE1);
			CHECK_U64(read_in(sb, 0), 0x4444); /* written before s1 */
		}
		/* And a snapshot of a restored two-root sandbox keeps both. */
		struct snapshot *s2 = fixture_snapshot_of(sb);
		if (s2) {
			CHECK_U64(s2->nroots, 2);
			snap_unref(s2);
		}
		snap_unref(s1);
	}
	snap_unref(s);
	sandbox_destroy(sb);

	/* The same with one root, for comparison: a map through the gate and
	 * a write (a table edit: the restore is full too). */
	struct sandbox_config c = fixture_config_in(SANDBOX_MODE_USER);
	sb = fixture_sandbox(elf, &c);
	uint64_t one = 0, gpa = layout_heap_gva(&elf->layout);
	struct sb_err err;
	CHECK_I64(call_u64s(sb, "map_gpa", (uint64_t[]){ gpa, 0x0000010000000000ull, 1 }, 3, &one, &err), 0);
	s = fixture_snapshot_of(sb);
	if (s) {
		CHECK_U64(s->nroots, 1);
		for (int round = 0; round < 2; round++) {
			CHECK_I64(call_u64s(sb, "map_gpa", (uint64_t[]){ gpa, 0x0000020000000000ull, 1 }, 3,
					    &one, &err), 0);
			double r0 = now_us();
			fixture_restore(sb, s);
			fprintf(stderr, "  restore of one root %.0f us (full: %d)\n", now_us() - r0,
				sandbox_last_restore(sb).full);
		}
		snap_unref(s);
	}
	sandbox_destroy(sb);
}

static void test_file(void)
{
	struct sandbox *sb = setup(SANDBOX_MODE_USER);
	CHECK_U64(read_in(sb, 1), AS_VALUE1); /* taken in root 1 */
	struct snapshot *s = fixture_snapshot_of(sb);
	sandbox_destroy(sb);
	if (!s)
		return;
	char path[] = "/tmp/snapbench-aspace-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	close(fd);
	struct sb_err err;
	struct snapshot *l = NULL;
	if (CHECK_I64(snap_save(s, path, &err), 0) &&
	    CHECK_I64(snap_load(&l, path, SNAP_LOAD_VERIFY, &err), 0)) {
		CHECK(snap_equal(s, l));
		CHECK_U64(l->nroots, 2);
		CHECK_U64(l->cur_root, 1);
		CHECK_U64(l->roots[1], s->roots[1]);
		/* A fresh sandbox from the ELF, restored from the file. */
		struct sandbox_config c = fixture_config_in(SANDBOX_MODE_USER);
		struct sandbox *fresh = fixture_sandbox(elf, &c);
		if (fixture_restore(fresh, l)) {
			CHECK_U64(call0(fresh, "as_read"), AS_VALUE1);
			CHECK_U64(read_in(fresh, 0), AS_VALUE0);
			CHECK_U64(read_in(fresh, 1), AS_VALUE1);
			check_calls(fresh);
		}
		sandbox_destroy(fresh);
	} else {
		fprintf(stderr, "  %s\n", err.msg);
	}
	char args[128], want[128];
	snprintf(args, sizeof args, "--pt %s", path);
	char *out = inspect(args);
	if (out) {
		snprintf(want, sizeof want, "== root 0/2 at GPA 0x%llx\n",
			 (unsigned long long)s->roots[0]);
		CHECK_CONTAINS(out, want);
		snprintf(want, sizeof want, "== root 1/2 at GPA 0x%llx (current)\n",
			 (unsigned long long)s->roots[1]);
		CHECK_CONTAINS(out, want);
		CHECK_CONTAINS(out, "0000010000000000"); /* AS_VA, in each root */
		free(out);
		out = inspect(path);
		if (out)
			CHECK_CONTAINS(out, "address spaces: 2, restores start in root 1");
		free(out);
	} else {
		fprintf(stderr, "  (no $SNAPBENCH: inspect not checked)\n");
	}
	/* Version 2 has no room for root 1: refused, not dropped. */
	CHECK_I64(snap_save_version(s, path, 2, &err), -1);
	CHECK_CONTAINS(err.msg, "address spaces");
	snap_unref(l);
	unlink(path);
	snap_unref(s);
}

/* A snapshot of sb must fail with `code` naming `want`; the sandbox then
 * still calls. */
static void refused_code(struct sandbox *sb, const char *want, enum sb_errcode code)
{
	struct snapshot *s = NULL;
	struct sb_err err;
	if (CHECK_I64(sandbox_snapshot(sb, &s, &err), -1)) {
		CHECK_I64(err.code, code);
		CHECK_CONTAINS(err.msg, want);
		fprintf(stderr, "  refused: %s\n", err.msg);
	} else {
		snap_unref(s);
	}
	check_calls(sb);
}

static void refused(struct sandbox *sb, const char *want)
{
	refused_code(sb, want, SB_E_GUEST);
}

static void test_hostile(void)
{
	const struct layout *el = &elf->layout;
	gpa_t base = layout_scratch_base_gpa(el);
	uint64_t bytes = layout_scratch_bytes(el);
	struct {
		const char *what;
		uint64_t count, root1; /* count > SB_MAX_ROOTS: only the count is poked */
		const char *want;
		uint64_t switch1; /* what the gate says to as_switch(1) */
	} bad[] = {
		{ "1000 roots", 1000, 0, "1000 address spaces", PT_E_INVAL },
		{ "unaligned", 2, 0, "not page aligned", PT_E_DENIED },
		{ "outside memory", 2, 0x7FFF0000000ull, "outside scratch", PT_E_DENIED },
		{ "the bookkeeping page", 2, base + bytes - SB_PAGE_SIZE, "top pages", PT_E_DENIED },
		{ "the I/O buffers", 2, base, "I/O buffers", PT_E_DENIED },
		/* the gate loads it: it is root 0, where the call runs */
		{ "root 0 twice", 2, 0, "declared twice", PT_OK },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		fprintf(stderr, "  %s\n", bad[i].what);
		struct sandbox *sb = setup(SANDBOX_MODE_USER);
		uint64_t root0 = call1(sb, "as_root", 0);
		uint64_t r1 = bad[i].root1;
		if (strcmp(bad[i].what, "unaligned") == 0)
			r1 = root0 + 8;
		else if (strcmp(bad[i].what, "root 0 twice") == 0)
			r1 = root0;
		poke(sb, 1, bad[i].count);
		if (bad[i].count <= SB_MAX_ROOTS)
			poke(sb, 4 + 1, r1);
		refused(sb, bad[i].want);
		/* The gate refuses what is no root, the runtime goes on. */
		CHECK_U64(call1(sb, "as_switch", 1), bad[i].switch1);
		CHECK_U64(call0(sb, "as_read"), AS_VALUE0);
		CHECK_U64(call1(sb, "as_switch", 7), PT_E_INVAL);
		sandbox_destroy(sb);
	}

	/* 16 declared roots, none of them CR3: refused (17 in all). */
	struct sandbox *sb = setup(SANDBOX_MODE_USER);
	gpa_t area = base + layout_pt_scratch_offset(el);
	poke(sb, 1, SB_MAX_ROOTS);
	for (unsigned i = 0; i < SB_MAX_ROOTS; i++)
		poke(sb, 4 + i, area + (i + 1) * SB_PAGE_SIZE);
	refused(sb, "CR3 (0x");
	sandbox_destroy(sb);

	/* 16 roots: the three real ones and 13 zero free pages (empty
	 * PML4s). The gate makes no 17th and loads none of the pretenders.
	 * Each empty root gets the scratch window's tables of its own in the
	 * snapshot: 16 of them do not fit this small scratch (refused, saying
	 * so), 6 do. (A lower table declared as a root reads its pages as
	 * tables: the snapshot is refused at the first GPA outside guest
	 * memory, as for the data page below.) */
	sb = setup(SANDBOX_MODE_USER);
	CHECK_U64(call0(sb, "as_new"), 2 << 8); /* root 2, PT_OK */
	uint64_t real[3] = { call1(sb, "as_root", 0), call1(sb, "as_root", 1),
			     call1(sb, "as_root", 2) };
	gpa_t top_free = base + layout_top_scratch_offset(el); /* never handed out: zero */
	for (unsigned i = 3; i < SB_MAX_ROOTS; i++) {
		gpa_t g = top_free - (i - 2) * SB_PAGE_SIZE;
		CHECK(g != real[0] && g != real[1] && g != real[2]);
		poke(sb, 4 + i, g);
	}
	poke(sb, 1, SB_MAX_ROOTS);
	CHECK_U64(call0(sb, "as_new"), PT_E_NOMEM);
	CHECK_U64(call1(sb, "as_switch", 15), PT_E_DENIED);
	CHECK_U64(call1(sb, "as_switch", 2), PT_OK);
	CHECK_U64(call0(sb, "as_read"), AS_VALUE0); /* a copy of root 0 */
	CHECK_U64(call1(sb, "as_switch", 0), PT_OK);
	refused_code(sb, "page tables", SB_E_TOO_SMALL); /* the layout's error */
	poke(sb, 1, 6);
	struct snapshot *s = fixture_snapshot_of(sb);
	if (s) {
		fprintf(stderr, "  6 roots kept: %llu pages mapped, %llu copied, %llu page-table "
			"pages\n", (unsigned long long)s->stats.pages_mapped,
			(unsigned long long)s->stats.pages_copied, (unsigned long long)s->stats.pt_pages);
		CHECK_U64(s->nroots, 6);
		CHECK(layout_image_bytes(&s->layout) <
		      layout_snapshot_bytes(el) + layout_scratch_bytes(el));
		if (fixture_restore(sb, s)) {
			CHECK_U64(call0(sb, "as_info"), 6);
			CHECK_U64(call1(sb, "as_switch", 5), PT_E_DENIED);
			CHECK_U64(call0(sb, "as_read"), AS_VALUE0);
			CHECK_U64(read_in(sb, 1), AS_VALUE1);
			CHECK_U64(read_in(sb, 2), AS_VALUE0);
			check_calls(sb);
		}
		snap_unref(s);
	}
	/* The magic scribbled: the gate makes and loads nothing. */
	poke(sb, 0, 0);
	CHECK_U64(call0(sb, "as_new"), PT_E_INVAL);
	CHECK_U64(call1(sb, "as_switch", 1), PT_E_INVAL);
	sandbox_destroy(sb);

	/* A free page ring 3 wrote as a root: a 1 GiB page at a GPA outside
	 * guest memory (PML4[5] -> a second page whose PDPT[0] has PS). */
	sb = setup(SANDBOX_MODE_USER);
	gpa_t f1 = top_free - 4 * SB_PAGE_SIZE, f2 = f1 + SB_PAGE_SIZE;
	uint64_t w1[2] = { sb_scratch_gpa_to_gva(f1) + 5 * 8, f2 | 0x27 };
	uint64_t w2[2] = { sb_scratch_gpa_to_gva(f2), 0x7FC0000000ull | 0xA7 };
	struct sb_err err;
	CHECK_I64(call_u64s(sb, "poke", w1, 2, NULL, &err), 0);
	CHECK_I64(call_u64s(sb, "poke", w2, 2, NULL, &err), 0);
	poke(sb, 4 + 1, f1);
	refused(sb, "which is not guest memory");
	CHECK_U64(call1(sb, "as_switch", 1), PT_E_DENIED);
	sandbox_destroy(sb);

	/* No magic: nothing declared, CR3 alone kept. */
	sb = setup(SANDBOX_MODE_USER);
	poke(sb, 0, 0);
	poke(sb, 1, 1000);
	s = fixture_snapshot_of(sb);
	if (s) {
		CHECK_U64(s->nroots, 1);
		if (fixture_restore(sb, s)) {
			CHECK_U64(call0(sb, "as_info"), 1);
			CHECK_U64(call0(sb, "as_read"), AS_VALUE0);
			CHECK_U64(call1(sb, "as_switch", 1), PT_E_INVAL);
		}
		snap_unref(s);
	}
	sandbox_destroy(sb);

	/* A user-visible scratch page as root 1: kept by the snapshot only
	 * if it looks like tables, never loaded by the gate. */
	sb = setup(SANDBOX_MODE_USER);
	gpa_t free_page = base + layout_top_scratch_offset(el) - SB_PAGE_SIZE;
	poke(sb, 5, free_page);
	CHECK_U64(call1(sb, "as_switch", 1), PT_E_DENIED);
	CHECK_U64(call0(sb, "as_read"), AS_VALUE0);
	sandbox_destroy(sb);

	/* Ring 0: a table whose entries point at itself, declared as root 2. */
	sb = setup(SANDBOX_MODE_KERNEL);
	uint64_t loop = call0(sb, "as_loop_root");
	CHECK_U64(call0(sb, "as_info") & 0xff, 3);
	s = NULL;
	if (sandbox_snapshot(sb, &s, &err) == 0) {
		fprintf(stderr, "  loop root 0x%llx kept: %u roots, %llu pages mapped\n",
			(unsigned long long)loop, s->nroots, (unsigned long long)s->stats.pages_mapped);
		CHECK_U64(s->nroots, 3);
		if (fixture_restore(sb, s)) {
			CHECK_U64(call0(sb, "as_read"), AS_VALUE0);
			CHECK_U64(read_in(sb, 1), AS_VALUE1);
			CHECK_U64(call1(sb, "as_switch", 2), PT_E_DENIED);
			check_calls(sb);
		}
		snap_unref(s);
	} else {
		fprintf(stderr, "  loop root refused: %s\n", err.msg);
		CHECK_I64(err.code, SB_E_GUEST);
		check_calls(sb);
	}
	sandbox_destroy(sb);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s TESTGUEST_ASPACE_ELF\n", argv[0]);
		return 2;
	}
	fixture_require_kvm();
	struct layout_config cfg = layout_config_default();
	elf = fixture_snapshot(argv[1], &cfg);
	FIXTURE_RUN("ASPACE_ONLY", "spaces", test_spaces());
	FIXTURE_RUN("ASPACE_ONLY", "file", test_file());
	FIXTURE_RUN("ASPACE_ONLY", "hostile", test_hostile());
	snap_unref(elf);
	return check_done();
}
