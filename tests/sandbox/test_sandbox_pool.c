/* test_sandbox_pool.c — the sandbox pool (vmm/sandbox_pool.h).
 *
 *   init        an INIT snapshot: the first take is fresh, later ones pooled,
 *               the same sandbox, generation 0 as after a fresh create
 *   hostile     a user writes memory, FPU state, registers a host function,
 *               sets a 1 ns deadline, maps a region with a secret, gets
 *               poisoned, cancels after its last call (and once more while
 *               the sandbox is idle in the pool): the next taker sees
 *               a sandbox like a fresh one (guest_state_check_like_fresh),
 *               its own host functions, the default deadline, no region
 *   broken      a broken sandbox is destroyed, never handed out
 *   bound       never more than max_idle held; puts past it destroy
 *   threads     4 threads take/call/put 200 times each (run under ASan)
 *
 * POOL_ONLY=name,... picks sections. Usage: test_sandbox_pool TESTGUEST_ELF */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "fixture.h"
#include "guest_state.h"
#include "sandbox_pool.h"

static struct snapshot *elf;

static struct sandbox *take(struct sandbox_pool *p, struct snapshot *s,
			    enum sandbox_pool_take_kind want)
{
	struct sandbox *sb = NULL;
	enum sandbox_pool_take_kind kind;
	struct sb_err err;
	if (!CHECK_I64(sandbox_pool_take(p, s, &sb, &kind, &err), 0)) {
		fprintf(stderr, "  take: %s\n", err.msg);
		exit(1);
	}
	CHECK_I64(kind, want);
	return sb;
}

static void test_init(void)
{
	struct sandbox_config cfg = fixture_config();
	struct sandbox_pool *p;
	struct sb_err err;
	uint64_t v;
	CHECK_I64(sandbox_pool_create(&p, &cfg, 2, &err), 0);
	struct sandbox *a = take(p, elf, SANDBOX_POOL_FRESH);
	CHECK_U64(sandbox_generation(a), 0);
	CHECK_I64(call_u64s(a, "read_generation", NULL, 0, &v, &err), 0);
	CHECK_U64(v, 0);
	CHECK_I64(call_u64_1(a, "touch_pages", 3, &v, &err), 0);
	sandbox_pool_put(p, a);
	sandbox_pool_quiesce(p);
	struct sandbox_pool_stats st = sandbox_pool_stats(p);
	CHECK_U64(st.idle, 1);
	CHECK_U64(st.scrubs, 1);
	struct sandbox *b = take(p, elf, SANDBOX_POOL_POOLED);
	CHECK(b == a);
	/* The take's own restore is light: the cleaner did the full one. */
	CHECK_U64(sandbox_pool_stats(p).takes_full, 0);
	CHECK(sandbox_last_restore(b).full); /* the scrub's, merged */
	CHECK_U64(sandbox_generation(b), 0);
	CHECK_I64(call_u64s(b, "read_generation", NULL, 0, &v, &err), 0);
	CHECK_U64(v, 0);
	/* A second INIT take while b is out: fresh, from the post-init snapshot. */
	struct sandbox *c = take(p, elf, SANDBOX_POOL_FRESH);
	CHECK_U64(sandbox_generation(c), 0);
	CHECK_I64(call_u64s(c, "read_generation", NULL, 0, &v, &err), 0);
	CHECK_U64(v, 0);
	sandbox_pool_put(p, b);
	sandbox_destroy(c); /* a user may destroy instead of put */
	st = sandbox_pool_stats(p);
	CHECK_U64(st.takes_pooled, 1);
	CHECK_U64(st.takes_fresh, 2);
	CHECK_U64(st.puts_kept, 2);
	sandbox_pool_destroy(p);
}

static int64_t host_twice(void *ctx, int64_t x) { (void)ctx; return 2 * x; }
static int64_t host_evil(void *ctx, int64_t x) { (void)ctx; return x + 666; }

static int fn_i64(void *ctx, const struct sb_value *args, unsigned nargs, struct sb_value *ret,
		  char *errmsg, size_t errmsg_bytes)
{
	(void)nargs;
	(void)errmsg;
	(void)errmsg_bytes;
	int64_t (*f)(void *, int64_t) = (int64_t (*)(void *, int64_t))ctx;
	*ret = v_i64(f(NULL, args[0].as.i64));
	return 0;
}

static int64_t call_host(struct sandbox *sb, const char *name, int64_t x, struct sb_err *err,
			 int *rc)
{
	struct sb_value args[2] = { v_str(name), v_i64(x) }, ret = { 0 };
	*rc = sandbox_call(sb, "call_host", args, 2, &ret, err);
	return ret.as.i64;
}

#define SECRET 0x5EC2E75EC2E7ull
#define REGION_GPA (16ull << 30)
#define REGION_VA 0x400000000ull

static void test_hostile(void)
{
	static const struct sandbox_host_fn_def twice = {
		"twice", SB_T_I64, 1, { SB_T_I64 }, fn_i64, (void *)host_twice };
	struct sandbox_config cfg = fixture_config();
	cfg.host_fns = &twice;
	cfg.n_host_fns = 1;
	struct sandbox_pool *p;
	struct sb_err err;
	uint64_t v;
	int rc;
	CHECK_I64(sandbox_pool_create(&p, &cfg, 2, &err), 0);
	/* A CALL snapshot to take from (what a benchmark creates from). */
	struct sandbox *a = take(p, elf, SANDBOX_POOL_FRESH);
	struct snapshot *s = fixture_snapshot_of(a);
	sandbox_pool_put(p, a);
	sandbox_pool_quiesce(p);
	a = take(p, s, SANDBOX_POOL_POOLED);

	/* The hostile user. */
	CHECK_I64(call_u64_1(a, "fill_heap", 16 * SB_PAGE_SIZE, &v, &err), 0);
	CHECK_I64(call_u64_1(a, "fpu_control", 0x27f & ~0x300, &v, &err), 0);
	static const struct sandbox_host_fn_def evil = {
		"twice", SB_T_I64, 1, { SB_T_I64 }, fn_i64, (void *)host_evil };
	static const struct sandbox_host_fn_def evil2 = {
		"evil", SB_T_I64, 1, { SB_T_I64 }, fn_i64, (void *)host_evil };
	CHECK_I64(sandbox_register_host_fn(a, &evil, &err), 0);
	CHECK_I64(sandbox_register_host_fn(a, &evil2, &err), 0);
	CHECK_I64(call_host(a, "twice", 1, &err, &rc), 667);
	uint64_t *region = mmap(NULL, SB_PAGE_SIZE, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	region[0] = SECRET;
	CHECK_I64(sandbox_map_region(a, REGION_GPA, region, SB_PAGE_SIZE, &err), 0);
	uint64_t map[3] = { REGION_GPA, REGION_VA, 1 }; /* map_gpa(gpa, va, pages) */
	if (!CHECK_I64(call_u64s(a, "map_gpa", map, 3, &v, &err), 0))
		fprintf(stderr, "  map_gpa: %s\n", err.msg);
	CHECK_I64(call_u64_1(a, "peek", REGION_VA, &v, &err), 0);
	CHECK_U64(v, SECRET);
	CHECK_I64(call_u64_1(a, "null_deref", 0, &v, &err), -1); /* poisoned */
	CHECK_I64(sandbox_status(a), SANDBOX_POISONED);
	sandbox_set_deadline(a, 1);
	sandbox_cancel(a); /* after its last call: must not reach the next user */
	sandbox_pool_put(p, a);
	sandbox_pool_quiesce(p);

	/* (a's take above restored another snapshot than its home: full) */
	uint64_t full_before = sandbox_pool_stats(p).takes_full;
	struct sandbox *b = take(p, s, SANDBOX_POOL_POOLED);
	CHECK(b == a);
	CHECK_I64(sandbox_status(b), SANDBOX_READY);
	CHECK_U64(sandbox_pool_stats(p).takes_full, full_before);
	guest_state_check_like_fresh(b, s, guest_state_default_calls,
				     guest_state_n_default_calls, "pooled after a hostile user");
	/* The first call runs (no late cancel, no 1 ns deadline), with the
	 * pool's host function, not the user's; "evil" is gone. */
	CHECK_I64(call_host(b, "twice", 21, &err, &rc), 42);
	CHECK_I64(rc, 0);
	call_host(b, "evil", 1, &err, &rc);
	CHECK(rc != 0);
	CHECK_I64(sandbox_created_config(b).deadline_ns, cfg.deadline_ns);
	/* The region's slot is gone: mapping the GPA again reads no secret. */
	CHECK_I64(call_u64s(b, "map_gpa", map, 3, &v, &err), 0);
	v = 0;
	rc = call_u64_1(b, "peek", REGION_VA, &v, &err);
	CHECK(rc != 0 || v != SECRET);
	if (rc == 0 && v == SECRET)
		fprintf(stderr, "  the previous user's region is still mapped\n");
	/* And the next user may map its own region there. */
	uint64_t *mine = mmap(NULL, SB_PAGE_SIZE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (sandbox_status(b) != SANDBOX_READY)
		CHECK_I64(sandbox_restore(b, s, &err), 0);
	CHECK_I64(sandbox_map_region(b, REGION_GPA, mine, SB_PAGE_SIZE, &err), 0);
	/* A canceller of the last user that fires while the sandbox is idle in
	 * the pool (scrubbed already) must not reach the next user either: the
	 * take's own restore clears it. */
	sandbox_pool_put(p, b);
	sandbox_pool_quiesce(p);
	sandbox_cancel(b); /* the pool still holds it: memory valid */
	struct sandbox *c = take(p, s, SANDBOX_POOL_POOLED);
	CHECK(c == b);
	CHECK_I64(call_u64_1(c, "touch_pages", 1, &v, &err), 0);
	sandbox_destroy(c);
	sandbox_pool_destroy(p);
	munmap(region, SB_PAGE_SIZE);
	munmap(mine, SB_PAGE_SIZE);
	snap_unref(s);
}

static void test_broken(void)
{
	struct sandbox_config cfg = fixture_config();
	struct sandbox_pool *p;
	struct sb_err err;
	CHECK_I64(sandbox_pool_create(&p, &cfg, 2, &err), 0);
	struct sandbox *a = take(p, elf, SANDBOX_POOL_FRESH);
	struct snapshot *s = fixture_snapshot_of(a);
	/* A restore refused half-way leaves it broken: an INIT snapshot of
	 * other I/O sizes is refused before, so break it the way the VMM does. */
	sb_errf(&err, SB_E_KVM, "test: broken on purpose");
	sandbox_fail(a, SANDBOX_BROKEN, &err);
	sandbox_pool_put(p, a);
	struct sandbox_pool_stats st = sandbox_pool_stats(p);
	CHECK_U64(st.puts_destroyed, 1);
	CHECK_U64(st.idle + st.queued, 0);
	struct sandbox *b = take(p, s, SANDBOX_POOL_FRESH);
	sandbox_pool_put(p, b);
	sandbox_pool_destroy(p);
	snap_unref(s);
}

static void test_bound(void)
{
	struct sandbox_config cfg = fixture_config();
	struct sandbox_pool *p;
	struct sb_err err;
	CHECK_I64(sandbox_pool_create(&p, &cfg, 3, &err), 0);
	CHECK(sandbox_pool_create(&p, &cfg, 0, &err) != 0);
	struct sandbox *sb[5];
	sb[0] = take(p, elf, SANDBOX_POOL_FRESH);
	struct snapshot *s = fixture_snapshot_of(sb[0]);
	for (int i = 1; i < 5; i++)
		sb[i] = take(p, s, SANDBOX_POOL_FRESH);
	for (int i = 0; i < 5; i++) {
		sandbox_pool_put(p, sb[i]);
		struct sandbox_pool_stats st = sandbox_pool_stats(p);
		CHECK(st.idle + st.queued <= 3);
	}
	sandbox_pool_quiesce(p);
	struct sandbox_pool_stats st = sandbox_pool_stats(p);
	CHECK_U64(st.idle, 3);
	CHECK_U64(st.puts_kept, 3);
	CHECK_U64(st.puts_destroyed, 2);
	/* A sandbox of another configuration never joins. */
	struct sandbox_config other = cfg;
	other.deadline_ns = cfg.deadline_ns + 1;
	struct sandbox *x = fixture_sandbox(s, &other);
	struct sandbox *y = take(p, s, SANDBOX_POOL_POOLED);
	sandbox_pool_put(p, x);
	CHECK_U64(sandbox_pool_stats(p).puts_destroyed, 3);
	sandbox_pool_put(p, y);
	sandbox_pool_destroy(p);
	snap_unref(s);
}

#define THREADS 4
#define ROUNDS 200

struct worker {
	struct sandbox_pool *pool;
	struct snapshot *snap;
	unsigned id;
	unsigned bad;
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct sb_err err;
	for (unsigned i = 0; i < ROUNDS; i++) {
		struct sandbox *sb;
		if (sandbox_pool_take(w->pool, w->snap, &sb, NULL, &err)) {
			w->bad++;
			continue;
		}
		uint64_t v = 0, gen = 1;
		/* Each round sees a fresh heap (sum of one untouched page) and
		 * leaves its own mark; every fourth gets poisoned. */
		if (call_u64s(sb, "read_generation", NULL, 0, &gen, &err) || gen != 1 ||
		    call_u64_1(sb, "touch_pages", 1 + (w->id + i) % 4, &v, &err))
			w->bad++;
		if (i % 4 == 3)
			call_u64_1(sb, "null_deref", 0, &v, &err);
		sandbox_pool_put(w->pool, sb);
	}
	return NULL;
}

static void test_threads(void)
{
	struct sandbox_config cfg = fixture_config();
	struct sandbox_pool *p;
	struct sb_err err;
	CHECK_I64(sandbox_pool_create(&p, &cfg, 2, &err), 0);
	struct sandbox *a = fixture_sandbox(elf, &cfg);
	struct snapshot *s = fixture_snapshot_of(a); /* generation 1 */
	sandbox_destroy(a);
	pthread_t t[THREADS];
	struct worker w[THREADS];
	for (unsigned i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ p, s, i, 0 };
		pthread_create(&t[i], NULL, worker_main, &w[i]);
	}
	for (unsigned i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		CHECK_U64(w[i].bad, 0);
	}
	sandbox_pool_quiesce(p);
	struct sandbox_pool_stats st = sandbox_pool_stats(p);
	CHECK_U64(st.takes_pooled + st.takes_fresh, THREADS * ROUNDS);
	CHECK_U64(st.puts_kept + st.puts_destroyed, THREADS * ROUNDS);
	CHECK(st.idle <= 2);
	CHECK(st.takes_pooled > 0);
	printf("  threads: %llu pooled, %llu fresh (%llu unscrubbed), %llu kept, %llu destroyed, "
	       "%llu scrubs, mean %.1f us\n",
	       (unsigned long long)st.takes_pooled, (unsigned long long)st.takes_fresh,
	       (unsigned long long)st.takes_unscrubbed, (unsigned long long)st.puts_kept,
	       (unsigned long long)st.puts_destroyed, (unsigned long long)st.scrubs,
	       st.scrubs ? (double)st.scrub_ns_total / (double)st.scrubs / 1e3 : 0.0);
	sandbox_pool_destroy(p);
	snap_unref(s);
}

int main(int argc, char **argv)
{
	elf = fixture_main(argc, argv, "TESTGUEST_ELF");
	FIXTURE_RUN("POOL_ONLY", "init", test_init());
	FIXTURE_RUN("POOL_ONLY", "hostile", test_hostile());
	FIXTURE_RUN("POOL_ONLY", "broken", test_broken());
	FIXTURE_RUN("POOL_ONLY", "bound", test_bound());
	FIXTURE_RUN("POOL_ONLY", "threads", test_threads());
	snap_unref(elf);
	return check_done();
}
