/* tui.h — `snapbench tui`: the curses UI and the text renderers of its views.
 *
 * Every view has a pure text renderer: FILE * in, no curses. The curses
 * panels draw exactly that text (adding only attributes: the row starting
 * with '>' is the cursor, grid letters get colours), `snapbench tui --dump
 * VIEW` prints it, and the golden tests compare it. Renderers take
 *   width   columns to fit (>= 40; rows never exceed it)
 *   height  rows to fill, 0 = everything (no scrolling: dumps and goldens)
 * and a view state (cursor, scroll position, expanded nodes, filter, ...)
 * that the panel's key handler changes.
 */
#ifndef SNAPBENCH_TUI_TUI_H
#define SNAPBENCH_TUI_TUI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "dedup.h"
#include "live_run.h"
#include "pt_tree.h"
#include "tui_model.h"

/* Writes a live run's results as `snapbench run` does (report.json and
 * report.html into out_dir); cli/ hands it in, since tui/ sits below it. */
typedef int (*tui_write_results_fn)(const struct run_report *r, const char *out_dir,
				    struct sb_err *err);
/* `snapbench tui ...` (argv after the subcommand); exit codes of cli.h.
 * write_results: NULL = `q` in the live view writes nothing. */
int tui_main(int argc, char **argv, tui_write_results_fn write_results);

enum tui_view {
	TUI_VIEW_LAYOUT,
	TUI_VIEW_PT,
	TUI_VIEW_DEDUP,
	TUI_VIEW_LIVE,
	TUI_VIEW__COUNT
};
const char *tui_view_title(enum tui_view v);      /* "Layout", "Page tables", ... */
/* "layout", "pt", "dedup", "live" -> the view; false if none. */
bool tui_view_parse(const char *name, enum tui_view *out);

/* From this width on, renderers add what only a wide terminal fits (VA
 * ranges, GVA last addresses, longer step labels). */
#define TUI_WIDE_COLUMNS 110
static inline bool tui_wide(int width)
{
	return width >= TUI_WIDE_COLUMNS;
}

/* ---- layout ---------------------------------------------------------- */

struct layout_state {
	int cursor; /* index into the regions: snapshot regions, then scratch */
};
/* Regions the layout view lists (snapshot, then scratch); returns the count. */
size_t tui_layout_regions(const struct tui_model *m, struct layout_region out[2 * LAYOUT_MAX_REGIONS]);
void tui_render_layout(FILE *f, const struct tui_model *m, const struct layout_state *st, int width,
		       int height);

/* ---- page tables ------------------------------------------------------ */

enum pt_filter { PT_FILTER_ALL, PT_FILTER_COW, PT_FILTER_WRITABLE, PT_FILTER_EXEC, PT_FILTER__COUNT };
const char *pt_filter_name(enum pt_filter f); /* "all", "CoW", "writable", "executable" */
/* The leaves at or below n that the filter keeps (all: every leaf). Under
 * a filter other than all, only nodes with a count > 0 are shown. */
uint64_t pt_filter_count(const struct pt_node *n, enum pt_filter f);

struct pt_state {
	struct pt_tree tree;
	enum pt_filter filter;
	int cursor, top;     /* index into the visible rows; first row shown */
	int *rows;           /* visible rows: node indices in display order */
	size_t n_rows, cap_rows;
	/* the last jump (`g`): the entries that translate `va`, top level first */
	bool jumped;
	gva_t jump_va;
	struct pt_entry_info path[PT_MAX_LEVELS];
	unsigned path_len;
	bool jump_mapped;
	char msg[128];       /* one line of feedback, "" = none */
	unsigned root, nroots; /* the address space shown (`r` cycles), of the snapshot's */
};
int pt_state_init(struct pt_state *st, const struct tui_model *m);
/* Show root `i` of the snapshot's address spaces (a fresh tree). */
int pt_state_set_root(struct pt_state *st, const struct tui_model *m, unsigned i);
void pt_state_free(struct pt_state *st);
/* Expand / collapse the node under the cursor (no-op on leaves). */
void pt_state_expand(struct pt_state *st, bool expand);
/* Translate va, expand the tree along its path and put the cursor on the
 * deepest entry. Returns 0 if va is mapped, -1 (with st->msg) if not. */
int pt_state_jump(struct pt_state *st, gva_t va);
void pt_state_set_filter(struct pt_state *st, enum pt_filter f);
void pt_state_move(struct pt_state *st, int delta, int page_rows);
/* Expand every table (reading the whole tree, within a budget of nodes),
 * or collapse every one (the cursor goes to its top-level entry). */
void pt_state_expand_all(struct pt_state *st, bool expand);
/* The next (dir 1) or previous (-1) entry in tree order from the cursor,
 * loaded or not, whose row text (tui_pt_node_text) holds `text`
 * (case-insensitive; "cow" finds CoW leaves): the tree opens along its
 * path and the cursor goes to it. false (with st->msg) if none. */
bool pt_state_search(struct pt_state *st, const char *text, int dir);
/* One entry as its row shows it: "PT   00d 000000000000d000 00000d000 P US NX CoW A D". */
void tui_pt_node_text(char *buf, size_t n, const struct pt_tree *t, int node);
void tui_render_pt(FILE *f, const struct tui_model *m, const struct pt_state *st, int width, int height);
/* Rows the pt renderer spends on headers/footers for a given state, so a
 * panel knows how many tree rows fit. */
int tui_render_pt_chrome(const struct pt_state *st);

/* ---- memory: the hex view of one page (Enter on a leaf) ------------- */

/* The 4 KiB page at a VA of m->snap, read through its page tables
 * (snap_read_gva), and, when m->origin maps that VA to other bytes (the
 * page is a copy-on-write copy that was written), the origin's page to
 * show beside it with the differing bytes marked. */
struct hex_state {
	gva_t va;           /* page shown, 4 KiB aligned */
	gva_t cursor_va;    /* the VA asked for (inside the page) */
	bool readable;      /* page[] holds the page; else msg says why not */
	gpa_t pa;
	uint8_t page[4096];
	bool compare;       /* orig[] differs from page[] in ndiff bytes */
	gpa_t orig_pa;
	uint8_t orig[4096];
	unsigned ndiff;
	char note[200];     /* about the origin ("" = no origin) */
	char msg[SB_ERR_MSG_MAX];
	int top;            /* first body line shown */
};
/* Open the page holding `va` in address space `root` (an index into the
 * snapshot's roots, as the pt view's `r` chose; the original is read in
 * its own root of that index, or its current one). Never fails: an
 * unreadable page is shown as its error. */
void hex_state_open(struct hex_state *st, const struct tui_model *m, unsigned root, gva_t va);
/* Scroll by delta body lines (clamped), `rows` body lines on screen. */
void hex_state_scroll(struct hex_state *st, int delta, int rows, int width);
/* Body lines at `width`: one per row of bytes, runs of rows equal to the
 * one above folded into one line. */
int tui_hex_body_lines(const struct hex_state *st, int width);
void tui_render_hex(FILE *f, const struct tui_model *m, const struct hex_state *st, int width,
		    int height);
/* Rows the hex renderer spends around the body. */
int tui_render_hex_chrome(const struct hex_state *st);

/* ---- dedup -------------------------------------------------------------- */

enum dedup_mode { DEDUP_MODE_PAGES, DEDUP_MODE_COMPARE };
struct dedup_state {
	enum dedup_mode mode;
	struct dedup_info *info;   /* of m->snap */
	struct dedup_compare *cmp; /* of m->cmp_b against m->cmp_a, or NULL */
	/* pages mode: the page of the grid under the cursor (index into
	 * info->kind), -1 = none (dumps). Shown below the grid with every VA
	 * that maps it (the aliases list cuts at 8, "+N more"). */
	int64_t cursor;
};
/* Cells per grid row at `width` (the cursor moves by it vertically). */
int tui_dedup_grid_cells(int width);
/* The mappings of page `page`: maps[*first .. *first + return). */
size_t tui_dedup_page_maps(const struct dedup_info *d, uint64_t page, size_t *first);
int dedup_state_init(struct dedup_state *st, const struct tui_model *m, struct sb_err *err);
void dedup_state_free(struct dedup_state *st);
void tui_render_dedup(FILE *f, const struct tui_model *m, const struct dedup_state *st, int width,
		      int height);

/* ---- live run --------------------------------------------------------------- */

struct live_state {
	struct live_run *run; /* NULL: no scenario loaded */
	int cursor;           /* scenario shown */
	bool follow;          /* the cursor follows the running scenario */
	char header[256];     /* the first line: what was loaded (the model's
			       * source changes when a sandbox is inspected) */
};
/* Render a consistent copy of the run's progress (taken under its lock). */
void tui_render_live(FILE *f, const struct tui_model *m, const struct live_state *st, int width,
		     int height);

/* ---- keys and help ------------------------------------------------------------ */

/* What a key does. Global actions are handled by the main loop, the
 * others by the current view's panel. */
enum tui_action {
	TUI_ACT_NONE,
	TUI_ACT_QUIT,
	TUI_ACT_HELP,
	TUI_ACT_NEXT_VIEW,
	TUI_ACT_PREV_VIEW,
	TUI_ACT_VIEW_LAYOUT,
	TUI_ACT_VIEW_PT,
	TUI_ACT_VIEW_DEDUP,
	TUI_ACT_VIEW_LIVE,
	TUI_ACT_UP,
	TUI_ACT_DOWN,
	TUI_ACT_PAGE_UP,
	TUI_ACT_PAGE_DOWN,
	TUI_ACT_HOME,
	TUI_ACT_END,
	TUI_ACT_EXPAND,
	TUI_ACT_COLLAPSE,
	TUI_ACT_TOGGLE,
	TUI_ACT_GOTO,
	TUI_ACT_FILTER,
	TUI_ACT_ROOT,
	TUI_ACT_MODE,
	TUI_ACT_PAUSE,
	TUI_ACT_STEP,
	TUI_ACT_INSPECT,
	TUI_ACT_BACK, /* close what a view has open (the hex view); q does it too */
	TUI_ACT_SEARCH,      /* `/`: ask for text, go to its first hit after the cursor */
	TUI_ACT_SEARCH_NEXT, /* n */
	TUI_ACT_SEARCH_PREV, /* N */
	TUI_ACT_EXPAND_ALL,
	TUI_ACT_COLLAPSE_ALL,
	TUI_ACT_NEXT_ALIAS,  /* dedup: cursor to the next aliased page */
	TUI_ACT_FOLLOW,      /* live: the cursor follows the running scenario again */
	TUI_ACT_SCROLL_UP,   /* the mouse wheel: the text, not the cursor (where the */
	TUI_ACT_SCROLL_DOWN, /* view has rows of text; the tree moves its cursor) */
	TUI_ACT__COUNT
};

#define TUI_VIEW_ANY (-1)
/* A key context inside a view: the hex view, open over the page-table
 * view. Its bindings replace the view's while it is open. */
#define TUI_CTX_HEX TUI_VIEW__COUNT
#define TUI_CTX__COUNT (TUI_VIEW__COUNT + 1)
/* One key binding. This table alone makes the key map, the help screen
 * and the bottom key bar. */
struct tui_binding {
	int key;            /* curses key code or character */
	const char *name;   /* how the key is shown: "Enter", "Tab", "g" */
	int view;           /* enum tui_view, TUI_CTX_HEX or TUI_VIEW_ANY */
	enum tui_action action;
	const char *help;   /* what it does (help screen) */
	const char *bar;    /* short label in the key bar, NULL = not shown there */
};
const struct tui_binding *tui_bindings(size_t *n);
/* The action `key` has in `view` (a view or TUI_CTX_HEX): its bindings
 * first, then the global ones. */
enum tui_action tui_key_action(int key, int view);

/* The help screen: every binding, global first, then per view. */
void tui_render_help(FILE *f, int width);
/* The bottom bar for `view` (a view or TUI_CTX_HEX): "? Help q Quit Tab
 * View ..." cut to width; a global key the context binds to something else
 * shows as that (q Back in the hex view). applies (NULL = all): does the
 * action do anything in the current state? Keys that do not are left out. */
typedef bool (*tui_applies_fn)(const void *arg, enum tui_action a);
/* The bar label of an action now ("Resume" for p while paused), NULL = the
 * binding's. */
typedef const char *(*tui_label_fn)(const void *arg, enum tui_action a);
void tui_render_keybar_if(FILE *f, int view, int width, tui_applies_fn applies, tui_label_fn label,
			  const void *arg);
void tui_render_keybar(FILE *f, int view, int width);

/* ---- dump mode ------------------------------------------------------------------ */

/* Render `view` of `m` in its initial state (layout: first region; pt:
 * top level; dedup: pages then compare; live: runs the scenarios to the
 * end first). Returns 0, or -1 with err. */
int tui_dump(FILE *f, const struct tui_model *m, enum tui_view view, int width, struct sb_err *err);
/* The page-table view; with va (not NULL), after a jump to it, its
 * translation path shown; filter as the `f` key sets it. */
int tui_dump_pt(FILE *f, const struct tui_model *m, int width, const unsigned long long *va,
		enum pt_filter filter, struct sb_err *err);

/* Text helpers shared by renderers (text.c); sizes: layout_human_bytes. */
const char *tui_human_ns(uint64_t ns, char *buf, size_t n);
void tui_hline(FILE *f, int width, const char *title);

#endif
