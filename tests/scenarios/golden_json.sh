#!/bin/sh
# golden_json.sh SNAPBENCH SCENARIO MASK GOLDEN — run SCENARIO end to end, mask
# the timings of its report.json and compare with GOLDEN. Set
# UPDATE_GOLDENS=1 to rewrite GOLDEN instead.
sb=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
[ -e /dev/kvm ] || { echo "skipped: /dev/kvm is missing"; exit 77; }
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
"$sb" run -q --json -o "$dir/out" "$2" || { echo "FAIL: snapbench run exited $?"; exit 1; }
python3 "$3" "$dir/out/report.json" >"$dir/masked.json" || exit 1
if [ "${UPDATE_GOLDENS:-}" = 1 ]; then
	cp "$dir/masked.json" "$4" && echo "updated $4"
	exit 0
fi
if diff -u "$4" "$dir/masked.json"; then
	echo "report matches $(basename "$4") (timings masked)"
else
	echo "FAIL: report differs from $4 (UPDATE_GOLDENS=1 rewrites it)"
	exit 1
fi
