/* units_fmt.c — numbers printed with their unit (units.h). */
#include <math.h>
#include <stdio.h>

#include "scenario.h"
#include "units.h"

void units_fmt_ns(char *buf, size_t bytes, double ns)
{
	static const struct {
		double scale;
		const char *unit;
	} u[] = { { 1e3, "us" }, { 1e6, "ms" }, { 1e9, "s" } };
	const char *sign = ns < 0 ? "-" : "";
	double a = fabs(ns);
	if (!(a < 999.5)) { /* also NaN and inf: printed as they are, in s */
		size_t i = 0;
		while (i + 1 < sizeof u / sizeof u[0] && a >= u[i + 1].scale * 0.9995)
			i++;
		double v = a / u[i].scale;
		/* three significant digits, the latency histogram's precision
		 * (its error is under 1/128): 1.23, 12.3, 123 */
		int decimals = v < 9.995 ? 2 : v < 99.95 ? 1 : 0;
		snprintf(buf, bytes, "%s%.*f %s", sign, decimals, v, u[i].unit);
		return;
	}
	snprintf(buf, bytes, "%s%.0f ns", sign, a);
}

/* A per-execution average: a whole number as one, else 3 decimals. */
static void fmt_plain(char *buf, size_t bytes, double v, const char *unit)
{
	if (v == floor(v) && fabs(v) < 1e15)
		snprintf(buf, bytes, "%.0f%s%s", v, unit[0] ? " " : "", unit);
	else
		snprintf(buf, bytes, "%.3f%s%s", v, unit[0] ? " " : "", unit);
}

void scenario_metric_fmt(char *buf, size_t bytes, enum scenario_metric m, double v)
{
	if (scenario_metric_is_time(m)) {
		units_fmt_ns(buf, bytes, v);
		return;
	}
	const char *unit = "";
	switch (m) {
	case SCENARIO_METRIC_SCRATCH_PAGES: unit = "pages/call"; break;
	case SCENARIO_METRIC_EXITS: unit = "exits/call"; break;
	case SCENARIO_METRIC_COW_FAULTS: unit = "faults/call"; break;
	case SCENARIO_METRIC_PAGES_RESET: unit = "pages/restore"; break;
	case SCENARIO_METRIC_PAGES_RETAINED: unit = "pages/restore"; break;
	case SCENARIO_METRIC_BYTES_COPIED: unit = "bytes/restore"; break;
	default: break; /* count, full_restores: plain counts */
	}
	fmt_plain(buf, bytes, v, unit);
}
