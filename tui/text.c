/* text.c — small formatting helpers shared by the text renderers. */
#include <inttypes.h>
#include <string.h>

#include "tui.h"

/* ns with 3 significant-ish digits: "812ns", "9.51us", "1.20ms", "2.00s". */
const char *tui_human_ns(uint64_t ns, char *buf, size_t n)
{
	if (ns < 1000)
		snprintf(buf, n, "%" PRIu64 "ns", ns);
	else if (ns < 1000000)
		snprintf(buf, n, "%.2fus", ns / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, n, "%.2fms", ns / 1e6);
	else
		snprintf(buf, n, "%.2fs", ns / 1e9);
	return buf;
}

/* "-- title -----...": a section rule exactly `width` columns wide. */
void tui_hline(FILE *f, int width, const char *title)
{
	int used = 0;
	if (title && title[0])
		used = fprintf(f, "-- %s ", title);
	for (; used < width; used++)
		fputc('-', f);
	fputc('\n', f);
}

static const char *const view_names[] = { "layout", "pt", "dedup", "live" };
static const char *const view_titles[] = { "Layout", "Page tables", "Dedup", "Live run" };

const char *tui_view_title(enum tui_view v)
{
	return v < TUI_VIEW__COUNT ? view_titles[v] : "?";
}

bool tui_view_parse(const char *name, enum tui_view *out)
{
	for (int v = 0; v < TUI_VIEW__COUNT; v++)
		if (strcmp(name, view_names[v]) == 0) {
			*out = (enum tui_view)v;
			return true;
		}
	return false;
}
