/* pt_walk.c — walk: the range iterator chained over the levels with an
 * explicit stack (no recursion, no allocation), yielding one mapping per
 * present leaf.  Hostile-table rules are in pt.h. */
#include "pt.h"

static void walk_init(struct pt_walk *w, const struct pt *pt)
{
	w->pt = pt;
	w->cur = PT_MAX_LEVELS + 1; /* done */
	w->entries_read = 0;
	w->max_entries = PT_WALK_DEFAULT_MAX_ENTRIES;
	w->visit = 0;
	w->visit_arg = 0;
	w->status = PT_OK;
}

static void walk_start(struct pt_walk *w, gpa_t root, uint64_t first, uint64_t last)
{
	const struct pt_format *f = w->pt->fmt;
	unsigned top = f->levels;
	w->first = first;
	w->last = last;
	for (unsigned l = 0; l <= PT_MAX_LEVELS; l++)
		w->path[l] = ~0ull; /* never a table address (not page aligned) */
	root &= ~(gpa_t)(PT_TABLE_BYTES - 1); /* like CR3: low bits are flags */
	w->path[top] = root;
	w->and_rw_us[top] = PT_RW | PT_US;
	w->or_nx[top] = 0;
	pt_range_it_init(&w->it[top - 1], f, root, top, 0, first, last);
	w->cur = top;
}

enum pt_status pt_walk_begin_at(struct pt_walk *w, const struct pt *pt, gpa_t root, gva_t va,
				uint64_t len_bytes)
{
	walk_init(w, pt);
	if (!pt || !pt->fmt || pt->fmt->levels < 1 || pt->fmt->levels > PT_MAX_LEVELS)
		return w->status = PT_E_INVAL;
	uint64_t first, last;
	bool empty;
	enum pt_status s = pt_va_range(pt->fmt, va, len_bytes, &first, &last, &empty);
	if (s != PT_OK)
		return w->status = s;
	if (!empty)
		walk_start(w, root, first, last);
	return PT_OK;
}

enum pt_status pt_walk_begin(struct pt_walk *w, const struct pt *pt, gva_t va,
			     uint64_t len_bytes)
{
	if (!pt) {
		walk_init(w, pt);
		return w->status = PT_E_INVAL;
	}
	return pt_walk_begin_at(w, pt, pt_root(pt), va, len_bytes);
}

void pt_walk_begin_all(struct pt_walk *w, const struct pt *pt, gpa_t root)
{
	walk_init(w, pt);
	if (!pt || !pt->fmt || pt->fmt->levels < 1 || pt->fmt->levels > PT_MAX_LEVELS) {
		w->status = PT_E_INVAL;
		return;
	}
	walk_start(w, root, 0, (1ull << pt_format_va_bits(pt->fmt)) - 1);
}

void pt_walk_set_budget(struct pt_walk *w, uint64_t max_entries)
{
	w->max_entries = max_entries ? max_entries : PT_WALK_DEFAULT_MAX_ENTRIES;
}

void pt_walk_set_visitor(struct pt_walk *w, pt_visit_fn visit, void *arg)
{
	w->visit = visit;
	w->visit_arg = arg;
}

enum pt_status pt_walk_status(const struct pt_walk *w)
{
	return w->status;
}

static bool on_path(const struct pt_walk *w, unsigned level, gpa_t t)
{
	for (unsigned l = level; l <= w->pt->fmt->levels; l++)
		if (w->path[l] == t)
			return true;
	return false;
}

bool pt_walk_next(struct pt_walk *w, struct pt_mapping *out)
{
	if (w->status != PT_OK)
		return false;
	const struct pt *pt = w->pt;
	const struct pt_format *f = pt ? pt->fmt : 0;
	while (f && w->cur <= f->levels) {
		unsigned level = w->cur;
		struct pt_range_entry re;
		if (!pt_range_it_next(&w->it[level - 1], f, &re)) {
			w->cur++; /* table finished: pop */
			continue;
		}
		if (w->entries_read >= w->max_entries) {
			w->status = PT_E_LIMIT;
			w->cur = PT_MAX_LEVELS + 1;
			return false;
		}
		w->entries_read++;
		pt_entry_t e = pt->ops->read_entry(pt->ctx, re.entry_gpa, f->entry_bytes);
		if (!(e & PT_P))
			continue;

		struct pt_entry_info info = {
			.level = level,
			.index = re.index,
			.va = pt_lin_to_va(f, re.lin),
			.span_bytes = 1ull << pt_format_shift(f, level),
			.table_gpa = w->it[level - 1].table,
			.raw = e,
		};
		bool leaf = pt_entry_is_leaf(f, e, level);
		if (leaf) {
			info.what = PT_ENTRY_LEAF;
			info.phys = e & f->addr_mask & ~(info.span_bytes - 1);
		} else {
			info.phys = e & f->addr_mask;
			if (e & PT_PS)
				info.what = PT_ENTRY_BAD;
			else if (on_path(w, level, info.phys))
				info.what = PT_ENTRY_LOOP;
			else
				info.what = PT_ENTRY_TABLE;
		}
		bool descend = true;
		if (w->visit)
			descend = w->visit(w->visit_arg, &info);

		if (leaf) {
			struct pt_kind k = pt_entry_kind(f, e);
			pt_entry_t rw_us = w->and_rw_us[level] & e;
			if (!(rw_us & PT_RW) && k.tag == PT_KIND_BASIC)
				k.writable = false;
			if (w->or_nx[level])
				k.executable = false;
			out->phys = info.phys;
			out->virt = info.va;
			out->len_bytes = info.span_bytes;
			out->kind = k;
			out->user = (rw_us & PT_US) != 0;
			return true;
		}
		if (info.what != PT_ENTRY_TABLE || !descend)
			continue;
		unsigned down = level - 1;
		w->path[down] = info.phys;
		w->and_rw_us[down] = w->and_rw_us[level] & e & (PT_RW | PT_US);
		w->or_nx[down] = w->or_nx[level] | (e & f->nx);
		pt_range_it_init(&w->it[down - 1], f, info.phys, down, re.lin, re.first, re.last);
		w->cur = down;
	}
	return false;
}

enum pt_status pt_lookup(const struct pt *pt, gpa_t root, gva_t va, struct pt_leaf *out)
{
	if (!pt || !out)
		return PT_E_INVAL;
	const struct pt_format *f = pt->fmt;
	if (!pt_va_canonical(f, va))
		return PT_E_NONCANONICAL;
	uint64_t lin = va & ((1ull << pt_format_va_bits(f)) - 1);
	gpa_t t = root & ~(gpa_t)(PT_TABLE_BYTES - 1);
	for (unsigned l = f->levels; l >= 1; l--) {
		unsigned idx = (unsigned)(lin >> pt_format_shift(f, l)) & (pt_format_entries(f) - 1);
		gpa_t eg = t + (gpa_t)idx * f->entry_bytes;
		pt_entry_t e = pt->ops->read_entry(pt->ctx, eg, f->entry_bytes);
		if (!(e & PT_P))
			return PT_E_UNMAPPED;
		if (pt_entry_is_leaf(f, e, l)) {
			out->entry_gpa = eg;
			out->entry = e;
			out->level = l;
			return PT_OK;
		}
		/* As in the walk: PS where the format has no large pages is
		 * neither a leaf nor a table (the CPU faults on it), and reading
		 * the page it names as a table would misread guest data. */
		if (e & PT_PS)
			return PT_E_BAD_ENTRY;
		t = e & f->addr_mask;
	}
	return PT_E_UNMAPPED; /* not reached: level 1 entries are leaves */
}
