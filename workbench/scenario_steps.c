/* scenario_steps.c — the step list (parsing, the repeat tree, static checks)
 * and call argument literals. Grammar: scenario.h. Expectations:
 * scenario_expect.c. */
#include "scenario.h"

#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "units.h"

const char *scenario_step_kind_name(enum scenario_step_kind k)
{
	static const char *const names[SCENARIO_STEP__COUNT] = {
		[SCENARIO_STEP_CREATE] = "create",     [SCENARIO_STEP_DESTROY] = "destroy",
		[SCENARIO_STEP_CALL] = "call",         [SCENARIO_STEP_SNAPSHOT] = "snapshot",
		[SCENARIO_STEP_RESTORE] = "restore",   [SCENARIO_STEP_SAVE] = "save",
		[SCENARIO_STEP_LOAD] = "load",         [SCENARIO_STEP_SLEEP] = "sleep",
		[SCENARIO_STEP_REPEAT] = "repeat",
	};
	return (unsigned)k < SCENARIO_STEP__COUNT ? names[k] : "?";
}

/* ---- the builder ------------------------------------------------------------ */

struct level {
	struct scenario_step *steps;
	size_t n, cap;
	/* the repeat this level is the body of (unused at depth 0) */
	unsigned line;
	uint64_t count;
	char *text;
	bool live_at_entry;
};

struct scenario_steps_builder {
	struct level lv[SCENARIO_REPEAT_DEPTH + 1];
	unsigned depth;
	bool seen_create; /* a create happened earlier in the list */
	bool live;        /* a sandbox exists at this point of the list */
	bool any_snap;    /* a snapshot was taken or loaded earlier */
	char **snaps;     /* names taken or loaded earlier */
	size_t n_snaps, cap_snaps;
	/* current step, for messages */
	const char *text;
};

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
		break;
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

/* Messages: "step 'TEXT': what". */
static int step_errf(struct scenario_steps_builder *b, struct sb_err *err, enum sb_errcode code,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int step_errf(struct scenario_steps_builder *b, struct sb_err *err, enum sb_errcode code,
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

/* ---- lexing --------------------------------------------------------------- */

static const char *skip_ws(const char *p)
{
	while (isspace((unsigned char)*p))
		p++;
	return p;
}

static bool is_name_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '.' || c == '-';
}

/* A NAME: [A-Za-z0-9_.-]+, malloc'd. */
static int lex_name(struct scenario_steps_builder *b, const char **pp, const char *what,
		    char **out, struct sb_err *err)
{
	const char *p = skip_ws(*pp), *start = p;
	while (is_name_char(*p))
		p++;
	if (p == start || (*p && !isspace((unsigned char)*p)))
		return step_errf(b, err, SB_E_INVAL, "%s must be letters, digits, '_', '.' or '-'",
				 what);
	*out = strndup(start, (size_t)(p - start));
	if (!*out)
		return step_errf(b, err, SB_E_NOMEM, "out of memory");
	*pp = p;
	return 0;
}

/* A "quoted string" starting at *pp (on the quote). Escapes \" \\ \n \t
 * \xHH. Returns a malloc'd buffer (NUL-terminated for convenience) and its
 * length. */
static int lex_quoted(struct scenario_steps_builder *b, const char **pp, char **out, size_t *len,
		      struct sb_err *err)
{
	const char *p = *pp + 1;
	char *buf = malloc(strlen(p) + 1);
	if (!buf)
		return step_errf(b, err, SB_E_NOMEM, "out of memory");
	size_t n = 0;
	for (;;) {
		char c = *p++;
		if (c == '\0') {
			free(buf);
			return step_errf(b, err, SB_E_INVAL, "string has no closing '\"'");
		}
		if (c == '"')
			break;
		if (c == '\\') {
			char e = *p++;
			if (e == '"' || e == '\\') {
				c = e;
			} else if (e == 'n') {
				c = '\n';
			} else if (e == 't') {
				c = '\t';
			} else if (e == 'x' && isxdigit((unsigned char)p[0]) &&
				   isxdigit((unsigned char)p[1])) {
				char hex[3] = { p[0], p[1], 0 };
				c = (char)strtoul(hex, NULL, 16);
				p += 2;
			} else {
				free(buf);
				return step_errf(b, err, SB_E_INVAL,
						 "unknown escape '\\%c' in string (want \\\" \\\\ "
						 "\\n \\t \\xHH)",
						 e ? e : '0');
			}
		}
		buf[n++] = c;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	*pp = p;
	return 0;
}

/* A FILE: a "quoted string" (no NUL bytes) or a word without spaces. */
static int lex_path(struct scenario_steps_builder *b, const char **pp, char **out,
		    struct sb_err *err)
{
	const char *p = skip_ws(*pp);
	if (*p == '"') {
		size_t len;
		if (lex_quoted(b, &p, out, &len, err))
			return -1;
		if (len == 0 || strlen(*out) != len) {
			free(*out);
			*out = NULL;
			return step_errf(b, err, SB_E_INVAL, "file name is empty or holds a NUL");
		}
	} else {
		const char *start = p;
		while (*p && !isspace((unsigned char)*p))
			p++;
		if (p == start)
			return step_errf(b, err, SB_E_INVAL, "missing file name");
		*out = strndup(start, (size_t)(p - start));
		if (!*out)
			return step_errf(b, err, SB_E_NOMEM, "out of memory");
	}
	*pp = p;
	return 0;
}

/* Consume keyword `kw` as a whole word; false (and *pp untouched) if absent. */
static bool lex_keyword(const char **pp, const char *kw)
{
	const char *p = skip_ws(*pp);
	size_t n = strlen(kw);
	if (strncmp(p, kw, n) != 0 || (p[n] && !isspace((unsigned char)p[n])))
		return false;
	*pp = p + n;
	return true;
}

static int expect_end(struct scenario_steps_builder *b, const char *p, struct sb_err *err)
{
	p = skip_ws(p);
	if (*p)
		return step_errf(b, err, SB_E_INVAL, "unexpected '%s'", p);
	return 0;
}

/* ---- call argument literals ---------------------------------------------------- */

static bool is_delim(char c)
{
	return c == '\0' || c == ',' || c == ')' || isspace((unsigned char)c);
}

static int parse_int_literal(struct scenario_steps_builder *b, unsigned argi, const char *tok,
			     struct sb_value *v, struct sb_err *err)
{
	const char *p = tok;
	bool neg = false;
	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	unsigned base = 10;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	uint64_t mag = 0;
	const char *digits = p;
	for (;; p++) {
		unsigned d;
		if (isdigit((unsigned char)*p))
			d = (unsigned)(*p - '0');
		else if (base == 16 && isxdigit((unsigned char)*p))
			d = (unsigned)(tolower((unsigned char)*p) - 'a' + 10);
		else
			break;
		if (mag > (UINT64_MAX - d) / base)
			return step_errf(b, err, SB_E_RANGE, "argument %u: '%s' does not fit 64 bits",
					 argi, tok);
		mag = mag * base + d;
	}
	if (p == digits)
		return step_errf(b, err, SB_E_INVAL, "argument %u: '%s' is not a literal", argi, tok);
	enum sb_type t;
	if (!*p || strcmp(p, "i64") == 0)
		t = SB_T_I64;
	else if (strcmp(p, "i32") == 0)
		t = SB_T_I32;
	else if (strcmp(p, "u32") == 0)
		t = SB_T_U32;
	else if (strcmp(p, "u64") == 0 || strcmp(p, "u") == 0)
		t = SB_T_U64;
	else
		return step_errf(b, err, SB_E_INVAL,
				 "argument %u: '%s' has an unknown suffix '%s' (want i32, i64, u32, "
				 "u64, u)",
				 argi, tok, p);
	v->type = t;
	switch (t) {
	case SB_T_I64:
		if (neg ? mag > (uint64_t)INT64_MAX + 1 : mag > (uint64_t)INT64_MAX)
			goto range;
		v->as.i64 = neg ? (int64_t)(0 - mag) : (int64_t)mag;
		return 0;
	case SB_T_I32:
		if (neg ? mag > (uint64_t)INT32_MAX + 1 : mag > (uint64_t)INT32_MAX)
			goto range;
		v->as.i32 = neg ? (int32_t)(0 - (int64_t)mag) : (int32_t)mag;
		return 0;
	case SB_T_U32:
		if (neg || mag > UINT32_MAX)
			goto range;
		v->as.u32 = (uint32_t)mag;
		return 0;
	default:
		if (neg)
			goto range;
		v->as.u64 = mag;
		return 0;
	}
range:
	return step_errf(b, err, SB_E_RANGE, "argument %u: '%s' is out of range for %s", argi, tok,
			 sb_type_name(t));
}

static int parse_float_literal(struct scenario_steps_builder *b, unsigned argi, const char *tok,
			       struct sb_value *v, struct sb_err *err)
{
	char num[128];
	size_t n = strlen(tok);
	bool f32 = false;
	if (n > 3 && (strcmp(tok + n - 3, "f32") == 0 || strcmp(tok + n - 3, "f64") == 0)) {
		f32 = tok[n - 2] == '3';
		n -= 3;
	}
	if (n >= sizeof num)
		return step_errf(b, err, SB_E_INVAL, "argument %u: '%s' is too long", argi, tok);
	memcpy(num, tok, n);
	num[n] = '\0';
	char *end;
	errno = 0;
	double d = strtod(num, &end);
	if (end == num || *end)
		return step_errf(b, err, SB_E_INVAL, "argument %u: '%s' is not a literal", argi, tok);
	if ((errno == ERANGE && fabs(d) > 1.0) || !isfinite(d) || (f32 && fabs(d) > FLT_MAX))
		return step_errf(b, err, SB_E_RANGE, "argument %u: '%s' is out of range for %s", argi,
				 tok, f32 ? "f32" : "f64");
	if (f32) {
		v->type = SB_T_F32;
		v->as.f32 = (float)d;
	} else {
		v->type = SB_T_F64;
		v->as.f64 = d;
	}
	return 0;
}

static int set_buf(struct scenario_steps_builder *b, struct sb_value *v, enum sb_type t, char *buf,
		   uint64_t len, struct sb_err *err)
{
	if (len > UINT32_MAX) {
		free(buf);
		return step_errf(b, err, SB_E_TOO_BIG, "argument is longer than 4 GiB");
	}
	v->type = t;
	v->as.buf.ptr = (const uint8_t *)buf;
	v->as.buf.len = (uint32_t)len;
	return 0;
}

/* One literal at *pp (after whitespace); leaves *pp after it. */
static int parse_literal(struct scenario_steps_builder *b, unsigned argi, const char **pp,
			 struct sb_value *v, struct sb_err *err)
{
	const char *p = *pp;
	if (*p == '"') {
		char *s;
		size_t len;
		if (lex_quoted(b, &p, &s, &len, err))
			return -1;
		*pp = p;
		return set_buf(b, v, SB_T_STRING, s, len, err);
	}
	if (p[0] == 'x' && p[1] == '"') {
		const char *q = p + 2, *end = strchr(q, '"');
		if (!end)
			return step_errf(b, err, SB_E_INVAL, "argument %u: x\" has no closing '\"'",
					 argi);
		size_t ndig = (size_t)(end - q);
		if (ndig % 2)
			return step_errf(b, err, SB_E_INVAL,
					 "argument %u: hex bytes need an even number of digits", argi);
		char *buf = malloc(ndig / 2 + 1);
		if (!buf)
			return step_errf(b, err, SB_E_NOMEM, "out of memory");
		for (size_t i = 0; i < ndig; i += 2) {
			if (!isxdigit((unsigned char)q[i]) || !isxdigit((unsigned char)q[i + 1])) {
				free(buf);
				return step_errf(b, err, SB_E_INVAL,
						 "argument %u: '%.2s' is not a hex byte", argi, q + i);
			}
			char hex[3] = { q[i], q[i + 1], 0 };
			buf[i / 2] = (char)strtoul(hex, NULL, 16);
		}
		*pp = end + 1;
		return set_buf(b, v, SB_T_BYTES, buf, ndig / 2, err);
	}
	if (strncmp(p, "bytes(", 6) == 0) {
		const char *q = p + 6, *end = strchr(q, ')');
		if (!end)
			return step_errf(b, err, SB_E_INVAL, "argument %u: bytes( has no closing ')'",
					 argi);
		char size[64];
		size_t n = (size_t)(end - q);
		if (n >= sizeof size)
			n = sizeof size - 1;
		memcpy(size, q, n);
		size[n] = '\0';
		uint64_t len;
		struct sb_err uerr;
		if (units_parse_bytes(size, &len, &uerr))
			return step_errf(b, err, uerr.code, "argument %u: %s", argi, uerr.msg);
		if (len > SCENARIO_BYTES_ARG_MAX)
			return step_errf(b, err, SB_E_TOO_BIG, "argument %u: bytes(%s) is over 1G",
					 argi, size);
		char *buf = calloc(1, len ? len : 1);
		if (!buf)
			return step_errf(b, err, SB_E_NOMEM, "out of memory");
		*pp = end + 1;
		return set_buf(b, v, SB_T_BYTES, buf, len, err);
	}
	const char *start = p;
	while (!is_delim(*p))
		p++;
	char tok[128];
	size_t n = (size_t)(p - start);
	if (n == 0)
		return step_errf(b, err, SB_E_INVAL, "argument %u is missing", argi);
	if (n >= sizeof tok)
		return step_errf(b, err, SB_E_INVAL, "argument %u is too long", argi);
	memcpy(tok, start, n);
	tok[n] = '\0';
	*pp = p;
	if (strcmp(tok, "true") == 0 || strcmp(tok, "false") == 0) {
		v->type = SB_T_BOOL;
		v->as.b = tok[0] == 't';
		return 0;
	}
	const char *d = tok + (tok[0] == '+' || tok[0] == '-');
	if (!isdigit((unsigned char)d[0]) && !(d[0] == '.' && isdigit((unsigned char)d[1])))
		return step_errf(b, err, SB_E_INVAL,
				 "argument %u: '%s' is not a literal (number, true, false, "
				 "\"string\", x\"hex\", bytes(N))",
				 argi, tok);
	bool hex = d[0] == '0' && (d[1] == 'x' || d[1] == 'X');
	if (!hex && strpbrk(tok, ".eE"))
		return parse_float_literal(b, argi, tok, v, err);
	return parse_int_literal(b, argi, tok, v, err);
}

/* "NAME(ARG, ...)" into the step. */
static int parse_call(struct scenario_steps_builder *b, const char *p, struct scenario_step *s,
		      struct sb_err *err)
{
	p = skip_ws(p);
	const char *start = p;
	if (isalpha((unsigned char)*p) || *p == '_')
		while (isalnum((unsigned char)*p) || *p == '_')
			p++;
	size_t n = (size_t)(p - start);
	if (n == 0)
		return step_errf(b, err, SB_E_INVAL, "call needs a function name ([A-Za-z_][A-Za-z0-9_]*)");
	if (n > SB_NAME_MAX)
		return step_errf(b, err, SB_E_TOO_BIG, "function name is longer than %d", SB_NAME_MAX);
	if (!(s->as.call.name = strndup(start, n)))
		return step_errf(b, err, SB_E_NOMEM, "out of memory");
	p = skip_ws(p);
	if (*p != '(')
		return step_errf(b, err, SB_E_INVAL, "expected '(' after '%s'", s->as.call.name);
	p = skip_ws(p + 1);
	if (*p == ')')
		return expect_end(b, p + 1, err);
	for (unsigned i = 0;; i++) {
		if (i == SB_CALL_MAX_ARGS)
			return step_errf(b, err, SB_E_TOO_BIG, "more than %d arguments",
					 SB_CALL_MAX_ARGS);
		if (parse_literal(b, i + 1, &p, &s->as.call.args[i], err))
			return -1;
		s->as.call.nargs = i + 1;
		p = skip_ws(p);
		if (*p == ')')
			return expect_end(b, p + 1, err);
		if (*p != ',')
			return step_errf(b, err, SB_E_INVAL,
					 *p ? "expected ',' or ')' after argument %u, not '%c'"
					    : "expected ',' or ')' after argument %u%c",
					 i + 1, *p);
		p = skip_ws(p + 1);
	}
}

uint64_t scenario_call_record_bytes(const struct scenario_step *call)
{
	/* buffer header + u8 kind, u8 nargs, u16 name_len, name + back-pointer */
	uint64_t bytes = 8 + 4 + strlen(call->as.call.name) + 8;
	for (unsigned i = 0; i < call->as.call.nargs; i++) {
		const struct sb_value *v = &call->as.call.args[i];
		bytes += 1;
		switch (v->type) {
		case SB_T_I32:
		case SB_T_U32:
		case SB_T_F32: bytes += 4; break;
		case SB_T_BOOL: bytes += 1; break;
		case SB_T_STRING:
		case SB_T_BYTES: bytes += 4 + (uint64_t)v->as.buf.len; break;
		case SB_T_VOID: break;
		default: bytes += 8; break;
		}
	}
	return bytes;
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

/* Sandbox state a step needs, and what it leaves. */
static int check_state(struct scenario_steps_builder *b, const struct scenario_step *s,
		       struct sb_err *err)
{
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
		SCENARIO_STEP_LOAD, SCENARIO_STEP_SLEEP,
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
				 "save, load, sleep, repeat N {, })");
	const char *kind = scenario_step_kind_name(s->kind);
	int rc = 0;
	switch (s->kind) {
	case SCENARIO_STEP_CREATE:
	case SCENARIO_STEP_DESTROY:
		if (expect_end(b, p, err))
			return -1;
		rc = asprintf(&s->label, "%s", kind);
		break;
	case SCENARIO_STEP_CALL:
		if (parse_call(b, p, s, err))
			return -1;
		rc = asprintf(&s->label, "call %s", s->as.call.name);
		break;
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
	default: break;
	}
	if (rc < 0)
		return step_errf(b, err, SB_E_NOMEM, "out of memory");
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
