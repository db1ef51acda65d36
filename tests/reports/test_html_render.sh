#!/bin/sh
# test_html_render.sh SNAPBENCH FIXTURE_TOOL — render the HTML report in
# headless Chromium: a screenshot that is not blank, the SVG plots in the
# DOM, no console errors; the same for `compare --html`; and no two text
# labels of any plot overlap as rendered (html_overlap.sh). Exit 77
# (skipped) without chromium.
sb=$1
tool=$2
case $sb in /*) ;; *) sb=$PWD/$sb ;; esac # meson passes build-relative paths
case $tool in /*) ;; *) tool=$PWD/$tool ;; esac
chromium=$(command -v chromium || command -v chromium-browser || command -v google-chrome)
if [ -z "$chromium" ]; then
	echo "SKIP: chromium is not installed (apt-get install -y chromium)"
	exit 77
fi
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
"$tool" "$dir" || exit 1
"$sb" report "$dir/failed.json" --html "$dir/report.html" || exit 1

run_chromium() { # run_chromium ARGS... (common flags: offline, no profile)
	"$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$dir/profile" --enable-logging=stderr --v=0 "$@"
}
fail=0
run_chromium --screenshot="$dir/out.png" --window-size=1200,2000 \
	"file://$dir/report.html" > "$dir/shot.out" 2> "$dir/shot.err"
run_chromium --dump-dom "file://$dir/report.html" > "$dir/dom.html" 2> "$dir/dom.err"

size=$(wc -c < "$dir/out.png" 2>/dev/null || echo 0)
# A blank 1200x2000 PNG compresses to a few KB; tables, text and plots do not.
if [ "$size" -lt 20000 ]; then
	echo "FAIL: screenshot is $size bytes (blank or missing)"
	fail=1
fi
# Not a single colour: the PNG's pixel data must not be uniform. python3's
# zlib decodes the IDAT chunks; we look at whether rows differ.
if command -v python3 > /dev/null; then
	python3 - "$dir/out.png" <<'PY' || fail=1
import struct, sys, zlib
data = open(sys.argv[1], 'rb').read()
assert data[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG'
pos, idat, w, h = 8, b'', 0, 0
while pos < len(data):
    n, t = struct.unpack('>I4s', data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if t == b'IHDR':
        w, h = struct.unpack('>II', body[:8])
    elif t == b'IDAT':
        idat += body
    pos += 12 + n
raw = zlib.decompress(idat)
# distinct byte values (filtered scanlines): a blank page has very few
distinct = len(set(raw))
print('screenshot %dx%d, %d distinct byte values' % (w, h, distinct))
if distinct < 16:
    print('FAIL: the screenshot is (nearly) a single colour')
    sys.exit(1)
PY
fi
svgs=$(grep -o '<svg' "$dir/dom.html" | wc -l)
if [ "$svgs" -lt 4 ]; then
	echo "FAIL: the rendered DOM has $svgs <svg> elements (want 4)"
	fail=1
fi
if ! grep -q 'esc&lt;&amp;&gt;"name\|esc&lt;&amp;&gt;&quot;name' "$dir/dom.html"; then
	echo "FAIL: the escaped scenario name is not in the rendered DOM"
	fail=1
fi
# the restore strategies side by side: a plot per heap of the sweep
"$sb" report "$dir/sweep.json" --html "$dir/sweep.html" || exit 1
run_chromium --dump-dom "file://$dir/sweep.html" > "$dir/sweep-dom.html" 2>> "$dir/dom.err"
plots=$(grep -o '<title id="ready-pages-[0-9]*-t"' "$dir/sweep-dom.html" | wc -l)
if [ "$plots" -ne 2 ]; then
	echo "FAIL: the sweep renders $plots restore-to-ready plots (want 2, one per heap)"
	fail=1
fi
# compare --html: a plot per row with both sides, the regression highlighted
"$sb" compare "$dir/base.json" "$dir/slow.json" --html "$dir/cmp.html" > /dev/null
if [ $? -ne 1 ]; then
	echo "FAIL: compare base slow --html did not report the regression (exit 1)"
	fail=1
fi
run_chromium --dump-dom "file://$dir/cmp.html" > "$dir/cmp-dom.html" 2>> "$dir/dom.err"
rows=$(grep -o '<title id="cmp-[0-9]*-t"' "$dir/cmp-dom.html" | wc -l)
both=$(grep -c '>BASE (circle)</text>' "$dir/cmp-dom.html")
if [ "$rows" -lt 5 ] || [ "$both" -ne "$rows" ]; then
	echo "FAIL: the compare page has $rows row plots, $both with BASE in the legend"
	fail=1
fi
if ! grep -q '<tr class="bad"><td class="fail">regressed</td>' "$dir/cmp-dom.html"; then
	echo "FAIL: the compare page does not highlight the regression"
	fail=1
fi
# pooled sides
"$sb" compare "$dir/base.json" "$dir/same.json" --vs "$dir/slow.json" --html "$dir/cmp-vs.html" \
	> /dev/null
if ! grep -q 'pooled: each report a run' "$dir/cmp-vs.html"; then
	echo "FAIL: compare --vs --html does not name the pooled side"
	fail=1
fi
# no two labels of any plot overlap, as Chromium renders them
sh "$(dirname "$0")/html_overlap.sh" "$chromium" "$dir" "$dir/report.html" "$dir/sweep.html" \
	"$dir/cmp.html" "$dir/cmp-vs.html" || fail=1
if grep -E "Uncaught|ERROR:CONSOLE|CONSOLE\(" "$dir/shot.err" "$dir/dom.err"; then
	echo "FAIL: console errors while rendering"
	fail=1
fi
if [ "$fail" -ne 0 ]; then
	echo "--- chromium stderr (screenshot):"
	tail -20 "$dir/shot.err"
	exit 1
fi
echo "ok: screenshot $size bytes, $svgs SVG plots, no console errors"
