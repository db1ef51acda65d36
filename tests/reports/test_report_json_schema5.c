/* test_report_json_schema5.c — what schema 5 added to the JSON report: a
 * row's first_error and a scenario's open_loop survive write → read →
 * write (same bytes, same values); a schema-4 report is read with their
 * defaults ("" and NULL) and written back byte for byte, without them; a
 * report written as schema 4 has neither key; malformed values name their
 * JSON path.
 *
 * argv[1]: tests/reports (report_schema4.json: the fixture's JSON as
 * schema 4 wrote it). */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "fixture.h"
#include "reports.h"

static char dir[] = "/tmp/test_report_json_schema5.XXXXXX";
static const char *src_dir;

static bool write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return false;
	bool ok = fputs(text, f) >= 0;
	return fclose(f) == 0 && ok;
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	char *buf = calloc(1, 1 << 20);
	size_t n = buf ? fread(buf, 1, (1 << 20) - 1, f) : 0;
	fclose(f);
	if (buf && n == 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static bool read_text(const char *text, struct run_report *r, struct sb_err *err)
{
	char path[256];
	snprintf(path, sizeof path, "%s/r.json", dir);
	return write_file(path, text) && report_read_json(r, path, err) == 0;
}

static void check_same_hist(const struct hist *a, const struct hist *b, const char *what)
{
	struct hist_summary x, y;
	hist_summarize(a, &x);
	hist_summarize(b, &y);
	if (!CHECK(x.count == y.count && x.min_ns == y.min_ns && x.max_ns == y.max_ns &&
		   x.p50_ns == y.p50_ns && x.p99_ns == y.p99_ns && x.p99_99_ns == y.p99_99_ns))
		fprintf(stderr, "  %s: read back differs\n", what);
}

static void test_roundtrip(void)
{
	struct run_report r, back;
	fixture_report(&r, true);
	char *json = fixture_json(&r);
	if (!CHECK(json != NULL))
		goto out;
	CHECK_CONTAINS(json, "\"errors\": 1,\n          \"first_error\": \"touch_pages: guest "
			     "function failed (code 3): <no> & \\\"pages\\\"\",\n");
	CHECK_CONTAINS(json, "\"errors\": 0,\n          \"first_error\": \"\",\n");
	CHECK_CONTAINS(json, "\"open_loop\": {\n        \"rate_per_sandbox\": 250,\n"
			     "        \"rate_target_per_s\": 500.0,\n"
			     "        \"rate_achieved_per_s\": 400.0,\n        \"iteration\": {\n"
			     "          \"count\": 1000,\n");
	CHECK_CONTAINS(json, "\"queueing_delay\": {\n          \"count\": 1000,\n");
	CHECK_CONTAINS(json, "\"sleep_overshoot\": {\n          \"count\": 600,\n");
	CHECK_CONTAINS(json, "\"open_loop\": null\n"); /* scenario 1: a closed loop */
	struct sb_err err = { 0 };
	if (!CHECK(read_text(json, &back, &err))) {
		fprintf(stderr, "  %s\n", err.msg);
		goto out;
	}
	char *again = fixture_json(&back);
	if (CHECK(again != NULL))
		CHECK_STR(again, json); /* identical bytes */
	free(again);
	if (CHECK_U64(back.n_scenarios, 2)) {
		CHECK_STR(back.scenarios[1].steps[0].first_error, FIXTURE_FIRST_ERROR);
		CHECK_STR(back.scenarios[0].steps[0].first_error, "");
		CHECK(back.scenarios[1].open_loop == NULL);
		const struct open_loop_stats *a = r.scenarios[0].open_loop;
		const struct open_loop_stats *b = back.scenarios[0].open_loop;
		if (CHECK(b != NULL)) {
			CHECK_U64(b->rate_per_sandbox, FIXTURE_RATE);
			CHECK(b->rate_target_per_s == 2.0 * FIXTURE_RATE);
			CHECK(b->rate_achieved_per_s == FIXTURE_RATE_ACHIEVED);
			check_same_hist(&a->iteration, &b->iteration, "iteration");
			check_same_hist(&a->queueing_delay, &b->queueing_delay, "queueing_delay");
			check_same_hist(&a->sleep_overshoot, &b->sleep_overshoot, "sleep_overshoot");
			CHECK(hist_mean(&b->iteration) == hist_mean(&a->iteration));
		}
	}
	run_report_free(&back);
out:
	free(json);
	run_report_free(&r);
}

/* Schema 4: read with the defaults, written back as it was. */
static void test_schema4(void)
{
	char path[600];
	snprintf(path, sizeof path, "%s/report_schema4.json", src_dir);
	struct run_report r;
	struct sb_err err = { 0 };
	if (!CHECK_I64(report_read_json(&r, path, &err), 0)) {
		fprintf(stderr, "  %s\n", err.msg);
		return;
	}
	CHECK_I64(r.schema_version, 4);
	for (size_t i = 0; i < r.n_scenarios; i++) {
		CHECK(r.scenarios[i].open_loop == NULL);
		for (size_t k = 0; k < r.scenarios[i].n_steps; k++)
			CHECK_STR(r.scenarios[i].steps[k].first_error, "");
	}
	char *again = fixture_json(&r), *want = read_file(path);
	if (CHECK(again && want)) {
		CHECK_STR(again, want);
		CHECK(!strstr(again, "first_error") && !strstr(again, "open_loop"));
	}
	free(again);
	free(want);
	run_report_free(&r);

	/* the fixture written as schema 4: neither key, whatever it holds */
	fixture_report(&r, true);
	r.schema_version = 4;
	again = fixture_json(&r);
	if (CHECK(again != NULL))
		CHECK(!strstr(again, "first_error") && !strstr(again, "open_loop"));
	free(again);
	run_report_free(&r);
}

/* Set (or delete, value NULL) obj[key] at scenarios[s] or inside one of
 * its objects (`sub`: "steps.N", "open_loop", "open_loop.NAME"). */
static bool mutate(json_t *root, size_t s, const char *sub, const char *key, const char *value)
{
	json_t *o = json_array_get(json_object_get(root, "scenarios"), s);
	char buf[64];
	snprintf(buf, sizeof buf, "%s", sub ? sub : "");
	for (char *part = sub ? strtok(buf, ".") : NULL; o && part; part = strtok(NULL, "."))
		o = json_is_array(o) ? json_array_get(o, strtoul(part, NULL, 10))
				     : json_object_get(o, part);
	if (!o)
		return false;
	if (!value)
		return json_object_del(o, key) == 0;
	json_error_t je;
	json_t *v = json_loads(value, JSON_DECODE_ANY, &je);
	return v && json_object_set_new(o, key, v) == 0;
}

static void test_malformed(void)
{
	static const struct {
		size_t s;
		const char *sub, *key, *value, *want;
	} cases[] = {
		{ 0, "steps.0", "first_error", NULL, "scenarios[0].steps[0].first_error: missing" },
		{ 1, "steps.0", "first_error", "3", "scenarios[1].steps[0].first_error: not a string" },
		{ 0, NULL, "open_loop", NULL, "scenarios[0].open_loop: missing" },
		{ 1, NULL, "open_loop", "[]", "scenarios[1].open_loop: not an object or null" },
		{ 0, "open_loop", "rate_achieved_per_s", "\"fast\"",
		  "scenarios[0].open_loop.rate_achieved_per_s: not a number" },
		{ 0, "open_loop", "rate_per_sandbox", "0",
		  "scenarios[0].open_loop.rate_per_sandbox: not a positive integer" },
		{ 0, "open_loop", "sleep_overshoot", NULL,
		  "scenarios[0].open_loop.sleep_overshoot: missing" },
		{ 0, "open_loop.queueing_delay", "count", "3",
		  "scenarios[0].open_loop.queueing_delay.count: 3 but the histogram buckets hold 1000" },
		{ 0, "open_loop.iteration.percentiles_ns", "p50", "1",
		  "scenarios[0].open_loop.iteration.percentiles_ns.p50: 1 does not match" },
	};
	struct run_report r;
	fixture_report(&r, false);
	char *json = fixture_json(&r);
	run_report_free(&r);
	if (!CHECK(json != NULL))
		return;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_error_t je;
		json_t *root = json_loads(json, 0, &je);
		if (!CHECK(root && mutate(root, cases[i].s, cases[i].sub, cases[i].key, cases[i].value))) {
			fprintf(stderr, "  case %zu: cannot mutate\n", i);
			json_decref(root);
			continue;
		}
		char *text = json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
		json_decref(root);
		struct run_report got;
		struct sb_err err = { 0 };
		if (CHECK(text != NULL) && !CHECK(!read_text(text, &got, &err))) {
			fprintf(stderr, "  case %zu (%s) was accepted\n", i, cases[i].want);
			run_report_free(&got);
		} else {
			CHECK_CONTAINS(err.msg, cases[i].want);
			CHECK(got.scenarios == NULL && got.n_scenarios == 0);
		}
		free(text);
	}
	free(json);
}

int main(int argc, char **argv)
{
	src_dir = argc > 1 ? argv[1] : ".";
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	test_roundtrip();
	test_schema4();
	test_malformed();
	char path[300];
	snprintf(path, sizeof path, "%s/r.json", dir);
	unlink(path);
	rmdir(dir);
	return check_done();
}
