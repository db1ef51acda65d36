/* pt_tree.h — a lazily loaded tree of the present entries of a page-table
 * space, for the page-table view.
 *
 * Each node is one present entry. Children are read when a node is first
 * expanded, by one vmem walk over the node's VA span (so loops, bad PS
 * bits and the entry budget are the walker's business: hostile tables are
 * safe). The same walk counts, per child, the present entries of its
 * table and the leaves below it by effective permissions (RW ANDed, NX
 * ORed along the path), which the filters use.
 */
#ifndef SNAPBENCH_TUI_PT_TREE_H
#define SNAPBENCH_TUI_PT_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pt.h"

struct pt_node {
	struct pt_entry_info e;
	int parent;            /* node index, -1 at the top level */
	int first_child;       /* children are contiguous; -1 until loaded */
	unsigned n_children;
	bool expanded;
	unsigned present;      /* present entries in the table it points at */
	/* leaves at or below it (a leaf counts itself), by effective kind */
	uint64_t leaves, cow, writable, exec;
};

struct pt_tree {
	const struct pt *pt;
	gpa_t root;
	struct pt_node *nodes;
	size_t n, cap;
	unsigned n_top;            /* top-level nodes are nodes[0 .. n_top) */
	enum pt_status status;     /* first walk error met (e.g. PT_E_LIMIT) */
};

/* Read the top level. -1 on allocation failure. */
int pt_tree_init(struct pt_tree *t, const struct pt *pt, gpa_t root);
void pt_tree_free(struct pt_tree *t);
/* Load a node's children if needed (tables only). -1 on allocation failure. */
int pt_tree_load(struct pt_tree *t, int node);
static inline bool pt_node_is_table(const struct pt_node *n)
{
	return n->e.what == PT_ENTRY_TABLE;
}

#endif
