/* sandbox_pool.h — ready sandboxes kept for reuse: "create from snapshot"
 * without a new VM, vCPU and memory slots.
 *
 *   sandbox_pool_create(&pool, &cfg, max_idle, &err)
 *   sandbox_pool_take(pool, snap, &sb, &kind, &err)   instead of sandbox_create
 *   ... sandbox_call(sb, ...) ...
 *   sandbox_pool_put(pool, sb)                         instead of sandbox_destroy
 *   sandbox_pool_destroy(pool)
 *
 * Every sandbox of a pool is made with the pool's sandbox_config. A take
 * hands out an idle sandbox restored to `snap` (sandbox_restore), or a
 * freshly created one when none is idle (or the restore failed: the
 * sandbox is destroyed and the take falls back to a create). `kind` says
 * which, so a benchmark can time the two apart.
 *
 * The contract: after a take nothing of the previous user survives.
 * sandbox_restore covers what the guest can observe (guest memory,
 * registers, ring-0 state: sandbox.h); the pool adds the host-side state a
 * user can change (sandbox_reset_host_state): host functions registered
 * after create, the deadline, extra regions mapped (their slots are
 * deleted: the previous user's memory is no longer mapped), crash-dump
 * counters, a pending cancel (a cancel that arrived after the last call
 * ended is cleared, by the scrub and again by the take's restore). A
 * sandbox that is broken, or whose host state cannot be reset, or whose
 * restore fails, is destroyed, never handed out again. Two exceptions,
 * both sandbox_restore's own: under `retain` the copies it keeps stay
 * mapped (sandbox.h), and under host-cow the private copy stays (with the
 * snapshot's bytes back in it).
 *
 * Where the cost goes: the restore after a user ran calls is usually full
 * (page tables rewritten, KVM's shadow tables dropped: ~100 us here). A
 * put only queues the sandbox; the pool's cleaner thread resets its host
 * state and restores it to its home snapshot (the one it was taken for)
 * off the caller's path, so the next take of that snapshot finds a clean
 * sandbox and its own restore is light. That moved work is measured, not
 * hidden: every scrub is timed (stats, and the scrub hook for a
 * histogram), and after a pooled take sandbox_last_restore() reports the
 * scrub's restore and the take's together (full if either was; pages and
 * bytes summed). When no clean sandbox is idle a take restores a queued one
 * itself (still "pooled": it costs a full restore, not a create).
 *
 * INIT snapshots (fresh from an ELF) cannot be restored: they run the
 * guest's init. For one, the pool's first create makes a CALL snapshot
 * right after init (sandbox_snapshot) and keeps it (at most
 * SANDBOX_POOL_MAX_INIT per pool; past that such sandboxes are not
 * pooled); later takes of the INIT snapshot create from or restore that
 * one. Its generation is set to 0, so the guest sees generation 0 as
 * after a fresh create, and so does sandbox_generation(). What differs
 * from a fresh create: the snapshot region is the live snapshot's dense
 * image (the guest's virtual memory holds the same bytes; guest-physical
 * addresses of its pages and the scratch allocator's position differ,
 * as after any restore of a live snapshot).
 *
 * Ownership: a sandbox is owned by exactly one of its user (after take),
 * the cleaner (queued or being scrubbed) and the idle list. Every function
 * here is thread-safe. Bounded: the sandboxes the pool holds (idle, queued
 * and being scrubbed) never exceed max_idle; a put past that destroys.
 * The pool keeps nothing of a taken sandbox: its user may sandbox_destroy
 * it instead of a put. sandbox_pool_destroy joins the cleaner and destroys
 * what the pool holds.
 */
#ifndef SNAPBENCH_VMM_SANDBOX_POOL_H
#define SNAPBENCH_VMM_SANDBOX_POOL_H

#include <stdbool.h>
#include <stdint.h>

#include "sandbox.h"

#define SANDBOX_POOL_MAX_IDLE 1024 /* largest max_idle */
#define SANDBOX_POOL_MAX_INIT 16   /* INIT snapshots one pool keeps a post-init snapshot of */

struct sandbox_pool;

enum sandbox_pool_take_kind {
	SANDBOX_POOL_FRESH,  /* sandbox_create: nothing idle (or its restore failed) */
	SANDBOX_POOL_POOLED, /* an idle sandbox, restored */
};

struct sandbox_pool_stats {
	unsigned max_idle;
	unsigned idle;      /* clean, ready for a take */
	unsigned queued;    /* put, waiting for (or in) the cleaner's scrub */
	uint64_t takes_pooled, takes_fresh;
	uint64_t takes_unscrubbed; /* pooled takes that restored a queued sandbox themselves */
	uint64_t takes_full;       /* pooled takes whose own restore was full */
	uint64_t puts_kept, puts_destroyed;
	uint64_t scrubs, scrub_failures; /* failures: the sandbox was destroyed */
	/* Wall time of the scrubs (what the hook gets: it includes the time the
	 * cleaner waited for a CPU), and the CPU time the cleaner spent in them. */
	uint64_t scrub_ns_total, scrub_ns_max, scrub_cpu_ns_total;
};

/* A pool of sandboxes made with `cfg` (copied; the pointers in it must
 * outlive the pool), holding at most max_idle (1..SANDBOX_POOL_MAX_IDLE).
 * Starts the cleaner thread. */
int sandbox_pool_create(struct sandbox_pool **out, const struct sandbox_config *cfg,
			unsigned max_idle, struct sb_err *err);

/* Join the cleaner, destroy every sandbox the pool holds. NULL is fine.
 * Nothing may call the pool during or after it (a take, put, fill,
 * quiesce or stats racing it uses freed memory): join the threads that
 * take and put first. Sandboxes taken stay their users', who
 * sandbox_destroy them (a put would reach the freed pool); a cancel of a
 * sandbox the pool held is as a cancel after sandbox_destroy. */
void sandbox_pool_destroy(struct sandbox_pool *pool);

/* A sandbox running `snap` (INIT or CALL), ready for calls, as
 * sandbox_create would give; *kind (may be NULL) says whether it came
 * from the pool. 0, or -1 with err (the create's). */
int sandbox_pool_take(struct sandbox_pool *pool, struct snapshot *snap, struct sandbox **out,
		      enum sandbox_pool_take_kind *kind, struct sb_err *err);

/* Give sb back (the caller must not touch it again): queued for a scrub,
 * or destroyed when the pool is full or closing, sb is broken or was made
 * with another configuration (sandbox_created_config; a sandbox not taken
 * from this pool may join). Its home, what the scrub restores: the CALL
 * snapshot a take made it run (whatever its user restored since: a
 * snapshot of its own would be another, and held, each time); for one made
 * elsewhere the CALL snapshot it runs, or the post-init snapshot of the
 * INIT snapshot it was created from; with neither, only its host state is
 * reset and the next take's restore does the rest. NULL is fine. Never blocks on a scrub. True when the pool
 * kept it, false when it was destroyed (or NULL), or when a pool holds it
 * already (put twice, or into a second pool, before a take gave it out
 * again): that put is refused and changes nothing. */
bool sandbox_pool_put(struct sandbox_pool *pool, struct sandbox *sb);

/* Create sandboxes for `snap` (INIT or CALL) until the pool holds n (at
 * most max_idle), idle and clean: a pool that starts empty hands out
 * fresh sandboxes until enough were put back, and a single user who puts
 * and takes in turn would find its one sandbox still queued (the take then
 * restores it itself). Not counted as takes. 0, or -1 with err (the
 * create's; those made before it stay). */
int sandbox_pool_fill(struct sandbox_pool *pool, struct snapshot *snap, unsigned n,
		      struct sb_err *err);

/* Wait until nothing is queued or being scrubbed (tests; the end of a
 * benchmark, so stats count every scrub). */
void sandbox_pool_quiesce(struct sandbox_pool *pool);

struct sandbox_pool_stats sandbox_pool_stats(struct sandbox_pool *pool);

/* Called by the cleaner after each scrub with its duration (ns) and
 * whether the sandbox was kept; set before the first put. It runs with the
 * pool locked: it must not call the pool. */
void sandbox_pool_set_scrub_hook(struct sandbox_pool *pool,
				 void (*fn)(void *ctx, uint64_t ns, bool ok), void *ctx);

#endif
