/* cli.h — subcommands of snapbench and their shared conventions.
 *
 * Exit codes: 0 success, 1 the work failed (an error message says why),
 * 2 bad usage (unknown option, bad value).
 */
#ifndef SNAPBENCH_WORKBENCH_CLI_H
#define SNAPBENCH_WORKBENCH_CLI_H

#include <stdbool.h>
#include <stddef.h>

#define CLI_EXIT_OK 0
#define CLI_EXIT_FAIL 1
#define CLI_EXIT_USAGE 2

struct cli_command {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv); /* argv after the subcommand name */
};

const struct cli_command *cli_commands(size_t *n);

/* The command a mistyped NAME most likely meant (a prefix of it, or at
 * most two edits away), or NULL. */
const char *cli_nearest_command(const char *name);
/* The same for 'snapbench help TOPIC': a command or 'scenario'. */
const char *cli_nearest_help_topic(const char *name);

/* The whole command line main() was given (the program as invoked, the
 * subcommand and its arguments): what a report records as the command
 * that ran. */
extern int cli_argc;
extern char **cli_argv;

/* `snapbench report --command FILE.json` (cmd_report_command.c). */
int cmd_report_command(const char *path);

int cmd_layout(int argc, char **argv);
int cmd_help(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_tui(int argc, char **argv);

/* Write a run's report.json (and report.html if html) into out_dir as
 * `snapbench run` does; the curses UI's live run uses it on `q`. */
struct run_report;
struct sb_err;
int cmd_run_write_results(const struct run_report *r, const char *out_dir, bool html,
			  struct sb_err *err);

#endif
