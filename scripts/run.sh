#!/usr/bin/env bash
# run.sh — set everything up, then run snapbench's main job on built-in
# defaults. Extra arguments go to snapbench.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh plain
exec build/workbench/snapbench "$@"
