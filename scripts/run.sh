#!/usr/bin/env bash
# run.sh — set everything up, then run snapbench's main job on built-in
# defaults: until the scenario runner lands that is `snapbench bench`
# (exit, call, create and copy-on-write latencies of the embedded test
# guest). Arguments, if any, replace it: scripts/run.sh layout --heap 64M
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh plain
if [ $# -eq 0 ]; then
	set -- bench
fi
exec build/workbench/snapbench "$@"
