/* mgr_hostcow.c — the memory manager's half of restore by host
 * copy-on-write (SANDBOX_RESTORE_HOST_COW in vmm/sandbox.h).
 *
 * The sandbox maps a private, writable copy of its snapshot's guest-visible
 * pages in place of the shared read-only image: an anonymous mapping into
 * which the snapshot's non-zero pages are copied once (the zero ones stay
 * the kernel's zero page until written), and page tables in which writable
 * data is writable in place (snap_hostcow.c). The guest writes those pages
 * with no fault and no page-table edit; KVM's dirty log of that slot names
 * what it wrote, and a restore copies just those pages back from the image,
 * as it resets scratch. Like scratch, the pages come from the log and the
 * host's own knowledge, never from the guest.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "mgr.h"

static uint64_t snap_pages(const struct mem_mgr *m)
{
	return m->snap_mem_bytes / SB_PAGE_SIZE;
}

uint64_t mgr_snap_dirty_log_words(const struct mem_mgr *m)
{
	return (snap_pages(m) + 63) / 64;
}

void mgr_hostcow_unmap(struct mem_mgr *m)
{
	if (m->snap_mem)
		munmap(m->snap_mem, m->snap_mem_bytes);
	free(m->snap_dirty);
	mgr_log_fini(&m->snap_log);
	m->snap_mem = NULL;
	m->snap_mem_bytes = 0;
	m->snap_dirty = NULL;
	m->pt_tail = NULL;
	m->pages_retained = 0;
}

int mgr_hostcow_map(struct mem_mgr *m, struct snapshot *snap, struct sb_err *err)
{
	const struct snap_hostcow *hc = snap_hostcow(snap, err);
	if (!hc)
		return -1;
	uint64_t bytes = layout_snapshot_bytes(&snap->layout), pages = bytes / SB_PAGE_SIZE;
	uint8_t *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	uint64_t *d = calloc((pages + 63) / 64 ? (pages + 63) / 64 : 1, sizeof *d);
	struct mgr_log_state g;
	int log_rc = mgr_log_init(&g, pages);
	if (p == MAP_FAILED || !d || log_rc) {
		if (p != MAP_FAILED)
			munmap(p, bytes);
		free(d);
		if (!log_rc)
			mgr_log_fini(&g);
		return sb_errf(err, SB_E_NOMEM,
			       "host-cow: cannot map a %llu-byte private copy of %s",
			       (unsigned long long)bytes, snap->source);
	}
	for (uint64_t w = 0; w < (pages + 63) / 64; w++) {
		uint64_t bits = hc->nonzero[w];
		while (bits) {
			uint64_t pg = w * 64 + (uint64_t)__builtin_ctzll(bits);
			bits &= bits - 1;
			memcpy(p + pg * SB_PAGE_SIZE, snap->image + pg * SB_PAGE_SIZE, SB_PAGE_SIZE);
		}
	}
	mgr_hostcow_unmap(m);
	m->snap_mem = p;
	m->snap_mem_bytes = bytes;
	m->snap_dirty = d;
	m->snap_log = g;
	m->pt_tail = hc->pt;
	m->pages_retained = hc->pages_writable;
	return 0;
}

int mgr_use_hostcow(struct mem_mgr *m, struct sb_err *err)
{
	if (mgr_hostcow_map(m, m->snap, err))
		return -1;
	/* The page-table area gets the tables with writable data in place. */
	mgr_mark_dirty(m, layout_pt_scratch_offset(mgr_layout(m)), layout_pt_bytes(mgr_layout(m)));
	mgr_reset(m);
	return 0;
}

void mgr_merge_snap_dirty(struct mem_mgr *m, const uint64_t *log)
{
	uint64_t n = mgr_snap_dirty_log_words(m);
	for (uint64_t i = 0; i < n; i++)
		m->snap_dirty[i] |= log[i];
}

void mgr_mark_snap_all_dirty(struct mem_mgr *m)
{
	uint64_t pages = snap_pages(m);
	for (uint64_t p = 0; p < pages; p++)
		m->snap_dirty[p / 64] |= 1ull << (p % 64);
}

static bool snap_page_fresh(const struct mem_mgr *m, uint64_t pg)
{
	return memcmp(m->snap_mem + pg * SB_PAGE_SIZE, m->snap->image + pg * SB_PAGE_SIZE,
		      SB_PAGE_SIZE) == 0;
}

void mgr_hostcow_reset(struct mem_mgr *m, struct mgr_reset *r)
{
	uint64_t pages = snap_pages(m), words = mgr_snap_dirty_log_words(m);
	for (uint64_t w = 0; w < words; w++) {
		uint64_t bits = m->snap_dirty[w];
		while (bits) {
			uint64_t pg = w * 64 + (uint64_t)__builtin_ctzll(bits);
			bits &= bits - 1;
			if (pg >= pages)
				break;
			if (!mgr_log_must_write(&m->snap_log, pg, false, snap_page_fresh, m))
				continue;
			memcpy(m->snap_mem + pg * SB_PAGE_SIZE, m->snap->image + pg * SB_PAGE_SIZE,
			       SB_PAGE_SIZE);
			if (r) {
				r->pages_reset++;
				r->bytes_copied += SB_PAGE_SIZE;
			}
		}
	}
	memset(m->snap_dirty, 0, words * sizeof *m->snap_dirty);
}
