#!/bin/sh
# test_cli_layout.sh SNAPBENCH — exit codes and messages of the CLI.
sb=$1
pass=0
fail=0
expect() { # expect WANT_RC WANT_TEXT ARGS...
	want_rc=$1 want_text=$2
	shift 2
	out=$("$sb" "$@" 2>&1)
	rc=$?
	if [ "$rc" -eq "$want_rc" ] && printf '%s' "$out" | grep -qF -- "$want_text"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL: snapbench $* -> rc $rc (want $want_rc), output:"
		printf '%s\n' "$out" | head -5
		echo "  (wanted text: $want_text)"
	fi
}
expect 0 "heap      000012000..000031fff" layout
expect 0 "262144  256 KiB" layout --heap 256K
expect 0 "usage: snapbench layout" layout --help
expect 0 "usage: snapbench layout" help layout
expect 0 "commands:" --help
expect 0 "snapbench 0." --version
expect 2 "unknown command 'frobnicate'" frobnicate
expect 2 "--heap: size '12Q' has an unknown unit 'Q'" layout --heap 12Q
expect 2 "unexpected argument 'extra'" layout extra
expect 1 "scratch size" layout --scratch 8K
expect 1 "heap size" layout --heap 100
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
