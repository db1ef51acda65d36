/* snap_live.c — the snapshot of a running sandbox (DESIGN.md §5).
 *
 * Walk the live page tables of every root together (vmem's multi-root
 * walk: shared subtrees are seen once and stay shared), drop the scratch
 * window, and copy each distinct guest-physical page once into a new dense
 * image: aliases (one physical page at several VAs) get the same new page,
 * and every all-zero page maps to one shared zero page. Writable pages
 * become copy-on-write, read-only pages stay read-only, and pages of extra
 * read-only regions the guest maps are frozen into the image like any
 * other (the snapshot does not depend on those regions). The rebuilt tables
 * sit at the scratch GPA they are copied to on restore, with the scratch
 * window mapped afresh (its page-table area supervisor-only, so the tables
 * the guest built at run time, now part of that area, stay out of ring 3's
 * reach), and are appended to the image as its tail.
 *
 * What a snapshot costs follows the guest memory mapped, not the number
 * of entries that map it: every distinct guest-physical page is copied at
 * most once, whether 4 KiB leaves or large pages (2 MiB, 1 GiB) map it and
 * however many of them, so the image holds at most the pages of the
 * snapshot region, scratch and extra regions (plus the tables). A large
 * page is rebuilt as 4 KiB leaves in one table the first time; every other
 * entry mapping the same page with the same attributes links that table
 * (measured: one call writing 512 PDEs for one 2 MiB scratch region made
 * a 1 GiB image in 3.8 s before; now 526 pages in 2 ms). Every new page is
 * still counted against the snapshot's size limit as it is placed, and the
 * snapshot stops at the first page past it (SB_E_GUEST, saying what the
 * guest mapped), before the copy lists or the rebuilt tables grow further.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pt_multiroot.h"
#include "snapshot_internal.h"

/* Open-addressing map from a 64-bit key (a source GPA page; for the
 * large-page tables below, a page and the leaf's attributes) to a 32-bit
 * value. Grows at half load, so its size follows the keys inserted. */
struct page_map {
	uint64_t *keys; /* key + 1; 0 = empty */
	uint32_t *vals;
	size_t mask, used;
};

static int page_map_alloc(struct page_map *pm, size_t cap)
{
	pm->keys = calloc(cap, sizeof *pm->keys);
	pm->vals = malloc(cap * sizeof *pm->vals);
	pm->mask = cap - 1;
	pm->used = 0;
	return pm->keys && pm->vals ? 0 : -1;
}

static int page_map_init(struct page_map *pm, size_t expected)
{
	size_t cap = 16;
	while (cap < expected * 2)
		cap <<= 1;
	return page_map_alloc(pm, cap);
}

static void page_map_free(struct page_map *pm)
{
	free(pm->keys);
	free(pm->vals);
}

static size_t page_map_slot(const struct page_map *pm, uint64_t key, bool *found)
{
	uint64_t k = key + 1;
	size_t i = (size_t)(k * 0x9E3779B97F4A7C15ull >> 17) & pm->mask;
	while (pm->keys[i] && pm->keys[i] != k)
		i = (i + 1) & pm->mask;
	*found = pm->keys[i] == k;
	return i;
}

static bool page_map_get(const struct page_map *pm, uint64_t key, uint32_t *val)
{
	bool found;
	size_t i = page_map_slot(pm, key, &found);
	if (found)
		*val = pm->vals[i];
	return found;
}

/* Insert a key that is not in the map yet. */
static int page_map_put(struct page_map *pm, uint64_t key, uint32_t val)
{
	if ((pm->used + 1) * 2 > pm->mask + 1) {
		struct page_map old = *pm;
		if (page_map_alloc(pm, (old.mask + 1) * 2)) {
			page_map_free(pm);
			*pm = old;
			return -1;
		}
		for (size_t i = 0; i <= old.mask; i++) {
			if (!old.keys[i])
				continue;
			bool found;
			size_t j = page_map_slot(pm, old.keys[i] - 1, &found);
			pm->keys[j] = old.keys[i];
			pm->vals[j] = old.vals[i];
			pm->used++;
		}
		page_map_free(&old);
	}
	bool found;
	size_t i = page_map_slot(pm, key, &found);
	pm->keys[i] = key + 1;
	pm->vals[i] = val;
	pm->used++;
	return 0;
}

/* Page indexes are 32-bit and the copy list doubles: with the cap below
 * (at most this many pages) neither an index nor a doubling can wrap. */
_Static_assert(SB_SNAPSHOT_MAX_BYTES / SB_PAGE_SIZE <= UINT32_MAX / 2,
	       "a snapshot's page indexes must fit in 32 bits");

struct live_ctx {
	struct pt_regions rr;
	const struct snapshot *base;
	bool private_snapshot_mem; /* the snapshot region is not base->image */
	gva_t scratch_gva;
	struct page_map map;    /* source GPA page -> new page index */
	/* A large leaf already rebuilt (its page, size and final attributes)
	 * -> the table holding its 4 KiB leaves (GPA / 4 KiB): another entry
	 * mapping the same is linked to that table, not rebuilt. */
	struct page_map large_tables;
	struct pt_hostbuf *hb;  /* the rebuild's output and its roots */
	const gpa_t *out_roots;
	const uint8_t **src;    /* source of each new page (NULL: the zero page) */
	uint32_t npages, cap;   /* npages <= cap <= max_pages <= UINT32_MAX / 2 */
	uint32_t max_pages;     /* the size limit, in pages */
	uint32_t zero_index;    /* UINT32_MAX until the zero page is needed */
	/* The leaf being placed and the large pages so far, for the message
	 * that tells the guest's author what went over the limit. */
	const struct pt_mapping *leaf;
	uint64_t large_leaves, large_pages;
	uint64_t max_bytes;
	struct snap_stats stats;
	struct sb_err *err;
};

static bool page_is_zero(const uint8_t *p)
{
	const uint64_t *w = (const uint64_t *)p;
	for (size_t i = 0; i < SB_PAGE_SIZE / 8; i++)
		if (w[i])
			return false;
	return true;
}

static int too_many_pages(const struct live_ctx *c)
{
	const struct pt_mapping *m = c->leaf;
	char what[48] = "4 KiB page";
	if (m->len_bytes > SB_PAGE_SIZE)
		snprintf(what, sizeof what, "%llu KiB large page",
			 (unsigned long long)(m->len_bytes >> 10));
	return sb_errf(c->err, SB_E_GUEST,
		       "snapshot: the guest maps more than the snapshot limit of %llu pages "
		       "(%llu bytes): %llu pages mapped so far, %llu of them through %llu large "
		       "pages (each distinct page copied once); stopped at the "
		       "%s at GVA 0x%llx (GPA 0x%llx)",
		       (unsigned long long)c->max_pages, (unsigned long long)c->max_bytes,
		       (unsigned long long)c->stats.pages_mapped, (unsigned long long)c->large_pages,
		       (unsigned long long)c->large_leaves, what, (unsigned long long)m->virt,
		       (unsigned long long)m->phys);
}

/* A new page in the image, or the guest's error once the limit is reached:
 * checked before anything grows, so the limit bounds the memory here, the
 * image and the leaves the rebuild writes for large pages. */
static int new_page(struct live_ctx *c, const uint8_t *src, uint32_t *index)
{
	if (c->npages >= c->max_pages)
		return too_many_pages(c);
	if (c->npages == c->cap) {
		/* cap < max_pages <= UINT32_MAX / 2 (the assert above): no wrap. */
		uint32_t cap = c->cap ? c->cap * 2 : 256;
		if (cap > c->max_pages)
			cap = c->max_pages;
		const uint8_t **n = realloc(c->src, (size_t)cap * sizeof *n);
		if (!n)
			return sb_errf(c->err, SB_E_NOMEM, "snapshot: cannot track %u pages", cap);
		c->src = n;
		c->cap = cap;
	}
	c->src[c->npages] = src;
	*index = c->npages++;
	return 0;
}

/* New page index for the source page at `gpa` (copied once, zero shared). */
static int place_page(struct live_ctx *c, gpa_t gpa, uint32_t *index)
{
	if (page_map_get(&c->map, gpa / SB_PAGE_SIZE, index)) {
		c->stats.pages_aliased++;
		return 0;
	}
	const uint8_t *src = pt_regions_host_ptr(&c->rr, gpa, SB_PAGE_SIZE);
	if (!src)
		return sb_errf(c->err, SB_E_GUEST,
			       "snapshot: the guest maps GPA 0x%llx, which is not guest memory",
			       (unsigned long long)gpa);
	/* A page of the shared read-only snapshot region that its builder
	 * never wrote (a heap, a .bss) is zero: the guest cannot write that
	 * region (its copies go to scratch), so it is not read, which would
	 * only fault it in. Not so for a host-cow sandbox's private copy. */
	bool known_zero = !c->private_snapshot_mem && gpa >= SB_BASE_ADDRESS &&
			  snap_page_known_zero(c->base, (gpa - SB_BASE_ADDRESS) / SB_PAGE_SIZE);
	if (known_zero || page_is_zero(src)) {
		c->stats.zero_pages++;
		if (c->zero_index == UINT32_MAX && new_page(c, NULL, &c->zero_index))
			return -1;
		*index = c->zero_index;
	} else if (new_page(c, src, index)) {
		return -1;
	}
	if (page_map_put(&c->map, gpa / SB_PAGE_SIZE, *index))
		return sb_errf(c->err, SB_E_NOMEM, "snapshot: cannot grow the page map");
	return 0;
}

static struct pt_kind frozen_kind(struct pt_kind k)
{
	if (k.tag == PT_KIND_BASIC && k.writable)
		return pt_kind_cow(k.readable, k.executable);
	return k;
}

/* A large leaf (2 MiB or 1 GiB) is rebuilt as 4 KiB leaves, each page
 * placed like a 4 KiB leaf's (copied once whatever maps it, zero pages
 * shared), in one table (a PT for 2 MiB, a PD of PTs for 1 GiB). Every
 * other entry that maps the same page with the same attributes links that
 * table: one copy and one set of tables however many entries map it, so
 * the image follows the guest memory mapped, not the number of entries. */
static enum pt_status place_large(struct live_ctx *c, size_t space, const struct pt_mapping *m)
{
	uint64_t pages = m->len_bytes / SB_PAGE_SIZE;
	unsigned level = m->len_bytes == (2ull << 20) ? 1 : m->len_bytes == (1ull << 30) ? 2 : 0;
	if (!level || (m->phys & (m->len_bytes - 1)) || (m->virt & (m->len_bytes - 1))) {
		sb_errf(c->err, SB_E_GUEST, "snapshot: the guest maps a %llu-byte page at GVA 0x%llx "
			"(GPA 0x%llx), which is no large page of x86-64",
			(unsigned long long)m->len_bytes, (unsigned long long)m->virt,
			(unsigned long long)m->phys);
		return PT_E_HOOK;
	}
	struct pt_kind k = frozen_kind(m->kind);
	uint64_t key = (m->phys / SB_PAGE_SIZE) << 8 | (uint64_t)level << 6 |
		       (uint64_t)k.tag << 4 | (uint64_t)k.readable << 3 |
		       (uint64_t)k.writable << 2 | (uint64_t)k.executable << 1 | (uint64_t)m->user;
	const struct pt *pt = &c->hb->pt;
	gpa_t root = c->out_roots[space];
	uint32_t table_page;
	enum pt_status ps;
	if (page_map_get(&c->large_tables, key, &table_page)) {
		c->stats.pages_aliased += pages;
		ps = pt_table_link(pt, root, m->virt, level, (gpa_t)table_page * SB_PAGE_SIZE);
		if (ps != PT_OK)
			pt_status_err(c->err, ps, "snapshot: linking a large page's table");
		return ps == PT_OK ? PT_OK : PT_E_HOOK;
	}
	for (uint64_t i = 0; i < pages; i++) {
		uint32_t idx;
		if (place_page(c, m->phys + i * SB_PAGE_SIZE, &idx))
			return PT_E_HOOK;
		struct pt_mapping one = { SB_BASE_ADDRESS + (gpa_t)idx * SB_PAGE_SIZE,
					  m->virt + i * SB_PAGE_SIZE, SB_PAGE_SIZE, k, m->user };
		ps = pt_map_at(pt, root, &one);
		if (ps != PT_OK) {
			pt_status_err(c->err, ps, "snapshot: rebuilding a large page");
			return PT_E_HOOK;
		}
	}
	gpa_t table;
	ps = pt_table_ensure(pt, root, m->virt, level, &table);
	if (ps != PT_OK) {
		pt_status_err(c->err, ps, "snapshot: rebuilding a large page");
		return PT_E_HOOK;
	}
	/* Scratch GPAs are below 2^36: a table's page number fits 32 bits. */
	if (page_map_put(&c->large_tables, key, (uint32_t)(table / SB_PAGE_SIZE))) {
		sb_errf(c->err, SB_E_NOMEM, "snapshot: cannot grow the large-page map");
		return PT_E_HOOK;
	}
	return PT_OK;
}

/* vmem rebuild hook: give each leaf page its place in the new image. A
 * 4 KiB leaf is rewritten in place; a large leaf is mapped here
 * (place_large) and dropped from the rebuild's own mapping. */
static enum pt_status place_leaf(void *arg, size_t space, struct pt_mapping *m, bool *keep)
{
	struct live_ctx *c = arg;
	if (m->virt >= c->scratch_gva) {
		*keep = false;
		return PT_OK;
	}
	/* A large leaf reaching into the scratch window: its rebuilt table
	 * may be shared by every alias (place_large), and the window's own
	 * mappings written into it later would show through all of them. The
	 * runtime never maps one there; a guest that does gets an error. */
	if (m->len_bytes > SB_PAGE_SIZE && m->virt + m->len_bytes > c->scratch_gva) {
		sb_errf(c->err, SB_E_GUEST,
			"snapshot: a %llu KiB page at 0x%llx reaches into the scratch window at 0x%llx",
			(unsigned long long)(m->len_bytes >> 10), (unsigned long long)m->virt,
			(unsigned long long)c->scratch_gva);
		return PT_E_HOOK;
	}
	uint64_t pages = m->len_bytes / SB_PAGE_SIZE;
	c->stats.pages_mapped += pages;
	c->leaf = m;
	if (pages > 1) {
		c->large_leaves++;
		c->large_pages += pages;
		*keep = false;
		return place_large(c, space, m);
	}
	uint32_t idx;
	if (place_page(c, m->phys, &idx))
		return PT_E_HOOK;
	m->phys = SB_BASE_ADDRESS + (gpa_t)idx * SB_PAGE_SIZE;
	m->kind = frozen_kind(m->kind);
	return PT_OK;
}

/* The page map's first size: one key per distinct GPA of a 4 KiB leaf,
 * so at most the 4 KiB leaves (bounded by the walk's entry budget) and at
 * most the pages of guest memory (GPAs outside it are refused before they
 * are inserted). The pages of large leaves enter it too, each distinct
 * GPA once (again at most the pages of guest memory); the map grows for
 * them as they come rather than letting the entries that map them, which
 * the guest chooses, size it. */
static size_t page_map_keys_max(const struct pt_multiwalk *mw, const struct pt_regions *rr)
{
	uint64_t leaves = 0, mem_pages = 0;
	for (size_t r = 0; r < mw->nroots; r++)
		for (size_t i = 0; i < mw->spaces[r].count; i++)
			if (mw->spaces[r].items[i].tag == PT_ITEM_LEAF &&
			    mw->spaces[r].items[i].u.leaf.len_bytes == SB_PAGE_SIZE)
				leaves++;
	for (size_t i = 0; i < rr->count; i++)
		mem_pages += rr->regions[i].len_bytes / SB_PAGE_SIZE;
	return leaves < mem_pages ? leaves : mem_pages;
}

int snap_from_live(struct snapshot **out, const struct snap_live_input *in, struct sb_err *err)
{
	const struct snapshot *base = in->base;
	struct layout layout = base->layout;
	struct pt_region regions[2 + SNAP_MAX_EXTRA] = {
		{ SB_BASE_ADDRESS, in->snapshot_mem ? in->snapshot_mem : base->image,
		  layout_snapshot_bytes(&layout) },
		{ layout_scratch_base_gpa(&layout), in->scratch, in->scratch_bytes },
	};
	if (in->n_extra > SNAP_MAX_EXTRA)
		return sb_errf(err, SB_E_INVAL, "snapshot: %zu extra regions (at most %d)", in->n_extra,
			       SNAP_MAX_EXTRA);
	for (size_t i = 0; i < in->n_extra; i++)
		regions[2 + i] = (struct pt_region){ in->extra[i].gpa, in->extra[i].host, in->extra[i].bytes };
	uint64_t max_bytes = in->max_snapshot_bytes ? in->max_snapshot_bytes : SB_SNAPSHOT_MAX_BYTES;
	if (max_bytes > SB_SNAPSHOT_MAX_BYTES)
		return sb_errf(err, SB_E_INVAL, "snapshot: size limit %llu bytes is above the most "
			       "a snapshot holds, %llu bytes", (unsigned long long)max_bytes,
			       (unsigned long long)SB_SNAPSHOT_MAX_BYTES);
	/* max_bytes / page <= UINT32_MAX / 2 (the assert above): not truncated. */
	struct live_ctx c = { .base = base,
			      .private_snapshot_mem = in->snapshot_mem && in->snapshot_mem != base->image,
			      .scratch_gva = layout_scratch_base_gva(&layout),
			      .max_pages = (uint32_t)(max_bytes / SB_PAGE_SIZE),
			      .max_bytes = max_bytes,
			      .zero_index = UINT32_MAX, .err = err };
	pt_regions_init(&c.rr, &pt_format_x86_64, regions, 2 + in->n_extra,
			in->nroots ? in->roots[0] : 0);

	struct pt_multiwalk mw = { 0 };
	struct pt_hostbuf hb = { 0 };
	struct snapshot *s = NULL;
	gpa_t out_roots[SNAP_MAX_ROOTS];
	int rc = -1;
	if (in->nroots == 0 || in->nroots > SNAP_MAX_ROOTS || in->cur_root >= in->nroots)
		return sb_errf(err, SB_E_INVAL, "snapshot: %zu page-table roots (1 to %d), current "
			       "%zu", in->nroots, SNAP_MAX_ROOTS, in->cur_root);
	/* A restore checks the sandbox offers every host function the guest
	 * could call: dropping some would let a restore succeed without them. */
	if (in->n_host_fns > SNAP_MAX_HOST_FNS)
		return sb_errf(err, SB_E_TOO_BIG, "snapshot: the sandbox has %u host functions; a "
			       "snapshot records at most %d", in->n_host_fns, SNAP_MAX_HOST_FNS);
	/* Tables live in scratch: a root elsewhere is the guest's doing. */
	for (size_t r = 0; r < in->nroots; r++) {
		uint64_t off = in->roots[r] - layout_scratch_base_gpa(&layout);
		if (in->roots[r] < layout_scratch_base_gpa(&layout) || off >= in->scratch_bytes)
			return sb_errf(err, SB_E_GUEST, "snapshot: page-table root 0x%llx is outside "
				       "scratch [0x%llx, +%llu)", (unsigned long long)in->roots[r],
				       (unsigned long long)layout_scratch_base_gpa(&layout),
				       (unsigned long long)in->scratch_bytes);
	}
	if (pt_status_err(err, pt_multiwalk_run(&mw, &c.rr.pt, in->roots, in->nroots, 0),
			  "snapshot: walking the guest page tables"))
		return -1;
	if (page_map_init(&c.map, page_map_keys_max(&mw, &c.rr)) ||
	    page_map_init(&c.large_tables, 16)) {
		sb_errf(err, SB_E_NOMEM, "snapshot: cannot allocate the page map");
		goto out;
	}
	if (pt_status_err(err, pt_hostbuf_init(&hb, &pt_format_x86_64, layout_pt_base_gpa(&layout)),
			  "snapshot: page tables"))
		goto out;
	c.hb = &hb;
	c.out_roots = out_roots;
	enum pt_status ps = pt_multiwalk_rebuild(&mw, &hb, place_leaf, &c, out_roots);
	if (ps == PT_E_HOOK)
		goto out; /* the hook said why */
	if (pt_status_err(err, ps, "snapshot: rebuilding the page tables"))
		goto out;
	if (c.stats.pages_mapped == 0) { /* not even the guest's code */
		sb_errf(err, SB_E_GUEST, "snapshot: the page tables at root 0x%llx map no page "
			"outside the scratch window: nothing to snapshot",
			(unsigned long long)in->roots[0]);
		goto out;
	}
	for (size_t r = 0; r < in->nroots; r++) {
		if (pt_status_err(err, pt_hostbuf_set_root(&hb, out_roots[r]), "snapshot: root") ||
		    snap_map_scratch_window(&hb, &layout, err))
			goto out;
	}

	uint64_t bytes = (c.npages ? c.npages : 1) * SB_PAGE_SIZE;
	if (layout_set_snapshot_bytes(&layout, bytes, err))
		goto out;
	/* The rebuilt tables must fit the sandbox's scratch: a large page is
	 * rebuilt as 4 KiB leaves (a 1 GiB page needs 513 tables, 2 MiB). */
	if (layout_set_pt_bytes(&layout, pt_hostbuf_size_bytes(&hb), err)) {
		sb_err_prefix(err, "snapshot: the guest's mappings need %zu bytes of page tables "
			      "(%llu large pages rebuilt as 4 KiB leaves): ",
			      pt_hostbuf_size_bytes(&hb), (unsigned long long)c.large_leaves);
		goto out;
	}
	/* Every root's window hides the page-table area (now sized) from ring 3. */
	for (size_t r = 0; r < in->nroots; r++) {
		if (pt_status_err(err, pt_hostbuf_set_root(&hb, out_roots[r]), "snapshot: root") ||
		    snap_hide_pt_area(&hb, &layout, err))
			goto out;
	}
	pt_hostbuf_set_root(&hb, out_roots[0]);
	if (snap_alloc_backed(&s, &layout, err))
		goto out;
	for (size_t i = 0; i < c.npages; i++)
		if (c.src[i])
			memcpy(s->image + i * SB_PAGE_SIZE, c.src[i], SB_PAGE_SIZE);
	memcpy(s->image + layout_pt_tail_offset(&layout), pt_hostbuf_bytes(&hb),
	       pt_hostbuf_size_bytes(&hb));

	/* Root 0 is the buffer's first table, the page-table copy's GPA. */
	s->nroots = (unsigned)in->nroots;
	s->cur_root = (unsigned)in->cur_root;
	memcpy(s->roots, out_roots, in->nroots * sizeof out_roots[0]);
	s->entry_kind = SNAP_ENTRY_CALL;
	s->entry_gva = in->dispatch_gva;
	s->stack_top_gva = in->stack_top_gva;
	s->generation = in->generation;
	s->stats = c.stats;
	s->stats.pages_copied = c.npages;
	s->stats.pt_pages = pt_hostbuf_tables(&hb);
	s->stats.bytes_new = s->map_bytes;
	if (c.zero_index != UINT32_MAX)
		s->zero_page = c.zero_index;
	if (in->sregs) {
		s->has_sregs = true;
		s->sregs = *in->sregs;
	}
	s->n_host_fns = in->n_host_fns;
	if (s->n_host_fns) /* host_fns may be NULL with none */
		memcpy(s->host_fns, in->host_fns, s->n_host_fns * sizeof *s->host_fns);
	snprintf(s->source, sizeof s->source, "generation %llu of %.200s",
		 (unsigned long long)in->generation, base->source);
	if (snap_seal(s, err))
		goto out;
	*out = s;
	s = NULL;
	rc = 0;
out:
	snap_unref(s);
	pt_hostbuf_free(&hb);
	pt_multiwalk_free(&mw);
	page_map_free(&c.map);
	page_map_free(&c.large_tables);
	free(c.src);
	return rc;
}
