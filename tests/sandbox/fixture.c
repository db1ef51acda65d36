/* fixture.c — see fixture.h. */
#define FIXTURE_REAL_RESTORE
#include "fixture.h"

#include <stdlib.h>
#include <string.h>

#include "sandbox_internal.h"
#include "sandbox_pool.h"

void fixture_require_kvm(void)
{
	check_require_kvm();
	struct sb_err err;
	if (!sandbox_kvm(&err)) {
		fprintf(stderr, "KVM is not usable here: %s\n", err.msg);
		exit(1);
	}
}

struct snapshot *fixture_main(int argc, char **argv, const char *arg_name)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s %s\n", argv[0], arg_name);
		exit(2);
	}
	fixture_require_kvm();
	return fixture_snapshot(argv[1], NULL);
}

struct snapshot *fixture_snapshot(const char *path, const struct layout_config *cfg)
{
	struct layout_config def = layout_config_default();
	struct elf_image img;
	struct snapshot *snap;
	struct sb_err err;
	if (elf_image_open(&img, path, &err) ||
	    snap_from_elf(&snap, &img, cfg ? cfg : &def, NULL, 0, 0, &err)) {
		fprintf(stderr, "fixture: %s\n", err.msg);
		exit(1);
	}
	elf_image_free(&img);
	return snap;
}

struct sandbox_config fixture_config(void)
{
	struct sandbox_config c = sandbox_config_default();
	const char *s = getenv("SNAPBENCH_TEST_RESTORE_STRATEGY");
	if (s && *s && sandbox_restore_strategy_parse(s, &c.restore_strategy)) {
		fprintf(stderr, "fixture: SNAPBENCH_TEST_RESTORE_STRATEGY=%s is no strategy\n", s);
		exit(1);
	}
	return c;
}

struct sandbox_config fixture_config_in(enum sandbox_guest_mode mode)
{
	struct sandbox_config c = fixture_config();
	c.mode = mode;
	c.deadline_ns = 30ull * 1000000000;
	return c;
}

int call_u64s(struct sandbox *sb, const char *fn, const uint64_t *a, unsigned n, uint64_t *out,
	      struct sb_err *err)
{
	struct sb_value args[8], ret = { 0 };
	if (n > 8)
		return sb_errf(err, SB_E_INVAL, "call_u64s: %u arguments (at most 8)", n);
	for (unsigned i = 0; i < n; i++)
		args[i] = v_u64(a[i]);
	memset(err, 0, sizeof *err);
	int rc = sandbox_call(sb, fn, args, n, &ret, err);
	if (out)
		*out = ret.as.u64;
	return rc;
}

struct sandbox *fixture_sandbox(struct snapshot *snap, const struct sandbox_config *cfg)
{
	struct sandbox *sb;
	struct sb_err err;
	struct sandbox_config def = fixture_config();
	if (sandbox_create(&sb, snap, cfg ? cfg : &def, &err)) {
		fprintf(stderr, "fixture: sandbox_create: %s\n", err.msg);
		exit(1);
	}
	return sb;
}

int call_i64_2(struct sandbox *sb, const char *fn, int64_t a, int64_t b, int64_t *out,
	       struct sb_err *err)
{
	struct sb_value args[2] = { v_i64(a), v_i64(b) }, ret;
	int rc = sandbox_call(sb, fn, args, 2, &ret, err);
	if (rc == 0 && ret.type == SB_T_I64)
		*out = ret.as.i64;
	else if (rc == 0)
		return sb_errf(err, SB_E_GUEST, "%s returned %s, want i64", fn, sb_type_name(ret.type));
	return rc;
}

int call_u64_1(struct sandbox *sb, const char *fn, uint64_t a, uint64_t *out, struct sb_err *err)
{
	struct sb_value arg = v_u64(a), ret;
	int rc = sandbox_call(sb, fn, &arg, 1, &ret, err);
	if (rc == 0 && ret.type == SB_T_U64)
		*out = ret.as.u64;
	else if (rc == 0)
		return sb_errf(err, SB_E_GUEST, "%s returned %s, want u64", fn, sb_type_name(ret.type));
	return rc;
}

int call_void(struct sandbox *sb, const char *fn, struct sb_err *err)
{
	struct sb_value ret;
	return sandbox_call(sb, fn, NULL, 0, &ret, err);
}

uint64_t fixture_u64(struct sandbox *sb, const char *fn, uint64_t a)
{
	uint64_t r = 0;
	struct sb_err err;
	if (!CHECK_I64(call_u64_1(sb, fn, a, &r, &err), 0))
		fprintf(stderr, "  %s(%llu): %s\n", fn, (unsigned long long)a, err.msg);
	return r;
}

struct snapshot *fixture_snapshot_of(struct sandbox *sb)
{
	struct snapshot *s = NULL;
	struct sb_err err;
	if (!CHECK_I64(sandbox_snapshot(sb, &s, &err), 0))
		fprintf(stderr, "  snapshot: %s\n", err.msg);
	return s;
}

bool fixture_restore(struct sandbox *sb, struct snapshot *s)
{
	struct sb_err err;
	if (CHECK_I64(fixture_pool_restore(sb, s, &err), 0))
		return true;
	fprintf(stderr, "  restore: %s\n", err.msg);
	return false;
}

struct sandbox *fixture_sandbox_at_snapshot(struct snapshot *elf, const struct sandbox_config *cfg,
					    struct snapshot **s)
{
	struct sandbox *sb = fixture_sandbox(elf, cfg);
	uint64_t r;
	struct sb_err err;
	if (call_u64_1(sb, "touch_pages", 3, &r, &err))
		fprintf(stderr, "  touch_pages(3): %s\n", err.msg);
	*s = fixture_snapshot_of(sb);
	if (*s)
		fixture_restore(sb, *s);
	/* The suites again on an incremental snapshot (meson's
	 * sandbox-NAME-incr runs): the same state taken once more from the
	 * sandbox running from the first, so it shares that one's pages. */
	if (*s && getenv("SNAPBENCH_TEST_INCREMENTAL_BASE")) {
		if (call_u64_1(sb, "touch_pages", 3, &r, &err))
			fprintf(stderr, "  touch_pages(3): %s\n", err.msg);
		struct snapshot *s2 = fixture_snapshot_of(sb);
		if (s2 && !s2->stats.incremental)
			fprintf(stderr, "  fixture: the second snapshot is not incremental\n");
		CHECK(s2 && (s2->stats.incremental ||
			     (cfg ? cfg->restore_strategy : fixture_config().restore_strategy) ==
				     SANDBOX_RESTORE_RETAIN));
		snap_unref(*s);
		*s = s2;
		if (s2)
			fixture_restore(sb, s2);
	}
	return sb;
}

bool fixture_section(const char *env, const char *name)
{
	const char *only = getenv(env);
	if (only && !strstr(only, name))
		return false;
	fprintf(stderr, "== %s\n", name);
	return true;
}

/* ---- pooled restores (SNAPBENCH_TEST_POOL) ---- */

/* Per thread: a test's threads each restore their own sandboxes, and a
 * shared pool could hand one thread's sandbox to another. */
#define FIXTURE_MAX_POOLS 16
static __thread struct fixture_pool {
	struct sandbox_config cfg;
	struct sandbox_pool *pool;
} pools[FIXTURE_MAX_POOLS];
static __thread unsigned n_pools;

bool fixture_pooled(void)
{
	const char *s = getenv("SNAPBENCH_TEST_POOL");
	return s && strcmp(s, "1") == 0;
}

static struct sandbox_pool *pool_for(const struct sandbox_config *cfg)
{
	for (unsigned i = 0; i < n_pools; i++)
		if (memcmp(&pools[i].cfg, cfg, sizeof *cfg) == 0)
			return pools[i].pool;
	struct sb_err err;
	if (n_pools == FIXTURE_MAX_POOLS) {
		fprintf(stderr, "fixture: more than %d sandbox configurations pooled\n",
			FIXTURE_MAX_POOLS);
		exit(1);
	}
	struct fixture_pool *fp = &pools[n_pools];
	memset(&fp->cfg, 0, sizeof fp->cfg); /* padding: compared with memcmp */
	fp->cfg = *cfg;
	if (sandbox_pool_create(&fp->pool, cfg, 4, &err)) {
		fprintf(stderr, "fixture: sandbox_pool_create: %s\n", err.msg);
		exit(1);
	}
	n_pools++;
	return fp->pool;
}

int fixture_pool_restore(struct sandbox *sb, struct snapshot *snap, struct sb_err *err)
{
	if (!fixture_pooled() || sandbox_status(sb) == SANDBOX_BROKEN ||
	    snap->entry_kind != SNAP_ENTRY_CALL)
		return sandbox_restore(sb, snap, err);
	struct sandbox_config cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg = sandbox_created_config(sb);
	struct sandbox_pool *pool = pool_for(&cfg);
	sandbox_pool_put(pool, sb);
	/* The cleaner's scrub is part of what is tested: let it finish. */
	sandbox_pool_quiesce(pool);
	struct sandbox *got;
	enum sandbox_pool_take_kind kind;
	if (sandbox_pool_take(pool, snap, &got, &kind, err)) {
		fprintf(stderr, "fixture: pooled restore: take: %s\n", err->msg);
		exit(1);
	}
	if (got != sb || kind != SANDBOX_POOL_POOLED) {
		struct sandbox_pool_stats st = sandbox_pool_stats(pool);
		fprintf(stderr, "fixture: pooled restore: the pool gave %s sandbox (%s); "
			"scrubs %llu, failed %llu\n", got == sb ? "the same" : "another",
			kind == SANDBOX_POOL_POOLED ? "pooled" : "fresh",
			(unsigned long long)st.scrubs, (unsigned long long)st.scrub_failures);
		exit(1);
	}
	return 0;
}
