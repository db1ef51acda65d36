/* snap_incr_internal.h — the parts of an incremental snapshot
 * (snap_incr.c: the walk; snap_incr_parent.c: the parent's structure;
 * snap_incr_image.c: the child's image), shared by their files only. */
#ifndef SNAPBENCH_SNAPSHOT_SNAP_INCR_INTERNAL_H
#define SNAPBENCH_SNAPSHOT_SNAP_INCR_INTERNAL_H

#include "snap_store.h"
#include "snapshot_internal.h"

#define TP_NONE UINT32_MAX        /* no table points at it */
#define TP_MULTI (UINT32_MAX - 1) /* two tables, or two levels */
#define TP_ROOT (UINT32_MAX - 2)
/* Most runs an image maps (each a mapping of its own: the process has
 * ~65,000): a child that would need more -- a guest writing pages
 * scattered across its image -- gets the full snapshot, which starts over
 * in one run. */
#define INCR_MAX_EXTENTS 1024
/* Memory an image may carry that no leaf maps (pages P kept, backings
 * kept whole for a page) before the full snapshot starts over: at most
 * as much as the image, and never less than this (1 MiB: small images
 * keep a chain of generations incremental). */
#define INCR_SLACK_PAGES 256

/* A page the child stores or finds: its content (NULL once placed) and
 * where it comes from. */
struct newpage {
	uint64_t image_page;   /* overlays and appended pages; tables: set at the end */
	const uint8_t *src;
	struct snap_backing *b; /* found in the lineage (a reference), else NULL: own */
	uint64_t file_page;
};

struct incr {
	const struct snap_live_input *in;
	const struct snapshot *p;
	struct pt_regions rr;
	gpa_t pt_base, snap_end, scratch_gva;
	uint64_t ntables, npages; /* P's tail tables, P's guest-visible pages */
	const uint64_t *ptail;
	uint64_t *changed, *done;
	uint64_t **newtab;        /* [ntables]: the walked tables' new content */
	uint8_t *level;           /* [ntables]: a walked table's level */
	/* appended pages by source GPA (linear probing; grows at half) */
	gpa_t *app_src;
	uint64_t *app_idx;
	size_t app_mask, app_used;
	struct newpage *pages;    /* overlays, then appended, in image order */
	size_t npg, cappg;
	uint64_t appended;
	uint64_t leaves;
	uint64_t unmapped;        /* P's image pages its leaves no longer map (at most) */
	uint64_t scrubbed;        /* of them, made zero pages (scrub_dead) */
	/* Leaves gained and lost per image page (P's and appended), to find
	 * P's pages no leaf maps any more: (page << 1 | lost) */
	uint64_t *adj;
	size_t nadj, capadj;
	bool refs_unknown;        /* a subtree was removed: counts not kept */
	uint64_t *overlaid;       /* [npages bits]: host-cow overlays */
	bool zero_written;        /* P's zero page was written in place (host-cow) */
	struct sb_err *err;
};

static inline bool bit(const uint64_t *m, uint64_t i)
{
	return m[i / 64] >> (i % 64) & 1;
}

static inline void set_bit(uint64_t *m, uint64_t i)
{
	m[i / 64] |= 1ull << (i % 64);
}

/* The parent's structure (snap_incr_parent.c), built on first use and
 * kept with it: which table points at which (TP_* for roots, tables no
 * table points at, and tables with two parents or at two levels), and how
 * many leaves map each image page (NULL: not known). */
const uint32_t *snap_incr_tail_parents(struct snapshot *s);
const uint16_t *snap_incr_page_refs(struct snapshot *s);
/* The child's map from the parent's and the walked tables' new content. */
uint32_t *snap_incr_child_tail_parents(const uint32_t *par, uint64_t n, const uint64_t *done,
				       uint64_t *const *newtab, const uint8_t *level, gpa_t base);

/* A new page of the child at image_page, its content at src (snap_incr.c). */
int snap_incr_add_page(struct incr *c, uint64_t image_page, const uint8_t *src);

/* The child's image (snap_incr_image.c). */
uint16_t *snap_incr_scrub_dead(struct incr *c, const uint16_t *prefs);
int snap_incr_assemble(struct incr *c, struct snap_lineage *lin, struct snap_extent_list *el,
		    struct snap_backing **own, uint64_t *own_pages, uint64_t *deduped,
		    uint64_t *compacted, struct sb_err *err);
uint64_t snap_incr_backings_held(const struct snap_extent *e, size_t n);

#endif
