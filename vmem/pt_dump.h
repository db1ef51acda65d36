/* pt_dump.h — text dump of page tables: the text the TUI shows and the
 * golden tests compare.  Host only (stdio).
 *
 * One row per present entry at every level, depth first in VA order,
 * indented by depth:
 *   level idx VA-first-VA-last PA flags
 * VA and PA are hex byte addresses; flags are the set bits among
 * P RW US NX CoW A D PS, then "loop" (entry points at a table on its own
 * path: not followed) or "bad-PS" (PS where the level has no large pages:
 * not followed).  A footer counts tables (the root among them, as a
 * snapshot counts its page-table pages) and leaves and names the error if
 * the walk stopped early.  Rows fit in 80 columns.
 */
#ifndef SNAPBENCH_VMEM_PT_DUMP_H
#define SNAPBENCH_VMEM_PT_DUMP_H

#include <stdio.h>

#include "pt.h"

/* Dump the whole VA space under `root`. */
enum pt_status pt_dump(FILE *f, const struct pt *pt, gpa_t root);
/* Dump the entries covering [va, va+len) under `root`. */
enum pt_status pt_dump_range(FILE *f, const struct pt *pt, gpa_t root, gva_t va,
			     uint64_t len_bytes);

#endif
