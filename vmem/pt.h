/* pt.h — page tables: entry formats, mapping kinds, the storage interface,
 * map and walk.  This is the freestanding core shared by host and guest:
 * it needs only <stdint.h>, <stdbool.h>, <stddef.h> and common/addr.h, never
 * libc, never allocates, never aborts.
 *
 * Levels are numbered like the hardware manuals, leaf tables first:
 * level 1 = PT (4 KiB per entry), level 2 = PD, level 3 = PDPT, level 4 =
 * PML4.  An entry at level L spans 2^shift bytes with
 * shift = 12 + bits_per_level * (L - 1); one algorithm serves every level and
 * every format (x86-64 4-level, i686 2-level).
 *
 * Addresses handed to map/walk are guest-virtual (gva_t); inside, the walker
 * works on "linear" addresses (the VA with the sign-extension bits removed)
 * and re-sign-extends the VAs it reports.  Every table and entry is addressed
 * by its guest-physical address; the storage (struct pt_ops) turns a GPA into
 * a host location — that is the whole "table address <-> physical address"
 * mapping, and it lives behind read_entry/write_entry.
 *
 * Entries we write (both formats):
 *   leaf:  P | A | D | phys, RW if writable, US if user, NX if not executable
 *          (x86-64 only); CoW leaf = RW clear and AVL (bits 9-11) == bit 9.
 *          A and D are pre-set so the CPU never writes them back.
 *   table: P | RW | US | A.  US and RW are always set on table entries, so
 *          the leaf alone decides writability and user access; NX is never
 *          set on a table entry.  D is left clear (ignored by the CPU on
 *          non-leaf entries).
 * Permissions a format cannot express are widened, never refused: a present
 * x86 page is always readable, and an i686 page is always executable (no NX).
 * Decoding reports what the hardware enforces.
 *
 * Hostile tables (walk): every entry may be attacker controlled.  Reads the
 * storage cannot serve return 0 (= not present).  The walk never follows an
 * entry that points at a table already on the current path (a loop; such
 * entries are reported to the visitor as PT_ENTRY_LOOP and skipped), never
 * treats a PS entry as a table (PS at a level that has no large pages, e.g.
 * the PML4, is reported as PT_ENTRY_BAD and skipped — the CPU would fault),
 * and reads at most `max_entries` entries in total (default
 * PT_WALK_DEFAULT_MAX_ENTRIES; pt_walk_set_budget changes it).  When the
 * budget runs out the walk stops with PT_E_LIMIT.  Counting entries read
 * (not leaves emitted) bounds the work even for huge fan-outs of empty
 * tables.
 */
#ifndef SNAPBENCH_VMEM_PT_H
#define SNAPBENCH_VMEM_PT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

typedef uint64_t pt_entry_t; /* one entry; i686 entries use the low 32 bits */

#define PT_MAX_LEVELS 4
#define PT_TABLE_BYTES 4096u /* every table of every format is one page */

/* Entry bits (same positions in both formats, NX only on x86-64). */
#define PT_P (1ull << 0)      /* present */
#define PT_RW (1ull << 1)     /* writable */
#define PT_US (1ull << 2)     /* user accessible */
#define PT_A (1ull << 5)      /* accessed */
#define PT_D (1ull << 6)      /* dirty (leaf only) */
#define PT_PS (1ull << 7)     /* large page (PD/PDPT level; PAT at level 1) */
#define PT_AVL_MASK (7ull << 9) /* bits 9-11: free for software */
#define PT_AVL_COW (1ull << 9)  /* CoW mark: AVL field == exactly this */
#define PT_NX (1ull << 63)    /* no execute (x86-64) */
#define PT_X86_64_ADDR_MASK 0x000FFFFFFFFFF000ull /* bits 12-51 */
#define PT_I686_ADDR_MASK 0x00000000FFFFF000ull   /* bits 12-31 */

/* Default walk budget: entries read per walk (2^26 ≈ 67 M, about a second
 * of work; a 16 GiB heap of 4 KiB pages needs ~4.2 M). */
#define PT_WALK_DEFAULT_MAX_ENTRIES (1ull << 26)

enum pt_status {
	PT_OK = 0,
	PT_E_NONCANONICAL, /* VA (or part of the range) outside the VA space */
	PT_E_OVERFLOW,     /* va + len wraps around */
	PT_E_ALIGN,        /* map: va, phys or len not 4 KiB aligned */
	PT_E_PHYS,         /* physical address not representable in an entry */
	PT_E_NOMEM,        /* table allocation failed */
	PT_E_READONLY,     /* storage cannot write entries or allocate tables */
	PT_E_CONFLICT,     /* map: a large-page or looping entry is in the way */
	PT_E_LIMIT,        /* walk: entry budget exhausted */
	PT_E_INVAL,        /* bad argument (NULL, level out of range, ...) */
	PT_E_HOOK,         /* a caller's callback reported failure */
	PT_E_UNMAPPED,     /* lookup: no present leaf maps the address */
	PT_E_BAD_ENTRY,    /* lookup: a present entry the CPU would refuse (PS at a
			    * level without large pages: a reserved-bit fault) */
	PT_E_DENIED,       /* the storage's owner refused the edit (the guest
			    * runtime's page-table gate: guest/ptgate.c) */
	PT_E__COUNT
};

/* Short text for a status, e.g. "non-canonical address". Never NULL. */
const char *pt_strerror(enum pt_status s);

/* ---- formats -------------------------------------------------------- */

struct pt_format {
	const char *name;          /* "x86-64", "i686" */
	unsigned levels;           /* 4 / 2 */
	unsigned bits_per_level;   /* 9 / 10 */
	unsigned entry_bytes;      /* 8 / 4 */
	bool sign_extend;          /* VA bits above the top level copy its top bit */
	unsigned large_level_mask; /* bit L set: PS honoured at level L */
	pt_entry_t addr_mask;      /* physical-address bits of a 4 KiB/table entry */
	pt_entry_t nx;             /* NX bit, 0 if the format has none */
	const char *level_names[PT_MAX_LEVELS + 1]; /* [level], [0] unused */
};

extern const struct pt_format pt_format_x86_64;
extern const struct pt_format pt_format_i686;

/* log2 of the bytes one entry at `level` spans (level 1: 12 = 4 KiB). */
static inline unsigned pt_format_shift(const struct pt_format *f, unsigned level)
{
	return 12 + f->bits_per_level * (level - 1);
}
/* Width of the linear address space: 48 (x86-64) or 32 (i686). */
static inline unsigned pt_format_va_bits(const struct pt_format *f)
{
	return 12 + f->bits_per_level * f->levels;
}
static inline unsigned pt_format_entries(const struct pt_format *f)
{
	return 1u << f->bits_per_level;
}

/* ---- mapping kinds -------------------------------------------------- */

enum pt_kind_tag { PT_KIND_UNMAPPED = 0, PT_KIND_BASIC, PT_KIND_COW };

/* For PT_KIND_COW `writable` is always false (a CoW page is read-only until
 * the guest's fault handler copies it). */
struct pt_kind {
	enum pt_kind_tag tag;
	bool readable, writable, executable;
};

static inline struct pt_kind pt_kind_unmapped(void)
{
	struct pt_kind k = {PT_KIND_UNMAPPED, false, false, false};
	return k;
}
static inline struct pt_kind pt_kind_basic(bool readable, bool writable, bool executable)
{
	struct pt_kind k = {PT_KIND_BASIC, readable, writable, executable};
	return k;
}
static inline struct pt_kind pt_kind_cow(bool readable, bool executable)
{
	struct pt_kind k = {PT_KIND_COW, readable, false, executable};
	return k;
}
static inline bool pt_kind_equal(struct pt_kind a, struct pt_kind b)
{
	return a.tag == b.tag && a.readable == b.readable && a.writable == b.writable &&
	       a.executable == b.executable;
}

/* One contiguous mapping.  From map: any multiple of 4 KiB.  From walk:
 * one present leaf, len_bytes = 4 KiB, 2 MiB, 1 GiB (x86-64) or 4 MiB
 * (i686); a large page is reported whole, its virt/phys aligned to its size
 * even when the walked range starts inside it. */
struct pt_mapping {
	gpa_t phys;
	gva_t virt;
	uint64_t len_bytes;
	struct pt_kind kind;
	bool user; /* US: accessible from ring 3 */
};

/* ---- entries -------------------------------------------------------- */

/* Leaf entry for `phys` (4 KiB aligned) with kind `k` (not UNMAPPED). */
pt_entry_t pt_entry_leaf(const struct pt_format *f, gpa_t phys, struct pt_kind k, bool user);
/* Table (non-leaf) entry pointing at the table at `table`. */
pt_entry_t pt_entry_table(const struct pt_format *f, gpa_t table);
/* Kind of a leaf entry as the hardware sees it (UNMAPPED if not present). */
struct pt_kind pt_entry_kind(const struct pt_format *f, pt_entry_t e);
/* Is the entry at `level` a leaf (level 1, or PS where the format allows)? */
bool pt_entry_is_leaf(const struct pt_format *f, pt_entry_t e, unsigned level);

/* ---- storage -------------------------------------------------------- */

/* Where tables live.  All addresses are guest-physical.
 * read_entry: the entry_bytes-byte little-endian entry at entry_gpa, or 0
 *   when the storage cannot serve the read (outside memory): "not present".
 * write_entry / alloc_table: NULL for read-only storage.  alloc_table
 *   returns a zeroed, PT_TABLE_BYTES-aligned table.
 * root: the table map/walk start from when no root is given. */
struct pt_ops {
	pt_entry_t (*read_entry)(void *ctx, gpa_t entry_gpa, unsigned entry_bytes);
	enum pt_status (*write_entry)(void *ctx, gpa_t entry_gpa, unsigned entry_bytes,
				      pt_entry_t e);
	enum pt_status (*alloc_table)(void *ctx, gpa_t *table_gpa);
	gpa_t (*root)(void *ctx);
};

/* A page-table space: a format plus a storage. */
struct pt {
	const struct pt_format *fmt;
	const struct pt_ops *ops;
	void *ctx;
};

static inline gpa_t pt_root(const struct pt *pt)
{
	return pt->ops->root(pt->ctx);
}

/* ---- the range iterator (one table, one level) ---------------------- */

/* Entries of one table at `level` that intersect the linear range
 * [first, last] (inclusive).  `base` is the linear address entry 0 maps. */
struct pt_range_it {
	gpa_t table;
	unsigned level, index, last_index, shift;
	uint64_t base;
	uint64_t first, last;
};

struct pt_range_entry {
	unsigned index;
	gpa_t entry_gpa;
	uint64_t lin;    /* linear address the whole entry starts at */
	uint64_t first;  /* the part of [first, last] inside this entry */
	uint64_t last;
};

void pt_range_it_init(struct pt_range_it *it, const struct pt_format *f, gpa_t table,
		      unsigned level, uint64_t base, uint64_t first, uint64_t last);
bool pt_range_it_next(struct pt_range_it *it, const struct pt_format *f,
		      struct pt_range_entry *out);

/* VA <-> linear: check [va, va+len) is inside the format's VA space (and,
 * for x86-64, in one half); give its linear first/last.  len 0 is allowed
 * (empty range: *last < *first is signalled by returning PT_OK with
 * *empty = true). */
enum pt_status pt_va_range(const struct pt_format *f, gva_t va, uint64_t len_bytes,
			   uint64_t *first, uint64_t *last, bool *empty);
gva_t pt_lin_to_va(const struct pt_format *f, uint64_t lin);
bool pt_va_canonical(const struct pt_format *f, gva_t va);

/* ---- map ------------------------------------------------------------ */

/* Map m->len_bytes at m->virt to m->phys (all 4 KiB aligned) with m->kind,
 * as 4 KiB leaves, allocating missing tables.  Existing leaves are
 * overwritten; a present large-page entry in the way is PT_E_CONFLICT.
 * kind UNMAPPED clears leaves and allocates nothing.  On an error midway,
 * the part already mapped stays mapped. */
enum pt_status pt_map(const struct pt *pt, const struct pt_mapping *m);
enum pt_status pt_map_at(const struct pt *pt, gpa_t root, const struct pt_mapping *m);

/* The table at `level` (< levels) covering `va` under `root`, allocating
 * it and its parents if missing. */
enum pt_status pt_table_ensure(const struct pt *pt, gpa_t root, gva_t va, unsigned level,
			       gpa_t *table_gpa);
/* Point the level-(level+1) entry covering `va` at the existing table
 * `table` (a level-`level` table), allocating parents as needed.  Used to
 * share one subtree between roots.  `va` must be aligned to the span of a
 * level-(level+1) entry. */
enum pt_status pt_table_link(const struct pt *pt, gpa_t root, gva_t va, unsigned level,
			     gpa_t table);

/* ---- lookup ---------------------------------------------------------- */

/* The leaf entry that maps one address. */
struct pt_leaf {
	gpa_t entry_gpa;  /* where the entry sits (write it to remap the page) */
	pt_entry_t entry; /* its value */
	unsigned level;   /* 1 for a 4 KiB page, higher for a large page */
};

/* Find the present leaf mapping `va` under `root`: one entry read per
 * level, nothing else, so fault handlers can afford it (the walk below is
 * general but much longer). PT_E_UNMAPPED when some level is not present,
 * PT_E_BAD_ENTRY when the path meets a PS entry at a level without large
 * pages (the walk's PT_ENTRY_BAD: never followed as a table). */
enum pt_status pt_lookup(const struct pt *pt, gpa_t root, gva_t va, struct pt_leaf *out);

/* ---- walk ----------------------------------------------------------- */

enum pt_entry_what {
	PT_ENTRY_TABLE, /* points at a lower-level table */
	PT_ENTRY_LEAF,  /* 4 KiB page or large page */
	PT_ENTRY_LOOP,  /* points at a table on the current path: not followed */
	PT_ENTRY_BAD,   /* PS at a level without large pages: not followed */
};

/* What a visitor sees for every present entry met by a walk. */
struct pt_entry_info {
	enum pt_entry_what what;
	unsigned level, index;
	gva_t va;            /* first VA the entry maps (sign-extended) */
	uint64_t span_bytes; /* bytes the entry maps */
	gpa_t table_gpa;     /* table holding the entry */
	gpa_t phys;          /* page or next table the entry points at */
	pt_entry_t raw;
};

/* Return false to not descend into the table a PT_ENTRY_TABLE entry points
 * at (ignored for other entries).  Called before the entry's leaves. */
typedef bool (*pt_visit_fn)(void *arg, const struct pt_entry_info *e);

/* Iterator state; fields are private.  No allocation: it can live on a
 * guest stack (~400 bytes). */
struct pt_walk {
	const struct pt *pt;
	uint64_t first, last; /* linear, inclusive */
	unsigned cur;         /* level of the iterator being advanced; > levels: done */
	struct pt_range_it it[PT_MAX_LEVELS];   /* [level - 1] */
	gpa_t path[PT_MAX_LEVELS + 1];          /* [level]: table walked at that level */
	pt_entry_t and_rw_us[PT_MAX_LEVELS + 1]; /* RW/US all along the path to [level] */
	pt_entry_t or_nx[PT_MAX_LEVELS + 1];     /* NX anywhere on the path */
	uint64_t entries_read, max_entries;
	pt_visit_fn visit;
	void *visit_arg;
	enum pt_status status;
};

/* Start a walk of [va, va+len) under the default root / under `root`.
 * The low 12 bits of a root are ignored (like CR3's flag/PCID bits); the
 * same holds for map and the table helpers.
 * On error the walk is empty and pt_walk_status() returns the error too. */
enum pt_status pt_walk_begin(struct pt_walk *w, const struct pt *pt, gva_t va,
			     uint64_t len_bytes);
enum pt_status pt_walk_begin_at(struct pt_walk *w, const struct pt *pt, gpa_t root, gva_t va,
				uint64_t len_bytes);
/* Walk the whole VA space (both halves on x86-64). */
void pt_walk_begin_all(struct pt_walk *w, const struct pt *pt, gpa_t root);
/* Entries the walk may read before stopping with PT_E_LIMIT (0: default). */
void pt_walk_set_budget(struct pt_walk *w, uint64_t max_entries);
void pt_walk_set_visitor(struct pt_walk *w, pt_visit_fn visit, void *arg);

/* Next present leaf in VA order, holes skipped.  Permissions are the
 * effective ones: RW/US ANDed and NX ORed along the path.  false at the end
 * or on error (see pt_walk_status). */
bool pt_walk_next(struct pt_walk *w, struct pt_mapping *out);
/* PT_OK while running and after a complete walk; the error otherwise. */
enum pt_status pt_walk_status(const struct pt_walk *w);

#endif
