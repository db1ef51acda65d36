/* test_report_html.c — the HTML report: golden file (exact, from the
 * fixture) and structural checks: self-contained, everything escaped. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fixture.h"
#include "golden.h"
#include "reports.h"

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
	snprintf(want, sizeof want, " text-anchor=\"middle\">%s</text>", label);
	const char *p = strstr(html, open), *end = p ? strstr(p, "</svg>") : NULL;
	for (const char *t = p; t && (t = strstr(t, want)) && t < end; t++) {
		const char *x = t;
		while (x > p && strncmp(x, "<text x=\"", 9) != 0)
			x--;
		double v;
		if (sscanf(x, "<text x=\"%lf\"", &v) == 1)
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
		CHECK_U64(count(buf, "<tr>"), count(buf, "</tr>"));
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

int main(void)
{
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
		/* plots: 2 across scenarios + 1 of restore strategies (one
		 * scenario declares its dirtied pages) + 1 per scenario, each with
		 * a title, a description, axis labels with units and the
		 * percentile ticks */
		CHECK_U64(count(buf, "<svg "), 5);
		CHECK_U64(count(buf, "</svg>"), 5);
		CHECK_U64(count(buf, "<desc id="), 5);
		CHECK_CONTAINS(buf, "<th scope=\"row\">restore-64M</th><td class=\"n\">21.759</td>"
				    "<td class=\"n\">41.727</td><td class=\"n\">6.559</td>"
				    "<td class=\"n\">56.927</td><td class=\"n\">1.500</td>"
				    "<td class=\"n\">37.951</td></tr>");
		CHECK_CONTAINS(buf, ">99.99%</text>");
		CHECK_CONTAINS(buf, ">0%</text>");
		CHECK_CONTAINS(buf, ">90%</text>");
		CHECK_CONTAINS(buf, "heap (MiB)");
		CHECK_CONTAINS(buf, "scratch pages dirtied per call (pages of 4 KiB)");
		CHECK_CONTAINS(buf, "latency (µs");
		CHECK_CONTAINS(buf, "stroke-dasharray"); /* readable without colour */
		CHECK_CONTAINS(buf, "<span class=\"fail\">FAIL</span>");
		/* expectations: the measured value with its unit */
		CHECK_CONTAINS(buf, "<code>restore base.p99 &lt; 50us</code> (got 40.00 us)");
		CHECK_CONTAINS(buf, "<code>restore.p99 &lt; 200us</code> (got 156.4 us)");
		/* percentiles on few samples: greyed, marked, explained */
		CHECK_CONTAINS(buf, "<td class=\"n\">42.997</td><td class=\"n few\" title=\"fewer than "
				    "10 samples beyond this percentile\">42.997~</td>");
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
				    "<td class=\"n\">41.727</td><td class=\"n\">6.559</td>"
				    "<td class=\"n\">35.168</td><td class=\"n\">23.445</td></tr>");
		CHECK_CONTAINS(buf, "<tr><th scope=\"row\">call touch_pages</th>"
				    "<td class=\"n\">6.655</td><td colspan=\"3\" class=\"none\">no "
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
		CHECK_U64(count(buf, "<tr>"), count(buf, "</tr>"));
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
