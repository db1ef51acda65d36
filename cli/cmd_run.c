/* cmd_run.c — `snapbench run`: run scenario files (or the built-in set)
 * and write the reports. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build_info.h"
#include "cli.h"
#include "reports.h"
#include "results_dir.h"
#include "runner.h"
#include "version.h"

extern const char sb_builtin_scenarios[]; /* scenarios/builtin.ini, embedded */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: snapbench run [OPTIONS] [SCENARIO-FILE...]\n\n"
		"Run the scenarios of each file (without files: the built-in set, see\n"
		"'snapbench run --list'), print a summary and write the reports.\n\n"
		"options:\n"
		"  -o, --output DIR     write the reports (and save steps' files) exactly in\n"
		"                       DIR; by default each run gets a directory of its\n"
		"                       own, snapbench-results/YYYY-MM-DDTHH-MM-SSZ/, and\n"
		"                       snapbench-results/latest points at the newest\n"
		"                       ('snapbench compare' alone compares the last two)\n"
		"      --only NAME      run only the scenario NAME (repeatable): a section\n"
		"                       (every strategy it runs) or one run, 'NAME [STRATEGY]';\n"
		"                       'FILE:NAME' for one file's when two files share NAME\n"
		"                       (such scenarios run and are reported as FILE:NAME,\n"
		"                       FILE the file's base name)\n"
		"      --restore-strategy LIST\n"
		"                       run every scenario once per restore strategy of LIST\n"
		"                       (rewrite, host-cow, retain, rewind; comma-separated; run\n"
		"                       in LIST's order), whatever the files' restore_strategy\n"
		"                       says;\n"
		"                       with more than one, each run is named 'NAME [STRATEGY]'\n"
		"      --repeat N       run each file's scenarios N times (1 to 1000), the\n"
		"                       file's whole set once, then again: one report with\n"
		"                       a histogram per run of every row, so that\n"
		"                       'snapbench compare' sees the variance between runs\n"
		"                       (use it for CI gates: 'snapbench help compare');\n"
		"                       expectations on count, full_restores and errors\n"
		"                       hold in every run, the others on all runs together\n"
		"      --crashdump DIR  write an ELF core file (gdb GUEST CORE) of each call\n"
		"                       that faults, aborts or is cancelled into DIR (made if\n"
		"                       missing), whatever the files' crashdump says; the\n"
		"                       failure's message names the core\n"
		"      --allow-paths    let save and load steps use absolute paths and '..'\n"
		"                       (by default their paths are relative to the output\n"
		"                       directory and stay inside it: a scenario file may come\n"
		"                       from someone else); a save still replaces only a\n"
		"                       snapshot file; and map steps read files outside the\n"
		"                       scenario file's directory\n"
		"      --json           write report.json (always done; accepted for scripts)\n"
		"      --html           also write report.html\n"
		"      --distribution   print each step's percentile distribution too\n"
		"      --list           list the scenarios that would run (name, restore\n"
		"                       strategy, description), and stop\n"
		"  -q, --quiet          no progress line and no summary on stdout\n"
		"  -h, --help           this text\n\n"
		"Scenario file syntax and options: 'snapbench help scenario'.\n"
		"Each step that failed (a call whose guest function reported an error, a\n"
		"guest fault) is printed on stderr when its scenario ends, once per step\n"
		"and message: FILE:LINE, the message, how many times.\n"
		"exit codes: 0 every scenario ran and met its expectations, 1 a scenario\n"
		"failed, an expectation was not met, or calls failed that the scenario\n"
		"does not allow (allow_errors, STEP.errors), 2 bad usage or a bad\n"
		"scenario file\n");
}

struct run_args {
	const char *out_dir;
	const char *only[16];
	size_t n_only;
	uint64_t strategies; /* --restore-strategy, packed; 0 = as the files say */
	bool html, distribution, list, quiet;
	bool allow_paths; /* --allow-paths: save/load anywhere */
	const char *crashdump; /* --crashdump DIR; NULL = as the files say */
	unsigned repeat; /* --repeat; 0 = once */
};

/* The file part of a scenario's qualified name: its file's base name. */
static const char *file_base(const struct scenario *sc)
{
	const char *slash = strrchr(sc->file, '/');
	return slash ? slash + 1 : sc->file;
}

/* Whether --only WANT names sc: its run name ("NAME", "NAME [STRATEGY]",
 * or "FILE:..." when qualified), its section (every strategy), or
 * "FILE:SECTION" (one file's section when two files share it). */
static bool only_matches(const struct scenario *sc, const char *want)
{
	if (strcmp(sc->name, want) == 0 || strcmp(sc->section, want) == 0)
		return true;
	const char *base = file_base(sc);
	size_t n = strlen(base);
	/* the run name without its file, "NAME [STRATEGY]" of every file */
	bool qualified = strncmp(sc->name, base, n) == 0 && sc->name[n] == ':';
	const char *bare = qualified ? sc->name + n + 1 : sc->name;
	if (strcmp(bare, want) == 0)
		return true;
	return strncmp(want, base, n) == 0 && want[n] == ':' &&
	       (strcmp(want + n + 1, sc->section) == 0 || strcmp(want + n + 1, bare) == 0);
}

/* Every --only name names some scenario: a typo is refused before
 * anything runs, with the names there are. */
static int check_only(const struct scenario_set *sets, size_t nsets, const struct run_args *a)
{
	for (size_t k = 0; k < a->n_only; k++) {
		bool found = false;
		for (size_t i = 0; i < nsets && !found; i++)
			for (size_t j = 0; j < sets[i].n && !found; j++)
				found = only_matches(&sets[i].items[j], a->only[k]);
		if (found)
			continue;
		fprintf(stderr, "snapbench run: --only %s: no scenario has that name; the "
				"scenarios are:",
			a->only[k]);
		size_t shown = 0;
		for (size_t i = 0; i < nsets; i++)
			for (size_t j = 0; j < sets[i].n; j++)
				if (shown++ < 40)
					fprintf(stderr, " %s", sets[i].items[j].name);
		fprintf(stderr, "%s\n", shown > 40 ? " ... ('snapbench run --list')" : "");
		return -1;
	}
	return 0;
}

/* Keep only the scenarios named with --only (all if none). */
static int filter(struct scenario_set *set, const struct run_args *a, size_t *matched)
{
	if (!a->n_only)
		return 0;
	size_t keep = 0;
	for (size_t i = 0; i < set->n; i++) {
		bool want = false;
		for (size_t k = 0; k < a->n_only; k++)
			want |= only_matches(&set->items[i], a->only[k]);
		if (want) {
			struct scenario tmp = set->items[keep];
			set->items[keep] = set->items[i];
			set->items[i] = tmp;
			keep++;
		}
	}
	/* The dropped ones stay allocated past n until the set is freed. */
	*matched += keep;
	return (int)keep;
}

static int write_reports(const struct run_report *r, const struct run_args *a, struct sb_err *err)
{
	if (mkdir(a->out_dir, 0777) != 0 && errno != EEXIST)
		return sb_errf(err, SB_E_IO, "%s: %s", a->out_dir, strerror(errno));
	char path[1024];
	snprintf(path, sizeof path, "%s/report.json", a->out_dir);
	FILE *f = fopen(path, "w");
	if (!f)
		return sb_errf(err, SB_E_IO, "%s: %s", path, strerror(errno));
	int rc = report_write_json(r, f, err);
	if (fclose(f) != 0 && !rc)
		rc = sb_errf(err, SB_E_IO, "%s: %s", path, strerror(errno));
	if (rc)
		return -1;
	if (!a->quiet)
		fprintf(stderr, "wrote %s\n", path);
	if (a->html) {
		snprintf(path, sizeof path, "%s/report.html", a->out_dir);
		f = fopen(path, "w");
		if (!f)
			return sb_errf(err, SB_E_IO, "%s: %s", path, strerror(errno));
		rc = report_write_html(r, f, err);
		if (fclose(f) != 0 && !rc)
			rc = sb_errf(err, SB_E_IO, "%s: %s", path, strerror(errno));
		if (rc)
			return -1;
		if (!a->quiet)
			fprintf(stderr, "wrote %s\n", path);
	}
	return 0;
}

/* The same for the curses UI's live run (`q` writes its results as run
 * would, cmd_tui.c): report.json into out_dir, report.html too if html. */
int cmd_run_write_results(const struct run_report *r, const char *out_dir, bool html,
			  struct sb_err *err)
{
	struct run_args a = { .out_dir = out_dir, .html = html };
	return write_reports(r, &a, err);
}

/* Whether a section of another file than set i is named `section`. */
static bool shared_section(const struct scenario_set *sets, size_t nsets, size_t i,
			   const char *section)
{
	for (size_t j = 0; j < nsets; j++)
		if (j != i && scenario_set_find(&sets[j], section))
			return true;
	return false;
}

/* Before anything runs: scenario names are unique across all the files
 * (reports and compare key scenarios by name). A section name that two
 * files share is scoped by its file: both run as "FILE:NAME" (FILE the
 * file's base name), so `run scenarios/\*.ini` runs; names no other file
 * has stay as they are, so the reports of one file keep their names
 * whatever else runs with it. Same-named files in different directories
 * still collide: refused. And the files the scenarios name exist. */
static int check_sets(struct scenario_set *sets, size_t nsets, bool allow_paths,
		      struct sb_err *err)
{
	for (size_t i = 0; i < nsets; i++) {
		for (size_t k = 0; k < sets[i].n; k++) {
			struct scenario *sc = &sets[i].items[k];
			if (!shared_section(sets, nsets, i, sc->section))
				continue;
			char *q;
			if (asprintf(&q, "%s:%s", file_base(sc), sc->name) < 0)
				return sb_errf(err, SB_E_NOMEM, "%s: out of memory", sc->file);
			if (strlen(q) >= sizeof ((struct scenario_result *)0)->name) {
				free(q);
				return sb_errf(err, SB_E_INVAL,
					       "%s:%u: [%s] is in another file too, and '%s:%s' is too "
					       "long a name to tell them apart: rename one",
					       sc->file, sc->line, sc->section, file_base(sc), sc->name);
			}
			free(sc->name);
			sc->name = q;
		}
	}
	for (size_t i = 0; i < nsets; i++) {
		for (size_t k = 0; k < sets[i].n; k++) {
			const struct scenario *sc = &sets[i].items[k];
			for (size_t j = 0; j < i; j++) {
				for (size_t m = 0; m < sets[j].n; m++) {
					const struct scenario *first = &sets[j].items[m];
					if (strcmp(first->name, sc->name) == 0)
						return sb_errf(err, SB_E_INVAL,
							       "%s:%u: [%s] duplicate scenario name '%s' "
							       "(first at %s:%u): %s",
							       sc->file, sc->line, sc->section, sc->name,
							       first->file, first->line,
							       strcmp(first->file, sc->file) == 0
								       ? "the same file is given twice"
								       : "two files of the same name share "
									 "a section; rename one");
				}
			}
			if (scenario_check_files(sc, err) ||
			    (!allow_paths && scenario_check_paths(sc, err)))
				return -1;
		}
	}
	return 0;
}

/* -o DIR, --crashdump DIR: a directory we can write in, made if missing
 * (one level), checked before anything runs. */
static int writable_dir(const char *opt, const char *dir)
{
	struct stat st;
	if (!dir[0]) {
		fprintf(stderr, "snapbench run: %s: empty directory name\n", opt);
		return -1;
	}
	if (stat(dir, &st) == 0 && !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "snapbench run: %s %s: not a directory\n", opt, dir);
		return -1;
	}
	if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
		fprintf(stderr, "snapbench run: %s %s: cannot make the directory: %s\n", opt, dir,
			strerror(errno));
		return -1;
	}
	/* root passes access(): try a file, as the reports (cores) will be written */
	char probe[4096];
	snprintf(probe, sizeof probe, "%s/.snapbench-probe.XXXXXX", dir);
	int fd = mkstemp(probe);
	if (fd < 0) {
		fprintf(stderr, "snapbench run: %s %s: cannot write in it: %s\n", opt, dir,
			strerror(errno));
		return -1;
	}
	close(fd);
	unlink(probe);
	return 0;
}

/* Every scenario's crashdump directory (--crashdump). */
static int set_crashdump(struct scenario_set *sets, size_t nsets, const char *dir)
{
	for (size_t i = 0; i < nsets; i++) {
		for (size_t k = 0; k < sets[i].n; k++) {
			char *d = strdup(dir);
			if (!d) {
				fprintf(stderr, "snapbench run: out of memory\n");
				return -1;
			}
			free(sets[i].items[k].cfg.crashdump);
			sets[i].items[k].cfg.crashdump = d;
		}
	}
	return 0;
}

/* Append `add`'s scenarios to `all` (moving them). */
static int append(struct run_report *all, struct run_report *add)
{
	if (!all->n_scenarios && !all->scenarios) {
		*all = *add;
		memset(add, 0, sizeof *add);
		return 0;
	}
	struct scenario_result *n = realloc(all->scenarios, (all->n_scenarios + add->n_scenarios) * sizeof *n);
	if (!n)
		return -1;
	memcpy(n + all->n_scenarios, add->scenarios, add->n_scenarios * sizeof *n);
	all->scenarios = n;
	all->n_scenarios += add->n_scenarios;
	free(add->scenarios);
	add->scenarios = NULL;
	add->n_scenarios = 0;
	return 0;
}

int cmd_run(int argc, char **argv)
{
	struct run_args a = { 0 };
	static const struct option opts[] = {
		{ "output", required_argument, 0, 'o' }, { "only", required_argument, 0, 'n' },
		{ "html", no_argument, 0, 'H' },         { "json", no_argument, 0, 'J' },
		{ "distribution", no_argument, 0, 'd' },
		{ "list", no_argument, 0, 'l' },         { "quiet", no_argument, 0, 'q' },
		{ "restore-strategy", required_argument, 0, 's' },
		{ "repeat", required_argument, 0, 'r' },
		{ "allow-paths", no_argument, 0, 'P' },
		{ "crashdump", required_argument, 0, 'C' },
		{ "help", no_argument, 0, 'h' },         { 0, 0, 0, 0 },
	};
	char *args[argc + 2];
	args[0] = "snapbench run";
	memcpy(args + 1, argv, sizeof(char *) * (size_t)argc);
	args[argc + 1] = NULL;
	optind = 1;
	int c;
	while ((c = getopt_long(argc + 1, args, "o:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'o': a.out_dir = optarg; break;
		case 'n':
			if (a.n_only == sizeof a.only / sizeof a.only[0]) {
				fprintf(stderr, "snapbench run: --only: at most 16 names\n");
				return CLI_EXIT_USAGE;
			}
			a.only[a.n_only++] = optarg;
			break;
		case 's': {
			struct sb_err serr;
			if (scenario_strategies_parse(optarg, &a.strategies, &serr)) {
				fprintf(stderr, "snapbench run: --restore-strategy: %s\n", serr.msg);
				return CLI_EXIT_USAGE;
			}
			break;
		}
		case 'r': {
			char *end;
			errno = 0;
			unsigned long n = strtoul(optarg, &end, 10);
			if (errno || end == optarg || *end || optarg[0] == '-' || n < 1 ||
			    n > RESULTS_RUNS_MAX) {
				fprintf(stderr, "snapbench run: --repeat: '%s' is not a number of runs "
						"from 1 to %d\n",
					optarg, RESULTS_RUNS_MAX);
				return CLI_EXIT_USAGE;
			}
			a.repeat = (unsigned)n;
			break;
		}
		case 'P': a.allow_paths = true; break;
		case 'C':
			if (writable_dir("--crashdump", optarg))
				return CLI_EXIT_USAGE;
			a.crashdump = optarg;
			break;
		case 'H': a.html = true; break;
		case 'J': break; /* report.json is always written */
		case 'd': a.distribution = true; break;
		case 'l': a.list = true; break;
		case 'q': a.quiet = true; break;
		case 'h': usage(stdout); return CLI_EXIT_OK;
		default: usage(stderr); return CLI_EXIT_USAGE;
		}
	}
	size_t nfiles = (size_t)(argc + 1 - optind);
	char **files = args + optind;

	for (size_t i = 0; i < nfiles; i++) {
		struct stat st;
		if (stat(files[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			fprintf(stderr, "snapbench run: %s is a directory; give its scenario files "
					"('snapbench run %s%s*.ini')\n",
				files[i], files[i], files[i][strlen(files[i]) - 1] == '/' ? "" : "/");
			return CLI_EXIT_USAGE;
		}
	}
	/* Parse everything before running anything: a bad file never starts. */
	size_t nsets = nfiles ? nfiles : 1, matched = 0;
	struct scenario_set *sets = calloc(nsets, sizeof *sets);
	size_t *parsed = calloc(nsets, sizeof *parsed); /* counts before --only */
	struct sb_err err;
	int rc = CLI_EXIT_USAGE;
	struct run_report all = { 0 };
	if (!sets || !parsed) {
		free(sets);
		free(parsed);
		return CLI_EXIT_FAIL;
	}
	for (size_t i = 0; i < nsets; i++) {
		int prc = nfiles ? scenario_set_parse_file(&sets[i], files[i], &err)
				 : scenario_set_parse_string(&sets[i], "(built-in scenarios)",
							    sb_builtin_scenarios, &err);
		if (prc == 0 && a.strategies)
			prc = scenario_set_restore_strategies(&sets[i], a.strategies, &err);
		parsed[i] = sets[i].n;
		if (prc) {
			fprintf(stderr, "snapbench run: %s\n", err.msg);
			goto out;
		}
	}
	if (a.crashdump && set_crashdump(sets, nsets, "")) {
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	if (check_sets(sets, nsets, a.allow_paths, &err)) {
		fprintf(stderr, "snapbench run: %s\n", err.msg);
		goto out;
	}
	/* --crashdump is the user's own choice: set after the files' paths
	 * were checked (without theirs). */
	if (a.crashdump && set_crashdump(sets, nsets, a.crashdump)) {
		rc = CLI_EXIT_FAIL;
		goto out;
	}
	if (check_only(sets, nsets, &a))
		goto out;
	for (size_t i = 0; i < nsets; i++) {
		int kept = filter(&sets[i], &a, &matched);
		if (a.n_only)
			sets[i].n = (size_t)kept;
	}
	if (a.n_only && !matched) {
		fprintf(stderr, "snapbench run: --only: no scenario has that name\n");
		goto out;
	}
	if (a.list) {
		for (size_t i = 0; i < nsets; i++)
			for (size_t k = 0; k < sets[i].n; k++)
				printf("%-32s %-9s %s\n", sets[i].items[k].name,
				       sandbox_restore_strategy_name(scenario_strategy(&sets[i].items[k])),
				       sets[i].items[k].cfg.description);
		rc = CLI_EXIT_OK;
		goto out;
	}

	/* save and load steps write and read inside it; made (and checked)
	 * before anything runs */
	char run_dir[4096];
	if (a.out_dir) {
		if (writable_dir("-o", a.out_dir))
			goto out;
	} else {
		char msg[512];
		if (results_dir_new(RESULTS_DIR_BASE, run_dir, sizeof run_dir, msg, sizeof msg)) {
			fprintf(stderr, "snapbench run: %s (-o DIR writes elsewhere)\n", msg);
			goto out;
		}
		a.out_dir = run_dir;
	}
	struct runner_options ro = { .progress = !a.quiet && isatty(STDERR_FILENO),
				     .tool_version = SNAPBENCH_VERSION, .repeat = a.repeat,
				     .failures = stderr, .file_dir = a.out_dir };
	rc = CLI_EXIT_FAIL;
	for (size_t i = 0; i < nsets; i++) {
		struct run_report r;
		if (runner_run(&sets[i], &ro, &r, &err)) {
			fprintf(stderr, "snapbench run: %s\n", err.msg);
			goto out;
		}
		for (size_t k = 0; k < r.n_scenarios; k++)
			if (r.scenarios[k].cal.warning[0])
				fprintf(stderr, "snapbench run: %s: calibration: %s\n",
					r.scenarios[k].name, r.scenarios[k].cal.warning);
		if (append(&all, &r)) {
			run_report_free(&r);
			goto out;
		}
	}
	/* what ran and where: `snapbench report --command` redoes it */
	all.command_line = build_shell_join(cli_argc, cli_argv);
	all.working_dir = getcwd(NULL, 0);
	if (!all.command_line || !all.working_dir) {
		fprintf(stderr, "snapbench run: cannot record the command line or the working "
				"directory: %s\n", strerror(errno ? errno : ENOMEM));
		goto out;
	}
	/* The reports are written even when the summary cannot be: they are
	 * the run's record. Either failing fails the command. */
	bool summary_failed = !a.quiet && report_write_text(&all, stdout, a.distribution) != 0;
	if (summary_failed)
		fprintf(stderr, "snapbench run: writing the summary to stdout failed\n");
	if (write_reports(&all, &a, &err)) {
		fprintf(stderr, "snapbench run: %s\n", err.msg);
		goto out;
	}
	if (a.out_dir == run_dir) {
		char msg[512];
		if (results_dir_link_latest(RESULTS_DIR_BASE, run_dir, msg, sizeof msg)) {
			fprintf(stderr, "snapbench run: %s\n", msg);
			goto out;
		}
	}
	rc = summary_failed ? CLI_EXIT_FAIL : CLI_EXIT_OK;
	for (size_t i = 0; i < all.n_scenarios; i++) {
		const struct scenario_result *s = &all.scenarios[i];
		if (s->failed) {
			fprintf(stderr, "snapbench run: %s failed: %s\n", s->name, s->error);
			rc = CLI_EXIT_FAIL;
		}
		for (size_t k = 0; k < s->n_expects; k++) {
			if (!s->expects[k].passed) {
				fprintf(stderr, "snapbench run: %s: expectation '%s' not met: %s\n", s->name,
					s->expects[k].text, s->expects[k].why);
				rc = CLI_EXIT_FAIL;
			}
		}
	}
out:
	run_report_free(&all);
	for (size_t i = 0; i < nsets; i++) {
		sets[i].n = parsed[i]; /* every parsed scenario is freed */
		scenario_set_free(&sets[i]);
	}
	free(sets);
	free(parsed);
	return rc;
}
