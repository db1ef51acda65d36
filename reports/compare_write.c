/* compare_write.c — the result of compare as text (a verdict line, the
 * regressions with their intervals, the rest on request) and as JSON. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report_util.h"
#include "reports.h"

static const char *unit_of(enum compare_metric m)
{
	switch (m) {
	case COMPARE_ERRORS: return "per execution";
	case COMPARE_SCRATCH_PAGES:
	case COMPARE_COW_FAULTS: return "per call";
	case COMPARE_PAGES_COPIED: return "per snapshot";
	case COMPARE_STRUCTURE: return "";
	default: return m <= COMPARE_P99_9 ? "us" : "per restore";
	}
}

/* Latencies with the histogram's precision (3 significant digits, as the
 * text report prints them), counters per execution with 3 decimals. */
static void fmt_value(char *buf, size_t n, const struct compare_item *it, double v)
{
	if (it->latency)
		report_fmt_us_sig3(buf, n, v);
	else
		snprintf(buf, n, "%.3f", v);
}

static void fmt_pct(char *buf, size_t n, double x)
{
	if (isinf(x))
		snprintf(buf, n, "%sinf%%", x > 0 ? "+" : "-");
	else
		snprintf(buf, n, "%+.1f%%", x * 100);
}

/* Regressions first: structure, then exact counters, then latency by the
 * lower end of its interval (the surest regression first). */
static int rank(const struct compare_item *it)
{
	return it->metric == COMPARE_STRUCTURE ? 0 : it->latency ? 2 : 1;
}

static int by_severity(const void *a, const void *b)
{
	const struct compare_item *x = *(const struct compare_item *const *)a;
	const struct compare_item *y = *(const struct compare_item *const *)b;
	if (rank(x) != rank(y))
		return rank(x) - rank(y);
	double kx = x->latency ? x->lo : x->change, ky = y->latency ? y->lo : y->change;
	return kx > ky ? -1 : kx < ky;
}

struct widths {
	int scenario, row;
};

static void line(FILE *f, const struct widths *w, const struct compare_item *it)
{
	char metric[40], b[40], c[40], ch[24], lo[24], hi[24], tail[240];
	snprintf(metric, sizeof metric, "%s %s", compare_metric_name(it->metric), unit_of(it->metric));
	fmt_value(b, sizeof b, it, it->base);
	fmt_value(c, sizeof c, it, it->cur);
	if (it->metric == COMPARE_STRUCTURE) {
		snprintf(tail, sizeof tail, "%s", it->why);
		b[0] = c[0] = ch[0] = '\0';
	} else if (it->latency && it->verdict != CMP_NOT_ENOUGH_DATA) {
		fmt_pct(ch, sizeof ch, it->change);
		fmt_pct(lo, sizeof lo, it->lo);
		fmt_pct(hi, sizeof hi, it->hi);
		snprintf(tail, sizeof tail, "[%s, %s] noise %g%%", lo, hi, it->noise_pct);
	} else if (it->latency) {
		fmt_pct(ch, sizeof ch, it->change);
		snprintf(tail, sizeof tail, "%s", it->why);
	} else {
		/* a counter that was 0 has no relative change */
		if (it->base == 0 && it->cur != 0)
			snprintf(ch, sizeof ch, "from 0");
		else
			fmt_pct(ch, sizeof ch, it->change);
		snprintf(tail, sizeof tail, "exact");
	}
	fprintf(f, "%-15s %-*s  %-*s  %-27s %12s %12s %9s  %s\n", compare_verdict_name(it->verdict),
		w->scenario, it->scenario, w->row, it->row, metric, b, c, ch, tail);
}

static void header(FILE *f, const struct widths *w)
{
	fprintf(f, "%-15s %-*s  %-*s  %-27s %12s %12s %9s  %s\n", "verdict", w->scenario, "scenario",
		w->row, "row", "metric", "base", "new", "change", "interval / note");
}

int compare_write_verdict(const struct compare_result *r, FILE *f)
{
	size_t reg = r->count[CMP_REGRESSED];
	fprintf(f,
		"%s: %zu regression%s; %zu improved, %zu within noise, %zu not enough data, %zu "
		"unchanged, %zu new (bootstrap intervals, %g%% for all %zu together; BASE %u run%s, "
		"NEW %u run%s)\n",
		reg ? "REGRESSED" : "OK", reg, reg == 1 ? "" : "s", r->count[CMP_IMPROVED],
		r->count[CMP_WITHIN_NOISE], r->count[CMP_NOT_ENOUGH_DATA], r->count[CMP_UNCHANGED],
		r->count[CMP_NEW], r->confidence * 100, r->family, r->base_runs, r->base_runs == 1 ? "" : "s",
		r->cur_runs, r->cur_runs == 1 ? "" : "s");
	return fflush(f) || ferror(f) ? -1 : 0;
}

int compare_write_text(const struct compare_result *r, FILE *f, bool all)
{
	if (compare_write_verdict(r, f))
		return -1;
	for (size_t i = 0; i < r->n_warnings; i++)
		fprintf(f, "warning: %s\n", r->warnings[i]);
	if (r->base_runs < 2 || r->cur_runs < 2)
		fprintf(f, "note: with one run a side the intervals cannot see how much a second run "
			   "would move; a gate should compare 'snapbench run --repeat 5' reports\n");
	struct widths w = { 8, 3 };
	const struct compare_item **order = malloc((r->n_items ? r->n_items : 1) * sizeof *order);
	if (!order)
		return -1;
	size_t n = 0;
	for (size_t i = 0; i < r->n_items; i++) {
		const struct compare_item *it = &r->items[i];
		if (!all && it->verdict != CMP_REGRESSED)
			continue;
		int ls = (int)strlen(it->scenario), lr = (int)strlen(it->row);
		w.scenario = ls > w.scenario ? ls : w.scenario;
		w.row = lr > w.row ? lr : w.row;
		if (it->verdict == CMP_REGRESSED)
			order[n++] = it;
	}
	qsort(order, n, sizeof *order, by_severity);
	if (n || all) {
		fputc('\n', f);
		header(f, &w);
	}
	for (size_t i = 0; i < n; i++)
		line(f, &w, order[i]);
	for (size_t i = 0; all && i < r->n_items; i++)
		if (r->items[i].verdict != CMP_REGRESSED)
			line(f, &w, &r->items[i]);
	free(order);
	if (!all && r->n_items > n)
		fprintf(f, "%s(--all lists the other %zu comparisons)\n", n ? "\n" : "",
			r->n_items - n);
	return fflush(f) || ferror(f) ? -1 : 0;
}

/* ---- JSON ------------------------------------------------------------------------ */

static json_t *real_or_null(bool have, double v)
{
	return have && isfinite(v) ? json_real(round(v * 1e6) / 1e6) : json_null();
}

int compare_write_json(const struct compare_result *r, FILE *f, struct sb_err *err)
{
	json_t *root = json_object(), *counts = json_object(), *items = json_array(),
	       *warnings = json_array();
	bool oom = !root || !counts || !items || !warnings;
	if (!oom) {
		json_object_set_new(root, "verdict",
				    json_string(r->count[CMP_REGRESSED] ? "regressed" : "ok"));
		json_object_set_new(root, "confidence", json_real(r->confidence));
		json_object_set_new(root, "family", json_integer((json_int_t)r->family));
		json_object_set_new(root, "base_runs", json_integer(r->base_runs));
		json_object_set_new(root, "new_runs", json_integer(r->cur_runs));
		for (int v = 0; v < CMP__VERDICTS; v++)
			json_object_set_new(counts, compare_verdict_name((enum compare_verdict)v),
					    json_integer((json_int_t)r->count[v]));
		json_object_set(root, "counts", counts);
		for (size_t i = 0; i < r->n_warnings; i++)
			json_array_append_new(warnings, json_string(r->warnings[i]));
		json_object_set(root, "warnings", warnings);
		for (size_t i = 0; i < r->n_items && !oom; i++) {
			const struct compare_item *it = &r->items[i];
			bool structure = it->metric == COMPARE_STRUCTURE;
			bool interval = it->latency && it->verdict != CMP_NOT_ENOUGH_DATA;
			json_t *o = json_pack(
				"{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:s}", "scenario",
				it->scenario, "row", it->row, "metric", compare_metric_name(it->metric),
				"unit", it->latency ? "ns" : unit_of(it->metric), "verdict",
				compare_verdict_name(it->verdict), "base", real_or_null(!structure, it->base),
				"new", real_or_null(!structure, it->cur), "change",
				real_or_null(!structure, it->change), "lo", real_or_null(interval, it->lo),
				"hi", real_or_null(interval, it->hi), "noise_pct",
				real_or_null(it->latency, it->noise_pct), "why", it->why);
			oom = !o || json_array_append_new(items, o);
		}
		json_object_set(root, "items", items);
	}
	int rc = 0;
	if (oom) {
		rc = sb_errf(err, SB_E_NOMEM, "compare --json: out of memory (or a name is not UTF-8)");
	} else if (json_dumpf(root, f, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10)) ||
		   fputc('\n', f) == EOF || fflush(f) || ferror(f)) {
		rc = sb_errf(err, SB_E_IO, "writing the comparison: %s", strerror(errno ? errno : EIO));
	}
	json_decref(counts);
	json_decref(items);
	json_decref(warnings);
	json_decref(root);
	return rc;
}
