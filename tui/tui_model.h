/* tui_model.h — what the TUI shows: a snapshot (and optionally a later one
 * of the same chain to compare with), or a scenario file to run live.
 *
 * Loading is all the I/O there is; every view renders from a model without
 * touching files or KVM (except the live view, which runs the scenarios).
 * A model must not be moved or copied once loaded: its page-table reader
 * points into itself.
 */
#ifndef SNAPBENCH_TUI_MODEL_H
#define SNAPBENCH_TUI_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "err.h"
#include "pt_host.h"
#include "scenario.h"
#include "snapshot.h"

struct tui_model {
	struct snapshot *snap; /* what layout / page tables / dedup show (one reference) */
	/* Two snapshots of one chain for the dedup view's compare (cmp_b
	 * against cmp_a), or NULL: the two files given, or for one input a
	 * hand-made chain over `snap` (tui_chain_handmade). One reference each. */
	struct snapshot *cmp_a, *cmp_b;
	/* Scratch of a (hand-made or live) sandbox running `snap`, or NULL:
	 * then the bookkeeping words shown are the ones a build writes. */
	const uint8_t *scratch;
	uint64_t scratch_bytes;
	struct scenario_set scenarios; /* of a scenario file; n = 0 otherwise */
	char source[256];              /* what `snap` came from, for titles */
	char cmp_a_source[256], cmp_b_source[256];
	/* Read-only page-table view of `snap`: its guest-visible image at
	 * SB_BASE_ADDRESS and its page-table tail at the scratch GPA it runs
	 * from (pt_root = CR3). Built by tui_model_attach(). */
	struct pt_region pt_mem[2];
	struct pt_regions pt;
	gpa_t pt_root;
	uint8_t *owned_scratch; /* freed with the model */
	/* The snapshot `snap`'s memory started from (a live sandbox's: the one
	 * it ran from), or NULL: the hex view shows its page beside a page of
	 * `snap` whose bytes differ (a copy-on-write copy). One reference. */
	struct snapshot *origin;
	char origin_source[256];
	bool live;              /* `snap` is a snapshot of a live sandbox */
};

/* Load `path` (NULL = the built-in guest): an ELF, a snapshot file (by its
 * magic) or else a scenario file. */
int tui_model_load(struct tui_model *m, const char *path, struct sb_err *err);
/* Two snapshot files of one chain: `a` is shown, `b` is compared with it. */
int tui_model_load_pair(struct tui_model *m, const char *a, const char *b, struct sb_err *err);
/* A model over snapshots the caller built (references are taken; a and b
 * may be NULL). `source` names `snap` in titles; a and b are named
 * "A (generation N)" and "B (generation N)". */
void tui_model_from_snapshots(struct tui_model *m, struct snapshot *snap, const char *source,
			      struct snapshot *a, struct snapshot *b);
void tui_model_free(struct tui_model *m);
/* Show `snap`, a snapshot of a live sandbox (a reference is taken), named
 * `what` in titles: it replaces `snap`, and the snapshot it replaces, if
 * it was live too, becomes cmp_a with `snap` as cmp_b (the dedup view's
 * compare: two generations of one sandbox). The first live snapshot has
 * nothing to be compared with: cmp_a and cmp_b become NULL. The scenarios
 * are untouched (a live run reads them). */
void tui_model_show_live(struct tui_model *m, struct snapshot *snap, const char *what);

/* Set (or with NULL clear) the model's origin (a reference is taken),
 * named `what` in the hex view. */
void tui_model_set_origin(struct tui_model *m, struct snapshot *origin, const char *what);

/* The INIT snapshot of the embedded test guest with the default layout. */
int tui_builtin_snapshot(struct snapshot **out, const struct layout_config *cfg, struct sb_err *err);

/* A deterministic two-snapshot chain made without KVM (chain.c): a sandbox
 * scratch set up by the memory manager over `base`, edited as the guest
 * would: heap page 1 copied-on-write with pattern 0xAA and aliased at
 * TUI_CHAIN_ALIAS_GVA -> snapshot A (generation base+1); then heap page 1
 * rewritten 0xBB, heap page 2 written 0xCC and a fresh page 0xDD mapped at
 * TUI_CHAIN_ALIAS_GVA + 4 KiB -> snapshot B. So B against A: code, PEB and
 * zero pages shared, heap pages 1 and 2 (and the alias) changed, one page
 * new. Needs a heap of >= 3 pages. */
#define TUI_CHAIN_ALIAS_GVA 0x0000500000000000ull
int tui_chain_handmade(struct snapshot *base, struct snapshot **a, struct snapshot **b,
		       struct sb_err *err);

#endif
