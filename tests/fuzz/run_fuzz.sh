#!/usr/bin/env bash
# run_fuzz.sh NAME SOURCE_ROOT CORPUS_DIR REGRESSIONS_DIR [SEED_FILE...]
#
# The fuzz suite: run libFuzzer target NAME for SB_FUZZ_SECONDS (default
# 30) under ASan+UBSan, from the checked-in seeds, the regression inputs
# and the seeds the build generated. Needs clang with libFuzzer: without
# it the test is skipped (exit 77). The libFuzzer binaries live in their
# own clang build, SB_FUZZ_BUILD (default SOURCE_ROOT/build-fuzz), set up
# and built here on first use (scripts/setup.sh fuzz does the same); one
# test at a time configures or builds it (flock).
#
# What the run finds goes to SB_FUZZ_BUILD/fuzz-out/NAME/: crash-*, leak-*,
# timeout-*, oom-* (copy one into tests/fuzz/regressions/NAME/ with a
# name that says what it is), and corpus/ (inputs that reached new code;
# kept between runs).
#
# run_fuzz.sh --build SOURCE_ROOT only configures and builds the libFuzzer
# binaries (what scripts/setup.sh fuzz calls).
set -uo pipefail
build_only=0
if [ "${1:-}" = --build ]; then
	build_only=1 name=all src=$2
	shift 2
else
	name=$1 src=$2 corpus=$3 regressions=$4
	shift 4
fi
seconds=${SB_FUZZ_SECONDS:-30}
build=${SB_FUZZ_BUILD:-$src/build-fuzz}

if ! command -v clang >/dev/null 2>&1; then
	echo "fuzz-$name: skipped: clang is not installed (Debian: clang libclang-rt-14-dev;" \
		"scripts/setup.sh fuzz installs them)"
	exit 77
fi
if ! echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }' |
	clang -x c -fsanitize=fuzzer,address,undefined -o /dev/null - >/dev/null 2>&1; then
	echo "fuzz-$name: skipped: clang cannot link with -fsanitize=fuzzer (Debian: libclang-rt-14-dev)"
	exit 77
fi

mkdir -p "$build"
(
	flock 9
	if [ ! -f "$build/build.ninja" ]; then
		echo "fuzz-$name: configuring $build (clang, libFuzzer, ASan+UBSan)"
		CC=clang meson setup "$build" "$src" -Dfuzzing=true -Dwerror=false \
			-Db_sanitize=address,undefined -Db_lundef=false \
			-Dc_args=-fno-sanitize-recover=all >"$build/fuzz-setup.log" 2>&1 ||
			{ cat "$build/fuzz-setup.log"; exit 1; }
	fi
	targets=$(cd "$build" && ninja -t targets all | sed -n 's|^\(tests/fuzz/fuzz-[a-z_]*\): .*|\1|p' | sort -u)
	ninja -C "$build" $targets >"$build/fuzz-ninja.log" 2>&1 ||
		{ cat "$build/fuzz-ninja.log"; exit 1; }
) 9>"$build/fuzz.lock" || exit 1
[ $build_only = 1 ] && exit 0

out=$build/fuzz-out/$name
mkdir -p "$out/corpus" "$out/artifacts"
for seed in "$@"; do
	cp -f "$seed" "$out/corpus/"
done
dirs=("$out/corpus" "$corpus")
[ -d "$regressions" ] && dirs+=("$regressions")

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}:abort_on_error=1:allocator_may_return_null=1
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
opts=()
[ -f "$src/tests/fuzz/$name.dict" ] && opts+=(-dict="$src/tests/fuzz/$name.dict")
echo "fuzz-$name: ${seconds}s from ${dirs[*]}"
"$build/tests/fuzz/fuzz-$name" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2560 \
	-error_exitcode=1 -timeout_exitcode=1 -print_final_stats=1 \
	-artifact_prefix="$out/artifacts/" "${opts[@]}" "${dirs[@]}" 2>"$out/log"
rc=$?
grep -E '^(stat::number_of_executed_units|stat::peak_rss_mb|Done|#[0-9]+ *DONE)' "$out/log"
if [ $rc -ne 0 ]; then
	tail -n 80 "$out/log"
	echo "fuzz-$name: FAILED (exit $rc); the input is in $out/artifacts/:"
	ls -l "$out/artifacts/"
	echo "keep it as a regression case: tests/fuzz/regressions/$name/"
	exit 1
fi
exit 0
