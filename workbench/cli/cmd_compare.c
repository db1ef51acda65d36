/* cmd_compare.c — `snapbench compare`: a run against a baseline. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "reports.h"

/* Exit status of compare (1 is not "failure" here but "regression"). */
#define COMPARE_EXIT_SAME 0
#define COMPARE_EXIT_REGRESSION 1
#define COMPARE_EXIT_ERROR 2

static void usage(FILE *f)
{
	struct compare_thresholds d;
	compare_thresholds_default(&d);
	fprintf(f,
		"usage: snapbench compare BASE.json NEW.json [--threshold METRIC=P%%]... [--quiet]\n\n"
		"Compare the run in NEW.json with the baseline BASE.json: scenarios by name,\n"
		"steps by label. Prints one row per step and metric: base, new, change, limit\n"
		"and a verdict (OK, REGRESSION, IMPROVED, NEW, MISSING).\n\n"
		"A regression is a metric more than its limit above the baseline (for\n"
		"pages_retained: below it), a scenario or step of the baseline missing from\n"
		"NEW, a scenario that failed in NEW, or a failed expectation in NEW. New\n"
		"scenarios and steps are only reported. A scenario run per restore strategy\n"
		"is one scenario per strategy, 'NAME [STRATEGY]'. A report of schema 3 has no\n"
		"cow_faults, bytes_copied or pages_retained: they are not judged against it.\n\n"
		"options:\n"
		"  --threshold METRIC=P%%  allowed increase of METRIC in percent (of\n"
		"                         pages_retained: decrease), or 'off'\n"
		"                         (repeatable; later ones win). METRIC is one of\n"
		"                         p50 p90 p99 p99.9 mean max (latency),\n"
		"                         scratch_pages (per call), pages_copied (per\n"
		"                         snapshot), full_restores (share of restores\n"
		"                         that were full), pages_reset (per restore),\n"
		"                         cow_faults (per call), bytes_copied and\n"
		"                         pages_retained (per restore), pages (these\n"
		"                         seven), all (every metric).\n"
		"                         Defaults:");
	for (size_t m = 0; m < COMPARE__COUNT; m++) {
		if (d.pct[m] < 0)
			fprintf(f, " %s=off", compare_metric_name((enum compare_metric)m));
		else
			fprintf(f, " %s=%g%%", compare_metric_name((enum compare_metric)m), d.pct[m]);
		if (m == COMPARE_MEAN || m == COMPARE_PAGES_COPIED || m == COMPARE_COW_FAULTS)
			fprintf(f, "\n                        ");
	}
	fprintf(f,
		"\n"
		"  -q, --quiet            no table; print only the number of regressions\n"
		"  -h, --help             this text\n\n"
		"exit status: 0 no regression, 1 regression found, 2 bad usage or a report\n"
		"that cannot be read\n");
}

int cmd_compare(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "threshold", required_argument, 0, 'T' },
		{ "quiet", no_argument, 0, 'q' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	char *args[argc + 2];
	args[0] = "snapbench compare";
	for (int i = 0; i < argc; i++)
		args[i + 1] = argv[i];
	args[argc + 1] = NULL;
	optind = 1;
	struct compare_thresholds th;
	compare_thresholds_default(&th);
	bool quiet = false;
	struct sb_err err = { 0 };
	int c;
	while ((c = getopt_long(argc + 1, args, "qh", opts, NULL)) != -1) {
		switch (c) {
		case 'T':
			if (compare_threshold_parse(&th, optarg, &err)) {
				fprintf(stderr, "snapbench compare: --threshold: %s\n", err.msg);
				return COMPARE_EXIT_ERROR;
			}
			break;
		case 'q': quiet = true; break;
		case 'h': usage(stdout); return CLI_EXIT_OK;
		default: usage(stderr); return COMPARE_EXIT_ERROR;
		}
	}
	if (argc + 1 - optind != 2) {
		fprintf(stderr, "snapbench compare: need two reports, BASE.json and NEW.json "
				"(got %d)\n",
			argc + 1 - optind);
		return COMPARE_EXIT_ERROR;
	}
	struct run_report base, cur;
	if (report_read_json(&base, args[optind], &err)) {
		fprintf(stderr, "snapbench compare: %s\n", err.msg);
		return COMPARE_EXIT_ERROR;
	}
	if (report_read_json(&cur, args[optind + 1], &err)) {
		fprintf(stderr, "snapbench compare: %s\n", err.msg);
		run_report_free(&base);
		return COMPARE_EXIT_ERROR;
	}
	int n = report_compare(&base, &cur, &th, quiet ? NULL : stdout);
	run_report_free(&base);
	run_report_free(&cur);
	if (n < 0) {
		fprintf(stderr, "snapbench compare: writing the comparison failed\n");
		return COMPARE_EXIT_ERROR;
	}
	if (quiet && n > 0)
		printf("%d regression%s\n", n, n == 1 ? "" : "s");
	return n > 0 ? COMPARE_EXIT_REGRESSION : COMPARE_EXIT_SAME;
}
