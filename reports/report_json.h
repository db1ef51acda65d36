/* report_json.h — what the JSON writer's files share (not public). */
#ifndef SNAPBENCH_REPORTS_REPORT_JSON_H
#define SNAPBENCH_REPORTS_REPORT_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "results.h"

/* Building state: the first problem wins. */
struct jw {
	bool oom;
	char too_big[96]; /* key of a value JSON cannot hold */
};

/* Set obj[key]; a NULL value or a failure marks w out of memory. */
void report_jw_put(struct jw *w, json_t *obj, const char *key, json_t *v);
void report_jw_put_u64(struct jw *w, json_t *obj, const char *key, uint64_t v);
void report_jw_put_str(struct jw *w, json_t *obj, const char *key, const char *s);

/* Schema 5 (report_json_trace.c): command_line, working_dir and build
 * into the root; the calibration's spread into its object. */
void report_json_trace(struct jw *w, json_t *root, const struct run_report *r);
void report_json_calibration5(struct jw *w, json_t *cal, const struct calibration *c);

/* ---- reading (report_json_read.c) ---- */

/* Reading state: the file for messages, where the first error goes. */
struct jr {
	const char *file;
	struct sb_err *err;
};
#define PATH_MAX_LEN 160

/* "file: path.key: what"; returns -1. */
__attribute__((format(printf, 4, 5))) int report_jr_fail(struct jr *c, const char *path,
							 const char *key, const char *fmt, ...);
/* obj[key], or NULL with "missing". */
json_t *report_jr_field(struct jr *c, json_t *obj, const char *path, const char *key);
int report_jr_get_u64(struct jr *c, json_t *obj, const char *path, const char *key,
		      uint64_t *out);
int report_jr_get_str(struct jr *c, json_t *obj, const char *path, const char *key, char *buf,
		      size_t cap);
json_t *report_jr_get_typed(struct jr *c, json_t *obj, const char *path, const char *key,
			    json_type type);

/* Schema 5, read back (report_json_trace.c): the root's command_line,
 * working_dir and build; a calibration's spread. 0, or -1 with c->err set. */
int report_json_read_trace(struct jr *c, json_t *root, struct run_report *r);
int report_json_read_calibration5(struct jr *c, json_t *cal, const char *path,
				  struct calibration *out);

#endif
