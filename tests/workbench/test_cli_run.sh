#!/bin/sh
# test_cli_run.sh SNAPBENCH [kvm] — `snapbench run`: bad scenario input is
# refused with file:line and exit 2 before anything runs (no KVM needed);
# with "kvm", a run whose stdout summary cannot be written exits 1.
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
