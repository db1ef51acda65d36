/* pt_multiroot.c — multi-root walk with shared-subtree detection, and the
 * rebuild that links shared subtrees once.  Uses the one walker (pt_walk)
 * with a visitor; allocation lives here, not in the core. */
#include "pt_multiroot.h"

#include <stdlib.h>
#include <string.h>

/* Open-addressing hash set of (table GPA | level) -> owner. */
struct seen_slot {
	uint64_t key; /* 0 = empty; key = gpa | level, level in 1..4 never 0 */
	size_t owner;
	gva_t owner_va;
};

struct pt_seen {
	struct seen_slot *slots;
	size_t cap, used; /* cap: power of two */
};

static uint64_t hash64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return x;
}

static struct seen_slot *seen_find(struct pt_seen *s, uint64_t key)
{
	size_t mask = s->cap - 1;
	for (size_t i = hash64(key) & mask;; i = (i + 1) & mask)
		if (s->slots[i].key == key || s->slots[i].key == 0)
			return &s->slots[i];
}

static bool seen_grow(struct pt_seen *s)
{
	size_t ncap = s->cap ? 2 * s->cap : 256;
	struct seen_slot *old = s->slots;
	size_t ocap = s->cap;
	s->slots = calloc(ncap, sizeof *s->slots);
	if (!s->slots) {
		s->slots = old;
		return false;
	}
	s->cap = ncap;
	for (size_t i = 0; i < ocap; i++)
		if (old[i].key)
			*seen_find(s, old[i].key) = old[i];
	free(old);
	return true;
}

static bool space_push(struct pt_space *sp, const struct pt_space_item *it)
{
	if (sp->count == sp->cap) {
		size_t ncap = sp->cap ? 2 * sp->cap : 64;
		struct pt_space_item *n = realloc(sp->items, ncap * sizeof *n);
		if (!n)
			return false;
		sp->items = n;
		sp->cap = ncap;
	}
	sp->items[sp->count++] = *it;
	return true;
}

struct visit_ctx {
	struct pt_multiwalk *mw;
	size_t space;
	enum pt_status status; /* NOMEM from inside the visitor */
	bool stop;
};

static bool visit(void *arg, const struct pt_entry_info *e)
{
	struct visit_ctx *vc = arg;
	if (e->what != PT_ENTRY_TABLE || vc->stop)
		return !vc->stop;
	struct pt_seen *s = vc->mw->seen;
	if ((s->used + 1) * 2 > s->cap && !seen_grow(s)) {
		vc->status = PT_E_NOMEM;
		vc->stop = true;
		return false;
	}
	unsigned level = e->level - 1;
	struct seen_slot *slot = seen_find(s, e->phys | level);
	if (slot->key == 0) {
		slot->key = e->phys | level;
		slot->owner = vc->space;
		slot->owner_va = e->va;
		s->used++;
		return true;
	}
	struct pt_space_item it = {.tag = PT_ITEM_SHARED};
	it.u.shared = (struct pt_shared_ref){
		.va = e->va,
		.level = level,
		.owner_root = slot->owner,
		.owner_va = slot->owner_va,
		.table_gpa = e->phys,
	};
	if (!space_push(&vc->mw->spaces[vc->space], &it)) {
		vc->status = PT_E_NOMEM;
		vc->stop = true;
	}
	return false;
}

enum pt_status pt_multiwalk_run(struct pt_multiwalk *mw, const struct pt *src,
				const gpa_t *roots, size_t nroots, uint64_t max_entries)
{
	memset(mw, 0, sizeof *mw);
	if (!src || (!roots && nroots))
		return PT_E_INVAL;
	if (!max_entries)
		max_entries = PT_WALK_DEFAULT_MAX_ENTRIES;
	mw->seen = calloc(1, sizeof *mw->seen);
	mw->spaces = calloc(nroots ? nroots : 1, sizeof *mw->spaces);
	if (!mw->seen || !mw->spaces || !seen_grow(mw->seen)) {
		pt_multiwalk_free(mw);
		return PT_E_NOMEM;
	}
	mw->nroots = nroots;
	enum pt_status st = PT_OK;
	for (size_t r = 0; r < nroots && st == PT_OK; r++) {
		mw->spaces[r].root = roots[r];
		struct visit_ctx vc = {.mw = mw, .space = r, .status = PT_OK};
		struct pt_walk w;
		struct pt_mapping m;
		pt_walk_begin_all(&w, src, roots[r]);
		pt_walk_set_budget(&w, max_entries - mw->entries_read);
		pt_walk_set_visitor(&w, visit, &vc);
		while (!vc.stop && pt_walk_next(&w, &m)) {
			struct pt_space_item it = {.tag = PT_ITEM_LEAF};
			it.u.leaf = m;
			if (!space_push(&mw->spaces[r], &it))
				vc.status = PT_E_NOMEM, vc.stop = true;
		}
		mw->entries_read += w.entries_read;
		st = vc.status != PT_OK ? vc.status : pt_walk_status(&w);
		if (st == PT_OK && mw->entries_read >= max_entries && r + 1 < nroots)
			st = PT_E_LIMIT;
	}
	if (st != PT_OK)
		pt_multiwalk_free(mw);
	return st;
}

void pt_multiwalk_free(struct pt_multiwalk *mw)
{
	if (mw->spaces)
		for (size_t r = 0; r < mw->nroots; r++)
			free(mw->spaces[r].items);
	free(mw->spaces);
	if (mw->seen)
		free(mw->seen->slots);
	free(mw->seen);
	memset(mw, 0, sizeof *mw);
}

enum pt_status pt_multiwalk_rebuild(const struct pt_multiwalk *mw, struct pt_hostbuf *out,
				    pt_leaf_hook hook, void *arg, gpa_t *out_roots)
{
	if (!mw || !out || (!out_roots && mw->nroots))
		return PT_E_INVAL;
	const struct pt *pt = &out->pt;
	enum pt_status s = PT_OK;
	for (size_t r = 0; r < mw->nroots && s == PT_OK; r++) {
		if (r == 0)
			out_roots[0] = pt_hostbuf_root(out);
		else
			s = pt_hostbuf_alloc_table(out, &out_roots[r]);
	}
	for (size_t r = 0; r < mw->nroots && s == PT_OK; r++) {
		const struct pt_space *sp = &mw->spaces[r];
		for (size_t i = 0; i < sp->count && s == PT_OK; i++) {
			const struct pt_space_item *it = &sp->items[i];
			if (it->tag == PT_ITEM_LEAF) {
				struct pt_mapping m = it->u.leaf;
				bool keep = true;
				if (hook && hook(arg, r, &m, &keep) != PT_OK)
					return PT_E_HOOK;
				if (keep)
					s = pt_map_at(pt, out_roots[r], &m);
				continue;
			}
			const struct pt_shared_ref *ref = &it->u.shared;
			if (ref->owner_root > r)
				return PT_E_INVAL;
			gpa_t table;
			s = pt_table_ensure(pt, out_roots[ref->owner_root], ref->owner_va, ref->level,
					    &table);
			if (s == PT_OK)
				s = pt_table_link(pt, out_roots[r], ref->va, ref->level, table);
		}
	}
	return s;
}
