#!/bin/sh
# tui_nav_tmux.sh — issue 14's navigation in a detached 80x24 tmux
# session: the top of the layout view is reachable (Home/g, PgUp, Up on
# the first region), `/` searches and n/N move between hits, +/- expand
# and collapse every entry, h/l, the dedup grid's cursor, the key bar
# showing only the keys that apply (the hex view's q Back), the mouse
# (wheel, click on a row, on a grid page, on a tab), then the colour path
# against the monochrome one, and a stdin that is not a terminal refused.
# Usage: tui_nav_tmux.sh SNAPBENCH_TUI [ARGS...] (as tui_tmux.sh).
# Exit 77 (skipped) without tmux.
set -u
command -v tmux >/dev/null 2>&1 || { echo "tmux not installed: skipped"; exit 77; }
[ $# -ge 1 ] || { echo "usage: $0 SNAPBENCH_TUI [ARGS...]"; exit 2; }

sock="tui-nav-$$"
sess="nav"
. "$(dirname "$0")/tmux_lib.sh"
cleanup() { T kill-server >/dev/null 2>&1; }
trap cleanup EXIT INT TERM

cmd=""
for a in "$@"; do cmd="$cmd '$a'"; done

# stdin not a terminal: refused at once (it used to spin at 100% CPU)
out=$(timeout 10 sh -c "$cmd </dev/null" 2>&1)
rc=$?
if [ $rc -eq 2 ] && printf '%s' "$out" | grep -qF -- "--dump"; then echo "ok: stdin not a terminal: exit 2, points at --dump"
else echo "FAIL: stdin not a terminal: exit $rc, '$out'"; fails=$((fails + 1)); fi

T -f /dev/null new-session -d -s "$sess" -x 80 -y 24 \
  "env TERM=screen NO_COLOR=1 $cmd; echo EXITED-\$?; sleep 30" || { echo "tmux failed"; exit 1; }

# ---- layout: the top (source, summary, guest-physical bars) at 80x24
capture 1.5
expect "details: code" "layout opens at its end (the details box)"
reject "INIT snapshot, gen 0" "the summary is above the screen at 80x24"
send Home
capture
expect "INIT snapshot, gen 0" "Home: the top of the layout view"
expect "(embedded test guest)" "Home: the source line"
expect "> code" "Home: cursor on the first region"
send G
capture
expect "> exn stack" "G: the last region"
expect "details: exn stack" "G: its details"
reject "INIT snapshot" "G: the end"
send g
capture
expect "INIT snapshot, gen 0" "g: the top again (as in less)"
send End PPage
capture
expect "INIT snapshot, gen 0" "PgUp scrolls up to the top"
send End Up
capture
expect "> undo log" "Up after End moves the cursor"
send g k
capture
expect "guest-physical" "Up on the first region keeps the top in sight"
send j j
capture
expect "> heap" "j moves the cursor"
send / heap Enter
capture
expect "> heap" "/ finds a region by name"
send G / guest-physical Enter
capture
expect "-- guest-physical" "/ other text: the text scrolls to it"
send k
capture
expect "> undo log" "a cursor move brings the cursor back in sight"
send / heap Enter

# ---- page tables: search, n/N, expand/collapse all, h/l, the key bar
send 2
capture
expect ": GotoVA" "the tree's keys in the bar"
reject "Root" "r is not in the bar with one address space"
send / "nx cow" Enter
capture
expect_line "^>.* PT   00d 000000000000d000 " "/nx cow: the first NX CoW leaf, its path opened"
send n
capture
expect_line "^>.* PT   00e " "n: the next hit"
send N
capture
expect_line "^>.* PT   00d " "N: the previous hit"
send / stack Enter
capture
expect "translation of VA fffffffffffec000" "/ with a region name: its first VA's path"
send / d010 Enter
capture
expect "translation of VA 000000000000d010" "/ with a hex VA: its path (as :)"
send / nosuchthing Enter
capture
expect "not found: nosuchthing" "a search without a hit says so"
send -
capture
expect "filter: all, 2 rows" "-: every entry collapsed"
send +
capture
expect_line "filter: all, [0-9]{3,} rows" "+: every entry expanded"
send - l
capture
expect "- PML4 000" "l expands"
send h
capture
expect "+ PML4 000" "h collapses"
send / "PT   001" Enter Enter
capture
expect "memory at VA 0000000000001000" "Enter on a leaf: the hex view"
expect "q Back" "the hex view's bar: q goes back"
reject "Filter" "the tree's keys are not in the hex view's bar"
reject "GotoVA" "no go-to-VA in the hex view's bar"
reject "Search" "no search in the hex view's bar"
send q
capture
expect "f Filter" "q: back to the tree and its keys"

# ---- dedup: the grid's cursor
send 3
capture
expect "page at the cursor: GPA 000001000, C code, 1 VA" "the grid has a cursor, its page below"
send l l l l l l l l l l l
capture
expect "page at the cursor: GPA 00000c000, D PEB/heap data, 1 VA" "l moves it page by page"
send Down
capture
expect "page at the cursor: GPA 000033000, T page table" "Down: a grid row further (here: the last page)"
send / 1000 Enter
capture
expect "page at the cursor: GPA 000001000" "/ with an address: its page"
expect "c Compare" "compare applies (a chain is loaded)"
reject "a Alias" "no aliased page: its key is not in the bar"

# ---- the mouse (X10 reports, as tmux passes them on): wheel, clicks
# at column x, row y (0-based): ESC [ M (32+b) (33+x) (33+y); a click is
# a press (b 0) and a release (b 3); the wheel has no release (b 64, 65)
mev() { T send-keys -t "$sess" -H 1b 5b 4d "$(printf %x $((32 + $1)))" \
  "$(printf %x $((33 + $2)))" "$(printf %x $((33 + $3)))"; }
click() { mev "$@"; [ "$1" -ge 64 ] || mev 3 "$2" "$3"; }
click 0 18 6 # the first grid row (screen row 6), page 7 of the grid
capture
expect "page at the cursor: GPA 000008000, C code" "a click on a grid page selects it"
click 0 2 0
capture
expect "> heap" "a click on the tab bar switches views (layout, its cursor kept)"
send g
capture
click 0 4 14 # the region rows start at screen row 13
capture
expect "> PEB" "a click on a region row selects it"
send G
capture
click 64 5 5 # wheel up, three rows a notch
click 64 5 5
click 64 5 5
capture
expect "-- guest-virtual" "the wheel scrolls the text up (9 rows)"
expect "> exn stack" "the wheel leaves the cursor where it is"

send '?' End
capture
expect "Mouse: a click selects" "the help says what the mouse does (End: its last rows)"
expect "? Help q Quit" "the help's bar: only the keys that close it"
reject "Search" "no search from the help"
send q
capture
send q
capture 0.8
expect "EXITED-0" "q quits"
T kill-server >/dev/null 2>&1

# ---- colour: the grid letters and map bars are coloured unless NO_COLOR
colour_pane() { pane=$(T capture-pane -e -p -t "$sess"); }
sock="tui-nav-colour-$$"
T -f /dev/null new-session -d -s "$sess" -x 80 -y 24 \
  "env TERM=screen-256color $cmd; echo EXITED-\$?; sleep 30" || { echo "tmux failed"; exit 1; }
sleep 1.5
send 3
sleep 0.4
colour_pane
# Z (zero) is cyan (pair 5), T (page table) magenta (pair 4), C code blue
expect_line "$(printf '\033')\\[3[0-9]?6m" "colour: zero pages in cyan"
expect_line "$(printf '\033')\\[3[0-9]?5m" "colour: page-table pages in magenta"
expect_line "$(printf '\033')\\[3[0-9]?4m" "colour: code pages in blue"
send q
T kill-server >/dev/null 2>&1
sock="tui-nav-mono-$$"
T -f /dev/null new-session -d -s "$sess" -x 80 -y 24 \
  "env TERM=screen-256color NO_COLOR=1 $cmd; echo EXITED-\$?; sleep 30" || { echo "tmux failed"; exit 1; }
sleep 1.5
send 3
sleep 0.4
colour_pane
if printf '%s\n' "$pane" | grep -qE "$(printf '\033')\\[3[0-9]?[1-7]m"; then
  echo "FAIL: NO_COLOR: colours on screen"; fails=$((fails + 1))
else echo "ok: NO_COLOR: no colours"; fi
expect_line "$(printf '\033')\\[[0-9;]*7m" "NO_COLOR: the cursor in reverse video"
expect "ZZZZ" "NO_COLOR: the letters carry the meaning"

T kill-server >/dev/null 2>&1

# ---- -o where q would write a live run's results: checked before the run
sock="tui-nav-out-$$"
ini=$(mktemp) || exit 1
printf '[x]\nstep = create\n' >"$ini"
T -f /dev/null new-session -d -s "$sess" -x 80 -y 24 \
  "env TERM=screen NO_COLOR=1 $cmd -o /proc/no/such/dir '$ini'; echo EXITED-\$?; sleep 30" ||
  { echo "tmux failed"; exit 1; }
capture 1.5
rm -f "$ini"
expect "snapbench tui: -o /proc/no/such/dir: No such file or directory" "an unwritable -o: said before the run"
expect "EXITED-2" "an unwritable -o: exit 2"

echo "tui nav tmux: $fails failed"
[ "$fails" -eq 0 ]
