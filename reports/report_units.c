/* report_units.c — see report_units.h. */
#include "report_units.h"

#include <stdio.h>

#include "scenario.h"

void report_fmt_expect_got(char *buf, size_t bytes, const struct expect_result *e)
{
	struct scenario_expect x;
	struct sb_err err;
	if (scenario_expect_parse(e->text, &x, &err) != 0) {
		snprintf(buf, bytes, "%.3f", e->got);
		return;
	}
	scenario_metric_fmt(buf, bytes, x.metric, e->got);
	scenario_expect_free(&x);
}

bool report_pct_few(uint64_t count, double pct)
{
	/* in hundredths, with room for the rounding of 100 - 99.9 */
	return (double)count * (100.0 - pct) < REPORT_FEW_SAMPLES * 100.0 - 1e-6;
}
