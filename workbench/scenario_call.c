/* scenario_call.c — lexing of step text and `call NAME(ARGS) [as LABEL]`
 * with its argument literals (grammar: scenario.h); the rest of the step list is
 * scenario_steps.c. */
#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "scenario_steps_internal.h"
#include "units.h"

const char *skip_ws(const char *p)
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
int lex_name(struct scenario_steps_builder *b, const char **pp, const char *what,
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
int lex_path(struct scenario_steps_builder *b, const char **pp, char **out,
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
bool lex_keyword(const char **pp, const char *kw)
{
	const char *p = skip_ws(*pp);
	size_t n = strlen(kw);
	if (strncmp(p, kw, n) != 0 || (p[n] && !isspace((unsigned char)p[n])))
		return false;
	*pp = p + n;
	return true;
}

int expect_end(struct scenario_steps_builder *b, const char *p, struct sb_err *err)
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

/* "== VALUE": the result the call must return. An integer literal
 * without a suffix matches any integer type (scenario.h). */
static int parse_expected(struct scenario_steps_builder *b, const char **pp,
			  struct scenario_step *s, struct sb_err *err)
{
	const char *p = skip_ws(*pp + 2), *start = p;
	struct sb_value v = { 0 };
	struct sb_err lerr;
	if (parse_literal(b, 0, &p, &v, &lerr)) {
		/* "argument 0: ..." reads wrong here */
		const char *what = strstr(lerr.msg, "argument 0");
		return step_errf(b, err, lerr.code, "expected result%s",
				 what ? what + strlen("argument 0") : ": not a literal");
	}
	s->as.call.expect = v;
	s->as.call.has_expect = true;
	size_t n = (size_t)(p - start);
	s->as.call.expect_any_int = v.type == SB_T_I64 &&
				    !(n > 3 && strncmp(p - 3, "i64", 3) == 0);
	*pp = p;
	return 0;
}

/* After the ')': nothing, "== VALUE", then "as LABEL" (a name that is not
 * a step kind: "create" would merge a call's row with the create step's). */
static int call_end(struct scenario_steps_builder *b, const char *p, struct scenario_step *s,
		    char **label, struct sb_err *err)
{
	p = skip_ws(p);
	if (p[0] == '=' && p[1] == '=' && parse_expected(b, &p, s, err))
		return -1;
	if (lex_keyword(&p, "as")) {
		if (!*skip_ws(p))
			return step_errf(b, err, SB_E_INVAL, "'as' needs a label after it");
		if (lex_name(b, &p, "a call's label", label, err))
			return -1;
		for (unsigned k = 0; k < SCENARIO_STEP__COUNT; k++)
			if (strcmp(*label, scenario_step_kind_name((enum scenario_step_kind)k)) == 0)
				return step_errf(b, err, SB_E_INVAL,
						 "'%s' is a step kind; label the call with another name",
						 *label);
	}
	return expect_end(b, p, err);
}

/* "NAME(ARG, ...) [as LABEL]" into the step; *label: LABEL (malloc'd) or
 * left NULL. */
int parse_call(struct scenario_steps_builder *b, const char *p, struct scenario_step *s,
	       char **label, struct sb_err *err)
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
		return call_end(b, p + 1, s, label, err);
	for (unsigned i = 0;; i++) {
		if (i == SB_CALL_MAX_ARGS)
			return step_errf(b, err, SB_E_TOO_BIG, "more than %d arguments",
					 SB_CALL_MAX_ARGS);
		if (parse_literal(b, i + 1, &p, &s->as.call.args[i], err))
			return -1;
		s->as.call.nargs = i + 1;
		p = skip_ws(p);
		if (*p == ')')
			return call_end(b, p + 1, s, label, err);
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

/* "FILE at GPA": GPA a number (0x hex or decimal) or a size (16G); page
 * aligned, in sandbox_map_region()'s window. The file's size is known at
 * run time only: the runner checks that it fits. */
int parse_map(struct scenario_steps_builder *b, const char *p, struct scenario_step *s,
	      struct sb_err *err)
{
	if (lex_path(b, &p, &s->as.map.path, err))
		return -1;
	if (!lex_keyword(&p, "at"))
		return step_errf(b, err, SB_E_INVAL, "expected 'map FILE at GPA'");
	p = skip_ws(p);
	const char *start = p;
	while (*p && !isspace((unsigned char)*p))
		p++;
	char tok[64];
	size_t n = (size_t)(p - start);
	if (n == 0 || n >= sizeof tok)
		return step_errf(b, err, SB_E_INVAL, "expected a guest-physical address after 'at'");
	memcpy(tok, start, n);
	tok[n] = '\0';
	uint64_t gpa;
	if (tok[0] == '0' && (tok[1] == 'x' || tok[1] == 'X')) {
		char *end;
		errno = 0;
		gpa = strtoull(tok + 2, &end, 16);
		if (!tok[2] || *end || errno)
			return step_errf(b, err, SB_E_INVAL, "'%s' is not a hex address", tok);
	} else {
		struct sb_err uerr;
		if (units_parse_bytes(tok, &gpa, &uerr))
			return step_errf(b, err, uerr.code, "address: %s", uerr.msg);
	}
	if (gpa % SB_PAGE_SIZE)
		return step_errf(b, err, SB_E_INVAL, "address 0x%" PRIx64 " is not page aligned (4K)",
				 gpa);
	if (gpa < SANDBOX_EXTRA_GPA_MIN || gpa >= SANDBOX_EXTRA_GPA_END)
		return step_errf(b, err, SB_E_RANGE,
				 "address 0x%" PRIx64 " is outside [16G, 48G) (0x%llx..0x%llx), where "
				 "extra read-only memory goes",
				 gpa, SANDBOX_EXTRA_GPA_MIN, SANDBOX_EXTRA_GPA_END);
	s->as.map.gpa = gpa;
	return expect_end(b, p, err);
}
