/* cmd_help.c — `snapbench help [COMMAND]`. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "scenario.h"

int cmd_help(int argc, char **argv)
{
	size_t n;
	const struct cli_command *cmds = cli_commands(&n);
	if (argc >= 1 && strcmp(argv[0], "scenario") == 0) {
		scenario_print_help(stdout);
		return CLI_EXIT_OK;
	}
	/* 'help --help' is a question about help: the same text, exit 0 */
	if (argc >= 1 && (strcmp(argv[0], "--help") == 0 || strcmp(argv[0], "-h") == 0))
		argc = 0;
	if (argc >= 1) {
		for (size_t i = 0; i < n; i++) {
			if (strcmp(cmds[i].name, argv[0]) == 0) {
				char *args[] = { "--help", NULL };
				return cmds[i].run(1, args);
			}
		}
		/* 'help scenari' meant the scenario topic, not a command */
		const char *near = cli_nearest_help_topic(argv[0]);
		if (near)
			fprintf(stderr, "snapbench: no help for unknown command '%s'; did you mean "
					"'%s'?\n",
				argv[0], near);
		else
			fprintf(stderr, "snapbench: no help for unknown command '%s' (commands: "
					"'snapbench help')\n",
				argv[0]);
		return CLI_EXIT_USAGE;
	}
	printf("usage: snapbench [COMMAND [OPTIONS]]\n\n"
	       "A workbench for micro-VM snapshot and restore under Linux KVM.\n"
	       "Without a command, runs the built-in scenarios ('snapbench run').\n\n"
	       "commands:\n");
	for (size_t i = 0; i < n; i++)
		printf("  %-10s %s\n", cmds[i].name, cmds[i].summary);
	printf("\n'snapbench help COMMAND' or 'snapbench COMMAND --help' for its options;\n"
	       "'snapbench help scenario' for the scenario file syntax and options.\n"
	       "--version prints the version.\n"
	       "exit codes: 0 success, 1 failure, 2 bad usage\n");
	return CLI_EXIT_OK;
}
