/* report_trace.c — see report_trace.h. */
#include "report_trace.h"

#include <inttypes.h>
#include <string.h>

#include "report_util.h"

void report_text_trace(FILE *f, const struct run_report *r)
{
	if (r->schema_version < 5)
		return;
	const struct build_facts *b = &r->build;
	fprintf(f, "command: %s\n", r->command_line && r->command_line[0] ? r->command_line : "-");
	fprintf(f, "in:      %s\n", r->working_dir && r->working_dir[0] ? r->working_dir : "-");
	fprintf(f, "build:   %s, buildtype %s, optimization %s, sanitize %s%s%s\n",
		b->compiler[0] ? b->compiler : "unknown compiler", b->buildtype, b->optimization,
		b->sanitize, b->c_args[0] ? ", c_args " : "", b->c_args);
}

void report_html_trace(FILE *f, const struct run_report *r)
{
	if (r->schema_version < 5)
		return;
	const struct build_facts *b = &r->build;
	fputs("<dt>command</dt><dd><code>", f);
	report_html_escape(f, r->command_line ? r->command_line : "");
	fputs("</code></dd><dt>working directory</dt><dd><code>", f);
	report_html_escape(f, r->working_dir ? r->working_dir : "");
	fputs("</code></dd><dt>build</dt><dd>", f);
	report_html_escape(f, b->compiler);
	fputs(", buildtype ", f);
	report_html_escape(f, b->buildtype);
	fputs(", optimization ", f);
	report_html_escape(f, b->optimization);
	fputs(", sanitize ", f);
	report_html_escape(f, b->sanitize);
	if (b->c_args[0]) {
		fputs(", c_args ", f);
		report_html_escape(f, b->c_args);
	}
	fputs("</dd>", f);
}

static double us(uint64_t ns)
{
	return (double)ns / 1e3;
}

void report_text_calibration_spread(FILE *f, const struct scenario_result *s)
{
	const struct calibration *c = &s->cal;
	if (!c->exit_sandbox_samples && !c->timer_overhead_ns && !c->warning[0])
		return;
	if (c->exit_sandbox_samples)
		fprintf(f,
			"   sandbox exit: median %.3f us of %" PRIu64 " samples, IQR %.3f..%.3f us\n"
			"   sandbox exit before the scenario %.3f us, after it %.3f us\n",
			us(c->exit_sandbox_ns), c->exit_sandbox_samples, us(c->exit_sandbox_p25_ns),
			us(c->exit_sandbox_p75_ns), us(c->exit_sandbox_before_ns),
			us(c->exit_sandbox_after_ns));
	if (c->exit_real_mode_before_ns)
		fprintf(f, "   real-mode exit before the run %.3f us, after it %.3f us; ",
			us(c->exit_real_mode_before_ns), us(c->exit_real_mode_after_ns));
	else
		fputs("   real-mode exit not measured; ", f);
	fprintf(f, "timer overhead %" PRIu64 " ns\n", c->timer_overhead_ns);
	char note[512];
	snprintf(note, sizeof note, "(" REPORT_CALIBRATION_BOUNDS_NOTE ")", CALIBRATION_IQR_WARN_PCT,
		 CALIBRATION_DRIFT_WARN_PCT);
	report_wrap(f, "   ", note);
	if (c->warning[0]) {
		char w[sizeof c->warning + 32];
		snprintf(w, sizeof w, "WARNING calibration: %s", c->warning);
		report_wrap(f, "   ", w);
	}
}

void report_html_calibration_spread(FILE *f, const struct scenario_result *s)
{
	const struct calibration *c = &s->cal;
	if (!c->exit_sandbox_samples && !c->timer_overhead_ns && !c->warning[0])
		return;
	fputs("<p>", f);
	if (c->exit_sandbox_samples)
		fprintf(f,
			"Sandbox exit: median %.3f µs of %" PRIu64 " samples, IQR %.3f–%.3f µs; "
			"before %.3f µs, after %.3f µs. ",
			us(c->exit_sandbox_ns), c->exit_sandbox_samples, us(c->exit_sandbox_p25_ns),
			us(c->exit_sandbox_p75_ns), us(c->exit_sandbox_before_ns),
			us(c->exit_sandbox_after_ns));
	if (c->exit_real_mode_before_ns)
		fprintf(f, "Real-mode exit: before %.3f µs, after %.3f µs. ",
			us(c->exit_real_mode_before_ns), us(c->exit_real_mode_after_ns));
	else
		fputs("Real-mode exit: not measured. ", f);
	fprintf(f, "Timer overhead %" PRIu64 " ns. (" REPORT_CALIBRATION_BOUNDS_NOTE ".)</p>\n",
		c->timer_overhead_ns, CALIBRATION_IQR_WARN_PCT, CALIBRATION_DRIFT_WARN_PCT);
	if (c->warning[0]) {
		fputs("<p class=\"failed\"><strong>Calibration warning:</strong> ", f);
		report_html_escape(f, c->warning);
		fputs("</p>\n", f);
	}
}
