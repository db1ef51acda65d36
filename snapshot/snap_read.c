/* snap_read.c — a snapshot's memory by guest-virtual address, as a sandbox
 * restored from it sees it before running anything: through the
 * snapshot's own page tables (its tail, at the scratch GPA a restore
 * copies it to), over its guest-visible image and that tail. A snapshot
 * file is input like any other: its tables are walked with vmem's
 * hostile-safe lookup and never send a read outside those two regions. */
#include "snapshot_internal.h"

int snap_read_gva(const struct snapshot *s, gva_t va, void *buf, uint64_t len_bytes,
		  uint64_t *done_bytes, struct sb_err *err)
{
	/* the space a restore starts in, not always root 0 (the tail's
	 * first table): a snapshot taken after a switch restores into it */
	return snap_read_gva_root(s, snap_cur_root(s), va, buf, len_bytes, done_bytes, err);
}

int snap_read_gva_root(const struct snapshot *s, gpa_t root, gva_t va, void *buf,
		       uint64_t len_bytes, uint64_t *done_bytes, struct sb_err *err)
{
	const struct layout *l = &s->layout;
	const struct pt_region regions[2] = {
		{ SB_BASE_ADDRESS, s->image, layout_snapshot_bytes(l) },
		{ layout_pt_base_gpa(l), snap_pt_tail(s), layout_pt_bytes(l) },
	};
	struct pt_regions rr;
	pt_regions_init(&rr, &pt_format_x86_64, regions, 2, layout_pt_base_gpa(l));
	return pt_regions_read_va(&rr, root, va, buf, len_bytes,
				  "the snapshot (its image and page tables; the rest of scratch "
				  "is not part of it)", done_bytes, err);
}
