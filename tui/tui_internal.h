/* tui_internal.h — the curses side: panels (a small vtable each, like
 * htop's), drawing helpers and the colour policy. Not for other folders. */
#ifndef SNAPBENCH_TUI_INTERNAL_H
#define SNAPBENCH_TUI_INTERNAL_H

#include <curses.h>

#include "tui.h"

/* Esc: cancels the prompt, closes the help screen. */
#define TUI_KEY_ESC 27

struct tui_panel;

struct tui_panel_ops {
	/* Draw the body into rows [y, y + h) of stdscr, `width` columns. */
	void (*draw)(struct tui_panel *p, int y, int h, int width);
	/* Handle an action (the main loop redraws after every key); page_rows
	 * = body rows, for paging. true = ask prompt_question on the bottom
	 * row, then hand the answer to prompt (unless cancelled). */
	bool (*key)(struct tui_panel *p, enum tui_action a, int page_rows);
	const char *prompt_question;
	void (*prompt)(struct tui_panel *p, const char *text);
	/* Redraw periodically (the live view while it runs). The main loop
	 * ticks while any panel ticks, so a model change shows in every view. */
	bool (*ticking)(const struct tui_panel *p);
	/* Change what every view shows (the live view hands over a snapshot
	 * it inspected). Polled by the main loop after every key and tick;
	 * true = *m changed, and the main loop builds every other panel anew
	 * (their state was derived from the old snapshot). NULL = never. */
	bool (*update_model)(struct tui_panel *p, struct tui_model *m);
	void (*free)(struct tui_panel *p);
	/* q or Esc: close what the panel has open over its view (the page-table
	 * view's hex view); true = closed, false = nothing open (q then quits).
	 * NULL = never anything. */
	bool (*back)(struct tui_panel *p);
	/* The key context now: TUI_CTX_HEX while the page-table view's hex view
	 * is open. NULL = the panel's own view. */
	int (*context)(const struct tui_panel *p);
	/* Does action a do anything in the panel's current state? The key bar
	 * shows only the keys that do. NULL = all. */
	bool (*applies)(const struct tui_panel *p, enum tui_action a);
	/* The key bar's label of action a now, NULL = the binding's. NULL = never. */
	const char *(*bar_label)(const struct tui_panel *p, enum tui_action a);
	/* `/`, n, N: go to the next (dir 1) or previous (-1) hit of text after
	 * (before) the cursor or the first line shown; false = no hit (the main
	 * loop says so). NULL = the text shown is searched (tui_text_search). */
	bool (*search)(struct tui_panel *p, const char *text, int dir);
	/* A mouse click on body row `row` (0 = the first row of the panel's
	 * area), column `col`. NULL = ignored. */
	void (*click)(struct tui_panel *p, int row, int col);
};

struct tui_panel {
	const struct tui_panel_ops *ops;
	const struct tui_model *m;
	int top; /* first text line shown (panels that scroll text) */
	/* Keep the cursor line in sight when drawn (tui_draw_text)? Cleared by
	 * keys that scroll the text itself (PgUp, Home, the wheel), so that
	 * text above or below the cursor can be read; set by cursor moves. */
	bool scrolled;
};

/* Constructors: NULL on failure (err says why). */
struct tui_panel *tui_layout_panel(const struct tui_model *m, struct sb_err *err);
struct tui_panel *tui_pt_panel(const struct tui_model *m, struct sb_err *err);
struct tui_panel *tui_dedup_panel(const struct tui_model *m, struct sb_err *err);
/* paused: the run waits before its first step (`--paused`). */
struct tui_panel *tui_live_panel(const struct tui_model *m, bool paused, struct sb_err *err);

/* `q`: the live panel's run ends (stopped at a step boundary if still
 * going) and its results are written with `write` into out_dir. 1 =
 * written, 0 = nothing to write (no run, nothing ran), -1 = error. */
int tui_live_write_results(struct tui_panel *p, tui_write_results_fn write, const char *out_dir,
			   struct sb_err *err);

/* ---- draw.c ---- */

/* Colours, unless NO_COLOR is set, TERM=dumb or the terminal has none. */
void tui_colour_init(void);
/* The attribute of a grid/bar letter (colour pair, or a mono fallback). */
attr_t tui_letter_attr(char c);

/* Run a renderer into a malloc'd string (NULL on failure). */
typedef void (*tui_render_fn)(FILE *f, const void *arg, int width, int height);
char *tui_render_string(tui_render_fn fn, const void *arg, int width, int height);

/* Per character attribute for a line (0 = none); NULL = no decoration. */
typedef attr_t (*tui_decorate_fn)(const char *line, int col);

/* Draw `text` into rows [y, y+h): lines from *top (adjusted so the line
 * starting with '>' is visible, and clamped), cut to width. The '>' line
 * is reversed, "-- " rules are bold. */
void tui_draw_text(const char *text, int y, int h, int width, int *top, tui_decorate_fn decorate);
/* The same, but the line kept in sight is `follow` (-1: none, the text
 * scrolls freely, *top only clamped). */
void tui_draw_text_at(const char *text, int y, int h, int width, int *top, tui_decorate_fn decorate,
		      int follow);
/* The line of `text` starting with '>' (the cursor), -1 if none. */
int tui_text_cursor_line(const char *text);
/* The next line (dir 1: after `from`, wrapping; -1: before it) of `text`
 * containing `needle` (case-insensitive), -1 if none. */
int tui_text_search(const char *text, const char *needle, int from, int dir);
/* `/` over the whole text fn renders of arg (at the screen's width): the
 * next (dir 1) or previous line holding `needle` after / before the first
 * line shown becomes the first line shown. false = no hit. */
bool tui_panel_text_search(struct tui_panel *p, tui_render_fn fn, const void *arg, const char *needle,
			   int dir);
/* Scroll a text panel for a scrolling action (UP ... END); false = not one. */
bool tui_panel_scroll(struct tui_panel *p, enum tui_action a, int page_rows);

/* ---- view_hex.c ---- */

/* The hex view of `st` in rows [y, y + h), differing bytes reversed. */
void tui_hex_draw(const struct tui_model *m, struct hex_state *st, int y, int h, int width);

#endif
