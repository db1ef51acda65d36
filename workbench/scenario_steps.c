/* scenario_steps.c — the step list: parsing each step, the repeat tree and
 * the static checks (a sandbox exists, snapshots are named before use).
 * Grammar: scenario.h. Lexing and call literals: scenario_call.c.
 * Expectations: scenario_expect.c. */
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario_steps_internal.h"

const char *scenario_step_kind_name(enum scenario_step_kind k)
{
	static const char *const names[SCENARIO_STEP__COUNT] = {
		[SCENARIO_STEP_CREATE] = "create",     [SCENARIO_STEP_DESTROY] = "destroy",
		[SCENARIO_STEP_CALL] = "call",         [SCENARIO_STEP_SNAPSHOT] = "snapshot",
		[SCENARIO_STEP_RESTORE] = "restore",   [SCENARIO_STEP_SAVE] = "save",
		[SCENARIO_STEP_LOAD] = "load",         [SCENARIO_STEP_SLEEP] = "sleep",
		[SCENARIO_STEP_REPEAT] = "repeat",     [SCENARIO_STEP_MAP] = "map",
		[SCENARIO_STEP_CANCEL] = "cancel",     [SCENARIO_STEP_HOST_CALL] = "host call",
		[SCENARIO_STEP_POOL_SCRUB] = "pool scrub",
	};
	return (unsigned)k < SCENARIO_STEP__COUNT ? names[k] : "?";
}

/* ---- the builder ------------------------------------------------------------ */


struct scenario_steps_builder *scenario_steps_begin(void)
{
	return calloc(1, sizeof(struct scenario_steps_builder));
}

static void step_free(struct scenario_step *s)
{
	free(s->label);
	switch (s->kind) {
	case SCENARIO_STEP_CALL:
		free(s->as.call.name);
		for (unsigned i = 0; i < s->as.call.nargs; i++) {
			struct sb_value *v = &s->as.call.args[i];
			if (v->type == SB_T_STRING || v->type == SB_T_BYTES)
				free((void *)(uintptr_t)v->as.buf.ptr);
		}
		if (s->as.call.has_expect && (s->as.call.expect.type == SB_T_STRING ||
					      s->as.call.expect.type == SB_T_BYTES))
			free((void *)(uintptr_t)s->as.call.expect.as.buf.ptr);
		break;
	case SCENARIO_STEP_MAP: free(s->as.map.path); break;
	case SCENARIO_STEP_SNAPSHOT:
	case SCENARIO_STEP_RESTORE: free(s->as.snap.name); break;
	case SCENARIO_STEP_SAVE:
	case SCENARIO_STEP_LOAD:
		free(s->as.file.path);
		free(s->as.file.name);
		break;
	case SCENARIO_STEP_REPEAT: scenario_steps_free(s->as.repeat.steps, s->as.repeat.n); break;
	default: break;
	}
}

void scenario_steps_free(struct scenario_step *steps, size_t n)
{
	for (size_t i = 0; i < n; i++)
		step_free(&steps[i]);
	free(steps);
}

static char *dup_or_null(const char *s, bool *oom)
{
	char *d = s ? strdup(s) : NULL;
	*oom |= s && !d;
	return d;
}

/* A copy of a string or bytes value's buffer into v (NULL after an
 * earlier failure: step_free must not free the source's). */
static void buf_copy(struct sb_value *v, bool *oom)
{
	if (v->type != SB_T_STRING && v->type != SB_T_BYTES)
		return;
	void *p = *oom ? NULL : malloc(v->as.buf.len ? v->as.buf.len : 1);
	if (p)
		memcpy(p, v->as.buf.ptr, v->as.buf.len);
	*oom |= !p;
	v->as.buf.ptr = p;
}

/* *d = a deep copy of *s (on failure what was copied is freed). */
static int step_copy(struct scenario_step *d, const struct scenario_step *s)
{
	bool oom = false;
	*d = *s;
	d->label = dup_or_null(s->label, &oom);
	switch (s->kind) {
	case SCENARIO_STEP_CALL:
		d->as.call.name = dup_or_null(s->as.call.name, &oom);
		for (unsigned i = 0; i < s->as.call.nargs; i++)
			buf_copy(&d->as.call.args[i], &oom);
		if (s->as.call.has_expect)
			buf_copy(&d->as.call.expect, &oom);
		break;
	case SCENARIO_STEP_MAP: d->as.map.path = dup_or_null(s->as.map.path, &oom); break;
	case SCENARIO_STEP_SNAPSHOT:
	case SCENARIO_STEP_RESTORE: d->as.snap.name = dup_or_null(s->as.snap.name, &oom); break;
	case SCENARIO_STEP_SAVE:
	case SCENARIO_STEP_LOAD:
		d->as.file.path = dup_or_null(s->as.file.path, &oom);
		d->as.file.name = dup_or_null(s->as.file.name, &oom);
		break;
	case SCENARIO_STEP_REPEAT:
		if (scenario_steps_copy(s->as.repeat.steps, s->as.repeat.n, &d->as.repeat.steps)) {
			d->as.repeat.steps = NULL;
			d->as.repeat.n = 0;
			oom = true;
		}
		break;
	default: break;
	}
	if (oom)
		step_free(d);
	return oom ? -1 : 0;
}

int scenario_steps_copy(const struct scenario_step *src, size_t n, struct scenario_step **out)
{
	struct scenario_step *d = calloc(n ? n : 1, sizeof *d);
	if (!d)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (step_copy(&d[i], &src[i])) {
			scenario_steps_free(d, i);
			return -1;
		}
	}
	*out = d;
	return 0;
}

void scenario_steps_abandon(struct scenario_steps_builder *b)
{
	if (!b)
		return;
	for (unsigned d = 0; d <= b->depth; d++) {
		scenario_steps_free(b->lv[d].steps, b->lv[d].n);
		free(b->lv[d].text);
	}
	for (size_t i = 0; i < b->n_snaps; i++)
		free(b->snaps[i]);
	free(b->snaps);
	free(b);
}

int step_errf(struct scenario_steps_builder *b, struct sb_err *err, enum sb_errcode code,
		     const char *fmt, ...)
{
	if (!err)
		return -1;
	char what[SB_ERR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	return sb_errf(err, code, "step '%s': %s", b->text, what);
}

/* ---- static checks ------------------------------------------------------------- */

static bool snap_known(const struct scenario_steps_builder *b, const char *name)
{
	for (size_t i = 0; i < b->n_snaps; i++)
		if (strcmp(b->snaps[i], name) == 0)
			return true;
	return false;
}

static int snap_add(struct scenario_steps_builder *b, const char *name, struct sb_err *err)
{
	b->any_snap = true;
	if (!name || snap_known(b, name))
		return 0;
	if (b->n_snaps == b->cap_snaps) {
		size_t cap = b->cap_snaps ? 2 * b->cap_snaps : 8;
		char **p = realloc(b->snaps, cap * sizeof *p);
		if (!p)
			return step_errf(b, err, SB_E_NOMEM, "out of memory");
		b->snaps = p;
		b->cap_snaps = cap;
	}
	if (!(b->snaps[b->n_snaps] = strdup(name)))
		return step_errf(b, err, SB_E_NOMEM, "out of memory");
	b->n_snaps++;
	return 0;
}

static int need_snapshot(struct scenario_steps_builder *b, const char *name, struct sb_err *err)
{
	if (name && !snap_known(b, name))
		return step_errf(b, err, SB_E_INVAL, "no snapshot named '%s' before this step", name);
	if (!b->any_snap)
		return step_errf(b, err, SB_E_INVAL, "no snapshot (or load) before this step");
	return 0;
}

/* A cancel step arms the next step, which must be a call; the call it
 * cancels poisons the sandbox until a restore or destroy. */
static int check_cancel(struct scenario_steps_builder *b, const struct scenario_step *s,
			struct sb_err *err)
{
	if (b->cancel_line) {
		if (s->kind != SCENARIO_STEP_CALL)
			return step_errf(b, err, SB_E_INVAL,
					 "the cancel at line %u must be followed by the call it cancels",
					 b->cancel_line);
		b->poisoned_line = b->cancel_line;
		b->cancel_line = 0;
		return 0;
	}
	if (b->poisoned_line && s->kind != SCENARIO_STEP_RESTORE &&
	    s->kind != SCENARIO_STEP_DESTROY && s->kind != SCENARIO_STEP_SLEEP &&
	    s->kind != SCENARIO_STEP_LOAD && s->kind != SCENARIO_STEP_SAVE)
		return step_errf(b, err, SB_E_INVAL,
				 "the call cancelled at line %u poisoned the sandbox: restore or "
				 "destroy it first",
				 b->poisoned_line);
	if (s->kind == SCENARIO_STEP_RESTORE || s->kind == SCENARIO_STEP_DESTROY)
		b->poisoned_line = 0;
	if (s->kind == SCENARIO_STEP_CANCEL)
		b->cancel_line = s->line;
	return 0;
}

/* Sandbox state a step needs, and what it leaves. */
static int check_state(struct scenario_steps_builder *b, const struct scenario_step *s,
		       struct sb_err *err)
{
	if (check_cancel(b, s, err))
		return -1;
	if (s->kind == SCENARIO_STEP_LOAD)
		return snap_add(b, s->as.file.name, err);
	if (!b->seen_create && s->kind != SCENARIO_STEP_CREATE)
		return step_errf(b, err, SB_E_INVAL,
				 "comes before any create (only load may)");
	switch (s->kind) {
	case SCENARIO_STEP_CREATE:
		if (b->live)
			return step_errf(b, err, SB_E_INVAL,
					 "a sandbox already exists here (destroy it first)");
		b->seen_create = b->live = true;
		return 0;
	case SCENARIO_STEP_DESTROY:
	case SCENARIO_STEP_CALL:
	case SCENARIO_STEP_SNAPSHOT:
	case SCENARIO_STEP_RESTORE:
	case SCENARIO_STEP_MAP:
	case SCENARIO_STEP_CANCEL:
		if (!b->live)
			return step_errf(b, err, SB_E_INVAL,
					 "no sandbox here (it was destroyed; create one first)");
		if (s->kind == SCENARIO_STEP_DESTROY)
			b->live = false;
		if (s->kind == SCENARIO_STEP_SNAPSHOT)
			return snap_add(b, s->as.snap.name, err);
		if (s->kind == SCENARIO_STEP_RESTORE)
			return need_snapshot(b, s->as.snap.name, err);
		return 0;
	case SCENARIO_STEP_SAVE: return need_snapshot(b, s->as.file.name, err);
	default: return 0;
	}
}

/* ---- adding steps ------------------------------------------------------------------ */

static int push_step(struct scenario_steps_builder *b, struct level *lv, struct scenario_step *s,
		     struct sb_err *err)
{
	if (lv->n == lv->cap) {
		size_t cap = lv->cap ? 2 * lv->cap : 8;
		struct scenario_step *p = realloc(lv->steps, cap * sizeof *p);
		if (!p) {
			step_free(s);
			return step_errf(b, err, SB_E_NOMEM, "out of memory");
		}
		lv->steps = p;
		lv->cap = cap;
	}
	lv->steps[lv->n++] = *s;
	return 0;
}

static int close_repeat(struct scenario_steps_builder *b, struct sb_err *err)
{
	if (b->depth == 0)
		return step_errf(b, err, SB_E_INVAL, "'}' without a repeat");
	struct level *lv = &b->lv[b->depth];
	if (lv->n == 0)
		return step_errf(b, err, SB_E_INVAL, "the repeat at line %u has an empty body",
				 lv->line);
	if (b->cancel_line)
		return step_errf(b, err, SB_E_INVAL,
				 "the cancel at line %u must be followed by the call it cancels",
				 b->cancel_line);
	if (lv->count > 1 && b->poisoned_line && !lv->poisoned_at_entry)
		return step_errf(b, err, SB_E_INVAL,
				 "the body of the repeat at line %u leaves the sandbox poisoned (the "
				 "call cancelled at line %u), so its second iteration would start with "
				 "a poisoned one: restore it at the end of the body",
				 lv->line, b->poisoned_line);
	if (lv->count > 1 && b->live != lv->live_at_entry)
		return step_errf(b, err, SB_E_INVAL,
				 "the body of the repeat at line %u %s the sandbox, so its second "
				 "iteration would start %s one",
				 lv->line, b->live ? "creates" : "destroys",
				 b->live ? "with an existing" : "without");
	struct scenario_step s = { .kind = SCENARIO_STEP_REPEAT, .line = lv->line };
	if (asprintf(&s.label, "repeat %" PRIu64, lv->count) < 0)
		return step_errf(b, err, SB_E_NOMEM, "out of memory");
	s.as.repeat.count = lv->count;
	s.as.repeat.steps = lv->steps;
	s.as.repeat.n = lv->n;
	free(lv->text);
	memset(lv, 0, sizeof *lv);
	b->depth--;
	return push_step(b, &b->lv[b->depth], &s, err);
}

static int open_repeat(struct scenario_steps_builder *b, const char *p, const char *text,
		       unsigned line, struct sb_err *err)
{
	p = skip_ws(p);
	const char *start = p;
	uint64_t count = 0;
	for (; isdigit((unsigned char)*p); p++) {
		unsigned d = (unsigned)(*p - '0');
		if (count > (UINT64_MAX - d) / 10)
			return step_errf(b, err, SB_E_RANGE, "repeat count is too large");
		count = count * 10 + d;
	}
	if (p == start || !(isspace((unsigned char)*p) || *p == '{' || !*p))
		return step_errf(b, err, SB_E_INVAL, "expected 'repeat N {' with N a whole number");
	if (count == 0)
		return step_errf(b, err, SB_E_RANGE, "repeat count must be at least 1");
	p = skip_ws(p);
	if (*p != '{')
		return step_errf(b, err, SB_E_INVAL, "expected '{' after the repeat count");
	if (expect_end(b, p + 1, err))
		return -1;
	if (b->depth == SCENARIO_REPEAT_DEPTH)
		return step_errf(b, err, SB_E_TOO_BIG, "repeats nest deeper than %d",
				 SCENARIO_REPEAT_DEPTH);
	struct level *lv = &b->lv[++b->depth];
	memset(lv, 0, sizeof *lv);
	lv->line = line;
	lv->count = count;
	lv->live_at_entry = b->live;
	lv->poisoned_at_entry = b->poisoned_line;
	if (b->cancel_line)
		return step_errf(b, err, SB_E_INVAL,
				 "the cancel at line %u must be followed by the call it cancels, "
				 "not a repeat",
				 b->cancel_line);
	if (!(lv->text = strdup(text)))
		return step_errf(b, err, SB_E_NOMEM, "out of memory");
	return 0;
}

static int parse_step(struct scenario_steps_builder *b, const char *text, struct scenario_step *s,
		      struct sb_err *err)
{
	const char *p = skip_ws(text);
	const char *start = p;
	while (isalpha((unsigned char)*p))
		p++;
	size_t n = (size_t)(p - start);
	static const enum scenario_step_kind kinds[] = {
		SCENARIO_STEP_CREATE, SCENARIO_STEP_DESTROY, SCENARIO_STEP_CALL,
		SCENARIO_STEP_SNAPSHOT, SCENARIO_STEP_RESTORE, SCENARIO_STEP_SAVE,
		SCENARIO_STEP_LOAD, SCENARIO_STEP_SLEEP, SCENARIO_STEP_MAP, SCENARIO_STEP_CANCEL,
	};
	bool found = false;
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		const char *k = scenario_step_kind_name(kinds[i]);
		if (n == strlen(k) && strncmp(start, k, n) == 0) {
			s->kind = kinds[i];
			found = true;
		}
	}
	if (!found || (*p && !isspace((unsigned char)*p)))
		return step_errf(b, err, SB_E_INVAL,
				 "unknown step (want create, destroy, call, snapshot, restore, "
				 "save, load, sleep, map, cancel, repeat N {, })");
	const char *kind = scenario_step_kind_name(s->kind);
	int rc = 0;
	switch (s->kind) {
	case SCENARIO_STEP_CREATE:
	case SCENARIO_STEP_DESTROY:
		if (expect_end(b, p, err))
			return -1;
		rc = asprintf(&s->label, "%s", kind);
		break;
	case SCENARIO_STEP_CALL: {
		char *label = NULL;
		if (parse_call(b, p, s, &label, err)) {
			free(label);
			return -1;
		}
		if (label)
			s->label = label;
		else
			rc = asprintf(&s->label, "call %s", s->as.call.name);
		break;
	}
	case SCENARIO_STEP_SNAPSHOT:
	case SCENARIO_STEP_RESTORE:
		if ((s->kind == SCENARIO_STEP_SNAPSHOT ? lex_keyword(&p, "as") : *skip_ws(p)) &&
		    lex_name(b, &p, "snapshot name", &s->as.snap.name, err))
			return -1;
		if (expect_end(b, p, err))
			return -1;
		rc = s->as.snap.name ? asprintf(&s->label, "%s %s", kind, s->as.snap.name)
				     : asprintf(&s->label, "%s", kind);
		break;
	case SCENARIO_STEP_SAVE:
	case SCENARIO_STEP_LOAD:
		if (lex_path(b, &p, &s->as.file.path, err))
			return -1;
		if (lex_keyword(&p, s->kind == SCENARIO_STEP_SAVE ? "from" : "as") &&
		    lex_name(b, &p, "snapshot name", &s->as.file.name, err))
			return -1;
		if (expect_end(b, p, err))
			return -1;
		rc = asprintf(&s->label, "%s %s", kind,
			      s->kind == SCENARIO_STEP_LOAD && s->as.file.name ? s->as.file.name
									      : s->as.file.path);
		break;
	case SCENARIO_STEP_SLEEP: {
		struct sb_err terr;
		p = skip_ws(p);
		if (scenario_parse_time(p, &s->as.sleep_ns, &terr))
			return step_errf(b, err, terr.code, "%s", terr.msg);
		char t[32];
		scenario_format_time(s->as.sleep_ns, t, sizeof t);
		rc = asprintf(&s->label, "sleep %s", t);
		break;
	}
	case SCENARIO_STEP_MAP:
		if (parse_map(b, p, s, err))
			return -1;
		rc = asprintf(&s->label, "map %s", s->as.map.path);
		break;
	case SCENARIO_STEP_CANCEL: {
		struct sb_err terr;
		if (!lex_keyword(&p, "after"))
			return step_errf(b, err, SB_E_INVAL, "expected 'cancel after TIME'");
		p = skip_ws(p);
		if (scenario_parse_time(p, &s->as.cancel_after_ns, &terr))
			return step_errf(b, err, terr.code, "%s", terr.msg);
		if (s->as.cancel_after_ns > SCENARIO_CANCEL_MAX_NS)
			return step_errf(b, err, SB_E_RANGE, "cancel after at most 1m");
		char t[32];
		scenario_format_time(s->as.cancel_after_ns, t, sizeof t);
		rc = asprintf(&s->label, "cancel after %s", t);
		break;
	}
	default: break;
	}
	if (rc < 0)
		return step_errf(b, err, SB_E_NOMEM, "out of memory");
	/* The label is the report's key for the step's statistics, kept in a
	 * fixed field: refuse one that would be cut short. */
	size_t len = strlen(s->label);
	if (len > SCENARIO_LABEL_MAX)
		return step_errf(b, err, SB_E_TOO_BIG,
				 "its label '%s' is %zu characters long, at most %d (%s)", s->label,
				 len, SCENARIO_LABEL_MAX,
				 s->kind == SCENARIO_STEP_LOAD ? "name it with 'as NAME'"
				 : s->kind == SCENARIO_STEP_SAVE || s->kind == SCENARIO_STEP_MAP
					 ? "use a shorter file name"
								: "use a shorter name");
	return 0;
}

int scenario_steps_add(struct scenario_steps_builder *b, const char *text, unsigned line,
		       struct sb_err *err)
{
	b->text = text;
	const char *p = skip_ws(text);
	if (*p == '}')
		return expect_end(b, p + 1, err) ? -1 : close_repeat(b, err);
	if (lex_keyword(&p, "repeat"))
		return open_repeat(b, p, text, line, err);
	struct scenario_step s = { .line = line };
	if (parse_step(b, text, &s, err) || check_state(b, &s, err)) {
		step_free(&s);
		return -1;
	}
	return push_step(b, &b->lv[b->depth], &s, err);
}

int scenario_steps_end(struct scenario_steps_builder *b, struct scenario_step **steps, size_t *n,
		       unsigned *err_line, struct sb_err *err)
{
	*err_line = 0;
	if (b->cancel_line) {
		*err_line = b->cancel_line;
		return sb_errf(err, SB_E_INVAL,
			       "the cancel at line %u must be followed by the call it cancels",
			       b->cancel_line);
	}
	if (b->depth > 0) {
		struct level *lv = &b->lv[b->depth];
		*err_line = lv->line;
		b->text = lv->text;
		return step_errf(b, err, SB_E_INVAL, "no closing '}'");
	}
	if (b->lv[0].n == 0)
		return sb_errf(err, SB_E_INVAL, "the step list is empty (add step = create, ...)");
	*steps = b->lv[0].steps;
	*n = b->lv[0].n;
	b->lv[0].steps = NULL;
	b->lv[0].n = 0;
	return 0;
}
