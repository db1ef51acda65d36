/* report_html.c — the HTML report: one self-contained page (inline CSS and
 * SVG; no scripts, fonts or addresses), readable offline and without
 * colour: per scenario the step summary, the post-restore penalties, page
 * statistics, calibration, expectations and a plot. Every string from the
 * run is escaped. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "report_html.h"
#include "report_scaling.h"
#include "report_trace.h"
#include "report_units.h"
#include "report_sections.h"
#include "report_util.h"
#include "reports.h"

const char report_html_css[] =
	"body{font-family:system-ui,sans-serif;margin:1.5em auto;max-width:80em;color:#111;"
	"background:#fff;line-height:1.4}\n"
	"h1{font-size:1.5em}h2{font-size:1.25em;border-top:2px solid #444;padding-top:.5em}\n"
	"h3{font-size:1.05em}\n"
	"table{border-collapse:collapse;margin:.5em 0;font-size:.9em}\n"
	"div.wide{overflow-x:auto}\n"
	"th,td{border:1px solid #999;padding:.15em .5em}\n"
	"td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
	"th{background:#eee;text-align:left}\n"
	"caption{text-align:left;font-weight:bold;padding:.3em 0}\n"
	".pass{color:#005a32;font-weight:bold}.fail{color:#a50f15;font-weight:bold}\n"
	".failed{border:2px solid #a50f15;padding:.4em}\n"
	"dl.meta{display:grid;grid-template-columns:max-content auto;gap:0 1em}\n"
	"dl.meta dt{font-weight:bold}dl.meta dd{margin:0}\n"
	"svg.plot{display:block;margin:1em 0;font-size:12px}\n"
	"svg .grid{stroke:#ddd;stroke-width:1}svg .frame{fill:none;stroke:#333}\n"
	"svg .ptitle{font-weight:bold;font-size:14px}svg .axis{font-size:13px}\n"
	"svg .plabel{font-size:11px}\n"
	".none{font-style:italic}\n"
	"td.few{color:#6b6b6b;font-style:italic}p.few{font-size:.9em}\n"
	"tr.bad td,tr.bad th{background:#fde0dd}p.verdict{font-size:1.15em}\n"
	"pre.cmd{background:#f4f4f4;padding:.5em;overflow-x:auto}\n";

static void esc(FILE *f, const char *s)
{
	report_html_escape(f, s);
}

static void td_u64(FILE *f, uint64_t v)
{
	fprintf(f, "<td class=\"n\">%" PRIu64 "</td>", v);
}

static void td_us(FILE *f, double ns)
{
	char b[32];
	report_fmt_us_sig3(b, sizeof b, ns);
	fprintf(f, "<td class=\"n\">%s</td>", b);
}

/* A percentile's cell, greyed and marked when it rests on few samples
 * (report_units.h): *few is set then. */
static void td_pct(FILE *f, uint64_t ns, uint64_t count, double pct, bool *few)
{
	if (!count || !report_pct_few(count, pct)) {
		td_us(f, (double)ns);
		return;
	}
	char b[32];
	report_fmt_us_sig3(b, sizeof b, (double)ns);
	fprintf(f, "<td class=\"n few\" title=\"fewer than %d samples beyond this percentile\">%s"
		   REPORT_FEW_MARK "</td>",
		REPORT_FEW_SAMPLES, b);
	*few = true;
}

static void few_note(FILE *f, bool few)
{
	if (!few)
		return;
	fputs("<p class=\"note few\">", f);
	report_html_escape(f, REPORT_FEW_NOTE);
	fputs(".</p>\n", f);
}

static void td_ratio(FILE *f, uint64_t p50, uint64_t cal)
{
	double x;
	if (report_ratio(p50, cal, &x))
		fprintf(f, "<td class=\"n\">%.3f</td>", x);
	else
		fputs("<td class=\"n\">–</td>", f);
}

static void meta(FILE *f, const struct scenario_result *s)
{
	char heap[32], scratch[32], rss[32];
	report_fmt_bytes(heap, sizeof heap, s->heap_bytes);
	report_fmt_bytes(scratch, sizeof scratch, s->scratch_bytes);
	report_fmt_bytes(rss, sizeof rss, s->rss_bytes);
	fputs("<dl class=\"meta\">", f);
	if (s->file[0]) {
		fputs("<dt>file</dt><dd>", f);
		esc(f, s->file);
		if (s->file_digest[0]) {
			fputs(" (XXH3-128 <code>", f);
			esc(f, s->file_digest);
			fputs("</code>)", f);
		}
		fputs("</dd>", f);
	}
	fputs("<dt>restore strategy</dt><dd>", f);
	esc(f, s->restore_strategy);
	fputs("</dd>", f);
	if (s->dirtied_pages != SCENARIO_NONE)
		fprintf(f, "<dt>pages re-dirtied per call</dt><dd>%" PRIu64 " (declared)</dd>",
			s->dirtied_pages);
	if (s->scaling[0]) {
		fputs("<dt>scaling</dt><dd>", f);
		esc(f, s->scaling);
		fputs(" (declared: see Scaling)</dd>", f);
	}
	if (s->pool.size) {
		char pool[512];
		pool_result_summary(&s->pool, pool, sizeof pool);
		fputs("<dt>sandbox pool</dt><dd>", f);
		esc(f, pool);
		fputs("</dd>", f);
	}
	if (s->runs > 1)
		fprintf(f, "<dt>runs</dt><dd>%u (--repeat; the figures pool them)</dd>", s->runs);
	fprintf(f,
		"<dt>iterations</dt><dd>%" PRIu64 " recorded (+%" PRIu64 " warm-up)</dd>"
		"<dt>sandboxes</dt><dd>%" PRIu64 "</dd>"
		"<dt>layout</dt><dd>heap %s, scratch %s</dd>"
		"<dt>wall time</dt><dd>%.3f s</dd><dt>resident set after</dt><dd>%s</dd></dl>\n",
		s->iterations, s->warmup, s->sandboxes, heap, scratch, (double)s->wall_ns / 1e9, rss);
	if (s->failed) {
		fputs("<p class=\"failed\"><strong>FAILED:</strong> ", f);
		esc(f, s->error[0] ? s->error : "(no reason given)");
		fputs("</p>\n", f);
	}
}

static void summary_table(FILE *f, const struct scenario_result *s)
{
	fputs("<div class=\"wide\"><table>\n<caption>Latency per step (µs)</caption>\n<tr><th scope=\"col\">step</th>"
	      "<th scope=\"col\">kind</th><th scope=\"col\">count</th><th scope=\"col\">min</th>"
	      "<th scope=\"col\">p50</th><th scope=\"col\">p90</th><th scope=\"col\">p99</th>"
	      "<th scope=\"col\">p99.9</th><th scope=\"col\">max</th><th scope=\"col\">mean</th>"
	      "<th scope=\"col\">stddev</th><th scope=\"col\">errors</th>"
	      "<th scope=\"col\">p50 / sandbox exit</th>"
	      "<th scope=\"col\">p50 / real-mode exit</th></tr>\n",
	      f);
	bool few = false;
	for (size_t i = 0; i < s->n_steps; i++) {
		const struct step_stats *st = &s->steps[i];
		struct hist_summary h;
		hist_summarize(&st->hist, &h);
		/* a row with errors stands out, as in the summary */
		fputs(st->errors ? "<tr class=\"bad\"><th scope=\"row\">" : "<tr><th scope=\"row\">", f);
		esc(f, st->label);
		fprintf(f, "</th><td>%s</td>", scenario_step_kind_name(st->kind));
		td_u64(f, h.count);
		if (!h.count) { /* every execution failed: no latency, not 0.000 */
			fputs("<td colspan=\"8\" class=\"none\">no sample</td>", f);
			td_u64(f, st->errors);
			fputs("<td class=\"n\">–</td><td class=\"n\">–</td></tr>\n", f);
			continue;
		}
		td_us(f, (double)h.min_ns);
		td_pct(f, h.p50_ns, h.count, 50, &few);
		td_pct(f, h.p90_ns, h.count, 90, &few);
		td_pct(f, h.p99_ns, h.count, 99, &few);
		td_pct(f, h.p99_9_ns, h.count, 99.9, &few);
		td_us(f, (double)h.max_ns);
		td_us(f, h.mean_ns);
		td_us(f, h.stddev_ns);
		td_u64(f, st->errors);
		td_ratio(f, h.p50_ns, s->cal.exit_sandbox_ns);
		td_ratio(f, h.p50_ns, s->cal.exit_real_mode_ns);
		fputs("</tr>\n", f);
	}
	fputs("</table></div>\n", f);
	few_note(f, few);
	report_html_failures(f, s);
	if (report_has_kind(s, SCENARIO_STEP_RESTORE)) {
		fputs("<p class=\"note\">", f);
		esc(f, REPORT_RESTORE_NOTE);
		fputs(".</p>\n", f);
	}
}

/* One row per call label with first calls after a restore recorded. */
static void penalty_table(FILE *f, const struct scenario_result *s)
{
	bool any = false, few = false;
	for (size_t i = 0; i < s->n_steps; i++) {
		struct post_restore_penalty p;
		if (!scenario_result_penalty(s, &s->steps[i], &p))
			continue;
		if (!any) {
			fputs("<div class=\"wide\"><table>\n<caption>", f);
			esc(f, REPORT_PENALTY_TITLE);
			fputs("</caption>\n<tr><th scope=\"col\">step</th>"
			      "<th scope=\"col\">first after restore p50</th>"
			      "<th scope=\"col\">steady p50</th><th scope=\"col\">penalty</th>"
			      "<th scope=\"col\">penalty / sandbox exit</th></tr>\n",
			      f);
			any = true;
		}
		fputs("<tr><th scope=\"row\">", f);
		esc(f, p.first->step);
		fputs("</th>", f);
		td_pct(f, p.first_p50_ns, hist_count(&p.first->hist), 50, &few);
		if (!p.steady) {
			fputs("<td colspan=\"3\" class=\"none\">no steady call of this label was "
			      "recorded: no penalty</td></tr>\n",
			      f);
			continue;
		}
		td_pct(f, p.steady_p50_ns, hist_count(&p.steady->hist), 50, &few);
		td_us(f, (double)p.penalty_ns);
		double x;
		if (report_ratio_signed(p.penalty_ns, s->cal.exit_sandbox_ns, &x))
			fprintf(f, "<td class=\"n\">%.3f</td>", x);
		else
			fputs("<td class=\"n\">–</td>", f);
		fputs("</tr>\n", f);
	}
	if (any)
		fputs("</table></div>\n", f);
	few_note(f, few);
}

static void pages_table(FILE *f, const struct scenario_result *s)
{
	fputs("<div class=\"wide\"><table>\n<caption>Page statistics (pages of 4 KiB; sums over the "
	      "executions)</caption>\n<tr><th scope=\"col\">step</th><th scope=\"col\">scratch "
	      "pages</th><th scope=\"col\">exits</th><th scope=\"col\">CoW faults</th>"
	      "<th scope=\"col\">snapshots</th>"
	      "<th scope=\"col\">mapped</th><th scope=\"col\">copied</th>"
	      "<th scope=\"col\">aliased</th><th scope=\"col\">page-table pages</th>"
	      "<th scope=\"col\">zero</th><th scope=\"col\">snapshot bytes</th></tr>\n",
	      f);
	for (size_t i = 0; i < s->n_steps; i++) {
		const struct step_stats *st = &s->steps[i];
		fputs("<tr><th scope=\"row\">", f);
		esc(f, st->label);
		fputs("</th>", f);
		const uint64_t v[] = { st->scratch_pages, st->exits,	    st->cow_faults,
				       st->snapshots,	  st->pages_mapped, st->pages_copied,
				       st->pages_aliased, st->pt_pages,	    st->zero_pages,
				       st->snapshot_bytes };
		for (size_t k = 0; k < sizeof v / sizeof v[0]; k++)
			td_u64(f, v[k]);
		fputs("</tr>\n", f);
	}
	fputs("</table></div>\n", f);
}

/* Per restore row: full and light restores, scratch pages reset. */
static void restores_table(FILE *f, const struct scenario_result *s)
{
	bool any = false;
	for (size_t i = 0; i < s->n_steps; i++)
		any |= report_restore_recorded(&s->steps[i]);
	if (!any)
		return;
	fputs("<div class=\"wide\"><table>\n<caption>Restores, light and full (sums over the "
	      "executions)</caption>\n<tr><th scope=\"col\">step</th>"
	      "<th scope=\"col\">restores</th><th scope=\"col\">full</th>"
	      "<th scope=\"col\">light</th><th scope=\"col\">pages reset</th>"
	      "<th scope=\"col\">pages reset per restore</th><th scope=\"col\">bytes copied</th>"
	      "<th scope=\"col\">bytes copied per restore</th><th scope=\"col\">pages retained</th>"
	      "<th scope=\"col\">pages retained per restore</th></tr>\n",
	      f);
	for (size_t i = 0; i < s->n_steps; i++) {
		const struct step_stats *st = &s->steps[i];
		if (!report_restore_recorded(st))
			continue;
		uint64_t n = hist_count(&st->hist);
		fputs("<tr><th scope=\"row\">", f);
		esc(f, st->label);
		fputs("</th>", f);
		td_u64(f, n);
		td_u64(f, st->full_restores);
		td_u64(f, n - st->full_restores);
		td_u64(f, st->pages_reset);
		fprintf(f, "<td class=\"n\">%.3f</td>", (double)st->pages_reset / (double)n);
		td_u64(f, st->bytes_copied);
		fprintf(f, "<td class=\"n\">%.1f</td>", (double)st->bytes_copied / (double)n);
		td_u64(f, st->pages_retained);
		fprintf(f, "<td class=\"n\">%.3f</td></tr>\n", (double)st->pages_retained / (double)n);
	}
	fputs("</table></div>\n", f);
	for (size_t i = 0; i < s->n_steps; i++)
		if (s->steps[i].retain_dropped) {
			fputs("<p class=\"note\">", f);
			esc(f, s->steps[i].label);
			fprintf(f, ": %" PRIu64 " copies past retain's cap unmapped, as under rewrite "
				   "(they fault again).</p>\n", s->steps[i].retain_dropped);
		}
	fputs("<p class=\"note\">", f);
	esc(f, REPORT_RESTORE_KINDS_NOTE);
	fputs(". ", f);
	esc(f, REPORT_RESTORE_COPIES_NOTE);
	fputs(".</p>\n", f);
}

static void calibration(FILE *f, const struct scenario_result *s)
{
	char a[32], b[32];
	report_fmt_us(a, sizeof a, (double)s->cal.exit_real_mode_ns);
	report_fmt_us(b, sizeof b, (double)s->cal.exit_sandbox_ns);
	fprintf(f,
		"<p>Calibration: bare VM exit %s µs (real mode), %s µs (sandbox); memset %.3f "
		"GiB/s (one core).%s</p>\n",
		a, b, s->cal.memset_gib_per_s,
		!s->cal.exit_sandbox_ns || !s->cal.exit_real_mode_ns
			? " A ratio shown as – had no calibration to divide by."
			: "");
	report_html_calibration_spread(f, s);
}

static void expectations(FILE *f, const struct scenario_result *s)
{
	if (s->n_expects == 0)
		return;
	fputs("<h3>Expectations</h3>\n<ul>\n", f);
	for (size_t i = 0; i < s->n_expects; i++) {
		const struct expect_result *e = &s->expects[i];
		fprintf(f, "<li><span class=\"%s\">%s</span> <code>", e->passed ? "pass" : "fail",
			e->passed ? "PASS" : "FAIL");
		esc(f, e->text);
		char got[48];
		report_fmt_expect_got(got, sizeof got, e);
		fputs("</code> (got ", f);
		esc(f, got);
		fputs(")", f);
		if (!e->passed && e->why[0]) {
			fputs(": ", f);
			esc(f, e->why);
		}
		fputs("</li>\n", f);
	}
	fputs("</ul>\n", f);
}

int report_write_html(const struct run_report *r, FILE *f, struct sb_err *err)
{
	char mem[32];
	report_fmt_bytes(mem, sizeof mem, r->machine.mem_bytes);
	fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		   "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		   "<title>snapbench report</title>\n<style>\n%s</style>\n</head>\n<body>\n",
		report_html_css);
	fputs("<h1>snapbench report</h1>\n<dl class=\"meta\"><dt>tool</dt><dd>snapbench ", f);
	esc(f, r->tool_version);
	fprintf(f, " (report schema %d)</dd><dt>started</dt><dd>", r->schema_version);
	esc(f, r->started);
	fputs("</dd><dt>machine</dt><dd>", f);
	esc(f, r->machine.cpu[0] ? r->machine.cpu : "unknown cpu");
	fprintf(f, "; %u cpus, %s; kernel ", r->machine.cpus, mem);
	esc(f, r->machine.kernel[0] ? r->machine.kernel : "unknown");
	fputs("; hypervisor ", f);
	esc(f, r->machine.hypervisor[0] ? r->machine.hypervisor : "none");
	if (r->machine.hypervisor_version[0]) {
		fputs(" (", f);
		esc(f, r->machine.hypervisor_version);
		fputs(")", f);
	}
	fputs("</dd>", f);
	report_html_trace(f, r);
	fputs("</dl>\n", f);
	report_html_summary(f, r);

	fputs("<nav><h2>Scenarios</h2>\n<ul>\n", f);
	for (size_t i = 0; i < r->n_scenarios; i++) {
		fprintf(f, "<li><a href=\"#s%zu\">", i);
		esc(f, r->scenarios[i].name);
		fprintf(f, "</a>%s</li>\n", r->scenarios[i].failed ? " (FAILED)" : "");
	}
	fputs("</ul></nav>\n<h2>Across scenarios</h2>\n", f);
	int rc = html_plots_across(f, r);
	if (rc == 0) {
		fputs("<h2>Restore strategies side by side</h2>\n", f);
		rc = html_restore_strategies(f, r);
	}
	if (rc == 0)
		rc = report_html_scaling(f, r); /* nothing without scaling scenarios */

	double ylo = 0, yhi = 0;
	html_latency_range(r, &ylo, &yhi);
	double xtop = html_percentile_extent(r);
	for (size_t i = 0; rc == 0 && i < r->n_scenarios; i++) {
		const struct scenario_result *s = &r->scenarios[i];
		fprintf(f, "<section id=\"s%zu\">\n<h2>Scenario ", i);
		esc(f, s->name);
		fputs("</h2>\n", f);
		if (s->description[0]) {
			fputs("<p>", f);
			esc(f, s->description);
			fputs("</p>\n", f);
		}
		meta(f, s);
		summary_table(f, s);
		report_html_open_loop(f, s);
		penalty_table(f, s);
		pages_table(f, s);
		report_snapshot_sharing_html(f, s);
		restores_table(f, s);
		calibration(f, s);
		expectations(f, s);
		rc = html_plot_percentiles(f, s, i, ylo, yhi, xtop);
		fputs("</section>\n", f);
	}
	fputs("</body>\n</html>\n", f);
	if (rc)
		return sb_errf(err, SB_E_NOMEM, "HTML report: out of memory");
	errno = 0;
	if (fflush(f) || ferror(f))
		return sb_errf(err, SB_E_IO, "writing the HTML report: %s",
			       strerror(errno ? errno : EIO));
	return 0;
}
