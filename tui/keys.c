/* keys.c — THE key-binding table: the key map, the help screen and the
 * bottom key bar are all generated from it. */
#include <curses.h>

#include "tui.h"

#define ANY TUI_VIEW_ANY
#define KEY_TAB '\t'
#define KEY_ENTER_CR '\r'
#define KEY_ENTER_LF '\n'
#define KEY_ESC 27

/* Order matters: the first binding of an action in a view names it in the
 * bar; later ones are alternatives shown only on the help screen. */
static const struct tui_binding bindings[] = {
	{ '?', "?", ANY, TUI_ACT_HELP, "show / hide this help", "Help" },
	{ 'q', "q", ANY, TUI_ACT_QUIT, "quit (the live view: writes the results first)", "Quit" },
	{ KEY_TAB, "Tab", ANY, TUI_ACT_NEXT_VIEW, "next view", "View" },
	{ KEY_BTAB, "S-Tab", ANY, TUI_ACT_PREV_VIEW, "previous view", NULL },
	{ '1', "1", ANY, TUI_ACT_VIEW_LAYOUT, "layout view", NULL },
	{ '2', "2", ANY, TUI_ACT_VIEW_PT, "page-table view", NULL },
	{ '3', "3", ANY, TUI_ACT_VIEW_DEDUP, "dedup view", NULL },
	{ '4', "4", ANY, TUI_ACT_VIEW_LIVE, "live-run view", NULL },
	{ '/', "/", ANY, TUI_ACT_SEARCH, "search: a VA (hex), a region name, a flag (cow), any text",
	  "Search" },
	{ 'n', "n", ANY, TUI_ACT_SEARCH_NEXT, "next hit of the search", NULL },
	{ 'N', "N", ANY, TUI_ACT_SEARCH_PREV, "previous hit of the search", NULL },
	{ KEY_UP, "Up", ANY, TUI_ACT_UP, "move up / scroll up", NULL },
	{ 'k', "k", ANY, TUI_ACT_UP, "move up / scroll up", NULL },
	{ KEY_DOWN, "Down", ANY, TUI_ACT_DOWN, "move down / scroll down", NULL },
	{ 'j', "j", ANY, TUI_ACT_DOWN, "move down / scroll down", NULL },
	{ KEY_PPAGE, "PgUp", ANY, TUI_ACT_PAGE_UP, "page up", NULL },
	{ KEY_NPAGE, "PgDn", ANY, TUI_ACT_PAGE_DOWN, "page down", NULL },
	{ KEY_HOME, "Home", ANY, TUI_ACT_HOME, "top (first row)", NULL },
	{ 'g', "g", ANY, TUI_ACT_HOME, "top (first row)", NULL },
	{ KEY_END, "End", ANY, TUI_ACT_END, "bottom (last row)", NULL },
	{ 'G', "G", ANY, TUI_ACT_END, "bottom (last row)", NULL },
	{ KEY_ENTER_LF, "Enter", TUI_VIEW_PT, TUI_ACT_TOGGLE,
	  "expand / collapse the entry; on a page: its bytes (hex view)", "Expand" },
	{ KEY_ENTER_CR, "Enter", TUI_VIEW_PT, TUI_ACT_TOGGLE, "expand / collapse the entry", NULL },
	{ KEY_ENTER, "Enter", TUI_VIEW_PT, TUI_ACT_TOGGLE, "expand / collapse the entry", NULL },
	{ KEY_RIGHT, "Right", TUI_VIEW_PT, TUI_ACT_EXPAND, "expand the entry", NULL },
	{ 'l', "l", TUI_VIEW_PT, TUI_ACT_EXPAND, "expand the entry", NULL },
	{ KEY_LEFT, "Left", TUI_VIEW_PT, TUI_ACT_COLLAPSE, "collapse (or go to the parent)", NULL },
	{ 'h', "h", TUI_VIEW_PT, TUI_ACT_COLLAPSE, "collapse (or go to the parent)", NULL },
	{ '+', "+", TUI_VIEW_PT, TUI_ACT_EXPAND_ALL, "expand every entry", NULL },
	{ '-', "-", TUI_VIEW_PT, TUI_ACT_COLLAPSE_ALL, "collapse every entry", NULL },
	{ ':', ":", TUI_VIEW_PT, TUI_ACT_GOTO, "go to a VA: show its translation path", "GotoVA" },
	{ 'f', "f", TUI_VIEW_PT, TUI_ACT_FILTER, "filter: all / CoW / writable / executable", "Filter" },
	{ 'r', "r", TUI_VIEW_PT, TUI_ACT_ROOT, "next address space (page-table root)", "Root" },
	{ 'q', "q", TUI_CTX_HEX, TUI_ACT_BACK, "back to the tree", "Back" },
	{ KEY_ESC, "Esc", TUI_CTX_HEX, TUI_ACT_BACK, "back to the tree", NULL },
	{ KEY_NPAGE, "PgDn", TUI_CTX_HEX, TUI_ACT_PAGE_DOWN,
	  "page down (arrows, j/k, PgUp, Home/g, End/G scroll too)", "Scroll" },
	{ KEY_RIGHT, "Right", TUI_VIEW_DEDUP, TUI_ACT_EXPAND, "cursor to the next page (Up/Down: a grid row)", NULL },
	{ 'l', "l", TUI_VIEW_DEDUP, TUI_ACT_EXPAND, "cursor to the next page (Up/Down: a grid row)", NULL },
	{ KEY_LEFT, "Left", TUI_VIEW_DEDUP, TUI_ACT_COLLAPSE, "cursor to the previous page", NULL },
	{ 'h', "h", TUI_VIEW_DEDUP, TUI_ACT_COLLAPSE, "cursor to the previous page", NULL },
	{ 'a', "a", TUI_VIEW_DEDUP, TUI_ACT_NEXT_ALIAS,
	  "cursor to the next aliased page: all its VAs below the grid", "Alias" },
	{ 'c', "c", TUI_VIEW_DEDUP, TUI_ACT_MODE, "pages of one snapshot / compare A and B", "Compare" },
	{ 'p', "p", TUI_VIEW_LIVE, TUI_ACT_PAUSE, "pause / resume (between steps)", "Pause" },
	{ 's', "s", TUI_VIEW_LIVE, TUI_ACT_STEP, "paused: run one step of the first waiting sandbox; running: pause", "Step" },
	{ 'i', "i", TUI_VIEW_LIVE, TUI_ACT_INSPECT,
	  "while paused: snapshot the live sandbox, show it in views 1-3", "Inspect" },
	{ KEY_LEFT, "Left", TUI_VIEW_LIVE, TUI_ACT_COLLAPSE, "previous scenario (stops following the run)", NULL },
	{ 'h', "h", TUI_VIEW_LIVE, TUI_ACT_COLLAPSE, "previous scenario (stops following the run)", NULL },
	{ KEY_RIGHT, "Right", TUI_VIEW_LIVE, TUI_ACT_EXPAND, "next scenario (stops following the run)", NULL },
	{ 'l', "l", TUI_VIEW_LIVE, TUI_ACT_EXPAND, "next scenario (stops following the run)", NULL },
	{ 'F', "F", TUI_VIEW_LIVE, TUI_ACT_FOLLOW, "follow the running scenario again", "Follow" },
};

const struct tui_binding *tui_bindings(size_t *n)
{
	*n = sizeof bindings / sizeof bindings[0];
	return bindings;
}

enum tui_action tui_key_action(int key, int view)
{
	size_t n = sizeof bindings / sizeof bindings[0];
	for (size_t i = 0; i < n; i++)
		if (bindings[i].key == key && bindings[i].view == (int)view)
			return bindings[i].action;
	for (size_t i = 0; i < n; i++)
		if (bindings[i].key == key && bindings[i].view == ANY)
			return bindings[i].action;
	return TUI_ACT_NONE;
}
