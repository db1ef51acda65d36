/* cmd_tui.c — `snapbench tui`: the curses UI and its text dumps (tui/). */
#include "cli.h"
#include "tui.h"

int cmd_tui(int argc, char **argv)
{
	return tui_main(argc, argv);
}
