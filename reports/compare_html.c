/* compare_html.c — `snapbench compare --html FILE`: the comparison as one
 * self-contained page, side by side: the verdict line and the warnings of
 * the text output, then per scenario and row both distributions on one
 * percentile plot (BASE and NEW, the same latency axis for every plot) with
 * the row's verdicts and intervals under it, and the table of every
 * comparison (regressions highlighted). Same rules as the report: inline
 * CSS and SVG, no scripts, every string escaped. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report_html.h"
#include "report_util.h"
#include "reports.h"

static const struct scenario_result *find_scenario(const struct run_report *r, const char *name)
{
	for (size_t i = 0; r && i < r->n_scenarios; i++)
		if (strcmp(r->scenarios[i].name, name) == 0)
			return &r->scenarios[i];
	return NULL;
}

static const struct step_stats *find_step(const struct scenario_result *s, const char *label)
{
	for (size_t i = 0; s && i < s->n_steps; i++)
		if (strcmp(s->steps[i].label, label) == 0)
			return &s->steps[i];
	return NULL;
}

static void fmt_pct(char *buf, size_t n, double x)
{
	if (isinf(x))
		snprintf(buf, n, "%sinf%%", x > 0 ? "+" : "-");
	else
		snprintf(buf, n, "%+.1f%%", x * 100);
}

static const char *row_class(enum compare_verdict v)
{
	return v == CMP_REGRESSED ? " class=\"bad\"" : v == CMP_IMPROVED ? " class=\"good\"" : "";
}

/* One <tr> of an item: verdict, metric, base, new, change, interval or note. */
static void item_row(FILE *f, const struct compare_item *it, bool names)
{
	fprintf(f, "<tr%s><td class=\"%s\">", row_class(it->verdict),
		it->verdict == CMP_REGRESSED ? "fail" : it->verdict == CMP_IMPROVED ? "pass" : "v");
	report_html_escape(f, compare_verdict_name(it->verdict));
	fputs("</td>", f);
	if (names) {
		fputs("<td>", f);
		report_html_escape(f, it->scenario);
		fputs("</td><td>", f);
		report_html_escape(f, it->row);
		fputs("</td>", f);
	}
	fputs("<td>", f);
	report_html_escape(f, compare_metric_name(it->metric));
	fputs(it->latency ? " (µs)" : "", f);
	fputs("</td>", f);
	if (it->metric == COMPARE_STRUCTURE) {
		fputs("<td colspan=\"4\">", f);
		report_html_escape(f, it->why);
		fputs("</td></tr>\n", f);
		return;
	}
	double k = it->latency ? 1e3 : 1;
	char ch[24], lo[24], hi[24];
	fmt_pct(ch, sizeof ch, it->change);
	fprintf(f, "<td class=\"n\">%.3f</td><td class=\"n\">%.3f</td><td class=\"n\">%s</td><td>",
		it->base / k, it->cur / k, it->base == 0 && it->cur != 0 ? "from 0" : ch);
	if (it->latency && it->verdict != CMP_NOT_ENOUGH_DATA) {
		fmt_pct(lo, sizeof lo, it->lo);
		fmt_pct(hi, sizeof hi, it->hi);
		fprintf(f, "[%s, %s], noise ±%g%%", lo, hi, it->noise_pct);
	} else if (it->latency) {
		report_html_escape(f, it->why);
	} else {
		fputs("exact", f);
	}
	fputs("</td></tr>\n", f);
}

static void table_head(FILE *f, bool names, const char *caption)
{
	fputs("<div class=\"wide\"><table>\n<caption>", f);
	report_html_escape(f, caption);
	fputs("</caption>\n<tr><th scope=\"col\">verdict</th>", f);
	if (names)
		fputs("<th scope=\"col\">scenario</th><th scope=\"col\">row</th>", f);
	fputs("<th scope=\"col\">metric</th><th scope=\"col\">base</th><th scope=\"col\">new</th>"
	      "<th scope=\"col\">change</th><th scope=\"col\">interval / note</th></tr>\n",
	      f);
}

/* The range (µs) of every latency of both sides: one axis for all plots. */
static void range(const struct run_report *b, const struct run_report *c, double *lo, double *hi)
{
	double l2, h2;
	bool x = html_latency_range(b, lo, hi), y = html_latency_range(c, &l2, &h2);
	if (!x && y)
		*lo = l2, *hi = h2;
	else if (x && y)
		*lo = fmin(*lo, l2), *hi = fmax(*hi, h2);
	else if (!x)
		*lo = *hi = 0;
}

/* Both sides' distributions of one row on one plot. */
static int row_plot(FILE *f, const struct step_stats *bs, const struct step_stats *cs,
		    const char *title, size_t index, double ylo, double yhi, double xtop)
{
	struct html_curve cb = { 0 }, cc = { 0 };
	if ((bs && html_curve_of(&bs->hist, &cb)) || (cs && html_curve_of(&cs->hist, &cc))) {
		html_curve_free(&cb);
		html_curve_free(&cc);
		return -1;
	}
	struct plot_series s[2];
	size_t ns = 0;
	double xmax = xtop;
	if (cb.n)
		s[ns++] = (struct plot_series){ .name = "BASE", .pts = cb.pts, .n = cb.n, .lines = true };
	if (cc.n)
		s[ns++] = (struct plot_series){ .name = "NEW", .pts = cc.pts, .n = cc.n, .lines = true };
	for (size_t i = 0; i < ns; i++)
		for (size_t k = 0; k < s[i].n; k++)
			xmax = fmax(xmax, s[i].pts[k].x);
	if (ns == 0) {
		fputs("<p class=\"none\">No latencies recorded on either side: no plot.</p>\n", f);
	} else {
		char id[32];
		snprintf(id, sizeof id, "cmp-%zu", index);
		html_pct_plot(f, id, title,
			      "Latency of this row against the percentile, BASE and NEW on one plot; "
			      "the x axis is 1/(1-percentile) on a log scale.",
			      s, ns, xmax, ylo, yhi);
	}
	html_curve_free(&cb);
	html_curve_free(&cc);
	return 0;
}

/* The rows of one scenario, in NEW's order then those only BASE has. */
static int scenario(FILE *f, const struct compare_result *r, const struct scenario_result *bs,
		    const struct scenario_result *cs, size_t *plots, double ylo, double yhi,
		    double xtop)
{
	const struct scenario_result *sides[2] = { cs, bs };
	int rc = 0;
	for (int side = 0; side < 2 && rc == 0; side++) {
		const struct scenario_result *s = sides[side];
		for (size_t i = 0; s && i < s->n_steps && rc == 0; i++) {
			const char *label = s->steps[i].label;
			if (side == 1 && find_step(cs, label))
				continue; /* drawn with NEW's rows */
			const struct step_stats *b = find_step(bs, label), *c = find_step(cs, label);
			fputs("<h3>", f);
			report_html_escape(f, label);
			fputs("</h3>\n", f);
			rc = row_plot(f, b, c, label, (*plots)++, ylo, yhi, xtop);
			bool any = false;
			for (size_t k = 0; k < r->n_items; k++) {
				const struct compare_item *it = &r->items[k];
				if (strcmp(it->scenario, s->name) || strcmp(it->row, label))
					continue;
				if (!any)
					table_head(f, false, "Verdicts of this row");
				any = true;
				item_row(f, it, false);
			}
			if (any)
				fputs("</table></div>\n", f);
		}
	}
	return rc;
}

static void side_files(FILE *f, const char *what, const char *const *files, size_t n)
{
	fprintf(f, "<dt>%s</dt><dd>", what);
	for (size_t i = 0; i < n; i++) {
		fputs(i ? ", <code>" : "<code>", f);
		report_html_escape(f, files[i]);
		fputs("</code>", f);
	}
	fputs(n > 1 ? " (pooled: each report a run)</dd>" : "</dd>", f);
}

int compare_write_html(const struct compare_result *r, const struct run_report *base,
		       const struct run_report *cur, const struct compare_html_sides *sides,
		       FILE *f, struct sb_err *err)
{
	fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		   "<title>snapbench compare</title>\n<style>\n%str.good td{background:#e5f5e0}\n"
		   "</style>\n</head>\n<body>\n<h1>snapbench compare</h1>\n",
		report_html_css);
	/* the verdict line exactly as the text output has it */
	char *line = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&line, &len);
	if (m) {
		compare_write_verdict(r, m);
		fclose(m);
	}
	fprintf(f, "<p class=\"verdict\"><span class=\"%s\">",
		r->count[CMP_REGRESSED] ? "fail" : "pass");
	report_html_escape(f, line ? line : "");
	fputs("</span></p>\n", f);
	free(line);
	fputs("<dl class=\"meta\">", f);
	side_files(f, "BASE", sides->base, sides->n_base);
	side_files(f, "NEW", sides->cur, sides->n_cur);
	fprintf(f, "<dt>confidence</dt><dd>%g%% for all %zu latency intervals together</dd></dl>\n",
		r->confidence * 100, r->family);
	for (size_t i = 0; i < r->n_warnings; i++) {
		fputs("<p class=\"failed\"><strong>warning:</strong> ", f);
		report_html_escape(f, r->warnings[i]);
		fputs("</p>\n", f);
	}
	if (r->base_runs < 2 || r->cur_runs < 2)
		fputs("<p class=\"note\">With one run a side the intervals cannot see how much a "
		      "second run would move; a gate should compare 'snapbench run --repeat 5' "
		      "reports, or several reports a side (--vs).</p>\n",
		      f);

	/* what changed, the regressions first; every comparison is under
	 * its row's plot below */
	size_t changed = 0;
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < r->n_items; i++) {
			enum compare_verdict v = r->items[i].verdict;
			if ((v == CMP_REGRESSED) != (pass == 0) ||
			    (v != CMP_REGRESSED && v != CMP_IMPROVED && v != CMP_NEW))
				continue;
			if (!changed++)
				table_head(f, true, "What changed (regressions first)");
			item_row(f, &r->items[i], true);
		}
	if (changed)
		fputs("</table></div>\n", f);
	else
		fputs("<p>Nothing changed beyond the noise: every comparison is under its row's "
		      "plot below.</p>\n",
		      f);

	double ylo, yhi;
	range(base, cur, &ylo, &yhi);
	double xtop = fmax(html_percentile_extent(base), html_percentile_extent(cur));
	size_t plots = 0, sections = 0;
	int rc = 0;
	const struct run_report *order[2] = { cur, base };
	for (int side = 0; side < 2 && rc == 0; side++)
		for (size_t i = 0; i < order[side]->n_scenarios && rc == 0; i++) {
			const struct scenario_result *s = &order[side]->scenarios[i];
			if (side == 1 && find_scenario(cur, s->name))
				continue;
			fprintf(f, "<section id=\"c%zu\">\n<h2>Scenario ", sections++);
			report_html_escape(f, s->name);
			fputs(side == 1 ? " (only in BASE)</h2>\n" : "</h2>\n", f);
			rc = scenario(f, r, find_scenario(base, s->name), find_scenario(cur, s->name),
				      &plots, ylo, yhi, xtop);
			fputs("</section>\n", f);
		}
	fputs("</body>\n</html>\n", f);
	if (rc)
		return sb_errf(err, SB_E_NOMEM, "compare --html: out of memory");
	errno = 0;
	if (fflush(f) || ferror(f))
		return sb_errf(err, SB_E_IO, "writing the comparison page: %s",
			       strerror(errno ? errno : EIO));
	return 0;
}
