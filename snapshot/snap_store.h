/* snap_store.h — where the pages of live snapshots are kept, so that a
 * snapshot can share every page it did not change with the snapshot it
 * was taken from (incremental snapshots, snap_incr.c).
 *
 * A backing is one memfd holding pages some snapshot added; once filled it
 * is never written again (its own mapping is made read-only and the
 * descriptor closed: images map its pages from that mapping). A snapshot's image is then a list of extents,
 * each a run of pages of one backing, mapped one after another into one
 * host range (read-only, mremap of the backing's mapping): one KVM memory slot still
 * sees one contiguous guest-visible range, and the page tables' tail
 * follows it as before. Two snapshots whose extents name the same backing
 * page share that page's memory.
 *
 * Lifetimes: every extent holds a reference to its backing, and the
 * kernel keeps a mapped page alive as long as any mapping of it exists.
 * A snapshot never points at the snapshot it was taken from, so releasing
 * a parent while its children live frees the parent's own structures and
 * every backing no child names; a backing a child names one page of stays
 * whole (memfd pages are freed with the file), which snap_incr.c bounds.
 *
 * Content-identical pages of one lineage (a full snapshot and every
 * snapshot incrementally descended from it) are stored once: each backing
 * page enters the lineage's index by content (XXH3-64, then compared byte
 * for byte), and a page a new snapshot adds is looked up there first. An
 * entry leaves the index when its backing is freed. Lineages are shared
 * across threads (sandboxes snapshot children of one parent at once): the
 * index has its own lock.
 */
#ifndef SNAPBENCH_SNAPSHOT_SNAP_STORE_H
#define SNAPBENCH_SNAPSHOT_SNAP_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct snap_lineage;
struct snap_index_node;

struct snap_backing {
	unsigned refs;   /* atomic */
	int fd;          /* the memfd until sealed, then -1 (base keeps it) */
	uint8_t *base;   /* its whole content, mapped (read-only once sealed) */
	uint64_t pages;
	struct snap_lineage *lineage; /* one reference; NULL: not indexed */
	struct snap_index_node *nodes; /* its pages' index entries */
	uint64_t nnodes;
};

struct snap_extent {
	struct snap_backing *b; /* one reference */
	uint64_t file_page;     /* first page in b */
	uint64_t image_page;    /* where it goes in the image */
	uint64_t npages;
};

/* A new backing of `pages` zero pages, mapped writable at (*out)->base
 * until snap_backing_seal. In `lineage` (may be NULL: not indexed). */
int snap_backing_new(struct snap_backing **out, uint64_t pages, struct snap_lineage *lineage,
		     struct sb_err *err);
/* Filled: make its mapping read-only and enter pages [0, index_pages)
 * into the lineage's index (pages past it, page tables for instance,
 * are not offered for sharing). */
int snap_backing_seal(struct snap_backing *b, uint64_t index_pages, struct sb_err *err);
struct snap_backing *snap_backing_ref(struct snap_backing *b);
void snap_backing_unref(struct snap_backing *b);

/* Lineages: a full live snapshot starts one; its incremental descendants
 * share it. */
struct snap_lineage *snap_lineage_new(void);
struct snap_lineage *snap_lineage_ref(struct snap_lineage *l);
void snap_lineage_unref(struct snap_lineage *l);
/* A backing page of the lineage with the same 4 KiB as `page`: true with
 * *b (a new reference) and *file_page, or false. */
bool snap_lineage_find(struct snap_lineage *l, const uint8_t *page, struct snap_backing **b,
		       uint64_t *file_page);

/* Map `n` extents (sorted by image_page, covering [0, map_bytes) without
 * gaps) read-only into one new host range of map_bytes; *out its start. */
int snap_extents_map(uint8_t **out, uint64_t map_bytes, const struct snap_extent *e, size_t n,
		     struct sb_err *err);
/* Every run an image maps is a mapping of the process's (vm.max_map_count,
 * 65530 by default, for everything it maps): the runs of all live
 * incremental images together stay within a quarter of it. Reserve n
 * before mapping them (false: over the budget, take the full snapshot),
 * release them when the image is unmapped. */
bool snap_runs_reserve(size_t n);
void snap_runs_release(size_t n);

/* Drop the backings' references and free the array. */
void snap_extents_free(struct snap_extent *e, size_t n);

/* Builds an extent list in image order. Appending a run that continues
 * the last one (same backing, next file page, next image page) grows it. */
struct snap_extent_list {
	struct snap_extent *e;
	size_t n, cap;
	bool nomem;
};
/* Add pages [image_page, +npages) from b at file_page (a reference taken). */
void snap_extent_add(struct snap_extent_list *l, struct snap_backing *b, uint64_t file_page,
		     uint64_t image_page, uint64_t npages);
#endif
