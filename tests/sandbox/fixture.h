/* fixture.h — shared set-up for the sandbox tests (suite 'kvm'). */
#ifndef SNAPBENCH_TESTS_SANDBOX_FIXTURE_H
#define SNAPBENCH_TESTS_SANDBOX_FIXTURE_H

#include "check.h"
#include "sandbox.h"

/* Exit 77 (skipped), saying why, when /dev/kvm does not exist; fail (exit
 * 1) when it exists but KVM cannot be used. */
void fixture_require_kvm(void);

/* A sandbox test's start: with no argument, prints "usage: PROG ARG_NAME"
 * and exits 2; then fixture_require_kvm(); returns the INIT snapshot of the
 * ELF named by argv[1] (fixture_snapshot(argv[1], NULL)). */
struct snapshot *fixture_main(int argc, char **argv, const char *arg_name);

/* INIT snapshot of the ELF at `path` with `cfg` (NULL = defaults); exits 1
 * on failure. */
struct snapshot *fixture_snapshot(const char *path, const struct layout_config *cfg);

/* sandbox_config_default() with the restore strategy under test: the
 * environment's SNAPBENCH_TEST_RESTORE_STRATEGY ("rewrite", "host-cow";
 * meson runs the restore suites once per strategy), rewrite without it. */
struct sandbox_config fixture_config(void);

/* A ready sandbox (cfg NULL = fixture_config()); exits 1 on failure. */
struct sandbox *fixture_sandbox(struct snapshot *snap, const struct sandbox_config *cfg);

/* sandbox_snapshot / sandbox_restore as checks: a failure is a failed
 * check, printed with KVM's or the sandbox's reason. */
struct snapshot *fixture_snapshot_of(struct sandbox *sb);
bool fixture_restore(struct sandbox *sb, struct snapshot *s);

/* A sandbox from `elf` with `cfg` (NULL = defaults) that dirtied 3 heap
 * pages, took a CALL snapshot *s and runs from it (restored once). With
 * SNAPBENCH_TEST_INCREMENTAL_BASE set, *s is instead the snapshot of the
 * same state taken from the sandbox running from that one: incremental
 * (snapshot/snap_incr.c), so the suites run on one. */
struct sandbox *fixture_sandbox_at_snapshot(struct snapshot *elf, const struct sandbox_config *cfg,
					    struct snapshot **s);

/* Whether to run the test section `name`: every section unless the
 * environment variable `env` lists some (a comma-separated subset). Prints
 * "== name" before a section that runs. */
bool fixture_section(const char *env, const char *name);

/* Runs the statement(s) `...` as the test section `name` when
 * fixture_section(env, name) says so. */
#define FIXTURE_RUN(env, name, ...) \
	do { \
		if (fixture_section(env, name)) { \
			__VA_ARGS__; \
		} \
	} while (0)

/* fixture_config() with calls in `mode` and a 30 s deadline (ring-0 code is
 * emulated here, and slow). */
struct sandbox_config fixture_config_in(enum sandbox_guest_mode mode);

/* fn(a[0], ..., a[n-1]) with u64 arguments (n <= 8): sandbox_call's result;
 * *out (may be NULL) gets the u64 result; *err is cleared first. */
int call_u64s(struct sandbox *sb, const char *fn, const uint64_t *a, unsigned n, uint64_t *out,
	      struct sb_err *err);

/* Typed call helpers: return sandbox_call's result, fill *out on success. */
int call_i64_2(struct sandbox *sb, const char *fn, int64_t a, int64_t b, int64_t *out,
	       struct sb_err *err);
int call_u64_1(struct sandbox *sb, const char *fn, uint64_t a, uint64_t *out, struct sb_err *err);
/* call_u64_1 as a check: its u64 result (0 after a failed check, printed). */
uint64_t fixture_u64(struct sandbox *sb, const char *fn, uint64_t a);
int call_void(struct sandbox *sb, const char *fn, struct sb_err *err);

static inline struct sb_value v_i64(int64_t x) { return (struct sb_value){ .type = SB_T_I64, .as.i64 = x }; }
static inline struct sb_value v_u64(uint64_t x) { return (struct sb_value){ .type = SB_T_U64, .as.u64 = x }; }
static inline struct sb_value v_str(const char *s)
{
	struct sb_value v = { .type = SB_T_STRING };
	v.as.buf.ptr = (const uint8_t *)s;
	v.as.buf.len = (uint32_t)strlen(s);
	return v;
}

/* SNAPBENCH_TEST_POOL=1 (meson's sandbox-NAME-pool tests): every
 * sandbox_restore in a test goes through a sandbox pool (vmm/sandbox_pool.h)
 * instead: the sandbox is put back into a pool made with its configuration,
 * scrubbed by the pool's cleaner (host state reset, restored to its own
 * snapshot), and taken again for `snap`: the restore contract must hold for
 * what the pool hands out. The take must give the same sandbox, pooled
 * (exit 1 otherwise: the pool destroyed it). A broken sandbox or an INIT
 * snapshot goes to sandbox_restore itself, for its error. Without the
 * variable: sandbox_restore. A test of sandbox_restore's own refusals
 * (a failure it expects) calls `(sandbox_restore)(...)`, not the macro. */
int fixture_pool_restore(struct sandbox *sb, struct snapshot *snap, struct sb_err *err);
bool fixture_pooled(void);
#ifndef FIXTURE_REAL_RESTORE
#define sandbox_restore(sb, snap, err) fixture_pool_restore(sb, snap, err)
#endif

#endif
