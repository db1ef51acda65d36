/* pt_state.c — the page-table view's state: expansion, filter, cursor and
 * jump-to-VA, independent of curses (the golden tests drive it). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tui.h"

const char *pt_filter_name(enum pt_filter f)
{
	static const char *const names[] = { "all", "CoW", "writable", "executable" };
	return f < PT_FILTER__COUNT ? names[f] : "?";
}

uint64_t pt_filter_count(const struct pt_node *n, enum pt_filter f)
{
	switch (f) {
	case PT_FILTER_COW: return n->cow;
	case PT_FILTER_WRITABLE: return n->writable;
	case PT_FILTER_EXEC: return n->exec;
	default: return n->leaves;
	}
}

static int add_row(struct pt_state *st, int node)
{
	if (st->n_rows == st->cap_rows) {
		size_t cap = st->cap_rows ? 2 * st->cap_rows : 256;
		int *r = realloc(st->rows, cap * sizeof *r);
		if (!r)
			return -1;
		st->rows = r;
		st->cap_rows = cap;
	}
	st->rows[st->n_rows++] = node;
	return 0;
}

static int add_rows(struct pt_state *st, int first, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		const struct pt_node *node = &st->tree.nodes[first + (int)i];
		if (st->filter != PT_FILTER_ALL && !pt_filter_count(node, st->filter))
			continue;
		if (add_row(st, first + (int)i))
			return -1;
		if (node->expanded && node->first_child >= 0 &&
		    add_rows(st, node->first_child, node->n_children))
			return -1;
	}
	return 0;
}

/* Rebuild the visible rows, keeping the cursor on node `keep` if shown. */
static void refresh(struct pt_state *st, int keep)
{
	st->n_rows = 0;
	add_rows(st, 0, st->tree.n_top);
	st->cursor = 0;
	for (size_t i = 0; i < st->n_rows; i++)
		if (st->rows[i] == keep)
			st->cursor = (int)i;
	if (st->top > st->cursor)
		st->top = st->cursor;
}

int pt_state_init(struct pt_state *st, const struct tui_model *m)
{
	memset(st, 0, sizeof *st);
	st->nroots = m->snap && m->snap->nroots ? m->snap->nroots : 1;
	if (pt_tree_init(&st->tree, &m->pt.pt, m->pt_root))
		return -1;
	refresh(st, 0);
	return 0;
}

int pt_state_set_root(struct pt_state *st, const struct tui_model *m, unsigned i)
{
	if (i >= st->nroots || !m->snap || i >= m->snap->nroots)
		return -1;
	struct pt_tree t;
	if (pt_tree_init(&t, &m->pt.pt, m->snap->roots[i])) {
		snprintf(st->msg, sizeof st->msg, "root %u: out of memory", i);
		return -1;
	}
	pt_tree_free(&st->tree);
	st->tree = t;
	st->root = i;
	st->jumped = false;
	st->top = 0;
	st->msg[0] = '\0';
	refresh(st, 0);
	return 0;
}

void pt_state_free(struct pt_state *st)
{
	pt_tree_free(&st->tree);
	free(st->rows);
	memset(st, 0, sizeof *st);
}

static int cursor_node(const struct pt_state *st)
{
	return st->n_rows ? st->rows[st->cursor] : -1;
}

void pt_state_expand(struct pt_state *st, bool expand)
{
	int n = cursor_node(st);
	if (n < 0)
		return;
	struct pt_node *node = &st->tree.nodes[n];
	st->msg[0] = '\0';
	if (expand) {
		if (!pt_node_is_table(node) || pt_tree_load(&st->tree, n))
			return;
		st->tree.nodes[n].expanded = true;
	} else if (node->expanded) {
		node->expanded = false;
	} else if (node->parent >= 0) {
		/* collapse on a collapsed row: go to the parent and close it */
		n = node->parent;
		st->tree.nodes[n].expanded = false;
	}
	refresh(st, n);
}

void pt_state_set_filter(struct pt_state *st, enum pt_filter f)
{
	int keep = cursor_node(st);
	st->filter = f;
	refresh(st, keep);
}

void pt_state_move(struct pt_state *st, int delta, int page_rows)
{
	long c = (long)st->cursor + delta;
	if (c >= (long)st->n_rows)
		c = (long)st->n_rows - 1;
	if (c < 0)
		c = 0;
	st->cursor = (int)c;
	if (page_rows > 0) {
		if (st->cursor < st->top)
			st->top = st->cursor;
		if (st->cursor >= st->top + page_rows)
			st->top = st->cursor - page_rows + 1;
	}
}

static bool path_visit(void *arg, const struct pt_entry_info *e)
{
	struct pt_state *st = arg;
	if (st->path_len < PT_MAX_LEVELS)
		st->path[st->path_len++] = *e;
	return true;
}

int pt_state_jump(struct pt_state *st, gva_t va)
{
	struct pt_walk w;
	struct pt_mapping m;
	st->jumped = true;
	st->jump_va = va;
	st->path_len = 0;
	st->jump_mapped = false;
	st->msg[0] = '\0';
	enum pt_status s = pt_walk_begin_at(&w, st->tree.pt, st->tree.root, va, 1);
	if (s != PT_OK) {
		snprintf(st->msg, sizeof st->msg, "VA 0x%" PRIx64 ": %s", va, pt_strerror(s));
		return -1;
	}
	pt_walk_set_visitor(&w, path_visit, st);
	st->jump_mapped = pt_walk_next(&w, &m);
	/* Open the tree along the path (the filter is reset so the row shows). */
	st->filter = PT_FILTER_ALL;
	int first = 0, node = -1;
	unsigned n = st->tree.n_top;
	for (unsigned d = 0; d < st->path_len; d++) {
		int found = -1;
		for (unsigned i = 0; i < n; i++)
			if (st->tree.nodes[first + (int)i].e.index == st->path[d].index)
				found = first + (int)i;
		if (found < 0)
			break;
		node = found;
		if (d + 1 < st->path_len) {
			if (pt_tree_load(&st->tree, node))
				break;
			st->tree.nodes[node].expanded = true;
			first = st->tree.nodes[node].first_child;
			n = st->tree.nodes[node].n_children;
		}
	}
	refresh(st, node);
	if (!st->jump_mapped) {
		snprintf(st->msg, sizeof st->msg, "VA 0x%" PRIx64 " is not mapped", va);
		return -1;
	}
	snprintf(st->msg, sizeof st->msg, "VA 0x%" PRIx64 " -> PA 0x%" PRIx64, va,
		 m.phys + (va - m.virt));
	return 0;
}

/* Entries read at most by expand-all and search: a full 4-level space of
 * a large heap is ~10^5; hostile tables are cut here (and by the walker). */
#define PT_VISIT_BUDGET (1 << 18)

/* The node after `n` in tree order, loading children on the way; -1 at
 * the end (or when a load fails). */
static int next_node(struct pt_tree *t, int n)
{
	if (pt_node_is_table(&t->nodes[n]) && !pt_tree_load(t, n) && t->nodes[n].n_children)
		return t->nodes[n].first_child;
	while (n >= 0) {
		int parent = t->nodes[n].parent;
		int end = parent < 0 ? (int)t->n_top : t->nodes[parent].first_child + (int)t->nodes[parent].n_children;
		if (n + 1 < end)
			return n + 1;
		n = parent;
	}
	return -1;
}

/* Open every ancestor of node n. */
static void open_path(struct pt_tree *t, int n)
{
	for (int p = t->nodes[n].parent; p >= 0; p = t->nodes[p].parent)
		t->nodes[p].expanded = true;
}

void pt_state_expand_all(struct pt_state *st, bool expand)
{
	int keep = cursor_node(st);
	st->msg[0] = '\0';
	if (!st->tree.n_top)
		return;
	if (expand) {
		long visited = 0;
		/* next_node loads a table's children when it steps into them */
		for (int n = 0; n >= 0 && visited < PT_VISIT_BUDGET; n = next_node(&st->tree, n), visited++)
			if (pt_node_is_table(&st->tree.nodes[n]))
				st->tree.nodes[n].expanded = true;
		if (visited >= PT_VISIT_BUDGET)
			snprintf(st->msg, sizeof st->msg, "expanded the first %d entries only", PT_VISIT_BUDGET);
	} else {
		for (size_t i = 0; i < st->tree.n; i++)
			st->tree.nodes[i].expanded = false;
		while (keep >= 0 && st->tree.nodes[keep].parent >= 0)
			keep = st->tree.nodes[keep].parent;
	}
	refresh(st, keep);
}

bool pt_state_search(struct pt_state *st, const char *text, int dir)
{
	int start = cursor_node(st), hit = -1, last = -1;
	long visited = 0;
	char row[160];
	st->msg[0] = '\0';
	if (start < 0 || !text[0])
		return false;
	/* tree order, from the top: the first match after the cursor (or the
	 * first of all, wrapping); backwards, the last one before it */
	bool past = false;
	int first_match = -1;
	for (int n = 0; n >= 0 && visited < PT_VISIT_BUDGET; n = next_node(&st->tree, n), visited++) {
		if (n == start) {
			past = true;
			if (dir < 0 && last >= 0)
				break;
			continue;
		}
		tui_pt_node_text(row, sizeof row, &st->tree, n);
		if (!strcasestr(row, text))
			continue;
		if (first_match < 0)
			first_match = n;
		if (dir > 0 && past) {
			hit = n;
			break;
		}
		last = n;
	}
	if (dir > 0 && hit < 0)
		hit = first_match;
	if (dir < 0)
		hit = last;
	if (hit < 0) {
		snprintf(st->msg, sizeof st->msg, "no entry matches '%.60s'%s", text,
			 visited >= PT_VISIT_BUDGET ? " (search budget reached)" : "");
		return false;
	}
	open_path(&st->tree, hit);
	if (st->filter != PT_FILTER_ALL && !pt_filter_count(&st->tree.nodes[hit], st->filter))
		st->filter = PT_FILTER_ALL; /* the hit must show */
	refresh(st, hit);
	snprintf(st->msg, sizeof st->msg, "/%.60s", text);
	return true;
}
