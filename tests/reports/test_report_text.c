/* test_report_text.c — the text report, with and without the percentile
 * distribution, against golden files; plus facts a golden could hide. */
#include <stdlib.h>

#include "check.h"
#include "fixture.h"
#include "golden.h"
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
	struct run_report r;
	fixture_report(&r, true);
	char *plain = render(&r, false), *dist = render(&r, true);
	if (CHECK(plain && dist)) {
		golden_check("report_fixture.txt", plain);
		golden_check("report_fixture_distribution.txt", dist);
		CHECK_CONTAINS(plain, "latency per step in microseconds (us)");
		/* restore base: p50 of 980 values 20000 + (i*7)%5000 and a 2% tail */
		CHECK_CONTAINS(plain, "FAILED:     sandbox 1: guest aborted: <oops>");
		CHECK_CONTAINS(plain, "PASS restore base.p99 < 50us (got 40000.000)");
		CHECK_CONTAINS(plain, "FAIL restore.p99 < 200us (got 156410.000): p99 = 156.410us");
		CHECK_CONTAINS(plain, "values above the histogram range (clamped)");
		CHECK(strstr(plain, "Percentile TotalCount") == NULL);
		CHECK_CONTAINS(dist, "Value     Percentile TotalCount 1/(1-Percentile)");
		CHECK_CONTAINS(dist, "percentile distribution of 'restore base'");
		CHECK_CONTAINS(dist, "percentile distribution of 'destroy'\n   (no values)");
	}
	free(plain);
	free(dist);

	/* a write error is reported */
	FILE *full = fopen("/dev/full", "w");
	if (full) {
		CHECK_I64(report_write_text(&r, full, true), -1);
		fclose(full);
	}
	run_report_free(&r);
	return check_done();
}
