/* view_layout.c — the layout panel: region table with a cursor. */
#include <stdlib.h>
#include <string.h>

#include "tui_internal.h"

struct layout_panel {
	struct tui_panel p;
	struct layout_state st;
	int region0_line; /* text line of the first region's row (last draw) */
};

static void render(FILE *f, const void *arg, int width, int height)
{
	const struct layout_panel *lp = arg;
	tui_render_layout(f, lp->p.m, &lp->st, width, height);
}

/* Colour the letters inside the map bars. */
static attr_t decorate(const char *line, int col)
{
	if (strncmp(line, "snapshot ", 9) && strncmp(line, "scratch  ", 9))
		return A_NORMAL;
	const char *open = strchr(line, '['), *close = open ? strchr(open, ']') : NULL;
	if (!open || !close || col <= open - line || col >= close - line)
		return A_NORMAL;
	return tui_letter_attr(line[col]);
}

static void draw(struct tui_panel *p, int y, int h, int width)
{
	struct layout_panel *lp = (struct layout_panel *)p;
	char *text = tui_render_string(render, p, width, h);
	if (!text)
		return;
	int cursor = tui_text_cursor_line(text);
	lp->region0_line = cursor - lp->st.cursor;
	/* the cursor stays in sight unless the text was scrolled (PgUp, Home:
	 * the source line, the summary and the map bars above the table) */
	tui_draw_text_at(text, y, h, width, &p->top, decorate, p->scrolled ? -1 : cursor);
	free(text);
}

static bool key(struct tui_panel *p, enum tui_action a, int page_rows)
{
	struct layout_panel *lp = (struct layout_panel *)p;
	struct layout_region r[2 * LAYOUT_MAX_REGIONS];
	int n = (int)tui_layout_regions(p->m, r), c = lp->st.cursor;
	switch (a) {
	/* Up on the first region, Down on the last: scroll the text instead */
	case TUI_ACT_UP:
		if (c == 0)
			return tui_panel_scroll(p, a, page_rows), false;
		c--;
		break;
	case TUI_ACT_DOWN:
		if (c == n - 1)
			return tui_panel_scroll(p, a, page_rows), false;
		c++;
		break;
	case TUI_ACT_HOME: c = 0; tui_panel_scroll(p, a, page_rows); break;
	case TUI_ACT_END: c = n - 1; tui_panel_scroll(p, a, page_rows); break;
	case TUI_ACT_PAGE_UP: case TUI_ACT_PAGE_DOWN: case TUI_ACT_SCROLL_UP: case TUI_ACT_SCROLL_DOWN:
		tui_panel_scroll(p, a, page_rows);
		return false;
	default: return false;
	}
	lp->st.cursor = c < 0 ? 0 : c >= n ? n - 1 : c;
	if (a == TUI_ACT_UP || a == TUI_ACT_DOWN)
		p->scrolled = false;
	return false;
}

/* `/`: a region whose name holds the text (next after the cursor), else
 * the text shown ("RWX", a GPA). */
static bool search(struct tui_panel *p, const char *text, int dir)
{
	struct layout_panel *lp = (struct layout_panel *)p;
	struct layout_region r[2 * LAYOUT_MAX_REGIONS];
	int n = (int)tui_layout_regions(p->m, r);
	for (int k = 1; k <= n; k++) { /* (n = 0: no iteration, no % 0) */
		int i = ((lp->st.cursor + dir * k) % n + n) % n;
		if (strcasestr(layout_region_name(r[i].kind), text)) {
			lp->st.cursor = i;
			p->scrolled = false;
			return true;
		}
	}
	return tui_panel_text_search(p, render, p, text, dir);
}

static void click(struct tui_panel *p, int row, int col)
{
	(void)col;
	struct layout_panel *lp = (struct layout_panel *)p;
	struct layout_region r[2 * LAYOUT_MAX_REGIONS];
	int n = (int)tui_layout_regions(p->m, r), i = p->top + row - lp->region0_line;
	if (i >= 0 && i < n) {
		lp->st.cursor = i;
		p->scrolled = true; /* the row clicked stays where it is */
	}
}

static void panel_free(struct tui_panel *p)
{
	free(p);
}

static const struct tui_panel_ops ops = {
	.draw = draw, .key = key, .free = panel_free, .search = search, .click = click,
};

struct tui_panel *tui_layout_panel(const struct tui_model *m, struct sb_err *err)
{
	struct layout_panel *lp = calloc(1, sizeof *lp);
	if (!lp) {
		sb_errf(err, SB_E_NOMEM, "out of memory");
		return NULL;
	}
	/* first drawn at its end (the details box), the cursor in sight */
	lp->p = (struct tui_panel){ &ops, m, 1 << 30, false };
	return &lp->p;
}
