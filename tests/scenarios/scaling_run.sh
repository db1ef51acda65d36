#!/bin/sh
# scaling_run.sh SNAPBENCH SCALING-INI — run scenarios/scaling.ini end to
# end (as run_scenario.sh runs every shipped file) and check what the
# scaling table rests on: every scenario but the first declares its way in
# report.json, and the text and HTML reports table every way at 1, 2, 4 and
# 8 sandboxes with figures in every cell (4 and 8 marked over-subscribed on
# a machine of fewer cpus).
sb=$(cd "$(dirname "$1")" && pwd)/$(basename "$1") # absolute: we cd below
file=$2
. "$(dirname "$0")/../cli_expect.sh"
[ -e /dev/kvm ] || { echo "skipped: /dev/kvm is missing"; exit 77; }
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
cd "$dir" || exit 1
"$sb" run -q --html -o out "$file" >run.out 2>run.err
rc=$?
check "snapbench run exits 0 (got $rc): $(tail -3 run.err)" [ "$rc" -eq 0 ]
check "every scenario in report.json, each way (create-per-call with and without a pool) at 1, 2, 4, 8 sandboxes" python3 -c '
import json, sys
s = json.load(open("out/report.json"))["scenarios"]
got = sorted((x["scaling"] or "", x["sandboxes"]) for x in s)
want = sorted([("", 1)] + [(w, n) for w in ("reuse", "restore-per-call", "create-per-call",
                                            "create-per-call") for n in (1, 2, 4, 8)])
pooled = sorted(x["sandboxes"] for x in s if x["scaling"] == "create-per-call" and
                x.get("pool", {}).get("size", 0))
if pooled != [1, 2, 4, 8]:
    print("pooled", pooled)
    sys.exit(1)
if got != want:
    print("got", got)
    sys.exit(1)'
"$sb" report out/report.json >report.txt 2>&1
check "the text report has the scaling table" grep -q '^== scaling: calls served per way' report.txt
for way in reuse restore-per-call create-per-call 'create-per-call (pooled)'; do
	re=$(printf '%s' "$way" | sed 's/[()]/\\&/g')
	# the scenario of the way's first cell
	first=$(printf '%s' "$way" | sed 's/create-per-call (pooled)/create-pooled/')-1
	# the way, then 4 cells of (calls/s, per call, call, overhead or -)
	check "text: a figure in every cell of $way" grep -Eq \
		"^   $re +([0-9]+ +[0-9]+\.[0-9]{3} +[0-9]+\.[0-9]{3}~? +([0-9]+\.[0-9]{3}~?|-) *){4}$" report.txt
	check "HTML: the row of $way" grep -q "<th scope=\"row\" style=\"white-space:nowrap\">$way</th><td class=\"n\" title=\"$first\">[0-9]" out/report.html
done
check "reuse has no per-call overhead" grep -Eq \
	'^   reuse +[0-9]+ +[0-9.]+ +[0-9.]+ +- ' report.txt
if [ "$(nproc)" -lt 4 ]; then
	check "4 and 8 sandboxes marked over-subscribed" grep -q '<th scope="colgroup" colspan="4">4 sandboxes (over-subscribed)</th><th scope="colgroup" colspan="4">8 sandboxes (over-subscribed)</th>' out/report.html
fi
check "no cell without figures" sh -c '! sed -n "/^== scaling/,\$p" report.txt | grep -q "n/a"'
finish
