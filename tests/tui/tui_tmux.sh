#!/bin/sh
# tui_tmux.sh — the curses UI in a detached 80x24 tmux session: send keys,
# capture the pane after each, grep it; check q ends the process.
# Usage: tui_tmux.sh SNAPBENCH_TUI [ARGS...]  (a binary whose arguments are
# those of `snapbench tui`; for snapbench itself pass: snapbench tui).
# Exit 77 (skipped) without tmux.
set -u
command -v tmux >/dev/null 2>&1 || { echo "tmux not installed: skipped"; exit 77; }
[ $# -ge 1 ] || { echo "usage: $0 SNAPBENCH_TUI [ARGS...]"; exit 2; }

sock="tui-test-$$"
sess="tui"
. "$(dirname "$0")/tmux_lib.sh"
cleanup() { T kill-server >/dev/null 2>&1; }
trap cleanup EXIT INT TERM

cmd=""
for a in "$@"; do cmd="$cmd '$a'"; done
# NO_COLOR: the monochrome path (letters, reverse video) is what we grep.
T -f /dev/null new-session -d -s "$sess" -x 80 -y 24 \
  "env TERM=screen NO_COLOR=1 $cmd; echo EXITED-\$?; sleep 30" || { echo "tmux failed"; exit 1; }

capture 1.5
expect "1 Layout" "tab bar"
expect "guest-virtual" "layout view first"
expect "details: code" "details box of the selected region"
expect "> code" "cursor on the first region"
expect "? Help q Quit Tab View" "key bar from the binding table"
spans 80

send Down Down
capture
expect "> heap" "cursor moves"
expect "details: heap" "details follow the cursor"

send Tab
capture
expect "page tables (x86-64)" "Tab: page-table view"
expect "filter: all, 2 rows" "top level collapsed"
expect ": GotoVA" "view keys in the bar"

send Enter
capture
expect "- PML4 000" "Enter expands"
expect "+ PDPT 000" "child row"

send :
capture
expect "Go to VA (hex):" ": prompts"
send 5000 Enter
capture
expect "translation of VA 0000000000005000" "jump shows the path"
expect_line "^>.* 0000000000005000 " "cursor on the VA's row"
expect "-> PA" "translated"

send f
capture
expect "filter: CoW" "f cycles the filter"
send f f f
capture
expect "filter: all" "filter wraps around"

send 3
capture
expect "pages of the image" "3: dedup view"
expect "legend: C code" "lettered grid legend"
send c
capture
expect "compare B with A" "c: compare"

send 4
capture
expect "no scenario to run" "4: live view without a scenario"

send '?'
capture
expect "snapbench tui: keys" "help screen"
send NPage
capture
expect "go to a VA" "help lists view bindings"
send '?'
capture
reject "snapbench tui: keys" "? closes help"

T resize-window -t "$sess" -x 100 -y 30
capture 0.8
h=$(printf '%s\n' "$pane" | wc -l)
if [ "$h" -eq 30 ]; then echo "ok: resized to 30 rows"; else echo "FAIL: $h rows after resize"; fails=$((fails + 1)); fi
last=$(printf '%s\n' "$pane" | tail -n 1)
case $last in *"? Help"*) echo "ok: key bar redrawn on the new bottom row" ;;
*) echo "FAIL: bottom row after resize: '$last'"; fails=$((fails + 1)) ;; esac
send 1
capture
expect "details: heap" "back to layout, cursor kept"
spans 100

send q
capture 0.8
expect "EXITED-0" "q quits with status 0"

echo "tui tmux: $fails failed"
[ "$fails" -eq 0 ]
