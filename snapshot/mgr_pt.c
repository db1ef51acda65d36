/* mgr_pt.c — the guest's page tables as they sit in scratch, for edits made
 * on the host the way the guest runtime makes them (see mgr.h). */
#include <string.h>

#include "mgr.h"
#include "sandbox_abi.h"

uint8_t *mgr_scratch_at(const struct mem_mgr *m, gpa_t gpa, uint64_t bytes)
{
	gpa_t base = layout_scratch_base_gpa(mgr_layout(m));
	if (gpa < base || bytes > m->scratch_bytes || gpa - base > m->scratch_bytes - bytes)
		return NULL;
	mgr_mark_dirty(m, gpa - base, bytes);
	return m->scratch + (gpa - base);
}

enum pt_status mgr_alloc_page(struct mem_mgr *m, gpa_t *out)
{
	uint8_t *word = m->scratch + m->scratch_bytes - SB_SCRATCH_TOP_ALLOCATOR;
	uint64_t next, after;
	memcpy(&next, word, 8);
	/* The allocator stops below the scratch top pages, as the guest's does. */
	if (!mgr_scratch_at(m, next, SB_PAGE_SIZE * (SB_SCRATCH_TOP_PAGES + 1)))
		return PT_E_NOMEM;
	after = next + SB_PAGE_SIZE;
	memcpy(word, &after, 8);
	mgr_mark_dirty(m, m->scratch_bytes - SB_SCRATCH_TOP_ALLOCATOR, 8);
	*out = next;
	return PT_OK;
}

static pt_entry_t sp_read(void *ctx, gpa_t gpa, unsigned bytes)
{
	uint8_t *p = mgr_scratch_at(ctx, gpa, bytes);
	pt_entry_t e = 0;
	if (p)
		memcpy(&e, p, bytes);
	return e;
}

static enum pt_status sp_write(void *ctx, gpa_t gpa, unsigned bytes, pt_entry_t e)
{
	uint8_t *p = mgr_scratch_at(ctx, gpa, bytes);
	if (!p)
		return PT_E_INVAL;
	memcpy(p, &e, bytes);
	return PT_OK;
}

static enum pt_status sp_alloc(void *ctx, gpa_t *out)
{
	return mgr_alloc_page(ctx, out);
}

static gpa_t sp_root(void *ctx)
{
	return layout_pt_base_gpa(mgr_layout(ctx));
}

static const struct pt_ops scratch_ops = { sp_read, sp_write, sp_alloc, sp_root };

struct pt mgr_scratch_pt(struct mem_mgr *m)
{
	return (struct pt){ &pt_format_x86_64, &scratch_ops, m };
}
