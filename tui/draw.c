/* draw.c — turning renderer text into curses output, and colours. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tui_internal.h"

static bool colour_on;

/* https://no-color.org: NO_COLOR set and non-empty disables colour. */
void tui_colour_init(void)
{
	const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");
	colour_on = has_colors() && !(nc && nc[0]) && !(term && strcmp(term, "dumb") == 0);
	if (!colour_on)
		return;
	start_color();
	use_default_colors();
	init_pair(1, COLOR_BLUE, -1);
	init_pair(2, COLOR_GREEN, -1);
	init_pair(3, COLOR_YELLOW, -1);
	init_pair(4, COLOR_MAGENTA, -1);
	init_pair(5, COLOR_CYAN, -1);
	init_pair(6, COLOR_RED, -1);
}

attr_t tui_letter_attr(char c)
{
	if (!colour_on) {
		/* letters carry the meaning; make the rare ones stand out */
		switch (c) {
		case 'A': case '~': case '+': case '-': return A_BOLD;
		default: return A_NORMAL;
		}
	}
	switch (c) {
	case 'C': case 'I': return COLOR_PAIR(1);
	case 'D': case 'H': case '=': return COLOR_PAIR(2);
	case 'S': case 'O': case '~': return COLOR_PAIR(3);
	case 'T': case 'P': return COLOR_PAIR(4);
	case 'Z': case 'F': case '+': return COLOR_PAIR(5);
	case 'A': case 'E': case '-': return COLOR_PAIR(6) | A_BOLD;
	default: return A_NORMAL;
	}
}

char *tui_render_string(tui_render_fn fn, const void *arg, int width, int height)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	fn(f, arg, width, height);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}

int tui_text_cursor_line(const char *text)
{
	int line = 0;
	for (const char *p = text; *p; line++) {
		if (*p == '>')
			return line;
		const char *nl = strchr(p, '\n');
		p = nl ? nl + 1 : p + strlen(p);
	}
	return -1;
}

int tui_text_search(const char *text, const char *needle, int from, int dir)
{
	int nlines = 0;
	for (const char *p = text; *p; nlines++) {
		const char *nl = strchr(p, '\n');
		p = nl ? nl + 1 : p + strlen(p);
	}
	size_t nlen = strlen(needle);
	if (!nlen || !nlines)
		return -1;
	for (int k = 1; k <= nlines; k++) {
		int want = ((from + dir * k) % nlines + nlines) % nlines, line = 0;
		const char *p = text;
		while (line < want) {
			p = strchr(p, '\n') + 1;
			line++;
		}
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		for (size_t c = 0; c + nlen <= len; c++)
			if (strncasecmp(p + c, needle, nlen) == 0)
				return want;
	}
	return -1;
}

bool tui_panel_text_search(struct tui_panel *p, tui_render_fn fn, const void *arg, const char *needle,
			   int dir)
{
	char *all = tui_render_string(fn, arg, getmaxx(stdscr) > 0 ? getmaxx(stdscr) : 80, 0);
	int line = all ? tui_text_search(all, needle, p->top, dir) : -1;
	free(all);
	if (line < 0)
		return false;
	p->top = line;
	p->scrolled = true;
	return true;
}

bool tui_panel_scroll(struct tui_panel *p, enum tui_action a, int page_rows)
{
	switch (a) {
	case TUI_ACT_UP: case TUI_ACT_SCROLL_UP: p->top--; break;
	case TUI_ACT_DOWN: case TUI_ACT_SCROLL_DOWN: p->top++; break;
	case TUI_ACT_PAGE_UP: p->top -= page_rows; break;
	case TUI_ACT_PAGE_DOWN: p->top += page_rows; break;
	case TUI_ACT_HOME: p->top = 0; break;
	case TUI_ACT_END: p->top = 1 << 30; break; /* clamped when drawn */
	default: return false;
	}
	if (p->top < 0)
		p->top = 0;
	p->scrolled = true;
	return true;
}

void tui_draw_text(const char *text, int y, int h, int width, int *top, tui_decorate_fn decorate)
{
	tui_draw_text_at(text, y, h, width, top, decorate, tui_text_cursor_line(text));
}

void tui_draw_text_at(const char *text, int y, int h, int width, int *top, tui_decorate_fn decorate,
		      int follow)
{
	int nlines = 0, cursor = follow;
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		nlines++;
		p = nl ? nl + 1 : p + strlen(p);
	}
	if (cursor >= 0) {
		if (cursor < *top)
			*top = cursor;
		if (cursor >= *top + h)
			*top = cursor - h + 1;
	}
	if (*top > nlines - h)
		*top = nlines - h;
	if (*top < 0)
		*top = 0;
	const char *p = text;
	for (int i = 0; i < *top && *p; i++) {
		const char *nl = strchr(p, '\n');
		p = nl ? nl + 1 : p + strlen(p);
	}
	for (int row = 0; row < h && *p; row++) {
		const char *nl = strchr(p, '\n');
		int len = nl ? (int)(nl - p) : (int)strlen(p);
		attr_t base = A_NORMAL;
		if (*p == '>')
			base = A_REVERSE;
		else if (strncmp(p, "--", 2) == 0)
			base = A_BOLD;
		move(y + row, 0);
		for (int c = 0; c < len && c < width; c++) {
			attr_t a = base | (decorate && base == A_NORMAL ? decorate(p, c) : A_NORMAL);
			addch((chtype)(unsigned char)p[c] | a);
		}
		if (base == A_REVERSE)
			for (int c = len; c < width; c++)
				addch(' ' | A_REVERSE);
		p = nl ? nl + 1 : p + len;
	}
}
