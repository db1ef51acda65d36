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
 * Pages P holds that no table of the child maps stay in its image (the
 * full snapshot would drop them): the image grows by what each generation
 * adds, and so does what a save writes. A guest could map them again only
 * by editing its tables, as it could in P.
 *
 * Anything this does not handle the way the full snapshot would -- a table
 * that is not one of P's (the guest added tables), a table two parents
 * share, a large page in a walked table, an edit of the scratch window, a
 * page outside guest memory, other roots than P's -- returns 1: the caller
 * takes the full snapshot, which also judges what a hostile guest did.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snap_store.h"
#include "snapshot_internal.h"

#define TP_NONE UINT32_MAX        /* no table points at it */
#define TP_MULTI (UINT32_MAX - 1) /* two tables, or two levels */
#define TP_ROOT (UINT32_MAX - 2)
#define INCR_MAX_EXTENTS 4096     /* more: the full snapshot, which starts over */

/* ---- P's structure: which table points at which ------------------------ */

static uint32_t *build_tail_parents(const struct snapshot *s)
{
	const struct layout *l = &s->layout;
	uint64_t n = layout_pt_bytes(l) / SB_PAGE_SIZE;
	gpa_t base = layout_pt_base_gpa(l);
	const uint64_t *tail = (const uint64_t *)snap_pt_tail(s);
	uint32_t *par = malloc((n ? n : 1) * sizeof *par);
	uint8_t *level = calloc(n ? n : 1, 1);
	uint32_t *stack = malloc((n ? n : 1) * sizeof *stack);
	if (!par || !level || !stack || n >= TP_ROOT) {
		free(par);
		par = NULL;
		goto out;
	}
	for (uint64_t i = 0; i < n; i++)
		par[i] = TP_NONE;
	size_t top = 0;
	for (unsigned r = 0; r < s->nroots; r++) {
		uint64_t t = (s->roots[r] - base) / SB_PAGE_SIZE;
		if (s->roots[r] < base || t >= n)
			continue;
		par[t] = par[t] == TP_NONE ? TP_ROOT : TP_MULTI;
		if (!level[t]) {
			level[t] = 4;
			stack[top++] = (uint32_t)t;
		}
	}
	while (top) {
		uint32_t t = stack[--top];
		if (level[t] == 1)
			continue;
		for (unsigned i = 0; i < 512; i++) {
			uint64_t e = tail[t * 512 + i];
			if (!(e & PT_P) || (e & PT_PS))
				continue;
			gpa_t c_gpa = e & PT_X86_64_ADDR_MASK;
			uint64_t c = (c_gpa - base) / SB_PAGE_SIZE;
			if (c_gpa < base || c >= n)
				continue;
			if (par[c] == TP_NONE)
				par[c] = t;
			else if (par[c] != t)
				par[c] = TP_MULTI;
			if (!level[c]) {
				level[c] = (uint8_t)(level[t] - 1);
				stack[top++] = (uint32_t)c; /* each table pushed once: top < n */
			} else if (level[c] != level[t] - 1) {
				par[c] = TP_MULTI;
			}
		}
	}
out:
	free(level);
	free(stack);
	return par;
}

static const uint32_t *tail_parents(struct snapshot *s)
{
	uint32_t *p = __atomic_load_n(&s->tail_parents, __ATOMIC_ACQUIRE);
	if (p)
		return p;
	p = build_tail_parents(s);
	uint32_t *none = NULL;
	if (p && !__atomic_compare_exchange_n(&s->tail_parents, &none, p, false, __ATOMIC_ACQ_REL,
					      __ATOMIC_ACQUIRE)) {
		free(p);
		return none;
	}
	return p;
}

/* ---- the walk ------------------------------------------------------------ */

/* A page the child stores or finds: its content (NULL once placed) and
 * where it comes from. */
struct newpage {
	uint64_t image_page;   /* overlays and appended pages; tables: set at the end */
	const uint8_t *src;
	struct snap_backing *b; /* found in the lineage (a reference), else NULL: own */
	uint64_t file_page;
};

struct incr {
	const struct snap_live_input *in;
	const struct snapshot *p;
	struct pt_regions rr;
	gpa_t pt_base, snap_end, scratch_gva;
	uint64_t ntables, npages; /* P's tail tables, P's guest-visible pages */
	const uint64_t *ptail;
	uint64_t *changed, *done;
	uint64_t **newtab;        /* [ntables]: the walked tables' new content */
	/* appended pages by source GPA (linear probing; grows at half) */
	gpa_t *app_src;
	uint64_t *app_idx;
	size_t app_mask, app_used;
	struct newpage *pages;    /* overlays, then appended, in image order */
	size_t npg, cappg;
	uint64_t appended;
	uint64_t leaves;
	bool zero_written;        /* P's zero page was written in place (host-cow) */
	struct sb_err *err;
};

static bool bit(const uint64_t *m, uint64_t i)
{
	return m[i / 64] >> (i % 64) & 1;
}

static void set_bit(uint64_t *m, uint64_t i)
{
	m[i / 64] |= 1ull << (i % 64);
}

static int fallback(struct incr *c, const char *why, uint64_t a)
{
	sb_errf(c->err, SB_E_STATE, "incremental snapshot: %s 0x%llx", why, (unsigned long long)a);
	return 1;
}

static int add_page(struct incr *c, uint64_t image_page, const uint8_t *src)
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
			if (add_page(c, idx, src))
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
		if ((e & ~(PT_A | PT_D)) != (pe & ~(PT_A | PT_D)) || (table && (!in_tail || bit(c->changed, tt))))
			return fallback(c, "the guest changed the scratch window at VA", va);
		*out = pe;
		return 0;
	}
	if (!(e & PT_P)) {
		*out = 0;
		return 0;
	}
	if (table) {
		if (!in_tail)
			return fallback(c, "the guest added a page table at GPA", target);
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
		if (!d->all_tables && !bit(d->tables, t))
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
			if (memcmp(live, c->p->image + i * SB_PAGE_SIZE, SB_PAGE_SIZE) != 0 &&
			    add_page(c, i, live))
				return -1;
		}
	}
	return 0;
}

/* ---- the child ------------------------------------------------------------ */

/* Look every new page up in the lineage; store the rest in one backing.
 * Sets *own_pages to the pages stored. */
static int place_pages(struct incr *c, struct snap_lineage *lin, struct snap_backing **own,
		       uint64_t *own_pages, uint64_t *deduped, struct sb_err *err)
{
	uint64_t n = 0;
	for (size_t i = 0; i < c->npg; i++) {
		struct newpage *p = &c->pages[i];
		if (snap_lineage_find(lin, p->src, &p->b, &p->file_page))
			(*deduped)++;
		else
			p->file_page = n++;
	}
	*own_pages = n;
	*own = NULL;
	if (n == 0)
		return 0;
	if (snap_backing_new(own, n, lin, err))
		return -1;
	for (size_t i = 0; i < c->npg; i++)
		if (!c->pages[i].b)
			memcpy((*own)->base + c->pages[i].file_page * SB_PAGE_SIZE, c->pages[i].src,
			       SB_PAGE_SIZE);
	return snap_backing_seal(*own, n, err);
}

static int cmp_image_page(const void *a, const void *b)
{
	const struct newpage *x = a, *y = b;
	return (x->image_page > y->image_page) - (x->image_page < y->image_page);
}

/* The child's extents: P's everywhere but the new pages; P's tail moves
 * up by the pages appended. */
static void build_extents(struct incr *c, struct snap_backing *own, struct snap_extent_list *l)
{
	const struct snapshot *p = c->p;
	uint64_t at = 0, tail_from = c->npages + c->appended;
	for (size_t i = 0; i < c->npg; i++) {
		const struct newpage *np = &c->pages[i];
		uint64_t img = np->image_page;
		/* P's pages before it: the guest-visible part stays in place,
		 * the tail moves by `appended` pages. */
		if (img > at && at < c->npages) {
			uint64_t end = img < c->npages ? img : c->npages;
			snap_extent_add_range(l, p->extents, p->nextents, at, end - at, 0);
			at = end;
		}
		if (img > at && at >= tail_from) {
			snap_extent_add_range(l, p->extents, p->nextents, at - c->appended, img - at,
					      (int64_t)c->appended);
			at = img;
		}
		snap_extent_add(l, np->b ? np->b : own, np->file_page, img, 1);
		at = img + 1;
	}
	if (at < c->npages) {
		snap_extent_add_range(l, p->extents, p->nextents, at, c->npages - at, 0);
		at = c->npages;
	}
	if (at < tail_from)
		at = tail_from;
	uint64_t end = tail_from + c->ntables;
	if (at < end)
		snap_extent_add_range(l, p->extents, p->nextents, at - c->appended, end - at,
				      (int64_t)c->appended);
}

static void incr_free(struct incr *c)
{
	for (uint64_t t = 0; c->newtab && t < c->ntables; t++)
		free(c->newtab[t]);
	free(c->newtab);
	free(c->changed);
	free(c->done);
	free(c->app_src);
	free(c->app_idx);
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
	const uint32_t *par = tail_parents(p);
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
	c.changed = calloc(words, sizeof *c.changed);
	c.done = calloc(words, sizeof *c.done);
	c.newtab = calloc(c.ntables ? c.ntables : 1, sizeof *c.newtab);
	rc = -1;
	if (!c.changed || !c.done || !c.newtab) {
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
		if (add_page(&c, c.npages + c.appended + t, (const uint8_t *)c.newtab[t]))
			goto out;
	}
	struct layout layout = *pl;
	uint64_t max_bytes = in->max_snapshot_bytes ? in->max_snapshot_bytes : SB_SNAPSHOT_MAX_BYTES;
	if ((c.npages + c.appended) * SB_PAGE_SIZE > max_bytes) {
		rc = fallback(&c, "the image would pass the size limit at page", c.npages + c.appended);
		goto out;
	}
	if (layout_set_snapshot_bytes(&layout, (c.npages + c.appended) * SB_PAGE_SIZE, err))
		goto out;
	qsort(c.pages, c.npg, sizeof *c.pages, cmp_image_page);
	uint64_t own_pages = 0, deduped = 0;
	if (place_pages(&c, p->lineage, &own, &own_pages, &deduped, err))
		goto out;
	build_extents(&c, own, &el);
	if (el.nomem) {
		sb_errf(err, SB_E_NOMEM, "incremental snapshot: out of memory");
		goto out;
	}
	s = calloc(1, sizeof *s);
	if (!s) {
		sb_errf(err, SB_E_NOMEM, "cannot allocate a snapshot");
		goto out;
	}
	s->refs = 1;
	s->layout = layout;
	s->map_bytes = layout_image_bytes(&layout);
	if (snap_extents_map(&s->image, s->map_bytes, el.e, el.n, err)) {
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
	s->nroots = p->nroots;
	s->cur_root = (unsigned)in->cur_root;
	memcpy(s->roots, p->roots, sizeof s->roots);
	s->entry_kind = SNAP_ENTRY_CALL;
	s->entry_gva = in->dispatch_gva;
	s->stack_top_gva = in->stack_top_gva;
	s->generation = in->generation;
	s->stats = (struct snap_stats){
		.pages_mapped = c.leaves,
		.pages_copied = c.npg - tables_new,
		.pt_pages = c.ntables,
		.incremental = true,
		.pages_shared = c.npages - (c.npg - tables_new - c.appended),
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
	*out = s;
	rc = 0;
out:
	snap_backing_unref(own);
	if (el.e)
		snap_extents_free(el.e, el.n);
	incr_free(&c);
	return rc;
}
