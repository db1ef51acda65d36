/* report_units.c — see report_units.h. */
#include "report_units.h"

#include <stdio.h>
#include <string.h>

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

size_t report_few_rows(const struct scenario_result *s, char *buf, size_t bytes, uint64_t *need)
{
	static const double pct[] = { 50, 90, 99, 99.9 };
	static const char *const name[] = { "p50", "p90", "p99", "p99.9" };
	size_t rows = 0, len = 0;
	*need = 0;
	if (bytes)
		buf[0] = 0;
	for (size_t i = 0; i < s->n_steps; i++) {
		uint64_t n = hist_count(&s->steps[i].hist);
		char which[64] = "";
		size_t wl = 0;
		for (size_t k = 0; k < sizeof pct / sizeof pct[0]; k++) {
			if (!n || !report_pct_few(n, pct[k]))
				continue;
			wl += (size_t)snprintf(which + wl, sizeof which - wl, "%s%s", wl ? " " : "",
					       name[k]);
			/* count x (1 - p/100) >= 10 */
			uint64_t want = (uint64_t)(REPORT_FEW_SAMPLES * 100.0 / (100.0 - pct[k]) + 0.5);
			if (want > *need)
				*need = want;
		}
		if (!wl)
			continue;
		if (len < bytes) {
			int w = snprintf(buf + len, bytes - len, "%s%s (%llu: %s)", rows ? ", " : "",
					 s->steps[i].label, (unsigned long long)n, which);
			len += w > 0 ? (size_t)w : 0;
		}
		rows++;
	}
	return rows;
}
