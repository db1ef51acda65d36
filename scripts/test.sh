#!/usr/bin/env bash
# test.sh — set everything up, then run every test suite: first the plain
# build, then the unit and kvm suites again under ASan+UBSan, then the
# fuzz suite (each fuzz target SB_FUZZ_SECONDS, default 30, under libFuzzer
# with ASan+UBSan; skipped without clang).
# Ends with one line "tests: N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."

export SB_TEST_TOOLS=1
scripts/setup.sh plain || exit 1
scripts/setup.sh asan || exit 1
scripts/setup.sh fuzz || exit 1

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

status=0
echo "== all suites (plain build)"
meson test -C build --print-errorlogs || status=1
echo "== unit and kvm suites (ASan+UBSan build)"
meson test -C build-asan --print-errorlogs --suite unit --suite kvm || status=1
echo "== fuzz suite: ${SB_FUZZ_SECONDS:-30}s per target (libFuzzer, ASan+UBSan, build-fuzz/)"
meson test -C build --setup fuzz --suite fuzz --print-errorlogs || status=1

# One closing line over the three runs, from meson's own logs.
python3 - build/meson-logs/testlog.json build-asan/meson-logs/testlog.json \
	build/meson-logs/testlog-fuzz.json <<'PY'
import json, sys
count = {"OK": 0, "FAIL": 0, "SKIP": 0}
for path in sys.argv[1:]:
    for line in open(path):
        r = json.loads(line).get("result", "")
        if r in ("OK", "EXPECTEDFAIL"):
            count["OK"] += 1
        elif r == "SKIP":
            count["SKIP"] += 1
        else:
            count["FAIL"] += 1
print(f"tests: {count['OK']} passed, {count['FAIL']} failed, {count['SKIP']} skipped")
PY
exit $status
