/* compare_check.c — what must hold before two runs are compared: the same
 * scenario definitions (else refuse), and what should (the same machine
 * and build, else warn). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare_internal.h"

/* Options that change how many samples a run takes or what it is judged
 * against, not what is measured. */
static bool ignored(const char *name)
{
	static const char *const names[] = { "description", "expect", "iterations", "duration",
					      "allow_errors" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(name, names[i]) == 0)
			return true;
	return false;
}

static const char *option(const struct scenario_result *s, const char *name)
{
	for (size_t i = 0; i < s->n_options; i++)
		if (strcmp(s->options[i].name, name) == 0)
			return s->options[i].value;
	return NULL;
}

struct text {
	char buf[1024];
	size_t len;
	unsigned n;
};

__attribute__((format(printf, 2, 3))) static void say(struct text *t, const char *fmt, ...)
{
	if (t->len >= sizeof t->buf - 1)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(t->buf + t->len, sizeof t->buf - t->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		t->len += (size_t)n < sizeof t->buf - t->len ? (size_t)n : sizeof t->buf - 1 - t->len;
}

/* Every option both echo, but the ignored ones; an option only one side
 * echoes (a newer snapbench added it) is not compared. */
static void definitions(const struct scenario_result *b, const struct scenario_result *c,
			struct text *t)
{
	for (size_t i = 0; i < b->n_options; i++) {
		const char *name = b->options[i].name, *vb = b->options[i].value;
		const char *vc = option(c, name);
		if (ignored(name) || !vc || strcmp(vb, vc) == 0)
			continue;
		say(t, "%s[%s] %s: '%.60s%s' in BASE, '%.60s%s' in NEW", t->n++ ? "; " : "", b->name,
		    name, vb, strlen(vb) > 60 ? "..." : "", vc, strlen(vc) > 60 ? "..." : "");
	}
}

static int warn(struct compare_result *out, const char *what, const char *b, const char *c)
{
	if (strcmp(b, c) == 0)
		return 0;
	char **n = realloc(out->warnings, (out->n_warnings + 1) * sizeof *n);
	if (!n)
		return -1;
	out->warnings = n;
	if (asprintf(&n[out->n_warnings],
		     "the runs differ in %s: '%s' in BASE, '%s' in NEW (--force: no warning)", what, b,
		     c) < 0)
		return -1;
	out->n_warnings++;
	return 0;
}

int compare_check(const struct run_report *base, const struct run_report *cur,
		  const struct compare_options *o, struct compare_result *out, struct sb_err *err)
{
	struct text t = { 0 };
	for (size_t i = 0; i < base->n_scenarios; i++) {
		const struct scenario_result *c = compare_find_scenario(cur, base->scenarios[i].name);
		if (c)
			definitions(&base->scenarios[i], c, &t);
	}
	if (t.n && !o->force)
		return sb_errf(err, SB_E_INVAL,
			       "refusing to compare: %u scenario option%s differ%s, so the runs measured "
			       "different things: %s (run both from the same scenario files, or pass "
			       "--force)",
			       t.n, t.n == 1 ? "" : "s", t.n == 1 ? "s" : "", t.buf);
	if (o->force)
		return 0;
	const struct machine_facts *mb = &base->machine, *mc = &cur->machine;
	char nb[32], nc[32];
	snprintf(nb, sizeof nb, "%u", mb->cpus);
	snprintf(nc, sizeof nc, "%u", mc->cpus);
	if (warn(out, "CPU model", mb->cpu, mc->cpu) || warn(out, "CPU count", nb, nc) ||
	    warn(out, "kernel", mb->kernel, mc->kernel) ||
	    warn(out, "hypervisor (KVM module)", mb->hypervisor, mc->hypervisor))
		return sb_errf(err, SB_E_NOMEM, "compare: out of memory");
	/* the build (schema 5 on: a report of 4 knows none of it) */
	const struct build_facts *bb = &base->build, *bc = &cur->build;
	if (base->schema_version >= 5 && cur->schema_version >= 5 &&
	    (warn(out, "KVM module version", mb->hypervisor_version, mc->hypervisor_version) ||
	     warn(out, "compiler", bb->compiler, bc->compiler) ||
	     warn(out, "build type", bb->buildtype, bc->buildtype) ||
	     warn(out, "optimization level", bb->optimization, bc->optimization) ||
	     warn(out, "sanitizers", bb->sanitize, bc->sanitize) ||
	     warn(out, "extra C flags", bb->c_args, bc->c_args)))
		return sb_errf(err, SB_E_NOMEM, "compare: out of memory");
	return 0;
}
