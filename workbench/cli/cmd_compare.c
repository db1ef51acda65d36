/* cmd_compare.c — `snapbench compare`: a run against a baseline, decided
 * with statistics (reports.h, compare). */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "compare_stats.h"
#include "reports.h"

/* Exit status of compare (1 is not "failure" here but "regression"). */
#define COMPARE_EXIT_SAME 0
#define COMPARE_EXIT_REGRESSION 1
#define COMPARE_EXIT_ERROR 2

static void usage(FILE *f)
{
	fprintf(f,
		"usage: snapbench compare BASE.json NEW.json [OPTIONS]\n\n"
		"Is NEW slower than BASE? Scenarios are matched by name, rows by label.\n"
		"Prints one verdict line (OK or REGRESSED), then the regressions, the surest\n"
		"first, each with its interval; --all lists every other comparison too.\n\n"
		"Latency of each row: the change of the median (and of p90, p99, p99.9 when\n"
		"at least %d samples of every run lie beyond them) with a %g%% bootstrap\n"
		"interval computed from the histograms in the reports. 'regressed' when the\n"
		"whole interval lies above +noise (default %g%%), 'improved' when it lies below\n"
		"-noise, 'within noise' otherwise, 'not enough data' under %d samples.\n"
		"With one run a side the interval sees only the spread inside each run, not\n"
		"how much a second run on the same machine would move: for a gate, run both\n"
		"sides with 'snapbench run --repeat 5' and the runs are resampled too.\n\n"
		"Exact, per execution: errors (every row), scratch_pages and cow_faults (calls),\n"
		"full_restores, pages_reset, bytes_copied and pages_retained (restores; fewer\n"
		"pages_retained is the regression), pages_copied (snapshots): any increase\n"
		"is a regression. A row or scenario of BASE missing from NEW, a scenario that\n"
		"failed in NEW and a failed expectation in NEW are regressions; rows and\n"
		"scenarios only NEW has are listed as new.\n\n"
		"Refused (exit 2) when the scenarios' definitions differ (any option but\n"
		"description, expect, allow_errors, iterations, duration); a warning when the\n"
		"machines, kernels, hypervisors or builds differ. --force compares anyway,\n"
		"without warnings.\n\n"
		"options:\n"
		"  --noise [ROW:]METRIC=P%%  the noise band of METRIC (p50, p90, p99, p99.9 or\n"
		"                          all) of every row, or of ROW (a row name such as\n"
		"                          'restore base (same snapshot)', or a step label for\n"
		"                          all its rows); '--noise P%%' sets every latency\n"
		"                          metric. Repeatable, later ones win. Default %g%%.\n"
		"  --confidence P%%         the intervals' confidence (50 to 99.9; default %g%%)\n"
		"  --all                   list every comparison, not only the regressions\n"
		"  --json                  print the comparison as JSON instead (every item)\n"
		"  --force                 compare different definitions; no warnings\n"
		"  -q, --quiet             print only the verdict line\n"
		"  -h, --help              this text\n\n"
		"exit status: 0 no regression, 1 regression found, 2 bad usage, a report that\n"
		"cannot be read, or definitions that differ (without --force)\n",
		CMP_MIN_BEYOND, COMPARE_CONFIDENCE_DEFAULT * 100, COMPARE_NOISE_DEFAULT_PCT,
		CMP_MIN_SAMPLES, COMPARE_NOISE_DEFAULT_PCT, COMPARE_CONFIDENCE_DEFAULT * 100);
}

static int parse_confidence(const char *s, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || (*end && strcmp(end, "%") != 0) || !(v >= 50 && v <= 99.9))
		return -1;
	*out = v / 100;
	return 0;
}

int cmd_compare(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "noise", required_argument, 0, 'N' },
		{ "threshold", required_argument, 0, 'T' },
		{ "confidence", required_argument, 0, 'C' },
		{ "all", no_argument, 0, 'a' },
		{ "json", no_argument, 0, 'j' },
		{ "force", no_argument, 0, 'f' },
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
	struct compare_options o = { 0 };
	bool all = false, json = false, quiet = false;
	struct sb_err err = { 0 };
	int c;
	while ((c = getopt_long(argc + 1, args, "qh", opts, NULL)) != -1) {
		switch (c) {
		case 'N':
			if (compare_noise_parse(&o, optarg, &err)) {
				fprintf(stderr, "snapbench compare: --noise: %s\n", err.msg);
				return COMPARE_EXIT_ERROR;
			}
			break;
		case 'T':
			fprintf(stderr, "snapbench compare: --threshold is gone: compare decides with "
					"bootstrap intervals now; '--noise %s' sets a noise band\n",
				optarg);
			return COMPARE_EXIT_ERROR;
		case 'C':
			if (parse_confidence(optarg, &o.confidence)) {
				fprintf(stderr, "snapbench compare: --confidence: '%s' is not a percentage "
						"from 50 to 99.9 (like 95%%)\n",
					optarg);
				return COMPARE_EXIT_ERROR;
			}
			break;
		case 'a': all = true; break;
		case 'j': json = true; break;
		case 'f': o.force = true; break;
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
	struct compare_result r;
	int rc = report_compare(&base, &cur, &o, &r, &err);
	run_report_free(&base);
	run_report_free(&cur);
	if (rc) {
		fprintf(stderr, "snapbench compare: %s\n", err.msg);
		return COMPARE_EXIT_ERROR;
	}
	int wrc;
	if (json) {
		wrc = compare_write_json(&r, stdout, &err);
	} else if (quiet) {
		wrc = compare_write_verdict(&r, stdout);
	} else {
		wrc = compare_write_text(&r, stdout, all);
	}
	size_t regressions = r.count[CMP_REGRESSED];
	compare_result_free(&r);
	if (wrc) {
		fprintf(stderr, "snapbench compare: writing the comparison failed\n");
		return COMPARE_EXIT_ERROR;
	}
	return regressions ? COMPARE_EXIT_REGRESSION : COMPARE_EXIT_SAME;
}
