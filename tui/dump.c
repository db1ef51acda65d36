/* dump.c — `snapbench tui --dump VIEW`: a view's text renderer, no curses. */
#include <stdlib.h>

#include "tui.h"

int tui_dump_pt(FILE *f, const struct tui_model *m, int width, const unsigned long long *va,
		enum pt_filter filter, struct sb_err *err)
{
	struct pt_state st;
	if (pt_state_init(&st, m))
		return sb_errf(err, SB_E_NOMEM, "out of memory");
	if (va)
		pt_state_jump(&st, (gva_t)*va); /* resets the filter */
	if (filter != PT_FILTER_ALL)
		pt_state_set_filter(&st, filter);
	tui_render_pt(f, m, &st, width, 0);
	pt_state_free(&st);
	return 0;
}

int tui_dump(FILE *f, const struct tui_model *m, enum tui_view view, int width, struct sb_err *err)
{
	switch (view) {
	case TUI_VIEW_LAYOUT: {
		struct layout_state st = { 0 };
		tui_render_layout(f, m, &st, width, 0);
		return 0;
	}
	case TUI_VIEW_PT:
		return tui_dump_pt(f, m, width, NULL, PT_FILTER_ALL, err);
	case TUI_VIEW_DEDUP: {
		struct dedup_state st;
		if (dedup_state_init(&st, m, err))
			return -1;
		tui_render_dedup(f, m, &st, width, 0);
		st.mode = DEDUP_MODE_COMPARE;
		tui_render_dedup(f, m, &st, width, 0);
		dedup_state_free(&st);
		return 0;
	}
	case TUI_VIEW_LIVE: {
		struct live_state st = { 0 };
		if (m->scenarios.n) {
			if (live_run_start(&st.run, &m->scenarios, false, err))
				return -1;
			live_run_wait(st.run);
		}
		for (size_t i = 0; i < (st.run ? st.run->n : 1); i++) {
			st.cursor = (int)i;
			tui_render_live(f, m, &st, width, 0);
		}
		live_run_stop(st.run);
		return 0;
	}
	default:
		return sb_errf(err, SB_E_INVAL, "no such view");
	}
}
