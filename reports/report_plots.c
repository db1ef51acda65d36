/* report_plots.c — the plots of the HTML report: percentile curves of a
 * scenario's steps, restore latency against heap size, and pages dirtied
 * per call against restore time (see report_html.h). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report_html.h"
#include "report_util.h"
#include "svg_plot.h"

#define TIP_MAX 160
#define KEY_MAX 96

/* ---- (a) percentile curves --------------------------------------------------- */

/* "0%", "90%", "99%", "99.9%", ... for 1/(1-p) = 10^k. */
static void pct_label(char *buf, size_t bytes, int k)
{
	if (k == 0) {
		snprintf(buf, bytes, "0%%");
		return;
	}
	if (k == 1) {
		snprintf(buf, bytes, "90%%");
		return;
	}
	size_t n = (size_t)snprintf(buf, bytes, "99");
	for (int i = 2; i < k && n + 2 < bytes; i++) {
		if (i == 2)
			buf[n++] = '.';
		buf[n++] = '9';
	}
	snprintf(buf + n, bytes - n, "%%");
}

int html_curve_of(const struct hist *h, struct html_curve *c)
{
	memset(c, 0, sizeof *c);
	size_t n = hist_percentile_rows(h, 0, NULL, 0);
	if (n == 0)
		return 0;
	struct hist_row *rows = calloc(n, sizeof *rows);
	c->pts = calloc(n, sizeof *c->pts);
	c->tips = calloc(n, sizeof *c->tips);
	if (!rows || !c->pts || !c->tips) {
		free(rows);
		html_curve_free(c);
		return -1;
	}
	hist_percentile_rows(h, 0, rows, n);
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(rows[i].inverse))
			continue; /* the 100% row: no place on a 1/(1-p) axis */
		struct plot_point *p = &c->pts[c->n];
		p->x = rows[i].inverse;
		p->y = (double)rows[i].value_ns / 1000.0;
		snprintf(c->tips[c->n], HTML_TIP_MAX, "p%.4g: %.3f us", rows[i].percentile, p->y);
		p->tip = c->tips[c->n];
		c->n++;
	}
	free(rows);
	return 0;
}

void html_curve_free(struct html_curve *c)
{
	free(c->pts);
	free(c->tips);
	memset(c, 0, sizeof *c);
}

size_t html_pct_ticks(double xmax, double *ticks, char (*labels)[24], const char **lp, size_t cap)
{
	int decades = (int)ceil(log10(xmax) - 1e-9);
	size_t nt = 0;
	for (int k = 0; k <= decades && nt < cap; k++, nt++) {
		ticks[nt] = pow(10, k);
		pct_label(labels[nt], sizeof labels[nt], k);
		lp[nt] = labels[nt];
	}
	return nt;
}

bool html_latency_range(const struct run_report *r, double *lo_us, double *hi_us)
{
	*lo_us = INFINITY, *hi_us = 0;
	for (size_t i = 0; i < r->n_scenarios; i++)
		for (size_t k = 0; k < r->scenarios[i].n_steps; k++) {
			const struct hist *h = &r->scenarios[i].steps[k].hist;
			if (hist_count(h) == 0)
				continue;
			struct hist_summary sum;
			hist_summarize(h, &sum);
			/* a 0 ns minimum (a clamped value) would force every plot
			 * linear: the log decision is over the positive latencies */
			if (sum.min_ns)
				*lo_us = fmin(*lo_us, (double)sum.min_ns / 1000.0);
			*hi_us = fmax(*hi_us, (double)sum.max_ns / 1000.0);
		}
	if (!(*lo_us <= *hi_us))
		*lo_us = *hi_us = 0; /* none: each plot from its data */
	return *lo_us < *hi_us;
}

double html_percentile_extent(const struct run_report *r)
{
	double x = 1e4;
	for (size_t i = 0; i < r->n_scenarios; i++)
		for (size_t k = 0; k < r->scenarios[i].n_steps; k++)
			x = fmax(x, (double)hist_count(&r->scenarios[i].steps[k].hist));
	return x;
}

void html_pct_plot(FILE *f, const char *id, const char *title, const char *desc,
		   const struct plot_series *series, size_t ns, double xmax, double ylo, double yhi)
{
	double ticks[20];
	char labels[20][24];
	const char *lp[20];
	size_t nt = html_pct_ticks(xmax, ticks, labels, lp, 20);
	struct plot p = {
		.id = id,
		.title = title,
		.desc = desc,
		.x = { .label = "percentile (log scale of 1/(1-p))",
		       .scale = PLOT_LOG10,
		       .min = 1,
		       .max = ticks[nt - 1],
		       .ticks = ticks,
		       .tick_labels = lp,
		       .n_ticks = nt },
		.y = { .label = "latency (µs)", .scale = PLOT_AUTO, .min = ylo, .max = yhi },
		.series = series,
		.n_series = ns,
	};
	plot_svg(f, &p);
}

int html_plot_percentiles(FILE *f, const struct scenario_result *s, size_t index, double ylo,
			  double yhi, double xtop)
{
	struct plot_series *series = calloc(s->n_steps + 1, sizeof *series);
	struct html_curve *curves = calloc(s->n_steps + 1, sizeof *curves);
	int rc = series && curves ? 0 : -1;
	size_t ns = 0;
	double xmax = fmax(1e4, xtop);
	for (size_t i = 0; rc == 0 && i < s->n_steps; i++) {
		if (html_curve_of(&s->steps[i].hist, &curves[ns])) {
			rc = -1;
			break;
		}
		if (curves[ns].n == 0) {
			free(curves[ns].pts);
			free(curves[ns].tips);
			memset(&curves[ns], 0, sizeof curves[ns]);
			continue;
		}
		for (size_t k = 0; k < curves[ns].n; k++)
			xmax = fmax(xmax, curves[ns].pts[k].x);
		series[ns] = (struct plot_series){ .name = s->steps[i].label,
						   .pts = curves[ns].pts,
						   .n = curves[ns].n,
						   .lines = true };
		ns++;
	}
	if (rc == 0 && ns == 0) {
		fputs("<p class=\"none\">No latencies recorded: no percentile plot.</p>\n", f);
	} else if (rc == 0) {
		char id[32];
		snprintf(id, sizeof id, "pct-%zu", index);
		/* every scenario's plot has the same y axis: the run's range */
		html_pct_plot(f, id, "Latency by percentile",
			      "Latency of each step against the percentile, with the tail "
			      "stretched: the x axis is 1/(1-percentile) on a log scale.",
			      series, ns, xmax, ylo, yhi);
	}
	for (size_t i = 0; curves && i <= s->n_steps; i++) {
		free(curves[i].pts);
		free(curves[i].tips);
	}
	free(curves);
	free(series);
	return rc;
}

/* ---- across scenarios ---------------------------------------------------------- */

/* One scenario with restores: where it sits and what its restores cost. */
struct across_pt {
	const struct scenario_result *s;
	double heap, pages;      /* bytes; pages re-dirtied (declared) or taken per call */
	bool has_pages;
	double ready_us;         /* p50 of its restore steps (restore-to-ready) */
	bool has_penalty;
	double penalty_us;       /* the post-restore penalty of its first call label */
};

static bool first_penalty(const struct scenario_result *s, double *us)
{
	for (size_t i = 0; i < s->n_steps; i++) {
		struct post_restore_penalty p;
		if (scenario_result_penalty(s, &s->steps[i], &p) && p.steady) {
			*us = (double)p.penalty_ns / 1000.0;
			return true;
		}
	}
	return false;
}

static size_t collect(const struct run_report *r, struct across_pt *a)
{
	size_t n = 0;
	struct hist *h = malloc(sizeof *h);
	if (!h)
		return SIZE_MAX;
	for (size_t i = 0; i < r->n_scenarios; i++) {
		const struct scenario_result *s = &r->scenarios[i];
		if (!report_merge_kind(s, SCENARIO_STEP_RESTORE, h) || hist_count(h) == 0)
			continue;
		struct across_pt *x = &a[n++];
		*x = (struct across_pt){ .s = s, .heap = (double)s->heap_bytes };
		x->ready_us = (double)hist_value_at_percentile(h, 50) / 1000.0;
		if (s->dirtied_pages != SCENARIO_NONE)
			x->pages = (double)s->dirtied_pages, x->has_pages = true;
		else
			x->has_pages = report_pages_per_call(s, &x->pages);
		x->has_penalty = first_penalty(s, &x->penalty_us);
	}
	free(h);
	return n;
}

static void fmt_heap_tick(char *buf, size_t bytes, double v)
{
	/* the axis rounds up to a power of 2: 2^64 does not fit a uint64_t */
	report_fmt_bytes(buf, bytes, v >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)v);
}

enum across_x { BY_HEAP, BY_PAGES };
enum across_y { READY, PENALTY };

struct across_plot {
	const char *id, *title, *desc, *xlabel, *ylabel;
	enum across_x x;
	enum across_y y;
};

static const struct across_plot across_plots[] = {
	{ "restore-heap", "Restore-to-ready against heap size",
	  "Per restore strategy, one line: the p50 of each scenario's restore steps (every path "
	  "together; restore-to-ready: the work a restore leaves to the next call is in the "
	  "penalty plots) against the scenario's heap size, on a log2 axis.",
	  "heap (log2 scale)", "restore-to-ready p50 (µs)", BY_HEAP, READY },
	{ "penalty-heap", "Post-restore penalty against heap size",
	  "Per restore strategy, one line: p50 of the first call after a restore minus p50 of the "
	  "steady calls of the same label, per scenario, against its heap size (log2 axis).",
	  "heap (log2 scale)", "post-restore penalty (µs)", BY_HEAP, PENALTY },
	{ "pages-restore", "Restore-to-ready against dirtied pages",
	  "Per restore strategy, one line: the p50 of each scenario's restore steps against the "
	  "pages its calls dirty (dirtied_pages as declared, else the scratch pages taken per "
	  "call).",
	  "pages dirtied per call (pages of 4 KiB)", "restore-to-ready p50 (µs)", BY_PAGES, READY },
	{ "penalty-pages", "Post-restore penalty against dirtied pages",
	  "Per restore strategy, one line: the post-restore penalty of each scenario against the "
	  "pages its calls dirty (dirtied_pages as declared, else the scratch pages taken per "
	  "call).",
	  "pages dirtied per call (pages of 4 KiB)", "post-restore penalty (µs)", BY_PAGES, PENALTY },
};

static bool has_y(const struct across_pt *x, enum across_y y)
{
	return y == READY || x->has_penalty;
}

static double y_of(const struct across_pt *x, enum across_y y)
{
	return y == READY ? x->ready_us : x->penalty_us;
}

static int cmp_x(const void *a, const void *b)
{
	const struct plot_point *x = a, *y = b;
	return (x->x > y->x) - (x->x < y->x);
}

/* The y range of one quantity over every scenario: the plots of the same
 * quantity share it (and so their scale). */
static void y_range(const struct across_pt *a, size_t n, enum across_y y, double *lo, double *hi)
{
	*lo = INFINITY, *hi = -INFINITY;
	for (size_t i = 0; i < n; i++)
		if (has_y(&a[i], y))
			*lo = fmin(*lo, y_of(&a[i], y)), *hi = fmax(*hi, y_of(&a[i], y));
	if (!(*lo < *hi))
		*lo = 0, *hi = 0; /* one value or none: from the plot's data */
}

static double x_of(const struct across_pt *x, enum across_x k)
{
	return k == BY_HEAP ? x->heap : x->pages;
}

static bool in_plot(const struct across_pt *x, const struct across_plot *ap)
{
	return has_y(x, ap->y) && (ap->x == BY_HEAP || x->has_pages);
}

/* The line of each point: its restore strategy; when two scenarios of one
 * strategy sit at the same x (a sweep of heap and pages), the strategy and
 * the other coordinate, so that no line zigzags through both. */
static void line_keys(const struct across_plot *ap, const struct across_pt *a, size_t n,
		      char (*keys)[KEY_MAX])
{
	bool split = false;
	for (size_t i = 0; i < n && !split; i++)
		for (size_t k = i + 1; k < n && !split; k++)
			split = in_plot(&a[i], ap) && in_plot(&a[k], ap) &&
				x_of(&a[i], ap->x) == x_of(&a[k], ap->x) &&
				strcmp(a[i].s->restore_strategy, a[k].s->restore_strategy) == 0;
	for (size_t i = 0; i < n; i++) {
		char heap[32];
		report_fmt_bytes(heap, sizeof heap, a[i].s->heap_bytes);
		if (!split)
			snprintf(keys[i], KEY_MAX, "%s", a[i].s->restore_strategy);
		else if (ap->x == BY_HEAP)
			snprintf(keys[i], KEY_MAX, "%s, %g pages", a[i].s->restore_strategy,
				 a[i].has_pages ? a[i].pages : 0.0);
		else
			snprintf(keys[i], KEY_MAX, "%s, heap %s", a[i].s->restore_strategy, heap);
	}
}

/* Tick labels of latencies: whole numbers written out (not 1e+06). */
static void fmt_us_tick(char *buf, size_t bytes, double v)
{
	if (fabs(v) >= 1 && fabs(v) < 1e15)
		snprintf(buf, bytes, "%.0f", v);
	else
		snprintf(buf, bytes, "%g", v);
}

/* One plot of across_plots: a line per restore strategy. */
static int plot_across(FILE *f, const struct across_plot *ap, const struct across_pt *a, size_t n,
		       double ylo, double yhi)
{
	const char **names = calloc(n + 1, sizeof *names);
	char (*keys)[KEY_MAX] = calloc(n + 1, sizeof *keys);
	struct plot_series *series = calloc(n + 1, sizeof *series);
	struct plot_point *pts = calloc(n + 1, sizeof *pts);
	char (*tips)[TIP_MAX] = calloc(n + 1, sizeof *tips);
	int rc = names && keys && series && pts && tips ? 0 : -1;
	size_t ns = 0, np = 0;
	double xmin = INFINITY, xmax = 0;
	bool zero_x = false;
	if (rc == 0)
		line_keys(ap, a, n, keys);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		if (!in_plot(&a[i], ap))
			continue;
		if (ap->x == BY_PAGES) {
			if (a[i].pages > 0)
				xmin = fmin(xmin, a[i].pages), xmax = fmax(xmax, a[i].pages);
			else
				zero_x = true;
		}
		size_t k = 0;
		while (k < ns && strcmp(names[k], keys[i]) != 0)
			k++;
		if (k == ns)
			names[ns++] = keys[i];
	}
	/* pages on a log axis when they span more than PLOT_LOG_SPAN; 0 pages
	 * then sits a decade left of the smallest count, at a tick "0" */
	bool logx = ap->x == BY_PAGES && plot_span_is_log(xmin, xmax);
	double zero_at = isfinite(xmin) ? xmin / 10 : 1;
	for (size_t k = 0; rc == 0 && k < ns; k++) {
		series[k] = (struct plot_series){ .name = names[k], .pts = &pts[np], .lines = true };
		for (size_t i = 0; i < n; i++) {
			const struct across_pt *x = &a[i];
			if (strcmp(keys[i], names[k]) || !in_plot(x, ap))
				continue;
			double xv = ap->x == BY_HEAP ? x->heap : logx && x->pages <= 0 ? zero_at : x->pages;
			char heap[32];
			report_fmt_bytes(heap, sizeof heap, x->s->heap_bytes);
			if (ap->x == BY_HEAP)
				snprintf(tips[np], TIP_MAX, "%s: heap %s, %.3f us", x->s->name, heap,
					 y_of(x, ap->y));
			else
				snprintf(tips[np], TIP_MAX, "%s: %.3f pages per call, %.3f us",
					 x->s->name, x->pages, y_of(x, ap->y));
			/* with one line, the points are named (scenarios); the layout
			 * moves the names into the legend when they would collide */
			pts[np] = (struct plot_point){ xv, y_of(x, ap->y), tips[np],
						       ns == 1 ? x->s->name : NULL };
			np++;
			series[k].n++;
		}
		qsort(&pts[np - series[k].n], series[k].n, sizeof *pts, cmp_x);
	}
	/* a log axis of pages with a 0: the 0 tick, then the decades */
	double ticks[16];
	char tick_text[16][24];
	const char *tick_labels[16];
	size_t nt = 0;
	if (logx && zero_x) {
		ticks[nt] = zero_at, tick_labels[nt] = "0", nt++;
		double d = pow(10, floor(log10(xmin)));
		for (bool last = false; !last && nt < 16; d *= 10) {
			last = d >= xmax;
			snprintf(tick_text[nt], sizeof tick_text[nt], "%g", d);
			ticks[nt] = d, tick_labels[nt] = tick_text[nt], nt++;
		}
	}
	if (rc == 0 && np == 0) {
		fprintf(f, "<p class=\"none\">%s: no scenario has both values: no plot.</p>\n",
			ap->title);
	} else if (rc == 0) {
		char xlabel[160];
		snprintf(xlabel, sizeof xlabel, "%s%s", ap->xlabel,
			 logx && zero_x ? ", log scale; 0 drawn a decade left" : logx ? ", log scale" : "");
		struct plot p = {
			.id = ap->id,
			.title = ap->title,
			.desc = ap->desc,
			.x = { .label = xlabel,
			       .scale = ap->x == BY_HEAP ? PLOT_LOG2 : logx ? PLOT_LOG10 : PLOT_LINEAR,
			       .ticks = ticks,
			       .tick_labels = tick_labels,
			       .n_ticks = nt,
			       .min = nt ? zero_at : 0,
			       .max = nt ? ticks[nt - 1] : 0,
			       .tick_fmt = ap->x == BY_HEAP ? fmt_heap_tick : NULL },
			.y = { .label = ap->ylabel,
			       .scale = PLOT_AUTO,
			       .min = ylo,
			       .max = yhi,
			       .tick_fmt = fmt_us_tick },
			.series = series,
			.n_series = ns,
		};
		plot_svg(f, &p);
	}
	free(names);
	free(keys);
	free(series);
	free(pts);
	free(tips);
	return rc;
}

int html_plots_across(FILE *f, const struct run_report *r)
{
	struct across_pt *a = calloc(r->n_scenarios + 1, sizeof *a);
	if (!a)
		return -1;
	size_t n = collect(r, a);
	int rc = n == SIZE_MAX ? -1 : 0;
	if (rc == 0 && n == 0)
		fputs("<p class=\"none\">No scenario has restore steps: no plots across "
		      "scenarios.</p>\n",
		      f);
	double lo[2], hi[2];
	y_range(a, n, READY, &lo[READY], &hi[READY]);
	y_range(a, n, PENALTY, &lo[PENALTY], &hi[PENALTY]);
	for (size_t i = 0; rc == 0 && n && i < sizeof across_plots / sizeof across_plots[0]; i++) {
		const struct across_plot *ap = &across_plots[i];
		rc = plot_across(f, ap, a, n, lo[ap->y], hi[ap->y]);
	}
	free(a);
	return rc;
}
