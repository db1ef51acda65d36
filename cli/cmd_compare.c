/* cmd_compare.c — `snapbench compare`: a run against a baseline, decided
 * with statistics (reports.h, compare). */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "compare_stats.h"
#include "reports.h"
#include "results_dir.h"

/* Exit status of compare (1 is not "failure" here but "regression"). */
#define COMPARE_EXIT_SAME 0
#define COMPARE_EXIT_REGRESSION 1
#define COMPARE_EXIT_ERROR 2

static void usage(FILE *f)
{
	fprintf(f,
		"usage: snapbench compare [OPTIONS]   (the last two runs in snapbench-results/)\n"
		"       snapbench compare BASE.json NEW.json [OPTIONS]\n"
		"       snapbench compare BASE.json... --vs NEW.json... [OPTIONS]\n\n"
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
		"sides with 'snapbench run --repeat 5' and the runs are resampled too; better,\n"
		"run each side several times in turns (base, new, base, new, ...) and give\n"
		"every report: 'compare b1.json b2.json ... --vs n1.json n2.json ...' pools\n"
		"each side's reports as its runs, so a slow minute of the machine falls on\n"
		"both sides and into the intervals (README, \"Gating a pull request\").\n\n"
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
		"  --html FILE             also write it as a page: per row both distributions\n"
		"                          on one percentile plot, its verdicts and intervals\n"
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

struct parsed {
	struct compare_options o;
	bool all, json, quiet;
	const char *html; /* --html FILE, or NULL */
	const char *files[RESULTS_RUNS_MAX];
	size_t n_files;
};

/* Options and files of argv[0..argc-1] (one side of --vs, or all of it).
 * Returns -1 to go on, or an exit status. */
static int parse(int argc, char **argv, struct parsed *p)
{
	static const struct option opts[] = {
		{ "noise", required_argument, 0, 'N' },
		{ "threshold", required_argument, 0, 'T' },
		{ "confidence", required_argument, 0, 'C' },
		{ "all", no_argument, 0, 'a' },
		{ "json", no_argument, 0, 'j' },
		{ "html", required_argument, 0, 'H' },
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
	struct sb_err err = { 0 };
	int c;
	while ((c = getopt_long(argc + 1, args, "qh", opts, NULL)) != -1) {
		switch (c) {
		case 'N':
			if (compare_noise_parse(&p->o, optarg, &err)) {
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
			if (parse_confidence(optarg, &p->o.confidence)) {
				fprintf(stderr, "snapbench compare: --confidence: '%s' is not a percentage "
						"from 50 to 99.9 (like 95%%)\n",
					optarg);
				return COMPARE_EXIT_ERROR;
			}
			break;
		case 'a': p->all = true; break;
		case 'j': p->json = true; break;
		case 'H':
			if (!optarg[0]) {
				fprintf(stderr, "snapbench compare: --html needs a file name\n");
				return COMPARE_EXIT_ERROR;
			}
			p->html = optarg;
			break;
		case 'f': p->o.force = true; break;
		case 'q': p->quiet = true; break;
		case 'h': usage(stdout); return CLI_EXIT_OK;
		default: usage(stderr); return COMPARE_EXIT_ERROR;
		}
	}
	for (int i = optind; i < argc + 1; i++) {
		if (p->n_files == RESULTS_RUNS_MAX) {
			fprintf(stderr, "snapbench compare: more than %d reports\n", RESULTS_RUNS_MAX);
			return COMPARE_EXIT_ERROR;
		}
		p->files[p->n_files++] = args[i];
	}
	return -1;
}

/* Read n reports into r (all or none). */
static int read_all(const char *const *files, size_t n, struct run_report *r)
{
	struct sb_err err = { 0 };
	for (size_t i = 0; i < n; i++) {
		if (report_read_json(&r[i], files[i], &err)) {
			fprintf(stderr, "snapbench compare: %s\n", err.msg);
			for (size_t k = 0; k < i; k++)
				run_report_free(&r[k]);
			return -1;
		}
	}
	return 0;
}

static void free_all(struct run_report *r, size_t n)
{
	for (size_t i = 0; i < n; i++)
		run_report_free(&r[i]);
	free(r);
}

int cmd_compare(int argc, char **argv)
{
	/* BASE... --vs NEW...: options may stand on either side */
	int vs = -1;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--vs") != 0)
			continue;
		if (vs >= 0) {
			fprintf(stderr, "snapbench compare: --vs given twice: BASE.json... --vs "
					"NEW.json... has two sides\n");
			return COMPARE_EXIT_ERROR;
		}
		vs = i;
	}
	struct parsed *p = calloc(1, sizeof *p);
	if (!p)
		return COMPARE_EXIT_ERROR;
	int rc = parse(vs < 0 ? argc : vs, argv, p);
	size_t n_base = p->n_files;
	if (rc < 0 && vs >= 0)
		rc = parse(argc - vs - 1, argv + vs + 1, p);
	if (rc >= 0) {
		free(p);
		return rc;
	}
	size_t n_new = p->n_files - n_base;
	/* no reports: the last two runs 'snapbench run' wrote, older first */
	static char last[2][4096];
	if (vs < 0 && p->n_files == 0) {
		char msg[512] = "";
		if (results_dir_last_two(RESULTS_DIR_BASE, last[0], last[1], sizeof last[0], msg,
					 sizeof msg)) {
			fprintf(stderr, "snapbench compare: %s\n", msg);
			free(p);
			return COMPARE_EXIT_ERROR;
		}
		p->files[0] = last[0];
		p->files[1] = last[1];
		p->n_files = 2;
		if (!p->quiet && !p->json)
			printf("base %s\nnew  %s\n", last[0], last[1]);
	}
	if (vs < 0 && p->n_files == 2) {
		n_base = n_new = 1;
	} else if (vs < 0 || !n_base || !n_new) {
		fprintf(stderr, "snapbench compare: need two reports, BASE.json and NEW.json, or "
				"BASE.json... --vs NEW.json... (got %zu%s)\n",
			p->n_files, vs < 0 ? "" : " and --vs");
		free(p);
		return COMPARE_EXIT_ERROR;
	}
	/* the page's file is opened before any work: a place that cannot be
	 * written is said at once; it is removed again when nothing is compared */
	FILE *html = NULL;
	struct stat hs, is;
	/* only a page this run created is removed again: never /dev/null or
	 * someone's file */
	bool created = p->html && stat(p->html, &hs) != 0;
	for (size_t i = 0; p->html && i < p->n_files; i++)
		if (strcmp(p->html, p->files[i]) == 0 ||
		    (stat(p->html, &hs) == 0 && stat(p->files[i], &is) == 0 &&
		     hs.st_dev == is.st_dev && hs.st_ino == is.st_ino)) {
			fprintf(stderr, "snapbench compare: --html '%s' is one of the reports "
					"compared: name another file for the page\n",
				p->html);
			free(p);
			return COMPARE_EXIT_ERROR;
		}
	if (p->html && !(html = fopen(p->html, "w"))) {
		fprintf(stderr, "snapbench compare: --html: cannot write '%s': %s\n", p->html,
			strerror(errno));
		free(p);
		return COMPARE_EXIT_ERROR;
	}
	struct run_report *rb = calloc(n_base, sizeof *rb), *rn = calloc(n_new, sizeof *rn);
	if (!rb || !rn || read_all(p->files, n_base, rb)) {
		free(rb);
		free(rn);
		if (html) {
			fclose(html);
			if (created)
				unlink(p->html);
		}
		free(p);
		return COMPARE_EXIT_ERROR;
	}
	if (read_all(p->files + n_base, n_new, rn)) {
		free_all(rb, n_base);
		free(rn);
		if (html) {
			fclose(html);
			if (created)
				unlink(p->html);
		}
		free(p);
		return COMPARE_EXIT_ERROR;
	}
	struct sb_err err = { 0 };
	struct run_report mb, mn;
	struct compare_result r;
	rc = COMPARE_EXIT_ERROR;
	if (compare_side_merge(rb, n_base, p->files, &mb, &err)) {
		fprintf(stderr, "snapbench compare: BASE: %s\n", err.msg);
		goto out;
	}
	if (compare_side_merge(rn, n_new, p->files + n_base, &mn, &err)) {
		fprintf(stderr, "snapbench compare: NEW: %s\n", err.msg);
		compare_side_free(&mb);
		goto out;
	}
	int crc = report_compare(&mb, &mn, &p->o, &r, &err);
	if (crc) {
		compare_side_free(&mb);
		compare_side_free(&mn);
		fprintf(stderr, "snapbench compare: %s\n", err.msg);
		goto out;
	}
	if (html) {
		struct compare_html_sides sides = { .base = p->files, .n_base = n_base,
						    .cur = p->files + n_base, .n_cur = n_new };
		int hrc = compare_write_html(&r, &mb, &mn, &sides, html, &err);
		if (fclose(html) && !hrc)
			hrc = sb_errf(&err, SB_E_IO, "writing the comparison page: %s",
				      strerror(errno));
		html = NULL;
		if (hrc) {
			fprintf(stderr, "snapbench compare: --html '%s': %s\n", p->html, err.msg);
			if (created)
				unlink(p->html);
			compare_side_free(&mb);
			compare_side_free(&mn);
			compare_result_free(&r);
			goto out;
		}
	}
	compare_side_free(&mb);
	compare_side_free(&mn);
	int wrc;
	if (p->json)
		wrc = compare_write_json(&r, stdout, &err);
	else if (p->quiet)
		wrc = compare_write_verdict(&r, stdout);
	else
		wrc = compare_write_text(&r, stdout, p->all);
	size_t regressions = r.count[CMP_REGRESSED];
	compare_result_free(&r);
	if (wrc)
		fprintf(stderr, "snapbench compare: writing the comparison failed\n");
	else
		rc = regressions ? COMPARE_EXIT_REGRESSION : COMPARE_EXIT_SAME;
out:
	if (html) { /* nothing compared */
		fclose(html);
		if (created)
			unlink(p->html);
	}
	free_all(rb, n_base);
	free_all(rn, n_new);
	free(p);
	return rc;
}
