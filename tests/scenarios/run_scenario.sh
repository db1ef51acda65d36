#!/bin/sh
# run_scenario.sh SNAPBENCH SCENARIO-FILE — run one shipped scenario file end
# to end (in a scratch directory, since scenarios may write files) and check
# it ran, met its expectations and wrote a report naming every scenario.
sb=$(cd "$(dirname "$1")" && pwd)/$(basename "$1") # absolute: we cd below
file=$2
. "$(dirname "$0")/../cli_expect.sh"
[ -e /dev/kvm ] || { echo "skipped: /dev/kvm is missing"; exit 77; }
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
cd "$dir" || exit 1
"$sb" run -q -o out "$file" >run.out 2>run.err
rc=$?
check "snapbench run exits 0 (got $rc): $(tail -3 run.err)" [ "$rc" -eq 0 ]
check "report.json written" [ -s out/report.json ]
for name in $("$sb" run --list "$file" | awk '{print $1}'); do
	check "report names $name" grep -q "\"$name\"" out/report.json
done
finish
