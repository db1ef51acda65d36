/* mgr_retain.c — the memory manager's half of restore by retaining the
 * guest's copies (SANDBOX_RESTORE_RETAIN in vmm/sandbox.h).
 *
 * Under rewrite, a page the guest copy-on-wrote is unmapped again at every
 * restore (the page-table area goes back to the snapshot's), so the next
 * call that writes it takes the fault again. Under retain the host keeps
 * such copies: at a restore it looks at the tables the guest left in the
 * page-table area and keeps every leaf that is exactly what the guest's
 * copy-on-write handler makes of one of the snapshot's copy-on-write
 * leaves (same flags, writable, its AVL mark gone, pointing at a free
 * scratch page no other kept leaf uses). The host decides, from the
 * snapshot's own tables; the guest's undo log is not read. The retained
 * page gets the snapshot page's content back at every restore that finds it
 * written, as scratch gets its zeroes, and the page-table area is the
 * snapshot's tables with the retained leaves in. The next call writes those
 * pages without a fault.
 *
 * What differs from a fresh sandbox is exactly that: the retained leaves,
 * the content of the retained pages (the snapshot pages they copy, so what
 * the guest reads through any address is the same) and the allocator word
 * (past the retained pages). Kept: at most `cap` pages; copies past it are
 * unmapped as under rewrite and counted (mgr_retain.dropped). Reading the
 * guest's tables happens only when the dirty log shows the page-table area
 * written, and that restore is full anyway (tables rewritten, shadow tables
 * dropped): the steady state, where the same pages are written again, is a
 * light restore of data pages.
 */
#include <stdlib.h>
#include <string.h>

#include "mgr.h"
#include "pt_host.h"

#define ENTRY_FLAGS_IGNORED (PT_X86_64_ADDR_MASK | PT_RW | PT_AVL_MASK | PT_A | PT_D)

static bool test_bit(const uint64_t *b, uint64_t p)
{
	return b[p / 64] >> (p % 64) & 1;
}

int mgr_use_retain(struct mem_mgr *m, uint32_t cap, struct sb_err *err)
{
	struct mgr_retain *rt = &m->retain;
	uint64_t pages = m->scratch_bytes / SB_PAGE_SIZE;
	/* Room for the copies grows as they come, up to the cap. */
	rt->room = cap < 16 ? cap : 16;
	rt->e = calloc(rt->room ? rt->room : 1, sizeof *rt->e);
	rt->pages = calloc((pages + 63) / 64, sizeof *rt->pages);
	if (!rt->e || !rt->pages) {
		mgr_retain_fini(m);
		return sb_errf(err, SB_E_NOMEM, "retain: cannot allocate room for %u pages", cap);
	}
	rt->on = true;
	rt->cap = cap;
	return 0;
}

int mgr_retain_resize(struct mem_mgr *m)
{
	struct mgr_retain *rt = &m->retain;
	if (!rt->on)
		return 0;
	uint64_t pages = m->scratch_bytes / SB_PAGE_SIZE;
	uint64_t *b = calloc((pages + 63) / 64, sizeof *b);
	if (!b)
		return -1;
	free(rt->pages);
	rt->pages = b;
	rt->n = 0;
	return 0;
}

void mgr_retain_fini(struct mem_mgr *m)
{
	struct mgr_retain *rt = &m->retain;
	free(rt->e);
	free(rt->pages);
	free(rt->l1);
	*rt = (struct mgr_retain){ 0 };
}

/* Which page-table-area pages are level-1 tables of the snapshot's tables
 * (their entries are 4 KiB leaves): the only pages a retained leaf sits in. */
struct l1_ctx {
	uint8_t *l1;
	gpa_t base;
	uint64_t pt_pages;
};

static bool mark_level1(void *arg, const struct pt_entry_info *e)
{
	struct l1_ctx *c = arg;
	if (e->what == PT_ENTRY_LEAF && e->level == 1 && e->table_gpa >= c->base &&
	    (e->table_gpa - c->base) / SB_PAGE_SIZE < c->pt_pages)
		c->l1[(e->table_gpa - c->base) / SB_PAGE_SIZE] = 1;
	return true;
}

static int map_level1(struct mem_mgr *m)
{
	struct mgr_retain *rt = &m->retain;
	const struct layout *l = mgr_layout(m);
	uint64_t pt_pages = layout_pt_bytes(l) / SB_PAGE_SIZE;
	free(rt->l1);
	rt->l1 = calloc(pt_pages ? pt_pages : 1, 1);
	rt->l1_snap = NULL;
	if (!rt->l1)
		return -1;
	gpa_t base = layout_pt_base_gpa(l);
	struct pt_region r = { base, snap_pt_tail(m->snap), layout_pt_bytes(l) };
	struct pt_regions rr;
	pt_regions_init(&rr, &pt_format_x86_64, &r, 1, base);
	struct l1_ctx c = { rt->l1, base, pt_pages };
	struct pt_walk w;
	pt_walk_begin_all(&w, &rr.pt, base);
	pt_walk_set_visitor(&w, mark_level1, &c);
	struct pt_mapping mp;
	while (pt_walk_next(&w, &mp))
		;
	/* A kept copy of the page the CPU finds the IDT or TSS in would be
	 * ring 3's to edit without a fault, and so to enter ring 0 without
	 * the exception stack seeing it: never kept. */
	struct pt_leaf leaves[SNAP_RING0_TABLE_LEAVES_MAX];
	size_t n = snap_ring0_table_leaves(m->snap, snap_pt_tail(m->snap), leaves,
					   SNAP_RING0_TABLE_LEAVES_MAX);
	rt->nforbid = 0;
	for (size_t i = 0; i < n; i++)
		if (leaves[i].level == 1)
			rt->forbid[rt->nforbid++] = leaves[i].entry_gpa - base;
	rt->l1_snap = m->snap;
	return 0;
}

static bool forbidden(const struct mgr_retain *rt, uint64_t off)
{
	for (size_t i = 0; i < rt->nforbid; i++)
		if (rt->forbid[i] == off)
			return true;
	return false;
}

static void drop_all(struct mem_mgr *m)
{
	struct mgr_retain *rt = &m->retain;
	for (uint32_t i = 0; i < rt->n; i++)
		mgr_mark_dirty(m, rt->e[i].page * SB_PAGE_SIZE, SB_PAGE_SIZE);
	memset(rt->pages, 0, (m->scratch_bytes / SB_PAGE_SIZE + 63) / 64 * sizeof *rt->pages);
	rt->n = 0;
}

/* More room for kept copies, up to the cap; false at the cap (or out of
 * memory: the copy is then unmapped like one past the cap). */
static bool grow(struct mgr_retain *rt)
{
	if (rt->room >= rt->cap)
		return false;
	uint32_t room = rt->room > rt->cap / 2 ? rt->cap : 2 * rt->room;
	struct mgr_retained *e = realloc(rt->e, room * sizeof *e);
	if (!e)
		return false;
	rt->e = e;
	rt->room = room;
	return true;
}

static int by_page(const void *a, const void *b)
{
	const struct mgr_retained *x = a, *y = b;
	return x->page < y->page ? -1 : x->page > y->page;
}

/* Is `c`, found where the snapshot has `t`, the guest's copy of a
 * copy-on-write page at scratch page *page? */
static bool is_copy(const struct mem_mgr *m, pt_entry_t t, pt_entry_t c, uint64_t *page)
{
	if (!(t & PT_P) || (t & PT_RW) || (t & PT_AVL_MASK) != PT_AVL_COW)
		return false;
	/* ... of a page of the snapshot region (whose content the host has) */
	gpa_t src = t & PT_X86_64_ADDR_MASK;
	if (src < SB_BASE_ADDRESS || src - SB_BASE_ADDRESS >= layout_snapshot_bytes(mgr_layout(m)))
		return false;
	if (!(c & PT_P) || !(c & PT_RW) || (c & PT_AVL_MASK) != 0 ||
	    (c & ~ENTRY_FLAGS_IGNORED) != (t & ~ENTRY_FLAGS_IGNORED))
		return false;
	const struct layout *l = mgr_layout(m);
	gpa_t gpa = c & PT_X86_64_ADDR_MASK, first = layout_first_free_scratch_gpa(l);
	gpa_t end = layout_scratch_base_gpa(l) + layout_top_scratch_offset(l);
	if (gpa < first || gpa >= end)
		return false;
	*page = (gpa - layout_scratch_base_gpa(l)) / SB_PAGE_SIZE;
	return !test_bit(m->retain.pages, *page);
}

/* The kept copies moved to the first free pages, in order: the guest chose
 * where its handler put each copy, and a copy kept at the top of the free
 * area would keep the allocator word there for every later run. Packed,
 * the allocator word is what a fresh sandbox that made the same copies
 * has. A copy's content is its snapshot page's either way; every page that
 * moves, and the table page of every leaf that changes, is marked for the
 * reset. The entries already packed stay where they are. */
static void pack(struct mem_mgr *m)
{
	struct mgr_retain *rt = &m->retain;
	const struct layout *l = mgr_layout(m);
	uint64_t first = layout_free_scratch_offset(l) / SB_PAGE_SIZE;
	gpa_t base = layout_scratch_base_gpa(l);
	uint64_t pt_off = layout_pt_scratch_offset(l);
	/* Entries already at their place keep it; the rest fill the gaps. */
	qsort(rt->e, rt->n, sizeof *rt->e, by_page);
	memset(rt->pages, 0, (m->scratch_bytes / SB_PAGE_SIZE + 63) / 64 * sizeof *rt->pages);
	for (uint32_t i = 0; i < rt->n; i++) {
		struct mgr_retained *e = &rt->e[i];
		uint64_t want = first + i;
		if (e->page != want) {
			mgr_mark_dirty(m, e->page * SB_PAGE_SIZE, SB_PAGE_SIZE);
			mgr_mark_dirty(m, want * SB_PAGE_SIZE, SB_PAGE_SIZE);
			mgr_mark_dirty(m, pt_off + e->pt_off, 8);
			e->entry = (e->entry & ~PT_X86_64_ADDR_MASK) | (base + want * SB_PAGE_SIZE);
			e->page = want;
		}
		rt->pages[want / 64] |= 1ull << (want % 64);
	}
}

void mgr_retain_update(struct mem_mgr *m, const struct snapshot *snap)
{
	struct mgr_retain *rt = &m->retain;
	if (!rt->on)
		return;
	rt->dropped = 0;
	/* Another snapshot, no log, a fresh scratch: nothing to keep. */
	if (snap != m->snap || m->all_dirty || m->fresh) {
		drop_all(m);
		/* another snapshot may come to live at the old one's address */
		rt->l1_snap = NULL;
		return;
	}
	const struct layout *l = mgr_layout(m);
	uint64_t pt_off = layout_pt_scratch_offset(l), pt_pages = layout_pt_bytes(l) / SB_PAGE_SIZE;
	uint64_t pt_first = pt_off / SB_PAGE_SIZE;
	bool any = false;
	for (uint64_t t = 0; t < pt_pages && !any; t++)
		any = test_bit(m->dirty, pt_first + t);
	if (!any)
		return; /* the tables are as the last restore left them */
	if (rt->l1_snap != m->snap && map_level1(m)) {
		drop_all(m);
		return;
	}
	/* Kept: retained leaves in table pages the guest did not write. The
	 * rest are looked at again with every other leaf of a written
	 * level-1 table. */
	uint32_t n = 0;
	memset(rt->pages, 0, (m->scratch_bytes / SB_PAGE_SIZE + 63) / 64 * sizeof *rt->pages);
	for (uint32_t i = 0; i < rt->n; i++) {
		struct mgr_retained e = rt->e[i];
		if (test_bit(m->dirty, pt_first + e.pt_off / SB_PAGE_SIZE)) {
			mgr_mark_dirty(m, e.page * SB_PAGE_SIZE, SB_PAGE_SIZE); /* kept or not: rewritten */
			continue;
		}
		rt->e[n++] = e;
		rt->pages[e.page / 64] |= 1ull << (e.page % 64);
	}
	const uint8_t *tail = snap_pt_tail(m->snap), *now = m->scratch + pt_off;
	for (uint64_t t = 0; t < pt_pages; t++) {
		if (!rt->l1[t] || !test_bit(m->dirty, pt_first + t))
			continue;
		for (unsigned i = 0; i < 512; i++) {
			uint64_t off = t * SB_PAGE_SIZE + i * 8, page;
			pt_entry_t te, ce;
			memcpy(&te, tail + off, 8);
			memcpy(&ce, now + off, 8);
			if (te == ce || !is_copy(m, te, ce, &page) || forbidden(rt, off))
				continue;
			if (n == rt->room && !grow(rt)) {
				rt->dropped++;
				continue;
			}
			gpa_t gpa = layout_scratch_base_gpa(l) + page * SB_PAGE_SIZE;
			rt->e[n++] = (struct mgr_retained){
				.pt_off = off,
				.entry = (te & ~(PT_X86_64_ADDR_MASK | PT_AVL_MASK)) | PT_RW | gpa,
				.page = page,
				.snap_page = (te & PT_X86_64_ADDR_MASK) / SB_PAGE_SIZE,
			};
			rt->pages[page / 64] |= 1ull << (page % 64);
			mgr_mark_dirty(m, page * SB_PAGE_SIZE, SB_PAGE_SIZE);
		}
	}
	rt->n = n;
	pack(m);
}

const struct mgr_retained *mgr_retained_page(const struct mem_mgr *m, uint64_t page)
{
	const struct mgr_retain *rt = &m->retain;
	if (!rt->on || !test_bit(rt->pages, page))
		return NULL;
	struct mgr_retained key = { .page = page };
	return bsearch(&key, rt->e, rt->n, sizeof *rt->e, by_page);
}

const uint8_t *mgr_retained_source(const struct mem_mgr *m, const struct mgr_retained *e)
{
	uint64_t off = e->snap_page * SB_PAGE_SIZE - SB_BASE_ADDRESS;
	return m->snap->image + off;
}

void mgr_retain_apply_tables(const struct mem_mgr *m, uint64_t pt_page, uint8_t *dst)
{
	const struct mgr_retain *rt = &m->retain;
	for (uint32_t i = 0; i < rt->n; i++)
		if (rt->e[i].pt_off / SB_PAGE_SIZE == pt_page)
			memcpy(dst + rt->e[i].pt_off % SB_PAGE_SIZE, &rt->e[i].entry, 8);
}

void mgr_retain_bookkeeping(struct mem_mgr *m)
{
	const struct mgr_retain *rt = &m->retain;
	if (!rt->n)
		return;
	const struct layout *l = mgr_layout(m);
	/* Sorted by page: the last is the highest. */
	gpa_t next = layout_scratch_base_gpa(l) + (rt->e[rt->n - 1].page + 1) * SB_PAGE_SIZE;
	memcpy(m->scratch + m->scratch_bytes - SB_SCRATCH_TOP_ALLOCATOR, &next, 8);
}
