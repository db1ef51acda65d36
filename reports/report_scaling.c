/* report_scaling.c — the scaling table (report_scaling.h): scenarios that
 * declare a way of serving calls, grouped into series (restore strategy,
 * heap, call mode), tabled way by sandbox count, in text and in HTML.
 *
 * Throughput comes from the steps, not the wall time: the wall time also
 * holds the scenario's snapshot build and its calibration before and after
 * (~0.14 s here), the warm-up iterations, whose calls are not recorded, and
 * set-up steps no call needs (a reuse scenario creates its sandbox and
 * loads its snapshot once per iteration). The time the threads spent in
 * the way's own steps (a step's mean x count, summed, divided by the
 * threads) is the time that served the recorded calls, when the threads
 * run side by side, as a closed loop's do: on scaling.ini here the threads
 * were outside any step for 1-8 % of the recorded time, and
 * create-per-call's figure read 1-8 % above calls / (wall time -
 * calibration - warm-up). */
#include "report_scaling.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report_units.h"
#include "report_util.h"

#define POOLED " (pooled)"

/* Rows in this order; names a newer snapbench adds come after, as met. */
static const char *const known_ways[] = { "reuse", "restore-per-call", "create-per-call",
					  "create-per-call" POOLED };
#define N_KNOWN (sizeof known_ways / sizeof known_ways[0])

static const char *option(const struct scenario_result *s, const char *name)
{
	for (size_t i = 0; i < s->n_options; i++)
		if (strcmp(s->options[i].name, name) == 0)
			return s->options[i].value;
	return "";
}

/* create-per-call from a pool is create-per-call with the pool option
 * set (issue 15's pool adds `pool = N`; 0 or absent: no pool). */
static void way_of(const struct scenario_result *s, char *buf, size_t cap)
{
	const char *pool = option(s, "pool");
	bool pooled = strcmp(s->scaling, "create-per-call") == 0 && pool[0] && strcmp(pool, "0");
	snprintf(buf, cap, "%s%s", s->scaling, pooled ? POOLED : "");
}

static size_t way_rank(const char *way)
{
	for (size_t i = 0; i < N_KNOWN; i++)
		if (strcmp(way, known_ways[i]) == 0)
			return i;
	return N_KNOWN;
}

/* The step kinds of a way's cycle: what serving one call costs it.
 * False for a way this build does not know. */
static bool cycle_kinds(const char *way, bool kinds[SCENARIO_STEP__COUNT])
{
	memset(kinds, 0, SCENARIO_STEP__COUNT * sizeof *kinds);
	kinds[SCENARIO_STEP_CALL] = true;
	switch (way_rank(way)) {
	case 0: return true;
	case 1: kinds[SCENARIO_STEP_RESTORE] = true; return true;
	case 2:
	case 3:
		/* pooled: its create and destroy rows are the pool's take and
		 * put; a scrub the pool runs on a thread of its own is not in
		 * them (the pool's report shows it) */
		kinds[SCENARIO_STEP_CREATE] = kinds[SCENARIO_STEP_DESTROY] = true;
		return true;
	default: return false;
	}
}

/* p50 of every row of `kind` together; false when none ran. *few is
 * set when it rests on few samples. */
static bool p50_of(const struct scenario_result *s, enum scenario_step_kind kind, struct hist *h,
		   uint64_t *out, bool *few)
{
	if (!report_merge_kind(s, kind, h) || hist_count(h) == 0)
		return false;
	*out = hist_value_at_percentile(h, 50);
	*few |= report_pct_few(hist_count(h), 50);
	return true;
}

static void measure(struct scaling_cell *c, struct hist *h)
{
	const struct scenario_result *s = c->s;
	bool kinds[SCENARIO_STEP__COUNT];
	if (s->failed) {
		c->why = "the scenario failed: no figures";
		return;
	}
	if (!cycle_kinds(c->way, kinds)) {
		c->why = "a way this snapbench does not know: which steps serve a call is not known";
		return;
	}
	for (size_t i = 0; i < s->n_steps; i++) {
		const struct step_stats *st = &s->steps[i];
		uint64_t n = hist_count(&st->hist);
		if (!kinds[st->kind] || n == 0)
			continue;
		c->busy_ns += hist_mean(&st->hist) * (double)n;
		if (st->kind == SCENARIO_STEP_CALL)
			c->calls += n;
	}
	if (!p50_of(s, SCENARIO_STEP_CALL, h, &c->call_p50_ns, &c->call_few) || !c->calls) {
		c->why = "no call recorded";
		return;
	}
	if (!s->sandboxes) {
		c->why = "no sandbox ran (sandboxes 0)";
		return;
	}
	if (!(c->busy_ns > 0)) {
		c->why = "no time recorded in its steps";
		return;
	}
	c->calls_per_s = (double)c->calls * 1e9 / (c->busy_ns / (double)s->sandboxes);
	uint64_t a, b;
	if (kinds[SCENARIO_STEP_RESTORE]) {
		if (!p50_of(s, SCENARIO_STEP_RESTORE, h, &a, &c->overhead_few)) {
			c->why = "no restore recorded (its per-call overhead)";
			return;
		}
		c->has_overhead = true;
		c->overhead_p50_ns = a;
	} else if (kinds[SCENARIO_STEP_CREATE]) {
		if (!p50_of(s, SCENARIO_STEP_CREATE, h, &a, &c->overhead_few) ||
		    !p50_of(s, SCENARIO_STEP_DESTROY, h, &b, &c->overhead_few)) {
			c->why = "no create or no destroy recorded (its per-call overhead)";
			return;
		}
		c->has_overhead = true;
		c->overhead_p50_ns = a + b;
	}
	c->ok = true;
}

static bool same_series(const struct scaling_series *x, const struct scenario_result *s)
{
	return strcmp(x->strategy, s->restore_strategy) == 0 && x->heap_bytes == s->heap_bytes &&
	       strcmp(x->mode, option(s, "mode")) == 0;
}

static int cmp_way(const void *a, const void *b)
{
	size_t x = way_rank(a), y = way_rank(b);
	return (x > y) - (x < y); /* the known ways only: each once in a series */
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

static size_t index_of_way(const struct scaling_series *x, const char *way)
{
	size_t i = 0;
	while (i < x->n_ways && strcmp(x->ways[i], way))
		i++;
	return i;
}

static size_t index_of_count(const struct scaling_series *x, uint64_t n)
{
	size_t i = 0;
	while (i < x->n_counts && x->counts[i] != n)
		i++;
	return i;
}

static void leave_out(struct scaling_report *sr, const struct scenario_result *s,
		      const struct scenario_result *taken, const char *why)
{
	sr->left_out[sr->n_left_out++] = (struct scaling_left_out){ s, taken, why };
}

int scaling_report_build(const struct run_report *r, struct scaling_report *out)
{
	memset(out, 0, sizeof *out);
	size_t n = 0;
	for (size_t i = 0; i < r->n_scenarios; i++)
		n += r->scenarios[i].scaling[0] != '\0';
	if (n == 0)
		return 0;
	out->cells = calloc(n, sizeof *out->cells);
	out->series = calloc(n, sizeof *out->series);
	out->left_out = calloc(n, sizeof *out->left_out);
	struct hist *h = malloc(sizeof *h);
	if (!out->cells || !out->series || !out->left_out || !h) {
		free(h);
		scaling_report_free(out);
		return -1;
	}
	/* the cells, each measured, and the series' rows and columns */
	bool *placed = calloc(n, sizeof *placed);
	if (!placed) {
		free(h);
		scaling_report_free(out);
		return -1;
	}
	for (size_t i = 0; i < r->n_scenarios; i++) {
		const struct scenario_result *s = &r->scenarios[i];
		if (!s->scaling[0])
			continue;
		struct scaling_cell *c = &out->cells[out->n_cells++];
		c->s = s;
		way_of(s, c->way, sizeof c->way);
		measure(c, h);
		struct scaling_series *x = NULL;
		for (size_t k = 0; k < out->n_series && !x; k++)
			if (same_series(&out->series[k], s))
				x = &out->series[k];
		if (!x) {
			x = &out->series[out->n_series++];
			x->strategy = s->restore_strategy;
			x->heap_bytes = s->heap_bytes;
			x->mode = option(s, "mode");
		}
		size_t w = index_of_way(x, c->way), k = index_of_count(x, s->sandboxes);
		if (w == x->n_ways && x->n_ways == SCALING_MAX_WAYS) {
			leave_out(out, s, NULL, "more ways than a table has rows");
			continue;
		}
		if (k == x->n_counts && x->n_counts == SCALING_MAX_COUNTS) {
			leave_out(out, s, NULL, "more sandbox counts than a table has columns");
			continue;
		}
		if (w == x->n_ways)
			snprintf(x->ways[x->n_ways++], SCALING_WAY_MAX, "%s", c->way);
		if (k == x->n_counts)
			x->counts[x->n_counts++] = s->sandboxes;
		placed[out->n_cells - 1] = true;
	}
	/* rows in the known order (the unknown ones after, in the order met:
	 * qsort is not stable, so only the known ones move), columns by count */
	for (size_t k = 0; k < out->n_series; k++) {
		struct scaling_series *x = &out->series[k];
		size_t known = 0;
		for (size_t i = 0; i < x->n_ways; i++) {
			if (way_rank(x->ways[i]) == N_KNOWN)
				continue;
			char t[SCALING_WAY_MAX];
			memcpy(t, x->ways[i], sizeof t);
			memmove(x->ways[known + 1], x->ways[known], (i - known) * sizeof x->ways[0]);
			memcpy(x->ways[known++], t, sizeof t);
		}
		qsort(x->ways, known, sizeof x->ways[0], cmp_way);
		qsort(x->counts, x->n_counts, sizeof x->counts[0], cmp_u64);
		for (size_t w = 0; w < SCALING_MAX_WAYS; w++)
			for (size_t c = 0; c < SCALING_MAX_COUNTS; c++)
				x->cell[w][c] = -1;
	}
	/* each cell in its place: the first scenario of a way and count in
	 * report order; the series' yardstick */
	for (size_t i = 0; i < out->n_cells; i++) {
		struct scaling_cell *c = &out->cells[i];
		if (!placed[i])
			continue;
		struct scaling_series *x = out->series;
		while (!same_series(x, c->s))
			x++;
		size_t w = index_of_way(x, c->way), k = index_of_count(x, c->s->sandboxes);
		if (x->cell[w][k] >= 0) {
			leave_out(out, c->s, out->cells[x->cell[w][k]].s,
				  "the same way and sandbox count as an earlier scenario");
			continue;
		}
		x->cell[w][k] = (int)i;
		uint64_t e = c->s->cal.exit_sandbox_ns;
		if (e && (!x->exit_ns || e < x->exit_ns))
			x->exit_ns = e;
	}
	for (size_t i = 0; i < out->n_cells; i++) {
		struct scaling_series *x = out->series;
		while (!same_series(x, out->cells[i].s))
			x++;
		out->cells[i].exit_ns = x->exit_ns;
	}
	free(placed);
	free(h);
	return 0;
}

void scaling_report_free(struct scaling_report *sr)
{
	free(sr->cells);
	free(sr->series);
	free(sr->left_out);
	memset(sr, 0, sizeof *sr);
}

/* calls/s with 3 significant digits, as the latencies are printed */
static void fmt_rate(char *buf, size_t cap, double v)
{
	if (!(v > 0) || !isfinite(v)) {
		snprintf(buf, cap, "0");
		return;
	}
	double unit = pow(10, floor(log10(v * (1 + 1e-12))) - 2);
	double x = round(v / unit) * unit;
	snprintf(buf, cap, x >= 100 ? "%.0f" : "%.3g", x);
}

static void fmt_ratio(char *buf, size_t cap, bool have, uint64_t ns, uint64_t exit_ns, bool few)
{
	double x;
	if (have && report_ratio(ns, exit_ns, &x))
		snprintf(buf, cap, "%.3f%s", x, few ? REPORT_FEW_MARK : "");
	else
		snprintf(buf, cap, "-");
}

/* The threads' time per call, all of them together (1 / calls/s), over
 * the sandbox exit: the throughput as a ratio, next to the call's. */
static void fmt_per_call(char *buf, size_t cap, const struct scaling_cell *c)
{
	if (c->exit_ns && c->calls_per_s > 0)
		snprintf(buf, cap, "%.3f", report_round3(1e9 / c->calls_per_s / (double)c->exit_ns));
	else
		snprintf(buf, cap, "-");
}

static void series_title(char *buf, size_t cap, const struct scaling_series *x)
{
	char heap[32];
	report_fmt_bytes(heap, sizeof heap, x->heap_bytes);
	snprintf(buf, cap, "restore strategy %s, heap %s%s%s", x->strategy, heap,
		 x->mode[0] ? ", mode " : "", x->mode);
}

static bool over(const struct run_report *r, uint64_t sandboxes)
{
	return r->machine.cpus && sandboxes > r->machine.cpus;
}

/* "this machine has 2 cpus: 4 and 8 sandboxes are over-subscribed (...)" */
static void over_note(char *buf, size_t cap, const struct run_report *r,
		      const struct scaling_series *x, const char *mark)
{
	size_t used = (size_t)snprintf(buf, cap, "this machine has %u cpu%s", r->machine.cpus,
				       r->machine.cpus == 1 ? "" : "s");
	size_t n = 0, left = 0;
	for (size_t k = 0; k < x->n_counts; k++)
		left += over(r, x->counts[k]);
	for (size_t k = 0; k < x->n_counts && used < cap; k++) {
		if (!over(r, x->counts[k]))
			continue;
		n++;
		used += (size_t)snprintf(buf + used, cap - used, "%s%" PRIu64,
					 n == 1 ? ": " : n == left ? " and " : ", ", x->counts[k]);
	}
	if (used < cap)
		snprintf(buf + used, cap - used, "%s",
			 !n ? ": no sandbox count is over-subscribed"
			    : " sandboxes are over-subscribed (more threads than cpus)");
	used = strlen(buf);
	if (n && used < cap)
		snprintf(buf + used, cap - used, "%s", mark);
}

/* Whether a cell of the series shows a p50 on few samples (marked ~). */
static bool series_few(const struct scaling_report *sr, const struct scaling_series *x)
{
	for (size_t w = 0; w < x->n_ways; w++)
		for (size_t k = 0; k < x->n_counts; k++) {
			int i = x->cell[w][k];
			if (i >= 0 && sr->cells[i].ok &&
			    (sr->cells[i].call_few || (sr->cells[i].has_overhead && sr->cells[i].overhead_few)))
				return true;
		}
	return false;
}

/* ---- text ------------------------------------------------------------------ */

static void text_series(FILE *f, const struct run_report *r, const struct scaling_report *sr,
			const struct scaling_series *x)
{
	char title[160], e[32], note[300];
	series_title(title, sizeof title, x);
	report_fmt_us_sig3(e, sizeof e, (double)x->exit_ns);
	fprintf(f, "\n   %s; sandbox exit %s us\n", title, x->exit_ns ? e : "not measured");
	if (r->machine.cpus) {
		over_note(note, sizeof note, r, x, "; marked *");
		report_wrap(f, "   ", note);
	}
	int ww = 9; /* "sandboxes" */
	for (size_t w = 0; w < x->n_ways; w++)
		if ((int)strlen(x->ways[w]) > ww)
			ww = (int)strlen(x->ways[w]);
	fprintf(f, "   %-*s", ww, "sandboxes");
	for (size_t k = 0; k < x->n_counts; k++) {
		char n[32];
		snprintf(n, sizeof n, "%" PRIu64 "%s", x->counts[k], over(r, x->counts[k]) ? "*" : "");
		fprintf(f, "  %36s", n);
	}
	fprintf(f, "\n   %-*s", ww, "way");
	for (size_t k = 0; k < x->n_counts; k++)
		fprintf(f, "  %9s %8s %7s %9s", "calls/s", "per call", "call", "overhead");
	fputc('\n', f);
	for (size_t w = 0; w < x->n_ways; w++) {
		fprintf(f, "   %-*s", ww, x->ways[w]);
		for (size_t k = 0; k < x->n_counts; k++) {
			int i = x->cell[w][k];
			const struct scaling_cell *c = i >= 0 ? &sr->cells[i] : NULL;
			char rate[32] = "-", per[32] = "-", call[32] = "-", ovh[32] = "-";
			if (c && !c->ok)
				snprintf(rate, sizeof rate, "n/a");
			if (c && c->ok) {
				fmt_rate(rate, sizeof rate, c->calls_per_s);
				fmt_per_call(per, sizeof per, c);
				fmt_ratio(call, sizeof call, true, c->call_p50_ns, c->exit_ns, c->call_few);
				fmt_ratio(ovh, sizeof ovh, c->has_overhead, c->overhead_p50_ns,
					  c->exit_ns, c->overhead_few);
			}
			fprintf(f, "  %9s %8s %7s %9s", rate, per, call, ovh);
		}
		fputc('\n', f);
	}
	if (series_few(sr, x))
		report_wrap(f, "   ", REPORT_FEW_NOTE);
	for (size_t w = 0; w < x->n_ways; w++)
		for (size_t k = 0; k < x->n_counts; k++) {
			int i = x->cell[w][k];
			if (i >= 0 && !sr->cells[i].ok)
				fprintf(f, "   n/a: %s (%s, %" PRIu64 " sandboxes): %s\n",
					sr->cells[i].s->name, x->ways[w], x->counts[k],
					sr->cells[i].why);
		}
}

int report_text_scaling(FILE *f, const struct run_report *r)
{
	struct scaling_report sr;
	if (scaling_report_build(r, &sr))
		return -1;
	if (sr.n_cells == 0)
		return 0;
	fprintf(f, "\n== scaling: calls served per way and sandbox count (the scenarios that "
		   "declare scaling)\n");
	report_wrap(f, "   ", SCALING_RATE_NOTE);
	report_wrap(f, "   ", SCALING_RATIO_NOTE "; " SCALING_EXIT_NOTE);
	for (size_t k = 0; k < sr.n_series; k++)
		text_series(f, r, &sr, &sr.series[k]);
	for (size_t i = 0; i < sr.n_left_out; i++) {
		const struct scaling_left_out *l = &sr.left_out[i];
		fprintf(f, "   left out: %s: %s%s%s\n", l->s->name, l->why, l->taken ? ", " : "",
			l->taken ? l->taken->name : "");
	}
	scaling_report_free(&sr);
	return 0;
}

/* ---- HTML ------------------------------------------------------------------ */

static void esc(FILE *f, const char *s)
{
	report_html_escape(f, s);
}

static void html_series(FILE *f, const struct run_report *r, const struct scaling_report *sr,
			const struct scaling_series *x)
{
	char title[160], e[32], note[300];
	series_title(title, sizeof title, x);
	report_fmt_us_sig3(e, sizeof e, (double)x->exit_ns);
	fputs("<div class=\"wide\"><table>\n<caption>Scaling, ", f);
	esc(f, title);
	fprintf(f, ": calls per second over all threads (from the time in the way's steps, not "
		   "the wall time: see below), and per call, call p50 and overhead p50 over the "
		   "sandbox exit (%s%s)</caption>\n",
		x->exit_ns ? e : "not measured", x->exit_ns ? " µs" : "");
	fputs("<tr><th scope=\"col\" rowspan=\"2\">way</th>", f);
	for (size_t k = 0; k < x->n_counts; k++)
		fprintf(f, "<th scope=\"colgroup\" colspan=\"4\">%" PRIu64 " sandbox%s%s</th>",
			x->counts[k], x->counts[k] == 1 ? "" : "es",
			over(r, x->counts[k]) ? " (over-subscribed)" : "");
	fputs("</tr>\n<tr>", f);
	for (size_t k = 0; k < x->n_counts; k++)
		fputs("<th scope=\"col\">calls/s</th><th scope=\"col\">per call / exit</th>"
		      "<th scope=\"col\">call p50 / exit</th><th scope=\"col\">overhead p50 / exit</th>",
		      f);
	fputs("</tr>\n", f);
	for (size_t w = 0; w < x->n_ways; w++) {
		fputs("<tr><th scope=\"row\" style=\"white-space:nowrap\">", f);
		esc(f, x->ways[w]);
		fputs("</th>", f);
		for (size_t k = 0; k < x->n_counts; k++) {
			int i = x->cell[w][k];
			const struct scaling_cell *c = i >= 0 ? &sr->cells[i] : NULL;
			if (!c) {
				fputs("<td class=\"n\">–</td><td class=\"n\">–</td><td class=\"n\">–</td>"
				      "<td class=\"n\">–</td>",
				      f);
				continue;
			}
			if (!c->ok) {
				fputs("<td colspan=\"4\" class=\"none\" title=\"", f);
				esc(f, c->s->name);
				fputs("\">", f);
				esc(f, c->why);
				fputs("</td>", f);
				continue;
			}
			char rate[32], per[32], call[32], ovh[32];
			fmt_rate(rate, sizeof rate, c->calls_per_s);
			fmt_per_call(per, sizeof per, c);
			fmt_ratio(call, sizeof call, true, c->call_p50_ns, c->exit_ns, c->call_few);
			fmt_ratio(ovh, sizeof ovh, c->has_overhead, c->overhead_p50_ns, c->exit_ns,
				  c->overhead_few);
			const char *cells[] = { rate, per, call, ovh };
			for (size_t v = 0; v < 4; v++) {
				fputs("<td class=\"n\" title=\"", f);
				esc(f, c->s->name);
				fprintf(f, "\">%s</td>", strcmp(cells[v], "-") ? cells[v] : "–");
			}
		}
		fputs("</tr>\n", f);
	}
	fputs("</table></div>\n", f);
	if (series_few(sr, x)) {
		fputs("<p class=\"note few\">", f);
		esc(f, REPORT_FEW_NOTE);
		fputs(".</p>\n", f);
	}
	if (r->machine.cpus) {
		over_note(note, sizeof note, r, x, "");
		fputs("<p class=\"note\">", f);
		esc(f, note);
		fputs(".</p>\n", f);
	}
}

int report_html_scaling(FILE *f, const struct run_report *r)
{
	struct scaling_report sr;
	if (scaling_report_build(r, &sr))
		return -1;
	if (sr.n_cells == 0)
		return 0;
	fputs("<h2>Scaling</h2>\n", f);
	for (size_t k = 0; k < sr.n_series; k++)
		html_series(f, r, &sr, &sr.series[k]);
	fputs("<p class=\"note\">", f);
	esc(f, SCALING_RATE_NOTE ". " SCALING_RATIO_NOTE "; " SCALING_EXIT_NOTE);
	fputs(".</p>\n", f);
	if (sr.n_left_out) {
		fputs("<ul>\n", f);
		for (size_t i = 0; i < sr.n_left_out; i++) {
			const struct scaling_left_out *l = &sr.left_out[i];
			fputs("<li>Left out: ", f);
			esc(f, l->s->name);
			fputs(": ", f);
			esc(f, l->why);
			if (l->taken) {
				fputs(", ", f);
				esc(f, l->taken->name);
			}
			fputs("</li>\n", f);
		}
		fputs("</ul>\n", f);
	}
	scaling_report_free(&sr);
	return 0;
}
