/* render_pt.c — the page-table view as text: one row per present entry
 * shown (tree order), the translation path of the last jump, a footer. */
#include <inttypes.h>
#include <string.h>

#include "tui.h"

/* "P RW US NX CoW A D PS" (the set ones), then loop / bad-PS. */
static void flags(char *buf, size_t n, const struct pt_format *fmt, const struct pt_entry_info *e)
{
	pt_entry_t r = e->raw;
	bool leaf = e->what == PT_ENTRY_LEAF;
	snprintf(buf, n, "P%s%s%s%s%s%s%s%s%s", r & PT_RW ? " RW" : "", r & PT_US ? " US" : "",
		 fmt->nx && (r & fmt->nx) ? " NX" : "",
		 leaf && !(r & PT_RW) && (r & PT_AVL_MASK) == PT_AVL_COW ? " CoW" : "",
		 r & PT_A ? " A" : "", r & PT_D ? " D" : "", e->level > 1 && (r & PT_PS) ? " PS" : "",
		 e->what == PT_ENTRY_LOOP ? " loop" : "", e->what == PT_ENTRY_BAD ? " bad-PS" : "");
}

void tui_pt_node_text(char *buf, size_t n, const struct pt_tree *t, int node)
{
	const struct pt_format *fmt = t->pt->fmt;
	const struct pt_entry_info *e = &t->nodes[node].e;
	char fl[64];
	flags(fl, sizeof fl, fmt, e);
	snprintf(buf, n, "%-4s %03x %016" PRIx64 " %09" PRIx64 " %s", fmt->level_names[e->level], e->index,
		 e->va, e->phys, fl);
}

static void row(FILE *f, const struct pt_state *st, size_t i, bool wide)
{
	const struct pt_format *fmt = st->tree.pt->fmt;
	const struct pt_node *n = &st->tree.nodes[st->rows[i]];
	const struct pt_entry_info *e = &n->e;
	int depth = (int)(fmt->levels - e->level);
	char fl[64], glyph = ' ';
	if (pt_node_is_table(n))
		glyph = n->expanded ? '-' : '+';
	flags(fl, sizeof fl, fmt, e);
	fprintf(f, "%c %*s%c %-4s %03x %016" PRIx64, (int)i == st->cursor ? '>' : ' ', depth, "", glyph,
		fmt->level_names[e->level], e->index, e->va);
	if (wide)
		fprintf(f, "-%016" PRIx64, e->va + (e->span_bytes - 1));
	fprintf(f, " %09" PRIx64 " %-*s", e->phys, 22 + 3 - depth, fl);
	if (pt_node_is_table(n))
		fprintf(f, " %3u %6" PRIu64 "\n", n->present, pt_filter_count(n, st->filter));
	else
		fprintf(f, "   - %6" PRIu64 "\n", pt_filter_count(n, st->filter));
}

static const char *what_name(enum pt_entry_what w)
{
	switch (w) {
	case PT_ENTRY_TABLE: return "table";
	case PT_ENTRY_LEAF: return "page";
	case PT_ENTRY_LOOP: return "loop, not followed";
	default: return "bad PS, not followed";
	}
}

static void path_box(FILE *f, const struct pt_state *st, int width)
{
	const struct pt_format *fmt = st->tree.pt->fmt;
	char title[64];
	snprintf(title, sizeof title, "translation of VA %016" PRIx64, st->jump_va);
	tui_hline(f, width, title);
	fprintf(f, "  CR3 %09" PRIx64 "\n", st->tree.root);
	for (unsigned d = 0; d < st->path_len; d++) {
		const struct pt_entry_info *e = &st->path[d];
		fprintf(f, "  %*s%-4s[%03x] @ %09" PRIx64 " = %016" PRIx64 " -> %09" PRIx64 " %s\n", (int)d,
			"", fmt->level_names[e->level], e->index,
			e->table_gpa + e->index * fmt->entry_bytes, e->raw, e->phys, what_name(e->what));
	}
	if (st->jump_mapped && st->path_len) {
		const struct pt_entry_info *e = &st->path[st->path_len - 1];
		uint64_t off = st->jump_va - e->va;
		fprintf(f, "  = PA %09" PRIx64 " (page %09" PRIx64 " + offset 0x%" PRIx64 ")\n", e->phys + off,
			e->phys, off);
	} else {
		fprintf(f, "  not mapped%s\n", st->path_len ? ": the next level has no present entry" : "");
	}
}

int tui_render_pt_chrome(const struct pt_state *st)
{
	return 5 + (st->msg[0] ? 1 : 0) + (st->jumped ? 3 + (int)st->path_len : 0);
}

void tui_render_pt(FILE *f, const struct tui_model *m, const struct pt_state *st, int width, int height)
{
	const struct pt_tree *t = &st->tree;
	bool wide = tui_wide(width);
	fprintf(f, "%.*s\n", width, m->source);
	if (st->nroots > 1) /* several address spaces: which one (`r` cycles) */
		fprintf(f, "page tables (%s), root %u/%u at GPA %09" PRIx64 ", filter: %s, %zu rows\n",
			t->pt->fmt->name, st->root, st->nroots, t->root, pt_filter_name(st->filter),
			st->n_rows);
	else
		fprintf(f, "page tables (%s), root GPA %09" PRIx64 ", filter: %s, %zu rows\n",
			t->pt->fmt->name, t->root, pt_filter_name(st->filter), st->n_rows);
	fprintf(f, "  level idx VA %s   PA        flags      ents  %s\n",
		wide ? "first-last (hex bytes)           " : "first (hex bytes)",
		st->filter == PT_FILTER_ALL ? "pages" : "match");
	tui_hline(f, width, NULL);
	size_t first = 0, last = st->n_rows;
	if (height > 0) {
		int rows = height - tui_render_pt_chrome(st);
		if (rows < 1)
			rows = 1;
		first = (size_t)st->top;
		if (last > first + (size_t)rows)
			last = first + (size_t)rows;
	}
	for (size_t i = first; i < last; i++)
		row(f, st, i, wide);
	if (st->jumped)
		path_box(f, st, width);
	fprintf(f, "# ents: present entries in its table; %s: leaves below%s%s\n",
		st->filter == PT_FILTER_ALL ? "pages" : "match", t->status != PT_OK ? "; walk: " : "",
		t->status != PT_OK ? pt_strerror(t->status) : "");
	if (st->msg[0])
		fprintf(f, "%s\n", st->msg);
}
