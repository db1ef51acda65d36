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
