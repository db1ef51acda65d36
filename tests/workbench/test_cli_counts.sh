#!/bin/sh
# test_cli_counts.sh SNAPBENCH [kvm] — the counts `inspect` prints agree
# with the page-table dump's footer and with the TUI's dedup view (one
# census, snapshot/snap_census.c): page-table pages, all-zero pages, pages
# at >= 2 VAs; and `inspect --va` prints only the translation path. With
# "kvm", the same on a snapshot of a running sandbox, whose zero pages all
# became one image page mapped at many VAs.
sb=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
. "$(dirname "$0")/../cli_expect.sh"
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
cd "$dir" || exit 1

# agree FILE...: inspect's numbers against the footer and the dedup view
agree() {
	"$sb" inspect "$@" >i.txt 2>&1 || { fail=$((fail + 1)); echo "FAIL: inspect $*"; return; }
	"$sb" tui --dump dedup "$@" >d.txt 2>&1 || { fail=$((fail + 1)); echo "FAIL: tui $*"; return; }
	pt=$(sed -n 's/^  image: [0-9]* pages + \([0-9]*\) page-table pages.*/\1/p' i.txt)
	tables=$(grep '^# [0-9]* tables' i.txt | sed 's/^# \([0-9]*\) tables.*/\1/' | awk '{ s += $1 } END { print s }')
	tui_t=$(sed -n 's/.* T page table \([0-9]*\),.*/\1/p' d.txt | head -1)
	check "$*: page-table pages: inspect $pt, footer $tables, dedup view $tui_t" \
		[ -n "$pt" ] && [ "$pt" = "$tables" ] && [ "$pt" = "$tui_t" ]
	zero=$(sed -n 's/^  pages: \([0-9]*\) all-zero,.*/\1/p' i.txt)
	tui_z=$(sed -n 's/.* Z zero \([0-9]*\),.*/\1/p' d.txt | head -1)
	check "$*: all-zero pages: inspect $zero, dedup view $tui_z" [ -n "$zero" ] && [ "$zero" = "$tui_z" ]
	al=$(sed -n 's/^  pages: .*, \([0-9]*\) mapped at >= 2 VAs (\([0-9]*\) of them all-zero).*/\1 \2/p' i.txt)
	tui_al=$(sed -n 's/^-- aliases: \([0-9]*\) physical pages* at >= 2 VAs (A \([0-9]*\), Z \([0-9]*\)).*/\1 \3 \2/p' d.txt | head -1)
	tui_a=$(sed -n 's/.* A aliased \([0-9]*\),.*/\1/p' d.txt | head -1)
	check "$*: aliased pages: inspect '$al', dedup view '$tui_al'" [ -n "$al" ] && [ "$al ${tui_al##* }" = "$tui_al" ]
	check "$*: the legend's A is the aliased pages not all-zero ($tui_a, '$tui_al')" \
		[ "${tui_al##* }" = "$tui_a" ]
	vas=$(sed -n 's/^  image: .*; \([0-9]*\) VAs map [0-9]* of them (\([0-9]*\) VAs map scratch)/\1 \2/p' i.txt)
	tui_vas=$(sed -n 's/.*; \([0-9]*\) VAs map them, \([0-9]*\) map scratch/\1 \2/p' d.txt | head -1)
	check "$*: VAs: inspect '$vas', dedup view '$tui_vas'" [ -n "$vas" ] && [ "$vas" = "$tui_vas" ]
}

agree
check "the INIT snapshot's heap is all zero: 32 pages" grep -q "^  pages: 32 all-zero, 0 mapped at >= 2 VAs" i.txt
# --va: the translation path only, as the help says
"$sb" inspect --va 0x1000 >va.txt 2>&1
check "--va: exit 0" [ $? -eq 0 ]
check "--va: the path first, no summary or layout" sh -c 'head -1 va.txt | grep -q "^# page tables (x86-64)" && ! grep -q "snapshot region\|^  image:" va.txt'
check "--va: four tables on the path, root included" grep -q "^# 4 tables, 1 4 KiB pages" va.txt

if [ "$2" = kvm ]; then
	[ -e /dev/kvm ] || { echo "skipped: /dev/kvm is missing"; exit 77; }
	printf '[s]\niterations = 1\nwarmup = 0\nstep = create\nstep = call touch_pages(3)\n' >s.ini
	printf 'step = snapshot as s\nstep = save s.snap from s\n' >>s.ini
	"$sb" run -q -o out s.ini >run.txt 2>&1
	check "a snapshot of a running sandbox saved: $(tail -2 run.txt)" [ -s out/s.snap ]
	agree out/s.snap
	check "its zero pages are one image page, at several VAs" \
		grep -q "^  pages: 1 all-zero, 1 mapped at >= 2 VAs (1 of them all-zero)" i.txt
	check "and the view says the Z page is the aliased one" grep -q "^-- aliases: 1 physical page at >= 2 VAs (A 0, Z 1)" d.txt
	check "what the snapshot did when taken" grep -q "^  when taken: [0-9]* pages of the sandbox were all-zero (one image page holds them)" i.txt
fi
finish
