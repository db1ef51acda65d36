/* mgr.h — the memory manager of one sandbox: the snapshot it runs from and
 * its private scratch region.
 *
 * Scratch is one anonymous host mapping. Resetting it makes every byte of
 * it what a sandbox freshly created from the snapshot has (DESIGN.md §5,
 * §9): the snapshot's page-table tail in the page-table area, I/O buffers
 * empty, bookkeeping words rewritten, every other byte zero.
 *
 * The host decides what to reset, never the guest: the pages to reset are
 * the ones the guest wrote, as KVM's dirty log reports them (the sandbox
 * merges it in with mgr_merge_dirty), plus the ones the host wrote itself
 * (mgr_mark_dirty; mgr_scratch_at and the I/O helpers mark for their
 * callers). Without a log (mgr_mark_all_dirty) every page is reset. Guest-
 * written words (the allocator word, the undo log) are never consulted.
 * Nothing is allocated, so it sits on the restore path.
 */
#ifndef SNAPBENCH_SNAPSHOT_MGR_H
#define SNAPBENCH_SNAPSHOT_MGR_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "pt.h"
#include "snapshot.h"

/* How KVM's dirty log stands for one area (scratch, or a host-cow
 * snapshot copy), when pages leave the log only when the host says so
 * (vm.h, manual_dirty). A page the guest wrote is left writable ("hot")
 * after its reset: write-protecting it again would cost its next write a
 * fault into KVM (~4-7 us here), rewriting it at the next restore costs
 * ~0.5 us. A hot page stays in the log, so every restore looks at it; one
 * found still fresh MGR_HOT_CLEAN_RUNS restores in a row is write-protected
 * again. Pages whose writes a restore must see (page tables, exception
 * stack) are write-protected at every restore. */
#define MGR_HOT_CLEAN_RUNS 8
struct mgr_log_state {
	uint64_t *hot;       /* left writable at a restore */
	uint64_t *reprotect; /* for the sandbox: take out of KVM's log (vm_clear_dirty_log) */
	uint8_t *clean_runs; /* restores in a row a hot page was found fresh */
	bool reprotect_any;
};

/* Restore by retaining the guest's copies (mgr_retain.c). */
struct mgr_retained {
	uint64_t pt_off;    /* byte offset of the leaf in the page-table area */
	pt_entry_t entry;   /* the leaf the host writes there */
	uint64_t page;      /* scratch page index of the copy */
	uint64_t snap_page; /* guest-physical page number of the snapshot page it copies */
};
struct mgr_retain {
	bool on;
	uint32_t cap, n, room;
	struct mgr_retained *e; /* n of them (room allocated), sorted by page */
	uint64_t *pages;        /* bitmap over scratch pages: retained copies */
	uint64_t dropped;       /* copies the cap refused at the last restore */
	uint8_t *l1;            /* per page-table-area page: a level-1 table */
	const struct snapshot *l1_snap;
	/* Never kept: the leaves the CPU reaches the GDT, IDT and TSS through
	 * (byte offsets in the page-table area; snap_ring0_table_leaves). */
	uint64_t forbid[SNAP_RING0_TABLE_LEAVES_MAX];
	size_t nforbid;
};

struct mem_mgr {
	struct snapshot *snap; /* holds one reference */
	uint8_t *scratch;
	uint64_t scratch_bytes;
	uint64_t *dirty;       /* one bit per scratch page: reset it on the next restore */
	bool all_dirty;        /* reset every page (no dirty log to go by) */
	bool fresh;            /* a new zero mapping: only non-zero parts need writing */
	struct mgr_log_state log;
	/* host-cow (mgr_hostcow.c): the sandbox's private, writable copy of
	 * the snapshot's guest-visible pages, and the page tables the guest
	 * runs on (the snapshot's, writable data mapped writable in place);
	 * NULL under rewrite. */
	uint8_t *snap_mem;
	uint64_t snap_mem_bytes;
	uint64_t *snap_dirty;  /* one bit per snapshot page: copy it back next time */
	struct mgr_log_state snap_log;
	const uint8_t *pt_tail; /* page tables copied into the page-table area */
	uint64_t pages_retained;
	struct mgr_retain retain;
};

/* What a reset did. */
struct mgr_reset {
	uint64_t pages_reset;
	uint64_t bytes_copied; /* bytes written into guest memory */
	/* The guest wrote the page-table area or the exception stack (so it
	 * may have edited page tables or run ring-0 code), or the page tables
	 * changed to another snapshot's: the vCPU's paging structures and
	 * ring-0 state must be reset too (sandbox_snapshot.c). */
	bool tables_touched;
};

/* Map a scratch region of the snapshot's size and reset it. */
int mgr_init(struct mem_mgr *m, struct snapshot *snap, struct sb_err *err);
void mgr_fini(struct mem_mgr *m);

/* Reset scratch for another run from the current snapshot. */
void mgr_reset(struct mem_mgr *m);

/* Switch to `snap` (a reference is taken, the old one dropped) and reset
 * every page marked dirty (all of them after mgr_mark_all_dirty); `r`
 * (may be NULL) says what that took. The scratch size must already match
 * the snapshot's: see mgr_replace_scratch. */
void mgr_restore(struct mem_mgr *m, struct snapshot *snap, struct mgr_reset *r);

/* Is a page of the page-table area marked (the guest wrote its tables)? */
bool mgr_tables_written(const struct mem_mgr *m);

/* The host wrote [offset, offset + bytes) of scratch: reset it next time. */
void mgr_mark_dirty(const struct mem_mgr *m, uint64_t offset, uint64_t bytes);
/* Reset every page next time (no dirty log could be read). */
void mgr_mark_all_dirty(struct mem_mgr *m);
/* OR in a dirty log of the scratch slot: one bit per page, bit i of word
 * i / 64 for page i, mgr_dirty_log_words(m) words (KVM_GET_DIRTY_LOG). */
void mgr_merge_dirty(struct mem_mgr *m, const uint64_t *log);
uint64_t mgr_dirty_log_words(const struct mem_mgr *m);
/* The host wrote `bytes` at host address p (ignored unless p is in
 * scratch): reset them next time. */
void mgr_mark_host_write(const struct mem_mgr *m, const void *p, uint64_t bytes);

/* Host copy-on-write (mgr_hostcow.c; SANDBOX_RESTORE_HOST_COW).
 * mgr_use_hostcow: from now on the snapshot region is a private, writable
 * copy of the current snapshot (mgr_snapshot_mem) and the page tables have
 * writable data writable in place; the page-table area is reset to them.
 * mgr_hostcow_map: a fresh private copy of `snap` (the old copy goes), for
 * a switch to it: call before mgr_restore(m, snap). mgr_merge_snap_dirty /
 * mgr_mark_snap_all_dirty: pages of the copy to copy back from the image
 * on the next restore (KVM's log of the snapshot slot, or all). */
int mgr_use_hostcow(struct mem_mgr *m, struct sb_err *err);
int mgr_hostcow_map(struct mem_mgr *m, struct snapshot *snap, struct sb_err *err);
void mgr_hostcow_unmap(struct mem_mgr *m);
void mgr_merge_snap_dirty(struct mem_mgr *m, const uint64_t *log);
void mgr_mark_snap_all_dirty(struct mem_mgr *m);
uint64_t mgr_snap_dirty_log_words(const struct mem_mgr *m);
/* (mgr.c's restore) copy back the marked pages of the private copy. */
void mgr_hostcow_reset(struct mem_mgr *m, struct mgr_reset *r);

/* After a restore: the pages to write-protect again, if any (a bitmap in
 * KVM_CLEAR_DIRTY_LOG's shape), NULL if none; mgr_log_reprotected when
 * done. Snapshot copy: mgr_snap_log_reprotect. */
uint64_t *mgr_log_reprotect(struct mem_mgr *m);
uint64_t *mgr_snap_log_reprotect(struct mem_mgr *m);
void mgr_log_reprotected(struct mem_mgr *m);

/* (mgr.c, mgr_hostcow.c) the log state of an area of `pages` pages. */
int mgr_log_init(struct mgr_log_state *g, uint64_t pages);
void mgr_log_fini(struct mgr_log_state *g);
/* Page p is marked: true if it must be rewritten. `fresh_now` says whether
 * its content is still the fresh one (asked only of hot pages); `protect`:
 * write-protect it again whatever happens. */
bool mgr_log_must_write(struct mgr_log_state *g, uint64_t p, bool protect,
			bool (*fresh_now)(const struct mem_mgr *m, uint64_t p),
			const struct mem_mgr *m);

/* Retain (mgr_retain.c; SANDBOX_RESTORE_RETAIN). mgr_use_retain: from
 * now on, keep up to `cap` of the guest's copy-on-write copies across
 * restores. mgr_retain_update: (mgr_restore, first) decide what is kept,
 * from the guest's tables where the log shows them written.
 * mgr_retained_page: the retained copy at scratch page `page`, or NULL;
 * mgr_retained_source: the snapshot page it copies. mgr_retain_apply_tables:
 * write the retained leaves of page-table-area page `pt_page` into `dst`.
 * mgr_retain_bookkeeping: the allocator word past the retained pages. */
int mgr_use_retain(struct mem_mgr *m, uint32_t cap, struct sb_err *err);
int mgr_retain_resize(struct mem_mgr *m);
void mgr_retain_fini(struct mem_mgr *m);
void mgr_retain_update(struct mem_mgr *m, const struct snapshot *snap);
const struct mgr_retained *mgr_retained_page(const struct mem_mgr *m, uint64_t page);
const uint8_t *mgr_retained_source(const struct mem_mgr *m, const struct mgr_retained *e);
void mgr_retain_apply_tables(const struct mem_mgr *m, uint64_t pt_page, uint8_t *dst);
void mgr_retain_bookkeeping(struct mem_mgr *m);

/* A fresh, zero scratch mapping of `bytes` in place of the old one (its
 * dirty bitmap too). On failure the old one stays. */
int mgr_replace_scratch(struct mem_mgr *m, uint64_t bytes, struct sb_err *err);

static inline const struct layout *mgr_layout(const struct mem_mgr *m)
{
	return &m->snap->layout;
}
/* Guest memory behind the snapshot region: the private copy under
 * host-cow, the shared read-only image otherwise. */
static inline uint8_t *mgr_snapshot_mem(const struct mem_mgr *m)
{
	return m->snap_mem ? m->snap_mem : m->snap->image;
}
static inline uint8_t *mgr_input(const struct mem_mgr *m)
{
	return m->scratch + layout_input_scratch_offset(mgr_layout(m));
}
static inline uint8_t *mgr_output(const struct mem_mgr *m)
{
	return m->scratch + layout_output_scratch_offset(mgr_layout(m));
}
/* The guest allocator's "next free GPA" word, as the guest left it. */
uint64_t mgr_next_free_gpa(const struct mem_mgr *m);
/* Scratch pages the guest's allocator word says it took since the reset
 * (guest-written: a statistic, never used to decide what to reset). */
uint64_t mgr_pages_allocated(const struct mem_mgr *m);

/* The guest's view of scratch, for page-table edits made on the host as
 * the guest runtime would make them (tests, hand-made chains); mgr_pt.c.
 * mgr_scratch_at: the host address of [gpa, gpa + bytes) in scratch, or
 * NULL if it is not all inside; the range is marked dirty (the caller may
 * write it). mgr_alloc_page: a page from the guest's
 * allocator word (PT_E_NOMEM when it would reach the scratch top pages).
 * mgr_scratch_pt: the page tables at the layout's root, new tables from
 * that allocator; valid while m is. */
uint8_t *mgr_scratch_at(const struct mem_mgr *m, gpa_t gpa, uint64_t bytes);
enum pt_status mgr_alloc_page(struct mem_mgr *m, gpa_t *out);
struct pt mgr_scratch_pt(struct mem_mgr *m);

#endif
