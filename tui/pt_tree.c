/* pt_tree.c — loading the page-table tree one table at a time. */
#include <stdlib.h>
#include <string.h>

#include "pt_tree.h"

struct load_ctx {
	struct pt_tree *t;
	unsigned child_level;
	int parent;
	int failed;
};

static int push(struct pt_tree *t, const struct pt_entry_info *e, int parent)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 256;
		struct pt_node *n = realloc(t->nodes, cap * sizeof *n);
		if (!n)
			return -1;
		t->nodes = n;
		t->cap = cap;
	}
	t->nodes[t->n] = (struct pt_node){ .e = *e, .parent = parent, .first_child = -1 };
	t->n++;
	return 0;
}

/* Children are appended at child_level; grandchildren (one level down)
 * count as present entries of the last child appended. */
static bool load_visit(void *arg, const struct pt_entry_info *e)
{
	struct load_ctx *c = arg;
	struct pt_tree *t = c->t;
	if (e->level == c->child_level) {
		if (push(t, e, c->parent))
			c->failed = 1;
	} else if (e->level + 1 == c->child_level && t->n > 0) {
		t->nodes[t->n - 1].present++;
	}
	return true;
}

/* Append the children of `parent` (-1: the top level) and count leaves. */
static int load_children(struct pt_tree *t, int parent)
{
	const struct pt_format *fmt = t->pt->fmt;
	struct load_ctx c = { t, parent < 0 ? fmt->levels : t->nodes[parent].e.level - 1, parent, 0 };
	size_t first = t->n;
	struct pt_walk w;
	if (parent < 0) {
		pt_walk_begin_all(&w, t->pt, t->root);
	} else {
		const struct pt_entry_info *e = &t->nodes[parent].e;
		if (pt_walk_begin_at(&w, t->pt, t->root, e->va, e->span_bytes) != PT_OK) {
			t->status = pt_walk_status(&w);
			return 0;
		}
	}
	pt_walk_set_visitor(&w, load_visit, &c);
	struct pt_mapping m;
	size_t k = first;
	while (pt_walk_next(&w, &m)) {
		/* children are in VA order, so are the leaves */
		while (k + 1 < t->n && m.virt >= t->nodes[k + 1].e.va)
			k++;
		if (k >= t->n)
			continue;
		struct pt_node *n = &t->nodes[k];
		n->leaves++;
		n->cow += m.kind.tag == PT_KIND_COW;
		n->writable += m.kind.writable;
		n->exec += m.kind.executable;
	}
	if (pt_walk_status(&w) != PT_OK && t->status == PT_OK)
		t->status = pt_walk_status(&w);
	if (c.failed)
		return -1;
	if (parent >= 0) {
		t->nodes[parent].first_child = (int)first;
		t->nodes[parent].n_children = (unsigned)(t->n - first);
	} else {
		t->n_top = (unsigned)(t->n - first);
	}
	return 0;
}

int pt_tree_init(struct pt_tree *t, const struct pt *pt, gpa_t root)
{
	memset(t, 0, sizeof *t);
	t->pt = pt;
	t->root = root;
	return load_children(t, -1);
}

void pt_tree_free(struct pt_tree *t)
{
	free(t->nodes);
	memset(t, 0, sizeof *t);
}

int pt_tree_load(struct pt_tree *t, int node)
{
	if (node < 0 || (size_t)node >= t->n || !pt_node_is_table(&t->nodes[node]) ||
	    t->nodes[node].first_child >= 0)
		return 0;
	return load_children(t, node);
}
