/* report_strategies.c — the restore strategies side by side: every
 * scenario that declares the pages its calls re-dirty (option
 * dirtied_pages) is a cell of a sweep (heap, pages, strategy) with its
 * restore-to-ready overhead (restore + first call - steady call,
 * results.h) and its ratio to the run's sandbox exit (report_util.h); the
 * HTML report plots it per heap size against those pages, one line per
 * strategy, both axes logarithmic, and tables every cell (report_html.h);
 * the text report tables them too. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report_html.h"
#include "report_util.h"
#include "svg_plot.h"

#define TIP_MAX 200
#define MAX_TICKS 24

static int cmp_cell(const void *a, const void *b)
{
	const struct sweep_cell *x = a, *y = b;
	if (x->s->heap_bytes != y->s->heap_bytes)
		return x->s->heap_bytes < y->s->heap_bytes ? -1 : 1;
	if (x->s->dirtied_pages != y->s->dirtied_pages)
		return x->s->dirtied_pages < y->s->dirtied_pages ? -1 : 1;
	return (x->order > y->order) - (x->order < y->order);
}

static const char *option(const struct scenario_result *s, const char *name)
{
	for (size_t i = 0; i < s->n_options; i++)
		if (strcmp(s->options[i].name, name) == 0)
			return s->options[i].value;
	return "";
}

struct sweep_cell *report_sweep_cells(const struct run_report *r, size_t *n)
{
	struct sweep_cell *c = calloc(r->n_scenarios + 1, sizeof *c);
	*n = 0;
	for (size_t i = 0; c && i < r->n_scenarios; i++) {
		const struct scenario_result *s = &r->scenarios[i];
		if (s->dirtied_pages == SCENARIO_NONE)
			continue;
		struct sweep_cell *x = &c[(*n)++];
		*x = (struct sweep_cell){ .s = s, .order = i };
		x->ok = scenario_result_overhead(s, &x->o, &x->why);
	}
	/* the reference: the lowest sandbox exit of the cells that call in
	 * the same mode (each scenario keeps the lower of two measurements;
	 * this keeps the lowest of the run's: one yardstick for every cell) */
	for (size_t i = 0; c && i < *n; i++)
		for (size_t k = 0; k < *n; k++) {
			uint64_t e = c[k].s->cal.exit_sandbox_ns;
			if (e && (!c[i].exit_ns || e < c[i].exit_ns) &&
			    strcmp(option(c[k].s, "mode"), option(c[i].s, "mode")) == 0)
				c[i].exit_ns = e;
		}
	if (c)
		qsort(c, *n, sizeof *c, cmp_cell);
	return c;
}

/* Where a count of pages sits on the log axis: itself, or for 0 one
 * decade left of the smallest non-zero count (a log scale has no 0). */
static double x_of(uint64_t pages, double zero_at)
{
	return pages ? (double)pages : zero_at;
}

/* The strategies of the cells of one heap size, as they first come. */
static size_t strategies(const struct sweep_cell *c, size_t n, const char *names[], size_t cap)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		size_t j = 0;
		while (j < k && strcmp(names[j], c[i].s->restore_strategy) != 0)
			j++;
		if (j == k && k < cap)
			names[k++] = c[i].s->restore_strategy;
	}
	return k;
}

/* One plot: the cells c[0..n) of one heap size, overheads on the y axis
 * [ylo, yhi] µs that every heap's plot shares. */
static int plot_heap(FILE *f, const struct sweep_cell *c, size_t n, size_t index, double ylo,
		     double yhi)
{
	const char *names[MAX_TICKS];
	size_t ns = strategies(c, n, names, MAX_TICKS);
	struct plot_series *series = calloc(ns + 1, sizeof *series);
	struct plot_point *pts = calloc(n + 1, sizeof *pts);
	char (*tips)[TIP_MAX] = calloc(n + 1, sizeof *tips);
	if (!series || !pts || !tips) {
		free(series);
		free(pts);
		free(tips);
		return -1;
	}
	/* x: the counts (ticks at each), 0 a decade below the smallest */
	double min_pos = INFINITY, ticks[MAX_TICKS];
	char tick_text[MAX_TICKS][24];
	const char *tick_labels[MAX_TICKS];
	size_t nt = 0;
	for (size_t i = 0; i < n; i++)
		if (c[i].s->dirtied_pages)
			min_pos = fmin(min_pos, (double)c[i].s->dirtied_pages);
	double zero_at = isfinite(min_pos) ? min_pos / 10 : 1;
	for (size_t i = 0; i < n && nt < MAX_TICKS; i++) {
		double x = x_of(c[i].s->dirtied_pages, zero_at);
		if (nt && ticks[nt - 1] == x)
			continue; /* sorted by pages */
		ticks[nt] = x;
		snprintf(tick_text[nt], sizeof tick_text[nt], "%" PRIu64, c[i].s->dirtied_pages);
		tick_labels[nt] = tick_text[nt];
		nt++;
	}
	size_t np = 0;
	for (size_t k = 0; k < ns; k++) {
		series[k] = (struct plot_series){ .name = names[k], .pts = &pts[np], .lines = true };
		for (size_t i = 0; i < n; i++) {
			const struct sweep_cell *x = &c[i];
			/* a log scale shows positive values only; the table has the rest */
			if (!x->ok || x->o.overhead_ns <= 0 || strcmp(x->s->restore_strategy, names[k]))
				continue;
			double us = (double)x->o.overhead_ns / 1e3;
			snprintf(tips[np], TIP_MAX, "%s: %" PRIu64 " pages, %.3f us", x->s->name,
				 x->s->dirtied_pages, us);
			pts[np] = (struct plot_point){ x_of(x->s->dirtied_pages, zero_at), us, tips[np],
						       NULL };
			np++;
			series[k].n++;
		}
	}
	char id[32], title[96], heap[32];
	report_fmt_bytes(heap, sizeof heap, c[0].s->heap_bytes);
	if (np == 0) {
		fprintf(f, "<p class=\"none\">Heap %s: no cell has a restore-to-ready overhead above "
			   "0: no plot (the table says why).</p>\n",
			heap);
		goto out;
	}
	snprintf(id, sizeof id, "ready-pages-%zu", index);
	snprintf(title, sizeof title, "Restore-to-ready overhead against dirtied pages, heap %s", heap);
	struct plot p = {
		.id = id,
		.title = title,
		.desc = "Per restore strategy, one line: restore + first call - steady call (p50s) of "
			"each scenario of this heap size against the pages its calls re-dirty (as the "
			"scenario declares: dirtied_pages). Both axes are logarithmic; 0 pages is drawn "
			"one decade left of the smallest non-zero count, at the tick labelled 0.",
		.x = { .label = "pages re-dirtied per call (log scale; 0 drawn a decade left)",
		       .scale = PLOT_LOG10,
		       .ticks = ticks,
		       .tick_labels = tick_labels,
		       .n_ticks = nt },
		.y = { .label = "restore + first call - steady call (µs, log scale)",
		       .scale = PLOT_LOG10,
		       .min = ylo,
		       .max = yhi },
		.series = series,
		.n_series = ns,
	};
	plot_svg(f, &p);
out:
	free(series);
	free(pts);
	free(tips);
	return 0;
}

static void td_us(FILE *f, double ns)
{
	char b[32];
	report_fmt_us(b, sizeof b, ns);
	fprintf(f, "<td class=\"n\">%s</td>", b);
}

static void table(FILE *f, const struct sweep_cell *c, size_t n)
{
	fputs("<div class=\"wide\"><table>\n<caption>Restore-to-ready overhead per cell (µs; p50s) "
	      "and its ratio to the run's sandbox exit</caption>\n<tr>"
	      "<th scope=\"col\">heap</th><th scope=\"col\">pages re-dirtied</th>"
	      "<th scope=\"col\">strategy</th><th scope=\"col\">scenario</th>"
	      "<th scope=\"col\">restore</th><th scope=\"col\">first call</th>"
	      "<th scope=\"col\">steady call</th>"
	      "<th scope=\"col\">restore + first - steady</th>"
	      "<th scope=\"col\">sandbox exit</th><th scope=\"col\">overhead / sandbox exit</th>"
	      "</tr>\n",
	      f);
	for (size_t i = 0; i < n; i++) {
		const struct sweep_cell *x = &c[i];
		char heap[32];
		report_fmt_bytes(heap, sizeof heap, x->s->heap_bytes);
		fprintf(f, "<tr><td class=\"n\">%s</td><td class=\"n\">%" PRIu64 "</td><td>", heap,
			x->s->dirtied_pages);
		report_html_escape(f, x->s->restore_strategy);
		fputs("</td><th scope=\"row\">", f);
		report_html_escape(f, x->s->name);
		fputs("</th>", f);
		if (!x->ok) {
			fputs("<td colspan=\"6\" class=\"none\">", f);
			report_html_escape(f, x->why);
			fputs("</td></tr>\n", f);
			continue;
		}
		td_us(f, (double)x->o.restore_p50_ns);
		td_us(f, (double)x->o.penalty.first_p50_ns);
		td_us(f, (double)x->o.penalty.steady_p50_ns);
		td_us(f, (double)x->o.overhead_ns);
		td_us(f, (double)x->exit_ns);
		double ratio;
		if (report_ratio_signed(x->o.overhead_ns, x->exit_ns, &ratio))
			fprintf(f, "<td class=\"n\">%.3f</td></tr>\n", ratio);
		else
			fputs("<td class=\"n\">–</td></tr>\n", f);
	}
	fputs("</table></div>\n", f);
}

int html_restore_strategies(FILE *f, const struct run_report *r)
{
	size_t n;
	struct sweep_cell *c = report_sweep_cells(r, &n);
	if (!c)
		return -1;
	if (n == 0) {
		fputs("<p class=\"none\">No scenario declares the pages its calls re-dirty "
		      "(dirtied_pages): no plot of restore-to-ready against dirtied pages.</p>\n",
		      f);
		free(c);
		return 0;
	}
	/* one y axis for every heap's plot, in whole decades: the same
	 * quantity at the same scale */
	double lo = INFINITY, hi = 0;
	for (size_t i = 0; i < n; i++)
		if (c[i].ok && c[i].o.overhead_ns > 0)
			lo = fmin(lo, (double)c[i].o.overhead_ns / 1e3),
			hi = fmax(hi, (double)c[i].o.overhead_ns / 1e3);
	double ylo = 0, yhi = 0;
	if (lo <= hi) {
		ylo = pow(10, floor(log10(lo)));
		yhi = pow(10, ceil(log10(hi)));
		if (yhi <= ylo)
			yhi = ylo * 10;
	}
	int rc = 0;
	size_t plots = 0;
	for (size_t i = 0; i < n && rc == 0;) {
		size_t k = i;
		while (k < n && c[k].s->heap_bytes == c[i].s->heap_bytes)
			k++;
		rc = plot_heap(f, &c[i], k - i, plots++, ylo, yhi);
		i = k;
	}
	if (rc == 0) {
		fputs("<p class=\"note\">Restore-to-ready overhead: the p50 of the restores of the "
		      "same snapshot, plus the p50 of the first call after a restore, minus the p50 "
		      "of the steady call of the same label (what a restore costs before the "
		      "sandbox runs at its steady speed). Lines leave out cells whose overhead is "
		      "not above 0 (a log scale has no place for them); the table has every "
		      "cell. ",
		      f);
		report_html_escape(f, REPORT_SWEEP_EXIT_NOTE);
		fputs(".</p>\n",
		      f);
		table(f, c, n);
		fputs("<p class=\"note\">", f);
		report_html_escape(f, REPORT_STRATEGIES_WHY_NOTE);
		fputs(".</p>\n", f);
	}
	free(c);
	return rc;
}
