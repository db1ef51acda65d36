/* report_util.c — see report_util.h. */
#include "report_util.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

double report_round3(double x)
{
	if (!isfinite(x))
		return 0;
	double r = round(x * 1000.0) / 1000.0;
	return r == 0 ? 0 : r; /* no "-0.0" */
}

bool report_ratio(uint64_t p50_ns, uint64_t cal_ns, double *out)
{
	if (cal_ns == 0)
		return false;
	*out = report_round3((double)p50_ns / (double)cal_ns);
	return true;
}

bool report_ratio_signed(int64_t ns, uint64_t cal_ns, double *out)
{
	if (cal_ns == 0)
		return false;
	*out = report_round3((double)ns / (double)cal_ns);
	return true;
}

void report_fmt_us(char *buf, size_t bytes, double ns)
{
	snprintf(buf, bytes, "%.3f", report_round3(ns) / 1000.0);
}

void report_fmt_us_sig3(char *buf, size_t bytes, double ns)
{
	double us = isfinite(ns) ? ns / 1000.0 : 0, a = fabs(us);
	if (a < 0.0005) {
		snprintf(buf, bytes, "0");
	} else if (a < 0.9995) {
		snprintf(buf, bytes, "%.3f", us);
	} else if (a < 9.995) {
		snprintf(buf, bytes, "%.2f", us);
	} else if (a < 99.95) {
		snprintf(buf, bytes, "%.1f", us);
	} else {
		/* whole microseconds, the digits past the third zeroed */
		double unit = pow(10, floor(log10(a * (1 + 1e-12))) - 2);
		double r = round(us / unit) * unit;
		snprintf(buf, bytes, "%.0f", r);
	}
}

void report_fmt_bytes(char *buf, size_t bytes, uint64_t b)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	unsigned u = 0;
	uint64_t v = b;
	while (u + 1 < sizeof units / sizeof units[0] && v >= 1024 && v % 1024 == 0) {
		v /= 1024;
		u++;
	}
	if (u > 0 || b < 1024) {
		snprintf(buf, bytes, "%" PRIu64 " %s", v, units[u]);
		return;
	}
	/* not a whole number of KiB: decimals in the largest unit below it */
	double d = (double)b;
	for (u = 0; u + 1 < sizeof units / sizeof units[0] && d >= 1024; u++)
		d /= 1024;
	snprintf(buf, bytes, "%.2f %s", d, units[u]);
}

void report_html_escape(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*s, f);
		}
	}
}

bool report_restore_recorded(const struct step_stats *st)
{
	return st->kind == SCENARIO_STEP_RESTORE && hist_count(&st->hist) > 0;
}

bool report_has_kind(const struct scenario_result *s, enum scenario_step_kind kind)
{
	for (size_t i = 0; i < s->n_steps; i++)
		if (s->steps[i].kind == kind)
			return true;
	return false;
}

size_t report_merge_kind(const struct scenario_result *s, enum scenario_step_kind kind,
			 struct hist *out)
{
	size_t n = 0;
	hist_init(out);
	for (size_t i = 0; i < s->n_steps; i++) {
		if (s->steps[i].kind != kind)
			continue;
		hist_merge(out, &s->steps[i].hist);
		n++;
	}
	return n;
}

bool report_pages_per_call(const struct scenario_result *s, double *out)
{
	uint64_t pages = 0, calls = 0;
	for (size_t i = 0; i < s->n_steps; i++) {
		if (s->steps[i].kind != SCENARIO_STEP_CALL)
			continue;
		pages += s->steps[i].scratch_pages;
		calls += hist_count(&s->steps[i].hist);
	}
	if (calls == 0)
		return false;
	*out = (double)pages / (double)calls;
	return true;
}

/* `text` after `first`, wrapped at 100 columns, later lines indented as far. */
void report_wrap(FILE *f, const char *first, const char *text)
{
	int indent = (int)strlen(first), width = 100 - indent;
	const char *p = text;
	for (bool head = true; *p; head = false) {
		int n = (int)strlen(p);
		if (n > width) {
			n = width;
			while (n > 0 && p[n] != ' ')
				n--;
			if (n == 0)
				n = (int)strcspn(p, " ");
		}
		fprintf(f, "%*s%.*s\n", indent, head ? first : "", n, p);
		p += n;
		while (*p == ' ')
			p++;
	}
}
