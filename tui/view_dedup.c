/* view_dedup.c — the dedup panel: page grid with a cursor (the page under
 * it is listed below the grid with every VA that maps it, so an aliased
 * page's "+N more" can be read), or the compare. */
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "tui_internal.h"

struct dedup_panel {
	struct tui_panel p;
	struct dedup_state st;
	int width;      /* of the last draw: grid cells per row follow it */
	int grid0_line; /* text line of the grid's first row (last draw) */
};

static void render(FILE *f, const void *arg, int width, int height)
{
	const struct dedup_panel *dp = arg;
	tui_render_dedup(f, dp->p.m, &dp->st, width, height);
}

/* The cursor's cell, for decorate (curses draws one panel at a time). */
static char cursor_prefix[16];
static int cursor_col = -1;

/* Grid rows start with a hex address and two spaces: colour the letters;
 * the cell under the cursor is reversed. */
static attr_t decorate(const char *line, int col)
{
	int n = 0;
	while (isxdigit((unsigned char)line[n]))
		n++;
	if ((n != 9 && n != 16) || line[n] != ' ' || line[n + 1] != ' ' || col < n + 2)
		return A_NORMAL;
	if (col == cursor_col && cursor_prefix[0] && strncmp(line, cursor_prefix, strlen(cursor_prefix)) == 0)
		return A_REVERSE | A_BOLD;
	return tui_letter_attr(line[col]);
}

/* Text line of the grid row holding page `page`, and its column. */
static void cursor_cell(const struct dedup_panel *dp, int width, int *line, int *col)
{
	int cells = tui_dedup_grid_cells(width);
	uint64_t row = (uint64_t)dp->st.cursor / (uint64_t)cells, c = (uint64_t)dp->st.cursor % (uint64_t)cells;
	*line = dp->grid0_line + (int)row;
	*col = 11 + (int)c + (int)(c / 8);
	snprintf(cursor_prefix, sizeof cursor_prefix, "%09" PRIx64 "  ",
		 (uint64_t)(SB_BASE_ADDRESS + row * (uint64_t)cells * SB_PAGE_SIZE));
}

static void draw(struct tui_panel *p, int y, int h, int width)
{
	struct dedup_panel *dp = (struct dedup_panel *)p;
	dp->width = width;
	char *text = tui_render_string(render, p, width, h);
	if (!text)
		return;
	int follow = -1;
	cursor_prefix[0] = '\0';
	cursor_col = -1;
	if (dp->st.mode == DEDUP_MODE_PAGES && dp->st.cursor >= 0) {
		/* the grid's first row: the first line starting "000001000  " */
		char first[16];
		snprintf(first, sizeof first, "%09" PRIx64 "  ", (uint64_t)SB_BASE_ADDRESS);
		dp->grid0_line = tui_text_search(text, first, -1, 1);
		if (dp->grid0_line >= 0) {
			cursor_cell(dp, width, &follow, &cursor_col);
			if (p->scrolled)
				follow = -1;
		}
	}
	tui_draw_text_at(text, y, h, width, &p->top, decorate, follow);
	free(text);
}

static void move_cursor(struct dedup_panel *dp, int64_t delta)
{
	int64_t c = dp->st.cursor + delta, n = dp->st.info ? (int64_t)dp->st.info->pages : 0;
	dp->st.cursor = c < 0 ? 0 : c >= n ? n - 1 : c;
	dp->p.scrolled = false;
}

static bool key(struct tui_panel *p, enum tui_action a, int page_rows)
{
	struct dedup_panel *dp = (struct dedup_panel *)p;
	int cells = tui_dedup_grid_cells(dp->width ? dp->width : getmaxx(stdscr));
	bool grid = dp->st.mode == DEDUP_MODE_PAGES && dp->st.info && dp->st.info->pages;
	switch (a) {
	case TUI_ACT_MODE:
		if (!dp->st.cmp)
			break;
		dp->st.mode = dp->st.mode == DEDUP_MODE_PAGES ? DEDUP_MODE_COMPARE : DEDUP_MODE_PAGES;
		p->top = 0;
		break;
	/* in the grid, arrows and h/l move the cursor; PgUp/PgDn, Home/End scroll */
	case TUI_ACT_UP: case TUI_ACT_DOWN:
		if (grid)
			move_cursor(dp, a == TUI_ACT_UP ? -cells : cells);
		else
			tui_panel_scroll(p, a, page_rows);
		break;
	case TUI_ACT_EXPAND: case TUI_ACT_COLLAPSE:
		if (grid)
			move_cursor(dp, a == TUI_ACT_COLLAPSE ? -1 : 1);
		break;
	case TUI_ACT_NEXT_ALIAS:
		for (int64_t i = 1; grid && i <= (int64_t)dp->st.info->pages; i++) {
			uint64_t pg = (uint64_t)(dp->st.cursor + i) % dp->st.info->pages;
			size_t first;
			if (tui_dedup_page_maps(dp->st.info, pg, &first) >= 2) {
				dp->st.cursor = (int64_t)pg;
				p->scrolled = false;
				break;
			}
		}
		break;
	default:
		tui_panel_scroll(p, a, page_rows);
		break;
	}
	return false;
}

static bool applies(const struct tui_panel *p, enum tui_action a)
{
	const struct dedup_panel *dp = (const struct dedup_panel *)p;
	if (a == TUI_ACT_MODE)
		return dp->st.cmp != NULL;
	if (a == TUI_ACT_NEXT_ALIAS)
		return dp->st.mode == DEDUP_MODE_PAGES && dp->st.info && dp->st.info->aliased_pages;
	return true;
}

/* `/`: a hex address puts the cursor on the page at that GPA, or on the
 * page a VA maps; other text is searched in the text shown. */
static bool search(struct tui_panel *p, const char *text, int dir)
{
	struct dedup_panel *dp = (struct dedup_panel *)p;
	const struct dedup_info *d = dp->st.info;
	char *end;
	unsigned long long a = strtoull(text, &end, 16);
	if (dp->st.mode == DEDUP_MODE_PAGES && d && text[0] && !*end) {
		if (a >= SB_BASE_ADDRESS && (a - SB_BASE_ADDRESS) / SB_PAGE_SIZE < d->pages) {
			dp->st.cursor = (int64_t)((a - SB_BASE_ADDRESS) / SB_PAGE_SIZE);
			p->scrolled = false;
			return true;
		}
		for (size_t i = 0; i < d->n_maps; i++)
			if (a - d->maps[i].va < SB_PAGE_SIZE) {
				dp->st.cursor = (int64_t)d->maps[i].page;
				p->scrolled = false;
				return true;
			}
	}
	return tui_panel_text_search(p, render, p, text, dir);
}

/* A click on a grid cell puts the cursor there. */
static void click(struct tui_panel *p, int row, int col)
{
	struct dedup_panel *dp = (struct dedup_panel *)p;
	int cells = tui_dedup_grid_cells(dp->width), line = p->top + row - dp->grid0_line;
	int c = col - 11; /* "000001000  CCCCCCCC DDDD..." */
	if (dp->st.mode != DEDUP_MODE_PAGES || !dp->st.info || line < 0 || c < 0 || c % 9 == 8)
		return;
	c = c / 9 * 8 + c % 9;
	if (c >= cells || line >= (int)((dp->st.info->pages + (uint64_t)cells - 1) / (uint64_t)cells))
		return;
	int64_t pg = (int64_t)line * cells + c;
	if ((uint64_t)pg < dp->st.info->pages) {
		dp->st.cursor = pg;
		p->scrolled = true;
	}
}

static void panel_free(struct tui_panel *p)
{
	dedup_state_free(&((struct dedup_panel *)p)->st);
	free(p);
}

static const struct tui_panel_ops ops = {
	.draw = draw, .key = key, .free = panel_free, .applies = applies, .search = search,
	.click = click,
};

struct tui_panel *tui_dedup_panel(const struct tui_model *m, struct sb_err *err)
{
	struct dedup_panel *dp = calloc(1, sizeof *dp);
	if (!dp) {
		sb_errf(err, SB_E_NOMEM, "out of memory");
		return NULL;
	}
	if (dedup_state_init(&dp->st, m, err)) {
		free(dp);
		return NULL;
	}
	dp->st.cursor = 0; /* on screen the grid has a cursor; dumps show none */
	dp->p = (struct tui_panel){ &ops, m, 0, false };
	return &dp->p;
}
