/* fixture_tool.c — `report_fixture_tool DIR`: write the fixture reports the
 * shell tests feed to snapbench:
 *   base.json    the clean fixture
 *   same.json    the same again
 *   slow.json    "restore base (same snapshot)" p99 30% slower (default limit 25%)
 *   failed.json  the fixture with a failed scenario and expectation
 *   newer.json   schema_version + 1
 *   older.json   schema_version 2 (before the restore page statistics)
 *   schema3.json schema_version 3 (before restore strategies: readable, as
 *                rewrite, without the counters schema 4 added)
 *   schema4.json schema_version 4 (before repeated runs: readable, as one run)
 *   full.json    "restore base (same snapshot)" with one full restore more
 *                and 8 pages reset more (exact metrics: 2 regressions)
 *   sweep.json   a restore-strategy sweep (fixture_sweep)
 *   forked.json  the fixture with another heap in scenario 1 (a definition
 *                that differs: compare refuses it)
 *   elsewhere.json the fixture run on another kernel with another build
 *                (compare warns) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "reports.h"

static int save(const char *dir, const char *name, const struct run_report *r)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	struct sb_err err = { 0 };
	if (!f || report_write_json(r, f, &err) || fclose(f)) {
		fprintf(stderr, "report_fixture_tool: %s: %s\n", path, err.msg);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: report_fixture_tool DIR\n");
		return 2;
	}
	struct run_report r;
	int rc = 0;
	fixture_report(&r, false);
	rc |= save(argv[1], "base.json", &r);
	rc |= save(argv[1], "same.json", &r);
	r.schema_version = RESULTS_SCHEMA_VERSION + 1;
	rc |= save(argv[1], "newer.json", &r);
	r.schema_version = 2;
	rc |= save(argv[1], "older.json", &r);
	/* before schema 5 a failed call was timed too: the fixture's one
	 * failed call is in its row's histogram in the older reports */
	struct step_stats *failing = (struct step_stats *)scenario_result_step(
		&r.scenarios[1], "call touch_pages (first after restore)");
	struct hist timed = failing->hist;
	hist_record(&failing->hist, 6000);
	r.schema_version = 3;
	rc |= save(argv[1], "schema3.json", &r);
	r.schema_version = 4;
	rc |= save(argv[1], "schema4.json", &r);
	failing->hist = timed;
	r.schema_version = RESULTS_SCHEMA_VERSION;
	struct step_stats *st = (struct step_stats *)scenario_result_step(&r.scenarios[0],
									  "restore base (same snapshot)");
	st->full_restores++;
	st->pages_reset += 8;
	rc |= save(argv[1], "full.json", &r);
	st->full_restores--;
	st->pages_reset -= 8;
	fixture_fill_restore(&st->hist, 100, FIXTURE_TAIL_NS * 13 / 10);
	rc |= save(argv[1], "slow.json", &r);
	run_report_free(&r);
	fixture_report(&r, false);
	free(r.scenarios[1].options[0].value);
	r.scenarios[1].options[0].value = strdup("512M");
	rc |= save(argv[1], "forked.json", &r);
	run_report_free(&r);
	fixture_report(&r, false);
	snprintf(r.machine.kernel, sizeof r.machine.kernel, "6.9.0-other");
	snprintf(r.build.sanitize, sizeof r.build.sanitize, "address,undefined");
	rc |= save(argv[1], "elsewhere.json", &r);
	run_report_free(&r);
	fixture_report(&r, true);
	rc |= save(argv[1], "failed.json", &r);
	run_report_free(&r);
	fixture_sweep(&r);
	rc |= save(argv[1], "sweep.json", &r);
	run_report_free(&r);
	return rc ? 1 : 0;
}
