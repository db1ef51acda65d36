/* dedup.h — what the pages of a snapshot image are, and how two snapshots
 * of a chain differ: the analysis behind the dedup view (no curses, no I/O).
 *
 * Pages are found through the snapshot's own page tables (a vmem walk over
 * pt_regions), so a hostile image cannot make us read outside it.
 */
#ifndef SNAPBENCH_TUI_DEDUP_H
#define SNAPBENCH_TUI_DEDUP_H

#include <stddef.h>
#include <stdint.h>

#include "snapshot.h"

enum dedup_kind {
	DEDUP_CODE,     /* 'C' mapped only in the code region */
	DEDUP_DATA,     /* 'D' PEB, heap or init data */
	DEDUP_STACK,    /* 'S' anything else the guest mapped (stack, runtime pages) */
	DEDUP_PT,       /* 'T' page-table tail */
	DEDUP_ZERO,     /* 'Z' all-zero content */
	DEDUP_ALIAS,    /* 'A' one physical page mapped at >= 2 VAs */
	DEDUP_UNMAPPED, /* '.' in the image but mapped nowhere */
	DEDUP__COUNT
};
char dedup_kind_letter(enum dedup_kind k);
const char *dedup_kind_name(enum dedup_kind k);

/* One (physical page, VA) mapping. */
struct dedup_map {
	uint64_t page; /* index of the physical page in the image */
	gva_t va;
};

struct dedup_info {
	uint64_t pages;          /* image pages: guest-visible + page-table tail */
	uint64_t visible_pages;  /* guest-visible part */
	uint8_t *kind;           /* [pages] enum dedup_kind */
	uint64_t counts[DEDUP__COUNT];
	struct dedup_map *maps;  /* every 4 KiB mapping into the image, by page then VA */
	size_t n_maps;
	uint64_t outside;        /* 4 KiB mappings outside the image (scratch window) */
	uint64_t aliased_pages;  /* physical pages with >= 2 VAs (zero page included) */
	int walk_status;         /* enum pt_status of the walk */
};

enum dedup_cmp { DEDUP_SHARED, DEDUP_CHANGED, DEDUP_NEW, DEDUP_REMOVED, DEDUP_CMP__COUNT };
char dedup_cmp_letter(enum dedup_cmp c); /* '=' '~' '+' '-' */
const char *dedup_cmp_name(enum dedup_cmp c);

struct dedup_cmp_page {
	gva_t va;
	uint8_t what; /* enum dedup_cmp */
};

/* B against A, by VA (4 KiB pages the page tables map into each image). */
struct dedup_compare {
	struct dedup_cmp_page *pages; /* union of the VAs, ascending */
	size_t n;
	uint64_t counts[DEDUP_CMP__COUNT];
	uint64_t a_image_pages, b_image_pages;
};

/* NULL on allocation failure. */
struct dedup_info *dedup_analyze(const struct snapshot *s);
void dedup_info_free(struct dedup_info *d);
struct dedup_compare *dedup_compare(const struct snapshot *a, const struct snapshot *b);
void dedup_compare_free(struct dedup_compare *c);

#endif
