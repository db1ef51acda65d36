#!/bin/sh
# test_cli_run.sh SNAPBENCH [kvm] — `snapbench run`: bad scenario input is
# refused with file:line and exit 2 before anything runs (no KVM needed);
# restore strategies listed, overridden (--restore-strategy, also on tui)
# and refused; with "kvm", a run whose stdout summary cannot be written
# exits 1, the summary shows the rows by variant and the post-restore
# penalties, and a run per strategy is reported apart.
sb=$(cd "$(dirname "$1")" && pwd)/$(basename "$1") # absolute: we cd below
scen=$(cd "$(dirname "$0")/../../scenarios" && pwd)
. "$(dirname "$0")/../cli_expect.sh"
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
cd "$dir" || exit 1
printf '[s]\nstep = create\nstep = destroy\n' >a.ini
printf '; b\n[t]\nstep = create\n[s]\nstep = create\n' >b.ini

if [ "$2" = kvm ]; then
	[ -e /dev/kvm ] || { echo "skipped: /dev/kvm is missing"; exit 77; }
	"$sb" run -o out a.ini >/dev/full 2>err.txt
	rc=$?
	check "summary to a full disk: exit 1 (got $rc)" [ "$rc" -eq 1 ]
	check "says the summary failed" grep -q "writing the summary to stdout failed" err.txt
	check "report.json still written" [ -s out/report.json ]
	"$sb" run -q -o out2 a.ini >/dev/full 2>err.txt
	rc=$?
	check "quiet (no summary): exit 0 (got $rc)" [ "$rc" -eq 0 ]
	# the scratch minimum the parser enforces holds a snapshot of the
	# running guest too (its runtime page's tables): 436K passed the
	# parser and failed the snapshot step, needing 448K
	printf '[m]\niterations = 1\nwarmup = 0\nheap = 128M\nscratch = 448K\n' >min.ini
	printf 'step = create\nstep = snapshot as s\nstep = restore s\nstep = destroy\n' >>min.ini
	"$sb" run -q -o min min.ini 2>err.txt
	rc=$?
	check "snapshot at the scratch minimum: exit 0 (got $rc): $(tail -1 err.txt)" [ "$rc" -eq 0 ]
	sed 's/^scratch = 448K/scratch = 444K/' min.ini >min2.ini
	"$sb" run -q -o min2 min2.ini 2>err.txt
	rc=$?
	check "a page below it refused when parsed: exit 2 (got $rc)" [ "$rc" -eq 2 ]
	check "names the minimum" grep -q "use scratch = 448K or more" err.txt
	# the summary: rows by variant, the post-restore penalty per call label
	printf '[p]\niterations = 3\nwarmup = 1\nstep = create\nstep = snapshot as s\n' >p.ini
	printf 'step = restore s\nstep = call add(1, 2)\nstep = call add(1, 2)\n' >>p.ini
	printf 'step = restore s\nstep = call echo(bytes(8)) as e8\n' >>p.ini
	# --repeat: one report, the set run 3 times, a histogram per run of
	# every row; counts expected per run (each run makes 2 steady calls),
	# the same scenario file with and without --repeat
	printf 'expect = call add (steady).count == 2\n' >>p.ini
	"$sb" run -q --repeat 3 -o rep p.ini 2>err.txt
	rc=$?
	check "--repeat 3: exit 0 (got $rc): $(tail -2 err.txt)" [ "$rc" -eq 0 ]
	check "--repeat 3: runs, iterations and per-run histograms in the report" python3 -c '
import json, sys
s = json.load(open("rep/report.json"))["scenarios"][0]
assert s["runs"] == 3 and s["iterations"] == 6, (s["runs"], s["iterations"])
for st in s["steps"]:
    assert len(st["runs"]) == 3, st["label"]
    assert sum(r["count"] for r in st["runs"]) == st["count"], st["label"]
    assert all(r["count"] == st["count"] // 3 for r in st["runs"]), st["label"]
assert s["expects"][0]["passed"] and s["expects"][0]["got"] == 2, s["expects"]'
	sed 's/count == 2/count == 6/' p.ini >p6.ini
	"$sb" run -q --repeat 3 -o rep6 p6.ini 2>err.txt
	rc=$?
	check "--repeat 3: 6 steady calls expected, 2 per run: exit 1 (got $rc)" [ "$rc" -eq 1 ]
	check "--repeat 3: says which run: $(tail -1 err.txt)" grep -qF \
		"run 1 of 3: call add (steady).count is 2, expected == 6" err.txt
	"$sb" run -q --repeat 1 -o rep1 p.ini 2>/dev/null
	rc=$?
	check "--repeat 1: the same expectation holds: exit 0 (got $rc)" [ "$rc" -eq 0 ]
	check "--repeat 1: no per-run histograms" python3 -c '
import json
s = json.load(open("rep1/report.json"))["scenarios"][0]
assert s["runs"] == 1 and all("runs" not in st for st in s["steps"])'
	"$sb" compare rep/report.json rep/report.json >cmp.txt
	rc=$?
	check "compare of a repeated run with itself: exit 0 (got $rc)" [ "$rc" -eq 0 ]
	check "compare says 3 runs a side" grep -q "BASE 3 runs, NEW 3 runs" cmp.txt
	sed -i '$d' p.ini
	"$sb" run -o out3 p.ini >p.txt 2>err.txt
	rc=$?
	check "run with restores: exit 0 (got $rc): $(tail -2 err.txt)" [ "$rc" -eq 0 ]
	check "summary: a row per restore path" grep -qE "^   restore s \(same snapshot\) +2 " p.txt
	check "summary: the first call after a restore apart" \
		grep -qE "^   call add \(first after restore\) +2 " p.txt
	check "summary: the steady call apart" grep -qE "^   call add \(steady\) +2 " p.txt
	check "summary: restore rows read as restore-to-ready" grep -q "restore rows are restore-to-ready" p.txt
	check "summary: the penalty section" grep -q "post-restore penalty in microseconds (us)" p.txt
	# microseconds with the histogram's 3 significant digits (12.3, 0.303,
	# 124, 17600), the ratio to the calibration with 3 decimals
	us='-?([0-9]\.[0-9]{2}|[0-9]{2}\.[0-9]|[1-9][0-9]{2,}|0\.[0-9]{3}|0)'
	check "summary: a penalty for call add" \
		grep -qE "^   call add +$us~ +$us~ +$us +-?[0-9]+\.[0-9]{3}$" p.txt
	check "summary: none invented for e8" \
		grep -qE "^   e8 +$us~ +- +- +-   no steady call of this label was recorded: no penalty$" p.txt
	check "summary: no microseconds with more digits than the histogram has" \
		sh -c '! sed -n "/latency per step/,/^   ~ marks/p" p.txt | grep -qE "[0-9]{2,}\.[0-9]{2}|[0-9]{3,}\.[0-9]|[1-9]\.[0-9]{3}"'
	check "summary: a warning names the rows with too few samples" \
		grep -q "^   warning: too few samples for the percentiles shown" p.txt
	# 2 calls of a row: every percentile rests on few samples, marked and explained
	check "summary: percentiles of 2 samples marked" \
		grep -qE "^   call add \(steady\) +2 +[0-9.]+ +[0-9.]+~ +[0-9.]+~ +[0-9.]+~ +[0-9.]+~ " p.txt
	check "summary: the mark explained" grep -q "^   ~ marks a percentile that rests on fewer than 10 samples" p.txt
	# expectations print what they measured with its unit
	printf '[u]\niterations = 3\nstep = create\nstep = call add(1, 2)\n' >u.ini
	printf 'expect = call add.p50 < 1s\nexpect = call add.count == 3\n' >>u.ini
	printf 'expect = call add.scratch_pages < 100\nexpect = call add.p50 < 1ns\n' >>u.ini
	"$sb" run -o out6 u.ini >u.txt 2>err.txt
	rc=$?
	check "a failed expectation: exit 1 (got $rc)" [ "$rc" -eq 1 ]
	check "expectation: a latency with its unit" \
		grep -qE "^   PASS call add\.p50 < 1s \(got [0-9.]+ (ns|us|ms)\)$" u.txt
	check "expectation: a count plain" grep -q "^   PASS call add.count == 3 (got 3)$" u.txt
	check "expectation: pages per call" \
		grep -qE "^   PASS call add\.scratch_pages < 100 \(got [0-9.]+ pages/call\)$" u.txt
	check "expectation: why, with units" \
		grep -qE "^   FAIL call add\.p50 < 1ns \(got [0-9.]+ (us|ms)\): call add\.p50 is [0-9.]+ (us|ms), expected < 1 ns$" u.txt
	# restore strategies: one run each, named apart, echoed in every report
	"$sb" run -o out4 --html --restore-strategy rewrite,host-cow p.ini >s.txt 2>err.txt
	rc=$?
	check "run per strategy: exit 0 (got $rc): $(tail -2 err.txt)" [ "$rc" -eq 0 ]
	check "summary: the rewrite run" grep -q "^== scenario p \[rewrite\]" s.txt
	check "summary: the host-cow run" grep -q "^== scenario p \[host-cow\]" s.txt
	check "summary: each run's strategy" grep -q "^   restore:    strategy host-cow$" s.txt
	check "summary: CoW faults per call row" grep -q "exits cow_faults snapshots" s.txt
	check "report.json: both runs, with their strategy" python3 -c '
import json, sys
r = json.load(open("out4/report.json"))
got = [(s["name"], s["restore_strategy"], s["options"]["restore_strategy"]) for s in r["scenarios"]]
sys.exit(0 if r["schema_version"] == 5 and got == [("p [rewrite]", "rewrite", "rewrite"),
    ("p [host-cow]", "host-cow", "host-cow")] else 1)'
	check "report.html: the strategies section" grep -q "Restore strategies side by side" out4/report.html
	# the calibration: pooled median inside its quartiles, before and after
	# both measured, 2 x 101 samples, the timer's cost under 1 us; the run's
	# record: command line, working directory, build, the file's digest
	check "report.json: calibration and record sane" python3 -c '
import json, os, re, sys
r = json.load(open("out4/report.json"))
bad = []
for s in r["scenarios"]:
    c = s["calibration"]
    if not (0 < c["exit_sandbox_p25_ns"] <= c["exit_sandbox_ns"] <= c["exit_sandbox_p75_ns"]):
        bad.append("quartiles %s" % c)
    if c["exit_sandbox_p75_ns"] - c["exit_sandbox_p25_ns"] > c["exit_sandbox_ns"]:
        bad.append("IQR above the median %s" % c)
    if not (c["exit_sandbox_before_ns"] > 0 and c["exit_sandbox_after_ns"] > 0):
        bad.append("before/after %s" % c)
    if c["exit_sandbox_samples"] != 202:
        bad.append("samples %s" % c)
    if not (c["exit_real_mode_before_ns"] > 0 and c["exit_real_mode_after_ns"] > 0 and c["exit_real_mode_ns"] > 0):
        bad.append("real mode %s" % c)
    if not (0 < c["timer_overhead_ns"] < 1000):
        bad.append("timer %s" % c)
    if not isinstance(c["warning"], str):
        bad.append("warning")
    if not re.fullmatch("[0-9a-f]{32}", s["file_digest"]):
        bad.append("digest %r" % s["file_digest"])
if not r["command_line"].endswith("run -o out4 --html --restore-strategy rewrite,host-cow p.ini"):
    bad.append("command_line %r" % r["command_line"])
if r["working_dir"] != os.getcwd():
    bad.append("working_dir %r" % r["working_dir"])
if not (r["build"]["compiler"] and r["build"]["buildtype"] and r["build"]["sanitize"]):
    bad.append("build %s" % r["build"])
if r["scenarios"][0]["file_digest"] != r["scenarios"][1]["file_digest"]:
    bad.append("one file, two digests")
print("\n".join(bad))
sys.exit(1 if bad else 0)'
	check "summary: the calibration's spread" grep -qE "^   sandbox exit: median [0-9.]+ us of 202 samples, IQR [0-9.]+\.\.[0-9.]+ us$" s.txt
	check "summary: the sandbox exit before and after" grep -qE "^   sandbox exit before the scenario [0-9.]+ us, after it [0-9.]+ us$" s.txt
	check "summary: the calibration's bounds" grep -q "interquartile range exceeds 20% of its median or its before and after medians differ by more than" s.txt
	check "summary: the timer overhead" grep -qE "timer overhead [0-9]+ ns$" s.txt
	check "report.html: the calibration's spread" grep -q "Sandbox exit: median" out4/report.html
	# the command that redoes it: here, as recorded; elsewhere, a cd first
	out=$("$sb" report --command out4/report.json)
	check "report --command here: the command line ($out)" [ "$out" = "$sb run -o out4 --html --restore-strategy rewrite,host-cow p.ini" ]
	out=$(cd / && "$sb" report --command "$dir/out4/report.json")
	check "report --command elsewhere: cd first ($out)" [ "$out" = "cd $dir && $sb run -o out4 --html --restore-strategy rewrite,host-cow p.ini" ]
	# a built-in scenario has no file to digest
	"$sb" run -q -o out5 --only call-latency 2>err.txt
	check "built-in: no file digest" python3 -c '
import json, sys
r = json.load(open("out5/report.json"))
sys.exit(0 if r["scenarios"] and all(s["file_digest"] == "" for s in r["scenarios"]) else 1)'
	# save and load: inside the output directory; a save replaces only a snapshot
	printf '[s]\niterations = 2\nstep = create\nstep = snapshot as a\nstep = save x.snap from a\nstep = load x.snap as b\nstep = destroy\nstep = create\n' >sl.ini
	"$sb" run -q -o slout sl.ini 2>err.txt
	rc=$?
	check "save/load relative: exit 0 (got $rc): $(tail -2 err.txt)" [ "$rc" -eq 0 ]
	check "save/load relative: the file is in the output directory" [ -s slout/x.snap ]
	check "save/load relative: not in the current directory" [ ! -e x.snap ]
	"$sb" run -q -o slout sl.ini 2>err.txt
	rc=$?
	check "a save replaces its own snapshot file: exit 0 (got $rc)" [ "$rc" -eq 0 ]
	echo "precious" >victim.txt
	chmod 644 victim.txt
	printf '[s]\niterations = 2\nstep = create\nstep = snapshot as a\nstep = save %s/victim.txt from a\n' "$PWD" >abs.ini
	"$sb" run -q --allow-paths -o absout abs.ini 2>err.txt
	rc=$?
	check "--allow-paths, save over a text file: exit 1 (got $rc)" [ "$rc" -eq 1 ]
	check "the text file is left as it was" [ "$(cat victim.txt)" = precious ]
	check "and its mode" [ "$(stat -c %a victim.txt)" = 644 ]
	check "says why" grep -q "refusing to save over '$PWD/victim.txt': it is not a snapshot file" err.txt
	ln -s ../victim.txt slout/link.snap
	printf '[s]\niterations = 2\nstep = create\nstep = snapshot as a\nstep = save link.snap from a\n' >ln.ini
	"$sb" run -q -o slout ln.ini 2>err.txt
	rc=$?
	check "save over a symbolic link: exit 1 (got $rc)" [ "$rc" -eq 1 ]
	check "says it is a link" grep -q "refusing to save over 'slout/link.snap': a symbolic link" err.txt
	check "the link's target is left as it was" [ "$(cat victim.txt)" = precious ]
	# the live view says which strategy a scenario runs
	expect 0 "p: done, 3/3 iterations, restore host-cow" tui --dump live --restore-strategy host-cow p.ini
	# without -o each run has its own directory, latest points at the
	# newest, the one before stays; compare alone compares the last two
	mkdir fresh && cd fresh || exit 1
	expect 2 "snapbench-results: No such file or directory: no runs to compare" compare
	printf '[s]\niterations = 3\nstep = create\nstep = destroy\n' >s.ini
	"$sb" run -q --html s.ini 2>err.txt
	rc=$?
	check "run without -o: exit 0 (got $rc): $(tail -2 err.txt)" [ "$rc" -eq 0 ]
	first=$(readlink snapbench-results/latest)
	check "latest names the run's directory ($first)" sh -c 'echo "$1" | grep -qE "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}-[0-9]{2}-[0-9]{2}Z(-[0-9]+)?$"' - "$first"
	check "its report.json and report.html" [ -s snapbench-results/latest/report.json -a -s snapbench-results/latest/report.html ]
	expect 2 "1 run with a report.json, 2 needed to compare" compare
	"$sb" run -q s.ini 2>err.txt
	second=$(readlink snapbench-results/latest)
	check "a second run: another directory ($first, $second)" [ -n "$second" -a "$first" != "$second" ]
	check "the first run's report stays" [ -s "snapbench-results/$first/report.json" -a -s "snapbench-results/$first/report.html" ]
	check "the second run has no HTML of another run" [ ! -e "snapbench-results/$second/report.html" ]
	expect 0 "base snapbench-results/$first/report.json" compare
	expect 0 "new  snapbench-results/$second/report.json" compare
	expect 0 "OK: 0 regressions" compare
	expect 0 "command: $sb run -q s.ini" report
	# -o writes exactly there, and does not move latest
	"$sb" run -q -o exact s.ini 2>err.txt
	check "-o DIR: the report in DIR" [ -s exact/report.json ]
	check "-o DIR: latest unchanged" [ "$(readlink snapbench-results/latest)" = "$second" ]
	cd .. || exit 1
	finish
fi

# restore strategies: the option, a list, the override, errors
printf '[global]\nrestore_strategy = rewrite, host-cow\n[s]\nstep = create\n[t]\nrestore_strategy = host-cow\nstep = create\n' >g.ini
expect 0 "s [rewrite]                      rewrite" run --list g.ini
expect 0 "s [host-cow]                     host-cow" run --list g.ini
expect 0 "t                                host-cow" run --list g.ini
expect 0 "t [rewrite]" run --list --restore-strategy host-cow,rewrite g.ini
out=$("$sb" run --list --restore-strategy host-cow g.ini)
check "--restore-strategy host-cow: one run per section" [ "$(printf '%s\n' "$out" | wc -l)" -eq 2 ]
out=$("$sb" run --list --only s g.ini | awk '{print $2}' | tr '\n' ' ')
check "--only SECTION: every strategy of it (got $out)" [ "$out" = "[rewrite] [host-cow] " ]
out=$("$sb" run --list --only 's [host-cow]' g.ini | wc -l)
check "--only 'NAME [STRATEGY]': that run" [ "$out" -eq 1 ]
expect 2 "snapbench run: --restore-strategy: 'cow' is not one of rewrite|host-cow|retain|rewind (or a comma-separated list of them)" run --restore-strategy cow a.ini
expect 2 "'rewrite' is listed twice" run --list --restore-strategy rewrite,rewrite a.ini
printf '[s]\nrestore_strategy = rewrite, hostcow\nstep = create\n' >h.ini
expect 2 "h.ini:2: [s] restore_strategy: 'hostcow' is not one of rewrite|host-cow|retain|rewind" run h.ini
expect 0 "--restore-strategy LIST" run --help
expect 0 "restore_strategy list    rewrite  rewrite|host-cow|retain|rewind, a list" help scenario
expect 2 "snapbench tui: --restore-strategy: 'x' is not one of rewrite|host-cow|retain|rewind" tui --restore-strategy x a.ini
expect 2 "snapbench tui: --restore-strategy: only with a scenario file" tui --dump layout --restore-strategy host-cow
expect 0 "--restore-strategy LIST" tui --help

# the same scenario name in two files: scoped by file (FILE:NAME), names
# no other file has stay bare; --only takes either; the same file twice,
# or two files of the same name sharing a section, cannot be told apart
expect 0 "a.ini:s " run --list a.ini b.ini
expect 0 "b.ini:s " run --list a.ini b.ini
out=$("$sb" run --list a.ini b.ini 2>&1)
check "an unshared name stays bare: $out" sh -c 'printf "%s\n" "$1" | grep -q "^t "' - "$out"
expect 0 "b.ini:s " run --list --only b.ini:s a.ini b.ini
n=$("$sb" run --list --only b.ini:s a.ini b.ini | wc -l)
check "--only FILE:NAME picks one file's (got $n lines)" [ "$n" -eq 1 ]
n=$("$sb" run --list --only s a.ini b.ini | wc -l)
check "--only NAME picks both files' (got $n lines)" [ "$n" -eq 2 ]
n=$("$sb" run --list --restore-strategy rewrite,host-cow --only 's [host-cow]' a.ini b.ini | wc -l)
check "--only 'NAME [STRATEGY]' picks both files' run (got $n lines)" [ "$n" -eq 2 ]
expect 0 "b.ini:s [host-cow]" run --list --restore-strategy rewrite,host-cow --only 'b.ini:s [host-cow]' a.ini b.ini
n=$("$sb" run --list --restore-strategy rewrite,host-cow --only 'b.ini:s [host-cow]' a.ini b.ini | wc -l)
check "--only 'FILE:NAME [STRATEGY]' picks one run (got $n lines)" [ "$n" -eq 1 ]
expect 2 "a.ini:1: [s] duplicate scenario name 'a.ini:s' (first at a.ini:1): the same file is given twice" run --list a.ini a.ini
mkdir -p sub && cp a.ini sub/a.ini
expect 2 "sub/a.ini:1: [s] duplicate scenario name 'a.ini:s' (first at a.ini:1)" run --list a.ini sub/a.ini
# help --help is a question about help; a mistyped command names the nearest
expect 0 "commands:" help --help
expect 0 "commands:" help -h
expect 2 "unknown command 'rnu'; did you mean 'run'?" rnu
expect 2 "unknown command 'comapre'; did you mean 'compare'?" comapre
expect 2 "unknown command 'insp'; did you mean 'inspect'?" insp
expect 2 "no help for unknown command 'scenari'; did you mean 'scenario'?" help scenari
expect 2 "no help for unknown command 'scenaro'; did you mean 'scenario'?" help scenaro
expect 2 "no help for unknown command 'comapre'; did you mean 'compare'?" help comapre
expect 2 "unknown command 'frobnicate' (try 'snapbench help')" frobnicate
expect 2 "no help for unknown command 'lyaout'; did you mean 'layout'?" help lyaout
expect 2 "snapbench report: which report? (usage: snapbench report FILE.json; without FILE, snapbench-results/latest/report.json, which is missing)" report
# every shipped file in one run
expect 0 "builtin.ini:snapshot-chain" run --list "$scen"/*.ini
expect 0 "chains.ini:snapshot-chain" run --list "$scen"/*.ini
# bad input refused before anything runs: a directory, an --only name
# nothing has (naming the ones there are), an -o that cannot be written
expect 2 "snapbench run: $scen/ is a directory; give its scenario files ('snapbench run $scen/*.ini')" run "$scen/"
expect 2 "snapbench run: --only nosuch: no scenario has that name; the scenarios are: s" run --only nosuch -o never a.ini
expect 2 "snapbench run: --only nosuch: no scenario has that name" run --only s --only nosuch -o never a.ini
check "no output directory made for a refused run" [ ! -e never ]
: >plainfile
expect 2 "snapbench run: -o plainfile: not a directory" run -o plainfile a.ini
expect 2 "snapbench run: -o nodir/deeper: cannot make the directory: No such file or directory" run -o nodir/deeper a.ini
mkdir ro && chmod 555 ro
if [ "$(id -u)" -ne 0 ]; then
	expect 2 "snapbench run: -o ro: cannot write in it: Permission denied" run -o ro a.ini
fi
expect 2 "snapbench run: -o /proc/sys: cannot write in it" run -o /proc/sys a.ini
# a scratch too small for the heap: refused when parsed, with the size
printf '[big]\nheap = 128M\nstep = create\n' >big.ini
expect 2 "big.ini:2: [big] scratch = 288K is too small for heap = 128M (its page tables take 284 KiB of scratch): use scratch = 448K or more" run -o never big.ini
expect 0 "minimum 446464 bytes = I/O buffers 32768 + 30 pages + page tables 290816" layout --heap 128M
expect 0 "private, 458752 bytes (448 KiB)" layout --heap 128M
expect 0 "scratch: the default 288 KiB cannot hold this heap's page tables; shown at the minimum, 448 KiB (scratch = 448K)" layout --heap 128M
expect 1 "use --scratch 448K (in a scenario file: scratch = 448K)" layout --heap 128M --scratch 444K
expect 0 "t " run --list b.ini
# files a scenario names, checked before anything runs
printf '[global]\ninit_data = nodata.bin\n[s]\nstep = create\n' >c.ini
expect 2 "c.ini:2: [s] init_data: 'nodata.bin': No such file or directory" run c.ini
printf '[s]\nguest = .\nstep = create\n' >d.ini
expect 2 "d.ini:2: [s] guest: '.': not a regular file" run d.ini
# sizes beyond the layout's limits, and labels too long for a report
printf '[s]\nheap = 16G\nstep = create\n' >e.ini
expect 2 "e.ini:2: [s] heap: '16G' is out of range (4K..16777204K" run e.ini
long=/tmp/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/s.snap
printf '[s]\nstep = create\nstep = snapshot\nstep = save %s\n' "$long" >f.ini
expect 2 "f.ini:4: [s] step 'save $long': its label" run f.ini
expect 0 "iterations/s per sandbox" help scenario
# save and load paths stay in the output directory unless --allow-paths
printf '[s]\nstep = create\nstep = snapshot\nstep = save /tmp/x.snap\n' >abs.ini
expect 2 "abs.ini:4: [s] step 'save /tmp/x.snap': '/tmp/x.snap' is an absolute path; save and load paths are relative to the run's output directory (-o)" run abs.ini
printf '[s]\nstep = load a/../../x.snap as x\nstep = create\n' >dots.ini
expect 2 "dots.ini:2: [s] step 'load x': 'a/../../x.snap' is a path with '..'" run dots.ini
printf '[s]\nstep = repeat 2 {\nstep = load /x.snap as x\nstep = }\n' >nested.ini
expect 2 "is an absolute path" run --list nested.ini
expect 0 "--allow-paths" run --help
expect 0 "relative to the run's output directory" help scenario
expect 2 "--repeat: '0' is not a number of runs from 1 to 1000" run --repeat 0 a.ini
expect 2 "--repeat: 'x' is not a number of runs from 1 to 1000" run --repeat x a.ini
expect 2 "--repeat: '1001' is not a number of runs from 1 to 1000" run --repeat 1001 a.ini
expect 0 "--repeat N" run --help
finish
