/* report_json_trace.c — the JSON keys schema 5 added (reports.h): what
 * makes a run traceable (command_line, working_dir, build) and the spread
 * of its calibration; written only for schema 5 and later, so that a
 * report of an older schema is written back as it was. */
#include <stdlib.h>
#include <string.h>

#include "report_json.h"
#include "report_util.h"

void report_json_trace(struct jw *w, json_t *root, const struct run_report *r)
{
	report_jw_put_str(w, root, "command_line", r->command_line ? r->command_line : "");
	report_jw_put_str(w, root, "working_dir", r->working_dir ? r->working_dir : "");
	json_t *b = json_object();
	report_jw_put(w, root, "build", b);
	if (!b)
		return;
	report_jw_put_str(w, b, "compiler", r->build.compiler);
	report_jw_put_str(w, b, "buildtype", r->build.buildtype);
	report_jw_put_str(w, b, "optimization", r->build.optimization);
	report_jw_put_str(w, b, "sanitize", r->build.sanitize);
	report_jw_put_str(w, b, "c_args", r->build.c_args);
}

void report_json_calibration5(struct jw *w, json_t *cal, const struct calibration *c)
{
	report_jw_put_u64(w, cal, "exit_sandbox_p25_ns", c->exit_sandbox_p25_ns);
	report_jw_put_u64(w, cal, "exit_sandbox_p75_ns", c->exit_sandbox_p75_ns);
	report_jw_put_u64(w, cal, "exit_sandbox_before_ns", c->exit_sandbox_before_ns);
	report_jw_put_u64(w, cal, "exit_sandbox_after_ns", c->exit_sandbox_after_ns);
	report_jw_put_u64(w, cal, "exit_sandbox_samples", c->exit_sandbox_samples);
	report_jw_put_u64(w, cal, "exit_real_mode_before_ns", c->exit_real_mode_before_ns);
	report_jw_put_u64(w, cal, "exit_real_mode_after_ns", c->exit_real_mode_after_ns);
	report_jw_put_u64(w, cal, "timer_overhead_ns", c->timer_overhead_ns);
	report_jw_put_str(w, cal, "warning", c->warning);
}

/* A string of any length, malloc'd into *out. */
static int get_dup(struct jr *c, json_t *obj, const char *path, const char *key, char **out)
{
	json_t *v = report_jr_field(c, obj, path, key);
	if (!v)
		return -1;
	if (!json_is_string(v))
		return report_jr_fail(c, path, key, "not a string");
	if (memchr(json_string_value(v), '\0', json_string_length(v)))
		return report_jr_fail(c, path, key, "contains a NUL character");
	if (!(*out = strdup(json_string_value(v))))
		return sb_errf(c->err, SB_E_NOMEM, "%s: out of memory", c->file);
	return 0;
}

int report_json_read_trace(struct jr *c, json_t *root, struct run_report *r)
{
	if (get_dup(c, root, "", "command_line", &r->command_line) ||
	    get_dup(c, root, "", "working_dir", &r->working_dir))
		return -1;
	json_t *b = report_jr_get_typed(c, root, "", "build", JSON_OBJECT);
	struct build_facts *f = &r->build;
	return !b ||
			       report_jr_get_str(c, b, "build", "compiler", f->compiler,
						 sizeof f->compiler) ||
			       report_jr_get_str(c, b, "build", "buildtype", f->buildtype,
						 sizeof f->buildtype) ||
			       report_jr_get_str(c, b, "build", "optimization", f->optimization,
						 sizeof f->optimization) ||
			       report_jr_get_str(c, b, "build", "sanitize", f->sanitize,
						 sizeof f->sanitize) ||
			       report_jr_get_str(c, b, "build", "c_args", f->c_args, sizeof f->c_args)
		       ? -1
		       : 0;
}

int report_json_read_calibration5(struct jr *c, json_t *cal, const char *path,
				  struct calibration *out)
{
	if (report_jr_get_u64(c, cal, path, "exit_sandbox_p25_ns", &out->exit_sandbox_p25_ns) ||
	    report_jr_get_u64(c, cal, path, "exit_sandbox_p75_ns", &out->exit_sandbox_p75_ns) ||
	    report_jr_get_u64(c, cal, path, "exit_sandbox_before_ns", &out->exit_sandbox_before_ns) ||
	    report_jr_get_u64(c, cal, path, "exit_sandbox_after_ns", &out->exit_sandbox_after_ns) ||
	    report_jr_get_u64(c, cal, path, "exit_sandbox_samples", &out->exit_sandbox_samples) ||
	    report_jr_get_u64(c, cal, path, "exit_real_mode_before_ns",
			      &out->exit_real_mode_before_ns) ||
	    report_jr_get_u64(c, cal, path, "exit_real_mode_after_ns",
			      &out->exit_real_mode_after_ns) ||
	    report_jr_get_u64(c, cal, path, "timer_overhead_ns", &out->timer_overhead_ns) ||
	    report_jr_get_str(c, cal, path, "warning", out->warning, sizeof out->warning))
		return -1;
	if (out->exit_sandbox_samples && (out->exit_sandbox_p25_ns > out->exit_sandbox_ns ||
					  out->exit_sandbox_ns > out->exit_sandbox_p75_ns))
		return report_jr_fail(c, path, "exit_sandbox_ns",
				      "the median is outside its quartiles exit_sandbox_p25_ns.."
				      "exit_sandbox_p75_ns");
	return 0;
}
