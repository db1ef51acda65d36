#!/bin/sh
# test_cli_layout.sh SNAPBENCH — exit codes and messages of the CLI.
sb=$1
. "$(dirname "$0")/../cli_expect.sh"
expect 0 "heap      000012000..000031fff" layout
expect 0 "262144  256 KiB" layout --heap 256K
expect 0 "usage: snapbench layout" layout --help
expect 0 "usage: snapbench layout" help layout
expect 0 "commands:" --help
expect 0 "snapbench 0." --version
expect 2 "unknown command 'frobnicate'" frobnicate
expect 2 "--heap: size '12Q' has an unknown unit 'Q'" layout --heap 12Q
expect 2 "unexpected argument 'extra'" layout extra
expect 1 "scratch size" layout --scratch 8K
expect 1 "heap size" layout --heap 100
finish
