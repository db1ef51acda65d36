/* cmd_report_command.c — `snapbench report --command FILE.json`: the shell
 * command that redoes the run the report records (schema 5): a cd to the
 * recorded working directory when it is not this one, then the recorded
 * command line, on one line a shell can take as it is. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "build_info.h"
#include "cli.h"
#include "reports.h"

int cmd_report_command(const char *path)
{
	struct run_report r;
	struct sb_err err = { 0 };
	if (report_read_json(&r, path, &err)) {
		fprintf(stderr, "snapbench report: %s\n", err.msg);
		return CLI_EXIT_FAIL;
	}
	int rc = CLI_EXIT_FAIL;
	if (!r.command_line || !r.command_line[0]) {
		fprintf(stderr,
			"snapbench report: %s: records no command line (schema %d; reports of schema "
			"5 and later do)\n",
			path, r.schema_version);
		goto out;
	}
	char *here = getcwd(NULL, 0);
	bool cd = r.working_dir && r.working_dir[0] && (!here || strcmp(here, r.working_dir) != 0);
	free(here);
	char *dir = cd ? build_shell_quote(r.working_dir) : NULL;
	if (cd && !dir) {
		fprintf(stderr, "snapbench report: out of memory\n");
		goto out;
	}
	if (cd)
		printf("cd %s && %s\n", dir, r.command_line);
	else
		printf("%s\n", r.command_line);
	free(dir);
	rc = fflush(stdout) || ferror(stdout) ? CLI_EXIT_FAIL : CLI_EXIT_OK;
out:
	run_report_free(&r);
	return rc;
}
