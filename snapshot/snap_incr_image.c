/* snap_incr_image.c — an incremental snapshot's image: pages no leaf maps
 * any more made zero, new pages looked up in the lineage, the rest of the
 * parent's pages laid out around them, short runs compacted, one backing
 * for what is the child's own. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snap_incr_internal.h"

/* ---- pages no leaf maps --------------------------------------------------- */

static const uint8_t zero_page[SB_PAGE_SIZE] __attribute__((aligned(SB_PAGE_SIZE)));

/* The child's leaf counts (P's plus what the walk changed), and P's pages
 * that no leaf maps any more become zero pages in the child: a page the
 * guest scrubbed or unmapped must not stay readable in the image (by
 * mapping its GPA), which the full snapshot would have dropped. NULL when
 * the counts are not known (the pages then stay, as before). */
uint16_t *snap_incr_scrub_dead(struct incr *c, const uint16_t *prefs)
{
	if (!prefs || c->refs_unknown)
		return NULL;
	uint64_t n = c->npages + c->appended;
	uint16_t *refs = calloc(n ? n : 1, sizeof *refs);
	if (!refs)
		return NULL;
	memcpy(refs, prefs, c->npages * sizeof *refs);
	for (size_t i = 0; i < c->nadj; i++) {
		uint64_t pg = c->adj[i] >> 1;
		if (pg >= n || refs[pg] == UINT16_MAX)
			continue;
		if (!(c->adj[i] & 1))
			refs[pg]++;
		else if (refs[pg])
			refs[pg]--;
	}
	size_t noverlays = c->npg;
	for (size_t i = 0; i < noverlays; i++) {
		uint64_t pg = c->pages[i].image_page;
		if (pg < c->npages && prefs[pg] && !refs[pg])
			c->pages[i].src = zero_page;
	}
	for (uint64_t pg = 0; pg < c->npages; pg++) {
		if (!prefs[pg] || refs[pg] || pg == c->p->zero_page || bit(c->overlaid, pg))
			continue;
		if (snap_incr_add_page(c, pg, zero_page)) {
			free(refs);
			return NULL;
		}
		c->scrubbed++;
	}
	return refs;
}

/* ---- the child ------------------------------------------------------------ */

/* A run of the child's image before its own backing exists: b (not
 * referenced) at file_page, or, b NULL, one page to store from src. */
struct seg {
	struct snap_backing *b;
	uint64_t file_page, image_page, npages;
	const uint8_t *src;
};
struct segs {
	struct seg *v;
	size_t n, cap;
};

static int seg_add(struct segs *l, struct snap_backing *b, uint64_t file_page, uint64_t image_page,
		   uint64_t npages, const uint8_t *src)
{
	if (npages == 0)
		return 0;
	if (l->n && b) {
		struct seg *last = &l->v[l->n - 1];
		if (last->b == b && last->file_page + last->npages == file_page &&
		    last->image_page + last->npages == image_page) {
			last->npages += npages;
			return 0;
		}
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		struct seg *v = realloc(l->v, cap * sizeof *v);
		if (!v)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = (struct seg){ b, file_page, image_page, npages, src };
	return 0;
}

/* P's image pages [from, from + n) at image page from + shift. */
static int seg_add_parent(struct segs *l, const struct snapshot *p, uint64_t from, uint64_t n,
			  uint64_t shift)
{
	uint64_t end = from + n;
	for (size_t i = 0; i < p->nextents && from < end; i++) {
		const struct snap_extent *x = &p->extents[i];
		uint64_t s0 = x->image_page, s1 = s0 + x->npages;
		if (s1 <= from || s0 >= end)
			continue;
		uint64_t a = from > s0 ? from : s0, z = end < s1 ? end : s1;
		if (seg_add(l, x->b, x->file_page + (a - s0), a + shift, z - a, NULL))
			return -1;
	}
	return 0;
}

/* The child's image in order: P's pages everywhere but the new ones, P's
 * tail moved up by the pages appended. */
static int child_segs(struct incr *c, struct segs *l)
{
	uint64_t at = 0, tail_from = c->npages + c->appended;
	for (size_t i = 0; i < c->npg; i++) {
		const struct newpage *np = &c->pages[i];
		uint64_t img = np->image_page;
		if (img > at && at < c->npages) {
			uint64_t end = img < c->npages ? img : c->npages;
			if (seg_add_parent(l, c->p, at, end - at, 0))
				return -1;
			at = end;
		}
		if (img > at && at >= tail_from) {
			if (seg_add_parent(l, c->p, at - c->appended, img - at, c->appended))
				return -1;
			at = img;
		}
		if (seg_add(l, np->b, np->file_page, img, 1, np->b ? NULL : np->src))
			return -1;
		at = img + 1;
	}
	if (at < c->npages) {
		if (seg_add_parent(l, c->p, at, c->npages - at, 0))
			return -1;
		at = c->npages;
	}
	if (at < tail_from)
		at = tail_from;
	uint64_t end = tail_from + c->ntables;
	return at < end ? seg_add_parent(l, c->p, at - c->appended, end - at, c->appended) : 0;
}

/* Every mapping of an extent costs a system call (~6 us on our machines)
 * when the image is mapped, and a chain of generations adds runs of a few
 * pages each: when the parent has more than this many runs, the child
 * copies the short ones into its own backing, where they join its new
 * pages in one run. The copies
 * are memory the child adds (said in bytes_new), a few pages per
 * generation since the last time. */
#define INCR_COMPACT_RUNS 8
#define INCR_SHORT_RUN 16

/* Look the new pages up in the lineage, lay the image out, copy what is
 * the child's own into one backing (*own, NULL if none) and give the
 * extents (*el) their references. */
int snap_incr_assemble(struct incr *c, struct snap_lineage *lin, struct snap_extent_list *el,
		    struct snap_backing **own, uint64_t *own_pages, uint64_t *deduped,
		    uint64_t *compacted, struct sb_err *err)
{
	struct segs l = { 0 };
	const uint8_t **src = NULL;
	int rc = -1;
	/* Scrubbed pages (scrub_dead) are not looked up: they get zero pages
	 * of the child's own backing, one after another, so that a run of
	 * them is one run of the image (a memfd's pages nobody wrote are
	 * holes: no memory until read). */
	for (size_t i = 0; i < c->npg; i++) {
		struct newpage *np = &c->pages[i];
		if (np->src != zero_page &&
		    snap_lineage_find(lin, np->src, &np->b, &np->file_page))
			(*deduped)++;
	}
	if (child_segs(c, &l))
		goto nomem;
	/* A parent in many runs (a chain of generations): copy its short
	 * ones. A child of a full snapshot never copies. */
	bool compact = c->p->nextents > INCR_COMPACT_RUNS;
	uint64_t n = 0, nz = 0;
	for (size_t i = 0; i < l.n; i++) {
		struct seg *g = &l.v[i];
		if (!g->b && g->src == zero_page)
			nz += g->npages; /* zero pages at the end of the backing */
		else if (!g->b || (compact && i > 0 && g->npages <= INCR_SHORT_RUN))
			n += g->npages;
	}
	*own_pages = n; /* the zero pages are holes */
	*own = NULL;
	if (n + nz) {
		src = malloc((n ? n : 1) * sizeof *src);
		if (!src || snap_backing_new(own, n + nz, lin, err))
			goto nomem;
	}
	uint64_t k = 0, kz = n;
	for (size_t i = 0; i < l.n; i++) {
		struct seg *g = &l.v[i];
		if (!g->b && g->src == zero_page) {
			snap_extent_add(el, *own, kz, g->image_page, g->npages); /* a new backing is zero */
			kz += g->npages;
			continue;
		}
		if (g->b && !(compact && i > 0 && g->npages <= INCR_SHORT_RUN)) {
			snap_extent_add(el, g->b, g->file_page, g->image_page, g->npages);
			continue;
		}
		for (uint64_t j = 0; j < g->npages; j++)
			src[k + j] = g->b ? g->b->base + (g->file_page + j) * SB_PAGE_SIZE : g->src;
		if (g->b && g->image_page < c->npages) /* P's guest-visible pages, copied */
			*compacted += g->npages;
		snap_extent_add(el, *own, k, g->image_page, g->npages);
		k += g->npages;
	}
	if (el->nomem)
		goto nomem;
	if (el->n > INCR_MAX_EXTENTS) {
		sb_errf(err, SB_E_STATE, "incremental snapshot: %zu runs of pages (at most %d)",
			el->n, INCR_MAX_EXTENTS);
		rc = 1;
		goto out;
	}
	for (uint64_t j = 0; j < n; j++)
		memcpy((*own)->base + j * SB_PAGE_SIZE, src[j], SB_PAGE_SIZE);
	rc = n + nz ? snap_backing_seal(*own, n, err) : 0;
	goto out;
nomem:
	if (!err->code)
		sb_errf(err, SB_E_NOMEM, "incremental snapshot: out of memory");
out:
	free(src);
	free(l.v);
	return rc;
}

/* Pages of memory the extents keep alive: a backing lives, whole, while
 * any image names one of its pages. */
uint64_t snap_incr_backings_held(const struct snap_extent *e, size_t n)
{
	uint64_t pages = 0;
	for (size_t i = 0; i < n; i++) {
		if (i && e[i - 1].b == e[i].b)
			continue;
		size_t j = 0;
		while (j < i && e[j].b != e[i].b)
			j++;
		if (j == i)
			pages += e[i].b->pages;
	}
	return pages;
}
