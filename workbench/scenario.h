/* scenario.h — scenario files: what a benchmark run does, fio style.
 *
 * A scenario file is INI (parsed with libinih):
 *
 *     ; comments start a line with ';' or '#'; " ;" also ends a value
 *     [global]                 ; defaults for the scenarios that follow
 *     heap = 64M
 *     iterations = 1000
 *
 *     [restore-64M]            ; one section per scenario
 *     description = restore latency with a 64 MiB heap
 *     step = create
 *     step = call touch_pages(3)
 *     step = snapshot as base
 *     step = repeat 1000 {
 *     step =     call touch_pages(3)
 *     step =     restore base
 *     step = }
 *     expect = restore base.p99 < 50us
 *
 * File rules
 *   - Leading whitespace is ignored (indent freely); there are no
 *     continuation lines. A line holds at most SCENARIO_LINE_MAX characters.
 *   - An inline comment is ';' after whitespace, even inside quotes (libinih
 *     strips it before we see the value): write "a;b", not "a ; b".
 *   - [global] may appear more than once; each one adds to the defaults of
 *     the scenarios after it (as in fio). step and expect are not allowed
 *     there. Scenario names: 1..SCENARIO_NAME_MAX of [A-Za-z0-9._-], unique.
 *   - A non-repeatable option given twice in one section is an error. A
 *     scenario overrides [global]. iterations and duration exclude each
 *     other within a section; setting one clears the other's inherited
 *     value, so exactly one of them drives the run (duration > 0 wins).
 *   - Options and their types, defaults and ranges: scenario_options(),
 *     printed by scenario_print_help() (`snapbench help scenario`).
 *
 * Restore strategies (option restore_strategy, sandbox.h): one, or a
 * list (restore_strategy = rewrite, host-cow) that runs the scenario once
 * per strategy, in list order. The parser turns a list of N > 1 into N
 * scenarios, each with one strategy, named "NAME [STRATEGY]"
 * ("restore-64M [host-cow]"; `section` keeps "restore-64M"); a scenario
 * with one strategy keeps its name. scenario_set_restore_strategies()
 * replaces every scenario's list (`snapbench run --restore-strategy`).
 *
 * Value syntax
 *   size   decimal with an optional binary unit: 4096, 64K, 8M, 1G, 16GiB
 *   time   decimal (fraction allowed) and a unit ns, us, ms, s or m:
 *          50us, 1.5ms, 2s, 1m; a bare 0 is allowed
 *   count  decimal integer (dirtied_pages also takes "none")
 *   enum   one of the listed words
 *   list   one or more of the listed words, comma-separated, each once
 *          ("rewrite, host-cow"; spaces around commas are ignored)
 *   path   any text; "" = none / built-in. Kept as written (relative
 *          paths are relative to the current directory of the run)
 *
 * Steps (one `step =` line each, run in order; `iterations` times)
 *   create                      make the sandbox (layout from the options)
 *   destroy                     destroy it
 *   call NAME(ARG, ...) [== VALUE] [as LABEL]
 *                               call a guest function, 0..SB_CALL_MAX_ARGS args;
 *                               `== VALUE` (a literal, below) is the result it
 *                               must return: anything else fails the scenario
 *                               ("returned 4 (i64), expected 3"); an integer
 *                               literal without a suffix matches any integer
 *                               type of the same value, a "string" matches
 *                               bytes of the same content and x"hex" a string;
 *                               `as LABEL` gives the call its own rows
 *   snapshot [as NAME]          take a snapshot
 *   restore [NAME]              restore NAME, or the last snapshot taken
 *   save FILE [from NAME]       save NAME (or the last snapshot) to FILE
 *   load FILE [as NAME]         load a snapshot file (allowed before create)
 *   sleep TIME                  sleep (time syntax above)
 *   map FILE at GPA             map FILE read-only into the sandbox at guest-
 *                               physical GPA (sandbox_map_region: page aligned,
 *                               in [16G, 48G); a number or a size, 0x4_0000_0000
 *                               or 16G) for the sandbox's life; the guest maps
 *                               the pages it wants, a snapshot freezes them.
 *                               FILE is relative to the scenario file's
 *                               directory and stays inside it (no absolute
 *                               path, no '..', unless `run --allow-paths`)
 *   cancel after TIME           the next step, which must be a call, is
 *                               cancelled from another thread TIME after it
 *                               starts (sandbox_cancel); its cancellation is
 *                               expected, and poisons the sandbox: only restore
 *                               or destroy may follow. The call's time until it
 *                               returned cancelled is the cancel step's row; a
 *                               call that returns before the cancel fails the
 *                               scenario. With crashdump = DIR the cancelled
 *                               call also writes a core (a cancellation is one
 *                               of its triggers), inside the row's time
 *   repeat N {  ...  }          run the enclosed steps N >= 1 times; nests
 *                               up to SCENARIO_REPEAT_DEPTH deep
 *   NAME, LABEL: [A-Za-z0-9_.-]+ (call names [A-Za-z_][A-Za-z0-9_]*); a LABEL
 *   is not a step kind ("create", "restore", ...). FILE: a word without
 *   spaces, or a "quoted string".
 *
 * Call argument literals -> struct sb_value
 *   123  -5  0x1f        i64 (decimal or 0x hex, optional sign)
 *   5i32 5u32 5u64 5i64  explicit integer type (suffix; 5u = 5u64)
 *   1.5  -2e3  1.5f64    f64 (a '.' or an exponent); 1.5f32 = f32
 *   true false           bool
 *   "text"               string; escapes \" \\ \n \t \xHH
 *   x"00ff"              bytes, two hex digits per byte
 *   bytes(4K)            bytes: N zero bytes, N a size (at most 1G)
 *   Out-of-range values for the type are errors, never wrapped.
 *
 * Static checks (a file that fails one never yields a scenario)
 *   - no step but load before the first create; create only without a
 *     sandbox; destroy/call/snapshot/restore/save only with one;
 *   - restore/save need an earlier snapshot (or load); a named one must
 *     have been taken (or loaded) earlier in the list;
 *   - a repeat with N > 1 must leave the sandbox as it found it
 *     (created or not), or its next iteration would start differently;
 *   - braces balance; a repeat body is not empty; the step list is not empty;
 *   - a call record must fit the scenario's input buffer;
 *   - a step's label (below) is at most SCENARIO_LABEL_MAX characters
 *     (a long save path: use a shorter one; a long load path: `as NAME`);
 *   - the sizes pass the layout's own check (layout_config_check(): the
 *     scratch region holds the I/O buffers and the guest's fixed pages).
 * Checked after parsing, before a run (scenario_check_files): the guest
 * and init_data files exist and are regular files. What depends on the
 * guest's code size (the snapshot limit) is checked when the run builds
 * the scenario's first snapshot.
 *
 * Labels: create, destroy, "call NAME" (or LABEL with `as LABEL`),
 * "snapshot [NAME]", "restore [NAME]", "save FILE", "load FILE" (or "load
 * NAME" with `as NAME`), "sleep TIME", "repeat N", "map FILE", "cancel
 * after TIME".
 * With `host_functions = builtin`, each built-in host function the guest
 * called at least twice within one call has a row "host call NAME" (kind
 * "host call"): its round trips (runner.h, "Host calls").
 *
 * Rows: a report gives each label one row, except calls and restores,
 * whose executions are split by what they cost (the runner, runner.h):
 *   "LABEL (first after create)"   a call that is the first call step run
 *   "LABEL (first after restore)"  after a create / after a restore
 *   "LABEL (steady)"               every other call
 *   "LABEL (same snapshot)"        a restore of the snapshot the sandbox
 *                                  already runs from
 *   "LABEL (other snapshot)"       a restore of another one
 * With a pool (option pool = N > 0) create and destroy are split too:
 *   "create (pooled)"              an idle sandbox of the pool, restored
 *   "create (fresh)"               none idle: sandbox_create
 *   "destroy (pooled)"             put back into the pool (queued for a scrub)
 *   "destroy (not pooled)"         the pool was full (or the sandbox broken,
 *                                  or it mapped files): sandbox_destroy
 * and a row "pool scrub" (kind "pool scrub") times the pool cleaner's work
 * on each returned sandbox (host state reset, restore to its snapshot),
 * done off the steps' path: the cost a pooled create no longer shows.
 * e.g. "call add (steady)", "restore base (same snapshot)". A restore row
 * times sandbox_restore() until it returns, the sandbox ready for a call;
 * work it leaves to the guest's next entry lands in the first call after
 * it: the post-restore penalty (results.h).
 *
 * Expectations (`expect =`, repeatable): the scenario's regression oracle
 *     STEP.METRIC OP VALUE
 *   STEP    a row as the report names it ("restore base (same snapshot)",
 *           "call add (steady)": that row alone); or a step label
 *           ("restore base", "call touch_pages": every row of every step
 *           with that label, together); or, if no label matches, a step
 *           kind ("restore": all restore steps together), also with a row
 *           suffix ("call (first after restore)"); it must exist, and the
 *           suffix must be one of that kind's
 *   METRIC  count min max mean p50 p90 p99 p99.9 p99.99 (latency of the
 *           step; VALUE is a time, except count which is a count), or,
 *           for call steps only, scratch_pages (scratch pages the guest
 *           took during the call: copy-on-write copies, page tables,
 *           stack; per call, averaged) or exits (VM exits of a call, per
 *           call): counts; for restore steps only, full_restores (how
 *           many restores were full: page tables rewritten, KVM's shadow
 *           tables dropped, ring-0 state reset; a count, like count: the
 *           light ones are count - full_restores) or pages_reset (scratch
 *           pages the restore rewrote; per restore, averaged); for calls
 *           also cow_faults (copy-on-write faults the call took, per
 *           call: sandbox_last_call_cow_faults()); for restores also
 *           bytes_copied (bytes the restore wrote into guest memory) and
 *           pages_retained (host-cow: snapshot pages the guest writes in
 *           place with no fault; 0 under rewrite), per restore, averaged;
 *           for any step, errors (executions that failed: calls whose
 *           guest function reported an error; a count). An expectation
 *           on errors allows the failures of the rows it names: they do
 *           not fail the run, the expectation judges them
 *   OP      < <= > >= ==
 *
 * Errors: parsing stops at the FIRST error; the message names the file,
 * line, section and option or step, e.g.
 *   x.ini:12: [restore-64M] heap: size '64Q' has an unknown unit 'Q' ...
 *   x.ini:15: [s] step 'restore base': no snapshot named 'base' before this step
 * On error the set is left empty. Library code: never exits or aborts.
 */
#ifndef SNAPBENCH_WORKBENCH_SCENARIO_H
#define SNAPBENCH_WORKBENCH_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "proto.h"
#include "sandbox.h"

#define SCENARIO_NAME_MAX 48     /* characters in a scenario (section) name */
#define SCENARIO_LINE_MAX 197    /* characters on one line (libinih's buffer) */
#define SCENARIO_REPEAT_DEPTH 8  /* nesting of repeat blocks */
#define SCENARIO_LABEL_MAX 63    /* characters in a step's label (the report key) */
#define SCENARIO_BYTES_ARG_MAX (1ull << 30)
#define SCENARIO_MAX_OPTIONS 32  /* room in per-option arrays */
#define SCENARIO_STRATEGY_NAME_MAX 12 /* characters in a restore strategy's name */
/* A scenario's run name: "NAME [STRATEGY]" (see "Restore strategies"). */
#define SCENARIO_RUN_NAME_MAX (SCENARIO_NAME_MAX + 3 + SCENARIO_STRATEGY_NAME_MAX)
/* A count option's "none" (dirtied_pages): no value declared. */
#define SCENARIO_NONE UINT64_MAX
#define SCENARIO_CANCEL_MAX_NS (60ull * 1000000000ull) /* cancel after at most 1m */

/* ---- options ------------------------------------------------------------- */

enum scenario_mode {
	SCENARIO_MODE_USER,   /* guest calls run in ring 3 */
	SCENARIO_MODE_KERNEL, /* ring 0 */
};

/* The effective value of every scalar option. */
struct scenario_config {
	char *description; /* "" if none */
	char *guest;       /* "" = the embedded test guest */
	char *init_data;   /* "" = none */
	char *crashdump;   /* directory for a core of each failed call; "" = none */
	uint64_t heap_bytes, scratch_bytes, input_bytes, output_bytes;
	uint64_t iterations;  /* runs of the step list (when duration_ns == 0) */
	uint64_t duration_ns; /* run for this long instead; 0 = use iterations */
	uint64_t warmup;      /* leading iterations not recorded */
	uint64_t sandboxes;   /* threads, one sandbox each */
	uint64_t rate;        /* iterations/s per sandbox (open loop); 0 = closed loop */
	uint64_t deadline_ns; /* per call; 0 = none */
	uint64_t mode;        /* enum scenario_mode */
	/* enum sandbox_restore_strategy values, a list packed 4 bits each
	 * (value + 1, first in the low bits, 0 ends it): scenario_strategies().
	 * One strategy after parsing (a list becomes one scenario each). */
	uint64_t restore_strategies;
	uint64_t retain_max_pages; /* retain's cap (sandbox_config.retain_max_pages) */
	uint64_t snapshots;        /* 0 incremental, 1 full (sandbox_config.full_snapshots) */
	/* Pages each call re-dirties after a restore, as the file declares it
	 * (reports: the x of the restore-to-ready plot); SCENARIO_NONE = not
	 * declared. Not measured, not checked. */
	uint64_t dirtied_pages;
	/* Which way of serving calls the scenario is, in a scaling series
	 * (enum scenario_scaling; the sandbox count is `sandboxes`), as the
	 * file declares it for the reports' scaling table; checked only for
	 * the steps the way needs (scenario_check_scaling). */
	uint64_t scaling;
	/* 1: calls that fail (the guest function reports an error) are
	 * expected; they are counted and printed, but do not fail the run
	 * (runner.h, "Failed calls"). 0 = each is a failure, unless an
	 * expectation on the row's errors allows it. */
	uint64_t allow_errors;
	/* 1 (builtin): every sandbox gets the built-in host functions
	 * (host_fns.h); 0 (none): no host functions */
	uint64_t host_functions;
	/* > 0: the run's sandboxes come from one sandbox pool of this size
	 * (vmm/sandbox_pool.h), shared by its threads: create takes, destroy
	 * puts back. 0 = no pool. */
	uint64_t pool;
};

/* Ways of serving calls a scaling series compares (option scaling). A
 * fourth, create-per-call from a pool, is create-per-call with the pool
 * option set: the reports tell it by that option, not by a name here. */
enum scenario_scaling {
	SCENARIO_SCALING_NONE,             /* not part of a scaling series */
	SCENARIO_SCALING_REUSE,            /* one sandbox, calls back to back */
	SCENARIO_SCALING_RESTORE_PER_CALL, /* a restore before every call */
	SCENARIO_SCALING_CREATE_PER_CALL,  /* create from a snapshot, call, destroy */
	SCENARIO_SCALING__COUNT
};
#define SCENARIO_SCALING_NAME_MAX 16 /* characters in a way's name */
/* "reuse", "restore-per-call", "create-per-call"; "" for NONE (and out of range). */
const char *scenario_scaling_name(uint64_t way);

enum scenario_opt_type {
	SCENARIO_OPT_STRING,
	SCENARIO_OPT_PATH,
	SCENARIO_OPT_SIZE,   /* uint64_t bytes */
	SCENARIO_OPT_TIME,   /* uint64_t ns */
	SCENARIO_OPT_COUNT,  /* uint64_t */
	SCENARIO_OPT_ENUM,   /* uint64_t index into choices */
	SCENARIO_OPT_LIST,   /* uint64_t: indexes into choices, packed as restore_strategies */
	SCENARIO_OPT_STEP,   /* repeatable: the step list */
	SCENARIO_OPT_EXPECT, /* repeatable: expectations */
};

enum scenario_opt_flags {
	SCENARIO_OPT_REPEATABLE = 1u << 0, /* one value per line, kept in order */
	SCENARIO_OPT_NOT_GLOBAL = 1u << 1, /* scenario sections only */
	SCENARIO_OPT_NONE_OK = 1u << 2,    /* count: "none" = SCENARIO_NONE */
};

struct scenario_option {
	const char *name;
	enum scenario_opt_type type;
	const char *def;    /* default as written in a file; NULL for repeatables */
	uint64_t min, max;  /* inclusive range (size, time, count) */
	uint64_t align;     /* sizes: must be a multiple (0/1 = any) */
	const char *const *choices; /* enum, list: NULL-terminated (at most 15) */
	unsigned flags;     /* enum scenario_opt_flags */
	size_t offset;      /* of the value in struct scenario_config */
	const char *help;
};

/* The option table (in help order). */
const struct scenario_option *scenario_options(size_t *n);
const struct scenario_option *scenario_option_find(const char *name);
/* Name of an option type: "size", "time", ... */
const char *scenario_opt_type_name(enum scenario_opt_type t);
/* `snapbench help scenario`: the syntax, then every option with its type,
 * default and range. */
void scenario_print_help(FILE *f);

/* ---- steps ----------------------------------------------------------------- */

enum scenario_step_kind {
	SCENARIO_STEP_CREATE,
	SCENARIO_STEP_DESTROY,
	SCENARIO_STEP_CALL,
	SCENARIO_STEP_SNAPSHOT,
	SCENARIO_STEP_RESTORE,
	SCENARIO_STEP_SAVE,
	SCENARIO_STEP_LOAD,
	SCENARIO_STEP_SLEEP,
	SCENARIO_STEP_REPEAT,
	SCENARIO_STEP_MAP,
	SCENARIO_STEP_CANCEL,
	/* not a step: the kind of the rows of host calls ("host call NAME") */
	SCENARIO_STEP_HOST_CALL,
	/* not a step: the row of the pool's scrubs ("pool scrub", option pool) */
	SCENARIO_STEP_POOL_SCRUB,
	SCENARIO_STEP__COUNT
};

const char *scenario_step_kind_name(enum scenario_step_kind k); /* "call" */

/* The rows a step's executions go to (see "Rows" above). NONE: the step's
 * one row; in an expectation, every row of the step. */
enum scenario_variant {
	SCENARIO_VARIANT_NONE,
	SCENARIO_VARIANT_FIRST_AFTER_CREATE,  /* calls */
	SCENARIO_VARIANT_FIRST_AFTER_RESTORE,
	SCENARIO_VARIANT_STEADY,
	SCENARIO_VARIANT_SAME_SNAPSHOT,       /* restores */
	SCENARIO_VARIANT_OTHER_SNAPSHOT,
	SCENARIO_VARIANT_POOLED,              /* create, destroy with a pool */
	SCENARIO_VARIANT_FRESH,               /* create */
	SCENARIO_VARIANT_NOT_POOLED,          /* destroy */
	SCENARIO_VARIANT__COUNT
};

/* Longest variant name ("first after restore") and row suffix " (...)". */
#define SCENARIO_VARIANT_NAME_MAX 19
#define SCENARIO_ROW_SUFFIX_MAX (SCENARIO_VARIANT_NAME_MAX + 3)
/* Characters in a row name: a label and a suffix. */
#define SCENARIO_ROW_NAME_MAX (SCENARIO_LABEL_MAX + SCENARIO_ROW_SUFFIX_MAX)

/* "first after restore", "same snapshot", ...; "" for NONE. */
const char *scenario_variant_name(enum scenario_variant v);
/* The variant with this name; SCENARIO_VARIANT__COUNT if none. */
enum scenario_variant scenario_variant_find(const char *name, size_t len);
/* Whether steps of kind k have rows of variant v (NONE: kinds other than
 * call and restore). */
bool scenario_variant_of_kind(enum scenario_step_kind k, enum scenario_variant v);
/* The row name: "LABEL (VARIANT)", or LABEL for NONE. Returns the length
 * it needs (as snprintf). */
int scenario_row_name(char *buf, size_t bytes, const char *label, enum scenario_variant v);

struct scenario_step {
	enum scenario_step_kind kind;
	unsigned line;  /* in the scenario file */
	char *label;    /* stable report label: "call touch_pages", "restore base" */
	union {
		struct {
			char *name;
			unsigned nargs;
			/* strings and bytes point into memory the scenario owns */
			struct sb_value args[SB_CALL_MAX_ARGS];
			/* `== VALUE`: the result it must return (when has_expect;
			 * a string or bytes owned like the arguments);
			 * expect_any_int: an integer literal without a suffix,
			 * which matches any integer type of the same value */
			bool has_expect, expect_any_int;
			struct sb_value expect;
		} call;
		/* snapshot: name or NULL; restore: name or NULL = the last
		 * snapshot taken (or loaded) at run time */
		struct {
			char *name;
		} snap;
		/* save: the snapshot (NULL = last) to path; load: path as name
		 * (NULL = unnamed; it becomes the last snapshot either way) */
		struct {
			char *path;
			char *name;
		} file;
		uint64_t sleep_ns;
		/* map: the file (relative to the scenario file's directory) */
		struct {
			char *path;
			uint64_t gpa;
		} map;
		uint64_t cancel_after_ns;
		struct {
			uint64_t count; /* >= 1 */
			struct scenario_step *steps;
			size_t n;
		} repeat;
	} as;
};

/* ---- expectations ------------------------------------------------------------ */

enum scenario_metric {
	SCENARIO_METRIC_COUNT,
	SCENARIO_METRIC_MIN,
	SCENARIO_METRIC_MAX,
	SCENARIO_METRIC_MEAN,
	SCENARIO_METRIC_P50,
	SCENARIO_METRIC_P90,
	SCENARIO_METRIC_P99,
	SCENARIO_METRIC_P99_9,
	SCENARIO_METRIC_P99_99,
	SCENARIO_METRIC_SCRATCH_PAGES,
	SCENARIO_METRIC_EXITS,
	SCENARIO_METRIC_FULL_RESTORES, /* restores only: how many were full (a count) */
	SCENARIO_METRIC_PAGES_RESET,   /* restores only: scratch pages reset, per restore */
	SCENARIO_METRIC_COW_FAULTS,    /* calls only: copy-on-write faults, per call */
	SCENARIO_METRIC_BYTES_COPIED,  /* restores only: bytes written, per restore */
	SCENARIO_METRIC_PAGES_RETAINED, /* restores only: pages kept writable, per restore */
	SCENARIO_METRIC_ERRORS,        /* any step: executions that failed (a count) */
	SCENARIO_METRIC__COUNT
};

enum scenario_cmp {
	SCENARIO_CMP_LT,
	SCENARIO_CMP_LE,
	SCENARIO_CMP_GT,
	SCENARIO_CMP_GE,
	SCENARIO_CMP_EQ,
};

const char *scenario_metric_name(enum scenario_metric m); /* "p99.9" */
/* True for metrics measured in ns (min..p99.99). */
bool scenario_metric_is_time(enum scenario_metric m);
/* A value of metric m as an expectation line prints it (units_fmt.c):
 * latencies with a unit ("303 ns", "1.234 us"), per-execution averages
 * with theirs ("3 pages/call", "0.020 pages/restore"), counts plain. */
void scenario_metric_fmt(char *buf, size_t bytes, enum scenario_metric m, double v);
const char *scenario_cmp_name(enum scenario_cmp c);       /* "<=" */
bool scenario_cmp_eval(enum scenario_cmp c, double got, double want);

struct scenario_expect {
	char *text;  /* as written */
	unsigned line;
	char *step;  /* a label or a step kind name (without a row suffix) */
	bool step_is_kind; /* step names a kind: all its steps together */
	enum scenario_variant variant; /* one row of those steps; NONE = all */
	enum scenario_metric metric;
	enum scenario_cmp op;
	uint64_t value; /* ns for time metrics, else a count */
};

/* ---- scenarios ----------------------------------------------------------------- */

struct scenario {
	char *name;    /* the run name: the section, or "SECTION [STRATEGY]" */
	char *section; /* the [section] it comes from (messages name it) */
	char *file;    /* as given for messages */
	/* XXH3-128 of the file's text as parsed (32 hex digits), "" for a
	 * string (the built-in scenarios): what the report records */
	char file_digest[33];
	unsigned line; /* of the [name] header */
	struct scenario_config cfg;
	struct scenario_step *steps; /* top level, in order */
	size_t n_steps;
	struct scenario_expect *expects;
	size_t n_expects;
	char **step_lines; /* the step values as written, for the echo */
	size_t n_step_lines;
	/* per option (table index): the line that set the effective value,
	 * 0 = the default; and whether this scenario's own section set it */
	unsigned set_line[SCENARIO_MAX_OPTIONS];
	bool set_in_section[SCENARIO_MAX_OPTIONS];
};

struct scenario_set {
	struct scenario *items; /* file order */
	size_t n;
};

/* Parse a file / a string (name_for_messages names it in errors). The set
 * must be zeroed or freed; on success it holds the scenarios (at least one),
 * on error it is empty and err holds the first error. Return 0 or -1. */
int scenario_set_parse_file(struct scenario_set *set, const char *path, struct sb_err *err);
int scenario_set_parse_string(struct scenario_set *set, const char *name_for_messages,
			      const char *text, struct sb_err *err);
void scenario_set_free(struct scenario_set *set);
/* The first scenario whose run name or section is `name`, or NULL. */
const struct scenario *scenario_set_find(const struct scenario_set *set, const char *name);

/* ---- restore strategies ------------------------------------------------------ */

/* The strategies of a packed list (scenario_config.restore_strategies), in
 * order, into out[cap]; returns how many there are. */
size_t scenario_strategies(uint64_t packed, enum sandbox_restore_strategy *out, size_t cap);
uint64_t scenario_strategies_pack(const enum sandbox_restore_strategy *s, size_t n);
/* The strategy a scenario runs under (the first of its list). */
enum sandbox_restore_strategy scenario_strategy(const struct scenario *sc);
/* Parse a list as the option restore_strategy takes it ("rewrite,
 * host-cow"); errors say what is wrong and the valid names. */
int scenario_strategies_parse(const char *text, uint64_t *packed, struct sb_err *err);
/* Run every scenario of the set once per strategy of `packed` instead of
 * its own list: the scenarios of one section (its copies for other
 * strategies included) become one per strategy, named as the parser names
 * them. Return 0, or -1 (out of memory: scenarios may be missing from
 * the set; free it). */
int scenario_set_restore_strategies(struct scenario_set *set, uint64_t packed, struct sb_err *err);

/* The rows its step list yields in a report (see "Rows"), in report
 * order: labels in first-use order, each label's variants in enum order.
 * Call rows: those the list reaches (known from the list); restore rows:
 * both paths (known at run time only). The labels point into sc. *rows is
 * malloc'd (free it). Return 0 or -1 (out of memory). */
struct scenario_row {
	const char *label;
	enum scenario_step_kind kind;
	enum scenario_variant variant;
};
int scenario_rows(const struct scenario *sc, struct scenario_row **rows, size_t *n,
		  struct sb_err *err);

/* A scenario that declares a scaling way has the steps that way times:
 * a call, and a restore (restore-per-call) or a destroy (create-per-call,
 * whose cycle is create, call, destroy). Errors read
 *   x.ini:4: [s] scaling: restore-per-call needs a restore step ...
 * (*line: the line that set scaling). Return 0 or -1. */
int scenario_check_scaling(const struct scenario *sc, unsigned *line, struct sb_err *err);

/* The files a scenario names (guest, init_data) exist and are regular
 * files, as seen from the current directory. Errors read
 *   x.ini:4: [s] guest: 'my.elf': No such file or directory
 * (the line that set the value, maybe in [global]). Return 0 or -1. */
int scenario_check_files(const struct scenario *sc, struct sb_err *err);

/* The crashdump directory, made if missing (one level), as run
 * --crashdump makes its own: a run calls it before the scenario starts,
 * so `crashdump = cores` does not wait for the first fault to say that
 * cores/ is missing. "x.ini:4: [s] crashdump: 'a/b': cannot make it: ..." */
int scenario_make_crashdump_dir(const struct scenario *sc, struct sb_err *err);

/* Every save and load step's path stays inside the directory it is
 * resolved in (the run's output directory: runner_options.file_dir): no
 * absolute path, no ".." component. A scenario file may come from someone
 * else (a pull request in CI); `snapbench run --allow-paths` skips this.
 * The same for the crashdump directory (relative to the working
 * directory).
 * Errors read
 *   x.ini:7: [s] step 'save /etc/x': '/etc/x' is an absolute path; ...
 * Return 0 or -1. */
int scenario_check_paths(const struct scenario *sc, struct sb_err *err);

/* Echo every option with its effective value (for the JSON report): one
 * call per option in table order; scalars give n = 1, repeatables (step,
 * expect) give their values as written in order (n may be 0 for expect).
 * Values are in file syntax and each parses back to the same value (the
 * echo as a whole is a record, not a runnable section: it lists both
 * iterations and duration). */
typedef void (*scenario_echo_fn)(void *ctx, const struct scenario_option *opt,
				 const char *const *values, size_t n);
int scenario_echo_options(const struct scenario *s, scenario_echo_fn fn, void *ctx,
			  struct sb_err *err);
/* The same as INI text ("name = value" lines, "; expect: none" if empty). */
int scenario_echo_options_file(const struct scenario *s, FILE *f, struct sb_err *err);

/* ---- internals shared by scenario*.c (not for callers) ------------------------ */

/* Parse one value of a scalar option type into *out (uint64_t) or
 * *out_str (malloc'd). Range and alignment errors say the range. */
int scenario_opt_parse(const struct scenario_option *opt, const char *value, uint64_t *out,
		       char **out_str, struct sb_err *err);
/* Format a scalar option's value in file syntax. */
void scenario_opt_format(const struct scenario_option *opt, const struct scenario_config *cfg,
			 char *buf, size_t bytes);
int scenario_parse_time(const char *s, uint64_t *ns, struct sb_err *err);
void scenario_format_time(uint64_t ns, char *buf, size_t bytes);
void scenario_format_size(uint64_t b, char *buf, size_t bytes);

/* Step-list builder: fed one `step =` value at a time, in file order. */
struct scenario_steps_builder;
struct scenario_steps_builder *scenario_steps_begin(void);
/* Errors read "step 'TEXT': what" (the caller adds file, line, section). */
int scenario_steps_add(struct scenario_steps_builder *b, const char *text, unsigned line,
		       struct sb_err *err);
/* Close the list: checks braces and emptiness; hands the tree over. On
 * error *err_line is the line the error is about (0 = the section). */
int scenario_steps_end(struct scenario_steps_builder *b, struct scenario_step **steps, size_t *n,
		       unsigned *err_line, struct sb_err *err);
void scenario_steps_abandon(struct scenario_steps_builder *b);
void scenario_steps_free(struct scenario_step *steps, size_t n);
/* Encoded size of a call's CALL record plus the buffer header. */
uint64_t scenario_call_record_bytes(const struct scenario_step *call);
/* The scenario's sizes against layout_config_check(); on error *line is
 * the line of the size option set last (0 = all defaults). */
int scenario_check_layout(const struct scenario *sc, unsigned *line, struct sb_err *err);
/* Resolve the STEP of each expectation (scenario_expect_parse) against
 * the finished step list: a row name, a label, a kind, a kind with a row
 * suffix; sets step, step_is_kind and variant. On error *line is the line
 * to name (the expectation's) and err reads "expect: ...". */
int scenario_resolve_expects(struct scenario *sc, unsigned *line, struct sb_err *err);
/* Copy a step list (deep: labels, names, arguments). 0 or -1 (memory). */
int scenario_steps_copy(const struct scenario_step *src, size_t n, struct scenario_step **out);
/* Deep copies and frees of a scenario and its parts (scenario.c). */
int scenario_copy(struct scenario *dst, const struct scenario *src);
void scenario_clear(struct scenario *s);
/* A finished scenario (malloc'd, taken over) into the set's items (room
 * in *cap): once per strategy of its list (scenario_strategy.c). */
int scenario_set_add_expanded(struct scenario_set *set, size_t *cap, struct scenario *sc,
			      struct sb_err *err);
/* Parse "STEP.METRIC OP VALUE" (the step is not resolved here). */
int scenario_expect_parse(const char *text, struct scenario_expect *out, struct sb_err *err);
void scenario_expect_free(struct scenario_expect *e);

#endif
