#!/bin/sh
# html_overlap.sh CHROMIUM WORKDIR PAGE... — render each page in headless
# Chromium with html_overlap.js injected and fail when two text labels of
# a plot overlap, or a rendered label leaves the box the layout reserved
# for it. Prints one line per page; exit 1 on any failure.
chromium=$1 work=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
fail=0
for page in "$@"; do
	case $page in /*) ;; *) page=$PWD/$page ;; esac
	name=$(basename "$page" .html)
	dir=$(dirname "$page")
	cp "$here/html_overlap.js" "$dir/html_overlap.js" || exit 1
	sed 's#</body>#<script src="html_overlap.js"></script></body>#' "$page" > "$dir/$name.overlap.html"
	"$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$work/profile" --dump-dom "file://$dir/$name.overlap.html" \
		> "$dir/$name.overlap.dom" 2> /dev/null
	result=$(sed -n '/<pre id="overlap-result">/,/<\/pre>/p' "$dir/$name.overlap.dom" |
		sed 's/<[^>]*>//g')
	case $result in
	plots\ 0\ *|"")
		echo "FAIL: $name: no plot measured (${result:-the check did not run})"
		fail=1 ;;
	*NO-OVERLAP*)
		echo "ok: $name: $(echo "$result" | head -1), no two labels overlap" ;;
	*)
		echo "FAIL: $name: $result" | head -40
		fail=1 ;;
	esac
done
exit $fail
