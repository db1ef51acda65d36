/* snap_elf.c — the INIT snapshot of a guest ELF (DESIGN.md §5). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "snapshot_internal.h"

/* The scratch window, RW and NX, all of it but the stack's guard page,
 * user-accessible; snap_hide_pt_area later takes the page-table area out
 * of ring 3's reach (its size is known only once every table exists). And
 * the host's entry page above it (common/sandbox_abi.h), user R-X: in the
 * last page table the window uses, so it costs no table. */
int snap_map_scratch_window(struct pt_hostbuf *hb, const struct layout *layout,
			    struct sb_err *err)
{
	uint64_t bytes = layout_scratch_bytes(layout), guard = sb_stack_guard_offset(bytes);
	const uint64_t guard_bytes = SB_SCRATCH_GUARD_PAGES * SB_PAGE_SIZE;
	struct pt_mapping m = {
		.phys = layout_scratch_base_gpa(layout),
		.virt = layout_scratch_base_gva(layout),
		.len_bytes = guard,
		.kind = pt_kind_basic(true, true, false),
		.user = true, /* guest code runs in ring 3 (guest/runtime.c) */
	};
	struct pt_mapping above = m;
	above.phys += guard + guard_bytes;
	above.virt += guard + guard_bytes;
	above.len_bytes = bytes - guard - guard_bytes;
	struct pt_mapping entry = {
		.phys = SB_ENTRY_PAGE_GPA,
		.virt = SB_ENTRY_PAGE_GVA,
		.len_bytes = SB_PAGE_SIZE,
		.kind = pt_kind_basic(true, false, true),
		.user = true,
	};
	if (pt_status_err(err, pt_map(&hb->pt, &m), "mapping the scratch window") ||
	    pt_status_err(err, pt_map(&hb->pt, &entry), "mapping the host's entry page") ||
	    pt_status_err(err, pt_map(&hb->pt, &above), "mapping the scratch window"))
		return -1;
	/* The exception-stack pages without their dirty bit. A leaf marked
	 * dirty lets KVM's shadow MMU map the page writable on a mere read,
	 * and it logs the page dirty when it does: after a full restore
	 * (which drops the shadow tables) a call that only reads the
	 * bookkeeping words there made the next restore full too, and so on.
	 * Clear, the page is mapped read-only until the first write, which
	 * sets the bit in the page-table area (a full restore follows, as it
	 * must after anything wrote the exception stack). */
	for (uint64_t k = 1; k <= SB_SCRATCH_EXN_PAGES; k++) {
		struct pt_leaf leaf;
		if (pt_status_err(err, pt_lookup(&hb->pt, pt_hostbuf_root(hb), SB_SCRATCH_END_GVA -
						 k * SB_PAGE_SIZE, &leaf),
				  "the exception-stack pages"))
			return -1;
		pt_entry_t e = leaf.entry & ~PT_D;
		memcpy(hb->bytes + (leaf.entry_gpa - hb->base_gpa), &e, sizeof e);
	}
	return 0;
}

/* The page-table area of the window [pt offset, free offset) made
 * supervisor-only (US clear), defence in depth: ring-3 guest code can then
 * neither read nor write the tables the host built (common/sandbox_abi.h;
 * tables the guest adds later are hidden by its runtime, guest/ptgate.c).
 * Runs once the tables are complete and the layout knows their size: it
 * only rewrites window leaves that exist already, so it allocates no table
 * and the size it hides stays the size of the tables (checked). */
int snap_hide_pt_area(struct pt_hostbuf *hb, const struct layout *layout, struct sb_err *err)
{
	size_t before = pt_hostbuf_size_bytes(hb);
	struct pt_mapping m = {
		.phys = layout_pt_base_gpa(layout),
		.virt = layout_scratch_base_gva(layout) + layout_pt_scratch_offset(layout),
		.len_bytes = layout_pt_bytes(layout),
		.kind = pt_kind_basic(true, true, false),
		.user = false, /* ring 0 only: the runtime edits tables in ring 0 */
	};
	if (pt_status_err(err, pt_map(&hb->pt, &m), "hiding the page-table area"))
		return -1;
	if (pt_hostbuf_size_bytes(hb) != before || layout_pt_bytes(layout) != before)
		return sb_errf(err, SB_E_RANGE, "hiding the page-table area: %zu bytes of tables, "
			       "%llu bytes hidden", pt_hostbuf_size_bytes(hb),
			       (unsigned long long)layout_pt_bytes(layout));
	return 0;
}

/* Writable regions become copy-on-write; the others stay read-only. */
static int map_snapshot_regions(struct pt_hostbuf *hb, const struct layout *layout,
				struct sb_err *err)
{
	struct layout_region r[LAYOUT_MAX_REGIONS];
	size_t n = layout_snapshot_regions(layout, r);
	for (size_t i = 0; i < n; i++) {
		bool rd = r[i].flags & LAYOUT_F_READ, wr = r[i].flags & LAYOUT_F_WRITE,
		     ex = r[i].flags & LAYOUT_F_EXEC;
		struct pt_mapping m = {
			.phys = r[i].gpa,
			.virt = r[i].gva,
			.len_bytes = sb_page_round_up(r[i].bytes),
			.kind = wr ? pt_kind_cow(rd, ex) : pt_kind_basic(rd, false, ex),
			.user = true, /* guest code runs in ring 3 (guest/runtime.c) */
		};
		if (pt_status_err(err, pt_map(&hb->pt, &m), layout_region_name(r[i].kind)))
			return -1;
	}
	return 0;
}

/* The image pages nothing below writes: the code region beyond the
 * pages elf_image_load writes (the segments' .bss) and the heap. The rest
 * (the file's bytes, relocated slots, PEB, init data) may be non-zero. */
static int mark_zero_known(struct snapshot *s, const struct elf_image *img, struct sb_err *err)
{
	const struct layout *l = &s->layout;
	uint64_t npages = layout_snapshot_bytes(l) / SB_PAGE_SIZE, words = (npages + 63) / 64;
	uint64_t code_pages = sb_page_round_up(img->span_bytes) / SB_PAGE_SIZE;
	uint64_t *written = calloc(words ? words : 1, sizeof *written);
	s->zero_known = calloc(words ? words : 1, sizeof *s->zero_known);
	if (!written || !s->zero_known) {
		free(written);
		return sb_errf(err, SB_E_NOMEM, "%s: cannot allocate the zero-page map", img->name);
	}
	elf_image_written_pages(img, written, code_pages);
	struct layout_region r[LAYOUT_MAX_REGIONS];
	size_t n = layout_snapshot_regions(l, r);
	for (size_t i = 0; i < n; i++) {
		if (r[i].kind != LAYOUT_REGION_CODE && r[i].kind != LAYOUT_REGION_HEAP)
			continue;
		uint64_t first = (r[i].gpa - SB_BASE_ADDRESS) / SB_PAGE_SIZE;
		uint64_t pages = sb_page_round_up(r[i].bytes) / SB_PAGE_SIZE;
		for (uint64_t p = 0; p < pages && first + p < npages; p++) {
			bool w = r[i].kind == LAYOUT_REGION_CODE &&
				 (p >= code_pages || (written[p / 64] >> (p % 64) & 1));
			if (!w)
				s->zero_known[(first + p) / 64] |= 1ull << ((first + p) % 64);
		}
	}
	free(written);
	return 0;
}

int snap_from_elf(struct snapshot **out, const struct elf_image *img,
		  const struct layout_config *config, const void *init_data, uint64_t init_bytes,
		  unsigned init_flags, struct sb_err *err)
{
	struct layout layout;
	if (layout_init(&layout, config, img->span_bytes, init_bytes, init_flags, err))
		return sb_err_prefix(err, "%s: ", img->name);

	struct pt_hostbuf hb;
	if (pt_status_err(err, pt_hostbuf_init(&hb, &pt_format_x86_64, layout_pt_base_gpa(&layout)),
			  "page tables"))
		return -1;
	struct snapshot *s = NULL;
	if (map_snapshot_regions(&hb, &layout, err) || snap_map_scratch_window(&hb, &layout, err) ||
	    layout_set_pt_bytes(&layout, pt_hostbuf_size_bytes(&hb), err) ||
	    snap_hide_pt_area(&hb, &layout, err) || snap_alloc(&s, &layout, err))
		goto fail;

	if (mark_zero_known(s, img, err))
		goto fail;
	gva_t load = layout_code_gva(&layout);
	uint64_t image_bytes = layout_image_bytes(&layout);
	if (elf_image_load(img, s->image + layout.code_offset, img->span_bytes, load, err) ||
	    layout_write_peb(&layout, s->image, image_bytes, err) ||
	    (init_bytes &&
	     layout_write_init_data(&layout, s->image, image_bytes, init_data, init_bytes, err)))
		goto fail;
	memcpy(s->image + layout_pt_tail_offset(&layout), pt_hostbuf_bytes(&hb),
	       pt_hostbuf_size_bytes(&hb));

	s->entry_kind = SNAP_ENTRY_INIT;
	s->entry_gva = elf_image_entry(img, load);
	s->stack_top_gva = layout_exn_stack_top_gva(&layout);
	s->generation = 0;
	s->stats.pt_pages = pt_hostbuf_tables(&hb);
	s->stats.pages_copied = layout_snapshot_bytes(&layout) / SB_PAGE_SIZE;
	s->stats.pages_mapped = s->stats.pages_copied + layout_scratch_bytes(&layout) / SB_PAGE_SIZE -
				SB_SCRATCH_GUARD_PAGES + 1 /* the host's entry page */;
	snprintf(s->source, sizeof s->source, "%s", img->name);
	if (snap_seal(s, err))
		goto fail;
	pt_hostbuf_free(&hb);
	*out = s;
	return 0;
fail:
	snap_unref(s);
	pt_hostbuf_free(&hb);
	/* Name the guest: "scratch size ... is below the minimum" once the
	 * page tables are known says nothing about which one otherwise. */
	return sb_err_prefix(err, "%s: ", img->name);
}
