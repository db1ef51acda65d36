#!/bin/sh
# tui_hex_tmux.sh — the hex view under tmux (80x24): in the page-table
# view, jump to a code VA and press Enter on its leaf: the page's bytes;
# scrolling; q and Esc go back to the tree (q does not quit there), q
# then quits. With /dev/kvm, a live run too: inspect a sandbox after a call
# that wrote heap page 0, open that page: the copy beside the original,
# its 8 written bytes marked.
# Usage: tui_hex_tmux.sh SNAPBENCH_TUI [ARGS...] (as tui_tmux.sh).
# Exit 77 (skipped) without tmux.
set -u
command -v tmux >/dev/null 2>&1 || { echo "tmux not installed: skipped"; exit 77; }
[ $# -ge 1 ] || { echo "usage: $0 SNAPBENCH_TUI [ARGS...]"; exit 2; }

sock="tui-hex-$$"
sess="hex"
dir=$(mktemp -d) || exit 1
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

cmd=""
for a in "$@"; do cmd="$cmd '$a'"; done
T -f /dev/null new-session -d -s "$sess" -x 80 -y 24 \
  "env TERM=screen NO_COLOR=1 $cmd --view pt; echo EXITED-\$?; sleep 30" || { echo "tmux failed"; exit 1; }

capture 1.5
expect "page tables (x86-64)" "starts in the page-table view"
send :
capture
send 5010 Enter
capture
expect_line "^>.* 0000000000005000 " "cursor on the code page's leaf"
send Enter
capture
expect "memory at VA 0000000000005000: PA 000005000, 4 KiB page" "Enter on a leaf: the hex view"
expect " +000 " "first row"
expect "q or Esc: back to the page tables" "its keys"
spans 80
send NPage
capture
reject " +000 " "PgDn scrolls"
send Home
capture
expect " +000 " "Home goes back up"
send q
capture
expect "translation of VA 0000000000005010" "q: back to the tree"
reject "EXITED" "q in the hex view does not quit"
send Enter
capture
expect "memory at VA 0000000000005000" "Enter again"
send Escape
capture 0.6
expect "translation of VA 0000000000005010" "Esc: back to the tree"
send '?' NPage
capture
expect "q/Esc    back to the tree" "help lists the hex view's keys"
send '?'
send q
capture 0.8
expect "EXITED-0" "q in the tree quits"
T kill-server >/dev/null 2>&1

if [ ! -e /dev/kvm ]; then
  echo "live part skipped: /dev/kvm is missing"
else
  sock="tui-hex-live-$$"
  # heap page 0 of the embedded guest, from its layout (it moves when the
  # guest's code grows): "heap  00000d000..." -> d000
  heap=$("$1" inspect --layout | awk '$1 == "heap" { sub(/\.\..*/, "", $2); sub(/^0+/, "", $2); print $2 }')
  [ -n "$heap" ] || { echo "FAIL: no heap line in '$1 inspect --layout'"; exit 1; }
  cat > "$dir/tiny.ini" <<'INI'
[global]
iterations = 1
warmup = 0
[tiny]
description = the hex view's test: a page the call wrote, beside the original
step = create
step = call touch_pages(1u)
step = destroy
INI
  T -f /dev/null new-session -d -s "$sess" -x 80 -y 24 \
    "env TERM=screen NO_COLOR=1 $cmd --paused -o '$dir/results' '$dir/tiny.ini'; echo EXITED-\$?; sleep 30" ||
    { echo "tmux failed"; exit 1; }
  wait_for "next: sandbox 0, step 'create'" "live run starts paused"
  send s
  wait_for "next: sandbox 0, step 'call touch_pages'" "created"
  send s
  wait_for "next: sandbox 0, step 'destroy'" "the call ran"
  send i
  wait_for "inspected sandbox 0 (generation 1)" "inspected after the call"
  send 2 :
  capture
  send "$heap" Enter
  capture
  send Enter
  capture
  expect "a copy" "heap page 0 is a copy"
  expect "8 bytes differ from the original at PA $(printf %09x 0x$heap) (the snapshot run from, gen. 0)" \
    "touch_pages wrote one word; the original named"
  expect "!+000 00 00 00 00 00 00 00 00 |........| *15*7c*4a*7f*b9*79*37*9e |.|J..y7.|" "the word marked beside zeros"
  send q
  capture
  expect "translation of VA $(printf %016x 0x$heap)" "back to the tree"
  send 4 p
  wait_for "live run: finished" "the run ends"
  send q
  capture 0.8
  expect "EXITED-0" "quits"
fi

echo "tui hex tmux: $fails failed"
[ "$fails" -eq 0 ]
