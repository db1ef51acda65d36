/* view_live.c — the live-run panel: runs the model's scenarios in the
 * background (live_run.c), redraws while they run, pauses, steps and
 * hands the snapshots it inspects to the model. */
#include <stdlib.h>

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

static void draw(struct tui_panel *p, int y, int h, int width)
{
	char *text = tui_render_string(render, p, width, h);
	if (text)
		tui_draw_text(text, y, h, width, &p->top, NULL);
	free(text);
}

static bool key(struct tui_panel *p, enum tui_action a, int page_rows)
{
	struct live_state *st = &((struct live_panel *)p)->st;
	(void)page_rows;
	if (!st->run)
		return false;
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
	case TUI_ACT_UP: st->cursor = st->cursor > 0 ? st->cursor - 1 : 0; break;
	case TUI_ACT_DOWN:
		if ((size_t)st->cursor + 1 < st->run->n)
			st->cursor++;
		break;
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

static void panel_free(struct tui_panel *p)
{
	live_run_stop(((struct live_panel *)p)->st.run);
	free(p);
}

static const struct tui_panel_ops ops = {
	.draw = draw, .key = key, .ticking = ticking, .update_model = update_model, .free = panel_free,
};

struct tui_panel *tui_live_panel(const struct tui_model *m, bool paused, struct sb_err *err)
{
	struct live_panel *lp = calloc(1, sizeof *lp);
	if (!lp) {
		sb_errf(err, SB_E_NOMEM, "out of memory");
		return NULL;
	}
	lp->p = (struct tui_panel){ &ops, m, 0 };
	if (m->scenarios.n && live_run_start(&lp->st.run, &m->scenarios, paused, err)) {
		free(lp);
		return NULL;
	}
	return &lp->p;
}
