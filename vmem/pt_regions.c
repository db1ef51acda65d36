/* pt_regions.c — read-only page-table storage over guest memory regions.
 * Every byte read here may be attacker controlled; every read is bounds
 * checked against one region and anything else reads as 0 (not present). */
#include "pt_host.h"

#include <string.h>

const void *pt_regions_host_ptr(const struct pt_regions *rr, gpa_t gpa, uint64_t len_bytes)
{
	for (size_t i = 0; i < rr->count; i++) {
		const struct pt_region *r = &rr->regions[i];
		if (gpa < r->gpa || !r->host)
			continue;
		uint64_t off = gpa - r->gpa;
		if (off >= r->len_bytes || r->len_bytes - off < len_bytes)
			continue;
		return (const uint8_t *)r->host + off;
	}
	return NULL;
}

static pt_entry_t rr_read(void *ctx, gpa_t gpa, unsigned n)
{
	if (n == 0 || n > 8)
		return 0;
	const uint8_t *p = pt_regions_host_ptr(ctx, gpa, n);
	if (!p)
		return 0;
	pt_entry_t e = 0;
	for (unsigned i = 0; i < n; i++)
		e |= (pt_entry_t)p[i] << (8 * i);
	return e;
}

static gpa_t rr_root(void *ctx)
{
	return ((const struct pt_regions *)ctx)->root_gpa;
}

static const struct pt_ops regions_ops = {
	.read_entry = rr_read,
	.write_entry = NULL,
	.alloc_table = NULL,
	.root = rr_root,
};

void pt_regions_init(struct pt_regions *rr, const struct pt_format *fmt,
		     const struct pt_region *regions, size_t count, gpa_t root)
{
	memset(rr, 0, sizeof *rr);
	rr->pt.fmt = fmt;
	rr->pt.ops = &regions_ops;
	rr->pt.ctx = rr;
	rr->regions = regions;
	rr->count = regions ? count : 0;
	rr->root_gpa = root;
}

int pt_status_err(struct sb_err *err, enum pt_status s, const char *what)
{
	if (s == PT_OK)
		return 0;
	enum sb_errcode code = SB_E_INVAL;
	switch (s) {
	case PT_E_NOMEM: code = SB_E_NOMEM; break;
	case PT_E_NONCANONICAL:
	case PT_E_OVERFLOW:
	case PT_E_PHYS: code = SB_E_RANGE; break;
	case PT_E_LIMIT: code = SB_E_TOO_BIG; break;
	case PT_E_READONLY: code = SB_E_STATE; break;
	default: break;
	}
	return sb_errf(err, code, "%s: %s", what ? what : "page tables", pt_strerror(s));
}
