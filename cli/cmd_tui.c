/* cmd_tui.c — `snapbench tui`: the curses UI and its text dumps (tui/).
 * The live run's results are written by run's own code (cmd_run.c), so the
 * two write the same files in the same place. */
#include "cli.h"
#include "results_dir.h"
#include "tui.h"

/* out_dir NULL (no -o): as run, a new run directory and the latest link. */
static int write_results(const struct run_report *r, const char *out_dir, struct sb_err *err)
{
	char dir[4096], msg[512];
	if (out_dir)
		return cmd_run_write_results(r, out_dir, true, err);
	if (results_dir_new(RESULTS_DIR_BASE, dir, sizeof dir, msg, sizeof msg))
		return sb_errf(err, SB_E_IO, "%s", msg);
	if (cmd_run_write_results(r, dir, true, err))
		return -1;
	if (results_dir_link_latest(RESULTS_DIR_BASE, dir, msg, sizeof msg))
		return sb_errf(err, SB_E_IO, "%s", msg);
	return 0;
}

int cmd_tui(int argc, char **argv)
{
	return tui_main(argc, argv, write_results);
}
