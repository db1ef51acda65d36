/* test_sandbox_redteam5.c — the fifth red-team pass: incremental snapshots
 * (snapshot/snap_incr.c). Guest side: guest/testguest_redteam5.c (rt5_*),
 * built as build/guest/testguest_redteam5. Each attack is run twice, once
 * with incremental snapshots and once with full ones
 * (sandbox_config.full_snapshots): a sandbox from the child must see what
 * one from the full snapshot of the same state sees, and what the live
 * sandbox saw. Every check FAILS when the attack works. Runs under every
 * restore strategy.
 *
 *   relink        ring 0. Before the parent P: a heap page holds a 2 MiB
 *                 page-directory entry for scratch (data, frozen into P).
 *                 After a restore from P: one root entry is pointed at the
 *                 (unwritten) last-level table that maps that heap page,
 *                 so the CPU reads its leaves as PDPTEs and the heap page
 *                 as a page directory; a word is put in a free scratch
 *                 page. The incremental snapshot walked only the root and
 *                 kept the entry (the table is P's), so the child's tables
 *                 reach live scratch through a data page: a sandbox from
 *                 it read that word as 0 (its fresh scratch), where the
 *                 full snapshot (which walks the chain and freezes the
 *                 pages) and the live sandbox read the word.
 *                 [FIXED: an entry of a walked table that points at a
 *                 table of the tail must be the parent's own edge, else
 *                 the full snapshot]
 *   nofile        64 full snapshots and 64 incremental children kept alive
 *                 with 16 descriptors free: each snapshot kept its memfd
 *                 open, 26 were taken ("memfd_create: Too many open
 *                 files").   [FIXED: a sealed backing closes its memfd;
 *                 images map its pages by mremap of its mapping]
 *   runs          writes scattered across a 16 MiB heap, 128 children
 *                 kept: ~600 runs each used up vm.max_map_count (test_runs
 *                 says more).   [FIXED: a process-wide budget of runs]
 *   remanence     before P a heap page holds a secret; after a restore
 *                 the guest scrubs it (writes 0: under rewrite the copy is
 *                 a zero page) and the child is taken. The child's image
 *                 still holds P's page with the secret, mapped by no leaf,
 *                 and a guest from the child finds it by mapping the
 *                 snapshot region's GPAs through the gate (ring 3): 1 page
 *                 of 15, where the full snapshot of the same state has
 *                 none (host-cow writes in place: none either). Data a
 *                 guest scrubbed before a snapshot survives in the
 *                 snapshot, for whoever runs from it.
 *                 [FIXED: the child counts the leaves mapping each image
 *                 page (P's counts, built once from its tail, plus what
 *                 the walk changed); P's pages no leaf maps any more are
 *                 the zero page in the child]
 * Usage: test_sandbox_redteam5 build/guest/testguest_redteam5
 * REDTEAM5_ONLY=name[,name] runs a subset. */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "fixture.h"
#include "pt.h"

#define ONLY "REDTEAM5_ONLY"

static struct snapshot *elf;
static const char *elf_path;

/* Valgrind maps memory of its own and cannot map a shared mapping's pages
 * again (mremap with old size 0): there backings keep their descriptors
 * (snapshot/snap_store.c) and the mapping counts are not ours. */
static bool under_valgrind(void)
{
	return getenv("SNAPBENCH_UNDER_VALGRIND") != NULL;
}

static uint64_t u64s(struct sandbox *sb, const char *fn, uint64_t a, uint64_t b, unsigned n)
{
	uint64_t r = 0, args[2] = { a, b };
	struct sb_err err;
	if (!sb || !CHECK_I64(call_u64s(sb, fn, args, n, &r, &err), 0))
		fprintf(stderr, "  %s(0x%llx, 0x%llx): %s\n", fn, (unsigned long long)a,
			(unsigned long long)b, sb ? err.msg : "no sandbox");
	return r;
}

/* 1 MiB heap, 2 MiB scratch: scratch starts on a 2 MiB boundary, so one
 * large page maps all of it. */
static struct snapshot *small_elf(void)
{
	struct layout_config lc = layout_config_default();
	lc.heap_bytes = 1 << 20;
	lc.scratch_bytes = 2 << 20;
	return fixture_snapshot(elf_path, &lc);
}

/* ---- relink ---------------------------------------------------------------- */

#define RT5_MAGIC 0x5ca77e4ed0c0ffeeull

/* What a sandbox from the child reads through the relinked entry. The
 * snapshot may be refused (SB_E_GUEST: the full walk reads the leaves of
 * the relinked table as tables, and their data pages as page directories
 * that map what is no guest memory): *refused then. *live: what the
 * sandbox itself read before the snapshot. ~0: a step failed. */
static uint64_t relink_once(struct snapshot *e2, bool full, uint64_t *live, bool *incr,
			    bool *refused)
{
	struct sandbox_config cfg = fixture_config_in(SANDBOX_MODE_KERNEL);
	cfg.full_snapshots = full;
	const struct layout *l = &e2->layout;
	gva_t heap = layout_heap_gva(l);
	uint64_t put = layout_scratch_bytes(l) - (SB_SCRATCH_TOP_PAGES + 1) * SB_PAGE_SIZE;
	struct snapshot *p = NULL, *c = NULL;
	struct sandbox *sb = fixture_sandbox(e2, &cfg), *x = NULL;
	struct sb_err err;
	uint64_t got = ~0ull;
	*live = ~0ull;
	*refused = *incr = false;
	if (!sb)
		return got;
	/* A 2 MiB PDE for all of scratch, as data in heap page 0 of P. */
	u64s(sb, "poke", heap, layout_scratch_base_gpa(l) | PT_P | PT_RW | PT_US | PT_PS, 2);
	p = fixture_snapshot_of(sb);
	if (!p || !fixture_restore(sb, p))
		goto out;
	gva_t va = u64s(sb, "rt5_relink", heap, 160, 2);
	u64s(sb, "rt5_scratch_put", put, RT5_MAGIC, 2);
	*live = u64s(sb, "peek", va + put, 0, 1);
	if (sandbox_snapshot(sb, &c, &err)) {
		*refused = err.code == SB_E_GUEST;
		fprintf(stderr, "  %s snapshot refused: %s\n", full ? "full" : "incremental",
			err.msg);
		goto out;
	}
	*incr = c->stats.incremental;
	x = fixture_sandbox(c, &cfg);
	if (x)
		got = u64s(x, "peek", va + put, 0, 1);
out:
	sandbox_destroy(x);
	sandbox_destroy(sb);
	snap_unref(c);
	snap_unref(p);
	return got;
}

static void test_relink(void)
{
	struct snapshot *e2 = small_elf();
	uint64_t live_i, live_f;
	bool incr = false, incr_f, refused_i, refused_f;
	uint64_t got_f = relink_once(e2, true, &live_f, &incr_f, &refused_f);
	uint64_t got_i = relink_once(e2, false, &live_i, &incr, &refused_i);
	fprintf(stderr, "  live 0x%llx; child: full 0x%llx%s, %s 0x%llx%s\n",
		(unsigned long long)live_i, (unsigned long long)got_f,
		refused_f ? " (refused)" : "", incr ? "incremental" : "not incremental",
		(unsigned long long)got_i, refused_i ? " (refused)" : "");
	CHECK_U64(live_f, RT5_MAGIC);
	CHECK_U64(live_i, RT5_MAGIC);
	/* As the full snapshot of the same state: refused, or the word. */
	CHECK_I64(refused_i, refused_f);
	CHECK_U64(got_i, got_f);
	if (!refused_f)
		CHECK_U64(got_f, RT5_MAGIC);
	snap_unref(e2);
}

/* ---- nofile ---------------------------------------------------------------- */

/* Open descriptors now (the lowest free one after a probe is not enough:
 * there may be holes). */
static unsigned open_fds(void)
{
	unsigned n = 0;
	for (int fd = 0; fd < 4096; fd++)
		n += fcntl(fd, F_GETFD) != -1;
	return n;
}

#define NOFILE_SNAPS 64

/* Snapshots kept alive under a small RLIMIT_NOFILE: full ones (a sandbox
 * from the ELF) and incremental children of one parent. Every snapshot
 * must be taken, as before snapshots had memfd backings: a snapshot that
 * keeps a descriptor open for its whole life makes a process's live
 * snapshots bounded by its descriptor limit (1024 by default), where
 * before they were bounded by memory. */
static void test_nofile(void)
{
	struct rlimit old, lim;
	struct snapshot *keep[2 * NOFILE_SNAPS] = { 0 }, *p = NULL;
	struct sandbox_config cfg = fixture_config();
	struct sandbox *sb = fixture_sandbox(elf, &cfg), *sp = NULL;
	struct sb_err err;
	unsigned taken = 0, incr = 0;
	if (under_valgrind()) {
		fprintf(stderr, "  skipped under valgrind\n");
		goto out;
	}
	if (!sb || !CHECK_I64(getrlimit(RLIMIT_NOFILE, &old), 0))
		goto out;
	sp = fixture_sandbox_at_snapshot(elf, &cfg, &p);
	if (!p)
		goto out;
	lim = old;
	lim.rlim_cur = open_fds() + 16;
	if (!CHECK_I64(setrlimit(RLIMIT_NOFILE, &lim), 0))
		goto out;
	for (unsigned i = 0; i < NOFILE_SNAPS; i++) {
		uint64_t r;
		if (call_u64_1(sb, "bump_pages", 1, &r, &err) ||
		    sandbox_snapshot(sb, &keep[2 * i], &err)) {
			fprintf(stderr, "  full snapshot %u: %s\n", i, err.msg);
			break;
		}
		taken++;
		if (call_u64_1(sp, "bump_pages", 1 + i % 4, &r, &err) ||
		    sandbox_snapshot(sp, &keep[2 * i + 1], &err) || !fixture_restore(sp, p)) {
			fprintf(stderr, "  child %u: %s\n", i, err.msg);
			break;
		}
		taken++;
		incr += keep[2 * i + 1]->stats.incremental;
	}
	setrlimit(RLIMIT_NOFILE, &old);
	fprintf(stderr, "  %u of %u snapshots taken under a limit of %llu descriptors (%u incremental)\n",
		taken, 2 * NOFILE_SNAPS, (unsigned long long)lim.rlim_cur, incr);
	CHECK_U64(taken, 2 * NOFILE_SNAPS);
	/* They still work. */
	for (unsigned i = 0; i < 2 * NOFILE_SNAPS; i += 13) {
		if (!keep[i])
			continue;
		struct sandbox *x = fixture_sandbox(keep[i], NULL);
		uint64_t r;
		CHECK(x && call_u64_1(x, "heap_sum", 4, &r, &err) == 0);
		sandbox_destroy(x);
	}
out:
	for (unsigned i = 0; i < 2 * NOFILE_SNAPS; i++)
		snap_unref(keep[i]);
	snap_unref(p);
	sandbox_destroy(sb);
	sandbox_destroy(sp);
}

/* ---- runs ------------------------------------------------------------------ */

static unsigned process_maps(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	unsigned n = 0;
	int ch;
	while (f && (ch = fgetc(f)) != EOF)
		n += ch == '\n';
	if (f)
		fclose(f);
	return n;
}

#define RUNS_KEEP 128

/* A guest that scatters its writes across a 16 MiB heap (every other
 * page of the first 2 * 600), snapshotted after every call, each child
 * kept (a history of states): each child may map at most 1024 runs, and
 * all the children together must not use up the process's mappings
 * (vm.max_map_count, 65530 by default): a sandbox must still be created
 * after them, and every child must answer as the live sandbox did. Each
 * sibling deduplicates its pages against the first one's page by page
 * (all 600 have one content), one run each: 109 children took every
 * mapping the process had and the 110th snapshot failed ("cannot map
 * extent 350 of 603: Cannot allocate memory").
 * [FIXED: the runs of all live incremental images stay within a quarter
 * of vm.max_map_count; past it, the full snapshot (one mapping)] */
static void test_runs(void)
{
	struct layout_config lc = layout_config_default();
	lc.heap_bytes = 16 << 20;
	lc.scratch_bytes = 8 << 20;
	struct snapshot *e = fixture_snapshot(elf_path, &lc), *p = NULL, *keep[RUNS_KEEP] = { 0 };
	uint64_t want[RUNS_KEEP];
	struct sandbox_config cfg = fixture_config();
	struct sandbox *sb = fixture_sandbox_at_snapshot(e, &cfg, &p);
	struct sb_err err;
	unsigned maps0 = process_maps(), taken = 0, incr = 0;
	size_t most = 0;
	if (!p || under_valgrind())
		goto out;
	for (unsigned i = 0; i < RUNS_KEEP; i++) {
		uint64_t r;
		if (call_u64_1(sb, "heap_sum", 0, &r, &err) ||
		    call_u64s(sb, "rt5_scatter", (uint64_t[]){ 600, 2 }, 2, &want[i], &err) ||
		    sandbox_snapshot(sb, &keep[i], &err) || !fixture_restore(sb, p)) {
			fprintf(stderr, "  child %u: %s\n", i, err.msg);
			break;
		}
		taken++;
		incr += keep[i]->stats.incremental;
		if (keep[i]->nextents > most)
			most = keep[i]->nextents;
	}
	unsigned maps = process_maps();
	fprintf(stderr, "  %u children (%u incremental), at most %zu runs each; the process maps "
		"%u ranges (%u before)\n", taken, incr, most, maps, maps0);
	CHECK_U64(taken, RUNS_KEEP);
	CHECK(most <= 1024);
	/* The images' runs within a quarter of the process's mappings (plus
	 * the full snapshots' one each, and the sandboxes'). */
	unsigned long max = 65530;
	FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
	if (f) {
		if (fscanf(f, "%lu", &max) != 1)
			max = 65530;
		fclose(f);
	}
	CHECK(maps <= maps0 + max / 4 + 2 * RUNS_KEEP);
	struct sandbox *x = NULL;
	if (CHECK_I64(sandbox_create(&x, e, &cfg, &err), 0))
		sandbox_destroy(x);
	else
		fprintf(stderr, "  create after the children: %s\n", err.msg);
	for (unsigned i = 0; i < taken; i += 17) {
		x = fixture_sandbox(keep[i], &cfg);
		CHECK_U64(u64s(x, "rt5_scatter", 600, 2, 2), want[i] + 600);
		sandbox_destroy(x);
	}
out:
	for (unsigned i = 0; i < RUNS_KEEP; i++)
		snap_unref(keep[i]);
	snap_unref(p);
	snap_unref(e);
	sandbox_destroy(sb);
}

/* ---- chain ----------------------------------------------------------------- */

/* Shared memory resident in this process (snapshot backings are memfds). */
static uint64_t rss_shmem_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	unsigned long long kib = 0;
	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "RssShmem: %llu kB", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return kib;
}

#define CHAIN_GENS 24

/* A chain of generations, each parent released as soon as its child
 * exists, the guest rewriting its whole 4 MiB heap in every generation:
 * what the last child holds must stay near what a full snapshot of the
 * same state holds, not grow by a heap per generation (images keep every
 * page of their parent's, mapped by the guest or not). */
static void test_chain(void)
{
	struct layout_config lc = layout_config_default();
	lc.heap_bytes = 4 << 20;
	lc.scratch_bytes = 8 << 20;
	uint64_t heap_pages = lc.heap_bytes / SB_PAGE_SIZE;
	struct snapshot *e = fixture_snapshot(elf_path, &lc), *p = NULL, *full = NULL;
	uint64_t shmem0 = rss_shmem_kib();
	struct sandbox_config cfg = fixture_config();
	struct sandbox *sb = fixture_sandbox_at_snapshot(e, &cfg, &p);
	uint64_t want = 0, added = 0;
	unsigned incr = 0;
	for (unsigned gen = 0; p && gen < CHAIN_GENS; gen++) {
		u64s(sb, "bump_pages", heap_pages, 0, 1);
		want = u64s(sb, "heap_sum", heap_pages, 0, 1);
		struct snapshot *c = fixture_snapshot_of(sb);
		if (!c)
			break;
		incr += c->stats.incremental;
		added += c->stats.bytes_new;
		/* The heap was rewritten: none of P's heap pages is shared any
		 * more, whether the writes went to copies (rewrite, rewind) or
		 * in place (host-cow). (The first P holds a zero heap: one
		 * page.) */
		uint64_t pimg = layout_snapshot_bytes(&p->layout) / SB_PAGE_SIZE;
		if (gen > 0 && c->stats.incremental &&
		    !CHECK(c->stats.pages_shared + heap_pages <= pimg))
			fprintf(stderr, "  generation %u: %llu pages shared of the parent's %llu, after "
				"rewriting %llu heap pages\n", gen,
				(unsigned long long)c->stats.pages_shared, (unsigned long long)pimg,
				(unsigned long long)heap_pages);
		snap_unref(p);
		p = c;
		if (!fixture_restore(sb, p))
			break;
	}
	if (!p)
		goto out;
	cfg.full_snapshots = true;
	struct sandbox *f = fixture_sandbox(p, &cfg);
	full = fixture_snapshot_of(f);
	sandbox_destroy(f);
	if (!full)
		goto out;
	sandbox_destroy(sb);
	sb = NULL;
	/* What the last child alone holds: its backings and its ancestors'
	 * (minus the full snapshot's, about its image). */
	uint64_t held = rss_shmem_kib() - shmem0 - (full->map_bytes >> 10);
	uint64_t img = layout_snapshot_bytes(&p->layout), fimg = layout_snapshot_bytes(&full->layout);
	fprintf(stderr, "  %u generations (%u incremental): the last image %llu KiB, the full "
		"snapshot of its state %llu KiB; new bytes reported %llu KiB; the last child holds "
		"%llu KiB of backings\n", CHAIN_GENS, incr, (unsigned long long)img >> 10,
		(unsigned long long)fimg >> 10, (unsigned long long)added >> 10,
		(unsigned long long)held);
	CHECK(img <= 3 * fimg);
	CHECK(held <= 3 * (fimg >> 10));
	struct sandbox *x = fixture_sandbox(p, NULL);
	CHECK_U64(u64s(x, "heap_sum", heap_pages, 0, 1), want);
	sandbox_destroy(x);
out:
	snap_unref(full);
	snap_unref(p);
	snap_unref(e);
	sandbox_destroy(sb);
}

/* ---- remanence --------------------------------------------------------------- */

#define RT5_SECRET 0x5ec2e75ec2e75ec2ull

/* How many pages of the child's image a guest from it finds the secret in
 * (ring 3, mapping the snapshot region's GPAs through the gate). */
static uint64_t remanence_once(struct snapshot *e2, bool full)
{
	struct sandbox_config cfg = fixture_config();
	cfg.full_snapshots = full;
	gva_t heap = layout_heap_gva(&e2->layout);
	struct snapshot *p = NULL, *c = NULL;
	struct sandbox *sb = fixture_sandbox(e2, &cfg), *x = NULL;
	uint64_t found = ~0ull;
	u64s(sb, "poke", heap + 5 * SB_PAGE_SIZE, RT5_SECRET, 2);
	p = fixture_snapshot_of(sb);
	if (!p || !fixture_restore(sb, p))
		goto out;
	u64s(sb, "poke", heap + 5 * SB_PAGE_SIZE, 0, 2); /* scrubbed */
	c = fixture_snapshot_of(sb);
	if (!c)
		goto out;
	x = fixture_sandbox(c, &cfg);
	found = u64s(x, "rt5_find", RT5_SECRET, layout_snapshot_bytes(&c->layout) / SB_PAGE_SIZE, 2);
	fprintf(stderr, "  %s child (%s): the scrubbed secret in %llu of its %llu pages\n",
		full ? "full" : "incremental", c->stats.incremental ? "incremental" : "full",
		(unsigned long long)found,
		(unsigned long long)layout_snapshot_bytes(&c->layout) / SB_PAGE_SIZE);
out:
	sandbox_destroy(x);
	sandbox_destroy(sb);
	snap_unref(c);
	snap_unref(p);
	return found;
}

static void test_remanence(void)
{
	struct snapshot *e2 = small_elf();
	CHECK_U64(remanence_once(e2, false), remanence_once(e2, true));
	snap_unref(e2);
}

/* ---- flip ------------------------------------------------------------------ */

/* The chain again, but each generation maps its new pages where its
 * parent had no leaf and unmaps its parent's (rt5_flip): no leaf is
 * replaced, pages only appear and disappear. The image must still stay
 * near the full snapshot's. */
static void test_flip(void)
{
	struct layout_config lc = layout_config_default();
	lc.heap_bytes = 4 << 20;
	lc.scratch_bytes = 8 << 20;
	const uint64_t n = 256;
	struct snapshot *e = fixture_snapshot(elf_path, &lc), *p = NULL, *full = NULL;
	struct sandbox_config cfg = fixture_config();
	struct sandbox *sb = fixture_sandbox_at_snapshot(e, &cfg, &p);
	uint64_t want = 0;
	unsigned incr = 0;
	for (unsigned gen = 0; p && gen < CHAIN_GENS; gen++) {
		want = u64s(sb, "rt5_flip", gen, n, 2);
		struct snapshot *c = fixture_snapshot_of(sb);
		if (!c)
			break;
		incr += c->stats.incremental;
		snap_unref(p);
		p = c;
		if (!fixture_restore(sb, p))
			break;
	}
	if (!p)
		goto out;
	cfg.full_snapshots = true;
	struct sandbox *f = fixture_sandbox(p, &cfg);
	full = fixture_snapshot_of(f);
	sandbox_destroy(f);
	if (!full)
		goto out;
	uint64_t img = layout_snapshot_bytes(&p->layout), fimg = layout_snapshot_bytes(&full->layout);
	fprintf(stderr, "  %u generations (%u incremental): the last image %llu KiB, the full "
		"snapshot of its state %llu KiB\n", CHAIN_GENS, incr, (unsigned long long)img >> 10,
		(unsigned long long)fimg >> 10);
	CHECK(img <= 3 * fimg);
	/* the last generation's pages, as written */
	struct sandbox *x = fixture_sandbox(p, NULL);
	gva_t at = layout_heap_gva(&e->layout) + ((CHAIN_GENS - 1) & 1 ? 0 : n) * SB_PAGE_SIZE;
	uint64_t sum = 0;
	for (uint64_t i = 0; i < n; i++)
		sum += u64s(x, "peek", at + i * SB_PAGE_SIZE, 0, 1);
	CHECK_U64(sum, want);
	sandbox_destroy(x);
out:
	snap_unref(full);
	snap_unref(p);
	snap_unref(e);
	sandbox_destroy(sb);
}

/* ---- threads --------------------------------------------------------------- */

/* Threads snapshotting children of one parent with the same and different
 * changes (so each looks its pages up where a sibling stored them), each
 * child put in a shared slot that another thread takes, restores its own
 * sandbox to, checks and releases; the parent released by the main thread
 * while they run. For ASan (build-asan): the lineage index found pages of
 * backings whose last reference was going. */
#define TH_N 4
#define TH_ITERS 40
#define TH_SLOTS 8

static pthread_mutex_t th_lock = PTHREAD_MUTEX_INITIALIZER;
static struct snapshot *th_slot[TH_SLOTS];
static uint64_t th_sum[TH_SLOTS];

struct th_arg {
	struct snapshot *p;
	unsigned id;
	bool ok;
	char why[600];
};

static void *th_main(void *varg)
{
	struct th_arg *a = varg;
	struct sandbox_config cfg = fixture_config();
	struct sandbox *sb = NULL;
	struct sb_err err = { 0 };
	struct snapshot *home = a->p; /* its reference */
	a->ok = sandbox_create(&sb, home, &cfg, &err) == 0;
	for (unsigned i = 0; a->ok && i < TH_ITERS; i++) {
		uint64_t r, sum;
		struct snapshot *c = NULL, *other;
		unsigned slot = (a->id * 7 + i * 3) % TH_SLOTS;
		a->ok = call_u64_1(sb, "bump_pages", 1 + (i + a->id) % 5, &r, &err) == 0 &&
			call_u64_1(sb, "heap_sum", 8, &sum, &err) == 0 &&
			sandbox_snapshot(sb, &c, &err) == 0;
		if (!a->ok)
			break;
		pthread_mutex_lock(&th_lock);
		other = th_slot[slot];
		uint64_t want = th_sum[slot];
		th_slot[slot] = c;
		th_sum[slot] = sum;
		pthread_mutex_unlock(&th_lock);
		if (other) {
			/* A sibling's child: restore into it, check, release it. */
			a->ok = sandbox_restore(sb, other, &err) == 0 &&
				call_u64_1(sb, "heap_sum", 8, &r, &err) == 0;
			if (a->ok && r != want) {
				a->ok = false;
				snprintf(err.msg, sizeof err.msg, "a sibling's child sums 0x%llx, want 0x%llx",
					 (unsigned long long)r, (unsigned long long)want);
			}
			if (i % 2) {
				snap_unref(home);
				home = other;
			} else {
				snap_unref(other);
			}
		}
		if (a->ok)
			a->ok = sandbox_restore(sb, home, &err) == 0;
	}
	if (!a->ok)
		snprintf(a->why, sizeof a->why, "%s", err.msg);
	sandbox_destroy(sb);
	snap_unref(home);
	return NULL;
}

static void test_threads(void)
{
	struct snapshot *p = NULL;
	struct sandbox_config cfg = fixture_config();
	struct sandbox *sb = fixture_sandbox_at_snapshot(elf, &cfg, &p);
	struct th_arg a[TH_N];
	pthread_t t[TH_N];
	sandbox_destroy(sb);
	if (!p)
		return;
	for (unsigned i = 0; i < TH_N; i++) {
		a[i] = (struct th_arg){ .p = snap_ref(p), .id = i };
		CHECK_I64(pthread_create(&t[i], NULL, th_main, &a[i]), 0);
	}
	snap_unref(p); /* the threads hold their own */
	for (unsigned i = 0; i < TH_N; i++) {
		pthread_join(t[i], NULL);
		if (!CHECK(a[i].ok))
			fprintf(stderr, "  thread %u: %s\n", i, a[i].why);
	}
	for (unsigned i = 0; i < TH_SLOTS; i++) {
		snap_unref(th_slot[i]);
		th_slot[i] = NULL;
	}
}

/* ---- sequences ------------------------------------------------------------- */

/* A child must answer as the live sandbox did when it was taken, after
 * the sequences the brief lists: two snapshots without a restore between,
 * a snapshot right after a create from a child, after a call that faulted
 * and a restore, and after restoring a snapshot of another lineage. */
static struct snapshot *sum_snapshot(struct sandbox *sb, uint64_t *sum, const char *what)
{
	*sum = u64s(sb, "heap_sum", 16, 0, 1);
	struct snapshot *c = fixture_snapshot_of(sb);
	if (!c)
		fprintf(stderr, "  %s: no snapshot\n", what);
	return c;
}

static void check_child(struct snapshot *c, uint64_t want, const char *what)
{
	if (!c)
		return;
	struct sandbox *x = fixture_sandbox(c, NULL);
	uint64_t got = u64s(x, "heap_sum", 16, 0, 1);
	if (!CHECK_U64(got, want))
		fprintf(stderr, "  %s (%s) differs from the live sandbox\n", what,
			c->stats.incremental ? "incremental" : "full");
	sandbox_destroy(x);
}

static void test_sequences(void)
{
	struct sandbox_config cfg = fixture_config();
	struct snapshot *p = NULL, *q = NULL, *c1 = NULL, *c2 = NULL, *c3 = NULL, *c4 = NULL,
			*c5 = NULL;
	struct sandbox *sb = fixture_sandbox_at_snapshot(elf, &cfg, &p), *sq = NULL, *x = NULL;
	uint64_t s1, s2, s3, s4, s5;
	struct sb_err err;
	if (!p)
		goto out;
	/* twice without a restore */
	u64s(sb, "bump_pages", 2, 0, 1);
	c1 = sum_snapshot(sb, &s1, "first of two");
	u64s(sb, "rt5_scatter", 6, 2, 2);
	c2 = sum_snapshot(sb, &s2, "second of two");
	check_child(c1, s1, "first of two");
	check_child(c2, s2, "second of two");
	/* right after a create from a child */
	if (c2) {
		x = fixture_sandbox(c2, NULL);
		c3 = sum_snapshot(x, &s3, "right after create");
		CHECK_U64(s3, s2);
		check_child(c3, s3, "right after create");
	}
	/* after a faulting call and a restore */
	uint64_t r;
	CHECK(call_u64_1(sb, "peek", 0x700000000000ull, &r, &err) != 0);
	if (fixture_restore(sb, p)) {
		u64s(sb, "bump_pages", 3, 0, 1);
		c4 = sum_snapshot(sb, &s4, "after a fault");
		check_child(c4, s4, "after a fault");
	}
	/* after restoring another lineage's snapshot */
	sq = fixture_sandbox_at_snapshot(elf, &cfg, &q);
	if (q && fixture_restore(sb, q)) {
		u64s(sb, "rt5_scatter", 5, 3, 2);
		c5 = sum_snapshot(sb, &s5, "another lineage");
		check_child(c5, s5, "another lineage");
		if (c5 && c5->stats.incremental)
			CHECK(c5->lineage == q->lineage);
	}
out:
	sandbox_destroy(x);
	sandbox_destroy(sb);
	sandbox_destroy(sq);
	struct snapshot *all[] = { p, q, c1, c2, c3, c4, c5 };
	for (unsigned i = 0; i < sizeof all / sizeof all[0]; i++)
		snap_unref(all[i]);
}

int main(int argc, char **argv)
{
	elf = fixture_main(argc, argv, "TESTGUEST_ELF");
	elf_path = argv[1];
	FIXTURE_RUN(ONLY, "relink", test_relink());
	FIXTURE_RUN(ONLY, "nofile", test_nofile());
	FIXTURE_RUN(ONLY, "runs", test_runs());
	FIXTURE_RUN(ONLY, "chain", test_chain());
	FIXTURE_RUN(ONLY, "flip", test_flip());
	FIXTURE_RUN(ONLY, "remanence", test_remanence());
	FIXTURE_RUN(ONLY, "threads", test_threads());
	FIXTURE_RUN(ONLY, "sequences", test_sequences());
	snap_unref(elf);
	return check_done();
}
