/* view_live.c — the live-run panel: runs the model's scenarios in the
 * background (live_run.c), redraws while they run, pauses, steps and
 * hands the snapshots it inspects to the model. */
#include <stdlib.h>
#include <string.h>

#include "tui_internal.h"

struct live_panel {
	struct tui_panel p;
	struct live_state st;
};

static void render(FILE *f, const void *arg, int width, int height)
{
	const struct live_panel *lp = arg;
	tui_render_live(f, lp->p.m, &lp->st, width, height);
}

/* The line of the selected scenario's title ("-- > name: ..."). */
static int selected_line(const char *text)
{
	int line = 0;
	for (const char *q = text; *q; line++) {
		if (strncmp(q, "-- > ", 5) == 0)
			return line;
		const char *nl = strchr(q, '\n');
		q = nl ? nl + 1 : q + strlen(q);
	}
	return -1;
}

static void draw(struct tui_panel *p, int y, int h, int width)
{
	struct live_state *st = &((struct live_panel *)p)->st;
	if (st->run && st->follow) {
		/* follow the run: its current scenario is the one expanded */
		pthread_mutex_lock(&st->run->lock);
		st->cursor = (int)st->run->current;
		pthread_mutex_unlock(&st->run->lock);
	}
	char *text = tui_render_string(render, p, width, h);
	if (text)
		tui_draw_text_at(text, y, h, width, &p->top, NULL,
				 p->scrolled ? -1 : selected_line(text));
	free(text);
}

static bool key(struct tui_panel *p, enum tui_action a, int page_rows)
{
	struct live_state *st = &((struct live_panel *)p)->st;
	if (a == TUI_ACT_UP || a == TUI_ACT_DOWN || a == TUI_ACT_PAGE_UP || a == TUI_ACT_PAGE_DOWN ||
	    a == TUI_ACT_HOME || a == TUI_ACT_END || a == TUI_ACT_SCROLL_UP || a == TUI_ACT_SCROLL_DOWN) {
		tui_panel_scroll(p, a, page_rows);
		return false;
	}
	if (!st->run)
		return false;
	p->scrolled = false;
	switch (a) {
	case TUI_ACT_PAUSE: {
		pthread_mutex_lock(&st->run->lock);
		bool paused = st->run->paused;
		pthread_mutex_unlock(&st->run->lock);
		live_run_pause(st->run, !paused);
		break;
	}
	case TUI_ACT_STEP: live_run_step(st->run); break;
	case TUI_ACT_INSPECT: live_run_inspect(st->run); break;
	case TUI_ACT_COLLAPSE: /* choosing a scenario stops following the run */
		st->follow = false;
		st->cursor = st->cursor > 0 ? st->cursor - 1 : 0;
		break;
	case TUI_ACT_EXPAND:
		st->follow = false;
		if ((size_t)st->cursor + 1 < st->run->n)
			st->cursor++;
		break;
	case TUI_ACT_FOLLOW: st->follow = true; break;
	default: break;
	}
	return false;
}

/* While the run goes on, or an inspection may still arrive. */
static bool ticking(const struct tui_panel *p)
{
	struct live_run *r = ((const struct live_panel *)p)->st.run;
	if (!r)
		return false;
	pthread_mutex_lock(&r->lock);
	bool on = !r->finished || r->inspected;
	pthread_mutex_unlock(&r->lock);
	return on;
}

static bool update_model(struct tui_panel *p, struct tui_model *m)
{
	struct live_run *r = ((struct live_panel *)p)->st.run;
	char what[sizeof r->inspected_what];
	struct snapshot *origin = NULL;
	struct snapshot *s = r ? live_run_take_inspected(r, what, sizeof what, &origin) : NULL;
	if (!s)
		return false;
	tui_model_show_live(m, s, what);
	/* the hex view shows a page the sandbox copied beside the original */
	if (origin) {
		char name[64];
		snprintf(name, sizeof name, "the snapshot run from, gen. %llu",
			 (unsigned long long)origin->generation);
		tui_model_set_origin(m, origin, name);
	}
	snap_unref(origin);
	snap_unref(s);
	return true;
}

/* The keys that do something now: pause / step while the run goes on,
 * inspect while paused, follow when not following. */
static bool applies(const struct tui_panel *p, enum tui_action a)
{
	const struct live_state *st = &((const struct live_panel *)p)->st;
	if (a != TUI_ACT_PAUSE && a != TUI_ACT_STEP && a != TUI_ACT_INSPECT && a != TUI_ACT_FOLLOW)
		return true;
	if (!st->run)
		return false;
	if (a == TUI_ACT_FOLLOW)
		return !st->follow;
	pthread_mutex_lock(&st->run->lock);
	bool finished = st->run->finished, paused = st->run->paused;
	pthread_mutex_unlock(&st->run->lock);
	return !finished && (a != TUI_ACT_INSPECT || paused);
}

/* p pauses a running run, resumes a paused one: the bar says which. */
static const char *bar_label(const struct tui_panel *p, enum tui_action a)
{
	const struct live_state *st = &((const struct live_panel *)p)->st;
	if (a != TUI_ACT_PAUSE || !st->run)
		return NULL;
	pthread_mutex_lock(&st->run->lock);
	bool paused = st->run->paused;
	pthread_mutex_unlock(&st->run->lock);
	return paused ? "Resume" : NULL;
}

/* `/`: a scenario's name selects it (and stops following), else the text
 * shown (a step, an error). */
static bool search(struct tui_panel *p, const char *text, int dir)
{
	struct live_state *st = &((struct live_panel *)p)->st;
	size_t n = st->run ? st->run->n : 0;
	for (size_t k = 1; k <= n; k++) {
		size_t i = (size_t)(((long)st->cursor + dir * (long)k) % (long)n + (long)n) % n;
		if (strcasestr(st->run->scn[i].name, text)) {
			st->cursor = (int)i;
			st->follow = false;
			p->scrolled = false;
			return true;
		}
	}
	return tui_panel_text_search(p, render, p, text, dir);
}

int tui_live_write_results(struct tui_panel *p, tui_write_results_fn write, const char *out_dir,
			   struct sb_err *err)
{
	struct live_run *r = ((struct live_panel *)p)->st.run;
	if (!r || !write)
		return 0;
	live_run_end(r); /* a run still going stops at its next step boundary */
	bool any = false;
	for (size_t i = 0; i < r->n; i++) /* a step that ran, even in no whole iteration */
		for (size_t k = 0; k < r->scn[i].n_steps; k++)
			any |= hist_count(&r->scn[i].steps[k].hist) > 0 || r->scn[i].steps[k].errors > 0;
	if (!r->have_report || !any)
		return 0;
	return write(&r->report, out_dir, err) ? -1 : 1;
}

static void panel_free(struct tui_panel *p)
{
	live_run_stop(((struct live_panel *)p)->st.run);
	free(p);
}

static const struct tui_panel_ops ops = {
	.draw = draw, .key = key, .ticking = ticking, .update_model = update_model, .free = panel_free,
	.applies = applies, .search = search, .bar_label = bar_label,
};

struct tui_panel *tui_live_panel(const struct tui_model *m, bool paused, struct sb_err *err)
{
	struct live_panel *lp = calloc(1, sizeof *lp);
	if (!lp) {
		sb_errf(err, SB_E_NOMEM, "out of memory");
		return NULL;
	}
	lp->p = (struct tui_panel){ &ops, m, 0, false };
	lp->st.follow = true;
	snprintf(lp->st.header, sizeof lp->st.header, "%s", m->source);
	if (m->scenarios.n && live_run_start(&lp->st.run, &m->scenarios, paused, err)) {
		free(lp);
		return NULL;
	}
	return &lp->p;
}
