/* render_help.c — the help screen and the key bar, from the binding table. */
#include <string.h>

#include "tui.h"

/* Has an earlier binding of the same view the same action and key name?
 * (Enter is bound three times: LF, CR, KEY_ENTER.) */
static bool duplicate(const struct tui_binding *b, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (b[j].view == b[i].view && b[j].action == b[i].action &&
		    strcmp(b[j].name, b[i].name) == 0)
			return true;
	return false;
}

static void section(FILE *f, const struct tui_binding *b, size_t n, int view, int width)
{
	for (size_t i = 0; i < n; i++) {
		if (b[i].view != view || duplicate(b, i))
			continue;
		fprintf(f, "  %-8s %.*s\n", b[i].name, width > 13 ? width - 13 : 1, b[i].help);
	}
}

void tui_render_help(FILE *f, int width)
{
	size_t n;
	const struct tui_binding *b = tui_bindings(&n);
	fprintf(f, "snapbench tui: keys (? or q closes this help)\n");
	tui_hline(f, width, "everywhere");
	section(f, b, n, TUI_VIEW_ANY, width);
	for (int v = 0; v < TUI_VIEW__COUNT; v++) {
		bool any = false;
		for (size_t i = 0; i < n; i++)
			any |= b[i].view == v;
		if (!any)
			continue;
		char title[64];
		snprintf(title, sizeof title, "%d %s", v + 1, tui_view_title((enum tui_view)v));
		tui_hline(f, width, title);
		section(f, b, n, v, width);
	}
	fprintf(f, "Colours are off when NO_COLOR is set or the terminal has none;\n"
		   "every view then marks kinds with letters and the cursor in reverse.\n");
}

void tui_render_keybar(FILE *f, enum tui_view view, int width)
{
	size_t n;
	const struct tui_binding *b = tui_bindings(&n);
	int used = 0;
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < n; i++) {
			if (!b[i].bar || b[i].view != (pass ? (int)view : TUI_VIEW_ANY))
				continue;
			int len = (int)(strlen(b[i].name) + strlen(b[i].bar) + 2);
			if (used + len > width)
				break;
			used += fprintf(f, "%s %s ", b[i].name, b[i].bar);
		}
	fputc('\n', f);
}
