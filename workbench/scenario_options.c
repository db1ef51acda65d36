/* scenario_options.c — the option table of scenario files, and everything
 * driven by it: value parsing and range checks, help text, the echo. */
#include "scenario.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox.h"
#include "sandbox_abi.h"
#include "units.h"

#define KIB (1ull << 10)
#define MIB (1ull << 20)
#define GIB (1ull << 30)
#define NS_PER_S 1000000000ull
#define STR_(x) #x
#define STR(x) STR_(x)

static const char *const mode_choices[] = { "user", "kernel", NULL };
static const char *const bool_choices[] = { "false", "true", NULL };
static const char *const host_fn_choices[] = { "none", "builtin", NULL };
static const char *const snapshot_choices[] = { "incremental", "full", NULL };
/* sandbox_restore_strategy_name() of each strategy, in enum order
 * (test_scenario_strategy checks they agree). */
static const char *const strategy_choices[] = { "rewrite", "host-cow", "retain", "rewind", NULL };
/* enum scenario_scaling, in enum order. Create-per-call from a pool is
 * not a name of its own: create-per-call with pool = N (issue 15's pool). */
static const char *const scaling_choices[] = { "none", "reuse", "restore-per-call",
					       "create-per-call", NULL };
_Static_assert(sizeof scaling_choices / sizeof scaling_choices[0] == SCENARIO_SCALING__COUNT + 1,
	       "name every scaling way in scaling_choices");
_Static_assert(sizeof strategy_choices / sizeof strategy_choices[0] == SANDBOX_RESTORE__COUNT + 1,
	       "name every restore strategy in strategy_choices");

#define CFG(field) offsetof(struct scenario_config, field)

/* Size defaults are layout_config_default()'s (test_scenario checks they
 * agree). Ranges and alignment are the layout's: the heap shares the
 * snapshot region with at least one page of code and the PEB page, so a
 * larger heap fits no guest. The scratch minimum for the I/O buffers is
 * checked when a scenario ends (scenario_check_layout); what depends on the
 * guest (its code and page-table size) is checked by the run. */
#define HEAP_MAX (SB_SNAPSHOT_MAX_BYTES - 2 * SB_PAGE_SIZE)
static const struct scenario_option options[] = {
	{ "description", SCENARIO_OPT_STRING, "", 0, 0, 0, NULL, 0, CFG(description),
	  "what the scenario measures (free text, for the report)" },
	{ "guest", SCENARIO_OPT_PATH, "", 0, 0, 0, NULL, 0, CFG(guest),
	  "guest ELF to run; \"\" = the embedded test guest" },
	{ "heap", SCENARIO_OPT_SIZE, "128K", 4 * KIB, HEAP_MAX, 4 * KIB, NULL, 0, CFG(heap_bytes),
	  "guest heap (its region, 16G - 4K, also holds the PEB and >= 1 code page)" },
	{ "scratch", SCENARIO_OPT_SIZE, "288K", 16 * KIB, SB_SCRATCH_MAX_BYTES, 4 * KIB, NULL, 0,
	  CFG(scratch_bytes),
	  "scratch region (I/O buffers, page-table copy, CoW pages; at least what the heap's "
	  "page tables need: 'snapbench layout --heap SIZE' prints it, less is refused)" },
	{ "input", SCENARIO_OPT_SIZE, "16K", 16, 1 * GIB, 8, NULL, 0, CFG(input_bytes),
	  "host -> guest buffer (call records must fit)" },
	{ "output", SCENARIO_OPT_SIZE, "16K", 16, 1 * GIB, 8, NULL, 0, CFG(output_bytes),
	  "guest -> host buffer" },
	{ "init_data", SCENARIO_OPT_PATH, "", 0, 0, 0, NULL, 0, CFG(init_data),
	  "file mapped read-only after the heap; \"\" = none" },
	{ "iterations", SCENARIO_OPT_COUNT, "1", 1, 1000000000000ull, 0, NULL, 0, CFG(iterations),
	  "times the step list runs (unless duration is set)" },
	{ "duration", SCENARIO_OPT_TIME, "0", 0, 24 * 3600 * NS_PER_S, 0, NULL, 0,
	  CFG(duration_ns), "run the step list for this long; 0 = use iterations" },
	{ "warmup", SCENARIO_OPT_COUNT, "0", 0, 1000000000000ull, 0, NULL, 0, CFG(warmup),
	  "leading iterations not recorded (< iterations)" },
	{ "sandboxes", SCENARIO_OPT_COUNT, "1", 1, 64, 0, NULL, 0, CFG(sandboxes),
	  "sandboxes run in parallel, one thread each" },
	{ "pool", SCENARIO_OPT_COUNT, "0", 0, 64, 0, NULL, 0, CFG(pool),
	  "sandbox pool of this size shared by the sandboxes: create takes, destroy puts back;"
	  " 0 = none (see Sandbox pool)" },
	{ "rate", SCENARIO_OPT_COUNT, "0", 0, 10000000, 0, NULL, 0, CFG(rate),
	  "iterations/s per sandbox; 0 = closed loop, > 0 = open loop (see Open loop)" },
	{ "deadline", SCENARIO_OPT_TIME, "1s", 0, 3600 * NS_PER_S, 0, NULL, 0, CFG(deadline_ns),
	  "per-call deadline; 0 = none" },
	{ "mode", SCENARIO_OPT_ENUM, "user", 0, 0, 0, mode_choices, 0, CFG(mode),
	  "ring guest calls run in" },
	{ "restore_strategy", SCENARIO_OPT_LIST, "rewrite", 0, 0, 0, strategy_choices, 0,
	  CFG(restore_strategies),
	  "how restore resets the sandbox; a list runs the scenario once per strategy" },
	{ "retain_max_pages", SCENARIO_OPT_COUNT, STR(SANDBOX_RETAIN_DEFAULT_PAGES), 1, 1u << 31, 0,
	  NULL, 0,
	  CFG(retain_max_pages),
	  "retain: most copy-on-write copies kept across restores; copies past it are "
	  "unmapped as under rewrite and counted" },
	{ "snapshots", SCENARIO_OPT_ENUM, "incremental", 0, 0, 0, snapshot_choices, 0,
	  CFG(snapshots),
	  "incremental: a snapshot of a sandbox running from a live snapshot walks and stores "
	  "only what changed since, sharing the rest; full: every snapshot walks and copies all "
	  "(see snapshot sharing in the report)" },
	{ "dirtied_pages", SCENARIO_OPT_COUNT, "none", 0, 1ull << 40, 0, NULL, SCENARIO_OPT_NONE_OK,
	  CFG(dirtied_pages),
	  "pages a call re-dirties after a restore, as declared for the reports' plots" },
	{ "scaling", SCENARIO_OPT_ENUM, "none", 0, 0, 0, scaling_choices, 0, CFG(scaling),
	  "the way of serving calls this scenario is in a scaling series, as declared for the "
	  "reports' scaling table (see Scaling)" },
	{ "crashdump", SCENARIO_OPT_PATH, "", 0, 0, 0, NULL, 0, CFG(crashdump),
	  "directory (relative, inside the working directory; made if missing) for an "
	  "ELF core of each call that faults, aborts or is cancelled (gdb GUEST CORE); "
	  "\"\" = none" },
	{ "allow_errors", SCENARIO_OPT_ENUM, "false", 0, 0, 0, bool_choices, 0, CFG(allow_errors),
	  "true: calls whose guest function reports an error are counted and printed but do "
	  "not fail the run (see Failed calls)" },
	{ "host_functions", SCENARIO_OPT_ENUM, "none", 0, 0, 0, host_fn_choices, 0,
	  CFG(host_functions),
	  "builtin: sandboxes get the host functions echo, add, sleep_ns, fail (see Host calls)" },
	{ "step", SCENARIO_OPT_STEP, NULL, 0, 0, 0, NULL,
	  SCENARIO_OPT_REPEATABLE | SCENARIO_OPT_NOT_GLOBAL, 0,
	  "one step per line, in order (see Steps)" },
	{ "expect", SCENARIO_OPT_EXPECT, NULL, 0, 0, 0, NULL,
	  SCENARIO_OPT_REPEATABLE | SCENARIO_OPT_NOT_GLOBAL, 0,
	  "regression oracle: STEP.METRIC OP VALUE (see Expectations)" },
};

_Static_assert(sizeof options / sizeof options[0] <= SCENARIO_MAX_OPTIONS,
	       "raise SCENARIO_MAX_OPTIONS");

const struct scenario_option *scenario_options(size_t *n)
{
	*n = sizeof options / sizeof options[0];
	return options;
}

const char *scenario_scaling_name(uint64_t way)
{
	return way && way < SCENARIO_SCALING__COUNT ? scaling_choices[way] : "";
}

const struct scenario_option *scenario_option_find(const char *name)
{
	for (size_t i = 0; i < sizeof options / sizeof options[0]; i++)
		if (strcmp(options[i].name, name) == 0)
			return &options[i];
	return NULL;
}

const char *scenario_opt_type_name(enum scenario_opt_type t)
{
	switch (t) {
	case SCENARIO_OPT_STRING: return "string";
	case SCENARIO_OPT_PATH: return "path";
	case SCENARIO_OPT_SIZE: return "size";
	case SCENARIO_OPT_TIME: return "time";
	case SCENARIO_OPT_COUNT: return "count";
	case SCENARIO_OPT_ENUM: return "enum";
	case SCENARIO_OPT_LIST: return "list";
	case SCENARIO_OPT_STEP: return "step";
	case SCENARIO_OPT_EXPECT: return "expect";
	}
	return "?";
}

/* ---- times --------------------------------------------------------------- */

static const struct {
	const char *unit;
	uint64_t ns;
} time_units[] = {
	{ "m", 60 * NS_PER_S }, { "s", NS_PER_S }, { "ms", 1000000 }, { "us", 1000 }, { "ns", 1 },
};
#define N_TIME_UNITS (sizeof time_units / sizeof time_units[0])

int scenario_parse_time(const char *s, uint64_t *ns, struct sb_err *err)
{
	if (!s || !*s)
		return sb_errf(err, SB_E_INVAL, "empty time");
	if (!isdigit((unsigned char)*s))
		return sb_errf(err, SB_E_INVAL, "time '%s' does not start with a digit", s);
	const char *p = s;
	uint64_t whole = 0, frac = 0, frac_scale = 1;
	bool nonzero = false;
	for (; isdigit((unsigned char)*p); p++) {
		unsigned d = (unsigned)(*p - '0');
		if (whole > (UINT64_MAX - d) / 10)
			return sb_errf(err, SB_E_TOO_BIG, "time '%s' is too large", s);
		whole = whole * 10 + d;
		nonzero |= d != 0;
	}
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return sb_errf(err, SB_E_INVAL, "time '%s' has no digits after '.'", s);
		for (; isdigit((unsigned char)*p); p++) {
			if (frac_scale == NS_PER_S)
				return sb_errf(err, SB_E_INVAL,
					       "time '%s' has more than 9 decimals", s);
			frac = frac * 10 + (unsigned)(*p - '0');
			frac_scale *= 10;
			nonzero |= *p != '0';
		}
	}
	if (!*p) {
		if (nonzero)
			return sb_errf(err, SB_E_INVAL,
				       "time '%s' has no unit (want ns, us, ms, s or m)", s);
		*ns = 0;
		return 0;
	}
	for (size_t i = 0; i < N_TIME_UNITS; i++) {
		if (strcmp(p, time_units[i].unit) != 0)
			continue;
		uint64_t mult = time_units[i].ns;
		if (whole > UINT64_MAX / mult)
			return sb_errf(err, SB_E_TOO_BIG, "time '%s' is too large", s);
		/* frac < frac_scale <= 1e9 and mult <= 6e10: the product fits */
		if ((frac * mult) % frac_scale)
			return sb_errf(err, SB_E_INVAL,
				       "time '%s' is not a whole number of nanoseconds", s);
		uint64_t part = frac * mult / frac_scale;
		if (whole * mult > UINT64_MAX - part)
			return sb_errf(err, SB_E_TOO_BIG, "time '%s' is too large", s);
		*ns = whole * mult + part;
		return 0;
	}
	return sb_errf(err, SB_E_INVAL, "time '%s' has an unknown unit '%s' (want ns, us, ms, s or m)",
		       s, p);
}

void scenario_format_time(uint64_t ns, char *buf, size_t bytes)
{
	if (ns == 0) {
		snprintf(buf, bytes, "0");
		return;
	}
	for (size_t i = 0; i < N_TIME_UNITS; i++) {
		if (ns % time_units[i].ns == 0) {
			snprintf(buf, bytes, "%" PRIu64 "%s", ns / time_units[i].ns,
				 time_units[i].unit);
			return;
		}
	}
}

void scenario_format_size(uint64_t b, char *buf, size_t bytes)
{
	static const char units[] = "TGMK";
	for (int i = 0; i < 4; i++) {
		unsigned shift = 10u * (unsigned)(4 - i);
		uint64_t unit = 1ull << shift;
		if (b && b % unit == 0) {
			snprintf(buf, bytes, "%" PRIu64 "%c", b >> shift, units[i]);
			return;
		}
	}
	snprintf(buf, bytes, "%" PRIu64, b);
}

static int parse_count(const char *s, uint64_t *out, struct sb_err *err)
{
	if (!*s)
		return sb_errf(err, SB_E_INVAL, "empty count");
	uint64_t v = 0;
	for (const char *p = s; *p; p++) {
		if (!isdigit((unsigned char)*p))
			return sb_errf(err, SB_E_INVAL, "count '%s' is not a whole number", s);
		unsigned d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return sb_errf(err, SB_E_TOO_BIG, "count '%s' is too large", s);
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* "4K..16G" / "0..1h" / "1..64" */
static void format_value(const struct scenario_option *opt, uint64_t v, char *buf, size_t bytes)
{
	if ((opt->flags & SCENARIO_OPT_NONE_OK) && v == SCENARIO_NONE) {
		snprintf(buf, bytes, "none");
		return;
	}
	switch (opt->type) {
	case SCENARIO_OPT_SIZE: scenario_format_size(v, buf, bytes); break;
	case SCENARIO_OPT_TIME: scenario_format_time(v, buf, bytes); break;
	case SCENARIO_OPT_ENUM:
		snprintf(buf, bytes, "%s", opt->choices[v]);
		break;
	case SCENARIO_OPT_LIST: {
		size_t used = 0;
		buf[0] = '\0';
		for (unsigned i = 0; (v & 0xf) && used < bytes; v >>= 4, i++)
			used += (size_t)snprintf(buf + used, bytes - used, "%s%s", i ? ", " : "",
						 opt->choices[(v & 0xf) - 1]);
		break;
	}
	default: snprintf(buf, bytes, "%" PRIu64, v); break;
	}
}

/* "user|kernel" */
static void format_choices(const struct scenario_option *opt, char *buf, size_t bytes)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; opt->choices[i] && used < bytes; i++)
		used += (size_t)snprintf(buf + used, bytes - used, "%s%s", i ? "|" : "",
					 opt->choices[i]);
}

static void format_range(const struct scenario_option *opt, char *buf, size_t bytes)
{
	char lo[32], hi[32], al[32], names[96];
	switch (opt->type) {
	case SCENARIO_OPT_SIZE:
	case SCENARIO_OPT_TIME:
	case SCENARIO_OPT_COUNT:
		format_value(opt, opt->min, lo, sizeof lo);
		format_value(opt, opt->max, hi, sizeof hi);
		if (opt->align > 1) {
			scenario_format_size(opt->align, al, sizeof al);
			snprintf(buf, bytes, "%s..%s, multiple of %s", lo, hi, al);
		} else {
			snprintf(buf, bytes, "%s%s..%s",
				 (opt->flags & SCENARIO_OPT_NONE_OK) ? "none, " : "", lo, hi);
		}
		break;
	case SCENARIO_OPT_ENUM: format_choices(opt, buf, bytes); break;
	case SCENARIO_OPT_LIST:
		format_choices(opt, names, sizeof names);
		snprintf(buf, bytes, "%s, a list", names);
		break;
	case SCENARIO_OPT_STEP:
	case SCENARIO_OPT_EXPECT: snprintf(buf, bytes, "repeatable"); break;
	default: snprintf(buf, bytes, "any"); break;
	}
}

/* "a, b": one or more choices, comma-separated, each at most once; packed
 * as scenario_config.restore_strategies. */
static int parse_list(const struct scenario_option *opt, const char *value, uint64_t *out,
		      struct sb_err *err)
{
	char names[96];
	format_choices(opt, names, sizeof names);
	uint64_t packed = 0, seen = 0;
	const char *p = value;
	for (unsigned n = 0;; n++) {
		while (isspace((unsigned char)*p))
			p++;
		size_t len = strcspn(p, ","), tl = len;
		while (tl && isspace((unsigned char)p[tl - 1]))
			tl--;
		if (tl == 0)
			return sb_errf(err, SB_E_INVAL, "'%s': %s (want one or more of %s, comma-separated)",
				       value, *value ? "a name is missing in the list" : "empty", names);
		size_t c = 0;
		while (opt->choices[c] && (strlen(opt->choices[c]) != tl || strncmp(opt->choices[c], p, tl)))
			c++;
		if (!opt->choices[c])
			return sb_errf(err, SB_E_INVAL, "'%.*s' is not one of %s (or a comma-separated list of them)",
				       (int)tl, p, names);
		if (seen & (1ull << c))
			return sb_errf(err, SB_E_INVAL, "'%.*s' is listed twice in '%s'", (int)tl, p, value);
		seen |= 1ull << c;
		packed |= (uint64_t)(c + 1) << (4 * n);
		p += len;
		if (!*p++)
			break;
	}
	*out = packed;
	return 0;
}

int scenario_opt_parse(const struct scenario_option *opt, const char *value, uint64_t *out,
		       char **out_str, struct sb_err *err)
{
	uint64_t v = 0;
	switch (opt->type) {
	case SCENARIO_OPT_STRING:
	case SCENARIO_OPT_PATH: {
		char *copy = strdup(value);
		if (!copy)
			return sb_errf(err, SB_E_NOMEM, "out of memory");
		*out_str = copy;
		return 0;
	}
	case SCENARIO_OPT_SIZE:
		if (units_parse_bytes(value, &v, err))
			return -1;
		break;
	case SCENARIO_OPT_TIME:
		if (scenario_parse_time(value, &v, err))
			return -1;
		break;
	case SCENARIO_OPT_COUNT:
		if ((opt->flags & SCENARIO_OPT_NONE_OK) && strcmp(value, "none") == 0) {
			*out = SCENARIO_NONE;
			return 0;
		}
		if (parse_count(value, &v, err))
			return -1;
		break;
	case SCENARIO_OPT_LIST: return parse_list(opt, value, out, err);
	case SCENARIO_OPT_ENUM:
		for (size_t i = 0; opt->choices[i]; i++) {
			if (strcmp(opt->choices[i], value) == 0) {
				*out = i;
				return 0;
			}
		}
		{
			char range[128];
			format_range(opt, range, sizeof range);
			return sb_errf(err, SB_E_INVAL, "'%s' is not one of %s", value, range);
		}
	case SCENARIO_OPT_STEP:
	case SCENARIO_OPT_EXPECT:
		return sb_errf(err, SB_E_INVAL, "not a scalar option");
	}
	if (v < opt->min || v > opt->max) {
		char range[128];
		format_range(opt, range, sizeof range);
		return sb_errf(err, SB_E_RANGE, "'%s' is out of range (%s)", value, range);
	}
	if (opt->align > 1 && v % opt->align) {
		char al[32];
		scenario_format_size(opt->align, al, sizeof al);
		return sb_errf(err, SB_E_INVAL, "'%s' is not a multiple of %s", value, al);
	}
	*out = v;
	return 0;
}

void scenario_opt_format(const struct scenario_option *opt, const struct scenario_config *cfg,
			 char *buf, size_t bytes)
{
	const char *base = (const char *)cfg + opt->offset;
	switch (opt->type) {
	case SCENARIO_OPT_STRING:
	case SCENARIO_OPT_PATH: {
		const char *s = *(char *const *)(const void *)base;
		snprintf(buf, bytes, "%s", s ? s : "");
		break;
	}
	case SCENARIO_OPT_STEP:
	case SCENARIO_OPT_EXPECT: buf[0] = '\0'; break;
	default: {
		uint64_t v;
		memcpy(&v, base, sizeof v);
		format_value(opt, v, buf, bytes);
		break;
	}
	}
}

/* ---- help ------------------------------------------------------------------ */

void scenario_print_help(FILE *f)
{
	fputs("Scenario files: INI, fio style. [global] sets defaults for the scenarios\n"
	      "after it; every other [section] is one scenario, run in file order.\n"
	      "\n"
	      "Steps (step = ..., in order):\n"
	      "  create | destroy | call NAME(ARGS) [== VALUE] [as LABEL] | snapshot [as NAME]\n"
	      "  restore [NAME] | save FILE [from NAME] | load FILE [as NAME] | sleep TIME\n"
	      "  map FILE at GPA | cancel after TIME\n"
	      "  repeat N {   ...   }          (nests; N >= 1)\n"
	      "  FILE of save and load is relative to the run's output directory (-o) and\n"
	      "  stays inside it (no absolute path, no '..', unless 'snapbench run\n"
	      "  --allow-paths'); a save replaces only a snapshot file.\n"
	      "  call ... == VALUE: the result the call must return, else the scenario fails\n"
	      "  (an integer literal without a suffix matches any integer type).\n"
	      "  map FILE at GPA: FILE read-only at guest-physical GPA (page aligned, in\n"
	      "  [16G, 48G)) for the sandbox's life; FILE is relative to the scenario file's\n"
	      "  directory and stays inside it (unless --allow-paths). A snapshot freezes\n"
	      "  the pages the guest mapped: they stay without the mapping.\n"
	      "  cancel after TIME: the next step, a call, is cancelled from another thread\n"
	      "  TIME after it starts; the cancel's row is that call's time until it returned\n"
	      "  cancelled; then only restore or destroy (the sandbox is poisoned).\n"
	      "  Each iteration runs the list from the top; a sandbox still alive at its\n"
	      "  end is destroyed there (not timed). Labels: at most " STR(SCENARIO_LABEL_MAX) " characters.\n"
	      "  A step's label is its report row: \"call NAME\" (LABEL with 'as LABEL', a\n"
	      "  name that is not a step kind), \"restore NAME\", \"snapshot NAME\", ...\n"
	      "Rows: calls and restores are split by what they cost:\n"
	      "  LABEL (first after create)   the first call step run after a create\n"
	      "  LABEL (first after restore)  the first call step run after a restore\n"
	      "  LABEL (steady)               every other call\n"
	      "  LABEL (same snapshot)        a restore of the snapshot the sandbox runs from\n"
	      "  LABEL (other snapshot)       a restore of another snapshot\n"
	      "  A restore row is restore-to-ready: sandbox_restore() until it returns the\n"
	      "  sandbox ready for a call. Work it leaves to the guest's next entry is paid\n"
	      "  by the first call after it: the post-restore penalty of a call label is\n"
	      "  p50(LABEL (first after restore)) - p50(LABEL (steady)), in every report.\n"
	      "Call arguments: 5 (i64)  5i32 5u32 5u64  1.5 (f64) 1.5f32  true false\n"
	      "  \"str\" (\\\" \\\\ \\n \\t \\xHH)  x\"00ff\"  bytes(4K) (zero bytes)\n"
	      "Expectations (expect = ..., repeatable): STEP.METRIC OP VALUE\n"
	      "  STEP: a row as the report names it (\"restore base (same snapshot)\": that\n"
	      "  row), a step label (\"restore base\": all its rows together), or a step kind\n"
	      "  (\"restore\"; \"call (first after restore)\": one row of every call)\n"
	      "  METRIC: count min max mean p50 p90 p99 p99.9 p99.99; for calls also\n"
	      "  scratch_pages (taken during the call) and exits (per call); for restores\n"
	      "  also full_restores (how many were full: page tables rewritten, KVM's shadow\n"
	      "  tables dropped, ring-0 state reset; the others were light: dirty data pages\n"
	      "  and FPU state only; a count, like count) and pages_reset (scratch pages\n"
	      "  rewritten, per restore); for calls also cow_faults (copy-on-write faults\n"
	      "  the call took, per call); for restores also bytes_copied (bytes the restore\n"
	      "  wrote into guest memory) and pages_retained (host-cow: snapshot pages the\n"
	      "  guest writes in place, with no fault; retain: copies kept mapped; 0 under\n"
	      "  rewrite), per restore\n"
	      "  METRIC errors, for any step: executions that failed (a count); an\n"
	      "  expectation on it allows the failures of the rows it names\n"
	      "  OP: < <= > >= ==    e.g. expect = restore base (same snapshot).p99 < 50us\n"
	      "Failed calls: a call whose guest function reports an error (no such\n"
	      "  function, wrong arguments, the function says no) is counted in its row's\n"
	      "  errors, not timed, and the run goes on; each distinct failure (a step\n"
	      "  and its message) is printed once on stderr at the scenario's end\n"
	      "  (file:line, the function, how many times, the guest's message),\n"
	      "  and the run fails (exit 1) unless allow_errors = true or an expectation on\n"
	      "  that row's errors allows them. A step that fails otherwise (the guest\n"
	      "  faults) stops the scenario, which fails.\n"
	      "Host calls (host_functions = builtin): every sandbox gets the host functions\n"
	      "  echo(bytes) -> bytes, add(i64, i64) -> i64, sleep_ns(u64) -> void (at most\n"
	      "  1 s) and fail() (always fails). The embedded guest calls them with\n"
	      "  host_echo, host_add, host_sleep, host_fail and host_loop(NAME, N) (N calls\n"
	      "  back to back). A row \"host call NAME\" holds each round trip: from one host\n"
	      "  call's entry on the host to the next one's within the same guest call (exit,\n"
	      "  the function, the reply, re-entry, the guest's next request), so a call\n"
	      "  making N host calls gives N - 1 samples.\n"
	      "Open loop (rate = N > 0): each sandbox starts iteration i at start + i/N\n"
	      "  (or as soon as the one before ends, when late); every step is timed from\n"
	      "  when it starts; the reports add the target and achieved rates and, per\n"
	      "  iteration, the queueing delay (start - due), the time from due to end,\n"
	      "  and how late the on-time sleeps woke (the scheduler's overshoot); they\n"
	      "  warn when the achieved rate is below 95 % of the target (rate x\n"
	      "  sandboxes).\n"
	      "Sandbox pool (pool = N > 0): one pool of N sandboxes for the scenario's run,\n"
	      "  shared by its threads (vmm/sandbox_pool.h). create takes an idle sandbox\n"
	      "  and restores the snapshot into it, or creates one when none is idle;\n"
	      "  destroy puts it back (destroys it when N are held, or it mapped files).\n"
	      "  The pool's cleaner thread scrubs each returned sandbox (host state reset,\n"
	      "  restore to its snapshot) off the steps' path; the row \"pool scrub\" times\n"
	      "  that work (wall time, waits for a CPU included; the header adds the\n"
	      "  cleaner's CPU time). Rows \"create (pooled)\", \"create (fresh)\",\n"
	      "  \"destroy (pooled)\", \"destroy (not pooled)\"; the reports give N, the\n"
	      "  sandboxes idle at the end, pooled / fresh creates and the scrubs. A create\n"
	      "  from the ELF (no load) runs from the pool's snapshot after the guest's\n"
	      "  init (generation 0), and the N sandboxes are made before the run; after a\n"
	      "  load step each create restores another snapshot (the one just loaded),\n"
	      "  and the pool fills up only as destroys put sandboxes back.\n"
	      "Restore strategies (restore_strategy = ..., in [global] or a section):\n"
	      "  rewrite   the snapshot is mapped read-only, its writable data copy-on-write:\n"
	      "            a call's first write to a page faults and copies it into scratch;\n"
	      "            restore resets the scratch pages written (and the page tables)\n"
	      "  host-cow  the sandbox maps a private writable copy of the snapshot: writes\n"
	      "            take no guest fault; restore copies back the pages KVM logged dirty\n"
	      "  retain    as rewrite, but the guest's copies stay mapped across restores\n"
	      "            (up to retain_max_pages): restore gives them their snapshot page's\n"
	      "            bytes back, and the next call writes them without a fault\n"
	      "  rewind    as rewrite, but when the guest wrote its page tables it first\n"
	      "            replays its own undo log in ring 0; the host still restores as\n"
	      "            under rewrite (flush included): it shows what the replay costs\n"
	      "  A list (restore_strategy = rewrite, host-cow) runs the scenario once per\n"
	      "  strategy, in list order, as scenarios named \"NAME [STRATEGY]\" (one\n"
	      "  strategy: NAME); a section's value replaces [global]'s. `snapbench run\n"
	      "  --restore-strategy LIST` replaces every scenario's list.\n"
	      "  dirtied_pages = N declares the pages each call re-dirties after a restore:\n"
	      "  the HTML report plots restore-to-ready against it, per strategy.\n"
	      "Scaling (scaling = WAY): scenarios that declare a way of serving calls form\n"
	      "  a series; the reports table them, one row per way, one column per\n"
	      "  sandbox count: calls per second over all threads and the p50 of the\n"
	      "  call and of its per-call overhead over the sandbox exit. Ways:\n"
	      "  reuse             one sandbox per thread, calls back to back (its create\n"
	      "                    and destroy are set-up, not counted)\n"
	      "  restore-per-call  a restore before every call (needs a restore step)\n"
	      "  create-per-call   create from a snapshot, call, destroy (needs a destroy\n"
	      "                    step)\n"
	      "  scenarios/scaling.ini is such a series.\n"
	      "Units: sizes 4096 64K 8M 1G (binary); times 50us 1.5ms 2s 1m (ns us ms s m)\n"
	      "Lines: at most " STR(SCENARIO_LINE_MAX) " characters; \" ;\" starts a comment, even inside quotes.\n"
	      "\n",
	      f);
	fprintf(f, "%-16s %-7s %-8s %-30s %s\n", "OPTION", "TYPE", "DEFAULT", "RANGE",
		"DESCRIPTION");
	for (size_t i = 0; i < sizeof options / sizeof options[0]; i++) {
		const struct scenario_option *o = &options[i];
		char range[128];
		format_range(o, range, sizeof range);
		const char *def = o->def ? (*o->def ? o->def : "\"\"") : "(none)";
		fprintf(f, "%-16s %-7s %-8s %-30s %s%s\n", o->name, scenario_opt_type_name(o->type),
			def, range, o->help,
			(o->flags & SCENARIO_OPT_NOT_GLOBAL) ? " [not in global]" : "");
	}
}

/* ---- echo -------------------------------------------------------------------- */

int scenario_echo_options(const struct scenario *s, scenario_echo_fn fn, void *ctx,
			  struct sb_err *err)
{
	for (size_t i = 0; i < sizeof options / sizeof options[0]; i++) {
		const struct scenario_option *o = &options[i];
		if (o->type == SCENARIO_OPT_STEP) {
			fn(ctx, o, (const char *const *)s->step_lines, s->n_step_lines);
		} else if (o->type == SCENARIO_OPT_EXPECT) {
			const char **v = NULL;
			if (s->n_expects) {
				v = calloc(s->n_expects, sizeof *v);
				if (!v)
					return sb_errf(err, SB_E_NOMEM, "out of memory");
			}
			for (size_t k = 0; k < s->n_expects; k++)
				v[k] = s->expects[k].text;
			fn(ctx, o, v, s->n_expects);
			free(v);
		} else {
			char buf[SB_ERR_MSG_MAX];
			const char *one = buf;
			scenario_opt_format(o, &s->cfg, buf, sizeof buf);
			fn(ctx, o, &one, 1);
		}
	}
	return 0;
}

static void echo_to_file(void *ctx, const struct scenario_option *opt, const char *const *values,
			 size_t n)
{
	FILE *f = ctx;
	if (n == 0)
		fprintf(f, "; %s: none\n", opt->name);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s = %s\n", opt->name, values[i]);
}

int scenario_echo_options_file(const struct scenario *s, FILE *f, struct sb_err *err)
{
	return scenario_echo_options(s, echo_to_file, f, err);
}
