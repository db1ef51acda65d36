/* report_snapshots.c — what the snapshots of a scenario shared with their
 * parents (incremental snapshots, snapshot/snap_incr.c), in the text and
 * HTML reports: a table of its own, shown when a row took snapshots. */
#include <inttypes.h>

#include "report_sections.h"
#include "report_util.h"

#define SHARING_NOTE \
	"snapshot sharing: an incremental snapshot walks only the page tables written since the " \
	"snapshot the sandbox runs from (its parent) and stores only the pages written since; " \
	"every other page is the parent's, shared (mapped: leaves walked). shared: guest-visible " \
	"pages shared with the parent; new pt: page tables not shared; deduped: new pages found " \
	"stored already in the lineage (stored once); new bytes: memory the snapshots added. A " \
	"full snapshot (from an ELF or file snapshot, or when the guest added tables or large " \
	"pages) adds its whole image; the first one's reason is printed below the table."

static bool took_snapshots(const struct scenario_result *s)
{
	for (size_t i = 0; i < s->n_steps; i++)
		if (s->steps[i].bytes_new || s->steps[i].snapshots_incremental)
			return true; /* (reports before issue 15 have neither) */
	return false;
}

void report_snapshot_sharing_text(FILE *f, const struct scenario_result *s, int sw)
{
	if (!took_snapshots(s))
		return;
	fputc('\n', f);
	report_wrap(f, "   ", SHARING_NOTE);
	fprintf(f, "   %-*s %9s %11s %9s %9s %9s %12s %14s\n", sw, "step", "snapshots",
		"incremental", "shared", "new pt", "deduped", "new bytes", "new/snapshot");
	for (size_t i = 0; i < s->n_steps; i++) {
		const struct step_stats *st = &s->steps[i];
		if (!st->snapshots || !(st->bytes_new || st->snapshots_incremental))
			continue;
		fprintf(f,
			"   %-*s %9" PRIu64 " %11" PRIu64 " %9" PRIu64 " %9" PRIu64 " %9" PRIu64
			" %12" PRIu64 " %14.1f\n",
			sw, st->label, st->snapshots, st->snapshots_incremental, st->pages_shared,
			st->pt_pages_new, st->pages_deduped, st->bytes_new,
			(double)st->bytes_new / (double)st->snapshots);
	}
	for (size_t i = 0; i < s->n_steps; i++) {
		const struct step_stats *st = &s->steps[i];
		if (st->snapshots > st->snapshots_incremental && st->full_reason[0])
			fprintf(f, "   %s: %" PRIu64 " full: %s\n", st->label,
				st->snapshots - st->snapshots_incremental, st->full_reason);
	}
}

void report_snapshot_sharing_html(FILE *f, const struct scenario_result *s)
{
	if (!took_snapshots(s))
		return;
	fputs("<h3>Snapshot sharing</h3>\n<p class=\"note\">", f);
	report_html_escape(f, SHARING_NOTE);
	fputs("</p>\n<div class=\"scroll\"><table>\n<tr><th scope=\"col\">step</th>"
	      "<th scope=\"col\">snapshots</th><th scope=\"col\">incremental</th>"
	      "<th scope=\"col\">shared pages</th><th scope=\"col\">new page tables</th>"
	      "<th scope=\"col\">deduped</th><th scope=\"col\">new bytes</th>"
	      "<th scope=\"col\">new bytes per snapshot</th></tr>\n", f);
	for (size_t i = 0; i < s->n_steps; i++) {
		const struct step_stats *st = &s->steps[i];
		if (!st->snapshots || !(st->bytes_new || st->snapshots_incremental))
			continue;
		fputs("<tr><th scope=\"row\">", f);
		report_html_escape(f, st->label);
		fprintf(f, "</th><td>%" PRIu64 "</td><td>%" PRIu64 "</td><td>%" PRIu64 "</td><td>%" PRIu64
			   "</td><td>%" PRIu64 "</td><td>%" PRIu64 "</td><td>%.1f</td></tr>\n",
			st->snapshots, st->snapshots_incremental, st->pages_shared, st->pt_pages_new,
			st->pages_deduped, st->bytes_new, (double)st->bytes_new / (double)st->snapshots);
	}
	fputs("</table></div>\n", f);
	for (size_t i = 0; i < s->n_steps; i++) {
		const struct step_stats *st = &s->steps[i];
		if (st->snapshots <= st->snapshots_incremental || !st->full_reason[0])
			continue;
		fputs("<p class=\"note\">", f);
		report_html_escape(f, st->label);
		fprintf(f, ": %" PRIu64 " full: ", st->snapshots - st->snapshots_incremental);
		report_html_escape(f, st->full_reason);
		fputs("</p>\n", f);
	}
}
