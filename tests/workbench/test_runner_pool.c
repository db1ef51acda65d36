/* test_runner_pool.c — option pool = N on real sandboxes (suite kvm): a
 * scenario without a pool keeps its one create and destroy row; with one,
 * creates split into "create (pooled)" / "create (fresh)", destroys into
 * "destroy (pooled)" / "destroy (not pooled)", a row "pool scrub" counts
 * the cleaner's work, and the pool's figures reach the result, the JSON
 * (written and read back) and the text report. Two sandboxes share one
 * pool; the pool is filled before the run (no load step); a load step
 * leaves it empty, so the first creates are fresh. Exit 77 without /dev/kvm. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "reports.h"
#include "run_text.h"
#include "runner.h"

static uint64_t count(const struct scenario_result *r, const char *row)
{
	const struct step_stats *st = scenario_result_step(r, row);
	return st ? hist_count(&st->hist) : 0;
}

static void test_rows(void)
{
	struct scenario_set set;
	struct run_report rep;
	if (!run_text("[global]\niterations = 20\nwarmup = 2\n"
		      "[plain]\nstep = create\nstep = call touch_pages(2u)\nstep = destroy\n"
		      "[pooled]\npool = 3\nsandboxes = 2\n"
		      "step = create\nstep = call touch_pages(2u)\nstep = destroy\n",
		      &set, &rep))
		return;
	const struct scenario_result *plain = &rep.scenarios[0], *pooled = &rep.scenarios[1];
	/* no pool: the rows as they always were */
	CHECK_U64(count(plain, "create"), 18);
	CHECK_U64(count(plain, "destroy"), 18);
	CHECK(scenario_result_step(plain, "create (pooled)") == NULL);
	CHECK(scenario_result_step(plain, "pool scrub") == NULL);
	CHECK_U64(plain->pool.size, 0);
	/* pool: filled before the run, so every create of a recorded iteration is pooled */
	CHECK(scenario_result_step(pooled, "create") == NULL);
	CHECK_U64(count(pooled, "create (pooled)") + count(pooled, "create (fresh)"), 36);
	CHECK_U64(count(pooled, "destroy (pooled)") + count(pooled, "destroy (not pooled)"), 36);
	CHECK_U64(pooled->pool.size, 3);
	CHECK_U64(pooled->pool.prefilled, 3);
	CHECK_U64(pooled->pool.takes_pooled + pooled->pool.takes_fresh, 40);
	CHECK_U64(pooled->pool.puts_kept + pooled->pool.puts_destroyed, 40);
	CHECK(pooled->pool.idle_end <= 3);
	/* every put kept is scrubbed by the cleaner or restored by the take
	 * that found it still queued */
	CHECK_U64(pooled->pool.scrubs + pooled->pool.takes_unscrubbed, pooled->pool.puts_kept);
	if (pooled->pool.scrubs) /* wall time includes the CPU time */
		CHECK(pooled->pool.scrub_cpu_ns_total > 0 &&
		      pooled->pool.scrub_cpu_ns_total <= pooled->pool.scrub_ns_total);
	const struct step_stats *scrub = scenario_result_step(pooled, "pool scrub");
	if (CHECK(scrub != NULL)) {
		CHECK_I64(scrub->kind, SCENARIO_STEP_POOL_SCRUB);
		CHECK_U64(hist_count(&scrub->hist), pooled->pool.scrubs);
	}
	printf("  pooled: %llu pooled, %llu fresh, %llu scrubs, %llu unscrubbed\n",
	       (unsigned long long)pooled->pool.takes_pooled,
	       (unsigned long long)pooled->pool.takes_fresh, (unsigned long long)pooled->pool.scrubs,
	       (unsigned long long)pooled->pool.takes_unscrubbed);

	/* JSON: written and read back; text: the header says so */
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct sb_err err;
	if (CHECK_I64(report_write_json(&rep, f, &err), 0)) {
		fclose(f);
		CHECK_CONTAINS(buf, "\"pool\"");
		CHECK_CONTAINS(buf, "\"takes_pooled\"");
		struct run_report back;
		if (CHECK_I64(report_read_json_buffer(&back, "mem", buf, len, &err), 0)) {
			CHECK_U64(back.scenarios[0].pool.size, 0);
			CHECK_U64(back.scenarios[1].pool.size, 3);
			CHECK_U64(back.scenarios[1].pool.takes_pooled, pooled->pool.takes_pooled);
			CHECK_U64(back.scenarios[1].pool.scrub_ns_total,
				  pooled->pool.scrub_ns_total);
			CHECK(scenario_result_step(&back.scenarios[1], "pool scrub") != NULL);
			run_report_free(&back);
		} else {
			fprintf(stderr, "  read back: %s\n", err.msg);
		}
	} else {
		fclose(f);
	}
	free(buf);
	f = open_memstream(&buf, &len);
	report_write_text(&rep, f, false);
	fclose(f);
	CHECK_CONTAINS(buf, "   pool:       3 sandboxes (3 made before the run)");
	CHECK_CONTAINS(buf, "create (pooled)");
	CHECK_CONTAINS(buf, "pool scrub");
	free(buf);
	run_report_free(&rep);
	scenario_set_free(&set);
}

/* A bounded pool: more sandboxes at once than it holds; puts past it destroy. */
static void test_bound(void)
{
	struct scenario_set set;
	struct run_report rep;
	if (!run_text("[bound]\niterations = 10\npool = 1\nsandboxes = 3\n"
		      "step = create\nstep = call touch_pages(1u)\nstep = destroy\n",
		      &set, &rep))
		return;
	const struct scenario_result *r = &rep.scenarios[0];
	CHECK_U64(r->pool.size, 1);
	CHECK(r->pool.idle_end <= 1);
	CHECK_U64(r->pool.takes_pooled + r->pool.takes_fresh, 30);
	CHECK_U64(count(r, "destroy (pooled)") + count(r, "destroy (not pooled)"), 30);
	CHECK_U64(count(r, "destroy (pooled)"), r->pool.puts_kept);
	CHECK_U64(count(r, "create (fresh)"), r->pool.takes_fresh);
	run_report_free(&rep);
	scenario_set_free(&set);
}

int main(void)
{
	check_require_kvm();
	test_rows();
	test_bound();
	return check_done();
}
