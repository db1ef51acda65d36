/* scenario.c — reading scenario files: sections, options, the set.
 *
 * libinih splits lines into sections and name = value pairs; we feed it
 * through our own line reader (ini_parse_stream), which is where line
 * numbers come from (inih's handler has none), where section headers are
 * checked (inih calls the handler only for values), where leading
 * whitespace is removed (so an indented line is never taken as a
 * continuation of the previous value) and where a line too long for inih's
 * buffer is refused instead of being split in two. Parsing stops at the
 * first error: the reader then reports end of input. */
#include "scenario.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "build_info.h"

#define FILE_MAX_BYTES (16u << 20)

struct parse {
	const char *file; /* for messages */
	const char *pos;  /* next unread byte of the text */
	unsigned line;    /* of the line last handed to inih */
	bool failed;      /* an error is in *err; stop */
	struct sb_err *err;
	struct scenario_set *set;
	size_t cap_items;

	bool in_section; /* a [section] header was seen */
	bool in_global;  /* ... and it is [global] */
	char section[SCENARIO_NAME_MAX + 1];
	/* [global] defaults, and where each was set */
	struct scenario_config global;
	unsigned global_line[SCENARIO_MAX_OPTIONS];
	/* options set in the current section (either kind), by line */
	unsigned here_line[SCENARIO_MAX_OPTIONS];

	/* the scenario being read (not yet in the set) */
	struct scenario *cur;
	struct scenario_steps_builder *steps;
	size_t cap_expects, cap_step_lines;
};

/* "file:line: [section] " + what. */
static int perr(struct parse *ps, unsigned line, enum sb_errcode code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int perr(struct parse *ps, unsigned line, enum sb_errcode code, const char *fmt, ...)
{
	char what[SB_ERR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	ps->failed = true;
	if (ps->in_section)
		return sb_errf(ps->err, code, "%s:%u: [%s] %s", ps->file, line, ps->section, what);
	return sb_errf(ps->err, code, "%s:%u: %s", ps->file, line, what);
}

static size_t opt_index(const struct scenario_option *o)
{
	size_t n;
	return (size_t)(o - scenario_options(&n));
}

static char **cfg_str(struct scenario_config *cfg, const struct scenario_option *o)
{
	return (char **)(void *)((char *)cfg + o->offset);
}

static uint64_t *cfg_u64(struct scenario_config *cfg, const struct scenario_option *o)
{
	return (uint64_t *)(void *)((char *)cfg + o->offset);
}

static bool is_string_opt(const struct scenario_option *o)
{
	return o->type == SCENARIO_OPT_STRING || o->type == SCENARIO_OPT_PATH;
}

static void config_free(struct scenario_config *cfg)
{
	free(cfg->description);
	free(cfg->guest);
	free(cfg->init_data);
	free(cfg->crashdump);
	memset(cfg, 0, sizeof *cfg);
}

/* The table's defaults (they are valid by construction; test_scenario
 * checks that each one parses). */
static int config_defaults(struct scenario_config *cfg, struct sb_err *err)
{
	size_t n;
	const struct scenario_option *opts = scenario_options(&n);
	memset(cfg, 0, sizeof *cfg);
	for (size_t i = 0; i < n; i++) {
		const struct scenario_option *o = &opts[i];
		if (o->flags & SCENARIO_OPT_REPEATABLE)
			continue;
		if (scenario_opt_parse(o, o->def, cfg_u64(cfg, o), cfg_str(cfg, o), err)) {
			config_free(cfg);
			return sb_err_prefix(err, "default of %s: ", o->name);
		}
	}
	return 0;
}

static int config_copy(struct scenario_config *dst, const struct scenario_config *src)
{
	*dst = *src;
	dst->description = strdup(src->description);
	dst->guest = strdup(src->guest);
	dst->init_data = strdup(src->init_data);
	dst->crashdump = strdup(src->crashdump);
	if (!dst->description || !dst->guest || !dst->init_data || !dst->crashdump) {
		config_free(dst);
		return -1;
	}
	return 0;
}

void scenario_clear(struct scenario *s)
{
	free(s->name);
	free(s->section);
	free(s->file);
	config_free(&s->cfg);
	scenario_steps_free(s->steps, s->n_steps);
	for (size_t i = 0; i < s->n_expects; i++)
		scenario_expect_free(&s->expects[i]);
	free(s->expects);
	for (size_t i = 0; i < s->n_step_lines; i++)
		free(s->step_lines[i]);
	free(s->step_lines);
	memset(s, 0, sizeof *s);
}

void scenario_set_free(struct scenario_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		scenario_clear(&set->items[i]);
	free(set->items);
	set->items = NULL;
	set->n = 0;
}

const struct scenario *scenario_set_find(const struct scenario_set *set, const char *name)
{
	for (size_t i = 0; i < set->n; i++)
		if (strcmp(set->items[i].name, name) == 0 || strcmp(set->items[i].section, name) == 0)
			return &set->items[i];
	return NULL;
}

static char **str_dup_array(char *const *src, size_t n)
{
	char **d = calloc(n ? n : 1, sizeof *d);
	for (size_t i = 0; d && i < n; i++) {
		if (!(d[i] = strdup(src[i]))) {
			while (i--)
				free(d[i]);
			free(d);
			return NULL;
		}
	}
	return d;
}

int scenario_copy(struct scenario *dst, const struct scenario *src)
{
	*dst = *src;
	dst->name = dst->section = dst->file = NULL;
	dst->steps = NULL;
	dst->expects = NULL;
	dst->step_lines = NULL;
	dst->n_steps = dst->n_expects = dst->n_step_lines = 0;
	if (config_copy(&dst->cfg, &src->cfg)) {
		memset(&dst->cfg, 0, sizeof dst->cfg);
		goto fail;
	}
	if (!(dst->name = strdup(src->name)) || !(dst->section = strdup(src->section)) ||
	    !(dst->file = strdup(src->file)) ||
	    scenario_steps_copy(src->steps, src->n_steps, &dst->steps))
		goto fail;
	dst->n_steps = src->n_steps;
	if (!(dst->step_lines = str_dup_array(src->step_lines, src->n_step_lines)))
		goto fail;
	dst->n_step_lines = src->n_step_lines;
	if (!(dst->expects = calloc(src->n_expects ? src->n_expects : 1, sizeof *dst->expects)))
		goto fail;
	for (; dst->n_expects < src->n_expects; dst->n_expects++) {
		struct scenario_expect *e = &dst->expects[dst->n_expects];
		*e = src->expects[dst->n_expects];
		e->text = strdup(e->text);
		e->step = strdup(e->step);
		if (!e->text || !e->step) {
			scenario_expect_free(e);
			goto fail;
		}
	}
	return 0;
fail:
	scenario_clear(dst);
	return -1;
}

static int grow(void **arr, size_t *cap, size_t n, size_t elem)
{
	if (n < *cap)
		return 0;
	size_t c = *cap ? 2 * *cap : 8;
	void *p = realloc(*arr, c * elem);
	if (!p)
		return -1;
	*arr = p;
	*cap = c;
	return 0;
}

/* ---- finishing a scenario ------------------------------------------------- */

static int check_calls_fit(struct parse *ps, const struct scenario_step *steps, size_t n)
{
	const struct scenario *sc = ps->cur;
	for (size_t i = 0; i < n; i++) {
		const struct scenario_step *s = &steps[i];
		if (s->kind == SCENARIO_STEP_REPEAT &&
		    check_calls_fit(ps, s->as.repeat.steps, s->as.repeat.n))
			return -1;
		if (s->kind != SCENARIO_STEP_CALL)
			continue;
		uint64_t need = scenario_call_record_bytes(s);
		if (need > sc->cfg.input_bytes) {
			char in[32];
			scenario_format_size(sc->cfg.input_bytes, in, sizeof in);
			return perr(ps, s->line, SB_E_TOO_BIG,
				    "step '%s': the call needs %llu bytes of input buffer but input "
				    "is %s",
				    s->label, (unsigned long long)need, in);
		}
	}
	return 0;
}

static int resolve_expects(struct parse *ps)
{
	unsigned line = ps->cur->line;
	struct sb_err err;
	if (scenario_resolve_expects(ps->cur, &line, &err))
		return perr(ps, line, err.code, "%s", err.msg);
	return 0;
}

static int finish_scenario(struct parse *ps)
{
	struct scenario *sc = ps->cur;
	unsigned line = 0;
	struct sb_err serr;
	if (scenario_steps_end(ps->steps, &sc->steps, &sc->n_steps, &line, &serr))
		return line ? perr(ps, line, serr.code, "%s", serr.msg)
			    : perr(ps, sc->line, serr.code, "%s", serr.msg);
	scenario_steps_abandon(ps->steps);
	ps->steps = NULL;

	const struct scenario_option *warm = scenario_option_find("warmup");
	const struct scenario_option *iter = scenario_option_find("iterations");
	if (sc->cfg.duration_ns == 0 && sc->cfg.warmup >= sc->cfg.iterations) {
		unsigned wl = sc->set_line[opt_index(warm)], il = sc->set_line[opt_index(iter)];
		return perr(ps, wl > il ? wl : il, SB_E_RANGE,
			    "%s: warmup (%llu) must be less than iterations (%llu)",
			    wl > il ? "warmup" : "iterations", (unsigned long long)sc->cfg.warmup,
			    (unsigned long long)sc->cfg.iterations);
	}
	struct sb_err lerr;
	if (scenario_check_layout(sc, &line, &lerr))
		return perr(ps, line ? line : sc->line, lerr.code, "%s", lerr.msg);
	if (scenario_check_scaling(sc, &line, &lerr))
		return perr(ps, line ? line : sc->line, lerr.code, "%s", lerr.msg);
	if (check_calls_fit(ps, sc->steps, sc->n_steps) || resolve_expects(ps))
		return -1;
	unsigned sc_line = sc->line;

	ps->cur = NULL; /* taken over, even on error */
	struct sb_err xerr;
	if (scenario_set_add_expanded(ps->set, &ps->cap_items, sc, &xerr))
		return perr(ps, sc_line, xerr.code, "%s", xerr.msg);
	return 0;
}

static int finish_section(struct parse *ps)
{
	if (ps->cur)
		return finish_scenario(ps);
	return 0;
}

/* ---- section headers -------------------------------------------------------- */

static int start_section(struct parse *ps, const char *name)
{
	memset(ps->here_line, 0, sizeof ps->here_line);
	snprintf(ps->section, sizeof ps->section, "%s", name);
	ps->in_section = true;
	ps->in_global = strcmp(name, "global") == 0;
	if (ps->in_global)
		return 0;
	const struct scenario *dup = scenario_set_find(ps->set, name);
	if (dup)
		return perr(ps, ps->line, SB_E_INVAL, "duplicate scenario name (first at line %u)",
			    dup->line);
	struct scenario *sc = calloc(1, sizeof *sc);
	if (!sc)
		return perr(ps, ps->line, SB_E_NOMEM, "out of memory");
	ps->cur = sc;
	ps->cap_expects = ps->cap_step_lines = 0;
	sc->line = ps->line;
	memcpy(sc->set_line, ps->global_line, sizeof sc->set_line);
	if (!(sc->name = strdup(name)) || !(sc->section = strdup(name)) ||
	    !(sc->file = strdup(ps->file)) ||
	    config_copy(&sc->cfg, &ps->global) || !(ps->steps = scenario_steps_begin()))
		return perr(ps, ps->line, SB_E_NOMEM, "out of memory");
	return 0;
}

/* A line starting with '[' (leading blanks removed). */
static int section_header(struct parse *ps, const char *l, size_t len)
{
	if (finish_section(ps))
		return -1;
	ps->in_section = false; /* messages about the header carry no section */
	const char *close = memchr(l, ']', len);
	if (!close)
		return perr(ps, ps->line, SB_E_INVAL, "section header '%.*s' has no closing ']'",
			    (int)len, l);
	const char *rest = close + 1, *end = l + len;
	while (rest < end && isspace((unsigned char)*rest))
		rest++;
	if (rest < end && *rest != ';' && *rest != '#')
		return perr(ps, ps->line, SB_E_INVAL, "unexpected '%.*s' after section header",
			    (int)(end - rest), rest);
	size_t n = (size_t)(close - l - 1);
	if (n == 0)
		return perr(ps, ps->line, SB_E_INVAL, "empty section name '[]'");
	if (n > SCENARIO_NAME_MAX)
		return perr(ps, ps->line, SB_E_INVAL,
			    "section name '%.*s' is longer than %d characters", (int)n, l + 1,
			    SCENARIO_NAME_MAX);
	for (size_t i = 0; i < n; i++) {
		char c = l[1 + i];
		if (!isalnum((unsigned char)c) && c != '_' && c != '.' && c != '-')
			return perr(ps, ps->line, SB_E_INVAL,
				    "section name '%.*s' may hold only letters, digits, '_', '.' "
				    "and '-'",
				    (int)n, l + 1);
	}
	char name[SCENARIO_NAME_MAX + 1];
	memcpy(name, l + 1, n);
	name[n] = '\0';
	return start_section(ps, name);
}

/* ---- the line reader ------------------------------------------------------------- */

static char *read_line(char *str, int num, void *stream)
{
	struct parse *ps = stream;
	if (ps->failed)
		return NULL;
	if (!*ps->pos) {
		if (finish_section(ps))
			return NULL;
		if (ps->set->n == 0) {
			if (!ps->line)
				ps->line = 1;
			ps->in_section = false;
			perr(ps, ps->line, SB_E_INVAL, "no scenario sections (only [global] or nothing)");
		}
		return NULL;
	}
	const char *nl = strchr(ps->pos, '\n');
	size_t len = nl ? (size_t)(nl - ps->pos) : strlen(ps->pos);
	const char *l = ps->pos;
	ps->pos += len + (nl ? 1 : 0);
	ps->line++;
	if (len && l[len - 1] == '\r')
		len--;
	while (len && isspace((unsigned char)*l))
		l++, len--;
	/* inih needs room for the '\n' and the NUL */
	if (len + 2 > (size_t)num || len > SCENARIO_LINE_MAX) {
		perr(ps, ps->line, SB_E_TOO_BIG, "line is %zu characters long, at most %d",
		     len, SCENARIO_LINE_MAX);
		return NULL;
	}
	if (len && *l == '[') {
		if (section_header(ps, l, len))
			return NULL;
	} else if (len && *l != ';' && *l != '#') {
		if (!ps->in_section) {
			perr(ps, ps->line, SB_E_INVAL,
			     "'%.*s' comes before any section (start with [global] or [name])",
			     (int)len, l);
			return NULL;
		}
		const char *eq = memchr(l, '=', len), *colon = memchr(l, ':', len);
		if (!eq && !colon) {
			perr(ps, ps->line, SB_E_INVAL,
			     "'%.*s' is not 'name = value', '[section]' or a comment", (int)len, l);
			return NULL;
		}
	}
	memcpy(str, l, len);
	str[len] = '\n';
	str[len + 1] = '\0';
	return str;
}

/* ---- values ------------------------------------------------------------------------ */

static int set_scalar(struct parse *ps, const struct scenario_option *o, const char *value)
{
	size_t i = opt_index(o);
	struct scenario_config *cfg = ps->in_global ? &ps->global : &ps->cur->cfg;
	unsigned *lines = ps->in_global ? ps->global_line : ps->cur->set_line;
	if (ps->here_line[i])
		return perr(ps, ps->line, SB_E_INVAL, "%s: set twice in this section (first at line %u)",
			    o->name, ps->here_line[i]);
	/* iterations and duration: one per section; setting one clears the
	 * other's inherited value */
	const struct scenario_option *other = NULL;
	if (strcmp(o->name, "iterations") == 0)
		other = scenario_option_find("duration");
	else if (strcmp(o->name, "duration") == 0)
		other = scenario_option_find("iterations");
	if (other && ps->here_line[opt_index(other)])
		return perr(ps, ps->line, SB_E_INVAL,
			    "%s: iterations and duration exclude each other (%s is set at line %u)",
			    o->name, other->name, ps->here_line[opt_index(other)]);

	uint64_t v = 0;
	char *s = NULL;
	struct sb_err verr;
	if (scenario_opt_parse(o, value, &v, &s, &verr))
		return perr(ps, ps->line, verr.code, "%s: %s", o->name, verr.msg);
	if (is_string_opt(o)) {
		free(*cfg_str(cfg, o));
		*cfg_str(cfg, o) = s;
	} else {
		*cfg_u64(cfg, o) = v;
	}
	ps->here_line[i] = lines[i] = ps->line;
	if (ps->cur && !ps->in_global)
		ps->cur->set_in_section[i] = true;
	if (other && (o == scenario_option_find("iterations") || v > 0)) {
		uint64_t def = 0;
		struct sb_err derr;
		if (scenario_opt_parse(other, other->def, &def, NULL, &derr) == 0)
			*cfg_u64(cfg, other) = def;
		lines[opt_index(other)] = 0;
	}
	return 0;
}

static int add_step(struct parse *ps, const char *value)
{
	struct scenario *sc = ps->cur;
	struct sb_err serr;
	if (scenario_steps_add(ps->steps, value, ps->line, &serr))
		return perr(ps, ps->line, serr.code, "%s", serr.msg);
	if (grow((void **)&sc->step_lines, &ps->cap_step_lines, sc->n_step_lines, sizeof(char *)) ||
	    !(sc->step_lines[sc->n_step_lines] = strdup(value)))
		return perr(ps, ps->line, SB_E_NOMEM, "out of memory");
	sc->n_step_lines++;
	sc->set_in_section[opt_index(scenario_option_find("step"))] = true;
	return 0;
}

static int add_expect(struct parse *ps, const char *value)
{
	struct scenario *sc = ps->cur;
	struct scenario_expect e;
	struct sb_err eerr;
	if (scenario_expect_parse(value, &e, &eerr))
		return perr(ps, ps->line, eerr.code, "expect: %s", eerr.msg);
	e.line = ps->line;
	if (grow((void **)&sc->expects, &ps->cap_expects, sc->n_expects, sizeof e)) {
		scenario_expect_free(&e);
		return perr(ps, ps->line, SB_E_NOMEM, "out of memory");
	}
	sc->expects[sc->n_expects++] = e;
	sc->set_in_section[opt_index(scenario_option_find("expect"))] = true;
	return 0;
}

static int on_value(void *user, const char *section, const char *name, const char *value)
{
	struct parse *ps = user;
	(void)section; /* == ps->section: headers go through read_line */
	if (ps->failed)
		return 0;
	const struct scenario_option *o = scenario_option_find(name);
	if (!o) {
		perr(ps, ps->line, SB_E_INVAL, "unknown option '%s' (see snapbench help scenario)",
		     name);
		return 0;
	}
	if (ps->in_global && (o->flags & SCENARIO_OPT_NOT_GLOBAL)) {
		perr(ps, ps->line, SB_E_INVAL, "%s: not allowed in [global], only in a scenario",
		     name);
		return 0;
	}
	int rc;
	if (o->type == SCENARIO_OPT_STEP)
		rc = add_step(ps, value);
	else if (o->type == SCENARIO_OPT_EXPECT)
		rc = add_expect(ps, value);
	else
		rc = set_scalar(ps, o, value);
	return rc == 0;
}

/* ---- entry points ---------------------------------------------------------------------- */

int scenario_set_parse_string(struct scenario_set *set, const char *name_for_messages,
			      const char *text, struct sb_err *err)
{
	struct sb_err local;
	if (!err)
		err = &local;
	sb_err_clear(err);
	set->items = NULL;
	set->n = 0;
	struct parse ps = { .file = name_for_messages, .pos = text, .err = err, .set = set };
	if (config_defaults(&ps.global, err))
		return -1;
	int rc = ini_parse_stream(read_line, &ps, on_value, &ps);
	if (!ps.failed && rc != 0) {
		ps.in_section = false;
		if (rc == -2)
			perr(&ps, ps.line, SB_E_NOMEM, "out of memory");
		else
			perr(&ps, (unsigned)(rc > 0 ? rc : (int)ps.line), SB_E_INVAL,
			     "syntax error");
	}
	if (ps.cur) {
		scenario_clear(ps.cur);
		free(ps.cur);
	}
	scenario_steps_abandon(ps.steps);
	config_free(&ps.global);
	if (ps.failed) {
		scenario_set_free(set);
		return -1;
	}
	return 0;
}

int scenario_set_parse_file(struct scenario_set *set, const char *path, struct sb_err *err)
{
	set->items = NULL;
	set->n = 0;
	FILE *f = fopen(path, "rb");
	if (!f)
		return sb_errf(err, SB_E_IO, "%s: cannot open: %s", path, strerror(errno));
	char *buf = malloc(FILE_MAX_BYTES + 1);
	if (!buf) {
		fclose(f);
		return sb_errf(err, SB_E_NOMEM, "%s: out of memory", path);
	}
	size_t n = fread(buf, 1, FILE_MAX_BYTES + 1, f);
	int rerr = ferror(f);
	fclose(f);
	if (rerr) {
		free(buf);
		return sb_errf(err, SB_E_IO, "%s: read error", path);
	}
	if (n > FILE_MAX_BYTES) {
		free(buf);
		return sb_errf(err, SB_E_TOO_BIG, "%s: larger than %u MiB", path, FILE_MAX_BYTES >> 20);
	}
	buf[n] = '\0';
	const char *nul = memchr(buf, '\0', n);
	if (nul) {
		unsigned line = 1;
		for (const char *p = buf; p < nul; p++)
			line += *p == '\n';
		free(buf);
		return sb_errf(err, SB_E_INVAL, "%s:%u: NUL byte in a text file", path, line);
	}
	int rc = scenario_set_parse_string(set, path, buf, err);
	char digest[33];
	build_text_digest(buf, n, digest);
	for (size_t i = 0; rc == 0 && i < set->n; i++)
		memcpy(set->items[i].file_digest, digest, sizeof digest);
	free(buf);
	return rc;
}
