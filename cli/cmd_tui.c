/* cmd_tui.c — `snapbench tui`: the curses UI and its text dumps (tui/).
 * The live run's results are written by run's own code (cmd_run.c), so the
 * two write the same files in the same place. */
#include "cli.h"
#include "tui.h"

static int write_results(const struct run_report *r, const char *out_dir, struct sb_err *err)
{
	return cmd_run_write_results(r, out_dir, true, err);
}

int cmd_tui(int argc, char **argv)
{
	return tui_main(argc, argv, write_results);
}
