/* pt_map.c — map: the range iterator chained over the levels, allocating
 * missing tables; plus the table helpers used to share subtrees. */
#include "pt.h"

#define PAGE_MASK (SB_PAGE_SIZE - 1)

static pt_entry_t rd(const struct pt *pt, gpa_t gpa)
{
	return pt->ops->read_entry(pt->ctx, gpa, pt->fmt->entry_bytes);
}

static enum pt_status wr(const struct pt *pt, gpa_t gpa, pt_entry_t e)
{
	if (!pt->ops->write_entry)
		return PT_E_READONLY;
	return pt->ops->write_entry(pt->ctx, gpa, pt->fmt->entry_bytes, e);
}

static bool on_path(const gpa_t *path, unsigned from, unsigned to, gpa_t t)
{
	for (unsigned l = from; l <= to; l++)
		if (path[l] == t)
			return true;
	return false;
}

/* The table the entry at entry_gpa (level `level` > 1) points at; allocate
 * and link a new one if the entry is not present and `alloc` is set.
 * *table = 0 with PT_OK: not present and not allocated. */
static enum pt_status next_table(const struct pt *pt, gpa_t entry_gpa, unsigned level,
				 const gpa_t *path, bool alloc, gpa_t *table)
{
	const struct pt_format *f = pt->fmt;
	pt_entry_t e = rd(pt, entry_gpa);
	*table = 0;
	if (e & PT_P) {
		if (e & PT_PS)
			return PT_E_CONFLICT; /* large page (or reserved PS): never a table */
		gpa_t t = e & f->addr_mask;
		if (on_path(path, level, f->levels, t))
			return PT_E_CONFLICT;
		*table = t;
		return PT_OK;
	}
	if (!alloc)
		return PT_OK;
	if (!pt->ops->alloc_table)
		return PT_E_READONLY;
	gpa_t t;
	enum pt_status s = pt->ops->alloc_table(pt->ctx, &t);
	if (s != PT_OK)
		return s;
	s = wr(pt, entry_gpa, pt_entry_table(f, t));
	if (s == PT_OK)
		*table = t;
	return s;
}

struct map_job {
	const struct pt *pt;
	const struct pt_mapping *m;
	uint64_t lin0; /* linear address of m->virt */
	pt_entry_t leaf0; /* leaf entry for m->phys (0 for unmapped) */
	gpa_t path[PT_MAX_LEVELS + 1];
};

/* Map [first, last] of the table `table` at `level` whose entry 0 maps `base`. */
static enum pt_status map_level(struct map_job *j, gpa_t table, unsigned level, uint64_t base,
				uint64_t first, uint64_t last)
{
	const struct pt_format *f = j->pt->fmt;
	struct pt_range_it it;
	struct pt_range_entry re;
	j->path[level] = table;
	pt_range_it_init(&it, f, table, level, base, first, last);
	while (pt_range_it_next(&it, f, &re)) {
		enum pt_status s;
		if (level == 1) {
			pt_entry_t e = j->leaf0 ? j->leaf0 + (re.lin - j->lin0) : 0;
			s = wr(j->pt, re.entry_gpa, e);
		} else {
			gpa_t next;
			bool alloc = j->m->kind.tag != PT_KIND_UNMAPPED;
			s = next_table(j->pt, re.entry_gpa, level, j->path, alloc, &next);
			if (s == PT_OK && next)
				s = map_level(j, next, level - 1, re.lin, re.first, re.last);
		}
		if (s != PT_OK)
			return s;
	}
	return PT_OK;
}

enum pt_status pt_map_at(const struct pt *pt, gpa_t root, const struct pt_mapping *m)
{
	if (!pt || !m)
		return PT_E_INVAL;
	const struct pt_format *f = pt->fmt;
	if ((m->virt | m->phys | m->len_bytes) & PAGE_MASK)
		return PT_E_ALIGN;
	uint64_t first, last;
	bool empty;
	enum pt_status s = pt_va_range(f, m->virt, m->len_bytes, &first, &last, &empty);
	if (s != PT_OK || empty)
		return s;
	struct map_job j = {.pt = pt, .m = m, .lin0 = first};
	if (m->kind.tag != PT_KIND_UNMAPPED) {
		gpa_t phys_last = m->phys + (m->len_bytes - 1);
		if (phys_last < m->phys || (phys_last & ~(f->addr_mask | PAGE_MASK)))
			return PT_E_PHYS;
		j.leaf0 = pt_entry_leaf(f, m->phys, m->kind, m->user);
	}
	root &= ~(gpa_t)(PT_TABLE_BYTES - 1);
	return map_level(&j, root, f->levels, 0, first, last);
}

enum pt_status pt_map(const struct pt *pt, const struct pt_mapping *m)
{
	if (!pt)
		return PT_E_INVAL;
	return pt_map_at(pt, pt_root(pt), m);
}

enum pt_status pt_table_ensure(const struct pt *pt, gpa_t root, gva_t va, unsigned level,
			       gpa_t *table_gpa)
{
	if (!pt || !table_gpa || level < 1 || level > pt->fmt->levels)
		return PT_E_INVAL;
	const struct pt_format *f = pt->fmt;
	if (!pt_va_canonical(f, va))
		return PT_E_NONCANONICAL;
	uint64_t lin = va & ((1ull << pt_format_va_bits(f)) - 1);
	gpa_t path[PT_MAX_LEVELS + 1] = {0};
	gpa_t t = root & ~(gpa_t)(PT_TABLE_BYTES - 1);
	for (unsigned l = f->levels; l > level; l--) {
		path[l] = t;
		unsigned idx = (unsigned)(lin >> pt_format_shift(f, l)) & (pt_format_entries(f) - 1);
		enum pt_status s = next_table(pt, t + (gpa_t)idx * f->entry_bytes, l, path, true, &t);
		if (s != PT_OK)
			return s;
	}
	*table_gpa = t;
	return PT_OK;
}

enum pt_status pt_table_link(const struct pt *pt, gpa_t root, gva_t va, unsigned level,
			     gpa_t table)
{
	if (!pt || level < 1 || level >= pt->fmt->levels)
		return PT_E_INVAL;
	const struct pt_format *f = pt->fmt;
	unsigned pshift = pt_format_shift(f, level + 1);
	if (va & ((1ull << pshift) - 1))
		return PT_E_ALIGN;
	gpa_t parent;
	enum pt_status s = pt_table_ensure(pt, root, va, level + 1, &parent);
	if (s != PT_OK)
		return s;
	uint64_t lin = va & ((1ull << pt_format_va_bits(f)) - 1);
	unsigned idx = (unsigned)(lin >> pshift) & (pt_format_entries(f) - 1);
	return wr(pt, parent + (gpa_t)idx * f->entry_bytes, pt_entry_table(f, table));
}
