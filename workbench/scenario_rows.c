/* scenario_rows.c — the rows a scenario's step list yields in a report
 * (scenario.h, "Rows"): one per label, except calls, split by where they
 * run (first after a create, first after a restore, steady), and
 * restores, split by path (same snapshot, other snapshot), and with a
 * pool (option pool) creates (pooled, fresh) and destroys (pooled, not
 * pooled): both rows here, the runner drops the one never taken.
 *
 * Which call rows occur is known from the list alone: the runner's state
 * ("the next call is the first after a create / a restore / neither")
 * changes only at create, restore and call steps, and a list has no
 * branches. The walk below follows that state as a set of possibilities;
 * a repeat's body is walked again from the union of its entry and exit
 * states until nothing new appears. The result is exact: a body's exit
 * state depends only on its last create, restore or call (or is its entry
 * state when it has none), so a third pass adds nothing a second did not.
 * Which restore path occurs is known at run time only (the snapshot the
 * sandbox runs from): a restore step has both rows here; the runner drops
 * the one never taken.
 *
 * Also here: the STEP of an expectation resolved against the rows, the
 * labels and the kinds of the step list (grammar: scenario.h).
 * A call a cancel step cancels has no row of its own: its time is the
 * cancel step's row. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host_fns.h"
#include "scenario.h"

#define BIT(v) (1u << (v))

struct label_acc {
	const char *label;
	enum scenario_step_kind kind;
	unsigned mask; /* BIT(variant) of each row */
};

struct acc {
	struct label_acc *labels;
	size_t n, cap;
	bool oom;
	bool pooled; /* option pool: create and destroy rows split */
};

static struct label_acc *find(struct acc *a, const char *label)
{
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->labels[i].label, label) == 0)
			return &a->labels[i];
	return NULL;
}

/* The labels in first-use order (repeat blocks have no row). */
static void collect(struct acc *a, const struct scenario_step *steps, size_t n)
{
	for (size_t i = 0; i < n && !a->oom; i++) {
		const struct scenario_step *s = &steps[i];
		if (s->kind == SCENARIO_STEP_REPEAT) {
			collect(a, s->as.repeat.steps, s->as.repeat.n);
			continue;
		}
		if (find(a, s->label))
			continue;
		if (a->n == a->cap) {
			size_t cap = a->cap ? 2 * a->cap : 16;
			struct label_acc *p = realloc(a->labels, cap * sizeof *p);
			if (!p) {
				a->oom = true;
				return;
			}
			a->labels = p;
			a->cap = cap;
		}
		unsigned mask = s->kind == SCENARIO_STEP_RESTORE
					? BIT(SCENARIO_VARIANT_SAME_SNAPSHOT) |
						  BIT(SCENARIO_VARIANT_OTHER_SNAPSHOT)
				: s->kind == SCENARIO_STEP_CALL ? 0 /* from the walk */
				: a->pooled && s->kind == SCENARIO_STEP_CREATE
					? BIT(SCENARIO_VARIANT_POOLED) | BIT(SCENARIO_VARIANT_FRESH)
				: a->pooled && s->kind == SCENARIO_STEP_DESTROY
					? BIT(SCENARIO_VARIANT_POOLED) | BIT(SCENARIO_VARIANT_NOT_POOLED)
					: BIT(SCENARIO_VARIANT_NONE);
		a->labels[a->n++] = (struct label_acc){ s->label, s->kind, mask };
	}
}

/* Walk steps from the set of states `in`; mark the call rows; return the
 * set of states after the last step. */
static unsigned walk(struct acc *a, const struct scenario_step *steps, size_t n, unsigned in)
{
	unsigned st = in;
	bool cancelled = false; /* the call after a cancel step (the parser keeps them together) */
	for (size_t i = 0; i < n; i++) {
		const struct scenario_step *s = &steps[i];
		switch (s->kind) {
		case SCENARIO_STEP_CREATE: st = BIT(SCENARIO_VARIANT_FIRST_AFTER_CREATE); break;
		case SCENARIO_STEP_RESTORE: st = BIT(SCENARIO_VARIANT_FIRST_AFTER_RESTORE); break;
		case SCENARIO_STEP_CANCEL: cancelled = true; break;
		case SCENARIO_STEP_CALL: {
			/* a cancelled call is timed into its cancel step's row */
			struct label_acc *l = cancelled ? NULL : find(a, s->label);
			if (l)
				l->mask |= st;
			cancelled = false;
			st = BIT(SCENARIO_VARIANT_STEADY);
			break;
		}
		case SCENARIO_STEP_REPEAT: {
			unsigned entry = st, out = walk(a, s->as.repeat.steps, s->as.repeat.n, entry);
			while (s->as.repeat.count > 1 && (entry | out) != entry) {
				entry |= out;
				out = walk(a, s->as.repeat.steps, s->as.repeat.n, entry);
			}
			st = out;
			break;
		}
		default: break;
		}
	}
	return st;
}

int scenario_rows(const struct scenario *sc, struct scenario_row **rows, size_t *n,
		  struct sb_err *err)
{
	struct acc a = { .pooled = sc->cfg.pool > 0 };
	*rows = NULL;
	*n = 0;
	collect(&a, sc->steps, sc->n_steps);
	if (!a.oom)
		walk(&a, sc->steps, sc->n_steps, BIT(SCENARIO_VARIANT_STEADY));
	size_t total = 0;
	for (size_t i = 0; i < a.n; i++)
		total += (size_t)__builtin_popcount(a.labels[i].mask);
	struct scenario_row *out = a.oom ? NULL : calloc(total ? total : 1, sizeof *out);
	if (!out) {
		free(a.labels);
		return sb_errf(err, SB_E_NOMEM, "out of memory listing the rows of [%s]", sc->section);
	}
	for (size_t i = 0; i < a.n; i++)
		for (unsigned v = 0; v < SCENARIO_VARIANT__COUNT; v++)
			if (a.labels[i].mask & BIT(v))
				out[(*n)++] = (struct scenario_row){ a.labels[i].label, a.labels[i].kind,
								     (enum scenario_variant)v };
	free(a.labels);
	*rows = out;
	return 0;
}

/* ---- expectations: what their STEP names ------------------------------------------ */

static bool label_used(const struct scenario_step *steps, size_t n, const char *label,
		       bool kind, enum scenario_step_kind *found_kind)
{
	for (size_t i = 0; i < n; i++) {
		const struct scenario_step *s = &steps[i];
		if (strcmp(kind ? scenario_step_kind_name(s->kind) : s->label, label) == 0) {
			*found_kind = s->kind;
			return true;
		}
		if (s->kind == SCENARIO_STEP_REPEAT &&
		    label_used(s->as.repeat.steps, s->as.repeat.n, label, kind, found_kind))
			return true;
	}
	return false;
}

/* Whether a row of variant v of label `label` (NULL: of any step of kind
 * k) is among the rows. */
static bool row_reached(const struct scenario_row *rows, size_t n, const char *label,
			enum scenario_step_kind k, enum scenario_variant v)
{
	for (size_t i = 0; i < n; i++)
		if (rows[i].variant == v &&
		    (label ? strcmp(rows[i].label, label) == 0 : rows[i].kind == k))
			return true;
	return false;
}

/* "STEP" of an expectation: a row name, a label (every row of it), a kind,
 * or a kind with a row suffix. Sets e->step (without the suffix),
 * step_is_kind, variant and *k. */
static int resolve_step(const struct scenario *sc, struct scenario_expect *e,
			const struct scenario_row *rows, size_t n, enum scenario_step_kind *k,
			struct sb_err *err)
{
	char name[SCENARIO_ROW_NAME_MAX + 1];
	for (size_t i = 0; i < n; i++) {
		if (rows[i].variant == SCENARIO_VARIANT_NONE)
			continue;
		scenario_row_name(name, sizeof name, rows[i].label, rows[i].variant);
		if (strcmp(name, e->step) == 0) {
			char *label = strdup(rows[i].label);
			if (!label)
				return sb_errf(err, SB_E_NOMEM, "out of memory");
			free(e->step);
			e->step = label;
			e->variant = rows[i].variant;
			*k = rows[i].kind;
			return 0;
		}
	}
	if (label_used(sc->steps, sc->n_steps, e->step, false, k))
		return 0;
	if (label_used(sc->steps, sc->n_steps, e->step, true, k)) {
		e->step_is_kind = true;
		return 0;
	}
	/* the rows of the built-in host functions (runner.h, "Host calls") */
	for (unsigned i = 0; sc->cfg.host_functions && i <= HOST_FN__COUNT; i++) {
		char name[32];
		snprintf(name, sizeof name, i < HOST_FN__COUNT ? "host call %s" : "host call",
			 host_fn_name((enum host_fn_id)i));
		if (strcmp(name, e->step) == 0) {
			*k = SCENARIO_STEP_HOST_CALL;
			e->step_is_kind = i == HOST_FN__COUNT;
			return 0;
		}
	}
	/* the pool's scrubs (option pool; runner_pool.c) */
	if (sc->cfg.pool && strcmp(e->step, "pool scrub") == 0) {
		*k = SCENARIO_STEP_POOL_SCRUB;
		return 0;
	}
	/* STEP (VARIANT): a kind with a row suffix, or a row no step reaches */
	size_t len = strlen(e->step);
	const char *open = strrchr(e->step, '(');
	enum scenario_variant v = SCENARIO_VARIANT__COUNT;
	if (len > 3 && e->step[len - 1] == ')' && open && open > e->step + 1 && open[-1] == ' ')
		v = scenario_variant_find(open + 1, (size_t)(e->step + len - 1 - (open + 1)));
	if (v == SCENARIO_VARIANT__COUNT)
		return sb_errf(err, SB_E_INVAL,
			       "expect: no step labelled '%s' and no step of that kind", e->step);
	char *base = strndup(e->step, (size_t)(open - 1 - e->step));
	if (!base)
		return sb_errf(err, SB_E_NOMEM, "out of memory");
	bool is_label = label_used(sc->steps, sc->n_steps, base, false, k);
	bool is_kind = !is_label && label_used(sc->steps, sc->n_steps, base, true, k);
	int rc = 0;
	if (!is_label && !is_kind)
		rc = sb_errf(err, SB_E_INVAL,
			     "expect: no step labelled '%s' and no step of that kind", base);
	else if (!scenario_variant_of_kind(*k, v))
		rc = sb_errf(err, SB_E_INVAL, "expect: '%s': %s steps have no '%s' row (%s)",
			     e->step, scenario_step_kind_name(*k), scenario_variant_name(v),
			     *k == SCENARIO_STEP_CALL
				     ? "calls: first after create, first after restore, steady"
			     : *k == SCENARIO_STEP_RESTORE ? "restores: same snapshot, other snapshot"
							   : "one row: name it without a suffix");
	else if (!row_reached(rows, n, is_label ? base : NULL, *k, v))
		rc = sb_errf(err, SB_E_INVAL, "expect: '%s': no call %s%s%sruns %s in this step list",
			     e->step, is_label ? "labelled '" : "", is_label ? base : "",
			     is_label ? "' " : "",
			     v == SCENARIO_VARIANT_STEADY ? "as a steady call (after another call)"
			     : v == SCENARIO_VARIANT_FIRST_AFTER_CREATE ? "first after a create"
									  : "first after a restore");
	if (rc) {
		free(base);
		return rc;
	}
	free(e->step);
	e->step = base;
	e->step_is_kind = is_kind;
	e->variant = v;
	return 0;
}

int scenario_resolve_expects(struct scenario *sc, unsigned *line, struct sb_err *err)
{
	struct scenario_row *rows;
	size_t n;
	*line = sc->line;
	if (scenario_rows(sc, &rows, &n, err))
		return -1;
	int rc = 0;
	for (size_t i = 0; i < sc->n_expects && rc == 0; i++) {
		struct scenario_expect *e = &sc->expects[i];
		enum scenario_step_kind k = SCENARIO_STEP__COUNT;
		*line = e->line;
		if ((rc = resolve_step(sc, e, rows, n, &k, err)))
			break;
		/* measured around calls (restores) only: on another step the
		 * expectation would compare a constant 0 and always pass */
		if ((e->metric == SCENARIO_METRIC_EXITS || e->metric == SCENARIO_METRIC_SCRATCH_PAGES ||
		     e->metric == SCENARIO_METRIC_COW_FAULTS) &&
		    k != SCENARIO_STEP_CALL)
			rc = sb_errf(err, SB_E_INVAL,
				     "expect: %s are counted for call steps only, not '%s'",
				     scenario_metric_name(e->metric), e->step);
		if ((e->metric == SCENARIO_METRIC_FULL_RESTORES ||
		     e->metric == SCENARIO_METRIC_PAGES_RESET ||
		     e->metric == SCENARIO_METRIC_BYTES_COPIED ||
		     e->metric == SCENARIO_METRIC_PAGES_RETAINED) &&
		    k != SCENARIO_STEP_RESTORE)
			rc = sb_errf(err, SB_E_INVAL,
				     "expect: %s are counted for restore steps only, not '%s'",
				     scenario_metric_name(e->metric), e->step);
	}
	free(rows);
	return rc;
}
