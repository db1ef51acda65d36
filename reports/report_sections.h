/* report_sections.h — parts of the text and HTML reports kept in files of
 * their own (not public): the failures of a scenario's rows
 * (report_failures.c) and its open-loop schedule (report_open_loop.c). */
#ifndef SNAPBENCH_REPORTS_REPORT_SECTIONS_H
#define SNAPBENCH_REPORTS_REPORT_SECTIONS_H

#include <stdbool.h>
#include <stdio.h>

#include "results.h"

/* Under the step table: each row with errors, how many and its first
 * message. Nothing when no row failed. */
void report_text_failures(FILE *f, const struct scenario_result *s);
void report_html_failures(FILE *f, const struct scenario_result *s);

/* An open-loop scenario's target and achieved rates, the unsustainable-
 * rate warning, and the iteration, queueing delay and sleep overshoot
 * percentiles. Nothing for a closed loop. */
void report_text_open_loop(FILE *f, const struct scenario_result *s);
void report_html_open_loop(FILE *f, const struct scenario_result *s);

/* The summary at the top of the HTML report (report_summary.c): the
 * verdict, every expectation with PASS/FAIL, the steps with errors
 * highlighted, each scenario's calibration with its spread, and the
 * command that reproduces the run. */
void report_html_summary(FILE *f, const struct run_report *r);

/* What the scenario's snapshots shared with their parents (incremental
 * snapshots; report_snapshots.c): a table after the page statistics,
 * when a row took snapshots. sw: the step column's width. */
void report_snapshot_sharing_text(FILE *f, const struct scenario_result *s, int sw);
void report_snapshot_sharing_html(FILE *f, const struct scenario_result *s);

/* Achieved below this share of the target: the rate is unsustainable. */
#define REPORT_RATE_SUSTAINED_PCT 95.0
/* Whether the scenario achieved less than REPORT_RATE_SUSTAINED_PCT of its target. */
bool report_open_loop_unsustainable(const struct open_loop_stats *ol);
/* "unsustainable rate: achieved ... of the ... asked: ..." */
void report_open_loop_warning(const struct open_loop_stats *ol, char *buf, size_t bytes);

#endif
