/* view_dedup.c — the dedup panel: page grid + aliases, or the compare. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "tui_internal.h"

struct dedup_panel {
	struct tui_panel p;
	struct dedup_state st;
	int lines; /* of the last render, for paging */
};

static void render(FILE *f, const void *arg, int width, int height)
{
	const struct dedup_panel *dp = arg;
	tui_render_dedup(f, dp->p.m, &dp->st, width, height);
}

/* Grid rows start with a hex address and two spaces: colour the letters. */
static attr_t decorate(const char *line, int col)
{
	int n = 0;
	while (isxdigit((unsigned char)line[n]))
		n++;
	if ((n != 9 && n != 16) || line[n] != ' ' || line[n + 1] != ' ' || col < n + 2)
		return A_NORMAL;
	return tui_letter_attr(line[col]);
}

static void draw(struct tui_panel *p, int y, int h, int width)
{
	char *text = tui_render_string(render, p, width, h);
	if (text)
		tui_draw_text(text, y, h, width, &p->top, decorate);
	free(text);
}

static bool key(struct tui_panel *p, enum tui_action a, int page_rows)
{
	struct dedup_panel *dp = (struct dedup_panel *)p;
	switch (a) {
	case TUI_ACT_UP: p->top--; break;
	case TUI_ACT_DOWN: p->top++; break;
	case TUI_ACT_PAGE_UP: p->top -= page_rows; break;
	case TUI_ACT_PAGE_DOWN: p->top += page_rows; break;
	case TUI_ACT_HOME: p->top = 0; break;
	case TUI_ACT_END: p->top = 1 << 30; break; /* clamped when drawn */
	case TUI_ACT_MODE:
		dp->st.mode = dp->st.mode == DEDUP_MODE_PAGES ? DEDUP_MODE_COMPARE : DEDUP_MODE_PAGES;
		p->top = 0;
		break;
	default: return false;
	}
	if (p->top < 0)
		p->top = 0;
	return false;
}

static void panel_free(struct tui_panel *p)
{
	dedup_state_free(&((struct dedup_panel *)p)->st);
	free(p);
}

static const struct tui_panel_ops ops = {
	.draw = draw, .key = key, .free = panel_free,
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
	dp->p = (struct tui_panel){ &ops, m, 0 };
	return &dp->p;
}
