/* main.c — the snapbench command: subcommand dispatch. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "version.h"

static const struct cli_command commands[] = {
	{ "run", "run scenario files (or the built-in set) and write reports", cmd_run },
	{ "report", "print or convert a report written by run", cmd_report },
	{ "compare", "compare two reports; exit 1 on a regression", cmd_compare },
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
	fprintf(stderr, "snapbench: unknown command '%s' (try 'snapbench help')\n", name);
	return CLI_EXIT_USAGE;
}
