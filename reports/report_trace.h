/* report_trace.h — the text and HTML of what schema 5 records (not
 * public): the run's command line, working directory and build in the
 * header, the calibration's spread and warning under each scenario. */
#ifndef SNAPBENCH_REPORTS_REPORT_TRACE_H
#define SNAPBENCH_REPORTS_REPORT_TRACE_H

#include <stdio.h>

#include "results.h"

/* Lines after the text header ("command: ...", "build: ..."); nothing for
 * reports of older schemas. */
void report_text_trace(FILE *f, const struct run_report *r);
/* <dt>/<dd> pairs for the HTML header's list. */
void report_html_trace(FILE *f, const struct run_report *r);

/* The calibration's spread, timer and warning, indented by 3 (text), or a
 * paragraph (HTML); nothing when the report has none (older schemas). */
void report_text_calibration_spread(FILE *f, const struct scenario_result *s);
void report_html_calibration_spread(FILE *f, const struct scenario_result *s);

/* How a calibration is judged (results.h's bounds), in words. */
#define REPORT_CALIBRATION_BOUNDS_NOTE                                                           \
	"ratios divide by the medians of every sample before and after; a calibration is "      \
	"flagged when its interquartile range exceeds %d%% of its median or its before and "    \
	"after medians differ by more than %d%% of it"

#endif
