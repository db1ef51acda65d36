/* scenario_strategy.c — restore strategies of scenarios (scenario.h,
 * "Restore strategies"): the packed list of option restore_strategy, and
 * one scenario per strategy of a list, named "NAME [STRATEGY]". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"

_Static_assert(SANDBOX_RESTORE__COUNT <= 15, "a packed list holds 4-bit values + 1");

size_t scenario_strategies(uint64_t packed, enum sandbox_restore_strategy *out, size_t cap)
{
	size_t n = 0;
	for (; packed & 0xf; packed >>= 4, n++)
		if (n < cap)
			out[n] = (enum sandbox_restore_strategy)((packed & 0xf) - 1);
	return n;
}

uint64_t scenario_strategies_pack(const enum sandbox_restore_strategy *s, size_t n)
{
	uint64_t packed = 0;
	for (size_t i = n; i-- > 0;)
		packed = packed << 4 | ((uint64_t)s[i] + 1);
	return packed;
}

enum sandbox_restore_strategy scenario_strategy(const struct scenario *sc)
{
	enum sandbox_restore_strategy s = SANDBOX_RESTORE_DEFAULT;
	scenario_strategies(sc->cfg.restore_strategies, &s, 1);
	return s;
}

int scenario_strategies_parse(const char *text, uint64_t *packed, struct sb_err *err)
{
	return scenario_opt_parse(scenario_option_find("restore_strategy"), text, packed, NULL, err);
}

/* "SECTION [STRATEGY]" when the section runs under several, else SECTION. */
static int name_run(struct scenario *sc, enum sandbox_restore_strategy s, size_t n_strategies)
{
	char *name;
	int rc = n_strategies > 1
			 ? asprintf(&name, "%s [%s]", sc->section, sandbox_restore_strategy_name(s))
			 : asprintf(&name, "%s", sc->section);
	if (rc < 0)
		return -1;
	free(sc->name);
	sc->name = name;
	sc->cfg.restore_strategies = scenario_strategies_pack(&s, 1);
	return 0;
}

static int room(struct scenario **items, size_t *cap, size_t need)
{
	if (need <= *cap)
		return 0;
	size_t c = *cap ? *cap : 8;
	while (c < need)
		c *= 2;
	struct scenario *p = realloc(*items, c * sizeof *p);
	if (!p)
		return -1;
	*items = p;
	*cap = c;
	return 0;
}

/* Append to items[*n] one scenario per strategy of `list`, made from the
 * group g[0..ng) (one section: a scenario and its copies for other
 * strategies): a member that runs the strategy already is moved, the
 * others are copied from g[0]. Members not moved are cleared; the group
 * is consumed either way. */
static int add_group(struct scenario **items, size_t *n, size_t *cap, struct scenario *g, size_t ng,
		     uint64_t list)
{
	enum sandbox_restore_strategy want[SANDBOX_RESTORE__COUNT];
	size_t nw = scenario_strategies(list, want, SANDBOX_RESTORE__COUNT);
	bool *used = calloc(ng, sizeof *used);
	int rc = used && nw && !room(items, cap, *n + nw) ? 0 : -1;
	size_t first = *n;
	for (size_t k = 0; rc == 0 && k < nw; k++) {
		size_t m = 0;
		while (m < ng && (used[m] || scenario_strategy(&g[m]) != want[k]))
			m++;
		struct scenario *d = &(*items)[*n];
		if (m < ng) {
			*d = g[m]; /* moved: g[m] is not touched again */
			used[m] = true;
		} else if (scenario_copy(d, &g[0])) {
			rc = -1;
			break;
		}
		(*n)++;
	}
	/* named after every copy is made: a moved g[0] shares its name */
	for (size_t k = 0; rc == 0 && k < nw; k++)
		rc = name_run(&(*items)[first + k], want[k], nw);
	for (size_t m = 0; m < ng; m++)
		if (!used || !used[m])
			scenario_clear(&g[m]);
	free(used);
	return rc;
}

int scenario_set_add_expanded(struct scenario_set *set, size_t *cap, struct scenario *sc,
			      struct sb_err *err)
{
	int rc = add_group(&set->items, &set->n, cap, sc, 1, sc->cfg.restore_strategies);
	free(sc);
	if (rc)
		return sb_errf(err, SB_E_NOMEM, "out of memory");
	return 0;
}

static bool same_section(const struct scenario *a, const struct scenario *b)
{
	return a->line == b->line && strcmp(a->section, b->section) == 0 &&
	       strcmp(a->file, b->file) == 0;
}

int scenario_set_restore_strategies(struct scenario_set *set, uint64_t packed, struct sb_err *err)
{
	const struct scenario_option *o = scenario_option_find("restore_strategy");
	size_t n_opts, idx = (size_t)(o - scenario_options(&n_opts));
	struct scenario *old = set->items;
	size_t n_old = set->n, cap = 0, i = 0;
	/* On failure the new array holds every scenario still (whole: the
	 * ones of the failed group are copies or cleared, see add_group). */
	set->items = NULL;
	set->n = 0;
	int rc = 0;
	while (i < n_old) {
		size_t ng = 1;
		while (i + ng < n_old && same_section(&old[i], &old[i + ng]))
			ng++;
		for (size_t k = 0; k < ng; k++) {
			old[i + k].set_line[idx] = 0; /* the command line set it */
			old[i + k].set_in_section[idx] = false;
		}
		if (rc == 0)
			rc = add_group(&set->items, &set->n, &cap, &old[i], ng, packed);
		else
			for (size_t k = 0; k < ng; k++)
				scenario_clear(&old[i + k]);
		i += ng;
	}
	free(old);
	if (rc)
		return sb_errf(err, SB_E_NOMEM, "out of memory running the scenarios per strategy");
	return 0;
}
