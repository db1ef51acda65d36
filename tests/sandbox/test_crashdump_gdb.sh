#!/usr/bin/env bash
# test_crashdump_gdb.sh — gdb opens snapbench's crash dumps, under the
# rewrite and host-cow restore strategies: for a null dereference (in a
# sandbox from the ELF and in one created from a CALL snapshot), `bt` names
# fn_null_deref in frame 0 and $pc is the faulting RIP the guest reported;
# for a cancelled spin, frame 0 is fn_spin.
# Usage: test_crashdump_gdb.sh TEST_CRASHDUMP TESTGUEST_ELF
# Exits 77 (skipped) without gdb or /dev/kvm.
set -u
test_bin=$1 guest=$2
if ! command -v gdb >/dev/null; then
	echo "gdb not installed (SB_TEST_TOOLS=1 scripts/setup.sh installs it): skipped"
	exit 77
fi
if [ ! -e /dev/kvm ]; then
	echo "/dev/kvm missing: skipped"
	exit 77
fi
dir=$(mktemp -d /tmp/snapbench-gdb-XXXXXX)
trap 'rm -rf "$dir"' EXIT
fail=0
check() { # what, output, pattern
	if grep -Eq -- "$3" <<<"$2"; then
		echo "ok: $1"
	else
		echo "FAIL: $1: no /$3/ in:"
		sed 's/^/  | /' <<<"$2"
		fail=1
	fi
}
for strategy in rewrite host-cow; do
	echo "== $strategy"
	rm -f "$dir"/*.core
	out=$(SNAPBENCH_TEST_RESTORE_STRATEGY=$strategy "$test_bin" "$guest" --cores "$dir") ||
		{ echo "writing the cores failed: $out"; exit 1; }
	rip=$(sed -n 's/^null_deref rip \(0x[0-9a-f]*\)$/\1/p' <<<"$out")
	gdb_out=$(gdb -nx -batch -ex 'bt' -ex 'p/x $pc' -ex 'p/x $fctrl' "$guest" "$dir/null_deref.core" 2>&1)
	check "null_deref: frame 0 is fn_null_deref" "$gdb_out" '^#0 +(0x[0-9a-f]+ in )?fn_null_deref '
	check "null_deref: \$pc is the faulting rip $rip" "$gdb_out" "^\\\$1 = $rip\$"
	check "null_deref: SIGSEGV" "$gdb_out" 'terminated with signal SIGSEGV'
	check "null_deref: the backtrace ends at the dispatch entry, no junk frames past it" \
		"$(grep '^#' <<<"$gdb_out" | tail -1)" ' in sb_guest_dispatch \(\)'
	check "null_deref: a caller in frame 1" "$gdb_out" '^#1 '
	check "null_deref: the x87 control word (NT_FPREGSET)" "$gdb_out" '^\$2 = 0x37f$'
	gdb_out=$(gdb -nx -batch -ex 'bt' "$guest" "$dir/spin.core" 2>&1)
	check "spin: frame 0 is fn_spin" "$gdb_out" '^#0 +(0x[0-9a-f]+ in )?fn_spin '
	check "spin: no 'core file may not match' warning" "$(grep -c 'may not match' <<<"$gdb_out")" '^0$'
	gdb_out=$(gdb -nx -batch -ex 'bt' -ex 'p/x $pc' "$guest" "$dir/from_snapshot.core" 2>&1)
	check "from a CALL snapshot: frame 0 is fn_null_deref" "$gdb_out" '^#0 +(0x[0-9a-f]+ in )?fn_null_deref '
	check "from a CALL snapshot: \$pc is the faulting rip $rip" "$gdb_out" "^\\\$1 = $rip\$"
done
exit $fail
