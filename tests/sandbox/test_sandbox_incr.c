/* test_sandbox_incr.c — incremental snapshots (snapshot/snap_incr.c): a
 * snapshot of a sandbox running from a live snapshot P walks only the
 * tables written since P and shares every other page with P.
 *
 *   same_as_full     after the same calls, an incremental snapshot and a
 *                    full one (sandbox_config.full_snapshots) show the same
 *                    memory at every address the guest maps, and sandboxes
 *                    from them answer alike; what it adds is at most the
 *                    pages written plus the tables that changed.
 *   aliases          a page-table edit since P (an alias of a heap page,
 *                    written by the guest's gate, logged by nobody but KVM)
 *                    is in the child.
 *   new_tables       a guest that adds tables gets the full snapshot, and
 *                    it is still right.
 *   extra_region     a page of an extra region the guest maps since P is
 *                    frozen into the child.
 *   dedup            a sibling with the same changes adds no memory.
 *   release_parent   a chain of 8 generations, each parent released as
 *                    soon as its child exists, every sandbox destroyed:
 *                    the last child still runs and reads right (ASan).
 *   file             an incremental snapshot saved and loaded (verified)
 *                    has its digest, and runs.
 *   threads          4 threads snapshot children of one parent at once.
 * Runs under every restore strategy (retain takes full snapshots: its kept
 * copies change pages with no table written). Usage: test_sandbox_incr TESTGUEST_ELF */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "guest_state.h"
#include "snap_file.h"

#define ONLY "SNAPBENCH_TEST_INCR_ONLY"

static struct snapshot *elf;
static const char *elf_path;

static bool expect_incremental(void)
{
	return fixture_config().restore_strategy != SANDBOX_RESTORE_RETAIN;
}

/* A sandbox (full or incremental snapshots) at P = after touch_pages(3),
 * restored from P. */
static struct sandbox *at_parent(bool full, struct snapshot **p)
{
	struct sandbox_config c = fixture_config();
	c.full_snapshots = full;
	return fixture_sandbox_at_snapshot(elf, &c, p);
}

/* The same bytes at [va, va + len) through both snapshots' tables. */
static void same_memory(const struct snapshot *a, const struct snapshot *b, gva_t va,
			uint64_t len, const char *what)
{
	uint8_t *x = malloc(len), *y = malloc(len);
	struct sb_err err;
	if (!CHECK(x && y) || !CHECK_I64(snap_read_gva(a, va, x, len, NULL, &err), 0) ||
	    !CHECK_I64(snap_read_gva(b, va, y, len, NULL, &err), 0)) {
		fprintf(stderr, "  %s: %s\n", what, err.msg);
	} else if (!CHECK(memcmp(x, y, len) == 0)) {
		fprintf(stderr, "  %s: memory at 0x%llx differs\n", what, (unsigned long long)va);
	}
	free(x);
	free(y);
}

/* Fresh sandboxes from both answer alike. */
static void same_answers(struct snapshot *a, struct snapshot *b, uint64_t heap_pages)
{
	struct sandbox *x = fixture_sandbox(a, NULL), *y = fixture_sandbox(b, NULL);
	CHECK_U64(fixture_u64(x, "heap_sum", heap_pages), fixture_u64(y, "heap_sum", heap_pages));
	CHECK_U64(fixture_u64(x, "bump_pages", 4), fixture_u64(y, "bump_pages", 4));
	CHECK_U64(fixture_u64(x, "heap_sum", heap_pages), fixture_u64(y, "heap_sum", heap_pages));
	sandbox_destroy(x);
	sandbox_destroy(y);
}

static void test_same_as_full(void)
{
	struct snapshot *p = NULL, *pf = NULL, *c = NULL, *cf = NULL;
	struct sandbox *sb = at_parent(false, &p), *sf = at_parent(true, &pf);
	const struct layout *l = &elf->layout;
	uint64_t heap_pages = l->config.heap_bytes / SB_PAGE_SIZE;
	if (!p || !pf)
		goto out;
	CHECK(!p->stats.incremental); /* from an ELF snapshot: full */
	CHECK(strstr(p->full_reason, "ELF's snapshot") != NULL); /* and the report says why */
	fixture_u64(sb, "bump_pages", 5);
	fixture_u64(sf, "bump_pages", 5);
	c = fixture_snapshot_of(sb);
	cf = fixture_snapshot_of(sf);
	if (!c || !cf)
		goto out;
	CHECK(!cf->stats.incremental);
	CHECK(strstr(cf->full_reason, "snapshots = full") != NULL);
	CHECK_I64(c->full_reason[0] != 0, !expect_incremental());
	CHECK_I64(c->stats.incremental, expect_incremental());
	if (c->stats.incremental) {
		/* 5 heap pages written (3 of them P's own pages, in place under
		 * host-cow), the tables above them: nothing else is new. */
		CHECK(c->stats.bytes_new <= (5 + c->stats.pt_pages_new) * SB_PAGE_SIZE);
		CHECK(c->stats.pt_pages_new <= 4);
		CHECK(c->stats.pages_shared + 5 >= layout_snapshot_bytes(&p->layout) / SB_PAGE_SIZE);
		CHECK(c->stats.pages_mapped < cf->stats.pages_mapped); /* walked less */
		fprintf(stderr, "  incremental: %llu leaves walked (full: %llu), %llu bytes new "
			"(full: %llu), %llu new tables\n", (unsigned long long)c->stats.pages_mapped,
			(unsigned long long)cf->stats.pages_mapped,
			(unsigned long long)c->stats.bytes_new, (unsigned long long)cf->stats.bytes_new,
			(unsigned long long)c->stats.pt_pages_new);
	}
	same_memory(c, cf, layout_heap_gva(l), l->config.heap_bytes, "heap");
	same_memory(c, cf, layout_code_gva(l), sb_page_round_up(l->code_bytes), "code");
	same_answers(c, cf, heap_pages);
	/* And the sandbox it was taken from goes on as before. */
	CHECK_U64(fixture_u64(sb, "heap_sum", heap_pages), fixture_u64(sf, "heap_sum", heap_pages));
	/* Writes after the snapshot are undone by the next restore: the
	 * snapshot read the dirty logs, the call after it made them stale. */
	fixture_u64(sb, "fill_heap", l->config.heap_bytes);
	/* and output pages no call before the snapshot wrote, written by the
	 * guest alone (an echo of 6 KiB: its record spans them) */
	static uint8_t big[6 << 10];
	memset(big, 0xa5, sizeof big);
	struct sb_value arg = { .type = SB_T_BYTES, .as.buf = { big, sizeof big } }, ret;
	struct sb_err err;
	if (!CHECK_I64(sandbox_call(sb, "echo", &arg, 1, &ret, &err), 0))
		fprintf(stderr, "  echo: %s\n", err.msg);
	if (fixture_restore(sb, p))
		CHECK_U64(guest_state_check_like_fresh(sb, p, NULL, 0, "restore after snapshot, call"), 0);
out:
	snap_unref(p);
	snap_unref(pf);
	snap_unref(c);
	snap_unref(cf);
	sandbox_destroy(sb);
	sandbox_destroy(sf);
}

static void test_aliases(void)
{
	struct snapshot *p = NULL, *pf = NULL, *c = NULL, *cf = NULL;
	struct sandbox *sb = at_parent(false, &p), *sf = at_parent(true, &pf);
	const struct layout *l = &elf->layout;
	/* The page after the heap: in the heap's last page table. */
	gva_t alias = layout_heap_gva(l) + l->config.heap_bytes;
	if (!p || !pf)
		goto out;
	fixture_u64(sb, "alias_heap_page", alias);
	fixture_u64(sf, "alias_heap_page", alias);
	fixture_u64(sb, "bump_pages", 1); /* through the heap address */
	fixture_u64(sf, "bump_pages", 1);
	c = fixture_snapshot_of(sb);
	cf = fixture_snapshot_of(sf);
	if (!c || !cf)
		goto out;
	CHECK_I64(c->stats.incremental, expect_incremental());
	same_memory(c, cf, alias, SB_PAGE_SIZE, "alias");
	same_memory(c, cf, layout_heap_gva(l), SB_PAGE_SIZE, "aliased heap page");
	/* Under rewrite the write went to a copy of the heap page and the
	 * alias still maps P's page; under host-cow both map the page written
	 * in place: in the child as in the live sandbox. */
	uint64_t at_alias = fixture_u64(sb, "peek", alias), at_heap = fixture_u64(sb, "peek", layout_heap_gva(l));
	struct sandbox *x = fixture_sandbox(c, NULL);
	CHECK_U64(fixture_u64(x, "peek", alias), at_alias);
	CHECK_U64(fixture_u64(x, "peek", layout_heap_gva(l)), at_heap);
	sandbox_destroy(x);
out:
	snap_unref(p);
	snap_unref(pf);
	snap_unref(c);
	snap_unref(cf);
	sandbox_destroy(sb);
	sandbox_destroy(sf);
}

static void test_new_tables(void)
{
	struct snapshot *p = NULL, *c = NULL;
	struct sandbox *sb = at_parent(false, &p);
	gva_t far = 0x500000000000ull; /* no table of P covers it */
	if (!p)
		goto out;
	uint64_t w = fixture_u64(sb, "alias_heap_page", far);
	c = fixture_snapshot_of(sb);
	if (!c)
		goto out;
	CHECK(!c->stats.incremental);
	if (expect_incremental() && !CHECK(strstr(c->full_reason, "added a page table") != NULL))
		fprintf(stderr, "  new_tables: full because '%s'\n", c->full_reason);
	struct sandbox *x = fixture_sandbox(c, NULL);
	CHECK_U64(fixture_u64(x, "peek", far), w);
	sandbox_destroy(x);
out:
	snap_unref(p);
	snap_unref(c);
	sandbox_destroy(sb);
}

static void test_extra_region(void)
{
	struct snapshot *p = NULL, *c = NULL;
	struct sandbox *sb = at_parent(false, &p);
	const struct layout *l = &elf->layout;
	gva_t va = layout_heap_gva(l) + l->config.heap_bytes + SB_PAGE_SIZE;
	uint8_t *region = aligned_alloc(SB_PAGE_SIZE, SB_PAGE_SIZE);
	struct sb_err err;
	if (!p || !CHECK(region))
		goto out;
	memset(region, 0, SB_PAGE_SIZE);
	memcpy(region, "frozen into the child", 22);
	if (!CHECK_I64(sandbox_map_region(sb, SANDBOX_EXTRA_GPA_MIN, region, SB_PAGE_SIZE, &err), 0))
		goto out;
	uint64_t a[3] = { SANDBOX_EXTRA_GPA_MIN, va, 1 };
	if (!CHECK_I64(call_u64s(sb, "map_gpa", a, 3, NULL, &err), 0)) {
		fprintf(stderr, "  map_gpa: %s\n", err.msg);
		goto out;
	}
	c = fixture_snapshot_of(sb);
	if (!c)
		goto out;
	CHECK_I64(c->stats.incremental, expect_incremental());
	memcpy(region, "changed after the snapshot", 27); /* the child does not see this */
	char buf[22];
	if (CHECK_I64(snap_read_gva(c, va, buf, sizeof buf, NULL, &err), 0))
		CHECK(memcmp(buf, "frozen into the child", 22) == 0);
out:
	snap_unref(p);
	snap_unref(c);
	sandbox_destroy(sb); /* before the region it maps */
	free(region);
}

/* A scratch window that starts on a 2 MiB boundary: its page table hangs
 * from an entry wholly inside the window, and the CPU writes it (the
 * exception stack's dirty bit, set by the copy-on-write faults' frames):
 * still incremental, and still right. */
static void test_window_aligned(void)
{
	struct layout_config lc = layout_config_default();
	lc.heap_bytes = 1 << 20;
	lc.scratch_bytes = 2 << 20;
	struct snapshot *e2 = fixture_snapshot(elf_path, &lc), *p = NULL, *c = NULL;
	struct sandbox_config cfg = fixture_config();
	struct sandbox *sb = fixture_sandbox_at_snapshot(e2, &cfg, &p);
	if (!p)
		goto out;
	fixture_u64(sb, "bump_pages", 7);
	uint64_t want = fixture_u64(sb, "heap_sum", 8);
	c = fixture_snapshot_of(sb);
	if (!c)
		goto out;
	CHECK_I64(c->stats.incremental, expect_incremental());
	struct sandbox *x = fixture_sandbox(c, NULL);
	CHECK_U64(fixture_u64(x, "heap_sum", 8), want);
	sandbox_destroy(x);
out:
	snap_unref(p);
	snap_unref(c);
	snap_unref(e2);
	sandbox_destroy(sb);
}

static void test_dedup(void)
{
	struct snapshot *p = NULL, *c1 = NULL, *c2 = NULL;
	struct sandbox *sb = at_parent(false, &p);
	if (!p)
		goto out;
	fixture_u64(sb, "bump_pages", 6);
	c1 = fixture_snapshot_of(sb);
	if (!c1 || !fixture_restore(sb, p))
		goto out;
	fixture_u64(sb, "bump_pages", 6);
	c2 = fixture_snapshot_of(sb);
	if (!c2 || !expect_incremental())
		goto out;
	CHECK(c1->stats.bytes_new > 0);
	CHECK_U64(c2->stats.bytes_new, 0);
	CHECK(c2->stats.pages_deduped >= 6);
	CHECK(snap_equal(c1, c2)); /* the same state, the same image */
out:
	snap_unref(p);
	snap_unref(c1);
	snap_unref(c2);
	sandbox_destroy(sb);
}

static void test_release_parent(void)
{
	struct snapshot *p = NULL;
	struct sandbox *sb = at_parent(false, &p);
	const struct layout *l = &elf->layout;
	uint64_t heap_pages = l->config.heap_bytes / SB_PAGE_SIZE, want = 0;
	for (int gen = 0; p && gen < 8; gen++) {
		fixture_u64(sb, "bump_pages", (uint64_t)gen + 1);
		want = fixture_u64(sb, "heap_sum", heap_pages);
		struct snapshot *c = fixture_snapshot_of(sb);
		if (!c)
			break;
		CHECK_I64(c->stats.incremental, expect_incremental());
		/* The parent goes while its child lives; so does the sandbox. */
		snap_unref(p);
		p = c;
		sandbox_destroy(sb);
		sb = fixture_sandbox(p, NULL);
		CHECK_U64(fixture_u64(sb, "heap_sum", heap_pages), want);
	}
	if (p) {
		struct sandbox *x = fixture_sandbox(p, NULL);
		sandbox_destroy(sb);
		sb = NULL;
		CHECK_U64(fixture_u64(x, "heap_sum", heap_pages), want);
		sandbox_destroy(x);
	}
	snap_unref(p);
	sandbox_destroy(sb);
}

static void test_file(void)
{
	struct snapshot *p = NULL, *c = NULL, *loaded = NULL;
	struct sandbox *sb = at_parent(false, &p);
	const struct layout *l = &elf->layout;
	uint64_t heap_pages = l->config.heap_bytes / SB_PAGE_SIZE;
	char path[] = "/tmp/snapbench-incr-XXXXXX";
	int fd = mkstemp(path);
	struct sb_err err;
	if (!p || !CHECK(fd >= 0))
		goto out;
	close(fd);
	fixture_u64(sb, "bump_pages", 2);
	uint64_t want = fixture_u64(sb, "heap_sum", heap_pages);
	c = fixture_snapshot_of(sb);
	if (!c)
		goto out;
	if (!CHECK_I64(snap_save(c, path, &err), 0) ||
	    !CHECK_I64(snap_load(&loaded, path, SNAP_LOAD_VERIFY, &err), 0)) {
		fprintf(stderr, "  file: %s\n", err.msg);
		goto out;
	}
	CHECK(snap_equal(loaded, c));
	struct sandbox *x = fixture_sandbox(loaded, NULL);
	CHECK_U64(fixture_u64(x, "heap_sum", heap_pages), want);
	sandbox_destroy(x);
out:
	unlink(path);
	snap_unref(loaded);
	snap_unref(p);
	snap_unref(c);
	sandbox_destroy(sb);
}

struct worker {
	struct snapshot *p;
	uint64_t n;
	bool ok;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct sandbox *sb;
	struct sb_err err;
	struct sandbox_config c = fixture_config();
	w->ok = sandbox_create(&sb, w->p, &c, &err) == 0;
	for (int i = 0; w->ok && i < 20; i++) {
		struct snapshot *s = NULL;
		uint64_t r;
		w->ok = call_u64_1(sb, "bump_pages", w->n + (uint64_t)(i % 3), &r, &err) == 0 &&
			sandbox_snapshot(sb, &s, &err) == 0 &&
			s->stats.incremental == expect_incremental() &&
			sandbox_restore(sb, w->p, &err) == 0;
		snap_unref(s);
	}
	if (!w->ok)
		fprintf(stderr, "  thread: %s\n", err.msg);
	sandbox_destroy(sb);
	return NULL;
}

static void test_threads(void)
{
	struct snapshot *p = NULL;
	struct sandbox *sb = at_parent(false, &p);
	struct worker w[4];
	pthread_t t[4];
	for (int i = 0; p && i < 4; i++) {
		w[i] = (struct worker){ p, (uint64_t)i + 1, false };
		CHECK_I64(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
	}
	for (int i = 0; p && i < 4; i++) {
		pthread_join(t[i], NULL);
		CHECK(w[i].ok);
	}
	snap_unref(p);
	sandbox_destroy(sb);
}

int main(int argc, char **argv)
{
	elf = fixture_main(argc, argv, "TESTGUEST_ELF");
	elf_path = argv[1];
	FIXTURE_RUN(ONLY, "same_as_full", test_same_as_full());
	FIXTURE_RUN(ONLY, "aliases", test_aliases());
	FIXTURE_RUN(ONLY, "new_tables", test_new_tables());
	FIXTURE_RUN(ONLY, "extra_region", test_extra_region());
	FIXTURE_RUN(ONLY, "window_aligned", test_window_aligned());
	FIXTURE_RUN(ONLY, "dedup", test_dedup());
	FIXTURE_RUN(ONLY, "release_parent", test_release_parent());
	FIXTURE_RUN(ONLY, "file", test_file());
	FIXTURE_RUN(ONLY, "threads", test_threads());
	snap_unref(elf);
	return check_done();
}
