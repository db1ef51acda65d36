/* report_json_internal.h — what the JSON reader's files share (not public). */
#ifndef SNAPBENCH_REPORTS_REPORT_JSON_INTERNAL_H
#define SNAPBENCH_REPORTS_REPORT_JSON_INTERNAL_H

#include <jansson.h>

#include "report_json.h"
#include "results.h"

/* "file: path.key: what"; returns -1 (report_json.h). */
#define report_json_fail report_jr_fail
/* A histogram as a step row holds it (count, overflow, min_ns, max_ns,
 * mean_ns, stddev_ns, percentiles_ns, histogram_buckets), checked as
 * reports.h says. 0 or -1. */
int report_json_read_hist(struct jr *c, json_t *o, const char *path, struct hist *h);

/* The histogram's keys as report_json_read_hist reads them, into obj.
 * false when out of memory. */
bool report_json_put_hist(json_t *obj, const struct hist *h);

/* Schema 5: a scenario's "open_loop" (report_json_open_loop.c). */
json_t *report_json_open_loop(const struct open_loop_stats *ol); /* NULL: out of memory */
/* v: the "open_loop" value (null: closed loop, *out stays NULL). */
int report_json_read_open_loop(struct jr *c, json_t *v, const char *path,
			       struct open_loop_stats **out);

#endif
