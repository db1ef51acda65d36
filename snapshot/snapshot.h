/* snapshot.h — a snapshot: the read-only memory image every sandbox made
 * from it maps, plus what a vCPU needs to start or resume in it.
 *
 * The image is one host mapping, read-only once built, shared (reference
 * counted) by every sandbox that runs from it:
 *
 *   [0, layout_snapshot_bytes)   guest-visible part, GPA SB_BASE_ADDRESS..
 *   [layout_pt_tail_offset, ..)  page tables, built at the scratch GPA they
 *                                occupy at run time; copied into scratch on
 *                                every build and restore, never mapped.
 *
 * Identity: `digest` is XXH3-128 over the image, the layout and the entry;
 * two snapshots are equal iff their digests are equal. Its value depends
 * only on those bytes: pages the builder knows are zero and never wrote
 * (`zero_known`: an ELF's .bss beyond its file bytes, the heap) are fed to
 * the hash from a static buffer of zeros instead of being read, so a
 * large zero region costs hashing time but no page of memory, and the
 * digest is the one a plain hash of the whole image gives (files written
 * before verify as they did).
 */
#ifndef SNAPBENCH_SNAPSHOT_SNAPSHOT_H
#define SNAPBENCH_SNAPSHOT_SNAPSHOT_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "elf_load.h"
#include "err.h"
#include "layout.h"

enum snap_entry_kind {
	SNAP_ENTRY_INIT, /* fresh from an ELF: run the guest's entry once */
	SNAP_ENTRY_CALL, /* initialised: calls go to the dispatch entry */
};

/* Page counts, for reports and the dedup view. */
struct snap_stats {
	uint64_t pages_mapped;   /* present 4 KiB leaves in the page tables */
	uint64_t pages_copied;   /* pages in the image: distinct non-zero pages + one zero page */
	uint64_t pages_aliased;  /* mappings of a physical page already placed */
	uint64_t pt_pages;       /* page-table pages in the tail */
	uint64_t zero_pages;     /* distinct all-zero pages (they share one image page) */
	/* Live snapshots (not saved in files). An incremental snapshot
	 * (snap_incr.c) walks only the page tables that changed since its
	 * parent: pages_mapped then counts the leaves of those tables. */
	bool incremental;
	uint64_t pages_shared;   /* guest-visible pages shared with the parent's image */
	uint64_t pt_pages_new;   /* page tables not shared with the parent */
	uint64_t pages_deduped;  /* new pages found in the lineage: stored once */
	uint64_t bytes_new;      /* memory this snapshot added (its backing) */
};

/* A host function the guest could call when the snapshot was taken; a
 * sandbox restoring the snapshot must offer the same name and signature. */
#define SNAP_MAX_HOST_FNS 32
#define SNAP_HOST_FN_NAME_MAX 255
struct snap_host_fn {
	char name[SNAP_HOST_FN_NAME_MAX + 1];
	uint8_t ret;                    /* enum sb_type */
	uint8_t nparams;
	uint8_t params[16];             /* enum sb_type; SB_CALL_MAX_ARGS */
};

/* Page-table roots a snapshot keeps (address spaces, snap_roots.c). */
#define SNAP_MAX_ROOTS 16
_Static_assert(SNAP_MAX_ROOTS == SB_MAX_ROOTS, "the roots slot holds every root");

struct snapshot {
	unsigned refs; /* atomic; see snap_ref / snap_unref */
	struct layout layout;
	uint8_t *image;      /* read-only host mapping */
	uint64_t map_bytes;  /* size of that mapping (page multiple) */
	enum snap_entry_kind entry_kind;
	gva_t entry_gva;     /* ELF entry (INIT) or dispatch entry (CALL) */
	gva_t stack_top_gva; /* initial RSP: exception stack (INIT), main stack (CALL) */
	uint64_t generation; /* Nth snapshot along a sandbox's history; 0 from an ELF */
	uint8_t digest[16];
	/* One bit per page of the guest-visible image: set = zero and never
	 * written since the image was mapped (fresh anonymous memory), so
	 * readers that only need to know it is zero (the digest, the
	 * host-cow non-zero map) skip it without faulting it in. NULL: nothing
	 * known (every page may be non-zero). Owned; freed with the snapshot. */
	uint64_t *zero_known;
	struct snap_stats stats;
	/* Address spaces (snapshot/snap_roots.c): the page-table roots in the
	 * tail, root 0 at the page-table copy's GPA (the only one of a
	 * snapshot from an ELF or a file before version 3), and the one CR3
	 * holds when a sandbox starts from the snapshot. The digest covers
	 * them when there is more than root 0. */
	unsigned nroots;
	unsigned cur_root;
	gpa_t roots[SNAP_MAX_ROOTS];
	/* CALL snapshots: the vCPU's special registers when taken (CR3 is
	 * replaced by roots[cur_root] on restore). */
	bool has_sregs;
	struct kvm_sregs sregs;
	unsigned n_host_fns;
	struct snap_host_fn host_fns[SNAP_MAX_HOST_FNS];
	char source[256];    /* where it came from, for messages and reports */
	/* A full snapshot of a running sandbox: why it was not incremental
	 * (vmm/sandbox_snapshot.c; "" otherwise). For reports. */
	char full_reason[160];
	/* The file snap_load read it from ("" when it was built in memory):
	 * errors of sandboxes created or restored from it name the file. Not
	 * part of the file or of the digest. */
	char file[256];
	struct snap_hostcow *hostcow; /* built on first use: snap_hostcow() */
	/* Live snapshots: the image as extents of backings (snap_store.h),
	 * mapped at `image` (for a full snapshot one extent: its own backing's
	 * mapping). NULL for an ELF snapshot or a file's (one mapping of their
	 * own): those are never the parent of an incremental snapshot. */
	struct snap_extent *extents;
	size_t nextents;
	struct snap_lineage *lineage;
	uint64_t zero_page;   /* an all-zero guest-visible image page, UINT64_MAX: none known */
	uint32_t *tail_parents; /* built on first use (snap_incr.c) */
	/* Incremental images: pages of the image no leaf maps any more, as
	 * the walks since the last full snapshot saw them (snap_incr.c). */
	uint64_t pages_unmapped;
	/* Live snapshots: how many leaves map each guest-visible image page
	 * (saturating), NULL until built (snap_incr.c); page_refs_unknown:
	 * cannot be known (a table reached twice, a subtree removed). */
	uint16_t *page_refs;
	bool page_refs_unknown;
	/* The digest is computed on first use (snap_digest_ready) when this
	 * is set: an incremental snapshot does not read its parent's pages. */
	bool digest_pending;
	int ring0_guard;     /* snap_ring0_only_by_exception_stack: 0 not known, 1 yes, 2 no */
};

/* Can ring-3 code of a sandbox from `s` reach ring 0 only in ways that
 * write the exception-stack pages (snap_ring0.c)? Restores rely on it for
 * light restores; false (every restore full) when the snapshot lets ring 3
 * in by SYSCALL, a call gate or a TSS stack elsewhere, or has no
 * registers. Computed once. */
bool snap_ring0_only_by_exception_stack(struct snapshot *s);

/* What sandboxes restoring by host copy-on-write need of a snapshot
 * (snap_hostcow.c): built on first use, then shared and read-only. */
struct snap_hostcow {
	uint8_t *pt;             /* the page-table tail, writable data writable in place */
	uint64_t pages_writable; /* leaves made writable */
	uint64_t *nonzero;       /* one bit per guest-visible image page: not all zero */
	uint64_t nonzero_pages;
};
/* NULL with err filled on failure (out of memory, tables that cannot be
 * walked). Safe to call from several threads. */
const struct snap_hostcow *snap_hostcow(struct snapshot *s, struct sb_err *err);

/* The leaves through which the CPU reaches the GDT, IDT and TSS of a
 * snapshot with registers, in page tables `tables` laid out like its tail
 * (at most max; 0 without registers): one per 4 KiB page, each with
 * entry_gpa where the leaf sits and, in place of `entry`, the address of
 * the 4 KiB page it maps. Ring 3 must not be able to write those pages
 * unseen (snap_hostcow.c, mgr_retain.c). */
#define SNAP_RING0_TABLE_LEAVES_MAX 64 /* three tables of at most 64 KiB: 17 pages each */
struct pt_leaf;
size_t snap_ring0_table_leaves(const struct snapshot *s, const uint8_t *tables,
			       struct pt_leaf *out, size_t max);

/* Build the INIT snapshot of a guest ELF: load it at the code region,
 * write the PEB and init data (may be NULL with init_bytes 0; init_flags
 * 0 = read-only), and build the initial page tables (writable regions
 * copy-on-write, the rest read-only, the scratch window RW/NX). */
int snap_from_elf(struct snapshot **out, const struct elf_image *img,
		  const struct layout_config *config, const void *init_data, uint64_t init_bytes,
		  unsigned init_flags, struct sb_err *err);

/* Host memory the sandbox maps read-only at a guest-physical address. */
struct snap_extra_region {
	gpa_t gpa;
	const void *host;
	uint64_t bytes;
};

/* What a running sandbox's memory looks like, for snap_from_live. */
#define SNAP_MAX_EXTRA 16
struct snap_live_input {
	const struct snapshot *base;  /* the snapshot the sandbox runs from */
	/* What the guest sees in the snapshot region, if not base's image (a
	 * host-cow sandbox's private copy); NULL = base->image. */
	const uint8_t *snapshot_mem;
	const uint8_t *scratch;       /* its scratch region */
	uint64_t scratch_bytes;
	const gpa_t *roots;           /* page-table roots (CR3 of each address space) */
	size_t nroots;
	size_t cur_root;              /* the one CR3 holds: restores start in it */
	const struct kvm_sregs *sregs;
	gva_t dispatch_gva, stack_top_gva;
	uint64_t generation;          /* the new snapshot's */
	const struct snap_host_fn *host_fns;
	unsigned n_host_fns;
	/* Extra read-only regions mapped into the guest: pages of them the
	 * guest maps are frozen into the image. */
	const struct snap_extra_region *extra;
	size_t n_extra;
	/* Largest guest-visible image to build (0: SB_SNAPSHOT_MAX_BYTES, the
	 * most a snapshot can hold; more is refused). The guest decides what
	 * gets copied (at most each page of its memory once), so the copy
	 * stops with SB_E_GUEST as soon as it would pass this, before the host
	 * has spent memory or time on the rest. */
	uint64_t max_snapshot_bytes;
};

/* Snapshot a running sandbox: copy every distinct mapped page once into a
 * dense image (aliases share their copy, zero pages share one page),
 * writable pages become copy-on-write, and the page tables are rebuilt
 * at their scratch GPA. The result is a CALL snapshot. Large pages are
 * rebuilt as 4 KiB leaves whose pages are placed like any other (once per
 * distinct guest-physical page, however many entries map them; entries
 * mapping the same large page share its rebuilt table), so the image is
 * bounded by the guest memory mapped, not by the number of mappings.
 * Mappings that need more pages than in->max_snapshot_bytes allows are an
 * SB_E_GUEST error. */
int snap_from_live(struct snapshot **out, const struct snap_live_input *in, struct sb_err *err);

/* What the host knows changed in a sandbox since it last became a copy
 * of in->base (create or restore): from KVM's dirty logs and the host's
 * own writes, never from the guest. */
struct snap_incr_dirty {
	/* Bit tables_bit0 + t: table t of base's page-table tail (its page of
	 * the page-table area) was written; with all_tables: every one. */
	const uint64_t *tables;
	uint64_t tables_bit0;
	bool all_tables;
	/* Host-cow: one bit per guest-visible page of the snapshot region
	 * (in->snapshot_mem) written; NULL when that region is base's
	 * read-only image. */
	const uint64_t *snap_pages;
};

/* The snapshot of a running sandbox that costs what changed since
 * in->base (snap_incr.c): only the page tables written since (and the
 * tables above them) are walked, only pages written since are stored, and
 * every other page of the image and of the tail is base's own backing
 * page, shared. in->base must be a live snapshot (extents). Returns 0 with
 * *out, -1 with err (out of memory), or 1 when this sandbox's changes
 * need the full snapshot (err says why: new or shared tables, large
 * pages, edits of the scratch window, anything unusual): the caller then
 * calls snap_from_live, which also judges what a hostile guest did. */
int snap_from_live_incr(struct snapshot **out, const struct snap_live_input *in,
			const struct snap_incr_dirty *d, struct sb_err *err);

/* Are the snapshot's special registers (and an INIT snapshot's stack top)
 * what this VMM runs a sandbox in: long mode with paging, PAE and NX, a
 * 64-bit code segment in ring 0 or 3 with a matching stack segment, a busy
 * 64-bit TSS, canonical table and segment bases, CR3 in guest memory, no
 * pending interrupt (the rules in snap_sregs.c)? 0, or -1 with err saying
 * "special register X is Y, must be ...". snap_load checks every file with
 * it, whatever its checksum says: KVM refuses most of what it refuses, but
 * later and without naming anything. */
int snap_sregs_check(const struct snapshot *s, struct sb_err *err);

/* What a sandbox restored from `s` sees at [va, va + len_bytes) before it
 * runs: read through the snapshot's page tables (CR3 = snap_cur_root, the
 * address space it was taken in) over its image and tail (snap_read.c).
 * Pages of scratch other than the page-table area are not part of a
 * snapshot: a VA mapping them is an error here ("maps GPA 0x... outside
 * the snapshot"). 0, or -1 with err naming the address; *done_bytes (may
 * be NULL): bytes copied before an error. */
int snap_read_gva(const struct snapshot *s, gva_t va, void *buf, uint64_t len_bytes,
		  uint64_t *done_bytes, struct sb_err *err);
/* The same through another of its roots (one of s->roots). */
int snap_read_gva_root(const struct snapshot *s, gpa_t root, gva_t va, void *buf,
		       uint64_t len_bytes, uint64_t *done_bytes, struct sb_err *err);

struct snapshot *snap_ref(struct snapshot *s);
void snap_unref(struct snapshot *s);

/* Address spaces (snap_roots.c). What a sandbox's guest declared in its
 * roots slot (common/sandbox_abi.h) plus CR3, checked: *nroots roots in
 * the slot's order (CR3 appended when the slot does not list it), *cur the
 * index of CR3. A slot without the magic declares nothing (roots = CR3).
 * -1 with SB_E_GUEST naming the bad entry and what is allowed: a root
 * must be a page-aligned page of the page-table area or the free pages of
 * scratch, at most SNAP_MAX_ROOTS in all. */
int snap_roots_declared(const struct layout *l, const uint8_t *scratch, uint64_t scratch_bytes,
			gpa_t cr3, gpa_t roots[SNAP_MAX_ROOTS], size_t *nroots, size_t *cur,
			struct sb_err *err);
/* Write the snapshot's roots into the slot of `scratch` (build, restore). */
void snap_roots_write_slot(const struct snapshot *s, uint8_t *scratch, uint64_t scratch_bytes);
/* Are the stored roots sound (a file's: 1..SNAP_MAX_ROOTS distinct
 * page-aligned tables of the tail, root 0 at its start, cur_root one of
 * them)? 0 or -1 with err. */
int snap_roots_check(const struct snapshot *s, struct sb_err *err);
/* The root CR3 gets when a sandbox starts from `s`. */
static inline gpa_t snap_cur_root(const struct snapshot *s)
{
	return s->roots[s->cur_root < s->nroots ? s->cur_root : 0];
}

static inline const uint8_t *snap_pt_tail(const struct snapshot *s)
{
	return s->image + layout_pt_tail_offset(&s->layout);
}

/* What the image holds, counted from the page tables (every root, each
 * (page, VA) once): what `snapbench inspect` prints and the TUI's dedup
 * view shows. snap_stats say what the snapshot did when it was taken (a
 * live snapshot's zero_pages are pages of the sandbox, which all became
 * one image page); these say what is in the image now. */
struct snap_census {
	uint64_t image_pages;        /* guest-visible image pages */
	uint64_t pt_pages;           /* page-table pages (the root among them) */
	uint64_t vas;                /* 4 KiB VAs that map an image page */
	uint64_t outside;            /* VAs that map elsewhere (scratch, entry page) */
	uint64_t pages_mapped;       /* image pages at least one VA maps */
	uint64_t zero_pages;         /* of those, all zero */
	uint64_t aliased_pages;      /* of those, mapped at >= 2 VAs (zero ones too) */
	uint64_t aliased_zero_pages; /* aliased and all zero */
	bool truncated;              /* stopped at 2^22 VAs */
	int walk_status;             /* enum pt_status of the walk */
};
int snap_census(const struct snapshot *s, struct snap_census *c, struct sb_err *err);

/* Is the 4 KiB page at p all zero? */
static inline bool snap_page_is_zero(const uint8_t *p)
{
	const uint64_t *w = (const uint64_t *)p;
	uint64_t acc = 0;
	for (size_t i = 0; i < SB_PAGE_SIZE / 8; i++)
		acc |= w[i];
	return acc == 0;
}

/* Is page p of the guest-visible image known zero (snapshot.zero_known)? */
static inline bool snap_page_known_zero(const struct snapshot *s, uint64_t p)
{
	return s->zero_known && p < layout_snapshot_bytes(&s->layout) / SB_PAGE_SIZE &&
	       (s->zero_known[p / 64] >> (p % 64) & 1);
}

/* Compute the digest if it is still pending (thread-safe). */
void snap_digest_ready(const struct snapshot *s);
bool snap_equal(const struct snapshot *a, const struct snapshot *b);
/* Digest as 32 lower-case hex digits + NUL. */
void snap_digest_hex(const struct snapshot *s, char out[33]);

#endif
