#!/bin/sh
# test_cli_dump_va.sh SNAPBENCH TESTGUEST [kvm] — `snapbench inspect
# --dump-va`: hexdump -C rows of the embedded guest's INIT snapshot (the PEB
# and the heap: bytes the layout decides, not the compiler), "*" for
# repeats, the end VA, errors naming the address, bad arguments. With
# "kvm": a snapshot file saved after a call wrote heap page 0 (a CALL
# snapshot: pages relocated into a dense image) shows the written word.
sb=$1
elf=$2
. "$(dirname "$0")/../cli_expect.sh"
if [ "${3:-}" = kvm ]; then
	[ -e /dev/kvm ] || { echo "skipped: /dev/kvm is missing"; exit 77; }
	dir=$(mktemp -d) || exit 1
	trap 'rm -rf "$dir"' EXIT
	printf '[s]\niterations = 1\nwarmup = 0\nstep = create\nstep = call touch_pages(2u)\nstep = snapshot as a\nstep = save x.snap from a\nstep = destroy\n' >"$dir/s.ini"
	"$sb" run -q -o "$dir/out" "$dir/s.ini" >/dev/null 2>"$dir/err.txt"
	check "the scenario saved a snapshot: $(tail -2 "$dir/err.txt")" [ -s "$dir/out/x.snap" ]
	# touch_pages(2) wrote (i + 1) * 0x9E3779B97F4A7C15 at the start of heap pages 0 and 1
	expect 0 "000000000000d000  15 7c 4a 7f b9 79 37 9e  00 00 00 00 00 00 00 00  |.|J..y7.........|" \
		inspect "$dir/out/x.snap" --dump-va d000 16
	expect 0 "000000000000e000  2a f8 94 fe 72 f3 6e 3c  00 00 00 00 00 00 00 00  |*...r.n<........|" \
		inspect --dump-va d000 8K "$dir/out/x.snap"
	# the page after the two: untouched heap, the zero page every such page shares
	expect 0 "000000000000f000  00 00 00 00 00 00 00 00" inspect "$dir/out/x.snap" --dump-va f000 16
	finish
fi
# The PEB: {input size 16K, input GVA}, {output size, GVA}, no init data, heap.
expect 0 "000000000000c000  00 40 00 00 00 00 00 00  00 70 fb ff ff ff ff ff  |.@.......p......|" \
	inspect --dump-va c000 64
expect 0 "000000000000c030  00 00 02 00 00 00 00 00  00 d0 00 00 00 00 00 00  |................|" \
	inspect --dump-va 0xc000 64
expect 0 "000000000000c040" inspect --dump-va c000 64
# unaligned start, short last row
expect 0 "000000000000c031  00 02 00                                          |...|" \
	inspect --dump-va c031 3
# a zero heap page: one row, "*", the end
out=$("$sb" inspect --dump-va d000 4K)
check "4K of zero heap is one row, '*', the end VA" [ "$out" = "000000000000d000  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|
*
000000000000e000" ]
# FILE before or after the option, an ELF with sizes
expect 0 "000000000000c030  00 00 02 00" inspect "$elf" --dump-va c000 64
expect 0 "000000000000c030  00 00 01 00" inspect --heap 64K --dump-va c000 64 "$elf"
# the page-table area through the scratch window: a PML4 entry
expect 0 "fffffffffffbf000  27 10 fc ff 0f 00 00 00" inspect --dump-va fffffffffffbf000 8
# errors name the address; what was read is printed first
expect 1 "VA 0x2d000 not mapped" inspect --dump-va 2cff0 32
expect 0 "000000000002cff0  00 00" inspect --dump-va 2cff0 16
out=$("$sb" inspect --dump-va 2cff0 32 2>/dev/null)
check "rows before an unmapped page are printed" [ "$out" = "000000000002cff0  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|
000000000002d000" ]
expect 1 "VA 0x0 not mapped" inspect --dump-va 0 1
expect 1 "VA 0x800000000000: non-canonical address" inspect --dump-va 800000000000 1
expect 1 "VA 0xfffffffffffb7000 maps GPA 0xffffb8000 outside the snapshot" \
	inspect --dump-va fffffffffffb7000 16
expect 2 "wraps around" inspect --dump-va ffffffffffffffff 2
# bad arguments
expect 2 "--dump-va: want ADDR LEN" inspect --dump-va 1000
expect 2 "ADDR 'zz' is not a hex address" inspect --dump-va zz 16
expect 2 "ADDR '-1' is not a hex address" inspect --dump-va -1 16
expect 2 "LEN: size '4X' has an unknown unit 'X'" inspect --dump-va 1000 4X
expect 2 "LEN '0' is zero" inspect --dump-va 1000 0
expect 0 "--dump-va ADDR LEN" inspect --help
finish
