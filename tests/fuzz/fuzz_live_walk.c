/* fuzz_live_walk.c — the live-snapshot walker (snapshot/snap_live.c over
 * vmem's multi-root walk, pt_multiroot.c) on page tables a guest wrote.
 * No KVM: the "running sandbox" is the INIT snapshot of the embedded test
 * guest (small heap) and a scratch region whose page-table area holds the
 * input, as if the guest had written it there:
 *
 *   byte 0   root: the table (input page) index CR3 points at
 *   byte 1   number of roots (1 + byte % 4), consecutive tables
 *   byte 2.. pages placed at the scratch region's page-table offset, the
 *            rest of scratch zero
 *
 * Every entry is attacker-controlled: loops, aliases, large pages, tables
 * outside memory. The snapshot is capped at 8 MiB (the guest chooses the
 * work; the cap makes it stop early). The INIT snapshot's own tables are
 * the seed (tests/fuzz/seedgen.c). The same tables are then read by
 * address (vmem's pt_regions_read_va, as sandbox_read_gva reads a live
 * sandbox), and the snapshot taken by address too (snap_read_gva): reads
 * that must stay inside guest memory whatever the entries say. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "elf_load.h"
#include "fuzz_note.h"
#include "pt_host.h"
#include "proto.h"
#include "snapshot.h"
#include "testguest_blob.h"

#define MAX_SNAPSHOT_BYTES (8ull << 20)

static struct snapshot *base;
static uint8_t *scratch;

static void setup(void)
{
	struct elf_image img;
	struct sb_err err;
	struct layout_config cfg = { .heap_bytes = 16 << 10, .input_bytes = LAYOUT_DEFAULT_INPUT_BYTES,
				     .output_bytes = LAYOUT_DEFAULT_OUTPUT_BYTES,
				     .scratch_bytes = LAYOUT_DEFAULT_SCRATCH_BYTES };
	if (elf_image_from_memory(&img, sb_testguest_elf, sb_testguest_elf_bytes(), "testguest",
				  &err) ||
	    snap_from_elf(&base, &img, &cfg, NULL, 0, 0, &err))
		abort();
	elf_image_free(&img);
	scratch = calloc(1, cfg.scratch_bytes);
	if (!scratch)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!base)
		setup();
	if (size < 2)
		return 0;
	const struct layout *l = &base->layout;
	uint64_t scratch_bytes = l->config.scratch_bytes;
	uint64_t pt_off = layout_pt_scratch_offset(l);
	uint64_t room = scratch_bytes - pt_off;
	uint64_t n = size - 2 < room ? size - 2 : room;
	memset(scratch, 0, scratch_bytes);
	memcpy(scratch + pt_off, data + 2, n);

	gpa_t roots[4];
	size_t nroots = 1 + data[1] % 4;
	for (size_t i = 0; i < nroots; i++)
		roots[i] = layout_pt_base_gpa(l) + ((uint64_t)data[0] + i) * SB_PAGE_SIZE;
	struct kvm_sregs sregs = { .cr0 = 0x80010033 };
	/* As the sandbox passes them (never NULL: snap_from_live copies them
	 * with memcpy, which must not see NULL even for 0 functions). */
	static const struct snap_host_fn fns[1] = { { .name = "twice", .ret = SB_T_I64,
						      .nparams = 1, .params = { SB_T_I64 } } };
	struct snap_live_input in = {
		.base = base, .scratch = scratch, .scratch_bytes = scratch_bytes,
		.roots = roots, .nroots = nroots, .sregs = &sregs,
		.dispatch_gva = SB_BASE_ADDRESS, .stack_top_gva = sb_call_stack_top_gva(),
		.generation = 1, .host_fns = fns, .n_host_fns = 1, .max_snapshot_bytes = MAX_SNAPSHOT_BYTES,
	};
	struct snapshot *s = NULL;
	struct sb_err err;
	int rc = snap_from_live(&s, &in, &err);
	fuzz_note("snapshot", rc, &err);

	/* Memory by address through the hostile root: a page and a bit around
	 * each place a guest has something, and the first page of each
	 * PML4 slot the input's first bytes name. */
	static uint8_t page[SB_PAGE_SIZE + 32];
	const struct pt_region regions[2] = {
		{ SB_BASE_ADDRESS, base->image, layout_snapshot_bytes(l) },
		{ layout_scratch_base_gpa(l), scratch, scratch_bytes },
	};
	struct pt_regions rr;
	pt_regions_init(&rr, &pt_format_x86_64, regions, 2, roots[0]);
	gva_t vas[8] = {
		layout_heap_gva(l) - 16, SB_BASE_ADDRESS, layout_peb_gva(l),
		sb_scratch_gpa_to_gva(layout_pt_base_gpa(l)), 0xFFFFFFFFFFFFF000ull - 16,
	};
	for (size_t i = 0; i < 3 && 2 + i < size; i++)
		vas[5 + i] = pt_lin_to_va(&pt_format_x86_64, (uint64_t)data[2 + i] << 39);
	for (size_t i = 0; i < 8; i++) {
		uint64_t done;
		int r = pt_regions_read_va(&rr, roots[0], vas[i], page, sizeof page, NULL, &done, &err);
		if (done > sizeof page || (r == 0 && done != sizeof page))
			abort();
		if (rc == 0 && vas[i] <= UINT64_MAX - sizeof page) {
			r = snap_read_gva(s, vas[i], page, sizeof page, &done, &err);
			if (done > sizeof page || (r == 0 && done != sizeof page))
				abort();
		}
	}
	if (rc == 0) {
		if (layout_snapshot_bytes(&s->layout) > MAX_SNAPSHOT_BYTES)
			abort(); /* past the cap it was given */
		snap_unref(s);
	}
	return 0;
}
