/* mgr.c — see mgr.h. */
#include "mgr.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "proto.h"

static void *map_scratch(uint64_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		       -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static uint64_t bitmap_words(uint64_t scratch_bytes)
{
	return (scratch_bytes / SB_PAGE_SIZE + 63) / 64;
}

/* A zero scratch mapping of `bytes` with its dirty bitmap; every page is
 * zero, so only the non-zero parts of a fresh scratch need writing. */
static int map_fresh(struct mem_mgr *m, uint64_t bytes, struct sb_err *err)
{
	uint8_t *p = map_scratch(bytes);
	uint64_t *d = calloc(bitmap_words(bytes), sizeof *d);
	struct mgr_log_state g;
	int log_rc = mgr_log_init(&g, bytes / SB_PAGE_SIZE);
	if (!p || !d || log_rc) {
		if (p)
			munmap(p, bytes);
		free(d);
		if (!log_rc)
			mgr_log_fini(&g);
		return sb_errf(err, SB_E_NOMEM, "cannot map %llu bytes of scratch memory",
			       (unsigned long long)bytes);
	}
	if (m->scratch)
		munmap(m->scratch, m->scratch_bytes);
	free(m->dirty);
	mgr_log_fini(&m->log);
	m->scratch = p;
	m->scratch_bytes = bytes;
	m->dirty = d;
	m->log = g;
	m->all_dirty = false;
	m->fresh = true;
	return 0;
}

int mgr_init(struct mem_mgr *m, struct snapshot *snap, struct sb_err *err)
{
	memset(m, 0, sizeof *m);
	if (map_fresh(m, layout_scratch_bytes(&snap->layout), err))
		return -1;
	m->snap = snap_ref(snap);
	mgr_restore(m, snap, NULL);
	return 0;
}

void mgr_fini(struct mem_mgr *m)
{
	mgr_hostcow_unmap(m);
	mgr_retain_fini(m);
	if (m->scratch)
		munmap(m->scratch, m->scratch_bytes);
	free(m->dirty);
	mgr_log_fini(&m->log);
	snap_unref(m->snap);
	m->scratch = NULL;
	m->dirty = NULL;
	m->snap = NULL;
}

int mgr_replace_scratch(struct mem_mgr *m, uint64_t bytes, struct sb_err *err)
{
	if (map_fresh(m, bytes, err))
		return -1;
	if (mgr_retain_resize(m))
		return sb_errf(err, SB_E_NOMEM, "retain: cannot allocate its page map");
	return 0;
}

/* ---- what changed --------------------------------------------------------- */

void mgr_mark_dirty(const struct mem_mgr *m, uint64_t offset, uint64_t bytes)
{
	if (bytes == 0 || offset >= m->scratch_bytes)
		return;
	if (bytes > m->scratch_bytes - offset)
		bytes = m->scratch_bytes - offset;
	for (uint64_t p = offset / SB_PAGE_SIZE; p <= (offset + bytes - 1) / SB_PAGE_SIZE; p++)
		m->dirty[p / 64] |= 1ull << (p % 64);
}

void mgr_mark_all_dirty(struct mem_mgr *m)
{
	m->all_dirty = true;
}

void mgr_merge_dirty(struct mem_mgr *m, const uint64_t *log)
{
	uint64_t n = bitmap_words(m->scratch_bytes);
	for (uint64_t i = 0; i < n; i++)
		m->dirty[i] |= log[i];
}

uint64_t mgr_dirty_log_words(const struct mem_mgr *m)
{
	return bitmap_words(m->scratch_bytes);
}

void mgr_mark_host_write(const struct mem_mgr *m, const void *p, uint64_t bytes)
{
	const uint8_t *b = p;
	if (b && b >= m->scratch && b < m->scratch + m->scratch_bytes)
		mgr_mark_dirty(m, (uint64_t)(b - m->scratch), bytes);
}

/* ---- what KVM write-protects ------------------------------------------------------ */

static bool test_bit(const uint64_t *b, uint64_t p)
{
	return b[p / 64] >> (p % 64) & 1;
}

int mgr_log_init(struct mgr_log_state *g, uint64_t pages)
{
	uint64_t words = (pages + 63) / 64 ? (pages + 63) / 64 : 1;
	g->hot = calloc(words, sizeof *g->hot);
	g->reprotect = calloc(words, sizeof *g->reprotect);
	g->clean_runs = calloc(pages ? pages : 1, 1);
	g->reprotect_any = false;
	if (g->hot && g->reprotect && g->clean_runs)
		return 0;
	mgr_log_fini(g);
	return -1;
}

void mgr_log_fini(struct mgr_log_state *g)
{
	free(g->hot);
	free(g->reprotect);
	free(g->clean_runs);
	*g = (struct mgr_log_state){ 0 };
}

static void log_reprotect(struct mgr_log_state *g, uint64_t p)
{
	g->hot[p / 64] &= ~(1ull << (p % 64));
	g->reprotect[p / 64] |= 1ull << (p % 64);
	g->reprotect_any = true;
	g->clean_runs[p] = 0;
}

bool mgr_log_must_write(struct mgr_log_state *g, uint64_t p, bool protect,
			bool (*fresh_now)(const struct mem_mgr *m, uint64_t p),
			const struct mem_mgr *m)
{
	if (!protect && test_bit(g->hot, p) && fresh_now(m, p)) {
		if (++g->clean_runs[p] >= MGR_HOT_CLEAN_RUNS)
			log_reprotect(g, p);
		return false;
	}
	if (protect) {
		log_reprotect(g, p);
	} else {
		g->hot[p / 64] |= 1ull << (p % 64);
		g->clean_runs[p] = 0;
	}
	return true;
}

uint64_t *mgr_log_reprotect(struct mem_mgr *m)
{
	return m->log.reprotect_any ? m->log.reprotect : NULL;
}

uint64_t *mgr_snap_log_reprotect(struct mem_mgr *m)
{
	return m->snap_mem && m->snap_log.reprotect_any ? m->snap_log.reprotect : NULL;
}

void mgr_log_reprotected(struct mem_mgr *m)
{
	if (m->log.reprotect_any)
		memset(m->log.reprotect, 0,
		       bitmap_words(m->scratch_bytes) * sizeof *m->log.reprotect);
	m->log.reprotect_any = false;
	if (m->snap_mem && m->snap_log.reprotect_any) {
		memset(m->snap_log.reprotect, 0,
		       mgr_snap_dirty_log_words(m) * sizeof *m->snap_log.reprotect);
		m->snap_log.reprotect_any = false;
	}
}

/* ---- resetting ---------------------------------------------------------------- */

/* A scratch page that is not in the page-table area is fresh when zero
 * (the I/O header pages never are: they are always rewritten). */
static bool scratch_page_fresh(const struct mem_mgr *m, uint64_t p)
{
	const struct mgr_retained *e = mgr_retained_page(m, p);
	if (e) /* a retained copy: fresh is the snapshot page it copies */
		return memcmp(m->scratch + p * SB_PAGE_SIZE, mgr_retained_source(m, e),
			      SB_PAGE_SIZE) == 0;
	return snap_page_is_zero(m->scratch + p * SB_PAGE_SIZE);
}

/* The page-table area and the exception-stack pages: a restore must see
 * every write to them (any_sensitive_dirty), so they are write-protected
 * again at every restore. */
static bool sensitive_page(const struct mem_mgr *m, uint64_t p)
{
	const struct layout *l = mgr_layout(m);
	uint64_t pt_first = layout_pt_scratch_offset(l) / SB_PAGE_SIZE;
	uint64_t pt_end = sb_page_round_up(layout_pt_scratch_offset(l) + layout_pt_bytes(l)) /
			  SB_PAGE_SIZE;
	uint64_t pages = m->scratch_bytes / SB_PAGE_SIZE;
	return (p >= pt_first && p < pt_end) || p >= pages - SB_SCRATCH_EXN_PAGES;
}

/* Page `p` as a fresh sandbox from the current snapshot has it, apart from
 * the words rewritten afterwards (I/O stack headers, bookkeeping): a page of
 * the snapshot's page-table tail in the page-table area, zero elsewhere. */
static void reset_page(struct mem_mgr *m, uint64_t p, struct mgr_reset *r)
{
	const struct layout *l = mgr_layout(m);
	uint64_t off = p * SB_PAGE_SIZE;
	uint64_t pt_off = layout_pt_scratch_offset(l), pt_bytes = layout_pt_bytes(l);
	uint8_t *dst = m->scratch + off;
	if (off >= pt_off && off - pt_off < pt_bytes) {
		uint64_t n = pt_bytes - (off - pt_off);
		if (n > SB_PAGE_SIZE)
			n = SB_PAGE_SIZE;
		const uint8_t *tables = m->snap_mem ? m->pt_tail : snap_pt_tail(m->snap);
		memcpy(dst, tables + (off - pt_off), n);
		if (n < SB_PAGE_SIZE)
			memset(dst + n, 0, SB_PAGE_SIZE - n);
		if (m->retain.n)
			mgr_retain_apply_tables(m, (off - pt_off) / SB_PAGE_SIZE, dst);
	} else {
		const struct mgr_retained *e = mgr_retained_page(m, p);
		if (e)
			memcpy(dst, mgr_retained_source(m, e), SB_PAGE_SIZE);
		else
			memset(dst, 0, SB_PAGE_SIZE);
	}
	if (r) {
		r->pages_reset++;
		r->bytes_copied += SB_PAGE_SIZE;
	}
}

bool mgr_tables_written(const struct mem_mgr *m)
{
	if (m->all_dirty)
		return true;
	const struct layout *l = mgr_layout(m);
	uint64_t first = layout_pt_scratch_offset(l) / SB_PAGE_SIZE;
	uint64_t end = sb_page_round_up(layout_pt_scratch_offset(l) + layout_pt_bytes(l)) /
		       SB_PAGE_SIZE;
	for (uint64_t p = first; p < end; p++)
		if (m->dirty[p / 64] >> (p % 64) & 1)
			return true;
	return false;
}

/* Was a page written that can tell of page-table edits or of ring-0 code:
 * the page-table area, or the top pages (every exception pushes its frame
 * onto the exception stack there, and ring 0 is reached from ring 3 only
 * through an exception: snapshot/snap_ring0.c)? */
static bool any_sensitive_dirty(const struct mem_mgr *m)
{
	if (mgr_tables_written(m))
		return true;
	uint64_t pages = m->scratch_bytes / SB_PAGE_SIZE;
	for (uint64_t p = pages - SB_SCRATCH_EXN_PAGES; p < pages; p++)
		if (m->dirty[p / 64] >> (p % 64) & 1)
			return true;
	return false;
}

void mgr_restore(struct mem_mgr *m, struct snapshot *snap, struct mgr_reset *r)
{
	struct snapshot *old = m->snap;
	const struct layout *ol = mgr_layout(m);
	if (r)
		memset(r, 0, sizeof *r);
	mgr_retain_update(m, snap); /* before the tables it reads are reset */
	/* Another snapshot: its page-table area and bookkeeping differ from
	 * the old one's even where the guest wrote nothing. */
	if (snap != old) {
		mgr_mark_dirty(m, layout_pt_scratch_offset(ol), layout_pt_bytes(ol));
		if (r)
			r->tables_touched = true;
		snap_ref(snap);
		snap_unref(old);
		m->snap = snap;
	}
	const struct layout *l = mgr_layout(m);
	if (r && !m->fresh && !r->tables_touched)
		r->tables_touched = any_sensitive_dirty(m);
	if (snap != old || m->fresh)
		mgr_mark_dirty(m, layout_pt_scratch_offset(l), layout_pt_bytes(l));
	/* The I/O stack headers and the bookkeeping words are rewritten below
	 * whatever happened; their pages start from zero first. */
	mgr_mark_dirty(m, layout_input_scratch_offset(l), 8);
	mgr_mark_dirty(m, layout_output_scratch_offset(l), 8);
	mgr_mark_dirty(m, m->scratch_bytes - SB_PAGE_SIZE, SB_PAGE_SIZE);

	uint64_t pages = m->scratch_bytes / SB_PAGE_SIZE, words = bitmap_words(m->scratch_bytes);
	if (m->all_dirty) {
		/* No log to go by: every page rewritten and write-protected. */
		for (uint64_t p = 0; p < pages; p++) {
			reset_page(m, p, r);
			log_reprotect(&m->log, p);
		}
		if (r)
			r->tables_touched = true;
	} else {
		for (uint64_t w = 0; w < words; w++) {
			uint64_t bits = m->dirty[w];
			while (bits) {
				uint64_t p = w * 64 + (uint64_t)__builtin_ctzll(bits);
				bits &= bits - 1;
				if (p >= pages)
					break;
				if (mgr_log_must_write(&m->log, p, sensitive_page(m, p),
						       scratch_page_fresh, m))
					reset_page(m, p, r);
			}
		}
	}
	memset(m->dirty, 0, words * sizeof *m->dirty);
	if (m->snap_mem)
		mgr_hostcow_reset(m, r);
	m->all_dirty = false;
	m->fresh = false;
	sb_stack_reset(mgr_input(m), layout_input_bytes(l));
	sb_stack_reset(mgr_output(m), layout_output_bytes(l));
	/* Cannot fail: the scratch mapping has the layout's size. */
	layout_write_bookkeeping(l, m->scratch, m->scratch_bytes, m->snap->generation, NULL);
	snap_roots_write_slot(m->snap, m->scratch, m->scratch_bytes); /* the same page */
	mgr_retain_bookkeeping(m);
}

void mgr_reset(struct mem_mgr *m)
{
	mgr_restore(m, m->snap, NULL);
}

/* ---- the guest's allocator ------------------------------------------------------- */

uint64_t mgr_next_free_gpa(const struct mem_mgr *m)
{
	uint64_t v;
	memcpy(&v, m->scratch + m->scratch_bytes - SB_SCRATCH_TOP_ALLOCATOR, sizeof v);
	return v;
}

uint64_t mgr_pages_allocated(const struct mem_mgr *m)
{
	const struct layout *l = mgr_layout(m);
	uint64_t first = layout_free_scratch_offset(l), limit = layout_top_scratch_offset(l);
	uint64_t next = mgr_next_free_gpa(m), base = layout_scratch_base_gpa(l);
	/* The word is guest-written: a statistic, clamped to the free area. */
	if (next < base || next - base < first)
		return 0;
	uint64_t off = next - base < limit ? next - base : limit;
	return (off - first) / SB_PAGE_SIZE;
}
