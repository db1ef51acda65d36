/* cmd_report.c — `snapbench report`: print or convert a JSON report. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "reports.h"
#include "results_dir.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: snapbench report [FILE.json] [--text] [--distribution] [--html OUT.html]\n"
		"                        [--json OUT.json]\n"
		"       snapbench report --command FILE.json\n\n"
		"Read a report written by 'snapbench run' and print it as text, or write it\n"
		"as HTML or JSON. Without --html or --json the text report goes to stdout.\n"
		"Without FILE: the last run's, snapbench-results/latest/report.json.\n\n"
		"options:\n"
		"  --text            print the text report to stdout (also with --html/--json)\n"
		"  --distribution    add the HdrHistogram percentile distribution of every\n"
		"                    step to the text report (implies --text)\n"
		"  --html OUT.html   write one self-contained HTML page (tables and SVG plots,\n"
		"                    no scripts, no external files); '-' = stdout\n"
		"  --json OUT.json   write the report again as JSON; '-' = stdout\n"
		"  --command         print only the shell command that redoes the run: 'cd DIR\n"
		"                    && ' when the run's working directory is not this one,\n"
		"                    then its command line as recorded (reports of schema 5)\n"
		"  -h, --help        this text\n\n"
		"exit status: 0 done, 1 the report could not be read or written, 2 bad usage\n");
}

typedef int (*writer_fn)(const struct run_report *r, FILE *f, struct sb_err *err);

static int write_to(const char *path, writer_fn fn, const struct run_report *r)
{
	struct sb_err err = { 0 };
	FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
	if (!f) {
		perror(path);
		return -1;
	}
	int rc = fn(r, f, &err);
	if (f != stdout && fclose(f) != 0 && rc == 0)
		rc = sb_errf(&err, SB_E_IO, "closing %s failed", path);
	if (rc)
		fprintf(stderr, "snapbench report: %s: %s\n", path, err.msg);
	return rc;
}

int cmd_report(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "text", no_argument, 0, 't' },      { "distribution", no_argument, 0, 'd' },
		{ "html", required_argument, 0, 'H' }, { "json", required_argument, 0, 'j' },
		{ "command", no_argument, 0, 'c' },
		{ "help", no_argument, 0, 'h' },      { 0, 0, 0, 0 },
	};
	char *args[argc + 3]; /* one more: the last run's report when no FILE */
	args[0] = "snapbench report";
	for (int i = 0; i < argc; i++)
		args[i + 1] = argv[i];
	args[argc + 1] = args[argc + 2] = NULL;
	optind = 1;
	bool text = false, distribution = false, command = false;
	const char *html = NULL, *json = NULL;
	int c;
	while ((c = getopt_long(argc + 1, args, "h", opts, NULL)) != -1) {
		switch (c) {
		case 't': text = true; break;
		case 'd': text = distribution = true; break;
		case 'H': html = optarg; break;
		case 'j': json = optarg; break;
		case 'c': command = true; break;
		case 'h': usage(stdout); return CLI_EXIT_OK;
		default: usage(stderr); return CLI_EXIT_USAGE;
		}
	}
	/* no FILE: the last run's (snapbench-results/latest, cli/results_dir.h) */
	static char latest[] = RESULTS_DIR_BASE "/latest/report.json";
	if (optind >= argc + 1 && access(latest, R_OK) == 0) {
		args[argc + 1] = latest;
		argc++;
	}
	if (optind >= argc + 1) {
		fprintf(stderr, "snapbench report: which report? (usage: snapbench report FILE.json; "
				"without FILE, %s, which is missing)\n",
			latest);
		return CLI_EXIT_USAGE;
	}
	if (optind + 1 < argc + 1) {
		fprintf(stderr, "snapbench report: unexpected argument '%s'\n", args[optind + 1]);
		return CLI_EXIT_USAGE;
	}
	if (command) {
		if (text || html || json) {
			fprintf(stderr, "snapbench report: --command goes alone (no --text, "
					"--distribution, --html or --json)\n");
			return CLI_EXIT_USAGE;
		}
		return cmd_report_command(args[optind]);
	}
	if (!html && !json)
		text = true;
	/* 'report --html X.json X.json' (or the last run's report named as
	 * the page) wrote the page over the report it read: refuse, as
	 * compare --html does */
	struct stat hs, is;
	if (html && strcmp(html, "-") != 0 &&
	    (strcmp(html, args[optind]) == 0 ||
	     (stat(html, &hs) == 0 && stat(args[optind], &is) == 0 && hs.st_dev == is.st_dev &&
	      hs.st_ino == is.st_ino))) {
		fprintf(stderr, "snapbench report: --html '%s' is the report read: name another "
				"file for the page\n",
			html);
		return CLI_EXIT_USAGE;
	}

	struct run_report r;
	struct sb_err err = { 0 };
	if (report_read_json(&r, args[optind], &err)) {
		fprintf(stderr, "snapbench report: %s\n", err.msg);
		return CLI_EXIT_FAIL;
	}
	int rc = CLI_EXIT_OK;
	if (text && report_write_text(&r, stdout, distribution)) {
		fprintf(stderr, "snapbench report: writing the text report failed\n");
		rc = CLI_EXIT_FAIL;
	}
	if (html && write_to(html, report_write_html, &r))
		rc = CLI_EXIT_FAIL;
	if (json && write_to(json, report_write_json, &r))
		rc = CLI_EXIT_FAIL;
	run_report_free(&r);
	return rc;
}
