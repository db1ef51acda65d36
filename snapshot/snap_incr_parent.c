/* snap_incr_parent.c — what an incremental snapshot needs to know of its
 * parent's structure, built once per parent and kept with it: which table
 * points at which, and how many leaves map each image page. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snap_incr_internal.h"

/* ---- P's structure: which table points at which ------------------------ */

static uint32_t *build_tail_parents(const struct snapshot *s)
{
	const struct layout *l = &s->layout;
	uint64_t n = layout_pt_bytes(l) / SB_PAGE_SIZE;
	gpa_t base = layout_pt_base_gpa(l);
	const uint64_t *tail = (const uint64_t *)snap_pt_tail(s);
	uint32_t *par = malloc((n ? n : 1) * sizeof *par);
	uint8_t *level = calloc(n ? n : 1, 1);
	uint32_t *stack = malloc((n ? n : 1) * sizeof *stack);
	if (!par || !level || !stack || n >= TP_ROOT) {
		free(par);
		par = NULL;
		goto out;
	}
	for (uint64_t i = 0; i < n; i++)
		par[i] = TP_NONE;
	size_t top = 0;
	for (unsigned r = 0; r < s->nroots; r++) {
		uint64_t t = (s->roots[r] - base) / SB_PAGE_SIZE;
		if (s->roots[r] < base || t >= n)
			continue;
		par[t] = par[t] == TP_NONE ? TP_ROOT : TP_MULTI;
		if (!level[t]) {
			level[t] = 4;
			stack[top++] = (uint32_t)t;
		}
	}
	while (top) {
		uint32_t t = stack[--top];
		if (level[t] == 1)
			continue;
		for (unsigned i = 0; i < 512; i++) {
			uint64_t e = tail[t * 512 + i];
			if (!(e & PT_P) || (e & PT_PS))
				continue;
			gpa_t c_gpa = e & PT_X86_64_ADDR_MASK;
			uint64_t c = (c_gpa - base) / SB_PAGE_SIZE;
			if (c_gpa < base || c >= n)
				continue;
			if (par[c] == TP_NONE)
				par[c] = t;
			else if (par[c] != t)
				par[c] = TP_MULTI;
			if (!level[c]) {
				level[c] = (uint8_t)(level[t] - 1);
				stack[top++] = (uint32_t)c; /* each table pushed once: top < n */
			} else if (level[c] != level[t] - 1) {
				par[c] = TP_MULTI;
			}
		}
	}
out:
	free(level);
	free(stack);
	return par;
}

const uint32_t *snap_incr_tail_parents(struct snapshot *s)
{
	uint32_t *p = __atomic_load_n(&s->tail_parents, __ATOMIC_ACQUIRE);
	if (p)
		return p;
	p = build_tail_parents(s);
	uint32_t *none = NULL;
	if (p && !__atomic_compare_exchange_n(&s->tail_parents, &none, p, false, __ATOMIC_ACQ_REL,
					      __ATOMIC_ACQUIRE)) {
		free(p);
		return none;
	}
	return p;
}

/* How many leaves of P's tail map each guest-visible image page. Leaves
 * are level-1 entries (the full snapshot rebuilds large pages; a child
 * never keeps one it walked); a table reached twice makes the counts
 * unknown (NULL). */
static uint16_t *build_page_refs(const struct snapshot *s)
{
	const struct layout *l = &s->layout;
	uint64_t n = layout_pt_bytes(l) / SB_PAGE_SIZE, npages = layout_snapshot_bytes(l) / SB_PAGE_SIZE;
	gpa_t base = layout_pt_base_gpa(l), end = SB_BASE_ADDRESS + npages * SB_PAGE_SIZE;
	const uint64_t *tail = (const uint64_t *)snap_pt_tail(s);
	uint16_t *refs = calloc(npages ? npages : 1, sizeof *refs);
	uint8_t *level = calloc(n ? n : 1, 1);
	uint32_t *stack = malloc((n ? n : 1) * sizeof *stack);
	size_t top = 0;
	bool ok = refs && level && stack;
	for (unsigned r = 0; ok && r < s->nroots; r++) {
		uint64_t t = (s->roots[r] - base) / SB_PAGE_SIZE;
		if (s->roots[r] < base || t >= n || level[t]) {
			ok = false;
			break;
		}
		level[t] = 4;
		stack[top++] = (uint32_t)t;
	}
	while (ok && top) {
		uint32_t t = stack[--top];
		for (unsigned i = 0; ok && i < 512; i++) {
			uint64_t e = tail[t * 512 + i];
			gpa_t g = e & PT_X86_64_ADDR_MASK;
			if (!(e & PT_P))
				continue;
			if (level[t] == 1) {
				uint64_t pg = (g - SB_BASE_ADDRESS) / SB_PAGE_SIZE;
				if (g >= SB_BASE_ADDRESS && g < end && refs[pg] != UINT16_MAX)
					refs[pg]++;
				continue;
			}
			uint64_t c = (g - base) / SB_PAGE_SIZE;
			if (e & PT_PS) {
				if (g < end)
					ok = false; /* a large page of the image: not counted */
				continue;
			}
			if (g < base || c >= n)
				continue; /* the window's own, outside the tail: not the image */
			if (level[c]) {
				ok = false; /* reached twice */
				continue;
			}
			level[c] = (uint8_t)(level[t] - 1);
			stack[top++] = (uint32_t)c; /* each table pushed once: top < n */
		}
	}
	free(level);
	free(stack);
	if (!ok) {
		free(refs);
		return NULL;
	}
	return refs;
}

const uint16_t *snap_incr_page_refs(struct snapshot *s)
{
	if (__atomic_load_n(&s->page_refs_unknown, __ATOMIC_ACQUIRE))
		return NULL;
	uint16_t *r = __atomic_load_n(&s->page_refs, __ATOMIC_ACQUIRE);
	if (r)
		return r;
	r = build_page_refs(s);
	if (!r) {
		__atomic_store_n(&s->page_refs_unknown, true, __ATOMIC_RELEASE);
		return NULL;
	}
	uint16_t *none = NULL;
	if (!__atomic_compare_exchange_n(&s->page_refs, &none, r, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE)) {
		free(r);
		return none;
	}
	return r;
}

/* The child's map, from P's: only the walked tables' edges can differ (a
 * table no walked table pointed at keeps its parents), so the tables P's
 * walked tables pointed at lose that parent and get the ones the walked
 * tables' new content gives. O(tables + walked tables' entries), where
 * building it afresh reads every entry of the tail. */
uint32_t *snap_incr_child_tail_parents(const uint32_t *par, uint64_t n, const uint64_t *done,
				    uint64_t *const *newtab, const uint8_t *level, gpa_t base)
{
	uint32_t *cp = malloc((n ? n : 1) * sizeof *cp);
	if (!cp)
		return NULL; /* built from the tail when needed */
	for (uint64_t t = 0; t < n; t++) {
		uint32_t up = par[t];
		bool walked_parent = up < n && (done[up / 64] >> (up % 64) & 1);
		cp[t] = walked_parent ? TP_NONE : up;
	}
	for (uint64_t t = 0; t < n; t++) {
		if (!newtab[t])
			continue;
		for (unsigned i = 0; i < 512; i++) {
			uint64_t e = newtab[t][i];
			gpa_t g = e & PT_X86_64_ADDR_MASK;
			uint64_t c = (g - base) / SB_PAGE_SIZE;
			/* level-1 tables hold leaves: their entries are no edges */
			if (!(e & PT_P) || (e & PT_PS) || g < base || c >= n || level[t] <= 1)
				continue;
			if (cp[c] == TP_NONE)
				cp[c] = (uint32_t)t;
			else if (cp[c] != t)
				cp[c] = TP_MULTI;
		}
	}
	return cp;
}
