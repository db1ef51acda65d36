/* fixture.h — a hand-built run_report for the report tests (deterministic:
 * synthetic histograms, no clock, no KVM). */
#ifndef SNAPBENCH_TESTS_REPORTS_FIXTURE_H
#define SNAPBENCH_TESTS_REPORTS_FIXTURE_H

#include <stdbool.h>

#include "results.h"

/* Schema 5's record of the run: a command line with a quoted argument, a
 * working directory with a space, build facts, hypervisor_version
 * "built-in". Two scenarios:
 *  [0] "restore-64M": create, "call touch_pages (first after restore)"
 *      (1000 values 40000 + (i * 7919) % 3000 ns: p50 41.727 us),
 *      "call touch_pages (steady)" (1002 values, p50 6.559 us: a
 *      post-restore penalty of 35.168 us), snapshot as base, "restore
 *      base (same snapshot)" (1000 values: 98% between 20 and 25 us, a 2%
 *      tail at `FIXTURE_TAIL_NS`; the tail's 20 restores full, the others
 *      light, 3160 pages reset in all: 3.160 per restore, as many bytes
 *      copied), all calibrations, one passing expectation; strategy
 *      rewrite, 3 pages declared dirtied, 3 CoW faults per first call; a file
 *      digest; a calibration with quartiles, before and after, no warning;
 *      an open loop (FIXTURE_RATE per sandbox, FIXTURE_RATE_ACHIEVED
 *      achieved: below 95 %, unsustainable; 1000 iterations: 500 of 3 ms,
 *      400 of 3.5 ms, 100 of 5 ms; queued: 600 0, 300 0.5 ms, 100 2 ms;
 *      600 sleeps: 500 overshooting 50 us, 100 120 us);
 *  [1] `esc<&>"name` (a name that needs HTML escaping): a call (first
 *      after restore only: no steady call, no penalty; one error,
 *      FIXTURE_FIRST_ERROR, with markup), a closed loop, "restore (other
 *      snapshot)" (100, all full, 1700 pages reset, as many bytes copied,
 *      1200 pages retained), an empty step and one clamped value; strategy
 *      host-cow, no dirtied pages declared;
 *      exit_real_mode_ns = 0 (its ratios are null), no file digest (as the
 *      built-in scenarios), a calibration warning with markup. With `failures` it
 *      failed (error text with markup) and its expectation failed;
 *      without, it passed.
 * Free with run_report_free(). Aborts the test if memory runs out. */
void fixture_report(struct run_report *r, bool failures);

/* A restore-strategy sweep: per heap (128 KiB, 256 MiB), per pages
 * (0, 3, 64; 64 at 256 MiB only), per strategy (rewrite, then host-cow) a
 * scenario "hHEAP-pPAGES [STRATEGY]" declaring dirtied_pages PAGES, with
 * 100 restores of the same snapshot (p50 restore_ns below), 100 first
 * calls after a restore and 100 steady calls (p50s first_ns, steady_ns,
 * all values equal), sandbox exit 50 us:
 *   rewrite   restore 20 + pages us, first 30 + 150 * pages us, steady 30 us
 *   host-cow  restore 10 + pages / 4 us, first 31 us, steady 30 us
 * except "h256M-p0 [host-cow]": first 15 us (an overhead of 10 + 15 - 30 =
 * -5 us: not on a log scale) and "h256M-p3 [host-cow]", which has no
 * steady calls (no overhead).
 * Free with run_report_free(). */
void fixture_sweep(struct run_report *r);

/* A scaling series (report_scaling.c), 2 cpus, restore strategy host-cow,
 * heap 128 KiB; every row's values equal (p50 = mean = the value):
 *   "reuse-N" (N = 1, 2, 4; 4 over-subscribed): 1000 steady calls of
 *       25 us (N = 4: 100 us, waiting for a cpu), and one create of 2 ms
 *       and one first call after it of 90 us, a destroy of 1 ms (set-up,
 *       not counted; the first call is: calls/s 1001 x N over 25.09 ms,
 *       39900 and 79800, at 4 40000; call p50 1.250, at 4 5.000);
 *   "restore-per-call-N" (1, 2): 1000 restores of 5 us and 1000 first
 *       calls after a restore of 25 us (33300 x N calls/s, call 1.250,
 *       overhead 0.250);
 *   "create-per-call-N" (1, 4): 5 loads of 50 us (not counted), 100
 *       creates of 1 ms, 100 first calls after a create of 200 us, 100
 *       destroys of 500 us (588 x N calls/s, call 10.000, overhead
 *       75.000);
 *   "create-pooled-2": create-per-call with option pool = 4: creates of
 *       40 us, calls of 30 us, destroys of 10 us (25000 calls/s, call
 *       1.500, overhead 2.500);
 *   "create-per-call-8": failed; "reuse-1-again": a second reuse at 1
 *       sandbox (left out); "not-scaling": no scaling declared;
 *   "restore-rewrite-1": restore-per-call under rewrite (its own series):
 *       restores of 100 us, calls of 30 us, sandbox exit 25 us.
 * The sandbox exit is 25 us, but 20 us in "restore-per-call-2": the
 * series' yardstick, which every ratio above divides by.
 * Free with run_report_free(). */
void fixture_scaling(struct run_report *r);

#define FIXTURE_TAIL_NS 40000
#define FIXTURE_RATE 250            /* scenario 0's open loop, per sandbox (x 2) */
#define FIXTURE_RATE_ACHIEVED 400.0 /* of 500 asked */
/* scenario 1's call row: its one error */
#define FIXTURE_FIRST_ERROR "touch_pages: guest function failed (code 3): <no> & \"pages\""

#define FIXTURE_FULL_RESTORES 20  /* of "restore base (same snapshot)" */
#define FIXTURE_PAGES_RESET 3160  /* 980 light x 3 + 20 full x 11 */

/* Refill the histogram of "restore base (same snapshot)": 980 values 20000 + (i * 7) % 5000
 * scaled by scale_pct/100, and 20 values at tail_ns. */
void fixture_fill_restore(struct hist *h, unsigned scale_pct, uint64_t tail_ns);

/* Remove step `label` of scenario s (no-op if absent). */
void fixture_remove_step(struct scenario_result *s, const char *label);

/* The report as JSON in a malloc'd string (NULL on error). */
char *fixture_json(const struct run_report *r);

#endif
