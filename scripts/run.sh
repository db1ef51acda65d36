#!/usr/bin/env bash
# run.sh — set everything up, then run snapbench's main job on built-in
# defaults: `snapbench run --html`, the built-in scenarios with the embedded
# test guest; the summary goes to stdout, report.json and report.html to
# snapbench-results/<start time>/ (snapbench-results/latest points at the
# newest). Arguments, if any, replace it:
#   scripts/run.sh run scenarios/restore-vs-heap.ini --html
#   scripts/run.sh bench
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh plain
if [ $# -eq 0 ]; then
	set -- run --html
fi
exec build/cli/snapbench "$@"
