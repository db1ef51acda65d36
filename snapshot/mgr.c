/* mgr.c — see mgr.h. */
#include "mgr.h"

#include "proto.h"

#include <string.h>
#include <sys/mman.h>

int mgr_init(struct mem_mgr *m, struct snapshot *snap, struct sb_err *err)
{
	uint64_t bytes = layout_scratch_bytes(&snap->layout);
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		       -1, 0);
	if (p == MAP_FAILED)
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

void mgr_reset(struct mem_mgr *m)
{
	const struct layout *l = mgr_layout(m);
	/* Pages the guest took since the last reset go back to zero (the
	 * allocator promises zeroed pages): work proportional to what the
	 * guest used, not to the size of scratch. */
	uint64_t used = mgr_pages_allocated(m) * SB_PAGE_SIZE;
	if (used)
		memset(m->scratch + layout_free_scratch_offset(l), 0, used);
	sb_stack_reset(mgr_input(m), layout_input_bytes(l));
	sb_stack_reset(mgr_output(m), layout_output_bytes(l));
	memcpy(m->scratch + layout_pt_scratch_offset(l), snap_pt_tail(m->snap), layout_pt_bytes(l));
	/* Cannot fail: the scratch mapping has the layout's size. */
	layout_write_bookkeeping(l, m->scratch, m->scratch_bytes, m->snap->generation, NULL);
}

uint64_t mgr_next_free_gpa(const struct mem_mgr *m)
{
	uint64_t v;
	memcpy(&v, m->scratch + m->scratch_bytes - SB_SCRATCH_TOP_ALLOCATOR, sizeof v);
	return v;
}

uint64_t mgr_pages_allocated(const struct mem_mgr *m)
{
	/* The word is guest-written: clamp it to the free area. */
	const struct layout *l = mgr_layout(m);
	uint64_t first = layout_first_free_scratch_gpa(l);
	uint64_t limit = layout_scratch_base_gpa(l) + layout_exn_scratch_offset(l);
	uint64_t next = mgr_next_free_gpa(m);
	if (next <= first)
		return 0;
	if (next > limit)
		next = limit;
	return (next - first) / SB_PAGE_SIZE;
}
