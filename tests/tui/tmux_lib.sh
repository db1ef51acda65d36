# tmux_lib.sh — sourced by the UI tests: drive a program in a detached tmux
# session on socket $sock, session $sess (set both first), and grep its
# screen. capture [SECONDS]: wait (default $capture_wait or 0.4 s), then
# read the pane into $pane.
# expect TEXT WHAT / reject TEXT WHAT: TEXT (fixed string) is / is not on
# screen; failures are counted in $fails.
fails=0
pane=""
T() { tmux -L "$sock" "$@"; }
capture() { sleep "${1:-${capture_wait:-0.4}}"; pane=$(T capture-pane -p -t "$sess"); }
send() { T send-keys -t "$sess" "$@"; }
show_pane() { printf '%s\n' "$pane" | sed 's/^/  | /'; }
expect() {
  if printf '%s\n' "$pane" | grep -qF -- "$1"; then echo "ok: $2"
  else echo "FAIL: $2: '$1' not on screen"; show_pane; fails=$((fails + 1)); fi
}
reject() {
  if printf '%s\n' "$pane" | grep -qF -- "$1"; then
    echo "FAIL: $2: '$1' on screen"; show_pane; fails=$((fails + 1))
  else echo "ok: $2"; fi
}
# expect_line REGEX WHAT: some line on screen matches REGEX (grep -E)
expect_line() {
  if printf '%s\n' "$pane" | grep -qE -- "$1"; then echo "ok: $2"
  else echo "FAIL: $2: no line matches /$1/"; show_pane; fails=$((fails + 1)); fi
}
# spans N: the widest line is exactly N columns (rules are drawn across
# the whole screen, so this says the UI uses the width it has, no more)
spans() {
  w=$(printf '%s\n' "$pane" | awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }')
  if [ "$w" -eq "$1" ]; then echo "ok: spans $1 columns"
  else echo "FAIL: widest line is $w columns, want $1"; fails=$((fails + 1)); fi
}
