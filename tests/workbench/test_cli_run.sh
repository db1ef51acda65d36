#!/bin/sh
# test_cli_run.sh SNAPBENCH [kvm] — `snapbench run`: bad scenario input is
# refused with file:line and exit 2 before anything runs (no KVM needed);
# with "kvm", a run whose stdout summary cannot be written exits 1, and the
# summary shows the rows by variant and the post-restore penalties.
sb=$(cd "$(dirname "$1")" && pwd)/$(basename "$1") # absolute: we cd below
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
	# the summary: rows by variant, the post-restore penalty per call label
	printf '[p]\niterations = 3\nwarmup = 1\nstep = create\nstep = snapshot as s\n' >p.ini
	printf 'step = restore s\nstep = call add(1, 2)\nstep = call add(1, 2)\n' >>p.ini
	printf 'step = restore s\nstep = call echo(bytes(8)) as e8\n' >>p.ini
	"$sb" run -o out3 p.ini >p.txt 2>err.txt
	rc=$?
	check "run with restores: exit 0 (got $rc): $(tail -2 err.txt)" [ "$rc" -eq 0 ]
	check "summary: a row per restore path" grep -qE "^   restore s \(same snapshot\) +2 " p.txt
	check "summary: the first call after a restore apart" \
		grep -qE "^   call add \(first after restore\) +2 " p.txt
	check "summary: the steady call apart" grep -qE "^   call add \(steady\) +2 " p.txt
	check "summary: restore rows read as restore-to-ready" grep -q "restore rows are restore-to-ready" p.txt
	check "summary: the penalty section" grep -q "post-restore penalty in microseconds (us)" p.txt
	check "summary: a penalty for call add" \
		grep -qE "^   call add +[0-9]+\.[0-9]{3} +[0-9]+\.[0-9]{3} +-?[0-9]+\.[0-9]{3} +-?[0-9]+\.[0-9]{3}$" p.txt
	check "summary: none invented for e8" \
		grep -qE "^   e8 +[0-9]+\.[0-9]{3} +- +- +-   no steady call of this label was recorded: no penalty$" p.txt
	finish
fi

# the same scenario name in two files: the report could not be read back
expect 2 "b.ini:4: [s] duplicate scenario name (first at a.ini:1)" run a.ini b.ini
expect 2 "a.ini:1: [s] duplicate scenario name (first at a.ini:1)" run --list a.ini a.ini
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
finish
