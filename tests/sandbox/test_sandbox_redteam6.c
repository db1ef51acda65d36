/* test_sandbox_redteam6.c — the sixth red-team pass: the sandbox pool
 * (vmm/sandbox_pool.h, issue 15 part 2). The contract under attack: after a
 * take nothing of the previous user survives, and a pool never hands one
 * sandbox to two users.
 *
 *   twice       a user puts its sandbox twice, or into a second pool while
 *               the first holds it: each put must not make another owner
 *               (two takes handed out one VM to two users)
 *   nocall      a user whose last call never entered the guest (input too
 *               big: its secret argument half-written into the input
 *               buffer), then a region mapped and a host function
 *               registered, nothing run since the last restore: the next
 *               taker sees a fresh sandbox
 *   cancel      a watchdog's cancel that lands after the put, while the
 *               cleaner scrubs: the next taker's calls run
 *   core        a user leaves a secret in XMM0 (a clean ring-3 call: the
 *               scrub's restore is light, the FPU reset left to the next
 *               call's entry stub); the next taker's first call fails before
 *               it enters the guest (a 1 ns deadline): its core must not
 *               hold the secret (registers or FPU of the previous user)
 *   threads     6 threads take, call, cancel, get poisoned, destroy or put
 *               back (a canceller thread hits the sandboxes they hold):
 *               calls fail only as cancelled or by the guest's own fault,
 *               the counts add up (run it under ASan and TSan)
 *
 * REDTEAM6_ONLY=name,... picks sections. Usage: test_sandbox_redteam6 TESTGUEST_ELF */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"
#include "guest_state.h"
#include "sandbox_pool.h"

static struct snapshot *elf;

/* A CALL snapshot to take from (generation 1), as a benchmark has. */
static struct snapshot *call_snapshot(const struct sandbox_config *cfg)
{
	struct sandbox *a = fixture_sandbox(elf, cfg);
	struct snapshot *s = fixture_snapshot_of(a);
	sandbox_destroy(a);
	return s;
}

static struct sandbox *take(struct sandbox_pool *p, struct snapshot *s)
{
	struct sandbox *sb = NULL;
	struct sb_err err;
	if (!CHECK_I64(sandbox_pool_take(p, s, &sb, NULL, &err), 0)) {
		fprintf(stderr, "  take: %s\n", err.msg);
		exit(1);
	}
	return sb;
}

static void test_twice(void)
{
	struct sandbox_config cfg = fixture_config();
	struct sandbox_pool *p, *q;
	struct sb_err err;
	CHECK_I64(sandbox_pool_create(&p, &cfg, 4, &err), 0);
	CHECK_I64(sandbox_pool_create(&q, &cfg, 4, &err), 0);
	struct snapshot *s = call_snapshot(&cfg);

	/* Put twice into one pool. */
	struct sandbox *a = take(p, s);
	CHECK(sandbox_pool_put(p, a));
	bool again = sandbox_pool_put(p, a); /* the pool has it: refused, not destroyed */
	CHECK(!again);
	sandbox_pool_quiesce(p);
	struct sandbox_pool_stats st = sandbox_pool_stats(p);
	CHECK_U64(st.idle, 1);
	struct sandbox *x = take(p, s), *y = take(p, s);
	if (!CHECK(x != y)) {
		/* One VM for two users: the rest would free it twice. */
		fprintf(stderr, "  a sandbox put twice was handed out twice\n");
		return;
	}
	sandbox_pool_put(p, x);
	sandbox_pool_put(p, y);

	/* Into a second pool while the first holds it (queued, then idle). */
	sandbox_pool_quiesce(p);
	struct sandbox *b = take(p, s);
	CHECK(sandbox_pool_put(p, b));
	CHECK(!sandbox_pool_put(q, b));
	sandbox_pool_quiesce(p);
	sandbox_pool_quiesce(q);
	CHECK(!sandbox_pool_put(q, b)); /* idle in p now */
	sandbox_pool_quiesce(q);
	st = sandbox_pool_stats(q);
	if (!CHECK_U64(st.idle + st.queued, 0)) {
		fprintf(stderr, "  a sandbox held by one pool joined another\n");
		return;
	}
	/* Taken again, it may go anywhere. */
	struct sandbox *c = take(p, s);
	CHECK(sandbox_pool_put(q, c));
	sandbox_pool_destroy(p);
	sandbox_pool_destroy(q);
	snap_unref(s);
}

#define SECRET_CHAR 'Z'

static void test_nocall(void)
{
	struct sandbox_config cfg = fixture_config();
	struct sandbox_pool *p;
	struct sb_err err;
	uint64_t v;
	CHECK_I64(sandbox_pool_create(&p, &cfg, 2, &err), 0);
	struct snapshot *s = call_snapshot(&cfg);
	struct sandbox *a = take(p, s);
	CHECK_I64(call_u64_1(a, "touch_pages", 2, &v, &err), 0);
	CHECK_I64(sandbox_restore(a, s, &err), 0); /* nothing ran since */
	/* A call whose argument does not fit: the encoder wrote what fitted. */
	uint64_t in_bytes = layout_input_bytes(&s->layout);
	char *big = malloc(in_bytes + 1);
	memset(big, SECRET_CHAR, in_bytes);
	big[in_bytes] = '\0';
	struct sb_value arg = v_str(big), ret;
	CHECK(sandbox_call(a, "log_message", &arg, 1, &ret, &err) != 0);
	free(big);
	uint64_t *region = mmap(NULL, SB_PAGE_SIZE, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK_I64(sandbox_map_region(a, 16ull << 30, region, SB_PAGE_SIZE, &err), 0);
	sandbox_pool_put(p, a);
	sandbox_pool_quiesce(p);
	struct sandbox *b = take(p, s);
	CHECK(b == a);
	/* Nothing of the secret left in the guest's memory. */
	const uint8_t *scr = b->mem.scratch;
	uint64_t run = 0, longest = 0;
	for (uint64_t i = 0; i < b->mem.scratch_bytes; i++) {
		run = scr[i] == SECRET_CHAR ? run + 1 : 0;
		if (run > longest)
			longest = run;
	}
	if (!CHECK(longest < 64))
		fprintf(stderr, "  %llu bytes of the last user's argument in scratch\n",
			(unsigned long long)longest);
	guest_state_check_like_fresh(b, s, guest_state_default_calls,
				     guest_state_n_default_calls, "pooled after a call that never ran");
	sandbox_pool_put(p, b);
	sandbox_pool_destroy(p);
	munmap(region, SB_PAGE_SIZE);
	snap_unref(s);
}

static void test_cancel(void)
{
	struct sandbox_config cfg = fixture_config();
	struct sandbox_pool *p;
	struct sb_err err;
	uint64_t v;
	CHECK_I64(sandbox_pool_create(&p, &cfg, 2, &err), 0);
	struct snapshot *s = call_snapshot(&cfg);
	unsigned bad = 0;
	for (unsigned i = 0; i < 300; i++) {
		struct sandbox *sb = take(p, s);
		if (call_u64_1(sb, "touch_pages", 1, &v, &err)) {
			if (bad++ < 3)
				fprintf(stderr, "  round %u: %s\n", i, err.msg);
		}
		bool kept = sandbox_pool_put(p, sb);
		/* Somewhere in the scrub (or before it, or after it). */
		if (i % 3)
			usleep(i % 50);
		if (kept)
			sandbox_cancel(sb); /* the pool holds it: memory valid */
	}
	CHECK_U64(bad, 0);
	sandbox_pool_destroy(p);
	snap_unref(s);
}

#define XMM_SECRET 0x5ec2e75ec2e7a11cull

/* Whether the file at path holds the 8 bytes of x. */
static bool file_holds(const char *path, uint64_t x)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return false;
	struct stat st;
	bool found = false;
	if (fstat(fd, &st) == 0 && st.st_size > 0) {
		uint8_t *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (m != MAP_FAILED) {
			found = memmem(m, (size_t)st.st_size, &x, sizeof x) != NULL;
			munmap(m, (size_t)st.st_size);
		}
	}
	close(fd);
	return found;
}

/* A core of a call that failed before entering the guest. */
static bool core_of_unentered_call(struct sandbox *sb, const char *path)
{
	struct sb_err err;
	uint64_t v;
	unlink(path);
	sandbox_set_deadline(sb, 1);
	if (!CHECK(call_u64s(sb, "read_generation", NULL, 0, &v, &err) != 0))
		return false;
	if (!CHECK_I64(sandbox_write_core(sb, path, &err), 0)) {
		fprintf(stderr, "  core: %s\n", err.msg);
		return false;
	}
	return true;
}

static void test_core(void)
{
	struct sandbox_config cfg = fixture_config();
	struct sandbox_pool *p;
	struct sb_err err;
	uint64_t v;
	char path[64];
	snprintf(path, sizeof path, "/tmp/snapbench-rt6-core-%d", (int)getpid());
	CHECK_I64(sandbox_pool_create(&p, &cfg, 2, &err), 0);
	struct snapshot *s = call_snapshot(&cfg);

	/* Control: a fresh sandbox's core has no secret in it. */
	struct sandbox *f = fixture_sandbox(s, &cfg);
	if (core_of_unentered_call(f, path))
		CHECK(!file_holds(path, XMM_SECRET));
	sandbox_destroy(f);

	struct sandbox *a = take(p, s);
	CHECK_I64(call_u64_1(a, "sse_state", XMM_SECRET, &v, &err), 0);
	sandbox_pool_put(p, a);
	sandbox_pool_quiesce(p);
	struct sandbox *b = take(p, s);
	CHECK(b == a);
	if (core_of_unentered_call(b, path) && !CHECK(!file_holds(path, XMM_SECRET)))
		fprintf(stderr, "  the next user's core holds the previous user's XMM0\n");
	unlink(path);
	sandbox_destroy(b);
	sandbox_pool_destroy(p);
	snap_unref(s);
}

#define THREADS 6
#define ROUNDS 150

struct worker {
	struct sandbox_pool *pool;
	struct snapshot *snap;
	unsigned id;
	unsigned bad, cancelled, calls;
	pthread_mutex_t lock; /* guards cur: the canceller's view */
	struct sandbox *cur;
};

static volatile bool stop;

static void *canceller_main(void *arg)
{
	struct worker *w = arg;
	unsigned i = 0;
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		struct worker *t = &w[i++ % THREADS];
		pthread_mutex_lock(&t->lock);
		if (t->cur)
			sandbox_cancel(t->cur);
		pthread_mutex_unlock(&t->lock);
		usleep(200);
	}
	return NULL;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct sb_err err;
	unsigned seed = w->id * 7919u + 1;
	for (unsigned i = 0; i < ROUNDS; i++) {
		struct sandbox *sb;
		if (sandbox_pool_take(w->pool, w->snap, &sb, NULL, &err)) {
			w->bad++;
			continue;
		}
		pthread_mutex_lock(&w->lock);
		w->cur = sb;
		pthread_mutex_unlock(&w->lock);
		uint64_t v = 0, gen = 0;
		w->calls++;
		int rc = call_u64s(sb, "read_generation", NULL, 0, &gen, &err);
		if (rc == 0 && gen != 1)
			w->bad++;
		else if (rc && err.code == SB_E_CANCELLED)
			w->cancelled++;
		else if (rc)
			w->bad++;
		if (rc == 0 && call_u64_1(sb, "touch_pages", 1 + rand_r(&seed) % 4, &v, &err) &&
		    err.code != SB_E_CANCELLED)
			w->bad++;
		unsigned what = rand_r(&seed) % 8;
		if (what == 0)
			call_u64_1(sb, "null_deref", 0, &v, &err);
		pthread_mutex_lock(&w->lock);
		w->cur = NULL;
		pthread_mutex_unlock(&w->lock);
		if (what == 1)
			sandbox_destroy(sb);
		else
			sandbox_pool_put(w->pool, sb);
	}
	return NULL;
}

static void test_threads(void)
{
	struct sandbox_config cfg = fixture_config();
	struct sandbox_pool *p;
	struct sb_err err;
	CHECK_I64(sandbox_pool_create(&p, &cfg, 3, &err), 0);
	struct snapshot *s = call_snapshot(&cfg);
	pthread_t t[THREADS], c;
	struct worker w[THREADS];
	for (unsigned i = 0; i < THREADS; i++) {
		w[i] = (struct worker){ .pool = p, .snap = s, .id = i };
		pthread_mutex_init(&w[i].lock, NULL);
	}
	stop = false;
	for (unsigned i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, worker_main, &w[i]);
	pthread_create(&c, NULL, canceller_main, w);
	unsigned cancelled = 0;
	for (unsigned i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		CHECK_U64(w[i].bad, 0);
		cancelled += w[i].cancelled;
	}
	__atomic_store_n(&stop, true, __ATOMIC_RELAXED);
	pthread_join(c, NULL);
	sandbox_pool_quiesce(p);
	struct sandbox_pool_stats st = sandbox_pool_stats(p);
	CHECK_U64(st.takes_pooled + st.takes_fresh, THREADS * ROUNDS);
	CHECK(st.idle <= 3);
	printf("  threads: %llu pooled, %llu fresh, %u cancelled calls, %llu scrubs (%llu failed)\n",
	       (unsigned long long)st.takes_pooled, (unsigned long long)st.takes_fresh, cancelled,
	       (unsigned long long)st.scrubs, (unsigned long long)st.scrub_failures);
	for (unsigned i = 0; i < THREADS; i++)
		pthread_mutex_destroy(&w[i].lock);
	sandbox_pool_destroy(p);
	snap_unref(s);
}

int main(int argc, char **argv)
{
	elf = fixture_main(argc, argv, "TESTGUEST_ELF");
	FIXTURE_RUN("REDTEAM6_ONLY", "twice", test_twice());
	FIXTURE_RUN("REDTEAM6_ONLY", "nocall", test_nocall());
	FIXTURE_RUN("REDTEAM6_ONLY", "cancel", test_cancel());
	FIXTURE_RUN("REDTEAM6_ONLY", "core", test_core());
	FIXTURE_RUN("REDTEAM6_ONLY", "threads", test_threads());
	snap_unref(elf);
	return check_done();
}
