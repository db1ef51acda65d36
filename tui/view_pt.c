/* view_pt.c — the page-table panel: tree with expand/collapse, jump to a
 * VA (prompt), filter; Enter on a leaf opens the hex view of its page over
 * the tree (view_hex.c), q or Esc close it. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tui_internal.h"

struct pt_panel {
	struct tui_panel p;
	struct pt_state st;
	struct hex_state *hex; /* the hex view, open over the tree; NULL = closed */
};

static void render(FILE *f, const void *arg, int width, int height)
{
	const struct pt_panel *pp = arg;
	tui_render_pt(f, pp->p.m, &pp->st, width, height);
}

static void draw(struct tui_panel *p, int y, int h, int width)
{
	struct pt_panel *pp = (struct pt_panel *)p;
	if (pp->hex) {
		tui_hex_draw(p->m, pp->hex, y, h, width);
		return;
	}
	/* keep the cursor inside the rows the renderer shows */
	pt_state_move(&pp->st, 0, h - tui_render_pt_chrome(&pp->st));
	char *text = tui_render_string(render, p, width, h);
	int top = 0;
	if (text)
		tui_draw_text(text, y, h, width, &top, NULL);
	free(text);
}

/* The hex view's keys: scrolling (q and Esc come through back()). */
static void hex_key(struct hex_state *hx, enum tui_action a, int page_rows)
{
	int rows = page_rows - tui_render_hex_chrome(hx), width = getmaxx(stdscr);
	if (rows < 1)
		rows = 1;
	switch (a) {
	case TUI_ACT_UP: hex_state_scroll(hx, -1, rows, width); break;
	case TUI_ACT_DOWN: hex_state_scroll(hx, 1, rows, width); break;
	case TUI_ACT_PAGE_UP: hex_state_scroll(hx, -rows, rows, width); break;
	case TUI_ACT_PAGE_DOWN: hex_state_scroll(hx, rows, rows, width); break;
	case TUI_ACT_HOME: hex_state_scroll(hx, -hx->top, rows, width); break;
	case TUI_ACT_END: hex_state_scroll(hx, 4096, rows, width); break;
	default: break;
	}
}

/* Enter on a leaf: its page (a large page: the 4 KiB page of the VA last
 * jumped to if it lies inside, else its first). */
static void open_hex(struct pt_panel *pp)
{
	const struct pt_state *st = &pp->st;
	if (!st->n_rows)
		return;
	const struct pt_entry_info *e = &st->tree.nodes[st->rows[st->cursor]].e;
	if (e->what != PT_ENTRY_LEAF)
		return;
	gva_t va = e->va;
	if (st->jumped && st->jump_va - e->va < e->span_bytes)
		va = st->jump_va;
	struct hex_state *hx = malloc(sizeof *hx);
	if (!hx)
		return;
	hex_state_open(hx, pp->p.m, st->root, va);
	pp->hex = hx;
}

static bool back(struct tui_panel *p)
{
	struct pt_panel *pp = (struct pt_panel *)p;
	if (!pp->hex)
		return false;
	free(pp->hex);
	pp->hex = NULL;
	return true;
}

static bool key(struct tui_panel *p, enum tui_action a, int page_rows)
{
	struct pt_panel *pp = (struct pt_panel *)p;
	struct pt_state *st = &pp->st;
	if (a == TUI_ACT_SCROLL_UP || a == TUI_ACT_SCROLL_DOWN) /* the wheel moves the cursor */
		a = a == TUI_ACT_SCROLL_UP ? TUI_ACT_UP : TUI_ACT_DOWN;
	if (pp->hex) {
		hex_key(pp->hex, a, page_rows);
		return false;
	}
	int rows = page_rows - tui_render_pt_chrome(st);
	if (rows < 1)
		rows = 1;
	switch (a) {
	case TUI_ACT_UP: pt_state_move(st, -1, rows); break;
	case TUI_ACT_DOWN: pt_state_move(st, 1, rows); break;
	case TUI_ACT_PAGE_UP: pt_state_move(st, -rows, rows); break;
	case TUI_ACT_PAGE_DOWN: pt_state_move(st, rows, rows); break;
	case TUI_ACT_HOME: pt_state_move(st, -st->cursor, rows); break;
	case TUI_ACT_END: pt_state_move(st, (int)st->n_rows, rows); break;
	case TUI_ACT_EXPAND: pt_state_expand(st, true); break;
	case TUI_ACT_COLLAPSE: pt_state_expand(st, false); break;
	case TUI_ACT_EXPAND_ALL: pt_state_expand_all(st, true); break;
	case TUI_ACT_COLLAPSE_ALL: pt_state_expand_all(st, false); break;
	case TUI_ACT_TOGGLE:
		if (st->n_rows && st->tree.nodes[st->rows[st->cursor]].e.what == PT_ENTRY_LEAF)
			open_hex(pp);
		else if (st->n_rows)
			pt_state_expand(st, !st->tree.nodes[st->rows[st->cursor]].expanded);
		break;
	case TUI_ACT_FILTER: pt_state_set_filter(st, (enum pt_filter)((st->filter + 1) % PT_FILTER__COUNT)); break;
	case TUI_ACT_ROOT:
		if (st->nroots > 1)
			pt_state_set_root(st, p->m, (st->root + 1) % st->nroots);
		break;
	case TUI_ACT_GOTO: return true; /* ask for the VA */
	default: break;
	}
	return false;
}

static void prompt(struct tui_panel *p, const char *text)
{
	struct pt_state *st = &((struct pt_panel *)p)->st;
	char *end;
	errno = 0;
	unsigned long long va = strtoull(text, &end, 16);
	while (*end == ' ')
		end++;
	if (!text[0] || *end || errno)
		snprintf(st->msg, sizeof st->msg, "not a hex VA: '%.60s'", text);
	else
		pt_state_jump(st, (gva_t)va);
}

static int context(const struct tui_panel *p)
{
	return ((const struct pt_panel *)p)->hex ? TUI_CTX_HEX : TUI_VIEW_PT;
}

static bool applies(const struct tui_panel *p, enum tui_action a)
{
	const struct pt_panel *pp = (const struct pt_panel *)p;
	if (pp->hex) /* the hex view only scrolls and goes back */
		return a != TUI_ACT_SEARCH && a != TUI_ACT_SEARCH_NEXT && a != TUI_ACT_SEARCH_PREV;
	if (a == TUI_ACT_ROOT)
		return pp->st.nroots > 1;
	return true;
}

/* `/`: a hex VA jumps to it (its translation path, as `:`); a region
 * name jumps to the region's first VA; other text (a flag such as cow, a
 * level name, a PA) finds the next entry whose row holds it. */
static bool search(struct tui_panel *p, const char *text, int dir)
{
	struct pt_panel *pp = (struct pt_panel *)p;
	struct pt_state *st = &pp->st;
	if (pp->hex)
		return false;
	const char *h = strncasecmp(text, "0x", 2) == 0 ? text + 2 : text;
	char *end;
	errno = 0;
	unsigned long long va = strtoull(h, &end, 16);
	if (h[0] && !*end && !errno && strlen(h) >= 4) {
		pt_state_jump(st, (gva_t)va);
		return true;
	}
	struct layout_region r[2 * LAYOUT_MAX_REGIONS];
	size_t n = tui_layout_regions(p->m, r);
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(layout_region_name(r[i].kind), text) == 0) {
			pt_state_jump(st, (gva_t)r[i].gva);
			return true;
		}
	return pt_state_search(st, text, dir);
}

/* A click on a tree row puts the cursor there. */
static void click(struct tui_panel *p, int row, int col)
{
	struct pt_state *st = &((struct pt_panel *)p)->st;
	int first_row = 4; /* source, header, column heads, rule */
	(void)col;
	if (((struct pt_panel *)p)->hex || row < first_row)
		return;
	int i = st->top + row - first_row;
	if (i >= 0 && (size_t)i < st->n_rows)
		st->cursor = i;
}

static void panel_free(struct tui_panel *p)
{
	pt_state_free(&((struct pt_panel *)p)->st);
	free(((struct pt_panel *)p)->hex);
	free(p);
}

static const struct tui_panel_ops ops = {
	.draw = draw, .key = key, .prompt_question = "Go to VA (hex): ", .prompt = prompt,
	.free = panel_free, .back = back, .context = context, .applies = applies, .search = search,
	.click = click,
};

struct tui_panel *tui_pt_panel(const struct tui_model *m, struct sb_err *err)
{
	struct pt_panel *pp = calloc(1, sizeof *pp);
	if (!pp || pt_state_init(&pp->st, m)) {
		free(pp);
		sb_errf(err, SB_E_NOMEM, "out of memory");
		return NULL;
	}
	pp->p = (struct tui_panel){ &ops, m, 0, false };
	return &pp->p;
}
