#!/bin/sh
# gate_bench.sh SNAPBENCH GATE-INI [OUT-DIR] — the regression gate's own
# benchmark (issue 11): how often does `snapbench compare` cry wolf, and
# does it catch what it must? It gates the way the README's "Gating a pull
# request" says: each side is R runs of GATE-INI, taken in turns with the
# other side's, compared with `compare SIDE-A... --vs SIDE-B...`.
#
#  1. K identical sides, their R runs each taken in turns (side 1 run 1,
#     side 2 run 1, ..., side K run 1, side 1 run 2, ...), then `compare`
#     over every ordered pair of sides: a pair that exits 1 is a false
#     regression.
#  2. Three real changes, each R runs in turns with R runs of the file as
#     it is, compared with --force (their definitions differ, which compare
#     must refuse first, exit 2, and that is checked too):
#       one more re-dirtied page   bump_pages(3u) -> bump_pages(4u)
#       a bigger heap              128K -> 64M (scratch 288K -> 2M)
#       a slower restore strategy  host-cow -> rewrite
#     each must exit 1.
#
# Prints the figures. The target is at most 1 false regression in 30 pairs
# and every change detected. The test fails when a change is missed, or
# when more than GATE_MAX_FALSE (default 3) of 30 pairs are false
# regressions: our machines are shared, and a bound at the target itself
# would fail on a noisy day, while a gate that cries wolf (30 of 30 before
# this benchmark existed) fails it at once. Knobs: GATE_SIDES (K, default
# 6), GATE_RUNS (R, default 5), GATE_MAX_FALSE.
sb=$(cd "$(dirname "$1")" && pwd)/$(basename "$1") # absolute: we cd below
ini=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
[ -e /dev/kvm ] || { echo "skipped: /dev/kvm is missing"; exit 77; }
K=${GATE_SIDES:-6}
R=${GATE_RUNS:-5}
max_false=${GATE_MAX_FALSE:-3}
if [ -n "$3" ]; then
	dir=$3
	mkdir -p "$dir" || exit 1
else
	dir=$(mktemp -d) || exit 1
	trap 'rm -rf "$dir"' EXIT
fi
cd "$dir" || exit 1
status=0

run() { # DIR INI
	if ! "$sb" run -q -o "$1" "$2" >"$1.out" 2>"$1.err"; then
		echo "FAIL: snapbench run $2 failed: $(tail -3 "$1.err")"
		exit 1
	fi
}

reports() { # SIDE: its R reports
	i=1
	while [ "$i" -le "$R" ]; do
		printf '%s/%s ' "$1.$i" report.json
		i=$((i + 1))
	done
}

t0=$(date +%s)
i=1
while [ "$i" -le "$R" ]; do
	k=1
	while [ "$k" -le "$K" ]; do
		run "same$k.$i" "$ini"
		k=$((k + 1))
	done
	i=$((i + 1))
done
pairs=0
false_n=0
a=1
while [ "$a" -le "$K" ]; do
	b=1
	while [ "$b" -le "$K" ]; do
		if [ "$a" != "$b" ]; then
			# shellcheck disable=SC2046 # the file lists split on purpose
			"$sb" compare $(reports "same$a") --vs $(reports "same$b") >"cmp$a-$b.txt" 2>&1
			rc=$?
			pairs=$((pairs + 1))
			if [ "$rc" -eq 1 ]; then
				false_n=$((false_n + 1))
				echo "false regression, run $a -> run $b:"
				sed -n '1p;/^regressed/p' "cmp$a-$b.txt" | sed 's/^/  /'
			elif [ "$rc" -ne 0 ]; then
				echo "FAIL: compare run $a -> run $b exited $rc: $(head -3 "cmp$a-$b.txt")"
				status=1
			fi
		fi
		b=$((b + 1))
	done
	a=$((a + 1))
done

sed 's/bump_pages(3u)/bump_pages(4u)/g; s/^dirtied_pages = 3/dirtied_pages = 4/' "$ini" >more-pages.ini
sed 's/^heap = 128K/heap = 64M/; s/^scratch = 288K/scratch = 2M/' "$ini" >bigger-heap.ini
sed 's/^restore_strategy = host-cow/restore_strategy = rewrite/' "$ini" >slower-strategy.ini
detected=0
for change in more-pages bigger-heap slower-strategy; do
	if cmp -s "$change.ini" "$ini"; then
		echo "FAIL: $change: the edit did not change $ini"
		status=1
		continue
	fi
	i=1
	while [ "$i" -le "$R" ]; do
		run "base-$change.$i" "$ini"
		run "$change.$i" "$change.ini"
		i=$((i + 1))
	done
	# shellcheck disable=SC2046
	"$sb" compare $(reports "base-$change") --vs $(reports "$change") >"$change.refused" 2>&1
	rc=$?
	if [ "$rc" -ne 2 ]; then
		echo "FAIL: $change: compare without --force exited $rc, not 2 (a definition changed)"
		status=1
	fi
	# shellcheck disable=SC2046
	"$sb" compare --force $(reports "base-$change") --vs $(reports "$change") >"$change.txt" 2>&1
	rc=$?
	if [ "$rc" -eq 1 ]; then
		detected=$((detected + 1))
		echo "detected: $change: $(head -1 "$change.txt" | cut -d';' -f1); first: $(grep -m1 '^regressed' "$change.txt" | tr -s ' ' | cut -c1-150)"
	else
		echo "FAIL: $change: compare --force exited $rc, not 1: the change was missed"
		sed 's/^/  /' "$change.txt" | head -5
		status=1
	fi
done
t1=$(date +%s)

echo "gate benchmark: $K identical sides of $R runs of $(basename "$ini") each, taken in turns: $false_n false regression(s) in $pairs ordered pairs (target: at most 1 in 30; this test fails above $max_false); real changes detected: $detected of 3; $((t1 - t0)) s"
if [ $((false_n * 30)) -gt $((max_false * pairs)) ]; then
	echo "FAIL: $false_n false regressions in $pairs pairs is above $max_false in 30"
	status=1
fi
exit $status
