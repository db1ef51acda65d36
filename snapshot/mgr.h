/* mgr.h — the memory manager of one sandbox: the snapshot it runs from and
 * its private scratch region.
 *
 * Scratch is one anonymous host mapping. Resetting it makes it what a run
 * from the snapshot expects (DESIGN.md §5): I/O buffers empty, the
 * snapshot's page-table tail copied to the page-table area, bookkeeping
 * words rewritten, and every page at or above the allocator's start zero
 * again. Only what the guest used since the last reset is touched, and
 * nothing is allocated, so it sits on the restore path.
 */
#ifndef SNAPBENCH_SNAPSHOT_MGR_H
#define SNAPBENCH_SNAPSHOT_MGR_H

#include <stdint.h>

#include "err.h"
#include "pt.h"
#include "snapshot.h"

struct mem_mgr {
	struct snapshot *snap; /* holds one reference */
	uint8_t *scratch;
	uint64_t scratch_bytes;
};

/* Map a scratch region of the snapshot's size and reset it. */
int mgr_init(struct mem_mgr *m, struct snapshot *snap, struct sb_err *err);
void mgr_fini(struct mem_mgr *m);

/* Reset scratch for another run from the current snapshot. */
void mgr_reset(struct mem_mgr *m);

/* Switch to `snap` (a reference is taken, the old one dropped) and reset.
 * The scratch size must already match the snapshot's: see
 * mgr_replace_scratch. */
void mgr_restore(struct mem_mgr *m, struct snapshot *snap);

/* Ask the guest to run its rewind (replay the log, reset FPU state, flush
 * the TLB) on its next entry, which the caller makes in ring 0. */
void mgr_mark_rewind(struct mem_mgr *m);

/* Reset for another run from the current snapshot without touching the
 * page tables: the guest writes its logged page-table changes back itself
 * (sandbox_abi.h, undo log) when it next runs. Returns false, changing
 * nothing, when the log cannot do it (it overflowed): use mgr_reset. */
bool mgr_rewind(struct mem_mgr *m);

/* A fresh, zero scratch mapping of `bytes` in place of the old one. On
 * failure the old one stays. */
int mgr_replace_scratch(struct mem_mgr *m, uint64_t bytes, struct sb_err *err);

static inline const struct layout *mgr_layout(const struct mem_mgr *m)
{
	return &m->snap->layout;
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
/* Scratch pages the guest has taken from its allocator since the reset. */
uint64_t mgr_pages_allocated(const struct mem_mgr *m);

/* The guest's view of scratch, for page-table edits made on the host as
 * the guest runtime would make them (tests, hand-made chains); mgr_pt.c.
 * mgr_scratch_at: the host address of [gpa, gpa + bytes) in scratch, or
 * NULL if it is not all inside. mgr_alloc_page: a page from the guest's
 * allocator word (PT_E_NOMEM when it would reach the scratch top pages).
 * mgr_scratch_pt: the page tables at the layout's root, new tables from
 * that allocator; valid while m is. */
uint8_t *mgr_scratch_at(const struct mem_mgr *m, gpa_t gpa, uint64_t bytes);
enum pt_status mgr_alloc_page(struct mem_mgr *m, gpa_t *out);
struct pt mgr_scratch_pt(struct mem_mgr *m);

#endif
