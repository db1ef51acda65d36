#!/bin/sh
# test_cli_run_failures.sh SNAPBENCH — `snapbench run` is loud about what
# failed, and reports the open loop (needs /dev/kvm, exit 77 without):
# a call to a function the guest does not have, or with the wrong
# arguments, exits 1 with FILE:LINE, the function, the count and the
# guest's message on stderr, the row's errors counted and its histogram
# empty in report.json, its first message in the text summary; an
# expectation on the row's errors or allow_errors = true lets it exit 0;
# a guest fault exits 1 with FILE:LINE; the live view has an errors
# column; an open-loop scenario has its rates in report.json and the text
# summary, and a warning at an impossible rate; a call's result against
# its `== VALUE`; the rows of the built-in host functions.
sb=$(cd "$(dirname "$1")" && pwd)/$(basename "$1") # absolute: we cd below
. "$(dirname "$0")/../cli_expect.sh"
[ -e /dev/kvm ] || { echo "skipped: /dev/kvm is missing"; exit 77; }
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
cd "$dir" || exit 1

cat >typo.ini <<'INI'
[typo]
iterations = 4
warmup = 1
step = create
step = call ad(1, 2)
step = call add(1, 2)
INI
"$sb" run -o out typo.ini >typo.txt 2>err.txt
rc=$?
check "a typo'd function: exit 1 (got $rc)" [ "$rc" -eq 1 ]
check "stderr: file:line, step, function, count, message: $(head -3 err.txt)" grep -qxF \
	"typo.ini:5: [typo] step 'call ad': call 'ad' failed 3 times: guest function failed (code 1): no such guest function" err.txt
check "stderr: printed once" [ "$(grep -c "call 'ad' failed" err.txt)" -eq 1 ]
check "stderr: the run fails for it" grep -qF \
	"snapbench run: typo: expectation 'errors == 0 for every step (implied)' not met: 3 executions failed" err.txt
check "summary: the first message under the step table" grep -qF \
	"   call ad (first after create): 3 failed: ad: guest function failed (code 1): no such guest function" typo.txt
# repeated: printed once for all the runs, and the run still fails for it
"$sb" run -q --repeat 3 -o rep typo.ini 2>rerr.txt
rc=$?
check "--repeat 3: exit 1 (got $rc)" [ "$rc" -eq 1 ]
check "--repeat 3: one line for all runs: $(head -2 rerr.txt)" [ "$(grep -c "call 'ad' failed 9 times" rerr.txt)" -eq 1 ]
check "--repeat 3: the implied expectation fails" grep -qF "9 executions failed" rerr.txt
check "report.json: errors counted, not timed, the first message kept" python3 -c '
import json, sys
s = json.load(open("out/report.json"))["scenarios"][0]
row = [x for x in s["steps"] if x["label"] == "call ad (first after create)"][0]
ok = (row["errors"] == 3 and row["count"] == 0 and row["histogram_buckets"] == []
      and "no such guest function" in row["first_error"] and s["open_loop"] is None
      and [e["passed"] for e in s["expects"]] == [False])
sys.exit(0 if ok else 1)'

# the wrong number of arguments: the same
printf '[args]\niterations = 2\nstep = create\nstep = call add(1)\n' >args.ini
expect 1 "args.ini:4: [args] step 'call add': call 'add' failed 2 times: guest function failed (code 2):" \
	run -q -o out2 args.ini

# allowed: an expectation on the row's errors (and it judges them), or the option
{ cat typo.ini; echo "expect = call ad.errors == 3"; } >expect.ini
expect 0 "call 'ad' failed 3 times: guest function failed (code 1): no such guest function (allowed)" \
	run -q -o out3 expect.ini
{ cat typo.ini; echo "expect = call ad.errors == 2"; } >wrong.ini
expect 1 "expectation 'call ad.errors == 2' not met: call ad.errors is 3, expected == 2" \
	run -q -o out4 wrong.ini
{ echo "[global]"; echo "allow_errors = true"; cat typo.ini; } >allow.ini
expect 0 "(allowed)" run -q -o out5 allow.ini
expect 0 "allow_errors" help scenario
expect 0 "METRIC errors, for any step: executions that failed" help scenario

# a guest fault stops the scenario: loud too
printf '[fault]\niterations = 2\nstep = create\nstep = call add(1, 2)\nstep = call null_deref(0u64)\n' >fault.ini
expect 1 "fault.ini:5: [fault] step 'call null_deref': call 'null_deref' failed 1 time: guest aborted" \
	run -q -o out6 fault.ini
expect 1 "snapbench run: fault failed: fault.ini:5: step 'call null_deref': null_deref: guest aborted" \
	run -q -o out6 fault.ini

# the live view counts them
expect 0 "  step                    count errors" tui --dump live typo.ini
expect 0 "failed: call ad (line 5): ad: guest function failed (code 1): no such guest" \
	tui --dump live typo.ini

# the open loop: rates in the report, a warning when not sustained
printf '[ol]\niterations = 12\nwarmup = 2\nrate = 50\nstep = create\nstep = call add(1, 2)\n' >ol.ini
printf '[flood]\niterations = 12\nwarmup = 2\nrate = 100000\nstep = create\nstep = call add(1, 2)\n' >>ol.ini
"$sb" run -o out7 --html ol.ini >ol.txt 2>err.txt
rc=$?
check "open loop: exit 0 (got $rc): $(tail -2 err.txt)" [ "$rc" -eq 0 ]
check "summary: the target and achieved rates" grep -qE \
	"^   open loop: target 50\.000 iterations/s \(50/s per sandbox x 1\), achieved [0-9.]+/s" ol.txt
check "summary: the flood is unsustainable" grep -qF "WARNING: unsustainable rate: achieved" ol.txt
check "summary: the queueing delay row" grep -qE "^   queueing delay \(start - due\) +10 " ol.txt
check "report.html: the open loop" grep -q "<h3>Open loop</h3>" out7/report.html
check "report.json: open_loop with rates and histograms" python3 -c '
import json, sys
s = json.load(open("out7/report.json"))["scenarios"]
ol, fl = s[0]["open_loop"], s[1]["open_loop"]
ok = (ol["rate_per_sandbox"] == 50 and ol["rate_target_per_s"] == 50
      and 25 < ol["rate_achieved_per_s"] < 100 and ol["iteration"]["count"] == 10
      and fl["rate_achieved_per_s"] < 0.95 * fl["rate_target_per_s"]
      and fl["queueing_delay"]["percentiles_ns"]["p50"] > 0)
sys.exit(0 if ok else 1)'

# a call that returns another result than its `== VALUE`: exit 1, both values
printf '[result]\nstep = create\nstep = call add(1, 2) == 4\n' >result.ini
expect 1 "result.ini:3: step 'call add': returned 3 (i64), expected 4 (i64)" \
	run -q -o out8 result.ini
# the built-in host functions' round trips: their rows in the summary and the JSON
printf '[hc]\nhost_functions = builtin\nstep = create\nstep = call host_loop("add", 5u) == 5\n' >hc.ini
"$sb" run -o out9 hc.ini >hc.txt 2>/dev/null
check "summary: the host call row" grep -qE "^   host call add +4 " hc.txt
check "report.json: the host call row, kind 'host call'" python3 -c '
import json, sys
rows = json.load(open("out9/report.json"))["scenarios"][0]["steps"]
r = [x for x in rows if x["label"] == "host call add"]
sys.exit(0 if r and r[0]["kind"] == "host call" and r[0]["count"] == 4 else 1)'
finish
