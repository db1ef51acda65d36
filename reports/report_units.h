/* report_units.h — units and marks where the reports print numbers (not
 * public): an expectation's measured value with its unit, and the mark of
 * a percentile that rests on few samples. */
#ifndef SNAPBENCH_REPORTS_REPORT_UNITS_H
#define SNAPBENCH_REPORTS_REPORT_UNITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "results.h"

/* e->got with its unit, the metric read from e->text ("303 ns",
 * "3 pages/call", "1000"); 3 decimals, no unit, when the text does not
 * parse (a report edited by hand). */
void report_fmt_expect_got(char *buf, size_t bytes, const struct expect_result *e);

/* Whether percentile `pct` of `count` values rests on fewer than
 * REPORT_FEW_SAMPLES values beyond it: count * (1 - pct/100) < 10 (so a
 * p50 of fewer than 20 values, a p99 of fewer than 1000). */
#define REPORT_FEW_SAMPLES 10
bool report_pct_few(uint64_t count, double pct);

/* The rows of s whose percentiles shown (p50, p90, p99, p99.9) rest on few
 * samples, as "create (12: p50 p90 p99 p99.9), call add (500: p99.9)",
 * and the iterations every one of them needs (10 samples beyond the
 * highest percentile marked); 0 rows: "" and 0. The words of the warning
 * under the text report's table and of `run`'s on stderr. */
size_t report_few_rows(const struct scenario_result *s, char *buf, size_t bytes,
		       uint64_t *need);

/* The mark and what it means, the same words in text and HTML. */
#define REPORT_FEW_MARK "~"
#define REPORT_FEW_NOTE                                                                       \
	"~ marks a percentile that rests on fewer than 10 samples beyond it (count x (1 - p/100) " \
	"< 10; a p50 of fewer than 20 samples): a rough value, not one to gate on"

#endif
