/* fuzz_report_json.c — the JSON report reader (reports/report_json_read.c)
 * on a report from someone else (`snapbench compare base.json`). A report
 * that reads is written back as text and JSON, and the JSON it writes
 * must read again. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fuzz_note.h"
#include "reports.h"

static FILE *null_file(void)
{
	static FILE *f;
	if (!f)
		f = fopen("/dev/null", "w");
	if (!f)
		abort();
	return f;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > (1u << 20))
		return 0;
	struct run_report r;
	struct sb_err err;
	int rc = report_read_json_buffer(&r, "fuzz.json", (const char *)data, size, &err);
	fuzz_note("read", rc, &err);
	if (rc)
		return 0;
	report_write_text(&r, null_file(), true);
	char *out = NULL;
	size_t out_len = 0;
	FILE *f = open_memstream(&out, &out_len);
	if (f) {
		rc = report_write_json(&r, f, &err);
		fclose(f);
		if (rc == 0) {
			struct run_report again;
			if (report_read_json_buffer(&again, "rewritten.json", out, out_len, &err)) {
				fprintf(stderr, "a report that was read does not read back: %s\n",
					err.msg);
				abort();
			}
			run_report_free(&again);
		}
		free(out);
	}
	run_report_free(&r);
	return 0;
}
