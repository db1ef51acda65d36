/* snap_incr.c — the snapshot of a running sandbox that costs what changed
 * since the snapshot it runs from (its parent, P).
 *
 * What the host knows. After a create or restore from P the sandbox's
 * page-table area holds P's tail, and the snapshot region is P's image (or,
 * under host-cow, a private copy of it). KVM's dirty logs and the host's
 * own writes say which pages changed since (snap_incr_dirty); nothing the
 * guest wrote is asked. So a table of P's tail the log does not name is
 * still P's, and so is every page under it unless one of its descendant
 * tables was written: those, and the tables above each written one (P's
 * structure says which: tail_parents), are the only tables walked. Every
 * other table is P's page, shared.
 *
 * The child's image is P's image with three kinds of pages changed:
 *  - overlays: snapshot-region pages written in place (host-cow only), at
 *    the same guest-physical page (every mapping of that page sees what the
 *    live sandbox sees there);
 *  - appended: pages the walked leaves map outside the snapshot region (the
 *    guest's copy-on-write copies in scratch, pages of extra regions),
 *    each distinct source page once, placed after P's guest-visible pages;
 *  - tables: the walked tables, rewritten as the full snapshot would write
 *    their leaves (writable data copy-on-write, at the new pages), at the
 *    same place in the tail.
 * Each new page is first looked up in the lineage (snap_store.h): found,
 * it is that page again; else it goes into the child's own backing. Then
 * the image is mapped as extents: P's backing pages everywhere else.
 *
 * Pages P holds that no leaf of the child maps keep their place in its
 * image but become zero pages (scrub_dead): a guest that scrubbed or
 * unmapped a page must not find it again by mapping its GPA, as the full
 * snapshot would have dropped it. Their places still grow the image by
 * what each generation appends, and a backing lives whole while any image
 * names one of its pages: past half the image (and 1 MiB) of such pages,
 * or backings kept alive of twice its size, the full snapshot starts
 * over.
 *
 * Anything this does not handle the way the full snapshot would -- a table
 * that is not one of P's (the guest added tables), an entry pointing at
 * one of P's tables where P had no such entry, a table two parents
 * share, a large page in a walked table, an edit of the scratch window, a
 * page outside guest memory, other roots than P's -- returns 1: the caller
 * takes the full snapshot, which also judges what a hostile guest did.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snap_incr_internal.h"

/* ---- the walk ------------------------------------------------------------ */

static int fallback(struct incr *c, const char *why, uint64_t a)
{
	sb_errf(c->err, SB_E_STATE, "incremental snapshot: %s 0x%llx", why, (unsigned long long)a);
	return 1;
}

int snap_incr_add_page(struct incr *c, uint64_t image_page, const uint8_t *src)
{
	if (c->npg == c->cappg) {
		size_t cap = c->cappg ? 2 * c->cappg : 64;
		struct newpage *n = realloc(c->pages, cap * sizeof *n);
		if (!n)
			return sb_errf(c->err, SB_E_NOMEM, "incremental snapshot: out of memory");
		c->pages = n;
		c->cappg = cap;
	}
	c->pages[c->npg++] = (struct newpage){ image_page, src, NULL, 0 };
	return 0;
}

static int app_grow(struct incr *c)
{
	size_t cap = c->app_mask ? 2 * (c->app_mask + 1) : 64;
	gpa_t *src = calloc(cap, sizeof *src);
	uint64_t *idx = malloc(cap * sizeof *idx);
	if (!src || !idx) {
		free(src);
		free(idx);
		return sb_errf(c->err, SB_E_NOMEM, "incremental snapshot: out of memory");
	}
	for (size_t i = 0; c->app_mask && i <= c->app_mask; i++) {
		if (!c->app_src[i])
			continue;
		size_t j = (size_t)(c->app_src[i] / SB_PAGE_SIZE * 0x9E3779B97F4A7C15ull >> 17) & (cap - 1);
		while (src[j])
			j = (j + 1) & (cap - 1);
		src[j] = c->app_src[i];
		idx[j] = c->app_idx[i];
	}
	free(c->app_src);
	free(c->app_idx);
	c->app_src = src;
	c->app_idx = idx;
	c->app_mask = cap - 1;
	return 0;
}

/* The guest-physical page a leaf mapping `gpa` (outside the snapshot
 * region) maps in the child: a new page after P's, once per source. */
static int append_page(struct incr *c, gpa_t gpa, gpa_t *out)
{
	const uint8_t *src = pt_regions_host_ptr(&c->rr, gpa, SB_PAGE_SIZE);
	if (!src || gpa < SB_PAGE_SIZE)
		return fallback(c, "a leaf maps GPA", gpa); /* the full snapshot says why */
	if ((c->app_used + 1) * 2 > c->app_mask + 1 && app_grow(c))
		return -1;
	size_t j = (size_t)(gpa / SB_PAGE_SIZE * 0x9E3779B97F4A7C15ull >> 17) & c->app_mask;
	while (c->app_src[j] && c->app_src[j] != gpa)
		j = (j + 1) & c->app_mask;
	if (!c->app_src[j]) {
		uint64_t idx;
		if (c->p->zero_page != UINT64_MAX && !c->zero_written && snap_page_is_zero(src)) {
			idx = c->p->zero_page; /* all zero pages share one */
		} else {
			idx = c->npages + c->appended++;
			if (snap_incr_add_page(c, idx, src))
				return -1;
		}
		c->app_src[j] = gpa;
		c->app_idx[j] = idx;
		c->app_used++;
	}
	*out = SB_BASE_ADDRESS + c->app_idx[j] * SB_PAGE_SIZE;
	return 0;
}

static struct pt_kind frozen(struct pt_kind k)
{
	if (k.tag == PT_KIND_BASIC && k.writable)
		return pt_kind_cow(k.readable, k.executable);
	return k;
}

/* A leaf of a walked table maps `gpa` (lost: mapped it in P). Only image
 * pages count; out of memory, the counts are given up (never wrong). */
static void ref_adj(struct incr *c, gpa_t gpa, bool lost)
{
	if (gpa < SB_BASE_ADDRESS || c->refs_unknown)
		return;
	uint64_t pg = (gpa - SB_BASE_ADDRESS) / SB_PAGE_SIZE;
	if (pg >= c->npages + c->appended)
		return;
	if (c->nadj == c->capadj) {
		size_t cap = c->capadj ? 2 * c->capadj : 256;
		uint64_t *a = realloc(c->adj, cap * sizeof *a);
		if (!a) {
			c->refs_unknown = true;
			return;
		}
		c->adj = a;
		c->capadj = cap;
	}
	c->adj[c->nadj++] = pg << 1 | lost;
}

static int walk_table(struct incr *c, uint64_t t, unsigned level, gva_t va_base);

/* Entry i of a walked table: its value in the child, in *out. */
static int walk_entry(struct incr *c, uint64_t t, unsigned level, unsigned i, gva_t va,
		      uint64_t e, uint64_t *out)
{
	const struct pt_format *f = &pt_format_x86_64;
	uint64_t span = 1ull << (12 + 9 * (level - 1));
	uint64_t pe = c->ptail[t * 512 + i];
	bool table = level > 1 && (e & PT_P) && !(e & PT_PS);
	gpa_t target = e & PT_X86_64_ADDR_MASK;
	uint64_t tt = (target - c->pt_base) / SB_PAGE_SIZE;
	bool in_tail = target >= c->pt_base && tt < c->ntables;
	if (va >= c->scratch_gva) {
		/* The scratch window (and the addresses above it): the full
		 * snapshot maps it afresh, which is what P has. Unchanged here,
		 * it is P's (the accessed and dirty bits the CPU sets aside);
		 * anything else is the full snapshot's to judge. */
		if ((e & ~(PT_A | PT_D)) != (pe & ~(PT_A | PT_D)) || (table && !in_tail))
			return fallback(c, "the guest changed the scratch window at VA", va);
		/* A window table written (the CPU sets a leaf's dirty bit when the
		 * exception stack is first written): its entries are held to the
		 * same rule. */
		if (table && bit(c->changed, tt) && !bit(c->done, tt)) {
			int rc = walk_table(c, tt, level - 1, va);
			if (rc)
				return rc;
		}
		*out = pe;
		return 0;
	}
	if (!(e & PT_P)) {
		if ((pe & PT_P) && level > 1)
			c->refs_unknown = true;
		else if (pe & PT_P)
			ref_adj(c, pe & PT_X86_64_ADDR_MASK, true);
		/* What P mapped here is gone: its pages may be dead in the
		 * image (a table's subtree counted as if all its leaves were). */
		if ((pe & PT_P) && (level > 1 || ((pe & PT_X86_64_ADDR_MASK) >= SB_BASE_ADDRESS &&
						  (pe & PT_X86_64_ADDR_MASK) < c->snap_end &&
						  ((pe & PT_X86_64_ADDR_MASK) - SB_BASE_ADDRESS) /
								  SB_PAGE_SIZE != c->p->zero_page)))
			c->unmapped += span / SB_PAGE_SIZE;
		*out = 0;
		return 0;
	}
	if (table) {
		if (!in_tail)
			return fallback(c, "the guest added a page table at GPA", target);
		/* Only P's own edges: a table of the tail reached from another
		 * entry may be read at another level than P built it for (its
		 * leaves as tables, P's data pages as page directories), and an
		 * unwritten one is not walked here. By induction from P's roots
		 * every table is then reached where P had it. */
		if (!(pe & PT_P) || (pe & PT_PS) || (pe & PT_X86_64_ADDR_MASK) != target)
			return fallback(c, "an entry points at a table P did not have there, at VA",
					va);
		if (bit(c->changed, tt) && !bit(c->done, tt)) {
			int rc = walk_table(c, tt, level - 1, va);
			if (rc)
				return rc;
		}
		*out = e; /* tables keep their place: the entry is the guest's */
		return 0;
	}
	if (level > 1 || va + span > c->scratch_gva)
		return fallback(c, "a large page in a changed table at VA", va);
	c->leaves++;
	struct pt_kind k = frozen(pt_entry_kind(f, e));
	gpa_t phys = target;
	if (target < SB_BASE_ADDRESS || target >= c->snap_end) {
		int rc = append_page(c, target, &phys);
		if (rc)
			return rc;
	}
	if (pe & PT_P)
		ref_adj(c, pe & PT_X86_64_ADDR_MASK, true);
	ref_adj(c, phys, false);
	/* P's page this leaf mapped is likely mapped by no leaf now (an
	 * alias would still map it; counting it is only cautious). */
	gpa_t was = pe & PT_X86_64_ADDR_MASK;
	if ((pe & PT_P) && was != phys && was >= SB_BASE_ADDRESS && was < c->snap_end &&
	    (was - SB_BASE_ADDRESS) / SB_PAGE_SIZE != c->p->zero_page)
		c->unmapped++;
	*out = pt_entry_leaf(f, phys, k, (e & PT_US) != 0);
	return 0;
}

/* Walk table t of P's tail (written, or above a written one): its live
 * content, rewritten into c->newtab[t]. */
static int walk_table(struct incr *c, uint64_t t, unsigned level, gva_t va_base)
{
	set_bit(c->done, t);
	const uint64_t *live = pt_regions_host_ptr(&c->rr, c->pt_base + t * SB_PAGE_SIZE,
						   SB_PAGE_SIZE);
	uint64_t *out = malloc(SB_PAGE_SIZE);
	if (!live || !out) {
		free(out);
		return live ? sb_errf(c->err, SB_E_NOMEM, "incremental snapshot: out of memory")
			    : fallback(c, "the page-table area is not in scratch at", c->pt_base);
	}
	c->newtab[t] = out;
	c->level[t] = (uint8_t)level;
	unsigned shift = 12 + 9 * (level - 1);
	for (unsigned i = 0; i < 512; i++) {
		gva_t va = va_base + ((uint64_t)i << shift);
		if (level == 4 && i >= 256)
			va |= 0xFFFF000000000000ull; /* the upper half: canonical */
		int rc = walk_entry(c, t, level, i, va, live[i], &out[i]);
		if (rc)
			return rc;
	}
	return 0;
}

/* Which tables to walk: the written ones and every table above them. */
static int mark_changed(struct incr *c, const struct snap_incr_dirty *d, const uint32_t *par)
{
	for (uint64_t t = 0; t < c->ntables; t++) {
		if (!d->all_tables && !bit(d->tables, d->tables_bit0 + t))
			continue;
		for (uint64_t x = t; !bit(c->changed, x);) {
			set_bit(c->changed, x);
			uint32_t up = par[x];
			if (up == TP_MULTI)
				return fallback(c, "a page table with two parents at GPA",
						c->pt_base + x * SB_PAGE_SIZE);
			if (up == TP_NONE || up == TP_ROOT)
				break;
			x = up;
		}
	}
	return 0;
}

/* Host-cow: snapshot-region pages the guest wrote in place. */
static int add_overlays(struct incr *c, const struct snap_incr_dirty *d)
{
	const uint8_t *mem = c->in->snapshot_mem;
	if (!d->snap_pages || !mem || mem == c->p->image)
		return 0;
	for (uint64_t w = 0; w < (c->npages + 63) / 64; w++) {
		for (uint64_t m = d->snap_pages[w]; m; m &= m - 1) {
			uint64_t i = w * 64 + (uint64_t)__builtin_ctzll(m);
			if (i >= c->npages)
				break;
			const uint8_t *live = mem + i * SB_PAGE_SIZE;
			if (i == c->p->zero_page)
				c->zero_written = true; /* not ours to share any more */
			if (memcmp(live, c->p->image + i * SB_PAGE_SIZE, SB_PAGE_SIZE) != 0) {
				if (snap_incr_add_page(c, i, live))
					return -1;
				if (c->overlaid)
					set_bit(c->overlaid, i);
			}
		}
	}
	return 0;
}

static int cmp_image_page(const void *a, const void *b)
{
	const struct newpage *x = a, *y = b;
	return (x->image_page > y->image_page) - (x->image_page < y->image_page);
}

static void incr_free(struct incr *c)
{
	for (uint64_t t = 0; c->newtab && t < c->ntables; t++)
		free(c->newtab[t]);
	free(c->newtab);
	free(c->level);
	free(c->changed);
	free(c->done);
	free(c->app_src);
	free(c->app_idx);
	free(c->adj);
	free(c->overlaid);
	for (size_t i = 0; i < c->npg; i++)
		snap_backing_unref(c->pages[i].b);
	free(c->pages);
}

static int check_parent(const struct snap_live_input *in, struct sb_err *err)
{
	const struct snapshot *p = in->base;
	if (!p->extents || !p->lineage || p->nextents > INCR_MAX_EXTENTS)
		return sb_errf(err, SB_E_STATE, "incremental snapshot: %s is not a live snapshot "
			       "with at most %d extents", p->source, INCR_MAX_EXTENTS), 1;
	if (in->nroots != p->nroots || memcmp(in->roots, p->roots, in->nroots * sizeof *in->roots))
		return sb_errf(err, SB_E_STATE, "incremental snapshot: other address spaces than "
			       "the parent's"), 1;
	if (in->n_host_fns > SNAP_MAX_HOST_FNS || in->cur_root >= in->nroots ||
	    in->n_extra > SNAP_MAX_EXTRA)
		return 1; /* the full snapshot says what is wrong */
	return 0;
}

int snap_from_live_incr(struct snapshot **out, const struct snap_live_input *in,
			const struct snap_incr_dirty *d, struct sb_err *err)
{
	int rc = check_parent(in, err);
	if (rc)
		return rc;
	struct snapshot *p = (struct snapshot *)in->base; /* its lazily built parts */
	const uint32_t *par = snap_incr_tail_parents(p);
	if (!par)
		return sb_errf(err, SB_E_NOMEM, "incremental snapshot: out of memory");
	const struct layout *pl = &p->layout;
	struct incr c = { .in = in, .p = p, .err = err,
			  .pt_base = layout_pt_base_gpa(pl),
			  .npages = layout_snapshot_bytes(pl) / SB_PAGE_SIZE,
			  .ntables = layout_pt_bytes(pl) / SB_PAGE_SIZE,
			  .ptail = (const uint64_t *)snap_pt_tail(p),
			  .scratch_gva = layout_scratch_base_gva(pl) };
	c.snap_end = SB_BASE_ADDRESS + c.npages * SB_PAGE_SIZE;
	struct pt_region regions[2 + SNAP_MAX_EXTRA] = {
		{ SB_BASE_ADDRESS, in->snapshot_mem ? in->snapshot_mem : p->image,
		  layout_snapshot_bytes(pl) },
		{ layout_scratch_base_gpa(pl), in->scratch, in->scratch_bytes },
	};
	for (size_t i = 0; i < in->n_extra; i++)
		regions[2 + i] = (struct pt_region){ in->extra[i].gpa, in->extra[i].host,
						     in->extra[i].bytes };
	pt_regions_init(&c.rr, &pt_format_x86_64, regions, 2 + in->n_extra, in->roots[0]);

	size_t words = (c.ntables + 63) / 64 + 1;
	struct snapshot *s = NULL;
	struct snap_backing *own = NULL;
	struct snap_extent_list el = { 0 };
	uint16_t *refs = NULL;
	c.overlaid = calloc((c.npages + 63) / 64 + 1, sizeof *c.overlaid);
	c.refs_unknown = !c.overlaid;
	c.changed = calloc(words, sizeof *c.changed);
	c.done = calloc(words, sizeof *c.done);
	c.newtab = calloc(c.ntables ? c.ntables : 1, sizeof *c.newtab);
	c.level = calloc(c.ntables ? c.ntables : 1, 1);
	rc = -1;
	if (!c.changed || !c.done || !c.newtab || !c.level) {
		sb_errf(err, SB_E_NOMEM, "incremental snapshot: out of memory");
		goto out;
	}
	if ((rc = mark_changed(&c, d, par)) != 0)
		goto out;
	rc = add_overlays(&c, d);
	for (unsigned r = 0; rc == 0 && r < p->nroots; r++) {
		uint64_t t = (p->roots[r] - c.pt_base) / SB_PAGE_SIZE;
		if (bit(c.changed, t) && !bit(c.done, t))
			rc = walk_table(&c, t, 4, 0);
	}
	if (rc)
		goto out;
	rc = -1;
	uint64_t tables_new = 0;
	for (uint64_t t = 0; t < c.ntables; t++) {
		if (!c.newtab[t])
			continue;
		if (memcmp(c.newtab[t], c.ptail + t * 512, SB_PAGE_SIZE) == 0)
			continue; /* written back as it was: P's page */
		tables_new++;
		if (snap_incr_add_page(&c, c.npages + c.appended + t, (const uint8_t *)c.newtab[t]))
			goto out;
	}
	refs = snap_incr_scrub_dead(&c, snap_incr_page_refs(p));
	if (c.err->code == SB_E_NOMEM)
		goto out;
	struct layout layout = *pl;
	uint64_t max_bytes = in->max_snapshot_bytes ? in->max_snapshot_bytes : SB_SNAPSHOT_MAX_BYTES;
	if ((c.npages + c.appended) * SB_PAGE_SIZE > max_bytes) {
		rc = fallback(&c, "the image would pass the size limit at page", c.npages + c.appended);
		goto out;
	}
	if (layout_set_snapshot_bytes(&layout, (c.npages + c.appended) * SB_PAGE_SIZE, err))
		goto out;
	/* Pages no leaf maps stay in the image (and in memory): once they
	 * are half of it, the full snapshot, which drops them. A guest
	 * rewriting its heap in every generation grew a chain's image by a
	 * heap each time. */
	uint64_t unmapped = p->pages_unmapped + c.unmapped;
	if (unmapped > INCR_SLACK_PAGES && unmapped > (c.npages + c.appended) / 2) {
		rc = fallback(&c, "pages of the image no leaf maps:", unmapped);
		goto out;
	}
	if (c.npg)
		qsort(c.pages, c.npg, sizeof *c.pages, cmp_image_page);
	uint64_t own_pages = 0, deduped = 0, compacted = 0;
	if ((rc = snap_incr_assemble(&c, p->lineage, &el, &own, &own_pages, &deduped, &compacted, err)) != 0)
		goto out;
	rc = -1;
	s = calloc(1, sizeof *s);
	if (!s) {
		sb_errf(err, SB_E_NOMEM, "cannot allocate a snapshot");
		goto out;
	}
	s->refs = 1;
	s->layout = layout;
	s->map_bytes = layout_image_bytes(&layout);
	uint64_t held = snap_incr_backings_held(el.e, el.n), image_pages = layout_image_bytes(&layout) / SB_PAGE_SIZE;
	if (held > image_pages + INCR_SLACK_PAGES && held > 2 * image_pages) {
		free(s);
		s = NULL;
		rc = fallback(&c, "the image would keep alive backings of pages:", held);
		goto out;
	}
	if (!snap_runs_reserve(el.n)) {
		free(s);
		s = NULL;
		rc = fallback(&c, "the process's live images map too many runs already; runs:",
			      el.n);
		goto out;
	}
	if (snap_extents_map(&s->image, s->map_bytes, el.e, el.n, err)) {
		snap_runs_release(el.n);
		free(s);
		s = NULL;
		goto out;
	}
	s->extents = el.e;
	s->nextents = el.n;
	el.e = NULL;
	el.n = 0;
	s->lineage = snap_lineage_ref(p->lineage);
	s->zero_page = c.zero_written ? UINT64_MAX : p->zero_page;
	s->pages_unmapped = unmapped;
	s->page_refs = refs;
	s->page_refs_unknown = !refs;
	refs = NULL;
	s->nroots = p->nroots;
	s->cur_root = (unsigned)in->cur_root;
	memcpy(s->roots, p->roots, sizeof s->roots);
	s->entry_kind = SNAP_ENTRY_CALL;
	s->entry_gva = in->dispatch_gva;
	s->stack_top_gva = in->stack_top_gva;
	s->generation = in->generation;
	/* P's guest-visible pages the child shares: not the overlays, not the
	 * ones its walked leaves no longer map (the writes went to copies),
	 * not the short runs it copied. */
	uint64_t overlays = c.npg - tables_new - c.appended - c.scrubbed;
	uint64_t gone = overlays + (c.unmapped > c.scrubbed ? c.unmapped : c.scrubbed) + compacted;
	uint64_t shared = gone < c.npages ? c.npages - gone : 0;
	s->stats = (struct snap_stats){
		.pages_mapped = c.leaves,
		.pages_copied = c.npg - tables_new - c.scrubbed,
		.pt_pages = c.ntables,
		.incremental = true,
		.pages_shared = shared,
		.pt_pages_new = tables_new,
		.pages_deduped = deduped,
		.bytes_new = own_pages * SB_PAGE_SIZE,
	};
	if (in->sregs) {
		s->has_sregs = true;
		s->sregs = *in->sregs;
	}
	s->n_host_fns = in->n_host_fns;
	if (s->n_host_fns)
		memcpy(s->host_fns, in->host_fns, s->n_host_fns * sizeof *s->host_fns);
	snprintf(s->source, sizeof s->source, "generation %llu of %.200s",
		 (unsigned long long)in->generation, p->source);
	s->digest_pending = true;
	s->tail_parents = snap_incr_child_tail_parents(par, c.ntables, c.done, c.newtab, c.level, c.pt_base);
	*out = s;
	rc = 0;
out:
	free(refs);
	snap_backing_unref(own);
	if (el.e)
		snap_extents_free(el.e, el.n);
	incr_free(&c);
	return rc;
}
