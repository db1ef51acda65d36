#!/bin/sh
# test_sdk.sh MESON BUILD_DIR SOURCE_DIR — the guest SDK as a user meets it
# (README, "Writing your own guest"): `meson install` into a temporary
# DESTDIR; the hello example copied out of the tree and built with its
# Makefile against that install only (PKG_CONFIG_PATH); then the installed
# snapbench runs it through the example's scenario (every call must
# succeed, no ABI warning), and runs hello_check.c, the example plus a
# function that fails unless greet and add return what they should.
# The installed archives name no build or source directory in their debug
# info, only the sources installed in share/snapbench/src, which gdb finds
# for an SDK guest's crash dump (crash_guest.c). bad_register.c's guests:
# the rules sb_register enforces, and a name registered twice, which
# inspect --functions marks and run warns of once per guest file.
# The build half needs no KVM; without /dev/kvm the run half is skipped
# (exit 77 after the build passed).
meson=$1 build=$(cd "$2" && pwd) src=$(cd "$3" && pwd)
here=$src/tests/sdk
sb=/nonexistent # cli_expect.sh's snapbench: set once installed
. "$src/tests/cli_expect.sh"
# must WHAT CMD...: check, and stop here if it failed (what follows needs it)
must() { f=$fail; check "$@"; [ "$fail" -eq "$f" ] || finish; }
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
cd "$dir" || exit 1

"$meson" install -C "$build" --destdir "$dir/root" --no-rebuild --quiet >install.txt 2>&1
rc=$?
must "meson install: exit 0 (got $rc): $(tail -3 install.txt)" [ "$rc" -eq 0 ]
pc=$(find root -name snapbench-guest.pc)
sb=$(find "$dir/root" -path '*/bin/snapbench' -type f)
must "snapbench-guest.pc installed" [ -n "$pc" ]
must "snapbench installed" [ -x "$sb" ]
PKG_CONFIG_PATH=$dir/$(dirname "$pc")
export PKG_CONFIG_PATH
for h in guest.h proto.h pt.h addr.h; do
	check "include/snapbench/$h installed" [ -n "$(find root -path "*/include/snapbench/$h")" ]
done
check "the .pc names the guest ABI" [ "$(pkg-config --variable=guest_abi snapbench-guest)" = 1 ]
# Nothing from the source or build tree: the flags name only the install.
flags="$(pkg-config --cflags --libs snapbench-guest)"
check "pkg-config flags name only the install: $flags" \
	sh -c 'case "$1" in *"$2"*|*"$3"*) exit 1;; esac' - "$flags" "$src" "$build"

# The archives' debug info names the sources where they are installed
# (share/snapbench/src), not this build's directories (gdb on an SDK
# guest's core showed ../../../work/w6/guest/dispatch.c).
for a in $(find root -name 'libsnapbench-guest*.a'); do
	leak=$({ strings -a "$a"; readelf --debug-dump=info,line "$a" 2>/dev/null; } |
		grep -F -e "$src" -e "$build" -e '../' | sort -u | head -3)
	check "$(basename "$a") names no build or source directory: $leak" [ -z "$leak" ]
	n=0 missing=
	for f in $(readelf --debug-dump=info "$a" 2>/dev/null |
		sed -n 's/^.*DW_AT_name *:.* \(\/[^ ]*\.[cS]\)$/\1/p' | sort -u); do
		n=$((n + 1))
		[ -f "$dir/root$f" ] || missing="$missing $f"
	done
	check "$(basename "$a"): its $n sources are installed where its debug info says:$missing" \
		sh -c '[ "$1" -gt 0 ] && [ -z "$2" ]' - "$n" "$missing"
done

cp -r "$src/examples/hello-guest" hello || exit 1
rm -f hello/hello.elf
make -C hello >make.txt 2>&1
rc=$?
must "make in the example: exit 0 (got $rc): $(tail -5 make.txt)" [ "$rc" -eq 0 ]
check "the link printed no warning: $(grep -i warning make.txt)" [ "$(grep -ci warning make.txt)" -eq 0 ]
# The check guest: the example's source plus check_hello(), same flags.
cc -O2 -Wall -Werror -I hello $(pkg-config --cflags snapbench-guest) -o check.elf \
	"$here/hello_check.c" $(pkg-config --libs snapbench-guest) >cc.txt 2>&1
rc=$?
must "hello_check.c builds against the SDK (got $rc): $(tail -5 cc.txt)" [ "$rc" -eq 0 ]

[ -e /dev/kvm ] || { echo "$pass passed; skipped the runs: /dev/kvm is missing"; exit 77; }
(cd hello && "$sb" run -q hello.ini >../run.txt 2>&1)
rc=$?
check "snapbench run hello.ini: exit 0 (got $rc): $(tail -5 run.txt)" [ "$rc" -eq 0 ]
check "no warning about the guest: $(grep warning run.txt)" [ "$(grep -c warning run.txt)" -eq 0 ]
check "every call of the example ran, none failed" python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))["scenarios"][0]
rows = {r["label"]: r for r in s["steps"]}
for label in ("call greet (first after create)", "call add (steady)",
              "greet-again (first after restore)", "add-again (steady)"):
    assert label in rows, (label, sorted(rows))
    assert rows[label]["count"] == 95 and rows[label]["errors"] == 0, rows[label]
# the sandbox exit is measured for a guest without debug_exits too
assert s["calibration"]["exit_sandbox_ns"] > 0, s["calibration"]
' hello/snapbench-results/latest/report.json

printf '[check]\nguest = check.elf\niterations = 3\nstep = create\nstep = call check_hello()\n' >check.ini
printf 'step = call greet("x")\nstep = call add(1, 2)\n' >>check.ini
expect 0 "" run -q -o check check.ini
# and the check does fail on a wrong result: a guest whose add is off by one
sed 's/args\[0\]\.as\.i64 + args\[1\]\.as\.i64/args[0].as.i64 + args[1].as.i64 + 1/' \
	hello/hello.c >bad_hello.c
mkdir bad && cp bad_hello.c bad/hello.c
cc -I bad $(pkg-config --cflags snapbench-guest) -o check.elf "$here/hello_check.c" \
	$(pkg-config --libs snapbench-guest) || exit 1
expect 1 "add(40, -42) returned 0xffffffffffffffff" run -q -o check-bad check.ini

# gdb on an SDK guest's crash dump lists the runtime's frames with their
# source lines, from the sources installed where the debug info says (moved
# here under DESTDIR, which substitute-path tells gdb, as the README says).
if command -v gdb >/dev/null; then
	cc -g $(pkg-config --cflags snapbench-guest) -o crash.elf "$here/crash_guest.c" \
		$(pkg-config --libs snapbench-guest) || exit 1
	printf '[c]\nguest = crash.elf\niterations = 1\nstep = create\nstep = call boom()\n' >crash.ini
	expect 1 "core written to cores/boom." run -q -o crash --crashdump cores crash.ini
	srcdir=$(find "$dir/root" -path '*/share/snapbench/src' -type d)
	gdb_out=$(gdb -nx -batch -ex "set substitute-path ${srcdir#"$dir/root"} $srcdir" -ex bt \
		-ex 'frame 1' crash.elf cores/boom.*.core 2>&1)
	check "gdb: frame 1 is the runtime's dispatch in the installed dispatch.c: $gdb_out" \
		sh -c 'printf "%s\n" "$1" | grep -Eq "^#1 .* in sb_runtime_dispatch \(\) at /.*/share/snapbench/src/guest/dispatch\.c:[0-9]+$"' - "$gdb_out"
	check "gdb: the backtrace ends at the dispatch entry, no junk frames past it: $gdb_out" \
		sh -c 'printf "%s\n" "$1" | grep -q "^#[0-9].* in sb_guest_dispatch ()" &&
			! printf "%s\n" "$1" | grep -q "^#[0-9].* in ?? ()"' - "$gdb_out"
	check "gdb: and shows its source line, the file found: $gdb_out" \
		sh -c 'printf "%s\n" "$1" | grep -Eq "^[0-9]+	" &&
			! printf "%s\n" "$1" | grep -q "No such file"' - "$gdb_out"
fi

# A function no call could reach aborts the create, saying why (the runtime
# used to register it in silence: a name longer than a call can carry was
# listed cut to 255 bytes and answered "no such guest function").
for bad in 0 1 2 3 4 5 6 7 8; do
	cc -DBAD=$bad $(pkg-config --cflags snapbench-guest) -o bad$bad.elf "$here/bad_register.c" \
		$(pkg-config --libs snapbench-guest) || exit 1
done
expect 0 "f63(" inspect bad0.elf --functions
expect 1 "cannot register '(a long name)': a name is 1 to 255 bytes" inspect bad1.elf --functions
expect 1 "cannot register '': a name is 1 to 255 bytes" inspect bad2.elf --functions
expect 1 "cannot register 'f01': more than 16 parameters" inspect bad3.elf --functions
expect 1 "cannot register 'f01': a parameter type is void or no enum sb_type" inspect bad4.elf --functions
expect 1 "cannot register 'f02': its result type is no enum sb_type" inspect bad7.elf --functions
expect 1 "'__sb_functions' is a reserved name" inspect bad5.elf --functions
expect 1 "too many guest functions registered" inspect bad6.elf --functions
# A name registered twice: the runtime does not look (comparing every pair
# in ring 0 slowed the create), the host marks it from the guest's list, and
# a run warns once per guest file, not once per scenario or sandbox.
expect 0 "f01() -> i64  (registered twice: only the first runs)" inspect bad8.elf --functions
check "only the duplicate is marked: $out" [ "$(printf '%s\n' "$out" | grep -c 'registered twice')" -eq 1 ]
printf '[a]\nguest = bad8.elf\niterations = 2\nsandboxes = 2\nstep = create\nstep = call f01()\n' >dup.ini
printf '[b]\nguest = bad8.elf\niterations = 2\nstep = create\nstep = call f01()\n' >>dup.ini
expect 0 "" run -q -o dup dup.ini
check "run warns of the duplicate once: $out" [ "$(printf '%s\n' "$out" |
	grep -c "bad8.elf registers 'f01' twice (functions 2 and 4): only the first runs")" -eq 1 ]
finish
