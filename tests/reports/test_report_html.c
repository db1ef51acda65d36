/* test_report_html.c — the HTML report: golden file (exact, from the
 * fixture) and structural checks: self-contained, everything escaped. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fixture.h"
#include "golden.h"
#include "reports.h"
#include "svg_plot.h"

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static char *render(const struct run_report *r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct sb_err err = { 0 };
	CHECK_I64(report_write_html(r, f, &err), 0);
	fclose(f);
	return buf;
}

/* The x pixel of the x-axis tick labelled `label` in the plot `id`. */
static double tick_x(const char *html, const char *id, const char *label)
{
	char open[64], want[64];
	snprintf(open, sizeof open, "<title id=\"%s-t\">", id);
	snprintf(want, sizeof want, ">%s</text>", label);
	const char *p = strstr(html, open), *end = p ? strstr(p, "</svg>") : NULL;
	for (const char *t = p; t && (t = strstr(t, want)) && t < end; t++) {
		const char *x = t;
		while (x > p && strncmp(x, "<text x=\"", 9) != 0)
			x--;
		double v;
		/* an x tick: centred under its grid line */
		if (sscanf(x, "<text x=\"%lf\"", &v) == 1 &&
		    strstr(x, " text-anchor=\"middle\"") < t)
			return v;
	}
	return NAN;
}

/* The restore strategies side by side: a sweep of cells (fixture_sweep):
 * a plot per heap, a line per strategy, both axes log, 0 pages a decade
 * left; the table of every cell with its ratio to the sandbox exit. */
static void test_strategies(void)
{
	struct run_report r;
	fixture_sweep(&r);
	r.scenarios[0].cal.exit_sandbox_ns = 80000; /* noisier: the run's lowest is the yardstick */
	char *buf = render(&r);
	if (CHECK(buf != NULL)) {
		CHECK_CONTAINS(buf, "<h2>Restore strategies side by side</h2>");
		CHECK_U64(count(buf, "<title id=\"ready-pages-"), 2);
		CHECK_CONTAINS(buf, "Restore-to-ready overhead against dirtied pages, heap 128 KiB</title>");
		CHECK_CONTAINS(buf, "Restore-to-ready overhead against dirtied pages, heap 256 MiB</title>");
		CHECK_CONTAINS(buf, ">rewrite (circle)</text>");
		CHECK_CONTAINS(buf, ">host-cow (square)</text>");
		CHECK_CONTAINS(buf, "restore + first call - steady call (µs, log scale)");
		CHECK_CONTAINS(buf, "pages re-dirtied per call (log scale; 0 drawn a decade left)");
		/* points: one per cell with an overhead above 0 */
		CHECK_CONTAINS(buf, "<title>rewrite: h256M-p64 [rewrite]: 64 pages, 9684.000 us</title>");
		CHECK_CONTAINS(buf, "<title>host-cow: h128K-p0 [host-cow]: 0 pages, 11.000 us</title>");
		CHECK(strstr(buf, "h256M-p0 [host-cow]: 0 pages") == NULL); /* -5 us */
		CHECK(strstr(buf, "h256M-p3 [host-cow]: 3 pages") == NULL); /* no steady call */
		/* x: log scale, 0 one decade left of 3 (the smallest non-zero) */
		double x0 = tick_x(buf, "ready-pages-1", "0"), x3 = tick_x(buf, "ready-pages-1", "3"),
		       x64 = tick_x(buf, "ready-pages-1", "64");
		if (CHECK(x0 < x3 && x3 < x64))
			CHECK(fabs((x64 - x3) / (x3 - x0) - log10(64.0 / 3)) < 0.01);
		CHECK(isnan(tick_x(buf, "ready-pages-0", "64"))); /* not at 128 KiB */
		/* both heaps' plots on one y axis (11 us .. 9684 us: 10 to 10000) */
		for (int k = 0; k < 2; k++) {
			char open[48];
			snprintf(open, sizeof open, "<title id=\"ready-pages-%d-t\">", k);
			const char *p = strstr(buf, open), *end = p ? strstr(p, "</svg>") : NULL;
			const char *lo = p ? strstr(p, "text-anchor=\"end\" data-box=\"57.7 328.0 74.0 "
						       "343.6\">10</text>") : NULL;
			const char *hi = p ? strstr(p, ">10000</text>") : NULL;
			CHECK(p && lo && hi && lo < end && hi < end);
		}
		/* the table: every cell, by heap, pages, then run order */
		CHECK_CONTAINS(buf, "<tr><td class=\"n\">128 KiB</td><td class=\"n\">3</td><td>rewrite</td>"
				    "<th scope=\"row\">h128K-p3 [rewrite]</th><td class=\"n\">23.000</td>"
				    "<td class=\"n\">480.000</td><td class=\"n\">30.000</td>"
				    "<td class=\"n\">473.000</td><td class=\"n\">50.000</td>"
				    "<td class=\"n\">9.460</td></tr>\n<tr><td class=\"n\">128 KiB</td>"
				    "<td class=\"n\">3</td><td>host-cow</td>"
				    "<th scope=\"row\">h128K-p3 [host-cow]</th><td class=\"n\">10.750</td>"
				    "<td class=\"n\">31.000</td><td class=\"n\">30.000</td>"
				    "<td class=\"n\">11.750</td><td class=\"n\">50.000</td>"
				    "<td class=\"n\">0.235</td></tr>");
		CHECK_CONTAINS(buf, "<th scope=\"row\">h128K-p0 [rewrite]</th><td class=\"n\">20.000</td>"
				    "<td class=\"n\">30.000</td><td class=\"n\">30.000</td>"
				    "<td class=\"n\">20.000</td><td class=\"n\">50.000</td>"
				    "<td class=\"n\">0.400</td></tr>");
		CHECK_CONTAINS(buf, "the sandbox exit the ratios divide by is the run&#39;s: the lowest");
		CHECK_CONTAINS(buf, "<th scope=\"row\">h256M-p0 [host-cow]</th><td class=\"n\">10.000</td>"
				    "<td class=\"n\">15.000</td><td class=\"n\">30.000</td>"
				    "<td class=\"n\">-5.000</td><td class=\"n\">50.000</td>"
				    "<td class=\"n\">-0.100</td></tr>");
		CHECK_CONTAINS(buf, "<th scope=\"row\">h256M-p3 [host-cow]</th><td colspan=\"6\" "
				    "class=\"none\">no call label has both a first call after a restore "
				    "and a steady call</td></tr>");
		CHECK_U64(count(buf, "<tr><td class=\"n\">256 MiB</td>"), 6);
		CHECK_U64(count(buf, "<table>"), count(buf, "</table>"));
		CHECK_U64(count(buf, "<tr"), count(buf, "</tr>")); /* <tr class=...> too */
	}
	free(buf);
	/* no scenario declares its pages: said, no plot */
	for (size_t i = 0; i < r.n_scenarios; i++)
		r.scenarios[i].dirtied_pages = SCENARIO_NONE;
	buf = render(&r);
	if (CHECK(buf != NULL)) {
		CHECK_CONTAINS(buf, "No scenario declares the pages its calls re-dirty (dirtied_pages)");
		CHECK(strstr(buf, "ready-pages-") == NULL);
	}
	free(buf);
	run_report_free(&r);
}

/* Every text box (data-box) of every plot of html, pairwise: none may
 * touch another. Returns how many boxes were checked. */
static size_t check_boxes_apart(const char *html)
{
	size_t checked = 0;
	for (const char *svg = html; (svg = strstr(svg, "<svg ")); svg++) {
		const char *end = strstr(svg, "</svg>");
		struct plot_box b[1024];
		size_t n = 0;
		for (const char *t = svg; (t = strstr(t, "data-box=\"")) && t < end && n < 1024; t++)
			if (sscanf(t, "data-box=\"%lf %lf %lf %lf\"", &b[n].x0, &b[n].y0, &b[n].x1,
				   &b[n].y1) == 4)
				n++;
		/* inside the SVG: nothing clipped */
		double w = 0, h = 0;
		CHECK(sscanf(svg, "<svg class=\"plot\" width=\"%lf\" height=\"%lf\"", &w, &h) == 2);
		for (size_t i = 0; i < n; i++)
			if (!CHECK(b[i].x0 >= 0 && b[i].y0 >= 0 && b[i].x1 <= w && b[i].y1 <= h))
				fprintf(stderr, "  box %zu [%g %g %g %g] leaves the %gx%g plot\n", i,
					b[i].x0, b[i].y0, b[i].x1, b[i].y1, w, h);
		for (size_t i = 0; i < n; i++)
			for (size_t k = i + 1; k < n; k++)
				if (!CHECK(!plot_boxes_overlap(&b[i], &b[k])))
					fprintf(stderr, "  boxes %zu and %zu of a plot overlap\n", i, k);
		checked += n;
		/* every <text> of the plot has its box */
		size_t texts = 0;
		for (const char *t = svg; (t = strstr(t, "<text")) && t < end; t++)
			texts++;
		CHECK_U64(texts, n);
	}
	return checked;
}

static char *plot_to_string(const struct plot *p)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	plot_svg(f, p);
	fclose(f);
	return buf;
}

/* The layout: log decided per plot; labels above/below their point, or
 * in the legend when they would collide; no two boxes overlap. */
static void test_layout(void)
{
	struct plot_point a[3] = { { 1, 1, "a1", NULL }, { 2, 3, "a2", NULL }, { 3, 5, "a3", NULL } };
	struct plot_point b[2] = { { 1, 100, "b1", NULL }, { 3, 200, "b2", NULL } };
	struct plot_series two[2] = { { "small", a, 3, true }, { "large", b, 2, true } };
	struct plot p = { .id = "t", .title = "t", .desc = "d",
			  .x = { .label = "x", .scale = PLOT_AUTO },
			  .y = { .label = "y (µs)", .scale = PLOT_AUTO },
			  .series = two, .n_series = 1 };
	/* one series spanning 5x: linear; with a second, 200x: log for both */
	char *buf = plot_to_string(&p);
	CHECK_CONTAINS(buf, ">y (µs)</text>");
	CHECK(strstr(buf, "log scale") == NULL);
	free(buf);
	p.n_series = 2;
	buf = plot_to_string(&p);
	CHECK_CONTAINS(buf, ">y (µs), log scale</text>");
	CHECK(strstr(buf, ">x, log scale") == NULL); /* x spans 3x */
	check_boxes_apart(buf);
	free(buf);
	/* the corner: a wide first x label ("0%") and the lowest y label
	 * both fit (the y axis' range is read off its ends) */
	double xt[2] = { 1, 10 };
	const char *xl[2] = { "0%", "90%" };
	p.x = (struct plot_axis){ .label = "x", .scale = PLOT_LOG10, .min = 1, .max = 10,
				  .ticks = xt, .tick_labels = xl, .n_ticks = 2 };
	buf = plot_to_string(&p);
	CHECK_CONTAINS(buf, " text-anchor=\"middle\" data-box=\"69.9 344.0 90.1 359.6\">0%</text>");
	CHECK_CONTAINS(buf, " text-anchor=\"end\" data-box=\"65.8 328.0 74.0 343.6\">1</text>");
	check_boxes_apart(buf);
	free(buf);
	p.x = (struct plot_axis){ .label = "x", .scale = PLOT_AUTO };
	/* labels far apart: printed by their points */
	struct plot_point far[3] = { { 1, 1, "tip one", "first point" },
				     { 50, 50, "tip two", "second point" },
				     { 100, 100, "tip three", "third point" } };
	struct plot_series one = { "s", far, 3, true };
	p.series = &one, p.n_series = 1;
	buf = plot_to_string(&p);
	CHECK_U64(count(buf, "class=\"plabel\""), 3);
	CHECK(strstr(buf, "legend point") == NULL);
	check_boxes_apart(buf);
	free(buf);
	/* five labels on nearly one spot: four places around it (above and
	 * below, left and right), so none is printed there and the legend
	 * lists the points (by their tips) */
	struct plot_point near[5] = { { 50, 50, "tip one", "first point" },
				      { 50.5, 50.5, "tip two", "second point" },
				      { 51, 50, "tip three", "third point" },
				      { 50, 49.5, "tip four", "fourth point" },
				      { 50.5, 50, "tip five", "fifth point" } };
	one.pts = near, one.n = 5;
	buf = plot_to_string(&p);
	CHECK(strstr(buf, "class=\"plabel\"") == NULL);
	CHECK_U64(count(buf, "<g class=\"legend point\">"), 5);
	CHECK_CONTAINS(buf, ">tip two</text></g>");
	check_boxes_apart(buf);
	free(buf);
	/* many ticks on a log2 axis: the layout leaves out labels that would
	 * touch, never the first and last */
	struct plot_point wide[2] = { { 1, 1, NULL, NULL }, { 1099511627776.0, 2, NULL, NULL } };
	one.pts = wide, one.n = 2;
	p.x.scale = PLOT_LOG2;
	buf = plot_to_string(&p);
	CHECK_CONTAINS(buf, ">1</text>");
	CHECK_CONTAINS(buf, ">1.09951e+12</text>"); /* at the right edge: the SVG widens */
	CHECK(strstr(buf, "<svg class=\"plot\" width=\"760\"") == NULL);
	CHECK(count(buf, "<line class=\"grid\"") > count(buf, "text-anchor=\"middle\"") - 2);
	check_boxes_apart(buf);
	free(buf);
}

/* Summary at the top; heap on log2; one y scale for every percentile plot;
 * restore-to-ready and penalty per strategy against heap and pages. */
static void test_summary_and_series(void)
{
	struct run_report r;
	fixture_report(&r, true);
	/* one step of scenario 0 with 200000 samples: its percentile axis
	 * reaches 99.999 %, and so must scenario 1's (1000 samples) */
	hist_record_n(&r.scenarios[0].steps[0].hist, 5000, 200000);
	/* a 0 ns value does not force the latency axes linear */
	hist_record(&r.scenarios[1].steps[0].hist, 0);
	char *buf = render(&r);
	if (CHECK(buf != NULL)) {
		CHECK_U64(count(buf, ">latency (µs), log scale</text>"), 2);
		const char *q1 = strstr(buf, "<title id=\"pct-1-t\">");
		const char *t1 = q1 ? strstr(q1, ">99.999%</text>") : NULL;
		CHECK(q1 && t1 && t1 < strstr(q1, "</svg>"));
		const char *sum = strstr(buf, "<h2>Summary</h2>"), *nav = strstr(buf, "<nav>");
		CHECK(sum && nav && sum < nav);
		CHECK_CONTAINS(buf, "<p class=\"verdict\"><span class=\"fail\">FAIL</span>: 1 of 2 "
				    "expectations passed; 1 of 2 scenarios failed; 1 steps with errors.</p>");
		/* the failed expectation first, highlighted */
		const char *failed = strstr(buf, "<tr class=\"bad\"><td class=\"fail\">FAIL</td><td><a "
						 "href=\"#s1\">esc&lt;&amp;&gt;&quot;name</a></td><td><code>"
						 "restore.p99 &lt; 200us</code>");
		const char *passed = strstr(buf, "<tr><td class=\"pass\">PASS</td><td><a href=\"#s0\">"
						 "restore-64M</a>");
		CHECK(failed && passed && failed < passed);
		CHECK_CONTAINS(buf, "<tr class=\"bad\"><td><a href=\"#s1\">esc&lt;&amp;&gt;&quot;name"
				    "</a></td><th scope=\"row\">call touch_pages (first after restore)</th>"
				    "<td class=\"n\">1</td><td><code>touch_pages: guest function failed "
				    "(code 3): &lt;no&gt; &amp; &quot;pages&quot;</code>");
		CHECK_CONTAINS(buf, "<td class=\"n\">1.420–1.610</td><td class=\"n\">12.7%</td>");
		/* ... and in the scenario's step table */
		CHECK_CONTAINS(buf, "<tr class=\"bad\"><th scope=\"row\">call touch_pages (first after "
				    "restore)</th><td>call</td><td class=\"n\">");
		CHECK_CONTAINS(buf, "<pre class=\"cmd\"><code>cd &#39;/home/ci/snap bench&#39; &amp;&amp; "
				    "build/cli/snapbench run -o &#39;my results&#39; scenarios/restore.ini"
				    "</code></pre>");
		/* heap on a log2 axis, ticks at powers of 2 evenly spaced */
		CHECK_CONTAINS(buf, "heap (log2 scale)");
		double x64 = tick_x(buf, "restore-heap", "64 MiB"),
		       x128 = tick_x(buf, "restore-heap", "128 MiB"),
		       x256 = tick_x(buf, "restore-heap", "256 MiB");
		if (CHECK(x64 < x128 && x128 < x256))
			CHECK(fabs((x128 - x64) - (x256 - x128)) < 0.2);
		/* the same y axis for every scenario's percentile plot */
		const char *p0 = strstr(buf, "<title id=\"pct-0-t\">"),
			   *p1 = strstr(buf, "<title id=\"pct-1-t\">");
		if (CHECK(p0 && p1)) {
			char y0[512] = "", y1[512] = "";
			const char *q[2] = { p0, p1 };
			char *out[2] = { y0, y1 };
			for (int k = 0; k < 2; k++) {
				const char *end = strstr(q[k], "</svg>");
				for (const char *t = q[k]; (t = strstr(t, "text-anchor=\"end\" data-box")) &&
							   t < end; t++) {
					const char *v = strchr(t, '>') + 1;
					strncat(out[k], v, (size_t)(strchr(v, '<') - v));
					strcat(out[k], "|");
				}
			}
			CHECK(y0[0] != '\0');
			CHECK_STR(y0, y1);
		}
		check_boxes_apart(buf);
	}
	free(buf);
	run_report_free(&r);

	/* the sweep: a line per strategy in each plot against heap and pages */
	fixture_sweep(&r);
	buf = render(&r);
	if (CHECK(buf != NULL)) {
		const char *ids[] = { "restore-heap", "penalty-heap", "pages-restore", "penalty-pages" };
		for (size_t i = 0; i < 4; i++) {
			char open[64];
			snprintf(open, sizeof open, "<title id=\"%s-t\">", ids[i]);
			const char *p = strstr(buf, open), *end = p ? strstr(p, "</svg>") : NULL;
			if (!CHECK(p && end))
				continue;
			size_t lines = 0, rew = 0, cow = 0;
			for (const char *t = p; (t = strstr(t, "<g class=\"legend\">")) && t < end; t++) {
				lines++;
				const char *txt = strstr(t, "\">rewrite"), *c = strstr(t, "\">host-cow");
				rew += txt && txt < strstr(t, "</g>");
				cow += c && c < strstr(t, "</g>");
			}
			CHECK(rew >= 1 && cow >= 1 && lines == rew + cow);
		}
		CHECK_CONTAINS(buf, "Post-restore penalty against heap size</title>");
		CHECK_CONTAINS(buf, "Post-restore penalty against dirtied pages</title>");
		/* pages 0..64 span more than 10x: log, 0 a decade left */
		CHECK_CONTAINS(buf, "pages dirtied per call (pages of 4 KiB), log scale; 0 drawn a "
				    "decade left");
		check_boxes_apart(buf);
	}
	free(buf);
	run_report_free(&r);
}

/* Errors a scenario allows (allow_errors, or an expectation that judges
 * them) do not fail the run, so the summary's verdict is PASS, as run's
 * exit code 0, with the steps still listed; errors it does not allow are
 * a failed expectation the runner adds (results.h). The verdict said FAIL
 * for guest-io.ini's allowed host_fail calls. */
static void test_summary_allowed_errors(void)
{
	struct run_report r;
	fixture_report(&r, true);
	for (size_t i = 0; i < r.n_scenarios; i++) {
		r.scenarios[i].failed = false;
		for (size_t k = 0; k < r.scenarios[i].n_expects; k++)
			r.scenarios[i].expects[k].passed = true;
	}
	char *buf = render(&r);
	if (CHECK(buf != NULL)) {
		CHECK_CONTAINS(buf, "<p class=\"verdict\"><span class=\"pass\">PASS</span>: 2 of 2 "
				    "expectations passed; 0 of 2 scenarios failed; 1 steps with errors.</p>");
		CHECK_CONTAINS(buf, "<tr class=\"bad\"><th scope=\"row\">call touch_pages (first after "
				    "restore)</th>");
	}
	free(buf);
	run_report_free(&r);
}

/* A report of no scenario (a JSON edited or cut short; run refuses an
 * empty set) said PASS: 0 of 0 expectations passed. */
static void test_summary_no_scenarios(void)
{
	struct run_report r;
	fixture_report(&r, false);
	size_t n = r.n_scenarios;
	r.n_scenarios = 0;
	char *buf = render(&r);
	if (CHECK(buf != NULL)) {
		CHECK_CONTAINS(buf, "<span class=\"fail\">NO SCENARIOS</span>: the report holds no "
				    "scenario");
		CHECK(strstr(buf, ">PASS</span>") == NULL);
	}
	free(buf);
	r.n_scenarios = n;
	run_report_free(&r);
}

/* compare --html: both sides per row, verdicts and intervals. */
static void test_compare_html(void)
{
	struct run_report b, c;
	fixture_report(&b, false);
	fixture_report(&c, false);
	/* NEW's restores all 50% slower */
	struct step_stats *st = &c.scenarios[0].steps[0];
	for (size_t i = 0; i < c.scenarios[0].n_steps; i++)
		if (strcmp(c.scenarios[0].steps[i].label, "restore base (same snapshot)") == 0)
			st = &c.scenarios[0].steps[i];
	struct hist h;
	hist_init(&h);
	for (uint64_t i = 0; i < 1000; i++)
		hist_record(&h, 33000 + (i * 7919) % 3000);
	st->hist = h;
	if (st->runs && st->n_runs == 1)
		st->runs[0] = h;
	struct compare_options o = { 0 };
	struct compare_result r;
	struct sb_err err = { 0 };
	if (!CHECK_I64(report_compare(&b, &c, &o, &r, &err), 0)) {
		fprintf(stderr, "  %s\n", err.msg);
		return;
	}
	const char *bf[] = { "base.json" }, *cf[] = { "new <1>.json" };
	struct compare_html_sides sides = { .base = bf, .n_base = 1, .cur = cf, .n_cur = 1 };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	CHECK_I64(compare_write_html(&r, &b, &c, &sides, f, &err), 0);
	fclose(f);
	if (CHECK(buf != NULL)) {
		CHECK_CONTAINS(buf, "<p class=\"verdict\"><span class=\"fail\">REGRESSED: ");
		CHECK_CONTAINS(buf, "<code>new &lt;1&gt;.json</code>");
		CHECK(strstr(buf, "<script") == NULL && strstr(buf, "http") == NULL);
		/* a plot per row with both sides */
		size_t rows = 0;
		for (size_t i = 0; i < c.n_scenarios; i++)
			rows += c.scenarios[i].n_steps;
		/* a plot per row but the one that never ran, which says so */
		CHECK_U64(count(buf, "<title id=\"cmp-"), rows - 1);
		CHECK_U64(count(buf, "No latencies recorded on either side: no plot."), 1);
		CHECK_U64(count(buf, ">BASE (circle)</text>"), rows - 1);
		CHECK_U64(count(buf, ">NEW (square)</text>"), rows - 1);
		CHECK_CONTAINS(buf, "<h3>restore base (same snapshot)</h3>\n<svg");
		/* its verdicts with intervals, the regression highlighted */
		CHECK_CONTAINS(buf, "<tr class=\"bad\"><td class=\"fail\">regressed</td><td>p50 (µs)"
				    "</td>");
		CHECK_CONTAINS(buf, "], noise ±5%</td></tr>");
		CHECK_CONTAINS(buf, "<caption>What changed (regressions first)</caption>");
		check_boxes_apart(buf);
	}
	free(buf);
	compare_result_free(&r);
	run_report_free(&b);
	run_report_free(&c);
}

int main(void)
{
	test_layout();
	test_summary_and_series();
	test_summary_allowed_errors();
	test_summary_no_scenarios();
	test_compare_html();
	test_strategies();
	struct run_report r;
	fixture_report(&r, true);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct sb_err err = { 0 };
	CHECK_I64(report_write_html(&r, f, &err), 0);
	fclose(f);
	if (CHECK(buf != NULL)) {
		golden_check("report_fixture.html", buf);
		/* self-contained: no addresses, no scripts, no external anything */
		CHECK(strstr(buf, "http") == NULL);
		CHECK(strstr(buf, "<script") == NULL);
		CHECK(strstr(buf, "url(") == NULL);
		CHECK(strstr(buf, "@import") == NULL);
		CHECK(strstr(buf, "src=") == NULL);
		CHECK(strncmp(buf, "<!DOCTYPE html>", 15) == 0);
		CHECK_CONTAINS(buf, "</html>\n");
		/* every name present and escaped, never raw */
		CHECK_CONTAINS(buf, "restore-64M");
		CHECK_CONTAINS(buf, "Scenario esc&lt;&amp;&gt;&quot;name</h2>");
		CHECK(strstr(buf, "esc<&>") == NULL);
		CHECK(strstr(buf, "<oops>") == NULL);
		CHECK_CONTAINS(buf, "guest aborted: &lt;oops&gt; &amp; &quot;more&quot;");
		CHECK(strstr(buf, "<markup>") == NULL);
		/* plots: 4 across scenarios (restore-to-ready and penalty
		 * against heap and pages) + 1 of restore strategies (one
		 * scenario declares its dirtied pages) + 1 per scenario, each with
		 * a title, a description, axis labels with units and the
		 * percentile ticks */
		CHECK_U64(count(buf, "<svg "), 7);
		CHECK_U64(count(buf, "</svg>"), 7);
		CHECK_U64(count(buf, "<desc id="), 7);
		CHECK_CONTAINS(buf, "<th scope=\"row\">restore-64M</th><td class=\"n\">21.759</td>"
				    "<td class=\"n\">41.727</td><td class=\"n\">6.559</td>"
				    "<td class=\"n\">56.927</td><td class=\"n\">1.500</td>"
				    "<td class=\"n\">37.951</td></tr>");
		CHECK_CONTAINS(buf, ">99.99%</text>");
		CHECK_CONTAINS(buf, ">0%</text>");
		CHECK_CONTAINS(buf, ">90%</text>");
		CHECK_CONTAINS(buf, "heap (log2 scale)");
		CHECK_CONTAINS(buf, "pages dirtied per call (pages of 4 KiB)");
		CHECK_CONTAINS(buf, "latency (µs");
		CHECK_CONTAINS(buf, "stroke-dasharray"); /* readable without colour */
		CHECK_CONTAINS(buf, "<span class=\"fail\">FAIL</span>");
		/* expectations: the measured value with its unit */
		CHECK_CONTAINS(buf, "<code>restore base.p99 &lt; 50us</code> (got 40.0 us)");
		CHECK_CONTAINS(buf, "<code>restore.p99 &lt; 200us</code> (got 156 us)");
		/* percentiles on few samples: greyed, marked, explained */
		CHECK_CONTAINS(buf, "<td class=\"n\">43.0</td><td class=\"n few\" title=\"fewer than "
				    "10 samples beyond this percentile\">43.0~</td>");
		/* latencies with the histogram's 3 significant digits, as the
		 * text report (2010, not 2007.039); ratios keep 3 decimals */
		CHECK_CONTAINS(buf, "beyond this percentile\">2010~</td>");
		CHECK_CONTAINS(buf, "<p class=\"note few\">~ marks a percentile that rests on fewer "
				    "than 10 samples beyond it");
		CHECK_CONTAINS(buf, "td.few{");
		/* the run's record and the calibration's spread */
		CHECK_CONTAINS(buf, "<dt>command</dt><dd><code>build/cli/snapbench run -o "
				    "&#39;my results&#39; scenarios/restore.ini</code></dd>");
		CHECK_CONTAINS(buf, "<dt>working directory</dt><dd><code>/home/ci/snap bench</code>");
		CHECK_CONTAINS(buf, "<dt>build</dt><dd>gcc 12.2.0, buildtype debugoptimized, "
				    "optimization 2, sanitize none</dd>");
		CHECK_CONTAINS(buf, "hypervisor kvm_intel (built-in)");
		CHECK_CONTAINS(buf, "(XXH3-128 <code>0123456789abcdef0123456789abcdef</code>)");
		CHECK_CONTAINS(buf, "Sandbox exit: median 1.500 µs of 202 samples, IQR 1.420–1.610 µs; "
				    "before 1.480 µs, after 1.530 µs. Real-mode exit: before 1.190 µs, "
				    "after 1.215 µs. Timer overhead 27 ns.");
		CHECK_CONTAINS(buf, "<p class=\"failed\"><strong>Calibration warning:</strong> sandbox "
				    "exit spread: IQR 1.100..2.100 us is 71.4% of its median 1.400 us "
				    "(bound 20%) &lt;&amp;&gt;</p>");
		/* rows by variant; the post-restore penalty, or why there is none */
		CHECK_CONTAINS(buf, "<tr><th scope=\"row\">call touch_pages (first after restore)</th>"
				    "<td>call</td>");
		CHECK_CONTAINS(buf, "<tr><th scope=\"row\">restore base (same snapshot)</th>");
		CHECK_CONTAINS(buf, "restore rows are restore-to-ready: sandbox_restore() until it "
				    "returns the sandbox ready for a call");
		CHECK_U64(count(buf, "<caption>post-restore penalty in microseconds (us)"), 2);
		CHECK_CONTAINS(buf, "<tr><th scope=\"row\">call touch_pages</th>"
				    "<td class=\"n\">41.7</td><td class=\"n\">6.56</td>"
				    "<td class=\"n\">35.2</td><td class=\"n\">23.445</td></tr>");
		CHECK_CONTAINS(buf, "<tr><th scope=\"row\">call touch_pages</th>"
				    "<td class=\"n\">6.66</td><td colspan=\"3\" class=\"none\">no "
				    "steady call of this label was recorded: no penalty</td></tr>");
		/* restores: full and light, pages reset, and what the two kinds are */
		CHECK_U64(count(buf, "<caption>Restores, light and full (sums over the executions)"),
			  2);
		CHECK_CONTAINS(buf, "<tr><th scope=\"row\">restore base (same snapshot)</th>"
				    "<td class=\"n\">1000</td><td class=\"n\">20</td>"
				    "<td class=\"n\">980</td><td class=\"n\">3160</td>"
				    "<td class=\"n\">3.160</td><td class=\"n\">12943360</td>"
				    "<td class=\"n\">12943.4</td><td class=\"n\">0</td>"
				    "<td class=\"n\">0.000</td></tr>");
		CHECK_CONTAINS(buf, "<tr><th scope=\"row\">restore (other snapshot)</th>"
				    "<td class=\"n\">100</td><td class=\"n\">100</td>"
				    "<td class=\"n\">0</td><td class=\"n\">1700</td>"
				    "<td class=\"n\">17.000</td><td class=\"n\">6963200</td>"
				    "<td class=\"n\">69632.0</td><td class=\"n\">1200</td>"
				    "<td class=\"n\">12.000</td></tr>");
		/* the strategy of each scenario; calls' copy-on-write faults */
		CHECK_CONTAINS(buf, "<dt>restore strategy</dt><dd>rewrite</dd><dt>pages re-dirtied per "
				    "call</dt><dd>3 (declared)</dd>");
		CHECK_CONTAINS(buf, "<dt>restore strategy</dt><dd>host-cow</dd><dt>iterations</dt>");
		CHECK_CONTAINS(buf, "<th scope=\"col\">exits</th><th scope=\"col\">CoW faults</th>");
		CHECK_CONTAINS(buf, "bytes copied: what the restores wrote into guest memory");
		CHECK_CONTAINS(buf, "restores: a light one resets the dirty data pages and the FPU "
				    "state; a full one also rewrites the page tables");
		/* tables balanced */
		CHECK_U64(count(buf, "<table>"), count(buf, "</table>"));
		CHECK_U64(count(buf, "<tr"), count(buf, "</tr>")); /* <tr class=...> too */
	}
	free(buf);

	/* no restore steps anywhere: the plots across scenarios say so */
	for (size_t i = 0; i < r.n_scenarios; i++) {
		fixture_remove_step(&r.scenarios[i], "restore base (same snapshot)");
		fixture_remove_step(&r.scenarios[i], "restore (other snapshot)");
	}
	buf = NULL;
	f = open_memstream(&buf, &len);
	CHECK_I64(report_write_html(&r, f, &err), 0);
	fclose(f);
	if (CHECK(buf != NULL)) {
		CHECK_CONTAINS(buf, "No scenario has restore steps");
		CHECK_U64(count(buf, "<svg "), 2);
		CHECK_CONTAINS(buf, "<td colspan=\"6\" class=\"none\">no restore was recorded</td>");
		CHECK_CONTAINS(buf, "Heap 64 MiB: no cell has a restore-to-ready overhead above 0: no plot");
		CHECK(strstr(buf, "restore rows are restore-to-ready") == NULL);
		CHECK(strstr(buf, "Restores, light and full") == NULL);
	}
	free(buf);

	FILE *full = fopen("/dev/full", "w");
	if (full) {
		CHECK_I64(report_write_html(&r, full, &err), -1);
		CHECK_CONTAINS(err.msg, "writing the HTML report");
		fclose(full);
	}
	run_report_free(&r);
	return check_done();
}
