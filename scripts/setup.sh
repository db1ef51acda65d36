#!/usr/bin/env bash
# setup.sh — install what the build needs (Debian 12), configure and build.
#
#   scripts/setup.sh            plain build in build/
#   scripts/setup.sh asan       ASan+UBSan build in build-asan/
#   scripts/setup.sh fuzz       clang + libFuzzer build of the fuzz targets in
#                               build-fuzz/ (tests/fuzz/README.md): installs
#                               clang if missing (no recommends); without
#                               clang the fuzz suite is skipped
#
# Safe to run again: installs only missing packages, configures only once.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(meson ninja-build gcc make pkg-config libelf-dev libncurses-dev linux-libc-dev libxxhash-dev libinih-dev libjansson-dev python3)

# The tests also render the HTML report in headless Chromium, drive the
# curses UI under tmux and open crash dumps in gdb (scripts/test.sh sets
# SB_TEST_TOOLS=1).
if [ "${SB_TEST_TOOLS:-0}" = 1 ]; then
	packages+=(chromium tmux gdb)
fi

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "setup: installing ${missing[*]}"
	if [ "$(id -u)" -ne 0 ]; then
		echo "setup: need root to install packages (or install them yourself): ${missing[*]}" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq "${missing[@]}" >/dev/null
fi

flavour=${1:-plain}
if [ "$flavour" = fuzz ]; then
	# clang and its runtimes (libFuzzer, ASan, UBSan), without the LLVM
	# tools clang recommends.
	fuzz_packages=(clang libclang-rt-14-dev)
	missing=()
	for p in "${fuzz_packages[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ] && [ "$(id -u)" -ne 0 ]; then
		echo "setup: need root to install ${missing[*]} (for the fuzz suite)" >&2
	elif [ ${#missing[@]} -gt 0 ]; then
		echo "setup: installing ${missing[*]}"
		export DEBIAN_FRONTEND=noninteractive
		# apt-get update ran above only if base packages were missing
		apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 ||
			{ apt-get update -qq &&
				apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; } ||
			echo "setup: cannot install ${missing[*]}" >&2
	fi
	if ! command -v clang >/dev/null; then
		echo "setup: no clang: the fuzz suite will be skipped" >&2
		exit 0
	fi
	tests/fuzz/run_fuzz.sh --build "$PWD"
	case $? in
	0) echo "setup: built build-fuzz/" ;;
	77) echo "setup: the fuzz suite will be skipped" >&2 ;;
	*) exit 1 ;;
	esac
	exit 0
fi
case "$flavour" in
plain)
	dir=build
	opts=()
	;;
asan)
	dir=build-asan
	opts=(-Db_sanitize=address,undefined -Db_lundef=false -Dc_args=-fno-sanitize-recover=all)
	;;
*)
	echo "setup: unknown flavour '$flavour' (want: plain or asan)" >&2
	exit 2
	;;
esac

if [ ! -f "$dir/build.ninja" ]; then
	meson setup "$dir" "${opts[@]}" >/dev/null
fi
meson compile -C "$dir" >/dev/null || meson compile -C "$dir"
echo "setup: built $dir/"
