/* test_report_text.c — the text report, with and without the percentile
 * distribution, against golden files; plus facts a golden could hide (the
 * rows by variant, the post-restore penalty and its absence). */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fixture.h"
#include "golden.h"
#include "report_units.h"
#include "reports.h"

static char *render(const struct run_report *r, bool distribution)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	CHECK_I64(report_write_text(r, f, distribution), 0);
	fclose(f);
	return buf;
}

int main(void)
{
	/* few samples beyond a percentile: fewer than 10, at the edges */
	CHECK(report_pct_few(19, 50) && !report_pct_few(20, 50));
	CHECK(report_pct_few(99, 90) && !report_pct_few(100, 90));
	CHECK(report_pct_few(999, 99) && !report_pct_few(1000, 99));
	CHECK(report_pct_few(9999, 99.9) && !report_pct_few(10000, 99.9));
	CHECK(report_pct_few(99999, 99.99) && !report_pct_few(100000, 99.99));
	struct run_report r;
	fixture_report(&r, true);
	char *plain = render(&r, false), *dist = render(&r, true);
	if (CHECK(plain && dist)) {
		golden_check("report_fixture.txt", plain);
		golden_check("report_fixture_distribution.txt", dist);
		CHECK_CONTAINS(plain, "latency per step in microseconds (us)");
		/* restore base: p50 of 980 values 20000 + (i*7)%5000 and a 2% tail */
		CHECK_CONTAINS(plain, "FAILED:     sandbox 1: guest aborted: <oops>");
		/* the calibration's spread, its bounds, a warning */
		CHECK_CONTAINS(plain, "\n   sandbox exit: median 1.500 us of 202 samples, IQR "
				      "1.420..1.610 us\n"
				      "   sandbox exit before the scenario 1.480 us, after it 1.530 us\n"
				      "   real-mode exit before the run 1.190 us, after it 1.215 us; timer "
				      "overhead 27 ns\n   (ratios divide by the medians of every sample "
				      "before and after; a calibration is flagged when its\n   "
				      "interquartile range exceeds 20% of its median or its before and "
				      "after medians differ by more than\n   15% of it)\n");
		CHECK_CONTAINS(plain, "\n   real-mode exit not measured; timer overhead 27 ns\n");
		CHECK_CONTAINS(plain, "\n   WARNING calibration: sandbox exit spread: IQR 1.100..2.100 "
				      "us is 71.4% of its median 1.400 us\n   (bound 20%) <&>\n");
		/* the run's record */
		CHECK_CONTAINS(plain, "\ncommand: build/cli/snapbench run -o 'my results' "
				      "scenarios/restore.ini\nin:      /home/ci/snap bench\n");
		/* expectations: the measured value with its unit */
		CHECK_CONTAINS(plain, "PASS restore base.p99 < 50us (got 40.0 us)");
		CHECK_CONTAINS(plain, "FAIL restore.p99 < 200us (got 156 us): p99 = 156.410us");
		CHECK_CONTAINS(plain, "values above the histogram range (clamped)");
		CHECK(strstr(plain, "Percentile TotalCount") == NULL);
		CHECK_CONTAINS(dist, "Value     Percentile TotalCount 1/(1-Percentile)");
		CHECK_CONTAINS(dist, "percentile distribution of 'restore base (same snapshot)'");
		/* rows by variant, the restore rows read as restore-to-ready */
		CHECK_CONTAINS(plain, "\n   call touch_pages (first after restore)     1000       40.0      41.7 ");
		CHECK_CONTAINS(plain, "\n   call touch_pages (steady)                  1002       5.00      6.56 ");
		CHECK_CONTAINS(plain, "\n   restore (other snapshot)                    100       60.0      84.5 ");
		/* percentiles on few samples marked, with the legend: every one of
		 * 2 values; p99.9 of 1000 (1 beyond it); p90 of 100 (10: not few);
		 * microseconds with the histogram's 3 significant digits (2007.039
		 * is 2010, 139.263 is 139) */
		CHECK_CONTAINS(plain, "\n   create                                        2       2000  "
				      "    2010~      2100~      2100~      2100~       2100 ");
		CHECK_CONTAINS(plain, "\n   call touch_pages (first after restore)     1000       40.0    "
				      "  41.7       42.8       43.0       43.0~ ");
		CHECK_CONTAINS(plain, "\n   restore (other snapshot)                    100       60.0    "
				      "  84.5        139        157~       158~ ");
		/* and a warning naming the rows and what they need */
		CHECK_CONTAINS(plain, "\n   warning: too few samples for the percentiles shown (row: "
				      "samples: percentiles marked ~): create\n   (2: p50 p90 p99 p99.9), ");
		CHECK_CONTAINS(plain, "sleep 1m (2: p50 p90 p99 p99.9); a row needs 10000 samples for "
				      "10 beyond each of them\n");
		CHECK_CONTAINS(plain, "\n   ~ marks a percentile that rests on fewer than 10 samples "
				      "beyond it (count x (1 - p/100) < 10; a\n   p50 of fewer than 20 "
				      "samples): a rough value, not one to gate on\n");
		CHECK_CONTAINS(plain, "restore rows are restore-to-ready: sandbox_restore() until it");
		/* the penalty: 41.727 - 6.559 us, / 1.5 us; none without a steady call */
		CHECK_CONTAINS(plain, "post-restore penalty in microseconds (us): p50 of the first call");
		CHECK_CONTAINS(plain, "\n   call touch_pages                                       41.7"
				      "         6.56         35.2                23.445\n");
		CHECK_CONTAINS(plain, "\n   call touch_pages                                       6.66"
				      "            -            -                     -   no steady call "
				      "of this label was recorded: no penalty\n");
		CHECK_CONTAINS(dist, "percentile distribution of 'destroy'\n   (no values)");
		/* restore rows: full and light restores, pages reset; in the page
		 * statistics, also of a scenario with no other page counts */
		CHECK_CONTAINS(plain, "   scratch pages per call: 1.499\n\n"
				      "   restores: a light one resets the dirty data pages and the FPU "
				      "state; a full one also rewrites the\n   page tables, drops KVM's "
				      "shadow page tables (a memory-slot change) and resets ring-0 state\n"
				      "   bytes copied: what the restores wrote into guest memory; retained");
		CHECK_CONTAINS(plain, "   step                                    restores      full     "
				      "light  pages reset  reset/restore   bytes copied copied/restore  "
				      "retained retained/restore\n"
				      "   restore base (same snapshot)                1000        20       "
				      "980         3160          3.160       12943360        12943.4         "
				      "0            0.000\n\n");
		CHECK_CONTAINS(plain, "\n   restore (other snapshot)                     100       100"
				      "         0         1700         17.000        6963200        69632.0"
				      "      1200           12.000\n\n");
		/* the strategy, and the pages a scenario declares it re-dirties */
		CHECK_CONTAINS(plain, "\n   restore:    strategy rewrite; 3 pages re-dirtied per call "
				      "(declared)\n");
		CHECK_CONTAINS(plain, "\n   restore:    strategy host-cow\n");
		/* calls: their copy-on-write faults */
		CHECK_CONTAINS(plain, "exits cow_faults snapshots");
		CHECK_CONTAINS(plain, "\n   call touch_pages (first after restore)      3000      4000"
				      "       3000 ");
		/* a restore row is in the latency summary, the restores table and
		 * the calibration, not in the table of the other page counts */
		size_t rows = 0;
		for (const char *p = plain; (p = strstr(p, "\n   restore base (same snapshot) ")); p++)
			rows++;
		CHECK_U64(rows, 3);
		/* the restore strategies side by side: the one cell of the fixture */
		CHECK_CONTAINS(plain, "\n== restore strategies side by side (the scenarios that "
				      "declare dirtied_pages)\n");
		CHECK_CONTAINS(plain, "\n     64 MiB      3 rewrite   restore-64M       21.8      "
				      "  41.7        6.56       56.9         37.951\n");
	}
	free(plain);
	free(dist);
	run_report_free(&r);

	/* a sweep: every cell, by heap, pages and run order; one yardstick */
	fixture_sweep(&r);
	r.scenarios[0].cal.exit_sandbox_ns = 80000; /* a noisier calibration: not the yardstick */
	char *sw = render(&r, false);
	if (CHECK(sw != NULL)) {
		CHECK_CONTAINS(sw, "exit the ratios divide by is the run's: the lowest measured in this run");
		CHECK_CONTAINS(sw, "       heap  pages strategy  scenario                restore  first "
				   "call steady call   overhead / sandbox exit\n"
				   "    128 KiB      0 rewrite   h128K-p0 [rewrite]         20.0      "
				   "  30.0        30.0       20.0          0.400\n"
				   "    128 KiB      0 host-cow  h128K-p0 [host-cow]        10.0      "
				   "  31.0        30.0       11.0          0.220\n");
		CHECK_CONTAINS(sw, "\n    256 MiB      0 host-cow  h256M-p0 [host-cow]        10.0      "
				   "  15.0        30.0      -5.00         -0.100\n");
		CHECK_CONTAINS(sw, "\n    256 MiB      3 host-cow  h256M-p3 [host-cow]    no call label "
				   "has both a first call after a restore and a steady call\n");
		CHECK_CONTAINS(sw, "\n    256 MiB     64 rewrite   h256M-p64 [rewrite]        84.0    "
				   "    9630        30.0       9680        193.680\n");
	}
	free(sw);

	/* a write error is reported */
	FILE *full = fopen("/dev/full", "w");
	if (full) {
		CHECK_I64(report_write_text(&r, full, true), -1);
		fclose(full);
	}
	run_report_free(&r);
	return check_done();
}
