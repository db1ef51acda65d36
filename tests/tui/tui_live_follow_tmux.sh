#!/bin/sh
# tui_live_follow_tmux.sh — the live view on a run of two scenarios, one
# with a failing call, in a detached 80x24 tmux session: the cursor
# follows the running scenario (and expands it), warm-up rows say so
# instead of 0ns, the errors column counts, the first error wraps whole,
# the header and the key bar follow the run's state, h/l choose a scenario
# and F follows again, q writes the results as `snapbench run` does.
# Usage: tui_live_follow_tmux.sh SNAPBENCH_TUI [ARGS...] (as tui_tmux.sh).
# Exit 77 (skipped) without tmux or /dev/kvm.
set -u
command -v tmux >/dev/null 2>&1 || { echo "tmux not installed: skipped"; exit 77; }
[ -e /dev/kvm ] || { echo "skipped: /dev/kvm is missing"; exit 77; }
[ $# -ge 1 ] || { echo "usage: $0 SNAPBENCH_TUI [ARGS...]"; exit 2; }

sock="tui-follow-$$"
sess="follow"
dir=$(mktemp -d) || exit 1
capture_wait=0.5
. "$(dirname "$0")/tmux_lib.sh"
cleanup() { T kill-server >/dev/null 2>&1; rm -rf "$dir"; }
trap cleanup EXIT INT TERM
wait_for() {
  i=0
  while [ $i -lt 40 ]; do
    capture 0.25
    printf '%s\n' "$pane" | grep -qF -- "$1" && break
    i=$((i + 1))
  done
  expect "$1" "$2"
}

cat > "$dir/two.ini" <<'INI'
[global]
iterations = 3
warmup = 2
[first]
description = a call that fails: its error is longer than the screen is wide
step = create
step = call ad(1, 2)
step = call add(1, 2)
[second]
description = the run moves on to it
step = create
step = call add(1, 2)
INI

cmd=""
for a in "$@"; do cmd="$cmd '$a'"; done
T -f /dev/null new-session -d -s "$sess" -x 80 -y 24 \
  "env TERM=screen NO_COLOR=1 $cmd --paused -o '$dir/out' '$dir/two.ini'; echo EXITED-\$?; sleep 30" ||
  { echo "tmux failed"; exit 1; }

wait_for "next: sandbox 0, step 'create'" "starts paused"
expect "-- > first: running" "the cursor is on the running scenario, expanded"
expect "p Resume s Step i Inspect" "paused: resume, step and inspect in the bar"
send s
wait_for "next: sandbox 0, step 'call ad'" "one step"
expect_line "^  create +0 +0 +warm-up +warm-up +warm-up +warm-up" "a warm-up row says warm-up, not 0ns"

send p
wait_for "live run: finished" "p resumes; the header follows to the end"
reject "PAUSED" "the header no longer says paused"
expect "-- > second: done" "the cursor followed the run to the second scenario"
expect_line "^-- first: done" "the first is folded"
reject "p Pause" "finished: no pause in the bar"
reject "p Resume" "finished: no resume in the bar"
reject "s Step" "finished: no step in the bar"
reject "i Inspect" "finished: no inspect in the bar"
reject "F Follow" "following: F is not in the bar"
if printf '%s\n' "$pane" | grep -qE "^  .* warm-up +warm-up"; then
  echo "FAIL: warm-up rows once recorded"; show_pane; fails=$((fails + 1))
else echo "ok: no warm-up rows once recorded"; fi

send h
capture
expect "-- > first: done" "h: the previous scenario"
expect "F Follow" "not following: F in the bar"
expect_line "^  call ad +1st/new +0 +1 +- +- +- +-" "the errors column counts the failed call; no latencies for it"
# the whole message, wrapped to the screen, not cut at 80 columns
expect "  failed: call ad (line 7): ad: guest function failed (code 1): no such guest" \
  "the failed row's first error"
expect_line "^    function$" "the error's end on the next line, indented"
spans 80
send l
capture
expect "-- > second: done" "l: the next scenario"
send h F
capture
expect "-- > second: done" "F: follow the run again (its current scenario)"
reject "F Follow" "following: F leaves the bar"

send q
capture 1
expect "EXITED-0" "q quits with status 0"
expect "wrote $dir/out/report.json" "q writes the results (as run does)"
if grep -q '"name": *"second"' "$dir/out/report.json" 2>/dev/null && [ -s "$dir/out/report.html" ]; then
  echo "ok: report.json and report.html of both scenarios"
else echo "FAIL: no report in $dir/out"; fails=$((fails + 1)); fi

echo "tui live follow tmux: $fails failed"
[ "$fails" -eq 0 ]
