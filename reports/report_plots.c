/* report_plots.c — the plots of the HTML report: percentile curves of a
 * scenario's steps, restore latency against heap size, and pages dirtied
 * per call against restore time (see report_html.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report_html.h"
#include "report_util.h"
#include "svg_plot.h"

#define TIP_MAX 160

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

struct curve {
	struct plot_point *pts;
	char (*tips)[TIP_MAX];
	size_t n;
};

static int curve_of(const struct hist *h, struct curve *c)
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
		return -1;
	}
	hist_percentile_rows(h, 0, rows, n);
	for (size_t i = 0; i < n; i++) {
		if (!isfinite(rows[i].inverse))
			continue; /* the 100% row: no place on a 1/(1-p) axis */
		struct plot_point *p = &c->pts[c->n];
		p->x = rows[i].inverse;
		p->y = (double)rows[i].value_ns / 1000.0;
		snprintf(c->tips[c->n], TIP_MAX, "p%.4g: %.3f us", rows[i].percentile, p->y);
		p->tip = c->tips[c->n];
		c->n++;
	}
	free(rows);
	return 0;
}

int html_plot_percentiles(FILE *f, const struct scenario_result *s, size_t index)
{
	struct plot_series *series = calloc(s->n_steps + 1, sizeof *series);
	struct curve *curves = calloc(s->n_steps + 1, sizeof *curves);
	int rc = series && curves ? 0 : -1;
	size_t ns = 0;
	double xmax = 1e4, ymin = INFINITY, ymax = 0;
	for (size_t i = 0; rc == 0 && i < s->n_steps; i++) {
		if (curve_of(&s->steps[i].hist, &curves[ns])) {
			rc = -1;
			break;
		}
		if (curves[ns].n == 0) {
			free(curves[ns].pts);
			free(curves[ns].tips);
			memset(&curves[ns], 0, sizeof curves[ns]);
			continue;
		}
		for (size_t k = 0; k < curves[ns].n; k++) {
			xmax = fmax(xmax, curves[ns].pts[k].x);
			ymin = fmin(ymin, curves[ns].pts[k].y);
			ymax = fmax(ymax, curves[ns].pts[k].y);
		}
		series[ns] = (struct plot_series){ .name = s->steps[i].label,
						   .pts = curves[ns].pts,
						   .n = curves[ns].n,
						   .lines = true };
		ns++;
	}
	if (rc == 0 && ns == 0) {
		fputs("<p class=\"none\">No latencies recorded: no percentile plot.</p>\n", f);
	} else if (rc == 0) {
		int decades = (int)ceil(log10(xmax) - 1e-9);
		double ticks[20];
		char labels[20][24];
		const char *lp[20];
		size_t nt = 0;
		for (int k = 0; k <= decades && nt < 20; k++, nt++) {
			ticks[nt] = pow(10, k);
			pct_label(labels[nt], sizeof labels[nt], k);
			lp[nt] = labels[nt];
		}
		char id[32];
		snprintf(id, sizeof id, "pct-%zu", index);
		bool logy = ymin > 0 && ymax / ymin > 20;
		struct plot p = {
			.id = id,
			.title = "Latency by percentile",
			.desc = "Latency of each step against the percentile, with the tail "
				"stretched: the x axis is 1/(1-percentile) on a log scale.",
			.x = { .label = "percentile (log scale of 1/(1-p))",
			       .scale = PLOT_LOG10,
			       .min = 1,
			       .max = ticks[nt - 1],
			       .ticks = ticks,
			       .tick_labels = lp,
			       .n_ticks = nt },
			.y = { .label = logy ? "latency (µs, log scale)" : "latency (µs)",
			       .scale = logy ? PLOT_LOG10 : PLOT_LINEAR },
			.series = series,
			.n_series = ns,
		};
		plot_svg(f, &p);
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

struct across {
	struct plot_point *p50, *p99, *pages;
	char (*tips)[3][TIP_MAX];
	size_t n, n_pages;
};

static int cmp_x(const void *a, const void *b)
{
	const struct plot_point *x = a, *y = b;
	return (x->x > y->x) - (x->x < y->x);
}

static int collect(const struct run_report *r, struct across *a)
{
	memset(a, 0, sizeof *a);
	size_t n = r->n_scenarios + 1;
	a->p50 = calloc(n, sizeof *a->p50);
	a->p99 = calloc(n, sizeof *a->p99);
	a->pages = calloc(n, sizeof *a->pages);
	a->tips = calloc(n, sizeof *a->tips);
	struct hist *h = malloc(sizeof *h);
	if (!a->p50 || !a->p99 || !a->pages || !a->tips || !h) {
		free(h);
		return -1;
	}
	for (size_t i = 0; i < r->n_scenarios; i++) {
		const struct scenario_result *s = &r->scenarios[i];
		if (!report_merge_kind(s, SCENARIO_STEP_RESTORE, h) || hist_count(h) == 0)
			continue;
		double mib = (double)s->heap_bytes / (1024.0 * 1024.0);
		double p50 = (double)hist_value_at_percentile(h, 50) / 1000.0;
		double p99 = (double)hist_value_at_percentile(h, 99) / 1000.0;
		char (*t)[TIP_MAX] = a->tips[i];
		snprintf(t[0], TIP_MAX, "%s: heap %g MiB, p50 %.3f us", s->name, mib, p50);
		snprintf(t[1], TIP_MAX, "%s: heap %g MiB, p99 %.3f us", s->name, mib, p99);
		a->p50[a->n] = (struct plot_point){ mib, p50, t[0], s->name };
		a->p99[a->n] = (struct plot_point){ mib, p99, t[1], NULL };
		a->n++;
		double ppc;
		if (report_pages_per_call(s, &ppc)) {
			snprintf(t[2], TIP_MAX, "%s: %.3f pages per call, restore p50 %.3f us",
				 s->name, ppc, p50);
			a->pages[a->n_pages++] = (struct plot_point){ ppc, p50, t[2], s->name };
		}
	}
	free(h);
	qsort(a->p50, a->n, sizeof *a->p50, cmp_x);
	qsort(a->p99, a->n, sizeof *a->p99, cmp_x);
	return 0;
}

static bool spread(const struct plot_point *p, size_t n, bool x, double factor)
{
	double lo = INFINITY, hi = 0;
	for (size_t i = 0; i < n; i++) {
		double v = x ? p[i].x : p[i].y;
		lo = fmin(lo, v), hi = fmax(hi, v);
	}
	return lo > 0 && hi / lo >= factor;
}

int html_plots_across(FILE *f, const struct run_report *r)
{
	struct across a;
	int rc = collect(r, &a);
	if (rc == 0 && a.n == 0) {
		fputs("<p class=\"none\">No scenario has restore steps: no plots across "
		      "scenarios.</p>\n",
		      f);
	} else if (rc == 0) {
		bool logx = spread(a.p50, a.n, true, 8);
		bool logy = spread(a.p99, a.n, false, 20) || spread(a.p50, a.n, false, 20);
		struct plot_series s[2] = {
			{ .name = "restore p50", .pts = a.p50, .n = a.n, .lines = true },
			{ .name = "restore p99", .pts = a.p99, .n = a.n, .lines = true },
		};
		struct plot p = {
			.id = "restore-heap",
			.title = "Restore-to-ready latency against heap size",
			.desc = "p50 and p99 of the restore steps of each scenario (every path "
				"together; restore-to-ready: the work a restore leaves to the next "
				"call is in the scenario's post-restore penalty table) against the "
				"scenario's heap size.",
			.x = { .label = logx ? "heap (MiB, log scale)" : "heap (MiB)",
			       .scale = logx ? PLOT_LOG10 : PLOT_LINEAR },
			.y = { .label = logy ? "restore-to-ready (µs, log scale)"
					     : "restore-to-ready (µs)",
			       .scale = logy ? PLOT_LOG10 : PLOT_LINEAR },
			.series = s,
			.n_series = 2,
		};
		plot_svg(f, &p);

		if (a.n_pages == 0) {
			fputs("<p class=\"none\">No scenario has both calls and restores: no plot of "
			      "pages against restore time.</p>\n",
			      f);
		} else {
			struct plot_series ps = { .name = "scenarios (restore p50)",
						  .pts = a.pages,
						  .n = a.n_pages };
			struct plot q = {
				.id = "pages-restore",
				.title = "Pages dirtied per call against restore time",
				.desc = "One point per scenario: scratch pages the guest took per "
					"call against the p50 of its restore steps (restore-to-ready).",
				.x = { .label = "scratch pages dirtied per call (pages of 4 KiB)",
				       .scale = PLOT_LINEAR },
				.y = { .label = "restore-to-ready p50 (µs)", .scale = PLOT_LINEAR },
				.series = &ps,
				.n_series = 1,
			};
			plot_svg(f, &q);
		}
	}
	free(a.p50);
	free(a.p99);
	free(a.pages);
	free(a.tips);
	return rc;
}
