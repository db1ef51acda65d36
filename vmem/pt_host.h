/* pt_host.h — host-only page-table storages (they use malloc/memcpy):
 *
 *  - pt_hostbuf: a growable buffer of tables that live at a chosen base GPA
 *    (the snapshot builds tables at the scratch GPA they occupy at run time,
 *    then appends pt_hostbuf_bytes() to its image).  Table i is at
 *    base_gpa + i * 4 KiB; table 0 is the initial root.
 *  - pt_regions: a read-only view of guest memory given as regions
 *    {gpa, host pointer, length}.  Any read outside every region, or
 *    straddling a region edge, returns 0 (not present): entries there are
 *    attacker controlled and never cause an out-of-bounds read.
 *
 * Both embed a struct pt: pass &hb->pt / &rr->pt to map/walk/dump.  Do not
 * move or copy the struct after init (pt.ctx points at it).
 */
#ifndef SNAPBENCH_VMEM_PT_HOST_H
#define SNAPBENCH_VMEM_PT_HOST_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "pt.h"

struct pt_hostbuf {
	struct pt pt;
	uint8_t *bytes;
	size_t size_bytes, cap_bytes;
	gpa_t base_gpa; /* GPA of table 0 */
	gpa_t root_gpa; /* current root (map/walk default) */
};

/* One zeroed root table at base_gpa (4 KiB aligned, else PT_E_ALIGN). */
enum pt_status pt_hostbuf_init(struct pt_hostbuf *hb, const struct pt_format *fmt,
			       gpa_t base_gpa);
void pt_hostbuf_free(struct pt_hostbuf *hb);
/* Append one zeroed table (e.g. an extra root, one per address space). */
enum pt_status pt_hostbuf_alloc_table(struct pt_hostbuf *hb, gpa_t *table_gpa);
/* Make `root` (a table of this buffer) the default root; PT_E_INVAL if not. */
enum pt_status pt_hostbuf_set_root(struct pt_hostbuf *hb, gpa_t root);
static inline gpa_t pt_hostbuf_root(const struct pt_hostbuf *hb) { return hb->root_gpa; }
static inline gpa_t pt_hostbuf_initial_root(const struct pt_hostbuf *hb) { return hb->base_gpa; }
/* The tables, table 0 first: the "PT tail" of an image. */
static inline const uint8_t *pt_hostbuf_bytes(const struct pt_hostbuf *hb) { return hb->bytes; }
static inline size_t pt_hostbuf_size_bytes(const struct pt_hostbuf *hb) { return hb->size_bytes; }
static inline size_t pt_hostbuf_tables(const struct pt_hostbuf *hb)
{
	return hb->size_bytes / PT_TABLE_BYTES;
}

struct pt_region {
	gpa_t gpa;
	const void *host;
	uint64_t len_bytes;
};

struct pt_regions {
	struct pt pt;
	const struct pt_region *regions; /* not copied: must outlive the reader */
	size_t count;
	gpa_t root_gpa;
};

/* Read-only storage over `regions` with default root `root` (e.g. CR3). */
void pt_regions_init(struct pt_regions *rr, const struct pt_format *fmt,
		     const struct pt_region *regions, size_t count, gpa_t root);
/* Host pointer to [gpa, gpa+len) if it lies inside one region, else NULL
 * (use it to copy guest pages the walk reported). */
const void *pt_regions_host_ptr(const struct pt_regions *rr, gpa_t gpa, uint64_t len_bytes);

/* Copy what the guest sees at [va, va + len_bytes) under `root` into buf:
 * page by page through pt_lookup, each page's GPA served only from inside
 * one region (pt_read.c). 0, or -1 with err naming the address: "VA 0x...
 * not mapped", "VA 0x... maps GPA 0x... outside guest memory", a
 * non-canonical VA or a range that wraps; `memory` names the regions in
 * that message (NULL: "guest memory"). *done_bytes (may be NULL): bytes
 * copied before the error (all of them on success). */
int pt_regions_read_va(const struct pt_regions *rr, gpa_t root, gva_t va, void *buf,
		       uint64_t len_bytes, const char *memory, uint64_t *done_bytes,
		       struct sb_err *err);

/* Record a page-table status as an sb_err ("what: text"); returns -1 if
 * s != PT_OK, else 0. */
int pt_status_err(struct sb_err *err, enum pt_status s, const char *what);

#endif
