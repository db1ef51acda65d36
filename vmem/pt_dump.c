/* pt_dump.c — one row per present entry, via the walker's visitor. */
#include "pt_dump.h"

#include <inttypes.h>

struct dump_ctx {
	FILE *f;
	const struct pt_format *fmt;
	int va_digits, pa_digits;
	uint64_t tables, leaves_4k, leaves_large, skipped;
};

static void put_flag(FILE *f, bool on, const char *name)
{
	if (on)
		fprintf(f, " %s", name);
}

static bool dump_entry(void *arg, const struct pt_entry_info *e)
{
	struct dump_ctx *d = arg;
	const struct pt_format *fmt = d->fmt;
	pt_entry_t r = e->raw;
	int indent = (int)(fmt->levels - e->level);
	gva_t last = e->va + (e->span_bytes - 1);
	fprintf(d->f, "%*s%-4s %03x %0*" PRIx64 "-%0*" PRIx64 " %0*" PRIx64 " ", indent, "",
		fmt->level_names[e->level], e->index, d->va_digits, e->va, d->va_digits, last,
		d->pa_digits, e->phys);
	bool leaf = e->what == PT_ENTRY_LEAF;
	bool cow = leaf && !(r & PT_RW) && (r & PT_AVL_MASK) == PT_AVL_COW;
	fputs("P", d->f);
	put_flag(d->f, r & PT_RW, "RW");
	put_flag(d->f, r & PT_US, "US");
	put_flag(d->f, fmt->nx && (r & fmt->nx), "NX");
	put_flag(d->f, cow, "CoW");
	put_flag(d->f, r & PT_A, "A");
	put_flag(d->f, r & PT_D, "D");
	put_flag(d->f, e->level > 1 && (r & PT_PS), "PS");
	put_flag(d->f, e->what == PT_ENTRY_LOOP, "loop");
	put_flag(d->f, e->what == PT_ENTRY_BAD, "bad-PS");
	fputc('\n', d->f);
	switch (e->what) {
	case PT_ENTRY_TABLE: d->tables++; break;
	case PT_ENTRY_LEAF:
		if (e->level == 1)
			d->leaves_4k++;
		else
			d->leaves_large++;
		break;
	default: d->skipped++; break;
	}
	return true;
}

static enum pt_status dump_walk(FILE *f, struct pt_walk *w, const struct pt *pt, gpa_t root,
				const char *range)
{
	const struct pt_format *fmt = pt->fmt;
	struct dump_ctx d = {.f = f, .fmt = fmt};
	d.va_digits = (int)(pt_format_va_bits(fmt) > 32 ? 16 : 8);
	d.pa_digits = fmt->addr_mask >> 32 ? 10 : 8;
	fprintf(f, "# page tables (%s), root GPA 0x%" PRIx64 ", VA %s\n", fmt->name, root, range);
	fprintf(f, "# VA first-last and PA: hex byte addresses; PA = page or next table\n");
	fprintf(f, "# level idx VA range%*s PA%*s flags\n", 2 * d.va_digits - 7, "",
		d.pa_digits - 2, "");
	/* the root is a table too: the count is the page-table pages the walk
	 * read, as a snapshot's statistics count its page-table pages */
	uint64_t root_read = pt_walk_status(w) == PT_OK;
	if (root_read) {
		struct pt_mapping m;
		pt_walk_set_visitor(w, dump_entry, &d);
		while (pt_walk_next(w, &m))
			;
	}
	enum pt_status s = pt_walk_status(w);
	fprintf(f, "# %" PRIu64 " tables, %" PRIu64 " 4 KiB pages, %" PRIu64
		   " large pages, %" PRIu64 " entries not followed\n",
		d.tables + root_read, d.leaves_4k, d.leaves_large, d.skipped);
	if (s != PT_OK)
		fprintf(f, "# walk stopped: %s\n", pt_strerror(s));
	return s;
}

enum pt_status pt_dump(FILE *f, const struct pt *pt, gpa_t root)
{
	if (!f || !pt)
		return PT_E_INVAL;
	struct pt_walk w;
	pt_walk_begin_all(&w, pt, root);
	return dump_walk(f, &w, pt, root, "all");
}

enum pt_status pt_dump_range(FILE *f, const struct pt *pt, gpa_t root, gva_t va,
			     uint64_t len_bytes)
{
	if (!f || !pt)
		return PT_E_INVAL;
	struct pt_walk w;
	char range[64];
	pt_walk_begin_at(&w, pt, root, va, len_bytes);
	snprintf(range, sizeof range, "0x%" PRIx64 " + 0x%" PRIx64 " bytes", va, len_bytes);
	return dump_walk(f, &w, pt, root, range);
}
