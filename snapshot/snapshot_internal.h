/* snapshot_internal.h — helpers shared by the snapshot builders. */
#ifndef SNAPBENCH_SNAPSHOT_INTERNAL_H
#define SNAPBENCH_SNAPSHOT_INTERNAL_H

#include "pt_host.h"
#include "snapshot.h"

/* A snapshot with a zeroed, writable image of layout_image_bytes(layout). */
int snap_alloc(struct snapshot **out, const struct layout *layout, struct sb_err *err);
/* The same, the image in a new backing of a new lineage (snap_store.h):
 * a live snapshot, which incremental snapshots can share pages with. */
int snap_alloc_backed(struct snapshot **out, const struct layout *layout, struct sb_err *err);
/* XXH3-128 over the image and the fields that identify the snapshot. */
void snap_compute_digest(const struct snapshot *s, uint8_t out[16]);
/* Compute the digest and make the image read-only. */
int snap_seal(struct snapshot *s, struct sb_err *err);
/* Map the scratch window (RW, NX, user) into the tables of `hb`'s current root. */
int snap_map_scratch_window(struct pt_hostbuf *hb, const struct layout *layout,
			    struct sb_err *err);
/* Then, once the layout knows the size of the tables, make the window's
 * page-table area supervisor-only in the tables of `hb`'s current root. */
int snap_hide_pt_area(struct pt_hostbuf *hb, const struct layout *layout, struct sb_err *err);

/* Free what snap_hostcow built (the last reference is gone). */
void snap_hostcow_free(struct snapshot *s);

#endif
