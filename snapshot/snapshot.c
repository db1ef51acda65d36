/* snapshot.c — snapshot objects: image mapping, reference counts, identity. */
#include "snapshot_internal.h"

#include <pthread.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#define XXH_STATIC_LINKING_ONLY /* XXH3_state_t on the stack */
#include <xxhash.h>

#include "snap_store.h"

int snap_alloc(struct snapshot **out, const struct layout *layout, struct sb_err *err)
{
	uint64_t bytes = sb_page_round_up(layout_image_bytes(layout));
	struct snapshot *s = calloc(1, sizeof *s);
	if (!s)
		return sb_errf(err, SB_E_NOMEM, "cannot allocate a snapshot");
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		free(s);
		return sb_errf(err, SB_E_NOMEM, "cannot map a %llu-byte snapshot image",
			       (unsigned long long)bytes);
	}
	s->refs = 1;
	s->layout = *layout;
	s->image = p;
	s->map_bytes = bytes;
	s->nroots = 1; /* one address space unless the builder says more */
	s->roots[0] = layout_pt_base_gpa(layout);
	s->zero_page = UINT64_MAX;
	*out = s;
	return 0;
}

int snap_alloc_backed(struct snapshot **out, const struct layout *layout, struct sb_err *err)
{
	uint64_t bytes = sb_page_round_up(layout_image_bytes(layout));
	struct snapshot *s = calloc(1, sizeof *s);
	struct snap_backing *b = NULL;
	if (!s)
		return sb_errf(err, SB_E_NOMEM, "cannot allocate a snapshot");
	s->lineage = snap_lineage_new();
	s->extents = calloc(1, sizeof *s->extents);
	if (!s->lineage || !s->extents ||
	    snap_backing_new(&b, bytes / SB_PAGE_SIZE, s->lineage, err)) {
		if (!err->code)
			sb_errf(err, SB_E_NOMEM, "cannot allocate a snapshot");
		snap_lineage_unref(s->lineage);
		free(s->extents);
		free(s);
		return -1;
	}
	s->extents[0] = (struct snap_extent){ b, 0, 0, bytes / SB_PAGE_SIZE };
	s->nextents = 1;
	s->refs = 1;
	s->layout = *layout;
	s->image = b->base;
	s->map_bytes = bytes;
	s->nroots = 1;
	s->roots[0] = layout_pt_base_gpa(layout);
	s->zero_page = UINT64_MAX;
	*out = s;
	return 0;
}

void snap_compute_digest(const struct snapshot *s, uint8_t out[16])
{
	XXH3_state_t st;
	XXH3_128bits_reset(&st);
	/* Known-zero pages come from a buffer of zeros, not from the image:
	 * the same bytes, so the same digest, without faulting them in. */
	/* not const: in .bss, not 256 KiB of .rodata in every binary */
	static uint8_t zeros[64 * SB_PAGE_SIZE];
	uint64_t total = layout_image_bytes(&s->layout), off = 0;
	while (off < total) {
		uint64_t p = off / SB_PAGE_SIZE;
		bool zero = snap_page_known_zero(s, p);
		uint64_t end = off;
		do
			end = (end / SB_PAGE_SIZE + 1) * SB_PAGE_SIZE;
		while (end < total && snap_page_known_zero(s, end / SB_PAGE_SIZE) == zero &&
		       (!zero || end - off < sizeof zeros));
		if (end > total)
			end = total;
		XXH3_128bits_update(&st, zero ? zeros : s->image + off, end - off);
		off = end;
	}
	uint64_t meta[] = {
		s->layout.config.heap_bytes, s->layout.config.input_bytes,
		s->layout.config.output_bytes, s->layout.config.scratch_bytes,
		s->layout.snapshot_bytes, s->layout.pt_bytes, s->entry_kind, s->entry_gva,
		s->stack_top_gva,
	};
	XXH3_128bits_update(&st, meta, sizeof meta);
	/* Several address spaces: which roots and which is current. Not
	 * hashed for root 0 alone, so digests of one-root snapshots (every
	 * file before version 3) are what they were. */
	if (s->nroots > 1 || s->cur_root) {
		uint64_t roots[2 + SNAP_MAX_ROOTS] = { s->nroots, s->cur_root };
		for (unsigned i = 0; i < s->nroots && i < SNAP_MAX_ROOTS; i++)
			roots[2 + i] = s->roots[i];
		XXH3_128bits_update(&st, roots, sizeof roots);
	}
	XXH128_canonical_t c;
	XXH128_canonicalFromHash(&c, XXH3_128bits_digest(&st));
	memcpy(out, c.digest, 16);
}

int snap_seal(struct snapshot *s, struct sb_err *err)
{
	snap_compute_digest(s, s->digest);
	/* A backed image: its backing's mapping, indexed for the lineage
	 * (guest-visible pages only: a parent's tables are shared by
	 * position, not by content). */
	if (s->nextents == 1 && s->image == s->extents[0].b->base)
		return snap_backing_seal(s->extents[0].b,
					 layout_snapshot_bytes(&s->layout) / SB_PAGE_SIZE, err);
	if (mprotect(s->image, s->map_bytes, PROT_READ) != 0)
		return sb_errf(err, SB_E_NOMEM, "cannot make the snapshot image read-only");
	return 0;
}

/* Pending digests are rare (an incremental snapshot that is saved,
 * compared or inspected): one lock for all. */
static pthread_mutex_t digest_lock = PTHREAD_MUTEX_INITIALIZER;

void snap_digest_ready(const struct snapshot *cs)
{
	struct snapshot *s = (struct snapshot *)cs; /* the digest is a cache */
	if (!__atomic_load_n(&s->digest_pending, __ATOMIC_ACQUIRE))
		return;
	pthread_mutex_lock(&digest_lock);
	if (s->digest_pending) {
		snap_compute_digest(s, s->digest);
		__atomic_store_n(&s->digest_pending, false, __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&digest_lock);
}

struct snapshot *snap_ref(struct snapshot *s)
{
	__atomic_add_fetch(&s->refs, 1, __ATOMIC_RELAXED);
	return s;
}

void snap_unref(struct snapshot *s)
{
	if (!s || __atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	snap_hostcow_free(s);
	/* A full live snapshot's image is its backing's own mapping; an
	 * incremental one's runs count against the process's budget. */
	if (!s->extents) {
		munmap(s->image, s->map_bytes);
	} else if (!(s->nextents == 1 && s->image == s->extents[0].b->base)) {
		munmap(s->image, s->map_bytes);
		snap_runs_release(s->nextents);
	}
	snap_extents_free(s->extents, s->nextents);
	snap_lineage_unref(s->lineage);
	free(s->tail_parents);
	free(s->page_refs);
	free(s->zero_known);
	free(s);
}

bool snap_equal(const struct snapshot *a, const struct snapshot *b)
{
	snap_digest_ready(a);
	snap_digest_ready(b);
	return memcmp(a->digest, b->digest, sizeof a->digest) == 0;
}

void snap_digest_hex(const struct snapshot *s, char out[33])
{
	snap_digest_ready(s);
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", s->digest[i]);
}
