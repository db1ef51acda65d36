/* sandbox_pool.c — ready sandboxes kept for reuse (sandbox_pool.h).
 *
 * Every sandbox the pool holds has a node; the node is on exactly one
 * list, which says who owns the sandbox:
 *
 *   queued  put back, waiting for the cleaner (a take may steal it)
 *   (none)  the cleaner's, while it scrubs (counted in `scrubbing`)
 *   idle    scrubbed: host state reset, restored to its home snapshot
 *
 * A taken sandbox is its user's alone: the pool keeps no node for it (a
 * user who calls sandbox_destroy instead of put leaves nothing stale).
 *
 * Lists move under the pool's mutex only; the slow work (restore, create,
 * destroy) runs outside it on a sandbox that one owner holds.
 */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sandbox_internal.h"
#include "sandbox_pool.h"

struct pool_node {
	struct pool_node *next;
	struct sandbox *sb;
	/* The CALL snapshot the cleaner restores it to (a reference), or NULL
	 * (its host state is reset only; the next take's restore does the rest). */
	struct snapshot *home;
	/* The cleaner's restore (valid when scrubbed): merged into the take's
	 * sandbox_last_restore, which then says what making it clean took. */
	bool scrubbed;
	struct sandbox_restore_info scrub_info;
};

/* An INIT snapshot and the CALL snapshot the pool took right after its init. */
struct pool_init {
	struct snapshot *init, *call; /* references */
};

struct sandbox_pool {
	struct sandbox_config cfg;
	unsigned max_idle;
	pthread_mutex_t lock;
	pthread_cond_t work;   /* queued non-empty, or closing */
	pthread_cond_t quiet;  /* queued empty and nothing scrubbing */
	pthread_t cleaner;
	bool closing;
	struct pool_node *queued, *idle;
	unsigned n_queued, n_idle, scrubbing;
	struct pool_init inits[SANDBOX_POOL_MAX_INIT];
	unsigned n_inits;
	struct sandbox_pool_stats st;
	void (*scrub_hook)(void *ctx, uint64_t ns, bool ok);
	void *scrub_ctx;
};

static unsigned held(const struct sandbox_pool *p)
{
	return p->n_idle + p->n_queued + p->scrubbing;
}

static void push(struct pool_node **list, struct pool_node *n)
{
	n->next = *list;
	*list = n;
}

static void node_free(struct pool_node *n, bool destroy_sb)
{
	if (destroy_sb)
		sandbox_destroy(n->sb);
	if (n->home)
		snap_unref(n->home);
	free(n);
}

/* Make a sandbox clean: host state as after create, guest state its home
 * snapshot's. Cleaner thread (or a take that stole it), sandbox owned. */
static int scrub(struct pool_node *n, struct sb_err *err)
{
	if (sandbox_reset_host_state(n->sb, err))
		return -1;
	if (n->home && sandbox_restore(n->sb, n->home, err))
		return -1;
	/* After the restore: a light one leaves the last user's registers and
	 * FPU in the vCPU, where a core of the next user's call that fails
	 * before entering the guest would find them. */
	if (sandbox_wipe_vcpu(n->sb, err))
		return -1;
	if (!n->home)
		return 0;
	n->scrubbed = true;
	n->scrub_info = sandbox_last_restore(n->sb);
	return 0;
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void *cleaner_main(void *arg)
{
	struct sandbox_pool *p = arg;
	/* SCHED_BATCH: the scheduler does not let the woken cleaner preempt
	 * the thread that woke it (a put), which would then wait out a whole
	 * scrub on a busy core (destroy (pooled) p50 142 us instead of 5-8 us
	 * in one run here); it still gets its fair share. Best effort. */
	struct sched_param sp = { 0 };
	pthread_setschedparam(pthread_self(), SCHED_BATCH, &sp);
	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (!p->queued && !p->closing)
			pthread_cond_wait(&p->work, &p->lock);
		if (p->closing)
			break;
		/* The oldest would be fairer; the newest is what the list gives
		 * in O(1), and any order scrubs them all. */
		struct pool_node *n = p->queued;
		p->queued = n->next;
		p->n_queued--;
		p->scrubbing++;
		pthread_mutex_unlock(&p->lock);

		struct sb_err err;
		uint64_t t0 = vmm_now_ns(), c0 = thread_cpu_ns();
		int rc = scrub(n, &err);
		uint64_t ns = vmm_now_ns() - t0, cpu = thread_cpu_ns() - c0;
		if (rc)
			node_free(n, true); /* never handed out again */

		pthread_mutex_lock(&p->lock);
		p->scrubbing--;
		p->st.scrubs++;
		p->st.scrub_ns_total += ns;
		p->st.scrub_cpu_ns_total += cpu;
		if (ns > p->st.scrub_ns_max)
			p->st.scrub_ns_max = ns;
		if (rc) {
			p->st.scrub_failures++;
		} else {
			push(&p->idle, n);
			p->n_idle++;
		}
		if (p->scrub_hook)
			p->scrub_hook(p->scrub_ctx, ns, rc == 0);
		if (!p->queued && !p->scrubbing)
			pthread_cond_broadcast(&p->quiet);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

int sandbox_pool_create(struct sandbox_pool **out, const struct sandbox_config *cfg,
			unsigned max_idle, struct sb_err *err)
{
	if (max_idle == 0 || max_idle > SANDBOX_POOL_MAX_IDLE)
		return sb_errf(err, SB_E_RANGE, "sandbox pool: %u sandboxes (1..%d)", max_idle,
			       SANDBOX_POOL_MAX_IDLE);
	struct sandbox_pool *p = calloc(1, sizeof *p);
	if (!p)
		return sb_errf(err, SB_E_NOMEM, "cannot allocate a sandbox pool");
	p->cfg = cfg ? *cfg : sandbox_config_default();
	p->max_idle = max_idle;
	p->st.max_idle = max_idle;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->quiet, NULL);
	int rc = pthread_create(&p->cleaner, NULL, cleaner_main, p);
	if (rc) {
		pthread_cond_destroy(&p->quiet);
		pthread_cond_destroy(&p->work);
		pthread_mutex_destroy(&p->lock);
		free(p);
		return sb_errf(err, SB_E_NOMEM, "sandbox pool: cannot start the cleaner thread (%s)",
			       strerror(rc));
	}
	*out = p;
	return 0;
}

static void free_list(struct pool_node *n, bool destroy_sb)
{
	while (n) {
		struct pool_node *next = n->next;
		node_free(n, destroy_sb);
		n = next;
	}
}

void sandbox_pool_destroy(struct sandbox_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->closing = true;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->cleaner, NULL);
	free_list(p->idle, true);
	free_list(p->queued, true);
	for (unsigned i = 0; i < p->n_inits; i++) {
		snap_unref(p->inits[i].init);
		snap_unref(p->inits[i].call);
	}
	pthread_cond_destroy(&p->quiet);
	pthread_cond_destroy(&p->work);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

/* The post-init CALL snapshot of an INIT snapshot, or NULL. Locked. */
static struct snapshot *init_call_locked(struct sandbox_pool *p, const struct snapshot *init)
{
	for (unsigned i = 0; i < p->n_inits; i++)
		if (p->inits[i].init == init)
			return p->inits[i].call;
	return NULL;
}

static struct snapshot *init_call_of(struct sandbox_pool *p, const struct snapshot *init)
{
	pthread_mutex_lock(&p->lock);
	struct snapshot *c = init_call_locked(p, init);
	pthread_mutex_unlock(&p->lock);
	return c;
}

/* A fresh sandbox for `snap` (CALL) or `init` (INIT, call == NULL: the
 * guest's init runs, then the pool keeps a snapshot of what it left).
 * *home gets a reference to the CALL snapshot it runs, or NULL. */
static int take_fresh(struct sandbox_pool *p, struct snapshot *init, struct snapshot *call,
		      struct sandbox **out, struct snapshot **home, struct sb_err *err)
{
	*home = NULL;
	if (call) {
		if (sandbox_create(out, call, &p->cfg, err))
			return -1;
		*home = snap_ref(call);
		return 0;
	}
	if (sandbox_create(out, init, &p->cfg, err))
		return -1;
	struct sandbox *sb = *out;
	struct snapshot *s;
	struct sb_err ignored;
	/* No room for another post-init snapshot: not pooled, and no snapshot
	 * taken in vain at every such create. */
	pthread_mutex_lock(&p->lock);
	bool no_room = p->n_inits >= SANDBOX_POOL_MAX_INIT && !init_call_locked(p, init);
	pthread_mutex_unlock(&p->lock);
	if (no_room)
		return 0;
	/* Full or not a CALL snapshot after init: the sandbox is still fine for
	 * its user, it is just not pooled (home NULL: host reset only). */
	if (sandbox_snapshot(sb, &s, &ignored))
		return 0;
	/* The pool's snapshot is invisible: the guest and its user see
	 * generation 0, as after a fresh create (sandbox_pool.h). */
	s->generation = 0;
	sb->generation = 0;
	pthread_mutex_lock(&p->lock);
	struct snapshot *have = init_call_locked(p, init);
	if (!have && p->n_inits < SANDBOX_POOL_MAX_INIT) {
		p->inits[p->n_inits++] = (struct pool_init){ snap_ref(init), snap_ref(s) };
		have = s;
	}
	if (have)
		*home = snap_ref(have);
	pthread_mutex_unlock(&p->lock);
	snap_unref(s);
	return 0;
}

/* sandbox_last_restore after a pooled take: the cleaner's restore and the
 * take's together (full if either was, pages and bytes summed; the same
 * snapshot only if both restored the one it ran). */
static void merge_scrub(struct pool_node *n)
{
	struct sandbox_restore_info *t = &n->sb->last_restore;
	const struct sandbox_restore_info *c = &n->scrub_info;
	t->same_snapshot = t->same_snapshot && c->same_snapshot;
	t->full = t->full || c->full;
	t->pages_reset += c->pages_reset;
	t->bytes_copied += c->bytes_copied;
	t->retain_dropped += c->retain_dropped;
}

/* An idle sandbox for `want`: one at home there first (its restore is
 * light), else any. Locked. */
static struct pool_node *pick_idle_locked(struct sandbox_pool *p, const struct snapshot *want)
{
	struct pool_node **best = NULL;
	for (struct pool_node **pp = &p->idle; *pp; pp = &(*pp)->next)
		if (!best || (*pp)->home == want) {
			best = pp;
			if ((*pp)->home == want)
				break;
		}
	if (!best)
		return NULL;
	struct pool_node *n = *best;
	*best = n->next;
	p->n_idle--;
	return n;
}

int sandbox_pool_take(struct sandbox_pool *p, struct snapshot *snap, struct sandbox **out,
		      enum sandbox_pool_take_kind *kind, struct sb_err *err)
{
	bool init = snap->entry_kind != SNAP_ENTRY_CALL;
	pthread_mutex_lock(&p->lock);
	/* The caller holds snap; the pool's post-init snapshots live until
	 * sandbox_pool_destroy, which no take may overlap. */
	struct snapshot *call = init ? init_call_locked(p, snap) : snap;
	struct pool_node *got = call ? pick_idle_locked(p, call) : NULL;
	bool stolen = false;
	if (!got && call && p->queued) {
		got = p->queued;
		p->queued = got->next;
		p->n_queued--;
		stolen = true;
		if (!p->queued && !p->scrubbing)
			pthread_cond_broadcast(&p->quiet);
	}
	pthread_mutex_unlock(&p->lock);

	bool own_full = false;
	if (got) {
		struct sb_err rerr;
		/* A stolen sandbox is not scrubbed: its host state first. */
		bool ok = !(stolen && sandbox_reset_host_state(got->sb, &rerr)) &&
			  sandbox_restore(got->sb, call, &rerr) == 0;
		/* Not wiped by the cleaner (stolen), or restored to another
		 * snapshot than the one it was wiped at: the last user's, or
		 * the wipe's, special registers are in KVM (scrub()). */
		if (ok && (stolen || got->home != call))
			ok = sandbox_wipe_vcpu(got->sb, &rerr) == 0;
		if (ok)
			own_full = sandbox_last_restore(got->sb).full;
		if (ok && got->scrubbed)
			merge_scrub(got);
		*out = got->sb;
		__atomic_store_n(&got->sb->pool_held, false, __ATOMIC_RELEASE); /* its user's now */
		node_free(got, !ok);
		if (!ok)
			got = NULL;
	}
	if (!got) {
		struct snapshot *home;
		*out = NULL; /* not the sandbox a failed restore destroyed */
		if (take_fresh(p, snap, call, out, &home, err))
			return -1;
		if (home)
			snap_unref(home);
	}

	/* What its put scrubs it back to, whatever its user restores. */
	struct snapshot *home = call ? call : init_call_of(p, snap);
	if (home)
		snap_ref(home);
	if ((*out)->pool_home)
		snap_unref((*out)->pool_home);
	(*out)->pool_home = home;

	pthread_mutex_lock(&p->lock);
	if (got) {
		p->st.takes_pooled++;
		p->st.takes_unscrubbed += stolen;
		p->st.takes_full += own_full;
	} else {
		p->st.takes_fresh++;
	}
	pthread_mutex_unlock(&p->lock);
	if (kind)
		*kind = got ? SANDBOX_POOL_POOLED : SANDBOX_POOL_FRESH;
	return 0;
}

/* Whether a sandbox made elsewhere can join: the pool's configuration. */
static bool same_config(const struct sandbox_config *a, const struct sandbox_config *b)
{
	return a->deadline_ns == b->deadline_ns && a->mode == b->mode &&
	       a->restore_strategy == b->restore_strategy &&
	       a->retain_max_pages == b->retain_max_pages &&
	       a->guest_copies_pages == b->guest_copies_pages && a->host_fns == b->host_fns &&
	       a->n_host_fns == b->n_host_fns && a->on_log == b->on_log &&
	       a->on_debug_char == b->on_debug_char && a->callback_ctx == b->callback_ctx &&
	       a->crashdump_dir == b->crashdump_dir && a->crashdump_budget == b->crashdump_budget &&
	       a->crashdump_max_bytes == b->crashdump_max_bytes &&
	       a->full_snapshots == b->full_snapshots;
}

bool sandbox_pool_put(struct sandbox_pool *p, struct sandbox *sb)
{
	if (!sb)
		return false;
	/* Put twice (or into a second pool) while a pool holds it: a second
	 * node would hand one VM to two users and free it twice. Refused, left
	 * where it is. */
	if (__atomic_exchange_n(&sb->pool_held, true, __ATOMIC_ACQ_REL))
		return false;
	struct sandbox_config c = sandbox_created_config(sb);
	struct pool_node *n = calloc(1, sizeof *n);
	pthread_mutex_lock(&p->lock);
	bool keep = n && !p->closing && held(p) < p->max_idle && sb->state != SANDBOX_BROKEN &&
		    same_config(&c, &p->cfg);
	if (keep) {
		/* Home: the snapshot it was taken for; for a sandbox made
		 * elsewhere, what it runs (a CALL snapshot), or the post-init
		 * snapshot of the INIT snapshot it was created from. */
		struct snapshot *cur = sb->pool_home ? sb->pool_home : sandbox_current_snapshot(sb);
		if (cur->entry_kind != SNAP_ENTRY_CALL)
			cur = init_call_locked(p, cur);
		n->sb = sb;
		n->home = cur ? snap_ref(cur) : NULL;
		push(&p->queued, n);
		p->n_queued++;
		p->st.puts_kept++;
	} else {
		p->st.puts_destroyed++;
	}
	pthread_mutex_unlock(&p->lock);
	/* After the unlock: a cleaner woken while we still held the lock would
	 * only sleep again on it (the put's time). */
	if (keep)
		pthread_cond_signal(&p->work);
	if (!keep) {
		free(n);
		sandbox_destroy(sb);
	}
	return keep;
}

int sandbox_pool_fill(struct sandbox_pool *p, struct snapshot *snap, unsigned n,
		      struct sb_err *err)
{
	bool init = snap->entry_kind != SNAP_ENTRY_CALL;
	for (;;) {
		pthread_mutex_lock(&p->lock);
		bool full = held(p) >= n || held(p) >= p->max_idle;
		struct snapshot *call = init ? init_call_locked(p, snap) : snap;
		pthread_mutex_unlock(&p->lock);
		if (full)
			return 0;
		struct pool_node *nd = calloc(1, sizeof *nd);
		if (!nd)
			return sb_errf(err, SB_E_NOMEM, "sandbox pool: cannot allocate a node");
		if (take_fresh(p, snap, call, &nd->sb, &nd->home, err)) {
			free(nd);
			return -1;
		}
		nd->sb->pool_held = true;
		/* A fresh sandbox is clean; an INIT one is put through the
		 * cleaner, which restores it to the post-init snapshot. */
		pthread_mutex_lock(&p->lock);
		bool fresh_call = call != NULL && nd->home == call;
		if (held(p) >= p->max_idle || !nd->home) {
			pthread_mutex_unlock(&p->lock);
			node_free(nd, true);
			return 0;
		}
		if (fresh_call) {
			push(&p->idle, nd);
			p->n_idle++;
		} else {
			push(&p->queued, nd);
			p->n_queued++;
			pthread_cond_signal(&p->work);
		}
		pthread_mutex_unlock(&p->lock);
	}
}

void sandbox_pool_quiesce(struct sandbox_pool *p)
{
	pthread_mutex_lock(&p->lock);
	while (p->queued || p->scrubbing)
		pthread_cond_wait(&p->quiet, &p->lock);
	pthread_mutex_unlock(&p->lock);
}

struct sandbox_pool_stats sandbox_pool_stats(struct sandbox_pool *p)
{
	pthread_mutex_lock(&p->lock);
	struct sandbox_pool_stats s = p->st;
	s.idle = p->n_idle;
	s.queued = p->n_queued + p->scrubbing;
	pthread_mutex_unlock(&p->lock);
	return s;
}

void sandbox_pool_set_scrub_hook(struct sandbox_pool *p,
				 void (*fn)(void *ctx, uint64_t ns, bool ok), void *ctx)
{
	pthread_mutex_lock(&p->lock);
	p->scrub_hook = fn;
	p->scrub_ctx = ctx;
	pthread_mutex_unlock(&p->lock);
}
