/* test_sandbox_restore.c — snapshots of running sandboxes and restores:
 * state comes back exactly, later changes are undone, generations, aliases
 * copied once, A-B-A, cross-sandbox, other scratch sizes, poisoning, and
 * every refusal. Usage: test_sandbox_restore TESTGUEST_ELF */
#include <stdlib.h>
#include <unistd.h>

#include "fixture.h"
#include "pt_host.h"
#include "sandbox_internal.h"
#include "snap_file.h"

static struct snapshot *elf_snap;

static uint64_t u64_call(struct sandbox *sb, const char *fn, uint64_t arg)
{
	struct sb_err err;
	uint64_t r = 0;
	if (call_u64_1(sb, fn, arg, &r, &err))
		fprintf(stderr, "  %s(%llu): %s\n", fn, (unsigned long long)arg, err.msg);
	return r;
}

static uint64_t generation(struct sandbox *sb)
{
	struct sb_err err;
	struct sb_value ret = { 0 };
	if (sandbox_call(sb, "read_generation", NULL, 0, &ret, &err))
		fprintf(stderr, "  read_generation: %s\n", err.msg);
	return ret.as.u64;
}

static bool host_cow(const struct sandbox *sb)
{
	return sandbox_restore_strategy(sb) == SANDBOX_RESTORE_HOST_COW;
}

static bool retain(const struct sandbox *sb)
{
	return sandbox_restore_strategy(sb) == SANDBOX_RESTORE_RETAIN;
}

/* The heap as the snapshot saw it comes back, whatever happened after. */
static void test_state_round_trip(void)
{
	struct sandbox *sb = fixture_sandbox(elf_snap, NULL);
	const uint64_t pages = 32;
	u64_call(sb, "touch_pages", 5);
	uint64_t sum_at_snapshot = u64_call(sb, "heap_sum", pages);
	struct snapshot *s1 = fixture_snapshot_of(sb);
	if (!s1)
		goto out;
	CHECK_U64(s1->generation, 1);
	CHECK_U64(s1->entry_kind, SNAP_ENTRY_CALL);
	CHECK(s1->stats.pages_copied > 0 && s1->stats.pages_copied <= s1->stats.pages_mapped);

	uint64_t used_init = sandbox_scratch_pages_used(sb);
	u64_call(sb, "fill_heap", pages * SB_PAGE_SIZE); /* every heap page changes */
	CHECK(u64_call(sb, "heap_sum", pages) != sum_at_snapshot);
	uint64_t used_before = sandbox_scratch_pages_used(sb);
	/* Under host-cow an ELF snapshot's heap pages are writable in place:
	 * no copy. */
	if (host_cow(sb))
		CHECK_U64(used_before, used_init);
	else
		CHECK(used_before >= pages - 5);
	if (fixture_restore(sb, s1)) {
		CHECK_U64(sandbox_scratch_pages_used(sb), 0);
		CHECK_U64(u64_call(sb, "heap_sum", pages), sum_at_snapshot);
		/* The restored pages are copy-on-write again: dirtying them costs
		 * scratch pages again, exactly one per page. Under host-cow the 5
		 * pages s1 holds are written in place, the 3 zero pages s1 shares
		 * stay copy-on-write. */
		uint64_t before = sandbox_scratch_pages_used(sb);
		u64_call(sb, "touch_pages", 8);
		CHECK_U64(sandbox_scratch_pages_used(sb) - before, host_cow(sb) ? 3 : 8);
		CHECK_U64(sandbox_last_call_cow_faults(sb), host_cow(sb) ? 3 : 8);
		/* the 5 heap pages and the guest's own data pages */
		if (host_cow(sb))
			CHECK(sandbox_last_restore(sb).pages_retained >= 5);
		else
			CHECK_U64(sandbox_last_restore(sb).pages_retained, 0);
	}
	/* Restoring the same snapshot twice in a row is the same. */
	if (fixture_restore(sb, s1) && fixture_restore(sb, s1))
		CHECK_U64(u64_call(sb, "heap_sum", pages), sum_at_snapshot);
	/* A snapshot taken right after a restore (before any call) is the
	 * restored state, not the run before it. */
	u64_call(sb, "fill_heap", pages * SB_PAGE_SIZE);
	if (fixture_restore(sb, s1)) {
		struct snapshot *s2 = fixture_snapshot_of(sb);
		u64_call(sb, "fill_heap", pages * SB_PAGE_SIZE);
		if (s2 && fixture_restore(sb, s2))
			CHECK_U64(u64_call(sb, "heap_sum", pages), sum_at_snapshot);
		snap_unref(s2);
	}
	/* FPU state does not survive a restore. */
	CHECK_U64(u64_call(sb, "fpu_control", 0x27f), 0x27f);
	CHECK_U64(u64_call(sb, "fpu_control", 0), 0x27f);
	if (fixture_restore(sb, s1))
		CHECK_U64(u64_call(sb, "fpu_control", 0), 0x37f);
	snap_unref(s1);
out:
	sandbox_destroy(sb);
}

/* Restores after calls that dirty 0 to 512 pages (more than the guest's
 * undo log holds), in both rings: each brings back exactly the snapshot's
 * heap, empties the log the guest kept, and is full (tables rewritten,
 * shadow tables dropped) exactly when the guest wrote page tables or calls
 * run in ring 0. */
static void test_rewind_and_overflow(const char *elf)
{
	struct layout_config big = layout_config_default();
	big.heap_bytes = 2 << 20;    /* 512 pages: more than the log holds */
	big.scratch_bytes = 4 << 20;
	struct snapshot *base = fixture_snapshot(elf, &big);
	for (int ring0 = 0; ring0 < 2; ring0++) {
		struct sandbox_config cfg = fixture_config();
		cfg.mode = ring0 ? SANDBOX_MODE_KERNEL : SANDBOX_MODE_USER;
		/* heap_sum over 512 pages in ring 0 is emulated instruction by
		 * instruction here: ~0.5 s, more on a loaded machine */
		cfg.deadline_ns = 60ull * 1000000000;
		struct sandbox *sb = fixture_sandbox(base, &cfg);
		u64_call(sb, "touch_pages", 3);
		uint64_t sum = u64_call(sb, "heap_sum", 512);
		struct snapshot *s = fixture_snapshot_of(sb);
		if (!s || !fixture_restore(sb, s)) { /* the first restore swaps slots */
			snap_unref(s);
			sandbox_destroy(sb);
			continue;
		}
		static const uint64_t dirty[] = { 10, 0, 400, 20, 512, 1 };
		uint64_t retained = 0; /* retain: the pages kept mapped so far */
		for (size_t i = 0; i < sizeof dirty / sizeof dirty[0]; i++) {
			u64_call(sb, "touch_pages", dirty[i]);
			/* Under host-cow the 3 pages s holds are written in place;
			 * under retain the copies kept by earlier restores. */
			uint64_t cow = dirty[i];
			if (host_cow(sb))
				cow = cow > 3 ? cow - 3 : 0;
			else if (retain(sb))
				cow = cow > retained ? cow - retained : 0;
			struct sb_pt_undo_log *log =
				(void *)(sb->mem.scratch + sb_undo_log_offset(sb->mem.scratch_bytes));
			bool overflowed = log->overflow != 0;
			uint64_t logged = log->count;
			CHECK(overflowed == (cow >= SB_PT_UNDO_ENTRIES));
			CHECK(logged > 0 || cow == 0);
			if (!fixture_restore(sb, s))
				break;
			/* The host reset the log with every page the guest wrote. */
			CHECK_U64(log->count, 0);
			CHECK_U64(log->overflow, 0);
			CHECK(sandbox_last_restore(sb).same_snapshot);
			if (!CHECK(sandbox_last_restore(sb).full == (ring0 || cow > 0)))
				fprintf(stderr, "  ring %d, %llu pages: full = %d\n", ring0 ? 0 : 3,
					(unsigned long long)dirty[i], sandbox_last_restore(sb).full);
			if (retain(sb) && dirty[i] > retained)
				retained = dirty[i];
			if (!host_cow(sb))
				CHECK_U64(sandbox_last_restore(sb).pages_retained, retained);
			CHECK_U64(sandbox_scratch_pages_used(sb), retained);
			if (!CHECK_U64(u64_call(sb, "heap_sum", 512), sum))
				fprintf(stderr, "  ring %d, after dirtying %llu pages\n", ring0 ? 0 : 3,
					(unsigned long long)dirty[i]);
		}
		/* Nothing ran since the last restore (a pooled sandbox scrubbed,
		 * then taken): the next is light, calls in ring 0 too. */
		if (fixture_restore(sb, s) && fixture_restore(sb, s) &&
		    !CHECK(!sandbox_last_restore(sb).full))
			fprintf(stderr, "  ring %d: a restore after a restore was full\n", ring0 ? 0 : 3);
		CHECK_U64(u64_call(sb, "heap_sum", 512), sum);
		snap_unref(s);
		sandbox_destroy(sb);
	}
	snap_unref(base);
}

/* Snapshots along one history get 1, 2, 3; the guest reads the number of
 * the snapshot it was restored from; restores in any order (A-B-A). */
static void test_generations_and_aba(void)
{
	struct sandbox *sb = fixture_sandbox(elf_snap, NULL);
	CHECK_U64(generation(sb), 0);
	struct snapshot *s[3] = { 0 };
	uint64_t sums[3];
	for (int i = 0; i < 3; i++) {
		u64_call(sb, "touch_pages", (uint64_t)(i + 1) * 4);
		sums[i] = u64_call(sb, "heap_sum", 16);
		s[i] = fixture_snapshot_of(sb);
		CHECK_U64(sandbox_generation(sb), (uint64_t)i + 1);
	}
	CHECK(sums[0] != sums[1] && sums[1] != sums[2]);
	static const int order[] = { 0, 2, 1, 0, 2, 2, 1 };
	for (size_t k = 0; k < sizeof order / sizeof order[0]; k++) {
		int i = order[k];
		if (!s[i] || !fixture_restore(sb, s[i]))
			continue;
		CHECK_U64(generation(sb), (uint64_t)i + 1);
		CHECK_U64(sandbox_generation(sb), (uint64_t)i + 1);
		if (!CHECK_U64(u64_call(sb, "heap_sum", 16), sums[i]))
			fprintf(stderr, "  restore #%zu (snapshot %d)\n", k, i + 1);
		u64_call(sb, "fill_heap", 16 * SB_PAGE_SIZE); /* scribble before the next */
	}
	/* A snapshot taken after a restore continues that snapshot's history. */
	if (s[0] && fixture_restore(sb, s[0])) {
		struct snapshot *again = fixture_snapshot_of(sb);
		if (again)
			CHECK_U64(again->generation, 2);
		snap_unref(again);
	}
	for (int i = 0; i < 3; i++)
		snap_unref(s[i]);
	sandbox_destroy(sb);
}

/* One physical page at two addresses is copied once and both addresses
 * map the same new page. */
static void test_alias_copied_once(void)
{
	struct sandbox *sb = fixture_sandbox(elf_snap, NULL);
	const gva_t alias = 0x0000700000000000ull;
	u64_call(sb, "touch_pages", 1); /* heap page 0 now private, word = 1 * golden */
	uint64_t word = u64_call(sb, "alias_heap_page", alias);
	CHECK_U64(word, 0x9E3779B97F4A7C15ull);
	struct snapshot *s = fixture_snapshot_of(sb);
	if (s) {
		CHECK(s->stats.pages_aliased >= 1);
		/* Both VAs resolve to one GPA in the snapshot's page tables. */
		struct pt_region r = { layout_pt_base_gpa(&s->layout), snap_pt_tail(s),
				       layout_pt_bytes(&s->layout) };
		struct pt_regions rr;
		pt_regions_init(&rr, &pt_format_x86_64, &r, 1, r.gpa);
		struct pt_leaf a, b;
		gva_t heap = layout_heap_gva(&elf_snap->layout);
		if (CHECK_U64(pt_lookup(&rr.pt, r.gpa, heap, &a), PT_OK) &&
		    CHECK_U64(pt_lookup(&rr.pt, r.gpa, alias, &b), PT_OK)) {
			CHECK_U64(a.entry & PT_X86_64_ADDR_MASK, b.entry & PT_X86_64_ADDR_MASK);
			CHECK(pt_entry_kind(&pt_format_x86_64, a.entry).tag == PT_KIND_COW);
		}
		u64_call(sb, "fill_heap", SB_PAGE_SIZE);
		if (fixture_restore(sb, s))
			CHECK_U64(u64_call(sb, "peek", alias), 0x9E3779B97F4A7C15ull);
	}
	snap_unref(s);
	sandbox_destroy(sb);
}

/* A snapshot taken in one sandbox restores into another; a sandbox can be
 * created straight from it; a sandbox with another scratch size adopts it. */
/* Page tables the guest built during a run are gone after a same-snapshot
 * restore, even when the next run builds a table at the same scratch page
 * again: the host zeroes those pages behind KVM's shadow page tables, so
 * a stale shadow of the old table would keep the old mapping alive. */
static void test_tables_built_then_restored(void)
{
	struct sandbox *sb = fixture_sandbox(elf_snap, NULL);
	struct snapshot *s = fixture_snapshot_of(sb);
	struct sb_err err;
	const uint64_t heap = layout_heap_gva(&elf_snap->layout), va1 = 0x500000000ull;
	struct sb_value map1[3] = { v_u64(heap), v_u64(va1), v_u64(1) };
	struct sb_value map2[3] = { v_u64(heap), v_u64(va1 + SB_PAGE_SIZE), v_u64(1) };
	struct sb_value ret;
	uint64_t got = 0;
	for (int round = 0; s && round < 3; round++) {
		CHECK_I64(sandbox_call(sb, "map_gpa", map1, 3, &ret, &err), 0);
		CHECK_I64(call_u64_1(sb, "peek", va1, &got, &err), 0);
		if (!fixture_restore(sb, s))
			break;
		/* same leaf table, so the guest allocates the same scratch pages */
		CHECK_I64(sandbox_call(sb, "map_gpa", map2, 3, &ret, &err), 0);
		CHECK_I64(call_u64_1(sb, "peek", va1 + SB_PAGE_SIZE, &got, &err), 0);
		CHECK_I64(call_u64_1(sb, "peek", va1, &got, &err), -1);
		CHECK_CONTAINS(err.msg, "address 0x500000000");
		if (!fixture_restore(sb, s))
			break;
	}
	snap_unref(s);
	sandbox_destroy(sb);
}

static void test_cross_sandbox(const char *elf)
{
	struct sandbox *a = fixture_sandbox(elf_snap, NULL);
	u64_call(a, "touch_pages", 7);
	uint64_t sum = u64_call(a, "heap_sum", 32);
	struct snapshot *s = fixture_snapshot_of(a);
	sandbox_destroy(a);
	if (!s)
		return;

	struct sandbox *b = fixture_sandbox(elf_snap, NULL);
	if (fixture_restore(b, s))
		CHECK_U64(u64_call(b, "heap_sum", 32), sum);
	sandbox_destroy(b);

	struct sandbox *c = fixture_sandbox(s, NULL); /* created from the CALL snapshot */
	CHECK_U64(sandbox_generation(c), 1);
	CHECK_U64(generation(c), 1);
	CHECK_U64(u64_call(c, "heap_sum", 32), sum);
	int64_t r = 0;
	struct sb_err err;
	CHECK_I64(call_i64_2(c, "add", 20, 22, &r, &err), 0);
	CHECK_I64(r, 42);
	sandbox_destroy(c);

	struct layout_config big = layout_config_default();
	big.scratch_bytes = 1 << 20;
	struct snapshot *elf_big = fixture_snapshot(elf, &big);
	struct sandbox *d = fixture_sandbox(elf_big, NULL);
	if (fixture_restore(d, s)) { /* 1 MiB scratch -> 288 KiB */
		CHECK_U64(d->mem.scratch_bytes, layout_scratch_bytes(&s->layout));
		CHECK_U64(u64_call(d, "heap_sum", 32), sum);
	}
	u64_call(d, "touch_pages", 3);
	struct snapshot *sd = fixture_snapshot_of(d);
	if (sd && fixture_restore(d, sd)) /* and a snapshot of that works too */
		CHECK_U64(u64_call(d, "heap_sum", 32), u64_call(d, "heap_sum", 32));
	snap_unref(sd);
	sandbox_destroy(d);
	snap_unref(elf_big);
	snap_unref(s);
}

static int host_twice(void *ctx, const struct sb_value *args, unsigned n, struct sb_value *ret,
		      char *msg, size_t cap)
{
	(void)ctx, (void)n, (void)msg, (void)cap;
	ret->as.i64 = 2 * args[0].as.i64;
	return 0;
}

/* Restore clears poisoning; refusals leave the sandbox as it was. */
static void test_poison_and_refusals(void)
{
	struct sandbox_host_fn_def fn = { .name = "twice", .ret = SB_T_I64, .nparams = 1,
					  .params = { SB_T_I64 }, .fn = host_twice };
	struct sandbox_config cfg = fixture_config();
	cfg.host_fns = &fn;
	cfg.n_host_fns = 1;
	struct sandbox *sb = fixture_sandbox(elf_snap, &cfg);
	struct snapshot *s = fixture_snapshot_of(sb);
	struct sb_err err;
	if (!s)
		goto out;
	CHECK_I64(call_void(sb, "write_peb", &err), -1);
	CHECK_U64(sandbox_status(sb), SANDBOX_POISONED);
	if (fixture_restore(sb, s)) {
		CHECK_U64(sandbox_status(sb), SANDBOX_READY);
		int64_t r = 0;
		CHECK_I64(call_i64_2(sb, "add", 1, 2, &r, &err), 0);
		CHECK_I64(r, 3);
	}
	/* A read of a GPA with no memory poisons with an MMIO exit KVM would
	 * complete on the next entry, over the registers restore sets. */
	struct sb_value mapargs[3] = { v_u64(0x900000000ull), v_u64(0x500000000ull), v_u64(1) };
	struct sb_value mapret;
	CHECK_I64(sandbox_call(sb, "map_gpa", mapargs, 3, &mapret, &err), 0);
	uint64_t peeked = 0;
	CHECK_I64(call_u64_1(sb, "peek", 0x500000000ull, &peeked, &err), -1);
	CHECK_CONTAINS(err.msg, "read of 8 bytes at GPA 0x900000000 (no memory there)");
	CHECK_U64(sandbox_status(sb), SANDBOX_POISONED);
	if (fixture_restore(sb, s)) {
		int64_t r = 0;
		CHECK_I64(call_i64_2(sb, "add", 20, 22, &r, &err), 0);
		CHECK_I64(r, 42);
		CHECK_I64(call_i64_2(sb, "add", 1, 1, &r, &err), 0);
		CHECK_I64(r, 2);
	}
	/* A cancelled call poisons; restore clears the cancel too. */
	sandbox_set_deadline(sb, 50000000);
	CHECK_I64(call_void(sb, "spin", &err), -1);
	CHECK_U64(err.code, SB_E_CANCELLED);
	if (fixture_restore(sb, s)) {
		int64_t r = 0;
		CHECK_I64(call_i64_2(sb, "add", 2, 2, &r, &err), 0);
	}

	/* The INIT snapshot of an ELF cannot be restored into a running sandbox. */
	CHECK_I64(sandbox_restore(sb, elf_snap, &err), -1);
	CHECK_U64(err.code, SB_E_STATE);
	CHECK_CONTAINS(err.msg, "pre-init snapshot");
	CHECK_U64(sandbox_status(sb), SANDBOX_READY);

	/* Re-registering a host function with another signature is seen by
	 * the next restore of the same snapshot (the check is cached). */
	struct sandbox_host_fn_def resigned = fn;
	resigned.ret = SB_T_U64;
	CHECK_I64(sandbox_register_host_fn(sb, &resigned, &err), 0);
	/* (sandbox_restore's refusals, not a pool's: a pool resets host
	 * functions, fixture.h) */
	CHECK_I64((sandbox_restore)(sb, s, &err), -1);
	CHECK_CONTAINS(err.msg, "host function 'twice' has another signature");
	CHECK_I64(sandbox_register_host_fn(sb, &fn, &err), 0);
	fixture_restore(sb, s);

	/* A sandbox without the host function the snapshot expects refuses. */
	struct sandbox *bare = fixture_sandbox(elf_snap, NULL);
	CHECK_I64((sandbox_restore)(bare, s, &err), -1);
	CHECK_CONTAINS(err.msg, "host function 'twice'");
	CHECK_U64(sandbox_status(bare), SANDBOX_READY);
	sandbox_destroy(bare);

	/* Other I/O buffer sizes refuse. */
	struct layout_config io = layout_config_default();
	io.input_bytes = 8192;
	struct snapshot *small_io = fixture_snapshot(getenv("TESTGUEST"), &io);
	struct sandbox *other = fixture_sandbox(small_io, &cfg);
	CHECK_I64((sandbox_restore)(other, s, &err), -1);
	CHECK_CONTAINS(err.msg, "I/O buffers differ");
	sandbox_destroy(other);
	snap_unref(small_io);
	snap_unref(s);
out:
	sandbox_destroy(sb);
}

/* Pages of an extra read-only region the guest maps are frozen into a
 * snapshot: later changes to the host memory do not reach a restore, and
 * a sandbox created from the snapshot does not need the region. */
static void test_extra_regions(void)
{
	const gpa_t gpa = SANDBOX_EXTRA_GPA_MIN;
	const gva_t va = 0x0000600000000000ull;
	uint64_t *buf = aligned_alloc(SB_PAGE_SIZE, 3 * SB_PAGE_SIZE);
	for (size_t i = 0; i < 3 * SB_PAGE_SIZE / 8; i++)
		buf[i] = 0xC0FFEE0000000000ull + i;
	struct sandbox *sb = fixture_sandbox(elf_snap, NULL);
	struct sb_err err;
	CHECK_I64(sandbox_map_region(sb, gpa, buf, 3 * SB_PAGE_SIZE, &err), 0);
	struct sb_value args[3] = { v_u64(gpa), v_u64(va), v_u64(3) }, ret;
	CHECK_I64(sandbox_call(sb, "map_gpa", args, 3, &ret, &err), 0);
	CHECK_U64(u64_call(sb, "peek", va + SB_PAGE_SIZE), 0xC0FFEE0000000000ull + 512);
	struct snapshot *s = fixture_snapshot_of(sb);
	buf[512] = 42; /* the live region changes */
	CHECK_U64(u64_call(sb, "peek", va + SB_PAGE_SIZE), 42);
	if (s && fixture_restore(sb, s))
		CHECK_U64(u64_call(sb, "peek", va + SB_PAGE_SIZE), 0xC0FFEE0000000000ull + 512);
	if (s) {
		struct sandbox *other = fixture_sandbox(s, NULL); /* no region mapped */
		CHECK_U64(u64_call(other, "peek", va + 2 * SB_PAGE_SIZE), 0xC0FFEE0000000000ull + 1024);
		sandbox_destroy(other);
	}
	/* A pool deletes a user's regions (sandbox_pool.h): map it again for
	 * the overlap below. */
	if (fixture_pooled())
		CHECK_I64(sandbox_map_region(sb, gpa, buf, 3 * SB_PAGE_SIZE, &err), 0);
	/* Bad regions are refused with a reason. */
	static const struct {
		gpa_t gpa;
		uint64_t bytes;
		const char *msg;
	} bad[] = {
		{ SANDBOX_EXTRA_GPA_MIN + 100, SB_PAGE_SIZE, "page aligned" },
		{ SANDBOX_EXTRA_GPA_MIN - SB_PAGE_SIZE, SB_PAGE_SIZE, "outside" },
		{ SANDBOX_EXTRA_GPA_END - SB_PAGE_SIZE, 2 * SB_PAGE_SIZE, "outside" },
		{ SANDBOX_EXTRA_GPA_MIN + SB_PAGE_SIZE, SB_PAGE_SIZE, "overlaps" },
		{ SANDBOX_EXTRA_GPA_MIN + 16 * SB_PAGE_SIZE, 0, "not empty" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (!CHECK_I64(sandbox_map_region(sb, bad[i].gpa, buf, bad[i].bytes, &err), -1) ||
		    !CHECK_CONTAINS(err.msg, bad[i].msg))
			fprintf(stderr, "  bad region %zu\n", i);
	}
	snap_unref(s);
	sandbox_destroy(sb);
	free(buf);
}

/* save -> load -> create -> call gives what the in-memory snapshot gives,
 * and a loaded snapshot restores into a running sandbox; in both rings,
 * whose registers the loader's checks (snap_sregs_check) must accept. */
static void test_files_in(enum sandbox_guest_mode mode)
{
	char dir[] = "/tmp/snapbench-test-XXXXXX";
	if (!CHECK(mkdtemp(dir) != NULL))
		return;
	char path[sizeof dir + 16];
	snprintf(path, sizeof path, "%s/s.snap", dir);
	struct sandbox_config cfg = fixture_config_in(mode);
	struct sandbox *sb = fixture_sandbox(elf_snap, &cfg);
	u64_call(sb, "touch_pages", 9);
	uint64_t sum = u64_call(sb, "heap_sum", 32);
	struct snapshot *s = fixture_snapshot_of(sb), *loaded = NULL;
	struct sb_err err;
	if (s && !CHECK_I64(snap_sregs_check(s, &err), 0))
		fprintf(stderr, "  mode %d: %s\n", (int)mode, err.msg);
	if (s && CHECK(s->has_sregs) && CHECK_I64(snap_save(s, path, &err), 0) &&
	    CHECK_I64(snap_load(&loaded, path, SNAP_LOAD_VERIFY, &err), 0)) {
		CHECK(snap_equal(s, loaded));
		CHECK_U64(loaded->generation, s->generation);
		CHECK_U64(loaded->sregs.cs.dpl, mode == SANDBOX_MODE_USER ? 3 : 0);
		struct sandbox *from_file = fixture_sandbox(loaded, &cfg);
		CHECK_U64(u64_call(from_file, "heap_sum", 32), sum);
		CHECK_U64(generation(from_file), 1);
		sandbox_destroy(from_file);
		/* A KVM error on create from a file names the file: registers
		 * KVM refuses, changed after the load's checks (as registers
		 * those checks do not foresee would be). */
		struct snapshot *edited = NULL;
		if (CHECK_I64(snap_load(&edited, path, SNAP_LOAD_FAST, &err), 0)) {
			CHECK_STR(edited->file, path);
			edited->sregs.cr0 = 0;
			struct sandbox *bad = NULL;
			CHECK_I64(sandbox_create(&bad, edited, &cfg, &err), -1);
			CHECK(bad == NULL);
			if (!CHECK_CONTAINS(err.msg, path) || !CHECK_CONTAINS(err.msg, "KVM_SET_SREGS"))
				fprintf(stderr, "  create from an edited file: %s\n", err.msg);
			CHECK_CONTAINS(err.msg, s->source);
			snap_unref(edited);
		}
		u64_call(sb, "fill_heap", 32 * SB_PAGE_SIZE);
		if (fixture_restore(sb, loaded))
			CHECK_U64(u64_call(sb, "heap_sum", 32), sum);
	} else {
		fprintf(stderr, "  files (mode %d): %s\n", (int)mode, err.msg);
	}
	snap_unref(loaded);
	snap_unref(s);
	sandbox_destroy(sb);
	unlink(path);
	rmdir(dir);
}

static void test_files(void)
{
	test_files_in(SANDBOX_MODE_USER);
	test_files_in(SANDBOX_MODE_KERNEL);
}

int main(int argc, char **argv)
{
	elf_snap = fixture_main(argc, argv, "TESTGUEST_ELF");
	setenv("TESTGUEST", argv[1], 1);
	test_state_round_trip();
	test_generations_and_aba();
	test_rewind_and_overflow(argv[1]);
	test_alias_copied_once();
	test_tables_built_then_restored();
	test_cross_sandbox(argv[1]);
	test_poison_and_refusals();
	test_files();
	test_extra_regions();
	snap_unref(elf_snap);
	return check_done();
}
