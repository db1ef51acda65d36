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

/* Alternatives (same view, action and help) share one line: "Up/k". */
static bool alternative(const struct tui_binding *a, const struct tui_binding *b)
{
	return a->view == b->view && a->action == b->action && strcmp(a->help, b->help) == 0;
}

static void section(FILE *f, const struct tui_binding *b, size_t n, int view, int width)
{
	for (size_t i = 0; i < n; i++) {
		if (b[i].view != view || duplicate(b, i))
			continue;
		bool seen = false;
		for (size_t j = 0; j < i; j++)
			seen |= alternative(&b[j], &b[i]);
		if (seen)
			continue;
		char names[32];
		int len = snprintf(names, sizeof names, "%s", b[i].name);
		for (size_t j = i + 1; j < n; j++)
			if (alternative(&b[i], &b[j]) && !duplicate(b, j) && len < (int)sizeof names)
				len += snprintf(names + len, sizeof names - (size_t)len, "/%s", b[j].name);
		fprintf(f, "  %-8s %.*s\n", names, width > 13 ? width - 13 : 1, b[i].help);
	}
}

void tui_render_help(FILE *f, int width)
{
	size_t n;
	const struct tui_binding *b = tui_bindings(&n);
	fprintf(f, "snapbench tui: keys (? or q closes this help)\n");
	tui_hline(f, width, "everywhere");
	section(f, b, n, TUI_VIEW_ANY, width);
	for (int v = 0; v < TUI_CTX__COUNT; v++) {
		bool any = false;
		for (size_t i = 0; i < n; i++)
			any |= b[i].view == v;
		if (!any)
			continue;
		char title[64];
		if (v == TUI_CTX_HEX)
			snprintf(title, sizeof title, "2 %s: hex view (Enter on a page)",
				 tui_view_title(TUI_VIEW_PT));
		else
			snprintf(title, sizeof title, "%d %s", v + 1, tui_view_title((enum tui_view)v));
		tui_hline(f, width, title);
		section(f, b, n, v, width);
	}
	fprintf(f, "Mouse: a click selects (a row, a grid page, a tab), the wheel scrolls.\n"
		   "Colours are off when NO_COLOR is set or the terminal has none;\n"
		   "every view then marks kinds with letters and the cursor in reverse.\n");
}

/* Does the context bind `key` itself (to another action)? */
static bool overridden(const struct tui_binding *b, size_t n, int key, int view)
{
	for (size_t i = 0; i < n; i++)
		if (b[i].key == key && b[i].view == view)
			return true;
	return false;
}

void tui_render_keybar_if(FILE *f, int view, int width, tui_applies_fn applies, tui_label_fn label,
			  const void *arg)
{
	size_t n;
	const struct tui_binding *b = tui_bindings(&n);
	int used = 0;
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < n; i++) {
			if (!b[i].bar || b[i].view != (pass ? view : TUI_VIEW_ANY))
				continue;
			if (!pass && overridden(b, n, b[i].key, view))
				continue;
			if (applies && !applies(arg, b[i].action))
				continue;
			const char *bar = label ? label(arg, b[i].action) : NULL;
			if (!bar)
				bar = b[i].bar;
			int len = (int)(strlen(b[i].name) + strlen(bar) + 2);
			if (used + len > width)
				break;
			used += fprintf(f, "%s %s ", b[i].name, bar);
		}
	fputc('\n', f);
}

void tui_render_keybar(FILE *f, int view, int width)
{
	tui_render_keybar_if(f, view, width, NULL, NULL, NULL);
}
