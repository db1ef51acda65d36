/* pt_multiroot.h — walk several roots (one CR3 per guest address space)
 * together and rebuild them into a host buffer, sharing what was shared.
 * Host only (allocates).
 *
 * Walk: roots are walked in the order given, each over its whole VA space.
 * Every intermediate table (level < top) is keyed by (GPA, level).  The
 * first root to descend into a table owns it; when a root (a later one, or
 * the same one at another VA) reaches an owned table again, the walk does
 * not descend: it records a PT_ITEM_SHARED item "same subtree as root R at
 * VA v, level d" instead.  So every distinct table is read once, which also
 * bounds hostile fan-out; the total entries read are capped by a budget
 * (PT_E_LIMIT), loops are skipped as in pt.h.
 *
 * Items of one space come in VA order; a SHARED item always refers to a
 * subtree of an earlier space, or of an earlier VA of the same space, so
 * processing spaces and items in order (as pt_multiwalk_rebuild does) always
 * finds the target already built.
 *
 * Rebuild: one output root per space (space 0 gets the buffer's current
 * root, the others new tables).  LEAF items pass through the caller's hook,
 * which may rewrite the mapping (new phys for a deduplicated copy, CoW
 * instead of writable, ...) or drop it, and are then mapped as 4 KiB
 * leaves.  SHARED items are linked to the owner's rebuilt table (created
 * empty if the hook dropped every leaf under it), never copied: tables
 * shared in the input are shared in the output.
 */
#ifndef SNAPBENCH_VMEM_PT_MULTIROOT_H
#define SNAPBENCH_VMEM_PT_MULTIROOT_H

#include <stddef.h>

#include "pt.h"
#include "pt_host.h"

enum pt_item_tag { PT_ITEM_LEAF, PT_ITEM_SHARED };

/* "The subtree under this VA is the same as root owner_root's at owner_va." */
struct pt_shared_ref {
	gva_t va;          /* where the shared table sits in this space */
	unsigned level;    /* level of the shared table (1 = PT) */
	size_t owner_root; /* index of the space that walked it first */
	gva_t owner_va;    /* where it sits in the owner space */
	gpa_t table_gpa;   /* the shared table (input GPA) */
};

struct pt_space_item {
	enum pt_item_tag tag;
	union {
		struct pt_mapping leaf;      /* PT_ITEM_LEAF */
		struct pt_shared_ref shared; /* PT_ITEM_SHARED */
	} u;
};

struct pt_space {
	gpa_t root; /* input root */
	struct pt_space_item *items;
	size_t count, cap;
};

struct pt_seen; /* private: (table, level) -> owner */

struct pt_multiwalk {
	size_t nroots;
	struct pt_space *spaces; /* [nroots] */
	uint64_t entries_read;
	struct pt_seen *seen;
};

/* Walk `roots` over `src`.  max_entries: total budget (0: the default
 * PT_WALK_DEFAULT_MAX_ENTRIES).  On error the result is freed. */
enum pt_status pt_multiwalk_run(struct pt_multiwalk *mw, const struct pt *src,
				const gpa_t *roots, size_t nroots, uint64_t max_entries);
void pt_multiwalk_free(struct pt_multiwalk *mw);

/* Called once per LEAF item.  Edit *m (phys, kind, user; keep virt and a
 * 4 KiB multiple len) and set *keep (true on entry) to false to drop it.
 * A status other than PT_OK stops the rebuild with PT_E_HOOK. */
typedef enum pt_status (*pt_leaf_hook)(void *arg, size_t space, struct pt_mapping *m,
				       bool *keep);

/* Rebuild every space into `out` (whose format must match the walk's).
 * out_roots[nroots] receives the output root of each space.  hook may be
 * NULL (leaves copied unchanged). */
enum pt_status pt_multiwalk_rebuild(const struct pt_multiwalk *mw, struct pt_hostbuf *out,
				    pt_leaf_hook hook, void *arg, gpa_t *out_roots);

#endif
