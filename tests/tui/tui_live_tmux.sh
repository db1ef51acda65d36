#!/bin/sh
# tui_live_tmux.sh — the live-run view on a real run, in a detached 80x24
# tmux session: start paused, step, inspect the live sandbox, step,
# inspect again, see the inspected snapshot in the page-table view (its
# header says live), compare the two in the dedup view, resume to the end,
# quit with status 0; then quit while paused mid-run (the worker must be
# told to stop, and the process must exit 0).
# Usage: tui_live_tmux.sh SNAPBENCH_TUI [ARGS...] (as tui_tmux.sh).
# Exit 77 (skipped) without tmux or /dev/kvm.
set -u
command -v tmux >/dev/null 2>&1 || { echo "tmux not installed: skipped"; exit 77; }
[ -e /dev/kvm ] || { echo "skipped: /dev/kvm is missing"; exit 77; }
[ $# -ge 1 ] || { echo "usage: $0 SNAPBENCH_TUI [ARGS...]"; exit 2; }

sock="tui-live-$$"
sess="live"
dir=$(mktemp -d) || exit 1
capture_wait=0.5
. "$(dirname "$0")/tmux_lib.sh"
cleanup() { T kill-server >/dev/null 2>&1; rm -rf "$dir"; }
# (sock changes for the second run; cleanup kills the one in use)
trap cleanup EXIT INT TERM

cat > "$dir/tiny.ini" <<'INI'
[global]
iterations = 4
warmup = 0
[tiny]
description = the live view's test: inspect a sandbox between its steps
step = create
step = call touch_pages(3u)
step = snapshot as s
step = destroy
INI

cmd=""
for a in "$@"; do
  case $a in /*) ;; */*) a=$(pwd)/$a ;; esac # the session starts in $dir
  cmd="$cmd '$a'"
done
# start [OUT]: with -o OUT (default $dir/results); OUT "-": no -o, run in
# $dir, so q writes where run would: $dir/snapbench-results/TIME/ + latest
start() {
  out=${1:-$dir/results}
  o="-o '$out'"; [ "$out" = - ] && o=""
  T -f /dev/null new-session -d -s "$sess" -x 80 -y 24 -c "$dir" \
    "env TERM=screen NO_COLOR=1 $cmd --paused $o '$dir/tiny.ini'; echo EXITED-\$?; sleep 30" ||
    { echo "tmux failed"; exit 1; }
}
# wait_for TEXT WHAT: up to 10 s for TEXT (the run's calibration and
# sandbox creation take a moment), then expect it
wait_for() {
  i=0
  while [ $i -lt 40 ]; do
    capture 0.25
    printf '%s\n' "$pane" | grep -qF -- "$1" && break
    i=$((i + 1))
  done
  expect "$1" "$2"
}

start
wait_for "next: sandbox 0, step 'create' (line 6)" "starts paused before the first step"
expect "live run: PAUSED" "paused"
expect "i Inspect" "inspect key in the bar (binding table)"

send i
capture
expect "nothing to inspect: sandbox 0 has no VM before step 'create'" "no sandbox before create"

send s
wait_for "next: sandbox 0, step 'call touch_pages' (line 7)" "s runs exactly one step"
expect "create                      1" "create counted once"

send i
wait_for "inspected sandbox 0 (generation 1)" "i snapshots the live sandbox"
expect "live: scenario tiny, sandbox 0, before step 'call touch_pages' (line 7)" "header says what is shown"
case $(printf '%s\n' "$pane" | head -n 1) in
*tiny.ini) echo "ok: the live view's tab bar still names the scenario file" ;;
*) echo "FAIL: live view tab bar: '$(printf '%s\n' "$pane" | head -n 1)'"; fails=$((fails + 1)) ;;
esac

send s
wait_for "next: sandbox 0, step 'snapshot s' (line 8)" "second step"
expect "call touch_pag 1st/new      1" "the call counted once (in its row first after create, shortened to 22 columns)"
send i
wait_for "inspected sandbox 0 (generation 2)" "second inspection"
expect "dedup compares the last two" "two inspections make a pair"

send 2
capture
expect "live: scenario tiny, sandbox 0, before step 'snapshot s' (line 8)" "page tables: header says live"
expect "page tables (x86-64)" "page-table tree of the live snapshot"
expect "+ PML4 000" "top-level entry"
send Enter
capture
expect "- PML4 000" "the tree expands"

send 3
capture
expect "pages of the image" "dedup of the live snapshot"
send c
capture
expect "A = live: scenario tiny, sandbox 0, before step 'call touch_pages'" "compare: A is the first inspection"
expect "B = live: scenario tiny, sandbox 0, before step 'snapshot s'" "compare: B is the second"
expect "~ changed 3" "the 3 heap pages touch_pages wrote changed"

send 4 p
wait_for "live run: finished" "p resumes; the run ends"
expect "tiny: done, 4/4 iterations" "every iteration ran"
expect "snapshot s                  4" "per-step counts"
send q
capture 0.8
expect "EXITED-0" "q quits with status 0"
expect "wrote $dir/results/report.json" "q writes the results as run does"
# as `snapbench run` writes them: report.json and (run --html) report.html
if grep -q '"name": *"tiny"' "$dir/results/report.json" 2>/dev/null && [ -s "$dir/results/report.html" ]; then
  echo "ok: report.json and report.html written"
else echo "FAIL: no report of scenario tiny in $dir/results"; ls -l "$dir/results"; fails=$((fails + 1)); fi
rm -rf "$dir/results"
T kill-server >/dev/null 2>&1

# Quit while paused in the middle of the run (a server of its own), no -o:
# the results go where run puts them, a new run directory and its link.
sock="$sock-2"
start -
wait_for "next: sandbox 0, step 'create'" "second run starts paused"
send s s
wait_for "next: sandbox 0, step 'snapshot s'" "two steps"
send q
capture 1
expect "EXITED-0" "q while paused stops the worker and exits 0"
[ -s "$dir/snapbench-results/latest/report.json" ] &&
  echo "ok: what ran is written when q stops the run, in a run directory with latest, as run" ||
  { echo "FAIL: q mid-run wrote no snapbench-results/latest/report.json"; ls -lR "$dir"; fails=$((fails + 1)); }

echo "tui live tmux: $fails failed"
[ "$fails" -eq 0 ]
