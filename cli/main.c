/* main.c — the snapbench command: subcommand dispatch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "version.h"

static const struct cli_command commands[] = {
	{ "run", "run scenario files (or the built-in set) and write reports", cmd_run },
	{ "report", "print or convert a report written by run", cmd_report },
	{ "compare", "compare two reports, or the last two runs; exit 1 on a regression",
	  cmd_compare },
	{ "inspect", "layout and page tables of a snapshot file or guest ELF", cmd_inspect },
	{ "tui", "curses UI: layout, page tables, dedup, live run", cmd_tui },
	{ "layout", "print the memory layout of a sandbox", cmd_layout },
	{ "bench", "measure exit, call and create latencies of the test guest", cmd_bench },
	{ "help", "show help for snapbench or a subcommand", cmd_help },
};

const struct cli_command *cli_commands(size_t *n)
{
	*n = sizeof commands / sizeof commands[0];
	return commands;
}

/* Edit distance (insertions, deletions, substitutions, adjacent swaps) of
 * two short words, capped: enough to tell a typo from another word. */
static unsigned distance(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);
	if (na > 31 || nb > 31)
		return 99;
	unsigned d[32][32];
	for (size_t i = 0; i <= na; i++)
		d[i][0] = (unsigned)i;
	for (size_t j = 0; j <= nb; j++)
		d[0][j] = (unsigned)j;
	for (size_t i = 1; i <= na; i++) {
		for (size_t j = 1; j <= nb; j++) {
			unsigned best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	}
	return d[na][nb];
}

/* The nearest of the commands and, when not NULL, one more word. */
static const char *nearest(const char *name, const char *extra)
{
	size_t n;
	const struct cli_command *cmds = cli_commands(&n);
	const char *best = NULL;
	unsigned best_d = 3; /* more than two edits is another word */
	for (size_t i = 0; i <= n; i++) {
		const char *w = i < n ? cmds[i].name : extra;
		if (!w)
			break;
		unsigned d = distance(name, w);
		/* a prefix ("comp", "insp") names the command too */
		if (name[0] && strncmp(w, name, strlen(name)) == 0)
			d = 1;
		if (d < best_d) {
			best_d = d;
			best = w;
		}
	}
	return best;
}

const char *cli_nearest_command(const char *name)
{
	return nearest(name, NULL);
}

const char *cli_nearest_help_topic(const char *name)
{
	return nearest(name, "scenario");
}

int cli_argc;
char **cli_argv;

int main(int argc, char **argv)
{
	cli_argc = argc;
	cli_argv = argv;
	/* No subcommand: the main job on built-in defaults. */
	if (argc < 2)
		return cmd_run(0, NULL);
	const char *name = argv[1];
	if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0)
		return cmd_help(0, NULL);
	if (strcmp(name, "--version") == 0) {
		printf("snapbench %s\n", SNAPBENCH_VERSION);
		return 0;
	}
	size_t n;
	const struct cli_command *cmds = cli_commands(&n);
	for (size_t i = 0; i < n; i++)
		if (strcmp(cmds[i].name, name) == 0)
			return cmds[i].run(argc - 2, argv + 2);
	const char *near = cli_nearest_command(name);
	if (near)
		fprintf(stderr, "snapbench: unknown command '%s'; did you mean '%s'? ('snapbench "
				"help' lists the commands)\n",
			name, near);
	else
		fprintf(stderr, "snapbench: unknown command '%s' (try 'snapbench help')\n", name);
	return CLI_EXIT_USAGE;
}
