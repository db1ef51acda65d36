#!/bin/sh
# test_cli_bench.sh SNAPBENCH [kvm] — `snapbench bench`: bad options exit 2
# (no KVM needed); with "kvm", a short run prints one restore line per
# heap, pages and strategy, with its ratio to the sandbox exit.
sb=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
. "$(dirname "$0")/../cli_expect.sh"
short="--exits 200 --calls 200 --creates 2 --rounds 4"

if [ "$2" = kvm ]; then
	[ -e /dev/kvm ] || { echo "skipped: /dev/kvm is missing"; exit 77; }
	out=$("$sb" bench $short 2>/dev/null)
	rc=$?
	check "bench exits 0 (got $rc)" [ "$rc" -eq 0 ]
	for s in rewrite host-cow; do
		for cell in "128 KiB      0" "128 KiB      3" "256 MiB      0" "256 MiB      3" "256 MiB     64"; do
			n=$(printf '%s\n' "$out" | grep -cE "^ +$cell $s +[0-9]+ ")
			# one line in us (with the ratio column), one in ratios
			check "a line per table for $cell $s (got $n)" [ "$n" -eq 2 ]
		done
		check "the 64-page cell at 128 KiB is said not measured ($s)" \
			sh -c "printf '%s\n' \"\$1\" | grep -qE '^ +128 KiB +64 $s +- +not measured: the heap has 32 pages'" - "$out"
		# (4 rounds: a near-zero figure can come out below zero, the first
		# call's median under the steady one's)
		check "the 3-page summary for $s" \
			sh -c "printf '%s\n' \"\$1\" | grep -qE '^  $s +128 KiB heap -?[0-9.]+ x  256 MiB heap -?[0-9.]+ x$'" - "$out"
	done
	check "the us table ends with the ratio to the sandbox exit" \
		sh -c "printf '%s\n' \"\$1\" | grep -q 'ready + penalty   / sandbox exit'" - "$out"
	out=$("$sb" bench $short --restore-strategy host-cow 2>/dev/null)
	check "--restore-strategy host-cow: no rewrite line" \
		sh -c "! printf '%s\n' \"\$1\" | grep -qE '^ +[0-9]+ [KM]iB +[0-9]+ rewrite '" - "$out"
	finish
fi

expect 2 "snapbench bench: --restore-strategy: 'cow' is not one of rewrite|host-cow" bench --restore-strategy cow
expect 0 "--restore-strategy LIST" bench --help
expect 0 "each restore strategy, one line" bench --help
expect 2 "unexpected argument 'x'" bench x
finish
