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
# a run name is NAME or "NAME [STRATEGY]" (a scenario run per restore strategy)
names=$("$sb" run --list "$file" | sed -E 's/^([^ ]+( \[[^]]*\])?).*/\1/')
check "run --list names at least one scenario" [ -n "$names" ]
printf '%s\n' "$names" >names.txt
while IFS= read -r name; do
	check "report has scenario $name" python3 -c '
import json, sys
names = [s["name"] for s in json.load(open("out/report.json"))["scenarios"]]
sys.exit(0 if sys.argv[1] in names else 1)' "$name"
done <names.txt
finish
