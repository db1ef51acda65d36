/* pt_range.c — the per-table range iterator (the one piece of the walking
 * algorithm every level and format shares) and VA <-> linear conversion. */
#include "pt.h"

static uint64_t lin_mask(const struct pt_format *f)
{
	return (1ull << pt_format_va_bits(f)) - 1;
}

bool pt_va_canonical(const struct pt_format *f, gva_t va)
{
	unsigned bits = pt_format_va_bits(f);
	if (!f->sign_extend)
		return (va >> bits) == 0;
	uint64_t top = va >> (bits - 1); /* sign bit and everything above */
	return top == 0 || top == (~0ull >> (bits - 1));
}

gva_t pt_lin_to_va(const struct pt_format *f, uint64_t lin)
{
	unsigned bits = pt_format_va_bits(f);
	if (f->sign_extend && (lin >> (bits - 1)) & 1)
		return lin | ~lin_mask(f);
	return lin;
}

enum pt_status pt_va_range(const struct pt_format *f, gva_t va, uint64_t len_bytes,
			   uint64_t *first, uint64_t *last, bool *empty)
{
	*empty = len_bytes == 0;
	*first = 1;
	*last = 0;
	if (!pt_va_canonical(f, va))
		return PT_E_NONCANONICAL;
	if (len_bytes == 0)
		return PT_OK;
	gva_t end = va + (len_bytes - 1);
	if (end < va)
		return PT_E_OVERFLOW;
	if (!pt_va_canonical(f, end))
		return PT_E_NONCANONICAL;
	if (f->sign_extend && ((va ^ end) >> 63))
		return PT_E_NONCANONICAL; /* crosses the non-canonical hole */
	*first = va & lin_mask(f);
	*last = end & lin_mask(f);
	*empty = false;
	return PT_OK;
}

void pt_range_it_init(struct pt_range_it *it, const struct pt_format *f, gpa_t table,
		      unsigned level, uint64_t base, uint64_t first, uint64_t last)
{
	unsigned shift = pt_format_shift(f, level);
	uint64_t top = base + ((uint64_t)pt_format_entries(f) << shift) - 1; /* last lin of table */
	it->table = table;
	it->level = level;
	it->shift = shift;
	it->base = base;
	it->first = first;
	it->last = last;
	if (first > top || last < base || first > last) {
		it->index = 1; /* empty */
		it->last_index = 0;
		return;
	}
	it->index = first > base ? (unsigned)((first - base) >> shift) : 0;
	it->last_index = last < top ? (unsigned)((last - base) >> shift) : pt_format_entries(f) - 1;
}

bool pt_range_it_next(struct pt_range_it *it, const struct pt_format *f,
		      struct pt_range_entry *out)
{
	if (it->index > it->last_index)
		return false;
	unsigned i = it->index++;
	uint64_t lin = it->base + ((uint64_t)i << it->shift);
	uint64_t lin_last = lin + ((1ull << it->shift) - 1);
	out->index = i;
	out->entry_gpa = it->table + (gpa_t)i * f->entry_bytes;
	out->lin = lin;
	out->first = it->first > lin ? it->first : lin;
	out->last = it->last < lin_last ? it->last : lin_last;
	return true;
}
