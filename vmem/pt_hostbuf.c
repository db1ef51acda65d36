/* pt_hostbuf.c — growable host buffer of tables at a chosen base GPA. */
#include "pt_host.h"

#include <stdlib.h>
#include <string.h>

/* Byte offset of [gpa, gpa+n) in the buffer, or false if outside it. */
static bool hb_off(const struct pt_hostbuf *hb, gpa_t gpa, unsigned n, size_t *off)
{
	if (gpa < hb->base_gpa)
		return false;
	uint64_t o = gpa - hb->base_gpa;
	if (o > hb->size_bytes || hb->size_bytes - o < n)
		return false;
	*off = (size_t)o;
	return true;
}

static pt_entry_t hb_read(void *ctx, gpa_t gpa, unsigned n)
{
	const struct pt_hostbuf *hb = ctx;
	size_t off;
	if (n > 8 || !hb_off(hb, gpa, n, &off))
		return 0;
	pt_entry_t e = 0;
	for (unsigned i = 0; i < n; i++)
		e |= (pt_entry_t)hb->bytes[off + i] << (8 * i);
	return e;
}

static enum pt_status hb_write(void *ctx, gpa_t gpa, unsigned n, pt_entry_t e)
{
	struct pt_hostbuf *hb = ctx;
	size_t off;
	if (n > 8 || !hb_off(hb, gpa, n, &off))
		return PT_E_INVAL;
	for (unsigned i = 0; i < n; i++)
		hb->bytes[off + i] = (uint8_t)(e >> (8 * i));
	return PT_OK;
}

static enum pt_status hb_alloc(void *ctx, gpa_t *table)
{
	return pt_hostbuf_alloc_table(ctx, table);
}

static gpa_t hb_root(void *ctx)
{
	return ((const struct pt_hostbuf *)ctx)->root_gpa;
}

static const struct pt_ops hostbuf_ops = {
	.read_entry = hb_read,
	.write_entry = hb_write,
	.alloc_table = hb_alloc,
	.root = hb_root,
};

enum pt_status pt_hostbuf_init(struct pt_hostbuf *hb, const struct pt_format *fmt,
			       gpa_t base_gpa)
{
	memset(hb, 0, sizeof *hb);
	if (!fmt)
		return PT_E_INVAL;
	if (base_gpa & (PT_TABLE_BYTES - 1))
		return PT_E_ALIGN;
	if (base_gpa & ~(fmt->addr_mask | (PT_TABLE_BYTES - 1)))
		return PT_E_PHYS;
	hb->pt.fmt = fmt;
	hb->pt.ops = &hostbuf_ops;
	hb->pt.ctx = hb;
	hb->base_gpa = base_gpa;
	hb->root_gpa = base_gpa;
	gpa_t root;
	return pt_hostbuf_alloc_table(hb, &root);
}

void pt_hostbuf_free(struct pt_hostbuf *hb)
{
	free(hb->bytes);
	hb->bytes = NULL;
	hb->size_bytes = hb->cap_bytes = 0;
}

enum pt_status pt_hostbuf_alloc_table(struct pt_hostbuf *hb, gpa_t *table_gpa)
{
	gpa_t gpa = hb->base_gpa + hb->size_bytes;
	gpa_t last = gpa + (PT_TABLE_BYTES - 1);
	if (last < gpa || (last & ~(hb->pt.fmt->addr_mask | (PT_TABLE_BYTES - 1))))
		return PT_E_PHYS; /* the next table would not be addressable */
	if (hb->size_bytes + PT_TABLE_BYTES > hb->cap_bytes) {
		size_t cap = hb->cap_bytes ? 2 * hb->cap_bytes : 4 * PT_TABLE_BYTES;
		uint8_t *nb = realloc(hb->bytes, cap);
		if (!nb)
			return PT_E_NOMEM;
		hb->bytes = nb;
		hb->cap_bytes = cap;
	}
	memset(hb->bytes + hb->size_bytes, 0, PT_TABLE_BYTES);
	hb->size_bytes += PT_TABLE_BYTES;
	*table_gpa = gpa;
	return PT_OK;
}

enum pt_status pt_hostbuf_set_root(struct pt_hostbuf *hb, gpa_t root)
{
	size_t off;
	if ((root & (PT_TABLE_BYTES - 1)) || !hb_off(hb, root, PT_TABLE_BYTES, &off))
		return PT_E_INVAL;
	hb->root_gpa = root;
	return PT_OK;
}
