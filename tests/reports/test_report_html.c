/* test_report_html.c — the HTML report: golden file (exact, from the
 * fixture) and structural checks: self-contained, everything escaped. */
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

int main(void)
{
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
		/* plots: 2 across scenarios + 1 per scenario, each with a title, a
		 * description, axis labels with units and the percentile ticks */
		CHECK_U64(count(buf, "<svg "), 4);
		CHECK_U64(count(buf, "</svg>"), 4);
		CHECK_U64(count(buf, "<desc id="), 4);
		CHECK_CONTAINS(buf, ">99.99%</text>");
		CHECK_CONTAINS(buf, ">0%</text>");
		CHECK_CONTAINS(buf, ">90%</text>");
		CHECK_CONTAINS(buf, "heap (MiB)");
		CHECK_CONTAINS(buf, "scratch pages dirtied per call (pages of 4 KiB)");
		CHECK_CONTAINS(buf, "latency (µs");
		CHECK_CONTAINS(buf, "stroke-dasharray"); /* readable without colour */
		CHECK_CONTAINS(buf, "<span class=\"fail\">FAIL</span>");
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
