/* scenario_expect.c — expectations: "STEP.METRIC OP VALUE", the oracle a
 * regression scenario carries, and the rows (variants) a STEP may name.
 * Grammar: scenario.h. */
#include "scenario.h"

#include <ctype.h>
#include <stdio.h>
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "units.h"

/* ---- rows: the variants of a step ------------------------------------------------------- */

static const char *const variant_names[SCENARIO_VARIANT__COUNT] = {
	[SCENARIO_VARIANT_NONE] = "",
	[SCENARIO_VARIANT_FIRST_AFTER_CREATE] = "first after create",
	[SCENARIO_VARIANT_FIRST_AFTER_RESTORE] = "first after restore",
	[SCENARIO_VARIANT_STEADY] = "steady",
	[SCENARIO_VARIANT_SAME_SNAPSHOT] = "same snapshot",
	[SCENARIO_VARIANT_OTHER_SNAPSHOT] = "other snapshot",
	[SCENARIO_VARIANT_POOLED] = "pooled",
	[SCENARIO_VARIANT_FRESH] = "fresh",
	[SCENARIO_VARIANT_NOT_POOLED] = "not pooled",
};

const char *scenario_variant_name(enum scenario_variant v)
{
	return (unsigned)v < SCENARIO_VARIANT__COUNT ? variant_names[v] : "?";
}

enum scenario_variant scenario_variant_find(const char *name, size_t len)
{
	for (unsigned v = SCENARIO_VARIANT_NONE + 1; v < SCENARIO_VARIANT__COUNT; v++)
		if (strlen(variant_names[v]) == len && strncmp(name, variant_names[v], len) == 0)
			return (enum scenario_variant)v;
	return SCENARIO_VARIANT__COUNT;
}

bool scenario_variant_of_kind(enum scenario_step_kind k, enum scenario_variant v)
{
	switch (k) {
	case SCENARIO_STEP_CALL:
		return v == SCENARIO_VARIANT_FIRST_AFTER_CREATE ||
		       v == SCENARIO_VARIANT_FIRST_AFTER_RESTORE || v == SCENARIO_VARIANT_STEADY;
	case SCENARIO_STEP_RESTORE:
		return v == SCENARIO_VARIANT_SAME_SNAPSHOT || v == SCENARIO_VARIANT_OTHER_SNAPSHOT;
	/* without a pool: NONE; with one (option pool): split */
	case SCENARIO_STEP_CREATE:
		return v == SCENARIO_VARIANT_NONE || v == SCENARIO_VARIANT_POOLED ||
		       v == SCENARIO_VARIANT_FRESH;
	case SCENARIO_STEP_DESTROY:
		return v == SCENARIO_VARIANT_NONE || v == SCENARIO_VARIANT_POOLED ||
		       v == SCENARIO_VARIANT_NOT_POOLED;
	default: return v == SCENARIO_VARIANT_NONE;
	}
}

int scenario_row_name(char *buf, size_t bytes, const char *label, enum scenario_variant v)
{
	if (v == SCENARIO_VARIANT_NONE)
		return snprintf(buf, bytes, "%s", label);
	return snprintf(buf, bytes, "%s (%s)", label, scenario_variant_name(v));
}

/* ---- expectations ---------------------------------------------------------------------- */

static const char *const metric_names[SCENARIO_METRIC__COUNT] = {
	[SCENARIO_METRIC_COUNT] = "count",	   [SCENARIO_METRIC_MIN] = "min",
	[SCENARIO_METRIC_MAX] = "max",		   [SCENARIO_METRIC_MEAN] = "mean",
	[SCENARIO_METRIC_P50] = "p50",		   [SCENARIO_METRIC_P90] = "p90",
	[SCENARIO_METRIC_P99] = "p99",		   [SCENARIO_METRIC_P99_9] = "p99.9",
	[SCENARIO_METRIC_P99_99] = "p99.99",	   [SCENARIO_METRIC_SCRATCH_PAGES] = "scratch_pages",
	[SCENARIO_METRIC_EXITS] = "exits",	   [SCENARIO_METRIC_FULL_RESTORES] = "full_restores",
	[SCENARIO_METRIC_PAGES_RESET] = "pages_reset", [SCENARIO_METRIC_COW_FAULTS] = "cow_faults",
	[SCENARIO_METRIC_BYTES_COPIED] = "bytes_copied",
	[SCENARIO_METRIC_PAGES_RETAINED] = "pages_retained",
	[SCENARIO_METRIC_ERRORS] = "errors",
};

const char *scenario_metric_name(enum scenario_metric m)
{
	return (unsigned)m < SCENARIO_METRIC__COUNT ? metric_names[m] : "?";
}

bool scenario_metric_is_time(enum scenario_metric m)
{
	return m >= SCENARIO_METRIC_MIN && m <= SCENARIO_METRIC_P99_99;
}

static const char *const cmp_names[] = {
	[SCENARIO_CMP_LT] = "<",  [SCENARIO_CMP_LE] = "<=", [SCENARIO_CMP_GT] = ">",
	[SCENARIO_CMP_GE] = ">=", [SCENARIO_CMP_EQ] = "==",
};

const char *scenario_cmp_name(enum scenario_cmp c)
{
	return (unsigned)c <= SCENARIO_CMP_EQ ? cmp_names[c] : "?";
}

bool scenario_cmp_eval(enum scenario_cmp c, double got, double want)
{
	switch (c) {
	case SCENARIO_CMP_LT: return got < want;
	case SCENARIO_CMP_LE: return got <= want;
	case SCENARIO_CMP_GT: return got > want;
	case SCENARIO_CMP_GE: return got >= want;
	case SCENARIO_CMP_EQ: return got == want;
	}
	return false;
}

void scenario_expect_free(struct scenario_expect *e)
{
	free(e->text);
	free(e->step);
	memset(e, 0, sizeof *e);
}

static char *trim_dup(const char *s, size_t n)
{
	while (n && isspace((unsigned char)*s))
		s++, n--;
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	return strndup(s, n);
}

int scenario_expect_parse(const char *text, struct scenario_expect *out, struct sb_err *err)
{
	memset(out, 0, sizeof *out);
	const char *op = strpbrk(text, "<>=!");
	if (!op)
		return sb_errf(err, SB_E_INVAL,
			       "'%s' has no comparison (want STEP.METRIC OP VALUE, OP one of < <= > "
			       ">= ==)",
			       text);
	size_t oplen = (op[1] == '=') ? 2 : 1;
	bool ok = false;
	for (unsigned c = 0; c <= SCENARIO_CMP_EQ; c++) {
		if (strlen(cmp_names[c]) == oplen && strncmp(op, cmp_names[c], oplen) == 0) {
			out->op = (enum scenario_cmp)c;
			ok = true;
		}
	}
	if (!ok)
		return sb_errf(err, SB_E_INVAL, "unknown comparison '%.*s' (want < <= > >= ==)",
			       (int)oplen, op);
	char *lhs = trim_dup(text, (size_t)(op - text));
	char *rhs = trim_dup(op + oplen, strlen(op + oplen));
	int rc = -1;
	if (!lhs || !rhs) {
		sb_errf(err, SB_E_NOMEM, "out of memory");
		goto out;
	}
	size_t best = 0, ll = strlen(lhs);
	for (unsigned m = 0; m < SCENARIO_METRIC__COUNT; m++) {
		size_t ml = strlen(metric_names[m]);
		if (ll > ml + 1 && ml > best && lhs[ll - ml - 1] == '.' &&
		    strcmp(lhs + ll - ml, metric_names[m]) == 0) {
			best = ml;
			out->metric = (enum scenario_metric)m;
		}
	}
	if (!best) {
		sb_errf(err, SB_E_INVAL,
			"'%s' is not STEP.METRIC (METRIC one of count min max mean p50 p90 p99 "
			"p99.9 p99.99 scratch_pages exits cow_faults full_restores pages_reset "
			"bytes_copied pages_retained errors)",
			lhs);
		goto out;
	}
	out->step = trim_dup(lhs, ll - best - 1);
	if (!out->step) {
		sb_errf(err, SB_E_NOMEM, "out of memory");
		goto out;
	}
	if (!*out->step) {
		sb_errf(err, SB_E_INVAL, "'%s' names no step", lhs);
		goto out;
	}
	struct sb_err verr;
	if (scenario_metric_is_time(out->metric)) {
		if (scenario_parse_time(rhs, &out->value, &verr)) {
			sb_errf(err, verr.code, "%s: %s", metric_names[out->metric], verr.msg);
			goto out;
		}
	} else {
		char *end;
		errno = 0;
		unsigned long long v = strtoull(rhs, &end, 10);
		if (!isdigit((unsigned char)rhs[0]) || *end || errno) {
			sb_errf(err, SB_E_INVAL, "%s: '%s' is not a whole number (no unit)",
				metric_names[out->metric], rhs);
			goto out;
		}
		out->value = v;
	}
	if (!(out->text = strdup(text))) {
		sb_errf(err, SB_E_NOMEM, "out of memory");
		goto out;
	}
	rc = 0;
out:
	free(lhs);
	free(rhs);
	if (rc)
		scenario_expect_free(out);
	return rc;
}
