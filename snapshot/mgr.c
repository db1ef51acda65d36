/* mgr.c — see mgr.h. */
#include "mgr.h"

#include <stddef.h>
#include <string.h>
#include <sys/mman.h>

#include "proto.h"

static void *map_scratch(uint64_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		       -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

int mgr_init(struct mem_mgr *m, struct snapshot *snap, struct sb_err *err)
{
	uint64_t bytes = layout_scratch_bytes(&snap->layout);
	uint8_t *p = map_scratch(bytes);
	if (!p)
		return sb_errf(err, SB_E_NOMEM, "cannot map %llu bytes of scratch memory",
			       (unsigned long long)bytes);
	m->snap = snap_ref(snap);
	m->scratch = p;
	m->scratch_bytes = bytes;
	mgr_reset(m);
	return 0;
}

void mgr_fini(struct mem_mgr *m)
{
	if (m->scratch)
		munmap(m->scratch, m->scratch_bytes);
	snap_unref(m->snap);
	m->scratch = NULL;
	m->snap = NULL;
}

int mgr_replace_scratch(struct mem_mgr *m, uint64_t bytes, struct sb_err *err)
{
	uint8_t *p = map_scratch(bytes);
	if (!p)
		return sb_errf(err, SB_E_NOMEM, "cannot map %llu bytes of scratch memory",
			       (unsigned long long)bytes);
	munmap(m->scratch, m->scratch_bytes);
	m->scratch = p;
	m->scratch_bytes = bytes;
	return 0;
}

/* Host offset one past the last page the guest's allocator handed out,
 * under layout `l` (the word is guest-written: clamped to the free area). */
static uint64_t used_end_offset(const struct mem_mgr *m, const struct layout *l)
{
	uint64_t first = layout_free_scratch_offset(l), limit = layout_top_scratch_offset(l);
	if (l->config.scratch_bytes != m->scratch_bytes)
		return first; /* a fresh mapping: nothing used */
	uint64_t next;
	memcpy(&next, m->scratch + m->scratch_bytes - SB_SCRATCH_TOP_ALLOCATOR, sizeof next);
	uint64_t off = next - layout_scratch_base_gpa(l);
	if (next < layout_scratch_base_gpa(l) || off < first)
		return first;
	return off < limit ? off : limit;
}

static struct sb_pt_undo_log *undo_log(const struct mem_mgr *m)
{
	return (struct sb_pt_undo_log *)(m->scratch + sb_undo_log_offset(m->scratch_bytes));
}

/* I/O buffers, bookkeeping words and the pages the guest took: what every
 * reset does. */
static void reset_data(struct mem_mgr *m, uint64_t used_end)
{
	const struct layout *l = mgr_layout(m);
	uint64_t free_off = layout_free_scratch_offset(l);
	if (used_end > free_off)
		memset(m->scratch + free_off, 0, used_end - free_off);
	sb_stack_reset(mgr_input(m), layout_input_bytes(l));
	sb_stack_reset(mgr_output(m), layout_output_bytes(l));
	/* Cannot fail: the scratch mapping has the layout's size. */
	layout_write_bookkeeping(l, m->scratch, m->scratch_bytes, m->snap->generation, NULL);
}

void mgr_mark_rewind(struct mem_mgr *m)
{
	undo_log(m)->pending = 1;
}

bool mgr_rewind(struct mem_mgr *m)
{
	struct sb_pt_undo_log *log = undo_log(m);
	if (log->overflow || log->count > SB_PT_UNDO_ENTRIES)
		return false;
	reset_data(m, used_end_offset(m, mgr_layout(m)));
	log->pending = 1;
	return true;
}

void mgr_restore(struct mem_mgr *m, struct snapshot *snap)
{
	/* What the old run used, measured before anything moves. */
	uint64_t used_end = used_end_offset(m, mgr_layout(m));
	if (snap != m->snap) {
		snap_ref(snap);
		snap_unref(m->snap);
		m->snap = snap;
	}
	const struct layout *l = mgr_layout(m);
	/* Page tables from the snapshot; then everything after them that the
	 * old run wrote (its pages, or old tables longer than the new ones)
	 * goes back to zero: the allocator promises zeroed pages. */
	memcpy(m->scratch + layout_pt_scratch_offset(l), snap_pt_tail(snap), layout_pt_bytes(l));
	reset_data(m, used_end);
	memset(undo_log(m), 0, offsetof(struct sb_pt_undo_log, e));
}

void mgr_reset(struct mem_mgr *m)
{
	mgr_restore(m, m->snap);
}

uint64_t mgr_next_free_gpa(const struct mem_mgr *m)
{
	uint64_t v;
	memcpy(&v, m->scratch + m->scratch_bytes - SB_SCRATCH_TOP_ALLOCATOR, sizeof v);
	return v;
}

uint64_t mgr_pages_allocated(const struct mem_mgr *m)
{
	const struct layout *l = mgr_layout(m);
	return (used_end_offset(m, l) - layout_free_scratch_offset(l)) / SB_PAGE_SIZE;
}
