/* view_pt.c — the page-table panel: tree with expand/collapse, jump to a
 * VA (prompt), filter. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "tui_internal.h"

struct pt_panel {
	struct tui_panel p;
	struct pt_state st;
};

static void render(FILE *f, const void *arg, int width, int height)
{
	const struct pt_panel *pp = arg;
	tui_render_pt(f, pp->p.m, &pp->st, width, height);
}

static void draw(struct tui_panel *p, int y, int h, int width)
{
	struct pt_panel *pp = (struct pt_panel *)p;
	/* keep the cursor inside the rows the renderer shows */
	pt_state_move(&pp->st, 0, h - tui_render_pt_chrome(&pp->st));
	char *text = tui_render_string(render, p, width, h);
	int top = 0;
	if (text)
		tui_draw_text(text, y, h, width, &top, NULL);
	free(text);
}

static bool key(struct tui_panel *p, enum tui_action a, int page_rows)
{
	struct pt_state *st = &((struct pt_panel *)p)->st;
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
	case TUI_ACT_TOGGLE:
		if (st->n_rows)
			pt_state_expand(st, !st->tree.nodes[st->rows[st->cursor]].expanded);
		break;
	case TUI_ACT_FILTER: pt_state_set_filter(st, (enum pt_filter)((st->filter + 1) % PT_FILTER__COUNT)); break;
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

static void panel_free(struct tui_panel *p)
{
	pt_state_free(&((struct pt_panel *)p)->st);
	free(p);
}

static const struct tui_panel_ops ops = {
	.draw = draw, .key = key, .prompt_question = "Go to VA (hex): ", .prompt = prompt,
	.free = panel_free,
};

struct tui_panel *tui_pt_panel(const struct tui_model *m, struct sb_err *err)
{
	struct pt_panel *pp = calloc(1, sizeof *pp);
	if (!pp || pt_state_init(&pp->st, m)) {
		free(pp);
		sb_errf(err, SB_E_NOMEM, "out of memory");
		return NULL;
	}
	pp->p = (struct tui_panel){ &ops, m, 0 };
	return &pp->p;
}
