/* view_hex.c — the hex view's state and its curses drawing. It opens from
 * the page-table view (Enter on a leaf) and lives inside that panel
 * (view_pt.c): Up/Down/PgUp/PgDn scroll it, q or Esc go back to the tree.
 * The page comes from the snapshot shown, through its own page tables
 * (snap_read_gva: its tables may come from a file or a guest, and are read
 * with vmem's hostile-safe lookup); the original from m->origin, the
 * snapshot a live sandbox ran from. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "tui_internal.h"

/* Root i of s, or the one a restore starts in if s has fewer. */
static gpa_t root_of(const struct snapshot *s, unsigned i)
{
	return i < s->nroots ? s->roots[i] : snap_cur_root(s);
}

/* Where s's tables put the page at va (a read of it succeeded). */
static gpa_t page_pa(const struct snapshot *s, gpa_t root, gva_t va)
{
	const struct layout *l = &s->layout;
	const struct pt_region r[2] = {
		{ SB_BASE_ADDRESS, s->image, layout_snapshot_bytes(l) },
		{ layout_pt_base_gpa(l), snap_pt_tail(s), layout_pt_bytes(l) },
	};
	struct pt_regions rr;
	pt_regions_init(&rr, &pt_format_x86_64, r, 2, layout_pt_base_gpa(l));
	struct pt_leaf leaf;
	if (pt_lookup(&rr.pt, root, va, &leaf) != PT_OK)
		return 0;
	uint64_t span = 1ull << pt_format_shift(&pt_format_x86_64, leaf.level);
	return (leaf.entry & PT_X86_64_ADDR_MASK & ~(span - 1)) + (va & (span - 1));
}

void hex_state_open(struct hex_state *st, const struct tui_model *m, unsigned root, gva_t va)
{
	memset(st, 0, sizeof *st);
	st->cursor_va = va;
	st->va = va & ~(gva_t)(SB_PAGE_SIZE - 1);
	struct sb_err err;
	gpa_t r = root_of(m->snap, root);
	if (snap_read_gva_root(m->snap, r, st->va, st->page, sizeof st->page, NULL, &err)) {
		snprintf(st->msg, sizeof st->msg, "%s", err.msg);
		return;
	}
	st->readable = true;
	st->pa = page_pa(m->snap, r, st->va);
	if (!m->origin) {
		snprintf(st->note, sizeof st->note, "no original to compare with (a live sandbox's "
			 "snapshot has one)");
		return;
	}
	const char *what = m->origin_source[0] ? m->origin_source : "the original";
	gpa_t ro = root_of(m->origin, root);
	if (snap_read_gva_root(m->origin, ro, st->va, st->orig, sizeof st->orig, NULL, &err)) {
		snprintf(st->note, sizeof st->note, "original (%.100s): %.80s", what, err.msg);
		return;
	}
	st->orig_pa = page_pa(m->origin, ro, st->va);
	for (size_t i = 0; i < sizeof st->page; i++)
		st->ndiff += st->page[i] != st->orig[i];
	st->compare = st->ndiff > 0;
	if (st->compare)
		snprintf(st->note, sizeof st->note, "%u bytes differ from the original at PA %09"
			 PRIx64 " (%.100s)", st->ndiff, st->orig_pa, what);
	else
		snprintf(st->note, sizeof st->note, "same bytes as the original (%.100s) at PA %09"
			 PRIx64, what, st->orig_pa);
}

void hex_state_scroll(struct hex_state *st, int delta, int rows, int width)
{
	int lines = tui_hex_body_lines(st, width);
	long top = (long)st->top + delta;
	if (top > lines - rows)
		top = lines - rows;
	if (top < 0)
		top = 0;
	st->top = (int)top;
}

/* A marked byte of a '!' row: its two hex digits after the '*' are
 * reversed. The copy's cells are found from the row's shape (render_hex.c):
 * marker, label (4 or 16 columns), n original cells of 3, " |", n ASCII,
 * "| ", then the copy's n cells, separator first. */
static attr_t decorate(const char *line, int col)
{
	if (line[0] != '!')
		return 0;
	const char *bar = strchr(line, '|');
	const char *nl = strchr(line, '\n');
	if (!bar || (nl && bar > nl))
		return 0;
	int label = line[1] == '+' ? 4 : 16;
	int n = ((int)(bar - line) - 2 - label) / 3;
	int start = (int)(bar - line) + n + 2;
	if (n <= 0 || col < start || col >= start + 3 * n || (col - start) % 3 == 0)
		return 0;
	return line[start + 3 * ((col - start) / 3)] == '*' ? A_REVERSE : 0;
}

struct hex_render_arg {
	const struct tui_model *m;
	const struct hex_state *st;
};

static void render(FILE *f, const void *arg, int width, int height)
{
	const struct hex_render_arg *a = arg;
	tui_render_hex(f, a->m, a->st, width, height);
}

void tui_hex_draw(const struct tui_model *m, struct hex_state *st, int y, int h, int width)
{
	hex_state_scroll(st, 0, h - tui_render_hex_chrome(st), width);
	struct hex_render_arg a = { m, st };
	char *text = tui_render_string(render, &a, width, h);
	int top = 0;
	if (text)
		tui_draw_text(text, y, h, width, &top, decorate);
	free(text);
}
