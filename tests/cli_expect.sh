# cli_expect.sh — sourced by the CLI test scripts: run snapbench ($sb) and
# count what matched. expect WANT_RC WANT_TEXT ARGS...: the command exits
# WANT_RC and its output (stdout and stderr) contains WANT_TEXT (a fixed
# string; empty = anything). check WHAT CMD...: CMD succeeds. finish: the
# summary line, and the script's exit status.
pass=0
fail=0
expect() {
	want_rc=$1 want_text=$2
	shift 2
	out=$("$sb" "$@" 2>&1)
	rc=$?
	if [ "$rc" -eq "$want_rc" ] && { [ -z "$want_text" ] || printf '%s' "$out" | grep -qF -- "$want_text"; }; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL: snapbench $* -> rc $rc (want $want_rc), output:"
		printf '%s\n' "$out" | head -8
		echo "  (wanted text: $want_text)"
	fi
}
check() {
	what=$1
	shift
	if "$@"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $what"; fi
}
finish() {
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit
}
