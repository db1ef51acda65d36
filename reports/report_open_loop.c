/* report_open_loop.c — an open-loop scenario (option rate) in the text
 * and HTML reports: the rate asked for and the rate achieved, a warning
 * when it was not sustained, and per iteration the time from when it was
 * due to its end, the queueing delay and the sleep overshoot. */
#include <inttypes.h>
#include <string.h>

#include "report_sections.h"
#include "report_util.h"

bool report_open_loop_unsustainable(const struct open_loop_stats *ol)
{
	return ol->rate_target_per_s > 0 &&
	       ol->rate_achieved_per_s < ol->rate_target_per_s * REPORT_RATE_SUSTAINED_PCT / 100.0;
}

void report_open_loop_warning(const struct open_loop_stats *ol, char *buf, size_t bytes)
{
	snprintf(buf, bytes,
		 "unsustainable rate: achieved %.3f iterations/s, %.1f%% of the %.3f asked (below "
		 "%.0f%%): iterations started late and queued (see the queueing delay); the "
		 "latencies are those of a saturated system",
		 ol->rate_achieved_per_s, 100.0 * ol->rate_achieved_per_s / ol->rate_target_per_s,
		 ol->rate_target_per_s, REPORT_RATE_SUSTAINED_PCT);
}

static const char *const names[] = {
	"iteration (due to end)",
	"queueing delay (start - due)",
	"sleep overshoot (woken - due)",
};

static const struct hist *hist_of(const struct open_loop_stats *ol, size_t i)
{
	return i == 0 ? &ol->iteration : i == 1 ? &ol->queueing_delay : &ol->sleep_overshoot;
}

static double pct_of_target(const struct open_loop_stats *ol)
{
	return ol->rate_target_per_s > 0 ? 100.0 * ol->rate_achieved_per_s / ol->rate_target_per_s
					 : 0;
}

void report_text_open_loop(FILE *f, const struct scenario_result *s)
{
	const struct open_loop_stats *ol = s->open_loop;
	if (!ol)
		return;
	fprintf(f,
		"\n   open loop: target %.3f iterations/s (%" PRIu64 "/s per sandbox x %" PRIu64
		"), achieved %.3f/s (%.1f %%)\n",
		ol->rate_target_per_s, ol->rate_per_sandbox, s->sandboxes, ol->rate_achieved_per_s,
		pct_of_target(ol));
	if (report_open_loop_unsustainable(ol)) {
		char w[320];
		report_open_loop_warning(ol, w, sizeof w);
		report_wrap(f, "   WARNING: ", w);
	}
	fprintf(f, "   %-30s %8s %10s %10s %10s %10s %10s %10s %10s\n", "per iteration (us)", "count",
		"min", "p50", "p90", "p99", "p99.9", "max", "mean");
	for (size_t i = 0; i < 3; i++) {
		struct hist_summary h;
		hist_summarize(hist_of(ol, i), &h);
		const double v[] = { (double)h.min_ns,	(double)h.p50_ns,   (double)h.p90_ns,
				     (double)h.p99_ns,	(double)h.p99_9_ns, (double)h.max_ns,
				     h.mean_ns };
		fprintf(f, "   %-30s %8" PRIu64, names[i], h.count);
		for (size_t k = 0; k < sizeof v / sizeof v[0]; k++) {
			char us[32];
			report_fmt_us_sig3(us, sizeof us, v[k]);
			fprintf(f, " %10s", us);
		}
		fputc('\n', f);
	}
	fprintf(f, "   every step is timed from when it starts; an iteration's wait behind the "
		   "ones before it is its queueing delay\n");
}

void report_html_open_loop(FILE *f, const struct scenario_result *s)
{
	const struct open_loop_stats *ol = s->open_loop;
	if (!ol)
		return;
	fprintf(f,
		"<h3>Open loop</h3>\n<p>Target %.3f iterations/s (%" PRIu64 "/s per sandbox × %" PRIu64
		"), achieved %.3f/s (%.1f %%).</p>\n",
		ol->rate_target_per_s, ol->rate_per_sandbox, s->sandboxes, ol->rate_achieved_per_s,
		pct_of_target(ol));
	if (report_open_loop_unsustainable(ol)) {
		char w[320];
		report_open_loop_warning(ol, w, sizeof w);
		fputs("<p class=\"failed\"><strong>Warning:</strong> ", f);
		report_html_escape(f, w);
		fputs("</p>\n", f);
	}
	fputs("<div class=\"wide\"><table>\n<caption>Per iteration (µs)</caption>\n<tr>"
	      "<th scope=\"col\"></th><th scope=\"col\">count</th><th scope=\"col\">min</th>"
	      "<th scope=\"col\">p50</th><th scope=\"col\">p90</th><th scope=\"col\">p99</th>"
	      "<th scope=\"col\">p99.9</th><th scope=\"col\">max</th><th scope=\"col\">mean</th></tr>\n",
	      f);
	for (size_t i = 0; i < 3; i++) {
		struct hist_summary h;
		hist_summarize(hist_of(ol, i), &h);
		const double v[] = { (double)h.min_ns,	(double)h.p50_ns,   (double)h.p90_ns,
				     (double)h.p99_ns,	(double)h.p99_9_ns, (double)h.max_ns,
				     h.mean_ns };
		fputs("<tr><th scope=\"row\">", f);
		report_html_escape(f, names[i]);
		fprintf(f, "</th><td class=\"n\">%" PRIu64 "</td>", h.count);
		for (size_t k = 0; k < sizeof v / sizeof v[0]; k++) {
			char us[32];
			report_fmt_us(us, sizeof us, v[k]);
			fprintf(f, "<td class=\"n\">%s</td>", us);
		}
		fputs("</tr>\n", f);
	}
	fputs("</table></div>\n<p class=\"note\">Every step is timed from when it starts; an "
	      "iteration's wait behind the ones before it is its queueing delay.</p>\n",
	      f);
}
