/* report_failures.c — the failures of a scenario's rows in the text and
 * HTML reports: how many executions of each row failed, and the first
 * message (step_stats.first_error). */
#include <inttypes.h>

#include "report_sections.h"
#include "report_util.h"

void report_text_failures(FILE *f, const struct scenario_result *s)
{
	bool any = false;
	for (size_t i = 0; i < s->n_steps; i++) {
		const struct step_stats *st = &s->steps[i];
		if (!st->errors)
			continue;
		if (!any)
			fprintf(f, "   failed executions (not in the latencies above), first message per row:\n");
		any = true;
		fprintf(f, "   %s: %" PRIu64 " failed: %s\n", st->label, st->errors,
			st->first_error[0] ? st->first_error : "(no message recorded)");
	}
}

void report_html_failures(FILE *f, const struct scenario_result *s)
{
	bool any = false;
	for (size_t i = 0; i < s->n_steps; i++) {
		const struct step_stats *st = &s->steps[i];
		if (!st->errors)
			continue;
		if (!any)
			fputs("<p>Failed executions (not in the latencies above), first message per "
			      "row:</p>\n<ul>\n",
			      f);
		any = true;
		fputs("<li class=\"fail\">", f);
		report_html_escape(f, st->label);
		fprintf(f, ": %" PRIu64 " failed: <code>", st->errors);
		report_html_escape(f, st->first_error[0] ? st->first_error : "(no message recorded)");
		fputs("</code></li>\n", f);
	}
	if (any)
		fputs("</ul>\n", f);
}
