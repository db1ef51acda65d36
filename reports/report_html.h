/* report_html.h — pieces of the HTML report (not public). */
#ifndef SNAPBENCH_REPORTS_REPORT_HTML_H
#define SNAPBENCH_REPORTS_REPORT_HTML_H

#include <stdio.h>

#include "results.h"

/* (a) percentile curves of the steps of scenario `index`. 0 or -1 (memory). */
int html_plot_percentiles(FILE *f, const struct scenario_result *s, size_t index);

/* (b) restore p50/p99 against heap size and (c) pages dirtied per call
 * against restore p50, one point per scenario. 0 or -1 (memory). */
int html_plots_across(FILE *f, const struct run_report *r);

/* (d) the restore strategies side by side: per heap size, restore-to-ready
 * overhead against the pages each call re-dirties (scenarios that declare
 * dirtied_pages), one line per strategy, both axes logarithmic; and a
 * table of every such cell with its ratio to the sandbox exit. 0 or -1
 * (memory). */
int html_restore_strategies(FILE *f, const struct run_report *r);

#endif
