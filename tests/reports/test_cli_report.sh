#!/bin/sh
# test_cli_report.sh SNAPBENCH FIXTURE_TOOL — exit codes and messages of
# `snapbench report` and `snapbench compare` (0 ok / no regression,
# 1 regression (compare) or failure (report), 2 bad usage or unreadable input).
sb=$1
tool=$2
case $sb in /*) ;; *) sb=$PWD/$sb ;; esac # meson passes build-relative paths
case $tool in /*) ;; *) tool=$PWD/$tool ;; esac
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
"$tool" "$dir" || { echo "FAIL: cannot write the fixtures"; exit 1; }
printf '{"schema_version": 1,' > "$dir/broken.json"
. "$(dirname "$0")/../cli_expect.sh"
cd "$dir" || exit 1
cp same.json same.json.keep
# compare
expect 0 "OK: 0 regressions" compare base.json same.json
expect 1 "REGRESSED: 1 regression;" compare base.json slow.json
expect 1 "regressed       restore-64M  restore base (same snapshot)  p99 us" compare base.json slow.json
expect 0 "OK: 0 regressions" compare base.json slow.json --noise p99=40%
expect 0 "OK: 0 regressions" compare base.json slow.json --noise 'restore base:p99=40%'
expect 1 "REGRESSED: 1 regression" compare base.json slow.json --noise 'destroy:p99=40%'
expect 1 "REGRESSED: 2 regressions" compare base.json failed.json
expect 1 "REGRESSED: 1 regression;" compare --quiet base.json slow.json
expect 1 '"verdict": "regressed"' compare --json base.json slow.json
expect 0 '"verdict": "ok"' compare --json base.json same.json
expect 0 "within noise" compare --all base.json same.json
expect 0 "bootstrap intervals, 95% for all 14 together" compare base.json same.json
expect 0 "bootstrap intervals, 99% for all 14 together" compare base.json same.json --confidence 99
expect 0 "usage: snapbench compare" compare --help
expect 0 "exit status: 0 no regression, 1 regression found, 2 bad usage" compare --help
expect 0 "for a gate, run both" compare --help
expect 2 "need two reports" compare base.json
expect 2 "need two reports" compare a b c
expect 2 "unknown metric 'p42'" compare base.json same.json --noise p42=3%
expect 2 "--threshold is gone" compare base.json same.json --threshold p99=3%
expect 2 "'150' is not a percentage from 50 to 99.9" compare base.json same.json --confidence 150
expect 2 "usage: snapbench compare" compare --frobnicate base.json same.json
expect 2 "absent.json: unable to open" compare base.json absent.json
expect 2 "broken.json:1:21: not valid JSON" compare broken.json same.json
expect 2 "newer.json: schema_version 6 is not supported (this snapbench reads schema_version 3 to 5)" compare base.json newer.json
expect 2 "older.json: schema_version 2 is not supported (this snapbench reads schema_version 3 to 5); schema 2 has no restore page statistics (full_restores, pages_reset): run the scenarios again" compare older.json base.json
# several reports a side (runs taken in turns): pooled as runs
expect 0 "BASE 2 runs, NEW 2 runs" compare base.json same.json --vs same.json base.json
expect 0 "BASE 1 run, NEW 3 runs" compare --all base.json --vs same.json base.json same.json
expect 1 "REGRESSED" compare base.json same.json --vs slow.json slow.json
expect 2 "BASE: forked.json against base.json: refusing to compare" compare base.json forked.json --vs same.json
expect 2 "need two reports, BASE.json and NEW.json, or BASE.json... --vs NEW.json... (got 1 and --vs)" compare base.json --vs
expect 2 "need two reports" compare base.json same.json slow.json
expect 2 "--vs given twice" compare base.json --vs same.json --vs slow.json
mkdir -p adir
expect 2 "adir: a directory, not a report (its report is adir/report.json)" compare adir same.json
expect 1 "adir: a directory, not a report" report adir
expect 0 "BASE.json... --vs NEW.json..." compare --help
# definitions must match; machines should
expect 2 "refusing to compare: 1 scenario option differs, so the runs measured different things: [esc<&>\"name] heap: '256M' in BASE, '512M' in NEW" compare base.json forked.json
expect 0 "OK: 0 regressions" compare base.json forked.json --force
expect 0 "warning: the runs differ in kernel: '6.1.0-test' in BASE, '6.9.0-other' in NEW" compare base.json elsewhere.json
expect 0 "warning: the runs differ in sanitizers: 'none' in BASE, 'address,undefined' in NEW" compare base.json elsewhere.json
out=$("$sb" compare --force base.json elsewhere.json 2>&1)
case $out in *warning*) fail=$((fail + 1)); echo "FAIL: --force still warned";; *) pass=$((pass + 1));; esac
# schema 3 (before restore strategies) is read; what it lacks is not judged
expect 0 "OK: 0 regressions" compare schema3.json base.json
expect 0 "OK: 0 regressions" compare base.json schema3.json
expect 0 "OK: 0 regressions" compare base.json schema4.json
expect 0 "report (schema 3)" report schema3.json
expect 0 "restore:    strategy rewrite" report schema3.json
# restore page statistics are compared exactly: one full restore more is a regression
expect 1 "REGRESSED: 2 regressions" compare base.json full.json
expect 1 "full_restores per restore          0.020        0.021     +5.0%  exact" compare base.json full.json
expect 1 "pages_reset per restore            3.160        3.168     +0.3%  exact" compare base.json full.json
expect 0 "improved" compare full.json base.json --all
out=$("$sb" compare -q base.json same.json 2>&1)
case $out in "OK: 0 regressions;"*) pass=$((pass + 1));; *) fail=$((fail + 1)); echo "FAIL: --quiet printed: $out";; esac
# report
expect 0 "== scenario restore-64M" report base.json
expect 0 "latency per step in microseconds (us)" report base.json --text
expect 0 "Value     Percentile TotalCount 1/(1-Percentile)" report base.json --distribution
expect 0 "usage: snapbench report" report --help
expect 2 "which report?" report
expect 2 "unexpected argument 'more.json'" report base.json more.json
expect 2 "usage: snapbench report" report --nope base.json
expect 1 "absent.json: unable to open" report absent.json
expect 1 "newer.json: schema_version 6 is not supported" report newer.json
expect 1 "older.json: schema_version 2 is not supported (this snapbench reads schema_version 3 to 5); schema 2 has no restore page statistics" report older.json
expect 0 "restore base (same snapshot)                1000        20       980         3160          3.160" report base.json
expect 0 "restore:    strategy host-cow" report base.json
expect 0 "" report base.json --html out.html --json out.json
if grep -q "<svg" out.html && ! grep -q "http" out.html && cmp -s out.json base.json; then
	pass=$((pass + 1))
else
	fail=$((fail + 1))
	echo "FAIL: report --html/--json: out.html has no SVG or names an address, or out.json differs from base.json"
fi
# compare --html: the page, bad places said before any work, inputs safe
expect 1 "REGRESSED: 1 regression;" compare base.json slow.json --html cmp.html
check "compare --html wrote a page with a plot per row" grep -q '<title id="cmp-0-t">' cmp.html
expect 2 "--html: cannot write '/nonexistent/x.html'" compare base.json same.json --html /nonexistent/x.html
expect 2 "--html needs a file name" compare base.json same.json --html ''
expect 2 "--html './same.json' is one of the reports compared" compare base.json same.json --html ./same.json
check "compare --html did not overwrite an input" cmp -s same.json same.json.keep
# report --html over the report it reads: refused, the report kept
expect 2 "--html 'same.json' is the report read" report --html same.json same.json
expect 2 "--html './same.json' is the report read" report same.json --html ./same.json
check "report --html did not overwrite its input" cmp -s same.json same.json.keep
expect 2 "absent.json: unable to open" compare base.json absent.json --html gone.html
check "compare --html leaves no page when nothing was compared" [ ! -e gone.html ]
touch kept.html
expect 2 "absent.json: unable to open" compare base.json absent.json --html kept.html
check "compare --html removes only a page it created" [ -e kept.html ]
if [ -w /dev/full ]; then
	expect 2 "--html '/dev/full': writing the comparison page" compare base.json same.json --html /dev/full
	check "compare --html /dev/full: the device stays" [ -c /dev/full ]
fi
expect 0 "--html FILE             also write it as a page" compare --help
"$sb" report schema3.json --json out3.json >/dev/null 2>&1
if cmp -s out3.json schema3.json; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: a schema 3 report written again differs"; fi
"$sb" report schema4.json --json out4.json >/dev/null 2>&1
if cmp -s out4.json schema4.json && ! grep -q '"runs"' out4.json; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: a schema 4 report written again differs"; fi
out=$("$sb" report base.json --json out2.json 2>&1)
if [ -z "$out" ] && cmp -s out2.json base.json; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: --json alone printed text or differs"; fi
expect 1 "/nonexistent/x.html" report base.json --html /nonexistent/x.html
# the command that redoes the run (schema 5): a cd first, its working
# directory being another one; reports of older schemas have none
expect 0 "cd '/home/ci/snap bench' && build/cli/snapbench run -o 'my results' scenarios/restore.ini" report --command base.json
out=$("$sb" report --command base.json | wc -l)
check "report --command: one line (got $out)" [ "$out" -eq 1 ]
expect 1 "schema3.json: records no command line (schema 3; reports of schema 5 and later do)" report --command schema3.json
expect 2 "--command goes alone" report --command --text base.json
expect 0 "--command         print only the shell command that redoes the run" report --help
# the run's record in the text header
expect 0 "command: build/cli/snapbench run -o 'my results' scenarios/restore.ini" report base.json
expect 0 "build:   gcc 12.2.0, buildtype debugoptimized, optimization 2, sanitize none" report base.json
expect 0 "file:       scenarios/restore.ini (XXH3-128 0123456789abcdef0123456789abcdef)" report base.json
finish
