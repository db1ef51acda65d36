/* report_summary.c — the summary at the top of the HTML report: one
 * verdict (every expectation, failed scenarios, steps with errors), the
 * expectations of every scenario with PASS/FAIL, the steps that had
 * errors, highlighted, the calibration of each scenario with its spread,
 * and the command that reproduces the run. Someone who opens the page
 * sees first whether the run is good and whether its yardstick was. */
#include <inttypes.h>
#include <string.h>

#include "report_sections.h"
#include "report_trace.h"
#include "report_units.h"
#include "report_util.h"

static double us(uint64_t ns)
{
	return (double)ns / 1000.0;
}

static void scenario_link(FILE *f, const struct run_report *r, const struct scenario_result *s)
{
	fprintf(f, "<a href=\"#s%zu\">", (size_t)(s - r->scenarios));
	report_html_escape(f, s->name);
	fputs("</a>", f);
}

/* A word the shell reads back as itself: as it is when it has only safe
 * characters, else in single quotes ('\'' for a quote). */
static void shell_word(FILE *f, const char *w)
{
	bool plain = w[0] != '\0';
	for (const char *c = w; *c && plain; c++)
		plain = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
			       "/._-+:@%,=",
			       *c) != NULL;
	if (plain) {
		report_html_escape(f, w);
		return;
	}
	report_html_escape(f, "'");
	for (const char *c = w; *c; c++) {
		char one[2] = { *c, 0 };
		report_html_escape(f, *c == '\'' ? "'\\''" : one);
	}
	report_html_escape(f, "'");
}

static void expectations(FILE *f, const struct run_report *r)
{
	size_t n = 0;
	for (size_t i = 0; i < r->n_scenarios; i++)
		n += r->scenarios[i].n_expects;
	if (!n) {
		fputs("<p class=\"none\">No scenario states an expectation.</p>\n", f);
		return;
	}
	fputs("<div class=\"wide\"><table>\n<caption>Expectations</caption>\n<tr>"
	      "<th scope=\"col\">result</th><th scope=\"col\">scenario</th>"
	      "<th scope=\"col\">expectation</th><th scope=\"col\">got</th></tr>\n",
	      f);
	/* the failed ones first: they are what the reader looks for */
	for (int pass = 0; pass < 2; pass++)
	for (size_t i = 0; i < r->n_scenarios; i++) {
		const struct scenario_result *s = &r->scenarios[i];
		for (size_t k = 0; k < s->n_expects; k++) {
			const struct expect_result *e = &s->expects[k];
			if (e->passed != (pass == 1))
				continue;
			fprintf(f, "<tr%s><td class=\"%s\">%s</td><td>", e->passed ? "" : " class=\"bad\"",
				e->passed ? "pass" : "fail", e->passed ? "PASS" : "FAIL");
			scenario_link(f, r, s);
			fputs("</td><td><code>", f);
			report_html_escape(f, e->text);
			char got[48];
			report_fmt_expect_got(got, sizeof got, e);
			fputs("</code></td><td>", f);
			report_html_escape(f, got);
			if (!e->passed && e->why[0]) {
				fputs(": ", f);
				report_html_escape(f, e->why);
			}
			fputs("</td></tr>\n", f);
		}
	}
	fputs("</table></div>\n", f);
}

static void errors(FILE *f, const struct run_report *r)
{
	bool any = false;
	for (size_t i = 0; i < r->n_scenarios; i++) {
		const struct scenario_result *s = &r->scenarios[i];
		for (size_t k = 0; k < s->n_steps; k++) {
			const struct step_stats *st = &s->steps[k];
			if (!st->errors)
				continue;
			if (!any)
				fputs("<div class=\"wide\"><table>\n<caption>Steps with "
				      "errors (failed executions are not in the latencies)</caption>\n"
				      "<tr><th scope=\"col\">scenario</th><th scope=\"col\">step</th>"
				      "<th scope=\"col\">errors</th><th scope=\"col\">first message"
				      "</th></tr>\n",
				      f);
			any = true;
			fputs("<tr class=\"bad\"><td>", f);
			scenario_link(f, r, s);
			fputs("</td><th scope=\"row\">", f);
			report_html_escape(f, st->label);
			fprintf(f, "</th><td class=\"n\">%" PRIu64 "</td><td><code>", st->errors);
			report_html_escape(f, st->first_error[0] ? st->first_error
								 : "(no message recorded)");
			fputs("</code></td></tr>\n", f);
		}
	}
	if (any)
		fputs("</table></div>\n", f);
	else
		fputs("<p>No step had errors.</p>\n", f);
}

static void calibrations(FILE *f, const struct run_report *r)
{
	fputs("<div class=\"wide\"><table>\n<caption>Calibration per scenario (µs): "
	      "the sandbox exit the ratios divide by, with its spread</caption>\n<tr>"
	      "<th scope=\"col\">scenario</th><th scope=\"col\">sandbox exit median</th>"
	      "<th scope=\"col\">IQR</th><th scope=\"col\">IQR / median</th>"
	      "<th scope=\"col\">before</th><th scope=\"col\">after</th>"
	      "<th scope=\"col\">real-mode exit</th><th scope=\"col\">warning</th></tr>\n",
	      f);
	for (size_t i = 0; i < r->n_scenarios; i++) {
		const struct scenario_result *s = &r->scenarios[i];
		const struct calibration *c = &s->cal;
		fprintf(f, "<tr%s><th scope=\"row\">", c->warning[0] ? " class=\"bad\"" : "");
		scenario_link(f, r, s);
		fprintf(f, "</th><td class=\"n\">%.3f</td>", us(c->exit_sandbox_ns));
		if (c->exit_sandbox_samples && c->exit_sandbox_ns)
			fprintf(f,
				"<td class=\"n\">%.3f–%.3f</td><td class=\"n\">%.1f%%</td>"
				"<td class=\"n\">%.3f</td><td class=\"n\">%.3f</td>",
				us(c->exit_sandbox_p25_ns), us(c->exit_sandbox_p75_ns),
				100.0 * ((double)c->exit_sandbox_p75_ns - (double)c->exit_sandbox_p25_ns) /
					(double)c->exit_sandbox_ns,
				us(c->exit_sandbox_before_ns), us(c->exit_sandbox_after_ns));
		else
			fputs("<td colspan=\"4\" class=\"none\">no spread recorded</td>", f);
		fprintf(f, "<td class=\"n\">%.3f</td><td>", us(c->exit_real_mode_ns));
		report_html_escape(f, c->warning[0] ? c->warning : "none");
		fputs("</td></tr>\n", f);
	}
	fputs("</table></div>\n", f);
	fprintf(f, "<p class=\"note\">The " REPORT_CALIBRATION_BOUNDS_NOTE ".</p>\n",
		CALIBRATION_IQR_WARN_PCT, CALIBRATION_DRIFT_WARN_PCT);
}

static void reproduce(FILE *f, const struct run_report *r)
{
	if (!r->command_line || !r->command_line[0]) {
		fputs("<p class=\"none\">The report does not record the command that ran it (a "
		      "report of schema 4 or older).</p>\n",
		      f);
		return;
	}
	fputs("<p>To run it again (same scenarios, same options):</p>\n<pre class=\"cmd\"><code>", f);
	if (r->working_dir && r->working_dir[0]) {
		fputs("cd ", f);
		shell_word(f, r->working_dir);
		fputs(" &amp;&amp; ", f);
	}
	report_html_escape(f, r->command_line); /* quoted by the runner already */
	fputs("</code></pre>\n", f);
}

void report_html_summary(FILE *f, const struct run_report *r)
{
	size_t expects = 0, passed = 0, failed_scenarios = 0, steps_with_errors = 0;
	for (size_t i = 0; i < r->n_scenarios; i++) {
		const struct scenario_result *s = &r->scenarios[i];
		failed_scenarios += s->failed;
		for (size_t k = 0; k < s->n_expects; k++)
			expects++, passed += s->expects[k].passed;
		for (size_t k = 0; k < s->n_steps; k++)
			steps_with_errors += s->steps[k].errors != 0;
	}
	/* as run's exit code: errors a scenario does not allow are already a
	 * failed expectation (the runner adds one); allowed ones are listed
	 * below but do not fail the run */
	bool pass = passed == expects && !failed_scenarios;
	if (r->n_scenarios == 0) { /* nothing ran: not a PASS a reader could trust */
		fputs("<section id=\"summary\">\n<h2>Summary</h2>\n<p class=\"verdict\"><span "
		      "class=\"fail\">NO SCENARIOS</span>: the report holds no scenario; nothing "
		      "was measured or checked.</p>\n",
		      f);
		reproduce(f, r);
		fputs("</section>\n", f);
		return;
	}
	fprintf(f,
		"<section id=\"summary\">\n<h2>Summary</h2>\n<p class=\"verdict\"><span "
		"class=\"%s\">%s</span>: %zu of %zu expectations passed; %zu of %zu scenarios "
		"failed; %zu steps with errors.</p>\n",
		pass ? "pass" : "fail", pass ? "PASS" : "FAIL", passed, expects, failed_scenarios,
		r->n_scenarios, steps_with_errors);
	for (size_t i = 0; i < r->n_scenarios; i++) {
		const struct scenario_result *s = &r->scenarios[i];
		if (!s->failed)
			continue;
		fputs("<p class=\"failed\"><strong>FAILED:</strong> ", f);
		scenario_link(f, r, s);
		fputs(": ", f);
		report_html_escape(f, s->error[0] ? s->error : "(no reason given)");
		fputs("</p>\n", f);
	}
	expectations(f, r);
	errors(f, r);
	calibrations(f, r);
	reproduce(f, r);
	fputs("</section>\n", f);
}
