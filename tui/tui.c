/* tui.c — `snapbench tui`: arguments, then the curses main loop (tab bar,
 * current panel, key bar; help screen; prompt; KEY_RESIZE). */
#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tui_internal.h"

#define EXIT_OK 0   /* cli/cli.h's CLI_EXIT_* */
#define EXIT_FAIL 1
#define EXIT_USAGE 2
#define MIN_WIDTH 40
#define MIN_HEIGHT 10
#define TICK_MS 300

struct tui {
	struct tui_model *m;
	struct tui_panel *panels[TUI_VIEW__COUNT];
	enum tui_view view;
	bool help;
	int help_top;
	bool paused; /* --paused: the live run waits before its first step */
	char query[64]; /* the last `/` search, for n and N */
	char msg[160];  /* one line of feedback on the key bar's row until the next key */
	/* what was loaded: the live view's title (the model's source names
	 * the snapshot inspected last, which the run leaves behind on resume) */
	char loaded[256];
};

static struct tui_panel *make_panel(const struct tui *t, enum tui_view v, struct sb_err *err)
{
	switch (v) {
	case TUI_VIEW_LAYOUT: return tui_layout_panel(t->m, err);
	case TUI_VIEW_PT: return tui_pt_panel(t->m, err);
	case TUI_VIEW_DEDUP: return tui_dedup_panel(t->m, err);
	case TUI_VIEW_LIVE: return tui_live_panel(t->m, t->paused, err);
	default: sb_errf(err, SB_E_INVAL, "no such view"); return NULL;
	}
}

/* A panel changed the model (the live view's inspected snapshot): every
 * other panel is built anew, since its state (tree, dedup analysis) came
 * from the old snapshot. Returns 0, or -1 with err. */
static int poll_model(struct tui *t, struct sb_err *err)
{
	for (int v = 0; v < TUI_VIEW__COUNT; v++) {
		struct tui_panel *p = t->panels[v];
		if (!p->ops->update_model || !p->ops->update_model(p, t->m))
			continue;
		for (int o = 0; o < TUI_VIEW__COUNT; o++) {
			if (o == v)
				continue;
			t->panels[o]->ops->free(t->panels[o]);
			if (!(t->panels[o] = make_panel(t, (enum tui_view)o, err)))
				return -1;
		}
	}
	return 0;
}

/* Tick while any panel wants it, so a model change shows in every view. */
static bool ticking(const struct tui *t)
{
	for (int v = 0; v < TUI_VIEW__COUNT; v++) {
		const struct tui_panel *p = t->panels[v];
		if (p->ops->ticking && p->ops->ticking(p))
			return true;
	}
	return false;
}

static void draw_tabs(const struct tui *t, int width)
{
	move(0, 0);
	for (int v = 0; v < TUI_VIEW__COUNT; v++) {
		attr_t a = v == (int)t->view ? A_REVERSE | A_BOLD : A_NORMAL;
		attron(a);
		printw(" %d %s ", v + 1, tui_view_title((enum tui_view)v));
		attroff(a);
		addch(' ');
	}
	int x = getcurx(stdscr);
	if (width - x > 10)
		printw("%.*s", width - x - 1,
		       t->help ? "help" : t->view == TUI_VIEW_LIVE ? t->loaded : t->m->source);
}

static void render_help(FILE *f, const void *arg, int width, int height)
{
	(void)arg;
	(void)height;
	tui_render_help(f, width);
}

/* The key context now: the view's, or the panel's sub-view's (hex). */
static int context(const struct tui *t)
{
	const struct tui_panel *p = t->panels[t->view];
	return p->ops->context ? p->ops->context(p) : (int)t->view;
}

static bool panel_applies(const void *arg, enum tui_action a)
{
	const struct tui_panel *p = arg;
	return !p->ops->applies || p->ops->applies(p, a);
}

static const char *panel_label(const void *arg, enum tui_action a)
{
	const struct tui_panel *p = arg;
	return p->ops->bar_label ? p->ops->bar_label(p, a) : NULL;
}

static bool help_applies(const void *arg, enum tui_action a)
{
	(void)arg;
	return a == TUI_ACT_HELP || a == TUI_ACT_QUIT;
}

static void render_bar(FILE *f, const void *arg, int width, int height)
{
	const struct tui *t = arg;
	(void)height;
	if (t->help)
		tui_render_keybar_if(f, TUI_VIEW_ANY, width, help_applies, NULL, NULL);
	else
		tui_render_keybar_if(f, context(t), width, panel_applies, panel_label, t->panels[t->view]);
}

/* The key bar: "key label" pairs, keys in reverse video (htop style); or
 * the last key's feedback. */
static void draw_keybar(const struct tui *t, int y, int width)
{
	if (t->msg[0]) {
		move(y, 0);
		attron(A_BOLD);
		printw("%.*s", width - 1, t->msg);
		attroff(A_BOLD);
		return;
	}
	char *text = tui_render_string(render_bar, t, width, 1);
	if (!text)
		return;
	move(y, 0);
	bool key = true;
	for (int c = 0; text[c] && text[c] != '\n' && c < width; c++) {
		if (text[c] == ' ')
			key = !key;
		addch((chtype)(unsigned char)text[c] | (key && text[c] != ' ' ? A_REVERSE : A_NORMAL));
	}
	free(text);
}

static void draw(struct tui *t)
{
	int h, w;
	getmaxyx(stdscr, h, w);
	erase();
	if (h < MIN_HEIGHT || w < MIN_WIDTH) {
		mvprintw(0, 0, "terminal too small (%dx%d, need %dx%d)", w, h, MIN_WIDTH, MIN_HEIGHT);
		refresh();
		return;
	}
	draw_tabs(t, w);
	if (t->help) {
		char *text = tui_render_string(render_help, NULL, w, h - 2);
		if (text)
			tui_draw_text(text, 1, h - 2, w, &t->help_top, NULL);
		free(text);
	} else {
		struct tui_panel *p = t->panels[t->view];
		p->ops->draw(p, 1, h - 2, w);
	}
	draw_keybar(t, h - 1, w);
	refresh();
}

/* A one-line prompt on the bottom row; false if cancelled (Esc). */
static bool ask(const char *question, char *buf, size_t n)
{
	size_t len = 0;
	buf[0] = '\0';
	curs_set(1);
	timeout(-1);
	for (;;) {
		int h, w;
		getmaxyx(stdscr, h, w);
		move(h - 1, 0);
		clrtoeol();
		attron(A_BOLD);
		printw("%s", question);
		attroff(A_BOLD);
		printw("%.*s", w > 20 ? w - 20 : 1, buf);
		refresh();
		int c = getch();
		if (c == '\n' || c == '\r' || c == KEY_ENTER)
			break;
		if (c == TUI_KEY_ESC) {
			curs_set(0);
			return false;
		}
		if ((c == KEY_BACKSPACE || c == 127 || c == 8) && len)
			buf[--len] = '\0';
		else if (c >= 32 && c < 127 && len + 1 < n) {
			buf[len++] = (char)c;
			buf[len] = '\0';
		}
	}
	curs_set(0);
	return true;
}

/* `/`, n, N: the panel's own search, or the text it shows. */
static void search(struct tui *t, int dir)
{
	struct tui_panel *p = t->panels[t->view];
	if (!t->query[0]) {
		snprintf(t->msg, sizeof t->msg, "no search yet: / asks for one");
		return;
	}
	if (p->ops->search && p->ops->search(p, t->query, dir))
		return;
	snprintf(t->msg, sizeof t->msg, "not found: %.60s", t->query);
}

/* The mouse: the wheel scrolls (3 rows a notch), a click on the tab bar
 * switches views, a click in a panel selects what is under it. */
static void mouse(struct tui *t, int page_rows)
{
	MEVENT ev;
	if (getmouse(&ev) != OK)
		return;
	struct tui_panel *p = t->panels[t->view];
	if (ev.bstate & (BUTTON4_PRESSED | BUTTON5_PRESSED)) {
		enum tui_action a = ev.bstate & BUTTON4_PRESSED ? TUI_ACT_SCROLL_UP : TUI_ACT_SCROLL_DOWN;
		for (int i = 0; i < 3; i++) {
			if (t->help)
				t->help_top += a == TUI_ACT_SCROLL_UP ? -1 : 1;
			else
				p->ops->key(p, a, page_rows);
		}
		return;
	}
	if (!(ev.bstate & (BUTTON1_CLICKED | BUTTON1_PRESSED)) || t->help)
		return;
	if (ev.y == 0) { /* the tabs: " 1 Layout  2 Page tables ..." */
		int x = 0;
		for (int v = 0; v < TUI_VIEW__COUNT; v++) {
			int w = (int)strlen(tui_view_title((enum tui_view)v)) + 4;
			if (ev.x >= x && ev.x < x + w)
				t->view = (enum tui_view)v;
			x += w + 1;
		}
		return;
	}
	if (ev.y >= 1 && ev.y <= page_rows && p->ops->click)
		p->ops->click(p, ev.y - 1, ev.x);
}

static int loop(struct tui *t, struct sb_err *err)
{
	int errs = 0; /* getch errors in a row while blocking: the input is gone */
	for (;;) {
		if (poll_model(t, err))
			return -1;
		draw(t);
		struct tui_panel *p = t->panels[t->view];
		bool waits = t->help || !ticking(t); /* else redraw every tick */
		timeout(waits ? -1 : TICK_MS);
		int c = getch();
		errs = c == ERR && waits ? errs + 1 : 0;
		if (errs == 3) /* not a spin at 100% CPU */
			return sb_errf(err, SB_E_IO, "the terminal's input ended");
		if (c == ERR || c == KEY_RESIZE)
			continue; /* redraw at the (new) size */
		int h = getmaxy(stdscr);
		t->msg[0] = '\0';
		if (c == KEY_MOUSE) {
			mouse(t, h - 2);
			continue;
		}
		enum tui_action a = tui_key_action(c, t->help ? TUI_VIEW_ANY : context(t));
		if (t->help) {
			if (a == TUI_ACT_QUIT || a == TUI_ACT_HELP || c == TUI_KEY_ESC)
				t->help = false;
			else if (a == TUI_ACT_UP || a == TUI_ACT_DOWN)
				t->help_top += a == TUI_ACT_UP ? -1 : 1;
			else if (a == TUI_ACT_PAGE_UP || a == TUI_ACT_PAGE_DOWN)
				t->help_top += (a == TUI_ACT_PAGE_UP ? -1 : 1) * (h - 2);
			else if (a == TUI_ACT_HOME)
				t->help_top = 0;
			else if (a == TUI_ACT_END)
				t->help_top = 1 << 30; /* clamped when drawn */
			if (t->help_top < 0)
				t->help_top = 0;
			continue;
		}
		/* q / Esc close a view's sub-view (the hex view) before quitting */
		if ((a == TUI_ACT_QUIT || a == TUI_ACT_BACK) && p->ops->back && p->ops->back(p))
			continue;
		switch (a) {
		case TUI_ACT_QUIT: return 0;
		case TUI_ACT_HELP: t->help = true; t->help_top = 0; continue;
		case TUI_ACT_NEXT_VIEW: t->view = (t->view + 1) % TUI_VIEW__COUNT; continue;
		case TUI_ACT_PREV_VIEW: t->view = (t->view + TUI_VIEW__COUNT - 1) % TUI_VIEW__COUNT; continue;
		case TUI_ACT_VIEW_LAYOUT: case TUI_ACT_VIEW_PT: case TUI_ACT_VIEW_DEDUP: case TUI_ACT_VIEW_LIVE:
			t->view = (enum tui_view)(a - TUI_ACT_VIEW_LAYOUT);
			continue;
		case TUI_ACT_SEARCH:
			if (p->ops->applies && !p->ops->applies(p, a))
				continue;
			if (ask("Search (VA, region, flag, text): ", t->query, sizeof t->query))
				search(t, 1);
			continue;
		case TUI_ACT_SEARCH_NEXT: case TUI_ACT_SEARCH_PREV:
			if (!p->ops->applies || p->ops->applies(p, a))
				search(t, a == TUI_ACT_SEARCH_NEXT ? 1 : -1);
			continue;
		default: break;
		}
		char buf[64];
		if (p->ops->key(p, a, h - 2) && ask(p->ops->prompt_question, buf, sizeof buf))
			p->ops->prompt(p, buf);
	}
}

static int run_curses(struct tui_model *m, enum tui_view start, bool paused,
		      tui_write_results_fn write_results, const char *out_dir, struct sb_err *err)
{
	struct tui t = { .m = m, .view = start, .paused = paused };
	snprintf(t.loaded, sizeof t.loaded, "%s", m->source);
	int rc = 0;
	for (int v = 0; v < TUI_VIEW__COUNT && rc == 0; v++)
		if (!(t.panels[v] = make_panel(&t, (enum tui_view)v, err)))
			rc = -1;
	if (rc == 0) {
		setlocale(LC_ALL, "");
		if (!initscr()) {
			rc = sb_errf(err, SB_E_IO, "cannot initialise the terminal");
		} else {
			cbreak();
			noecho();
			keypad(stdscr, TRUE);
			curs_set(0);
			set_escdelay(50);
			/* a press selects at once (no click resolution delay) */
			mousemask(BUTTON1_PRESSED | BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
			mouseinterval(0);
			tui_colour_init();
			rc = loop(&t, err);
			endwin();
		}
	}
	/* q: the live run's results, as `snapbench run` writes them */
	if (rc == 0 && tui_live_write_results(t.panels[TUI_VIEW_LIVE], write_results, out_dir, err) < 0)
		rc = -1;
	for (int v = 0; v < TUI_VIEW__COUNT; v++)
		if (t.panels[v])
			t.panels[v]->ops->free(t.panels[v]);
	return rc;
}

static void usage(FILE *f)
{
	fprintf(f,
		"usage: snapbench tui [OPTIONS] [ELF | SNAPSHOT-FILE | SCENARIO-FILE]\n"
		"       snapbench tui [OPTIONS] SNAPSHOT-A SNAPSHOT-B\n"
		"       snapbench tui --dump VIEW [--width N] [--va HEX] [--filter F] [INPUT...]\n\n"
		"Inspect a snapshot: its memory layout, page tables and page dedup; compare\n"
		"two snapshots of a chain; follow a scenario run live. Without an input: the\n"
		"embedded test guest's INIT snapshot (and a hand-made chain over it).\n\n"
		"options:\n"
		"  --dump VIEW     print VIEW (layout, pt, dedup, live) as text, no curses\n"
		"  --width N       columns for --dump (default 80, at least %d)\n"
		"  --view VIEW     start in VIEW (default layout; live for a scenario file)\n"
		"  --va HEX        --dump pt: show the translation path of this VA\n"
		"  --filter F      --dump pt: all, cow, writable or executable\n"
		"  --paused        a scenario file's live run waits before its first step\n"
		"  -o, --output DIR  where q writes a live run's results (report.json and\n"
		"                  report.html, as `snapbench run -o DIR --html`; default: as\n"
		"                  run, a new snapbench-results/TIME/ and its `latest` link)\n"
		"  --restore-strategy LIST\n"
		"                  a scenario file's scenarios run once per restore strategy\n"
		"                  of LIST (rewrite, host-cow, retain, rewind; comma-separated),\n"
		"                  whatever their restore_strategy says\n"
		"  -h, --help      this text\n\n"
		"Keys: press ? in the UI. NO_COLOR=1 or TERM=dumb turn colours off.\n"
		"Without --dump, stdin and stdout must be a terminal.\n",
		MIN_WIDTH);
}

static bool parse_filter(const char *s, enum pt_filter *out)
{
	for (int i = 0; i < PT_FILTER__COUNT; i++)
		if (strcasecmp(s, pt_filter_name((enum pt_filter)i)) == 0) {
			*out = (enum pt_filter)i;
			return true;
		}
	return false;
}

int tui_main(int argc, char **argv, tui_write_results_fn write_results)
{
	static const struct option opts[] = {
		{ "dump", required_argument, 0, 'd' }, { "width", required_argument, 0, 'w' },
		{ "view", required_argument, 0, 'v' }, { "va", required_argument, 0, 'a' },
		{ "filter", required_argument, 0, 'f' }, { "help", no_argument, 0, 'h' },
		{ "paused", no_argument, 0, 'p' },
		{ "restore-strategy", required_argument, 0, 's' },
		{ "output", required_argument, 0, 'o' },
		{ 0, 0, 0, 0 },
	};
	char *args[argc + 2];
	args[0] = "snapbench tui";
	for (int i = 0; i < argc; i++)
		args[i + 1] = argv[i];
	args[argc + 1] = NULL;
	optind = 1;
	int c, width = 80;
	bool dump = false, have_view = false, paused = false;
	enum tui_view view = TUI_VIEW_LAYOUT;
	enum pt_filter filter = PT_FILTER_ALL;
	unsigned long long va = 0;
	bool have_va = false;
	uint64_t strategies = 0; /* --restore-strategy, packed; 0 = as the file says */
	const char *out_dir = NULL; /* as run: a new directory under snapbench-results/ */
	while ((c = getopt_long(argc + 1, args, "ho:", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
		case 'v':
			if (!tui_view_parse(optarg, &view)) {
				fprintf(stderr, "snapbench tui: unknown view '%s' (layout, pt, dedup, live)\n", optarg);
				return EXIT_USAGE;
			}
			dump |= c == 'd';
			have_view = true;
			break;
		case 'w': {
			char *end;
			long w = strtol(optarg, &end, 10);
			if (*end || w < MIN_WIDTH || w > 1000) {
				fprintf(stderr, "snapbench tui: --width: %d..1000 columns\n", MIN_WIDTH);
				return EXIT_USAGE;
			}
			width = (int)w;
			break;
		}
		case 'a': {
			char *end;
			va = strtoull(optarg, &end, 16);
			if (!optarg[0] || *end) {
				fprintf(stderr, "snapbench tui: --va: not a hex address: '%s'\n", optarg);
				return EXIT_USAGE;
			}
			have_va = true;
			break;
		}
		case 'f':
			if (!parse_filter(optarg, &filter)) {
				fprintf(stderr, "snapbench tui: --filter: all, cow, writable or executable\n");
				return EXIT_USAGE;
			}
			break;
		case 'p': paused = true; break;
		case 'o': out_dir = optarg; break;
		case 's': {
			struct sb_err serr;
			if (scenario_strategies_parse(optarg, &strategies, &serr)) {
				fprintf(stderr, "snapbench tui: --restore-strategy: %s\n", serr.msg);
				return EXIT_USAGE;
			}
			break;
		}
		case 'h': usage(stdout); return EXIT_OK;
		default: usage(stderr); return EXIT_USAGE;
		}
	}
	int nin = argc + 1 - optind;
	if (nin > 2) {
		fprintf(stderr, "snapbench tui: at most two inputs\n");
		return EXIT_USAGE;
	}
	/* curses reading a file or /dev/null gets EOF forever: refuse early */
	if (!dump && (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))) {
		fprintf(stderr, "snapbench tui: %s is not a terminal: the UI needs one; for text, use"
			" --dump VIEW (layout, pt, dedup, live), e.g. snapbench tui --dump layout\n",
			!isatty(STDIN_FILENO) ? "stdin" : "stdout");
		return EXIT_USAGE;
	}
	struct tui_model m;
	struct sb_err err = { 0 };
	int rc = nin == 2 ? tui_model_load_pair(&m, args[optind], args[optind + 1], &err)
			  : tui_model_load(&m, nin ? args[optind] : NULL, &err);
	if (rc) {
		fprintf(stderr, "snapbench tui: %s\n", err.msg);
		return EXIT_FAIL;
	}
	if (strategies && !m.scenarios.n) {
		fprintf(stderr, "snapbench tui: --restore-strategy: only with a scenario file\n");
		tui_model_free(&m);
		return EXIT_USAGE;
	}
	if (strategies && scenario_set_restore_strategies(&m.scenarios, strategies, &err)) {
		fprintf(stderr, "snapbench tui: %s\n", err.msg);
		tui_model_free(&m);
		return EXIT_FAIL;
	}
	if (dump) {
		rc = view == TUI_VIEW_PT ? tui_dump_pt(stdout, &m, width, have_va ? &va : NULL, filter, &err)
					 : tui_dump(stdout, &m, view, width, &err);
	} else {
		if (!have_view && m.scenarios.n)
			view = TUI_VIEW_LIVE;
		/* where q writes the run's results: checked before the run, not
		 * found unwritable after it (as run checks -o) */
		const char *dir = out_dir ? out_dir : "snapbench-results";
		if (m.scenarios.n && write_results && (mkdir(dir, 0777) != 0 && errno != EEXIST)) {
			fprintf(stderr, "snapbench tui: -o %s: %s\n", dir, strerror(errno));
			tui_model_free(&m);
			return EXIT_USAGE;
		}
		if (m.scenarios.n && write_results && access(dir, W_OK | X_OK) != 0) {
			fprintf(stderr, "snapbench tui: -o %s: %s (the results go there on q)\n", dir,
				strerror(errno));
			tui_model_free(&m);
			return EXIT_USAGE;
		}
		rc = run_curses(&m, view, paused, write_results, out_dir, &err);
	}
	if (rc)
		fprintf(stderr, "snapbench tui: %s\n", err.msg);
	tui_model_free(&m);
	return rc ? EXIT_FAIL : EXIT_OK;
}
