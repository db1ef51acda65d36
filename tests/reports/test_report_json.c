/* test_report_json.c — the JSON report: golden file, write → read → write
 * gives the same bytes and the same summaries, reports of the previous
 * schemas (3, 4) are read and written back as they were, and every kind of
 * malformed input gives a message naming the file and the JSON path.
 *
 * argv[1]: tests/reports (report_schema3.json, report_schema4.json). */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "fixture.h"
#include "golden.h"
#include "reports.h"

static char dir[] = "/tmp/test_report_json.XXXXXX";
static const char *src_dir; /* tests/reports: report_schema3.json, report_schema4.json */

static bool write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return false;
	bool ok = fputs(text, f) >= 0;
	return fclose(f) == 0 && ok;
}

static void test_golden_and_roundtrip(void)
{
	struct run_report r, back;
	fixture_report(&r, true);
	char *json = fixture_json(&r);
	if (!CHECK(json != NULL))
		return;
	golden_check("report_fixture.json", json);

	char path[256];
	snprintf(path, sizeof path, "%s/base.json", dir);
	CHECK(write_file(path, json));
	struct sb_err err = { 0 };
	if (!CHECK(report_read_json(&back, path, &err) == 0)) {
		fprintf(stderr, "  %s\n", err.msg);
		free(json);
		run_report_free(&r);
		return;
	}
	char *again = fixture_json(&back);
	CHECK(again != NULL);
	if (again)
		CHECK_STR(again, json); /* identical bytes */

	/* every field, directly */
	CHECK_STR(back.tool_version, "0.1.0-test");
	CHECK_STR(back.started, r.started);
	CHECK_STR(back.machine.hypervisor, "kvm_intel");
	CHECK_U64(back.machine.mem_bytes, r.machine.mem_bytes);
	CHECK_U64(back.n_scenarios, 2);
	for (size_t i = 0; i < 2 && back.n_scenarios == 2; i++) {
		const struct scenario_result *a = &r.scenarios[i], *b = &back.scenarios[i];
		CHECK_STR(b->name, a->name);
		CHECK_STR(b->error, a->error);
		CHECK_U64(b->n_options, a->n_options);
		CHECK_STR(b->options[b->n_options - 1].value, a->options[a->n_options - 1].value);
		CHECK_U64(b->heap_bytes, a->heap_bytes);
		CHECK_U64(b->cal.exit_real_mode_ns, a->cal.exit_real_mode_ns);
		CHECK(b->cal.memset_gib_per_s == a->cal.memset_gib_per_s);
		CHECK(b->failed == a->failed);
		CHECK_U64(b->n_expects, a->n_expects);
		CHECK(b->expects[0].passed == a->expects[0].passed);
		CHECK_STR(b->expects[0].why, a->expects[0].why);
		CHECK_U64(b->n_steps, a->n_steps);
		for (size_t k = 0; k < a->n_steps && k < b->n_steps; k++) {
			const struct step_stats *x = &a->steps[k], *y = &b->steps[k];
			struct hist_summary sx, sy;
			hist_summarize(&x->hist, &sx);
			hist_summarize(&y->hist, &sy);
			CHECK_STR(y->label, x->label);
			CHECK_STR(y->step, x->step);
			CHECK_U64(y->kind, x->kind);
			CHECK_U64(y->variant, x->variant);
			CHECK_U64(sy.count, sx.count);
			CHECK_U64(sy.overflow, sx.overflow);
			CHECK_U64(sy.min_ns, sx.min_ns);
			CHECK_U64(sy.max_ns, sx.max_ns);
			CHECK_U64(sy.p50_ns, sx.p50_ns);
			CHECK_U64(sy.p99_9_ns, sx.p99_9_ns);
			CHECK_U64(sy.p99_99_ns, sx.p99_99_ns);
			CHECK(sy.mean_ns > sx.mean_ns - 0.001 && sy.mean_ns < sx.mean_ns + 0.001);
			CHECK(sy.stddev_ns > sx.stddev_ns - 0.001 &&
			      sy.stddev_ns < sx.stddev_ns + 0.001);
			CHECK_U64(y->errors, x->errors);
			CHECK_U64(y->scratch_pages, x->scratch_pages);
			CHECK_U64(y->full_restores, x->full_restores);
			CHECK_U64(y->pages_reset, x->pages_reset);
			CHECK_U64(y->cow_faults, x->cow_faults);
			CHECK_U64(y->bytes_copied, x->bytes_copied);
			CHECK_U64(y->pages_retained, x->pages_retained);
			CHECK_U64(y->snapshot_bytes, x->snapshot_bytes);
			CHECK_U64(y->zero_pages, x->zero_pages);
		}
	}
	/* the penalties, as the rows of the read-back report give them */
	struct post_restore_penalty p;
	if (back.n_scenarios == 2 && back.scenarios[0].n_steps == 5 &&
	    CHECK(scenario_result_penalty(&back.scenarios[0], &back.scenarios[0].steps[1], &p))) {
		CHECK_STR(p.first->label, "call touch_pages (first after restore)");
		CHECK(p.steady == &back.scenarios[0].steps[2]);
		CHECK_U64(p.first_p50_ns, 41727);
		CHECK_U64(p.steady_p50_ns, 6559);
		CHECK_I64(p.penalty_ns, 35168);
		CHECK(!scenario_result_penalty(&back.scenarios[0], &back.scenarios[0].steps[2], &p));
		CHECK(!scenario_result_penalty(&back.scenarios[0], &back.scenarios[0].steps[4], &p));
	}
	if (back.n_scenarios == 2 && back.scenarios[1].n_steps == 4 &&
	    CHECK(scenario_result_penalty(&back.scenarios[1], &back.scenarios[1].steps[0], &p))) {
		CHECK(p.steady == NULL);
		CHECK_U64(p.first_p50_ns, 6655);
	}
	CHECK_CONTAINS(json, "\"post_restore_penalties\": [\n        {\n          \"step\": \"call "
			     "touch_pages\",\n          \"first_after_restore_p50_ns\": 41727,\n"
			     "          \"steady_p50_ns\": 6559,\n          \"penalty_p50_ns\": 35168,\n"
			     "          \"ratios\": {\n            \"penalty_over_exit_sandbox\": 23.445\n");
	/* the restore page statistics, read back as written */
	if (back.n_scenarios == 2 && back.scenarios[0].n_steps == 5) {
		CHECK_U64(back.scenarios[0].steps[4].full_restores, 20);
		CHECK_U64(back.scenarios[0].steps[4].pages_reset, 3160);
		CHECK_U64(back.scenarios[0].steps[1].full_restores, 0);
	}
	if (back.n_scenarios == 2 && back.scenarios[1].n_steps == 4) {
		CHECK_U64(back.scenarios[1].steps[1].full_restores, 100);
		CHECK_U64(back.scenarios[1].steps[1].pages_reset, 1700);
	}
	CHECK_CONTAINS(json, "\"pages\": {\n            \"scratch_pages\": 0,\n"
			     "            \"exits\": 0,\n            \"cow_faults\": 0,\n"
			     "            \"full_restores\": 20,\n"
			     "            \"pages_reset\": 3160,\n"
			     "            \"bytes_copied\": 12943360,\n"
			     "            \"pages_retained\": 0,\n");
	CHECK_CONTAINS(json, "\"full_restores\": 100,\n            \"pages_reset\": 1700,\n"
			     "            \"bytes_copied\": 6963200,\n"
			     "            \"pages_retained\": 1200,\n");
	CHECK_CONTAINS(json, "\"exits\": 4000,\n            \"cow_faults\": 3000,\n");
	CHECK_CONTAINS(json, "\"schema_version\": 5,\n");
	/* schema 5: the run's record, read back as written */
	CHECK_STR(back.command_line, r.command_line);
	CHECK_STR(back.working_dir, "/home/ci/snap bench");
	CHECK_STR(back.build.compiler, "gcc 12.2.0");
	CHECK_STR(back.build.buildtype, "debugoptimized");
	CHECK_STR(back.build.optimization, "2");
	CHECK_STR(back.build.sanitize, "none");
	CHECK_STR(back.machine.hypervisor_version, "built-in");
	CHECK_CONTAINS(json, "\"command_line\": \"build/cli/snapbench run -o 'my results' "
			     "scenarios/restore.ini\",\n  \"working_dir\": \"/home/ci/snap bench\",\n");
	CHECK_CONTAINS(json, "\"file\": \"scenarios/restore.ini\",\n      \"file_digest\": "
			     "\"0123456789abcdef0123456789abcdef\",\n");
	CHECK_CONTAINS(json, "\"memset_gib_per_s\": 12.5,\n        \"exit_sandbox_p25_ns\": 1420,\n"
			     "        \"exit_sandbox_p75_ns\": 1610,\n"
			     "        \"exit_sandbox_before_ns\": 1480,\n"
			     "        \"exit_sandbox_after_ns\": 1530,\n"
			     "        \"exit_sandbox_samples\": 202,\n"
			     "        \"exit_real_mode_before_ns\": 1190,\n"
			     "        \"exit_real_mode_after_ns\": 1215,\n"
			     "        \"timer_overhead_ns\": 27,\n        \"warning\": \"\"\n");
	for (size_t i = 0; i < 2 && back.n_scenarios == 2; i++) {
		const struct calibration *a = &r.scenarios[i].cal, *b = &back.scenarios[i].cal;
		CHECK_STR(back.scenarios[i].file_digest, r.scenarios[i].file_digest);
		CHECK_U64(b->exit_sandbox_ns, a->exit_sandbox_ns);
		CHECK_U64(b->exit_sandbox_p25_ns, a->exit_sandbox_p25_ns);
		CHECK_U64(b->exit_sandbox_p75_ns, a->exit_sandbox_p75_ns);
		CHECK_U64(b->exit_sandbox_before_ns, a->exit_sandbox_before_ns);
		CHECK_U64(b->exit_sandbox_after_ns, a->exit_sandbox_after_ns);
		CHECK_U64(b->exit_sandbox_samples, a->exit_sandbox_samples);
		CHECK_U64(b->exit_real_mode_before_ns, a->exit_real_mode_before_ns);
		CHECK_U64(b->exit_real_mode_after_ns, a->exit_real_mode_after_ns);
		CHECK_U64(b->timer_overhead_ns, a->timer_overhead_ns);
		CHECK_STR(b->warning, a->warning);
	}
	if (back.n_scenarios == 2) {
		CHECK_STR(back.scenarios[1].file_digest, "");
		CHECK_CONTAINS(back.scenarios[1].cal.warning, "sandbox exit spread: IQR");
	}
	/* the strategy and the declared pages of each scenario */
	CHECK_CONTAINS(json, "\"file_digest\": \"0123456789abcdef0123456789abcdef\",\n      "
			     "\"restore_strategy\": \"rewrite\",\n      \"dirtied_pages\": 3,\n");
	CHECK_CONTAINS(json, "\"restore_strategy\": \"host-cow\",\n      \"dirtied_pages\": null,\n");
	if (back.n_scenarios == 2) {
		CHECK_STR(back.scenarios[0].restore_strategy, "rewrite");
		CHECK_STR(back.scenarios[1].restore_strategy, "host-cow");
		CHECK_U64(back.scenarios[0].dirtied_pages, 3);
		CHECK_U64(back.scenarios[1].dirtied_pages, SCENARIO_NONE);
	}
	CHECK_CONTAINS(json, "\"steady_p50_ns\": null,\n          \"penalty_p50_ns\": null,\n"
			     "          \"ratios\": {\n            \"penalty_over_exit_sandbox\": null\n");
	free(again);
	free(json);
	run_report_free(&back);
	run_report_free(&r);
}

/* ---- malformed input -------------------------------------------------------- */

struct bad_case {
	const char *what;
	const char *raw;   /* the whole file, or NULL: mutate the fixture's JSON */
	const char *path;  /* dotted path of the container ("" = root); numbers index arrays */
	const char *key;   /* key or index in it */
	const char *value; /* JSON text to set, or NULL to delete */
	const char *want;  /* in the message, after "DIR/" */
};

static const struct bad_case bad_cases[] = {
	{ "not JSON", "{ \"schema_version\": 1,, }", 0, 0, 0, "base.json:1:23: not valid JSON" },
	{ "empty file", "", 0, 0, 0, "base.json:1:0: not valid JSON" },
	{ "an array", "[1, 2]", 0, 0, 0, "base.json: not a JSON object" },
	{ "duplicate key", "{\"a\": 1, \"a\": 2}", 0, 0, 0, "duplicate object key" },
	{ "newer schema", 0, "", "schema_version", "6",
	  "base.json: schema_version 6 is not supported (this snapbench reads schema_version 3 to "
	  "5)" },
	{ "older schema (no restore statistics)", 0, "", "schema_version", "2",
	  "base.json: schema_version 2 is not supported (this snapbench reads schema_version 3 to "
	  "5); schema 2 has no restore page statistics (full_restores, pages_reset): run the "
	  "scenarios again" },
	{ "older schema (rows not split)", 0, "", "schema_version", "1",
	  "base.json: schema_version 1 is not supported (this snapbench reads schema_version 3 to "
	  "5)" },
	{ "no schema", 0, "", "schema_version", 0, "base.json: schema_version: missing" },
	{ "schema as text", 0, "", "schema_version", "\"1\"",
	  "base.json: schema_version: not a number" },
	{ "machine not an object", 0, "", "machine", "[]", "base.json: machine: not an object" },
	/* schema 5: what makes a run traceable, the calibration's spread */
	{ "command line missing", 0, "", "command_line", 0, "base.json: command_line: missing" },
	{ "working dir a number", 0, "", "working_dir", "3", "base.json: working_dir: not a string" },
	{ "build not an object", 0, "", "build", "\"gcc\"", "base.json: build: not an object" },
	{ "compiler missing", 0, "build", "compiler", 0, "base.json: build.compiler: missing" },
	{ "module version missing", 0, "machine", "hypervisor_version", 0,
	  "base.json: machine.hypervisor_version: missing" },
	{ "file digest missing", 0, "scenarios.0", "file_digest", 0,
	  "base.json: scenarios[0].file_digest: missing" },
	{ "timer overhead missing", 0, "scenarios.0.calibration", "timer_overhead_ns", 0,
	  "base.json: scenarios[0].calibration.timer_overhead_ns: missing" },
	{ "calibration warning a number", 0, "scenarios.1.calibration", "warning", "1",
	  "base.json: scenarios[1].calibration.warning: not a string" },
	{ "median outside its quartiles", 0, "scenarios.0.calibration", "exit_sandbox_p75_ns", "1499",
	  "base.json: scenarios[0].calibration.exit_sandbox_ns: the median is outside its "
	  "quartiles" },
	{ "cpus negative", 0, "machine", "cpus", "-1", "base.json: machine.cpus: negative (-1)" },
	{ "missing started", 0, "", "started", 0, "base.json: started: missing" },
	{ "scenarios not an array", 0, "", "scenarios", "{}", "base.json: scenarios: not an array" },
	{ "scenario not an object", 0, "scenarios", "1", "3", "base.json: scenarios[1]: not an object" },
	{ "name too long", 0, "scenarios.0", "name",
	  "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"",
	  "base.json: scenarios[0].name: longer than 63 bytes" },
	{ "duplicate scenario", 0, "scenarios.1", "name", "\"restore-64M\"",
	  "base.json: scenarios[1].name: 'restore-64M' repeats scenarios[0]" },
	{ "option not a string", 0, "scenarios.0.options", "heap", "64",
	  "base.json: scenarios[0].options.heap: not a string" },
	{ "iterations a real", 0, "scenarios.0", "iterations", "1.5",
	  "base.json: scenarios[0].iterations: not an integer" },
	{ "calibration missing", 0, "scenarios.1.calibration", "exit_sandbox_ns", 0,
	  "base.json: scenarios[1].calibration.exit_sandbox_ns: missing" },
	{ "memset not a number", 0, "scenarios.1.calibration", "memset_gib_per_s", "null",
	  "base.json: scenarios[1].calibration.memset_gib_per_s: not a number" },
	{ "failed not bool", 0, "scenarios.1", "failed", "1",
	  "base.json: scenarios[1].failed: not true or false" },
	{ "expect passed missing", 0, "scenarios.1.expects.0", "passed", 0,
	  "base.json: scenarios[1].expects[0].passed: missing" },
	{ "p99 not a number", 0, "scenarios.0.steps.1.percentiles_ns", "p99", "\"fast\"",
	  "base.json: scenarios[0].steps[1].percentiles_ns.p99: not a number" },
	{ "p50 off its bucket", 0, "scenarios.0.steps.4.percentiles_ns", "p50", "1",
	  "base.json: scenarios[0].steps[4].percentiles_ns.p50: 1 does not match the histogram "
	  "buckets" },
	/* schema 4: restore strategies */
	{ "strategy missing", 0, "scenarios.0", "restore_strategy", 0,
	  "base.json: scenarios[0].restore_strategy: missing" },
	{ "strategy empty", 0, "scenarios.1", "restore_strategy", "\"\"",
	  "base.json: scenarios[1].restore_strategy: empty" },
	{ "strategy too long", 0, "scenarios.1", "restore_strategy", "\"copy-on-write-x\"",
	  "base.json: scenarios[1].restore_strategy: longer than 12 bytes" },
	{ "dirtied pages missing", 0, "scenarios.1", "dirtied_pages", 0,
	  "base.json: scenarios[1].dirtied_pages: missing" },
	{ "dirtied pages text", 0, "scenarios.0", "dirtied_pages", "\"3\"",
	  "base.json: scenarios[0].dirtied_pages: not a number" },
	{ "cow faults missing", 0, "scenarios.0.steps.1.pages", "cow_faults", 0,
	  "base.json: scenarios[0].steps[1].pages.cow_faults: missing" },
	{ "bytes copied negative", 0, "scenarios.0.steps.4.pages", "bytes_copied", "-1",
	  "base.json: scenarios[0].steps[4].pages.bytes_copied: negative (-1)" },
	{ "pages retained missing", 0, "scenarios.1.steps.1.pages", "pages_retained", 0,
	  "base.json: scenarios[1].steps[1].pages.pages_retained: missing" },
	{ "pages field missing", 0, "scenarios.1.steps.0.pages", "exits", 0,
	  "base.json: scenarios[1].steps[0].pages.exits: missing" },
	{ "full restores missing", 0, "scenarios.0.steps.4.pages", "full_restores", 0,
	  "base.json: scenarios[0].steps[4].pages.full_restores: missing" },
	{ "pages reset negative", 0, "scenarios.0.steps.4.pages", "pages_reset", "-3",
	  "base.json: scenarios[0].steps[4].pages.pages_reset: negative (-3)" },
	{ "more full restores than restores", 0, "scenarios.1.steps.1.pages", "full_restores", "101",
	  "base.json: scenarios[1].steps[1].pages.full_restores: 101 is above count 100" },
	{ "ratio a string", 0, "scenarios.0.steps.0.ratios", "p50_over_exit_sandbox", "\"x\"",
	  "base.json: scenarios[0].steps[0].ratios.p50_over_exit_sandbox: not a number or null" },
	{ "unknown kind", 0, "scenarios.0.steps.0", "kind", "\"teleport\"",
	  "base.json: scenarios[0].steps[0].kind: unknown step kind 'teleport'" },
	{ "count off", 0, "scenarios.0.steps.0", "count", "3",
	  "base.json: scenarios[0].steps[0].count: 3 but the histogram buckets hold 2" },
	{ "not a bucket", 0, "scenarios.0.steps.0.histogram_buckets.0", "1", "1",
	  "base.json: scenarios[0].steps[0].histogram_buckets[0]: [1998848, 1] is not a bucket" },
	{ "bucket not a triple", 0, "scenarios.0.steps.0.histogram_buckets", "1", "[1, 2]",
	  "base.json: scenarios[0].steps[0].histogram_buckets[1]: not an array [lower_ns, "
	  "upper_ns, count]" },
	{ "bucket count text", 0, "scenarios.0.steps.0.histogram_buckets.1", "2", "\"1\"",
	  "base.json: scenarios[0].steps[0].histogram_buckets[1][2]: not a number" },
	{ "min outside", 0, "scenarios.0.steps.0", "min_ns", "5",
	  "base.json: scenarios[0].steps[0].min_ns: 5 is not in the first bucket" },
	{ "overflow above count", 0, "scenarios.1.steps.3", "overflow", "9",
	  "base.json: scenarios[1].steps[3].overflow: 9 is above count 2" },
	{ "duplicate label", 0, "scenarios.0.steps.3", "label", "\"create\"",
	  "base.json: scenarios[0].steps[3].label: 'create' repeats steps[0]" },
	/* rows: the step label, the variant, the row name made of both */
	{ "step missing", 0, "scenarios.0.steps.0", "step", 0,
	  "base.json: scenarios[0].steps[0].step: missing" },
	{ "unknown variant", 0, "scenarios.0.steps.1", "variant", "\"sideways\"",
	  "base.json: scenarios[0].steps[1].variant: unknown variant 'sideways'" },
	{ "variant of another kind", 0, "scenarios.0.steps.4", "variant", "\"steady\"",
	  "base.json: scenarios[0].steps[4].variant: restore steps have no 'steady' row" },
	{ "label not the row name", 0, "scenarios.0.steps.2", "label", "\"call touch_pages\"",
	  "base.json: scenarios[0].steps[2].label: 'call touch_pages' is not the row name of step "
	  "'call touch_pages' (want 'call touch_pages (steady)')" },
	/* post-restore penalties: derived, checked against the rows */
	{ "penalties missing", 0, "scenarios.0", "post_restore_penalties", 0,
	  "base.json: scenarios[0].post_restore_penalties: missing" },
	/* issue 12: a mean no histogram can have was converted to an integer
	 * sum (undefined behaviour) and read as mean 0.000 */
	{ "mean far above max", 0, "scenarios.0.steps.0", "mean_ns", "1.8e302",
	  "base.json: scenarios[0].steps[0].mean_ns: 1.8e+302 cannot be the mean of values in [" },
	{ "mean below min", 0, "scenarios.0.steps.0", "mean_ns", "0.5",
	  "base.json: scenarios[0].steps[0].mean_ns: 0.5 cannot be the mean of values in [" },
	{ "stddev far above the range", 0, "scenarios.0.steps.0", "stddev_ns", "1.8e302",
	  "base.json: scenarios[0].steps[0].stddev_ns: 1.8e+302 cannot be the standard deviation" },
	{ "negative stddev", 0, "scenarios.0.steps.0", "stddev_ns", "-1.0",
	  "base.json: scenarios[0].steps[0].stddev_ns: -1 cannot be the standard deviation" },
	{ "penalty entry missing", 0, "scenarios.0", "post_restore_penalties", "[]",
	  "base.json: scenarios[0].post_restore_penalties: has no entry for 'call touch_pages'" },
	{ "penalty of another step", 0, "scenarios.0.post_restore_penalties.0", "step",
	  "\"create\"",
	  "base.json: scenarios[0].post_restore_penalties[0].step: 'create', but the rows say "
	  "'call touch_pages'" },
	{ "penalty as text", 0, "scenarios.0.post_restore_penalties.0", "penalty_p50_ns",
	  "\"big\"",
	  "base.json: scenarios[0].post_restore_penalties[0].penalty_p50_ns: not an integer or "
	  "null" },
	{ "penalty ratio a string", 0, "scenarios.0.post_restore_penalties.0.ratios",
	  "penalty_over_exit_sandbox", "\"x\"",
	  "base.json: scenarios[0].post_restore_penalties[0].ratios.penalty_over_exit_sandbox: "
	  "not a number or null" },
	{ "a penalty too many", 0, "scenarios.1", "post_restore_penalties",
	  "[{\"step\": \"call touch_pages\", \"first_after_restore_p50_ns\": 1, "
	  "\"steady_p50_ns\": null, \"penalty_p50_ns\": null, "
	  "\"ratios\": {\"penalty_over_exit_sandbox\": null}}, {}]",
	  "base.json: scenarios[1].post_restore_penalties: 2 entries, but the rows have first "
	  "calls after a restore for 1 labels" },
};

/* Set (or delete) key in the container at a dotted path. */
static bool mutate(json_t *root, const char *path, const char *key, const char *value)
{
	json_t *c = root;
	char buf[256];
	snprintf(buf, sizeof buf, "%s", path);
	for (char *save, *tok = strtok_r(buf, ".", &save); tok && c;
	     tok = strtok_r(NULL, ".", &save))
		c = json_is_array(c) ? json_array_get(c, strtoul(tok, NULL, 10))
				     : json_object_get(c, tok);
	if (!c)
		return false;
	json_t *v = NULL;
	if (value && !(v = json_loads(value, JSON_DECODE_ANY, NULL)))
		return false;
	if (json_is_array(c)) {
		size_t i = strtoul(key, NULL, 10);
		return v ? json_array_set_new(c, i, v) == 0 : json_array_remove(c, i) == 0;
	}
	return v ? json_object_set_new(c, key, v) == 0 : json_object_del(c, key) == 0;
}

static void test_malformed(void)
{
	struct run_report r;
	fixture_report(&r, true);
	char *json = fixture_json(&r);
	run_report_free(&r);
	if (!CHECK(json != NULL))
		return;
	char path[256];
	snprintf(path, sizeof path, "%s/base.json", dir);
	for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
		const struct bad_case *c = &bad_cases[i];
		char *text = NULL;
		if (c->raw) {
			text = strdup(c->raw);
		} else {
			json_t *root = json_loads(json, 0, NULL);
			if (!CHECK(root && mutate(root, c->path, c->key, c->value) &&
				   /* a duplicate label needs its step to match */
				   (!strstr(c->what, "duplicate label") ||
				    mutate(root, c->path, "step", c->value)))) {
				fprintf(stderr, "  case '%s': cannot mutate\n", c->what);
				json_decref(root);
				continue;
			}
			text = json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
			json_decref(root);
		}
		CHECK(text && write_file(path, text));
		free(text);
		struct run_report got;
		struct sb_err err = { 0 };
		int rc = report_read_json(&got, path, &err);
		if (!CHECK_I64(rc, -1)) {
			fprintf(stderr, "  case '%s' was accepted\n", c->what);
			run_report_free(&got);
			continue;
		}
		CHECK(got.scenarios == NULL && got.n_scenarios == 0);
		if (!check_contains_at(err.msg, c->want, c->what, __FILE__, __LINE__))
			continue;
		/* the message starts with the file's full name */
		CHECK(strncmp(err.msg, path, strlen(path)) == 0);
	}
	free(json);

	struct run_report got;
	struct sb_err err = { 0 };
	snprintf(path, sizeof path, "%s/absent.json", dir);
	CHECK_I64(report_read_json(&got, path, &err), -1);
	CHECK_CONTAINS(err.msg, "absent.json: unable to open");
}

/* A report of schema 3 (before restore strategies) or 4 (before the run's
 * record and the calibration's spread), a copy of the fixture's JSON as
 * that schema wrote it, is read with what it lacks at its defaults, and
 * written back as that schema, byte for byte. */
static void test_older_schema(int schema)
{
	char path[600];
	snprintf(path, sizeof path, "%s/report_schema%d.json", src_dir, schema);
	struct run_report r;
	struct sb_err err = { 0 };
	if (!CHECK_I64(report_read_json(&r, path, &err), 0)) {
		fprintf(stderr, "  %s\n", err.msg);
		return;
	}
	CHECK_I64(r.schema_version, schema);
	/* schema 5's fields: absent, at their defaults */
	CHECK(r.command_line == NULL && r.working_dir == NULL);
	CHECK_STR(r.build.compiler, "");
	CHECK_STR(r.machine.hypervisor_version, "");
	for (size_t i = 0; i < r.n_scenarios; i++) {
		const struct calibration *c = &r.scenarios[i].cal;
		CHECK_STR(r.scenarios[i].file_digest, "");
		CHECK(c->exit_sandbox_p25_ns == 0 && c->exit_sandbox_p75_ns == 0 &&
		      c->exit_sandbox_before_ns == 0 && c->exit_sandbox_after_ns == 0 &&
		      c->exit_sandbox_samples == 0 && c->timer_overhead_ns == 0 && !c->warning[0]);
		CHECK(c->exit_sandbox_ns != 0); /* what it has is read */
	}
	for (size_t i = 0; schema == 3 && i < r.n_scenarios; i++) {
		CHECK_STR(r.scenarios[i].restore_strategy, "rewrite");
		CHECK_U64(r.scenarios[i].dirtied_pages, SCENARIO_NONE);
		for (size_t k = 0; k < r.scenarios[i].n_steps; k++) {
			const struct step_stats *st = &r.scenarios[i].steps[k];
			CHECK(st->cow_faults == 0 && st->bytes_copied == 0 && st->pages_retained == 0);
		}
	}
	if (schema == 4 && r.n_scenarios == 2)
		CHECK_STR(r.scenarios[1].restore_strategy, "host-cow");
	CHECK_U64(r.n_scenarios, 2);
	if (r.n_scenarios == 2 && CHECK_U64(r.scenarios[0].n_steps, 5))
		CHECK_U64(r.scenarios[0].steps[4].pages_reset, FIXTURE_PAGES_RESET);
	char *again = fixture_json(&r);
	char *want = NULL;
	FILE *f = fopen(path, "r");
	size_t len = 0;
	if (f) {
		want = calloc(1, 1 << 20);
		len = want ? fread(want, 1, (1 << 20) - 1, f) : 0;
		fclose(f);
	}
	if (CHECK(again && want && len > 0))
		CHECK_STR(again, want);
	free(again);
	free(want);
	run_report_free(&r);
}

/* An option echo of any length survives write and read (a scenario with
 * many steps echoes them all; the echo once stopped at 511 bytes). */
static void test_long_option(void)
{
	struct run_report r, back;
	fixture_report(&r, false);
	struct option_echo *o = &r.scenarios[0].options[0];
	free(o->value);
	o->value = malloc(5001);
	if (!CHECK(o->value != NULL))
		return;
	for (size_t i = 0; i < 5000; i++)
		o->value[i] = i % 17 == 16 ? ';' : 'a' + (char)(i % 26);
	o->value[5000] = '\0';
	char *json = fixture_json(&r);
	char path[256];
	snprintf(path, sizeof path, "%s/base.json", dir);
	struct sb_err err = { 0 };
	if (CHECK(json && write_file(path, json)) && CHECK_I64(report_read_json(&back, path, &err), 0)) {
		CHECK_STR(back.scenarios[0].options[0].name, o->name);
		CHECK_STR(back.scenarios[0].options[0].value, o->value);
		run_report_free(&back);
	} else {
		fprintf(stderr, "  %s\n", err.msg);
	}
	free(json);
	run_report_free(&r);
}

/* Repeated runs (schema 5): a histogram per run of each row survives write
 * and read, the bytes written again are the same, and runs that do not
 * add up to the row are refused with their path. */
static void test_runs(void)
{
	struct run_report r, back;
	fixture_report(&r, false);
	struct scenario_result *s = &r.scenarios[0];
	s->runs = 2;
	for (size_t i = 0; i < s->n_steps; i++) {
		struct step_stats *st = &s->steps[i];
		st->runs = calloc(2, sizeof *st->runs);
		if (!CHECK(st->runs != NULL))
			return;
		st->n_runs = 2;
		/* run 1: the values up to the median; run 0: the rest */
		hist_init(&st->runs[0]);
		hist_init(&st->runs[1]);
		uint64_t half = hist_count(&st->hist) / 2, seen = 0;
		struct hist_iter it;
		struct hist_bucket b;
		for (hist_iter_init(&it, &st->hist); hist_iter_next(&it, &b);) {
			uint64_t to1 = seen >= half ? 0 : b.count < half - seen ? b.count : half - seen;
			if (to1)
				hist_record_n(&st->runs[1], b.lower_ns, to1);
			if (b.count - to1)
				hist_record_n(&st->runs[0], b.lower_ns, b.count - to1);
			seen += b.count;
		}
	}
	char *json = fixture_json(&r);
	char path[256];
	snprintf(path, sizeof path, "%s/base.json", dir);
	struct sb_err err = { 0 };
	if (CHECK(json && write_file(path, json)) && CHECK_I64(report_read_json(&back, path, &err), 0)) {
		CHECK_U64(back.scenarios[0].runs, 2);
		CHECK_U64(back.scenarios[1].runs, 1);
		const struct step_stats *st = &back.scenarios[0].steps[4];
		if (CHECK_U64(st->n_runs, 2)) {
			CHECK_U64(hist_count(&st->runs[0]) + hist_count(&st->runs[1]),
				  hist_count(&st->hist));
			CHECK_U64(hist_count(&st->runs[1]), hist_count(&st->hist) / 2);
			CHECK_U64(hist_min(&st->runs[1]), hist_min(&r.scenarios[0].steps[4].runs[1]));
		}
		CHECK(back.scenarios[1].steps[0].runs == NULL);
		char *again = fixture_json(&back);
		if (CHECK(again != NULL))
			CHECK_STR(again, json);
		free(again);
		run_report_free(&back);
	} else {
		fprintf(stderr, "  %s\n", err.msg);
	}
	CHECK_CONTAINS(json, "\"runs\": 2,\n      \"iterations\"");
	/* three runs said, two given */
	char *bad = json ? strstr(json, "\"runs\": 2,") : NULL;
	if (CHECK(bad != NULL)) {
		bad[8] = '3';
		CHECK(write_file(path, json));
		CHECK_I64(report_read_json(&back, path, &err), -1);
		CHECK_CONTAINS(err.msg, "base.json: scenarios[0].steps[0].runs: not an array of 3 runs");
		bad[8] = '2';
	}
	/* a bad run after the runs were allocated: an error, and no leak
	 * (under valgrind or ASan) */
	char *run = json ? strstr(json, "\"runs\": [") : NULL;
	char *count = run ? strstr(run, "\"count\": ") : NULL;
	if (CHECK(count != NULL)) {
		memcpy(count, "\"count\":-", 9);
		CHECK(write_file(path, json));
		CHECK_I64(report_read_json(&back, path, &err), -1);
		CHECK_CONTAINS(err.msg, "base.json: scenarios[0].steps[0].runs[0].count: negative");
	}
	free(json);
	run_report_free(&r);
}

int main(int argc, char **argv)
{
	src_dir = argc > 1 ? argv[1] : ".";
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_golden_and_roundtrip();
	test_malformed();
	test_older_schema(3);
	test_older_schema(4);
	test_long_option();
	test_runs();
	char path[300];
	snprintf(path, sizeof path, "%s/base.json", dir);
	unlink(path);
	rmdir(dir);
	return check_done();
}
