/* render_live.c — the live-run view as text: where the run is (paused,
 * which sandbox waits before which step, what was inspected), then per
 * scenario its progress and per step label its percentiles and a
 * histogram sparkline. */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "tui.h"

/* Density ramp for sparklines: plain ASCII so monochrome / dumb
 * terminals and golden files show the same thing. */
static const char ramp[] = " .:-=+*#@";

/* Counts over `cells` log-spaced bins between min and max. */
static void sparkline(FILE *f, const struct hist *h, int cells)
{
	uint64_t bins[256] = { 0 }, top = 0;
	if (cells > 256)
		cells = 256;
	double lo = log((double)(hist_min(h) ? hist_min(h) : 1));
	double hi = log((double)(hist_max(h) ? hist_max(h) : 1)) + 1e-9;
	struct hist_iter it;
	struct hist_bucket b;
	for (hist_iter_init(&it, h); hist_iter_next(&it, &b);) {
		double v = log((double)(b.lower_ns ? b.lower_ns : 1));
		int i = hi > lo ? (int)((v - lo) / (hi - lo) * cells) : 0;
		if (i < 0)
			i = 0;
		if (i >= cells)
			i = cells - 1;
		bins[i] += b.count;
	}
	for (int i = 0; i < cells; i++)
		if (bins[i] > top)
			top = bins[i];
	for (int i = 0; i < cells; i++) {
		int level = bins[i] && top ? 1 + (int)((bins[i] * (uint64_t)(sizeof ramp - 3)) / top) : 0;
		fputc(ramp[level], f);
	}
}

/* A row name that fits `w` columns: the step label, cut if need be, and
 * its row in short ("call touch_pages (first after restore)" at 22
 * columns: "call touch_pag 1st/rst"), so rows of one step stay apart. */
static void row_name(char *out, size_t n, const struct step_stats *s, int w)
{
	static const char *const shorts[] = {
		[SCENARIO_VARIANT_NONE] = "",
		[SCENARIO_VARIANT_FIRST_AFTER_CREATE] = "1st/new",
		[SCENARIO_VARIANT_FIRST_AFTER_RESTORE] = "1st/rst",
		[SCENARIO_VARIANT_STEADY] = "steady",
		[SCENARIO_VARIANT_SAME_SNAPSHOT] = "same",
		[SCENARIO_VARIANT_OTHER_SNAPSHOT] = "other",
		[SCENARIO_VARIANT_POOLED] = "pooled",
		[SCENARIO_VARIANT_FRESH] = "fresh",
		[SCENARIO_VARIANT_NOT_POOLED] = "unpooled",
	};
	if ((int)strlen(s->label) <= w || (unsigned)s->variant >= sizeof shorts / sizeof shorts[0] ||
	    !shorts[s->variant] || !shorts[s->variant][0]) {
		snprintf(out, n, "%.*s", w, s->label);
		return;
	}
	int tail = (int)strlen(shorts[s->variant]) + 1;
	snprintf(out, n, "%-*.*s %s", w - tail, w - tail, s->step, shorts[s->variant]);
}

/* Print `text` in lines of at most `width` columns, the first after
 * `lead`, the others indented by `indent`; breaks at spaces where it can
 * (a crash dump's path at the end of an error is worth reading whole). */
static void wrap(FILE *f, const char *lead, const char *text, int indent, int width)
{
	int col = fprintf(f, "%s", lead);
	size_t len = strlen(text);
	if (!len)
		fputc('\n', f);
	while (len) {
		int room = width - col;
		if (room < 10)
			room = 10;
		size_t take = len;
		if (take > (size_t)room) {
			take = (size_t)room;
			size_t sp = take;
			while (sp > (size_t)room / 2 && text[sp] != ' ')
				sp--;
			if (text[sp] == ' ')
				take = sp;
		}
		fprintf(f, "%.*s\n", (int)take, text);
		text += take;
		len -= take;
		while (*text == ' ') {
			text++;
			len--;
		}
		if (len)
			col = fprintf(f, "%*s", indent, "");
	}
}

/* Rows with failed executions: how many and the first message, wrapped
 * (the errors column counts them; they are not in the latencies). */
static void tui_live_failures(FILE *f, const struct live_scenario *ls, int width)
{
	for (size_t i = 0; i < ls->n_steps; i++) {
		const struct step_stats *s = &ls->steps[i];
		if (!s->errors)
			continue;
		char lead[160];
		snprintf(lead, sizeof lead, "  failed: %.60s (line %u): ", s->step, s->first_error_line);
		if ((int)strlen(lead) > width / 2) {
			fprintf(f, "%.*s\n", width, lead);
			lead[0] = '\0';
			fputs("    ", f);
		}
		wrap(f, lead, s->first_error[0] ? s->first_error : "(no message)", 4, width);
	}
}

/* p50 .. max of a row: "warm-up" while a running scenario has recorded
 * nothing yet (its first iterations are not recorded), "-" when nothing
 * was recorded at all, not 0ns. */
static const char *latency(const struct live_scenario *ls, const struct hist *h, uint64_t ns, char *buf,
			   size_t n)
{
	if (hist_count(h))
		return tui_human_ns(ns, buf, n);
	if (ls->warmup && ls->done <= ls->warmup && (ls->status == LIVE_RUNNING || ls->status == LIVE_WAITING))
		return "warm-up";
	return "-";
}

static void scenario_block(FILE *f, const struct live_scenario *ls, bool selected, int width)
{
	char t[160];
	if (ls->total)
		snprintf(t, sizeof t, "%s%s: %s, %" PRIu64 "/%" PRIu64 " iterations, restore %s",
			 selected ? "> " : "", ls->name, live_status_name(ls->status), ls->done,
			 ls->total, ls->strategy);
	else
		snprintf(t, sizeof t, "%s%s: %s, %" PRIu64 " iterations, restore %s",
			 selected ? "> " : "", ls->name, live_status_name(ls->status), ls->done,
			 ls->strategy);
	tui_hline(f, width, t);
	if (ls->status == LIVE_FAILED || ls->status == LIVE_STOPPED)
		wrap(f, ls->status == LIVE_FAILED ? "  error: " : "  why: ", ls->error, 4, width);
	if (!selected)
		return;
	int label_w = tui_wide(width) ? 32 : 22;
	int spark = width - (label_w + 2 + 7 + 7 + 4 * 9 + 2);
	fprintf(f, "  %-*s %6s %6s %8s %8s %8s %8s  %s\n", label_w, "step", "count", "errors", "p50",
		"p90", "p99", "max", spark >= 8 ? "histogram (log time)" : "");
	for (size_t i = 0; i < ls->n_steps; i++) {
		const struct step_stats *s = &ls->steps[i];
		const struct hist *h = &s->hist;
		char a[16], b[16], c[16], d[16], name[64];
		row_name(name, sizeof name, s, label_w);
		fprintf(f, "  %-*s %6" PRIu64 " %6" PRIu64 " %8s %8s %8s %8s", label_w, name,
			hist_count(h), s->errors, latency(ls, h, hist_value_at_percentile(h, 50), a, sizeof a),
			latency(ls, h, hist_value_at_percentile(h, 90), b, sizeof b),
			latency(ls, h, hist_value_at_percentile(h, 99), c, sizeof c),
			latency(ls, h, hist_max(h), d, sizeof d));
		if (spark >= 8 && hist_count(h)) {
			fputs("  ", f);
			sparkline(f, h, spark);
		}
		fputc('\n', f);
	}
	if (!ls->n_steps)
		fprintf(f, "  (no results yet)\n");
	tui_live_failures(f, ls, width);
}

/* The run's state: one line, then while paused where it waits. */
static void run_state(FILE *f, const struct live_run *r, int width)
{
	fprintf(f, "live run: %s, scenario %zu of %zu\n",
		r->finished ? "finished" : r->paused ? "PAUSED" : "running", r->current + 1, r->n);
	if (r->finished)
		return;
	int focus = live_run_focus(r);
	if (r->paused && focus != LIVE_NOBODY) {
		const struct scenario_step *next = r->waiter[focus].next;
		fprintf(f, "next: sandbox %d, step '%.*s' (line %u)\n", focus, width - 40, next->label,
			next->line);
	} else if (r->paused) {
		fprintf(f, "pausing: waiting for the step in flight\n");
	}
	if (r->inspections)
		fprintf(f, "inspected %" PRIu64 " snapshot%s; views 1-3 show the last%s\n", r->inspections,
			r->inspections == 1 ? "" : "s", r->inspections > 1 ? ", dedup compares the last two" : "");
	if (r->msg[0])
		fprintf(f, "%.*s\n", width, r->msg);
}

/* What views 1-3 show, once the run handed them a snapshot: a paused
 * sandbox's, which the run has left behind once it goes on. */
static void shown(FILE *f, const struct tui_model *m, const struct live_run *r, int width)
{
	if (!m->live)
		return;
	fprintf(f, "views 1-3 show%s:\n  %.*s\n",
		r->paused && !r->finished ? "" : " a sandbox the run has left behind since", width - 2,
		m->source);
}

void tui_render_live(FILE *f, const struct tui_model *m, const struct live_state *st, int width,
		     int height)
{
	(void)height;
	struct live_run *r = st->run;
	fprintf(f, "%.*s\n", width, st->header[0] ? st->header : m->source);
	if (!r) {
		fprintf(f, "no scenario to run: start `snapbench tui SCENARIO-FILE`\n");
		return;
	}
	pthread_mutex_lock(&r->lock);
	run_state(f, r, width);
	shown(f, m, r, width);
	for (size_t i = 0; i < r->n; i++)
		scenario_block(f, &r->scn[i], (int)i == st->cursor, width);
	pthread_mutex_unlock(&r->lock);
	fprintf(f, "%.*s\n", width,
		"latencies in ns/us/ms; percentiles of the recorded iterations, warm-up excluded");
}
