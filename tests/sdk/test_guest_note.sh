#!/bin/sh
# test_guest_note.sh SNAPBENCH TESTGUEST_ELF [kvm] — the guest ABI note as
# the commands see it: a guest built for another ABI is refused by inspect,
# tui and run, naming both versions; a guest without the note is accepted
# with one warning on stderr (once per path, however many scenarios name
# it); the test guest, which carries the note, draws no warning.
sb=$(cd "$(dirname "$1")" && pwd)/$(basename "$1") # absolute: we cd below
guest=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../cli_expect.sh"
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
cd "$dir" || exit 1
python3 "$here/note_patch.py" "$guest" nonote.elf drop || exit 1
python3 "$here/note_patch.py" "$guest" abi9.elf version=9 || exit 1
warning="warning: nonote.elf carries no snapbench guest ABI note"
refusal="abi9.elf: built for snapbench guest ABI 9, this snapbench runs ABI 1; rebuild the guest against this snapbench's SDK"

# count FILE TEXT: lines of FILE holding TEXT
count() { grep -cF -- "$2" "$1"; }

if [ "$3" = kvm ]; then
	[ -e /dev/kvm ] || { echo "skipped: /dev/kvm is missing"; exit 77; }
	printf '[a]\nguest = nonote.elf\nstep = create\nstep = call add(1, 2)\n' >nonote.ini
	printf '[b]\nguest = nonote.elf\nstep = create\nstep = call add(2, 3)\n' >>nonote.ini
	"$sb" run -q -o out nonote.ini >/dev/null 2>err.txt
	rc=$?
	check "run without a note: exit 0 (got $rc): $(tail -2 err.txt)" [ "$rc" -eq 0 ]
	check "run without a note: one warning for two scenarios ($(count err.txt "$warning"))" \
		[ "$(count err.txt "$warning")" -eq 1 ]
	printf '[a]\nguest = abi9.elf\nstep = create\nstep = call add(1, 2)\n' >abi9.ini
	expect 1 "abi9.ini:1: [a] $refusal" run -q -o out9 abi9.ini
	printf '[a]\nstep = create\nstep = call add(1, 2)\n' >own.ini
	"$sb" run -q -o own own.ini >/dev/null 2>err.txt
	rc=$?
	check "run of the embedded guest: exit 0 (got $rc)" [ "$rc" -eq 0 ]
	check "run of the embedded guest: no warning" [ "$(count err.txt warning)" -eq 0 ]
	finish
fi

"$sb" inspect --layout nonote.elf >out.txt 2>err.txt
rc=$?
check "inspect without a note: exit 0 (got $rc): $(cat err.txt)" [ "$rc" -eq 0 ]
check "inspect without a note: one warning" [ "$(count err.txt "$warning")" -eq 1 ]
check "the warning names the host's ABI and the SDK" \
	grep -qF "(guest ABI 1); build it against the SDK (pkg-config snapbench-guest)" err.txt
check "inspect without a note: the warning on stderr only" [ "$(count out.txt warning)" -eq 0 ]
"$sb" tui --dump layout nonote.elf >/dev/null 2>err.txt
rc=$?
check "tui without a note: exit 0 (got $rc)" [ "$rc" -eq 0 ]
check "tui without a note: one warning" [ "$(count err.txt "$warning")" -eq 1 ]
"$sb" inspect --layout "$guest" >/dev/null 2>err.txt
check "inspect of a guest with the note: no warning" [ ! -s err.txt ]
expect 1 "$refusal" inspect --layout abi9.elf
expect 1 "$refusal" tui --dump layout abi9.elf
printf '[a]\nguest = abi9.elf\nstep = create\n' >abi9.ini
expect 1 "$refusal" tui --dump layout abi9.ini
finish
