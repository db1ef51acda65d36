/* report_html.h — pieces of the HTML report (not public). */
#ifndef SNAPBENCH_REPORTS_REPORT_HTML_H
#define SNAPBENCH_REPORTS_REPORT_HTML_H

#include <stdbool.h>
#include <stdio.h>

#include "results.h"

#include "svg_plot.h"

/* The page's style sheet (report_html.c): the compare page shares it. */
extern const char report_html_css[];

/* A histogram as a percentile curve: x = 1/(1-p), y = µs, with tooltips. */
#define HTML_TIP_MAX 160
struct html_curve {
	struct plot_point *pts;
	char (*tips)[HTML_TIP_MAX];
	size_t n;
};
/* 0 (c->n 0 for an empty histogram) or -1 (memory); free with html_curve_free. */
int html_curve_of(const struct hist *h, struct html_curve *c);
void html_curve_free(struct html_curve *c);
/* The percentile ticks ("0%", "90%", "99%", ...) up to 1/(1-p) = xmax;
 * returns how many (at most cap). */
size_t html_pct_ticks(double xmax, double *ticks, char (*labels)[24], const char **lp, size_t cap);
/* One percentile plot of `series` (x = 1/(1-p) from 1 to the ticks past
 * xmax, log; latency in [ylo, yhi] µs): the run's and the compare page's. */
void html_pct_plot(FILE *f, const char *id, const char *title, const char *desc,
		   const struct plot_series *series, size_t ns, double xmax, double ylo, double yhi);

/* The range (µs) of every latency the run recorded: each scenario's
 * percentile plot has this y axis, so their scales match. false: none. */
bool html_latency_range(const struct run_report *r, double *lo_us, double *hi_us);

/* How far the percentile axis of the run's plots reaches (1/(1-p)): the
 * largest count of a step, at least 10^4. */
double html_percentile_extent(const struct run_report *r);

/* (a) percentile curves of the steps of scenario `index`, latency in
 * [ylo, yhi] µs (log when it spans more than PLOT_LOG_SPAN), the
 * percentile axis to xtop at least: every scenario's plot has the same
 * axes. 0 or -1 (memory). */
int html_plot_percentiles(FILE *f, const struct scenario_result *s, size_t index, double ylo,
			  double yhi, double xtop);

/* (b) restore-to-ready p50 and the post-restore penalty against heap size
 * (log2 axis) and against the pages dirtied per call, one line per restore
 * strategy, one point per scenario; the plots of one quantity share its
 * axis. 0 or -1 (memory). */
int html_plots_across(FILE *f, const struct run_report *r);

/* (d) the restore strategies side by side: per heap size, restore-to-ready
 * overhead against the pages each call re-dirties (scenarios that declare
 * dirtied_pages), one line per strategy, both axes logarithmic; and a
 * table of every such cell with its ratio to the sandbox exit. 0 or -1
 * (memory). */
int html_restore_strategies(FILE *f, const struct run_report *r);

#endif
