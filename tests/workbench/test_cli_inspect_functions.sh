#!/bin/sh
# test_cli_inspect_functions.sh SNAPBENCH GUEST-ELF — `snapbench inspect
# --functions` (needs /dev/kvm, exit 77 without): the functions the guest
# registered at init, one line each as NAME(PARAMS) -> RET, from the
# embedded guest, from an ELF, and from a snapshot file a scenario with
# the built-in host functions saved (a sandbox of it needs them); errors
# exit 1 with a message.
sb=$(cd "$(dirname "$1")" && pwd)/$(basename "$1") # absolute: we cd below
elf=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
. "$(dirname "$0")/../cli_expect.sh"
expect 0 "--functions     only the functions the guest registered" inspect --help
[ -e /dev/kvm ] || { echo "skipped: /dev/kvm is missing"; exit 77; }
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
cd "$dir" || exit 1

"$sb" inspect --functions >embedded.txt 2>err.txt
rc=$?
check "embedded guest: exit 0 (got $rc): $(head -2 err.txt)" [ "$rc" -eq 0 ]
for line in "echo(bytes) -> bytes" "add(i64, i64) -> i64" "fneg(f64) -> f64" "spin() -> void" \
	"call_host(string, i64) -> i64" "map_gpa(u64, u64, u64) -> u64" "host_loop(string, u64) -> u64"; do
	check "embedded guest lists '$line'" grep -qxF "$line" embedded.txt
done
check "one line per function, nothing else: $(grep -cv ') -> ' embedded.txt) other lines" \
	[ "$(grep -cv ') -> ' embedded.txt)" -eq 0 ]
check "at least 30 functions" [ "$(wc -l <embedded.txt)" -ge 30 ]
check "the reserved call is not listed" sh -c "! grep -q __sb_functions embedded.txt"

expect 0 "add(i64, i64) -> i64" inspect --functions "$elf"

# a snapshot saved by a scenario whose sandboxes had the host functions
cat >save.ini <<'INI'
[save]
host_functions = builtin
step = create
step = call host_add(1, 2) == 3
step = snapshot as s
step = save s.snap from s
INI
"$sb" run -q -o out save.ini >/dev/null 2>run.txt
check "the saving run exits 0: $(grep -v calibration run.txt | head -2)" [ -s out/s.snap ]
expect 0 "host_add(i64, i64) -> i64" inspect --functions out/s.snap

expect 1 "snapbench inspect: " inspect --functions "$dir/no-such.elf"
printf 'not an elf' >junk.bin
expect 1 "snapbench inspect: " inspect --functions junk.bin
# a FIFO is refused, not waited on (timeout: a hang fails the check)
mkfifo fifo
out=$(timeout 20 "$sb" inspect --functions fifo 2>&1)
rc=$?
check "a FIFO: exit 1 at once (got $rc): $out" [ "$rc" -eq 1 ]
check "a FIFO: said so" [ "$out" = "snapbench inspect: 'fifo': not a regular file" ]
finish
