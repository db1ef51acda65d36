/* view_layout.c — the layout panel: region table with a cursor. */
#include <stdlib.h>
#include <string.h>

#include "tui_internal.h"

struct layout_panel {
	struct tui_panel p;
	struct layout_state st;
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
	char *text = tui_render_string(render, p, width, h);
	/* show the end (the details box) as long as the cursor stays visible */
	p->top = 1 << 30;
	if (text)
		tui_draw_text(text, y, h, width, &p->top, decorate);
	free(text);
}

static bool key(struct tui_panel *p, enum tui_action a, int page_rows)
{
	struct layout_panel *lp = (struct layout_panel *)p;
	struct layout_region r[2 * LAYOUT_MAX_REGIONS];
	int n = (int)tui_layout_regions(p->m, r), c = lp->st.cursor;
	(void)page_rows;
	switch (a) {
	case TUI_ACT_UP: c--; break;
	case TUI_ACT_DOWN: c++; break;
	case TUI_ACT_HOME: case TUI_ACT_PAGE_UP: c = 0; break;
	case TUI_ACT_END: case TUI_ACT_PAGE_DOWN: c = n - 1; break;
	default: return false;
	}
	lp->st.cursor = c < 0 ? 0 : c >= n ? n - 1 : c;
	return false;
}

static void panel_free(struct tui_panel *p)
{
	free(p);
}

static const struct tui_panel_ops ops = {
	.draw = draw, .key = key, .free = panel_free,
};

struct tui_panel *tui_layout_panel(const struct tui_model *m, struct sb_err *err)
{
	struct layout_panel *lp = calloc(1, sizeof *lp);
	if (!lp) {
		sb_errf(err, SB_E_NOMEM, "out of memory");
		return NULL;
	}
	lp->p = (struct tui_panel){ &ops, m, 0 };
	return &lp->p;
}
