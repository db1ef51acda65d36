#!/bin/sh
# readme_dump.sh — the README's `snapbench tui --dump` example is what the
# command prints (up to the example's "..."), and the README's TUI key
# table names the keys the help screen lists for search and go-to-VA.
# Usage: readme_dump.sh README.md SNAPBENCH
set -u
readme=$1
sb=$2
want=$(awk '/^\$ snapbench tui --dump dedup$/ { on = 1; next } on && /^(\.\.\.|```)$/ { exit } on { print }' "$readme")
[ -n "$want" ] || { echo "FAIL: no 'snapbench tui --dump dedup' example in $readme"; exit 1; }
n=$(printf '%s\n' "$want" | wc -l)
got=$("$sb" tui --dump dedup | head -n "$n")
if [ "$want" != "$got" ]; then
  echo "FAIL: the README's --dump dedup example differs from the output:"
  printf '%s\n' "$want" >/tmp/readme-dump-want.$$; printf '%s\n' "$got" >/tmp/readme-dump-got.$$
  diff /tmp/readme-dump-want.$$ /tmp/readme-dump-got.$$; rm -f /tmp/readme-dump-*.$$
  exit 1
fi
echo "ok: README --dump dedup example ($n lines) matches"

for k in '`:`' '`/`, `n`, `N`' '`+`, `-`'; do
  grep -qF -- "| $k |" "$readme" || { echo "FAIL: README key table: no row for $k"; exit 1; }
done
echo "ok: README key table rows"
