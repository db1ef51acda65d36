#!/bin/sh
# test_html_real.sh SNAPBENCH SCENARIOS — real reports from shipped
# scenarios (restore-strategies.ini with all four strategies,
# restore-vs-heap.ini, snapshot-vs-dirtied.ini, builtin.ini) rendered in
# headless Chromium: no two text labels of any plot overlap
# (html_overlap.sh), the summary is at the top, the plots users asked for
# are there with a line per strategy, and `compare --html` of two real runs
# renders too. Exit 77 (skipped) without chromium or without /dev/kvm.
sb=$1
scen=$2
case $sb in /*) ;; *) sb=$PWD/$sb ;; esac
case $scen in /*) ;; *) scen=$PWD/$scen ;; esac
chromium=$(command -v chromium || command -v chromium-browser || command -v google-chrome)
if [ -z "$chromium" ]; then
	echo "SKIP: chromium is not installed (apt-get install -y chromium)"
	exit 77
fi
if [ ! -w /dev/kvm ]; then
	echo "SKIP: no /dev/kvm"
	exit 77
fi
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
fail=0
pages=
for s in restore-strategies restore-vs-heap snapshot-vs-dirtied builtin; do
	if ! "$sb" run "$scen/$s.ini" -o "$dir/$s" -q --html > "$dir/$s.out" 2>&1; then
		# a failed expectation (exit 1) still writes the report
		[ -n "$(find "$dir/$s" -name report.html)" ] || {
			echo "FAIL: snapbench run $s.ini wrote no report:"
			tail -5 "$dir/$s.out"
			exit 1
		}
	fi
	page=$(find "$dir/$s" -name report.html | head -1)
	cp "$page" "$dir/$s.html"
	cp "$(dirname "$page")/report.json" "$dir/$s.json"
	pages="$pages $dir/$s.html"
done
# the summary first, with the command that reproduces the run
h=$dir/restore-strategies.html
first_h2=$(grep -o '<h2>[^<]*</h2>' "$h" | head -1)
if [ "$first_h2" != "<h2>Summary</h2>" ]; then
	echo "FAIL: the report's first section is $first_h2, not the summary"
	fail=1
fi
if ! grep -q "<pre class=\"cmd\"><code>cd .* &amp;&amp; .*snapbench run .*restore-strategies.ini" "$h"; then
	echo "FAIL: the summary lacks the command that reproduces the run"
	fail=1
fi
# one line per restore strategy, all four, in the plots against heap and pages
for id in restore-heap penalty-heap pages-restore penalty-pages; do
	plot=$(sed -n "/<title id=\"$id-t\">/,/<\/svg>/p" "$h")
	for st in rewrite host-cow retain rewind; do
		if ! echo "$plot" | grep -q "<g class=\"legend\">.*>$st[,(]* "; then
			echo "FAIL: plot $id has no line of strategy $st"
			fail=1
		fi
	done
done
if ! grep -q 'heap (log2 scale)' "$h"; then
	echo "FAIL: heap size is not on a log2 axis"
	fail=1
fi
# compare --html of two real runs (the run against itself: 0, or 1 when an
# expectation failed on a loaded machine, which compare counts as a
# regression; never 2)
"$sb" compare "$dir/builtin.json" "$dir/builtin.json" --html "$dir/compare.html" > /dev/null
rc=$?
if [ $rc -gt 1 ] || ! grep -q '<title id="cmp-0-t">' "$dir/compare.html"; then
	echo "FAIL: compare of a run with itself --html exits $rc, or its page has no plot"
	fail=1
fi
pages="$pages $dir/compare.html"
# shellcheck disable=SC2086
sh "$(dirname "$0")/html_overlap.sh" "$chromium" "$dir" $pages || fail=1
exit $fail
