#!/bin/sh
# test_crashdump_cli.sh SNAPBENCH — crash dumps from `snapbench run`:
# `crashdump = DIR` in a scenario and `--crashdump DIR` (which overrides
# it) write one core per faulting call, and the failure's message on
# stderr and in report.json names it; a bad --crashdump is a usage error,
# and so is a file's crashdump outside the working directory (without
# --allow-paths or --crashdump).
# Needs /dev/kvm (exit 77 without).
sb=$(cd "$(dirname "$1")" && pwd)/$(basename "$1") # absolute: we cd below
. "$(dirname "$0")/../cli_expect.sh"
[ -e /dev/kvm ] || { echo "skipped: /dev/kvm is missing"; exit 77; }
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
cd "$dir" || exit 1

printf '[fault]\niterations = 2\ncrashdump = fromfile\nstep = create\nstep = call add(1, 2)\nstep = call null_deref(0u64)\n' >fault.ini
mkdir fromfile
expect 1 "fault.ini:6: [fault] step 'call null_deref': call 'null_deref' failed 1 time: guest aborted" \
	run -q -o out fault.ini
check "crashdump = fromfile: one core there" [ "$(ls fromfile | grep -c '^null_deref\..*\.core$')" -eq 1 ]
check "stderr names it" sh -c "printf '%s' \"\$1\" | grep -qF '(core written to fromfile/null_deref.'" sh "$out"
check "report.json's first_error names it" python3 -c '
import json, os, sys
s = json.load(open("out/report.json"))["scenarios"][0]
row = [x for x in s["steps"] if x["errors"]][0]
msg = row["first_error"]
path = msg[msg.index("(core written to ") + len("(core written to "):-1]
sys.exit(0 if msg.endswith(".core)") and os.path.isfile(path) else 1)'

# --crashdump replaces the file's directory, and is made if missing
expect 1 "(core written to cli/null_deref." run -q -o out2 --crashdump cli fault.ini
check "--crashdump cli: the core there, none more in fromfile" \
	sh -c '[ "$(ls cli | grep -c "\.core$")" -eq 1 ] && [ "$(ls fromfile | wc -l)" -eq 1 ]'
check "the core is an ELF core" sh -c 'head -c 18 cli/*.core | od -An -tx1 | tr -d " \n" | grep -q "^7f454c46020101000000000000000000"0400'

# a directory that is not there is made before the run (one level), as
# --crashdump makes its own: the README's `crashdump = cores` works as it
# is (the first fault used to find no directory and write no core)
sed 's/^crashdump = fromfile/crashdump = missing/' fault.ini >missing.ini
expect 1 "(core written to missing/null_deref." run -q -o out3 missing.ini
check "crashdump = missing: made, one core there" [ "$(ls missing | grep -c '^null_deref\..*\.core$')" -eq 1 ]
sed 's/^crashdump = fromfile/crashdump = no\/such/' fault.ini >deep.ini
expect 1 "deep.ini:3: [fault] crashdump: 'no/such': cannot make it: No such file or directory" \
	run -q -o out3 deep.ini
expect 2 "--crashdump fault.ini/x: cannot make the directory: Not a directory" run -q -o out3 --crashdump fault.ini/x fault.ini
# a scenario file's directory stays under the working directory
sed 's|^crashdump = fromfile|crashdump = /tmp/elsewhere|' fault.ini >abs.ini
expect 2 "abs.ini:3: [fault] crashdump: '/tmp/elsewhere' is an absolute path; a scenario's crashdump directory is relative" \
	run -q -o out5 abs.ini
sed 's|^crashdump = fromfile|crashdump = a/../../up|' fault.ini >up.ini
expect 2 "up.ini:3: [fault] crashdump: 'a/../../up' is a path with '..'" run -q -o out5 up.ini
# ... unless the user says otherwise
expect 1 "(core written to cli/null_deref." run -q -o out5 --crashdump cli abs.ini
expect 1 "up.ini:3: [fault] crashdump: 'a/../../up': cannot make it: No such file or directory" \
	run -q -o out5 --allow-paths up.ini
touch plain
expect 2 "--crashdump plain: not a directory" run -q -o out4 --crashdump plain fault.ini
expect 2 "--crashdump: empty directory name" run -q -o out4 --crashdump '' fault.ini
# A cancel is expected, not a failure: 80 iterations that each cancel a
# call in a new sandbox wrote 80 cores (each sandbox's cap is 16); a run
# writes at most 64 (RUNNER_CRASHDUMP_MAX_FILES), two sandboxes together.
printf '[loop]\niterations = 40\nwarmup = 0\nsandboxes = 2\ncrashdump = loop\nstep = create\n' >loop.ini
printf 'step = cancel after 0\nstep = call spin()\nstep = destroy\n' >>loop.ini
expect 0 "" run -q -o out6 loop.ini
check "a cancel loop of 80 sandboxes: 64 cores ($(ls loop | grep -c '\.core$'))" \
	[ "$(ls loop | grep -c '\.core$')" -eq 64 ]
check "no core's temporary file left" [ "$(ls -A loop | grep -vc '\.core$')" -eq 0 ]
finish
