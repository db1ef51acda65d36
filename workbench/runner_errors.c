/* runner_errors.c — failed executions: counting them (the first message
 * kept per row), printing each distinct failure once when the scenario
 * ends, and failing the scenario for calls that failed unless it allows
 * them (runner.h, "Failed calls"). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner_internal.h"

void runner_note_error(struct step_stats *st, const char *msg, unsigned line)
{
	st->errors++;
	if (st->first_error[0])
		return;
	snprintf(st->first_error, sizeof st->first_error, "%s",
		 msg && msg[0] ? msg : "(no message)");
	st->first_error_line = line;
}

bool runner_expect_names_row(const struct scenario_expect *e, const struct step_stats *s)
{
	bool match = e->step_is_kind ? strcmp(scenario_step_kind_name(s->kind), e->step) == 0
				     : strcmp(s->step, e->step) == 0;
	return match && (e->variant == SCENARIO_VARIANT_NONE || s->variant == e->variant);
}

/* The row's failures are expected: allow_errors, or an expectation on
 * errors names the row (and judges them). */
static bool allowed(const struct scenario *sc, const struct step_stats *s)
{
	if (sc->cfg.allow_errors)
		return true;
	for (size_t i = 0; i < sc->n_expects; i++)
		if (sc->expects[i].metric == SCENARIO_METRIC_ERRORS &&
		    runner_expect_names_row(&sc->expects[i], s))
			return true;
	return false;
}

/* The same failure: the same step label and the same first message. */
static bool same_failure(const struct step_stats *a, const struct step_stats *b)
{
	return strcmp(a->step, b->step) == 0 && strcmp(a->first_error, b->first_error) == 0;
}

/* A call's message starts "NAME: " (sandbox_call): the function's name
 * into `name`, and the rest. */
static const char *message_after_name(const char *msg, char *name, size_t cap)
{
	const char *colon = strstr(msg, ": ");
	name[0] = '\0';
	if (!colon || (size_t)(colon - msg) >= cap || strchr(msg, ' ') < colon)
		return msg;
	memcpy(name, msg, (size_t)(colon - msg));
	name[colon - msg] = '\0';
	return colon + 2;
}

/* One line per distinct failure, the rows of one step with one message
 * together (a call in a repeat has a first and a steady row):
 *   x.ini:12: [s] step 'call ad': call 'ad' failed 18 times: guest function ...
 * Returns the failures not allowed. */
static uint64_t print_failures(const struct scenario *sc, const struct scenario_result *r, FILE *to,
			       size_t *first_bad)
{
	uint64_t bad = 0;
	*first_bad = SIZE_MAX;
	for (size_t i = 0; i < r->n_steps; i++) {
		const struct step_stats *s = &r->steps[i];
		if (!s->errors)
			continue;
		bool ok = allowed(sc, s);
		if (!ok) {
			bad += s->errors;
			if (*first_bad == SIZE_MAX)
				*first_bad = i;
		}
		bool seen = false;
		for (size_t k = 0; k < i && !seen; k++)
			seen = r->steps[k].errors && same_failure(&r->steps[k], s);
		if (seen || !to)
			continue;
		uint64_t n = 0;
		bool all_ok = true;
		for (size_t k = i; k < r->n_steps; k++) {
			if (r->steps[k].errors && same_failure(&r->steps[k], s)) {
				n += r->steps[k].errors;
				all_ok &= allowed(sc, &r->steps[k]);
			}
		}
		char name[SCENARIO_LABEL_MAX + 1] = "";
		const char *msg = s->kind == SCENARIO_STEP_CALL
					  ? message_after_name(s->first_error, name, sizeof name)
					  : s->first_error;
		char what[SCENARIO_LABEL_MAX + 16];
		if (s->kind == SCENARIO_STEP_CALL && name[0])
			snprintf(what, sizeof what, "call '%s'", name);
		else
			snprintf(what, sizeof what, "%s", scenario_step_kind_name(s->kind));
		fprintf(to, "%s:%u: [%s] step '%s': %s failed %" PRIu64 " time%s: %s%s\n", sc->file,
			s->first_error_line, sc->name, s->step, what, n, n == 1 ? "" : "s", msg,
			r->failed || r->stopped ? ""
			: all_ok ? " (allowed)"
				 : "");
	}
	if (to)
		fflush(to);
	return bad;
}

void runner_report_errors(const struct scenario *sc, struct scenario_result *r, FILE *to)
{
	size_t first;
	uint64_t bad = print_failures(sc, r, to, &first);
	/* a run that stopped early says so already (failed, stopped) */
	if (!bad || r->failed || r->stopped)
		return;
	struct expect_result *x = realloc(r->expects, (r->n_expects + 1) * sizeof *x);
	if (!x) {
		r->failed = true;
		snprintf(r->error, sizeof r->error, "%" PRIu64 " executions failed", bad);
		return;
	}
	r->expects = x;
	x = &r->expects[r->n_expects++];
	memset(x, 0, sizeof *x);
	snprintf(x->text, sizeof x->text, "%s", RESULTS_NO_ERRORS_EXPECT);
	x->passed = false;
	x->got = (double)bad;
	const struct step_stats *s = &r->steps[first];
	char why[1024]; /* cut to fit below */
	snprintf(why, sizeof why,
		 "%" PRIu64 " execution%s failed (allow with allow_errors = true or STEP.errors); "
		 "first: %s:%u: step '%s': %s",
		 bad, bad == 1 ? "" : "s", sc->file, s->first_error_line, s->step, s->first_error);
	snprintf(x->why, sizeof x->why, "%.*s", (int)sizeof x->why - 1, why);
}
