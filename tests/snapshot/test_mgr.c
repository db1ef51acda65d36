/* test_mgr.c — the memory manager's reset, without KVM: the pages marked
 * dirty (by KVM's log or by the host) and only those are rewritten to what
 * a fresh scratch holds; a write to the page-table area or the exception
 * stack makes the reset say "tables touched" (a full restore), a write
 * elsewhere does not; guest-written words are never consulted.
 * Usage: test_mgr TESTGUEST_ELF */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "elf_load.h"
#include "mgr.h"
#include "pt.h"
#include "pt_host.h"

static struct snapshot *base;

/* A fresh scratch for `s`, to compare with. */
static uint8_t *fresh_copy(struct snapshot *s, uint64_t *bytes)
{
	struct mem_mgr f;
	struct sb_err err;
	if (!CHECK_I64(mgr_init(&f, s, &err), 0))
		return NULL;
	uint8_t *copy = malloc(f.scratch_bytes);
	if (copy)
		memcpy(copy, f.scratch, f.scratch_bytes);
	*bytes = f.scratch_bytes;
	mgr_fini(&f);
	return copy;
}

static uint64_t pages_differing(const struct mem_mgr *m, const uint8_t *fresh)
{
	uint64_t n = 0;
	for (uint64_t off = 0; off < m->scratch_bytes; off += SB_PAGE_SIZE)
		n += memcmp(m->scratch + off, fresh + off, SB_PAGE_SIZE) != 0;
	return n;
}

/* KVM's log says the guest wrote page p (as mgr_merge_dirty takes it). */
static void guest_wrote(struct mem_mgr *m, uint64_t p, uint8_t byte)
{
	memset(m->scratch + p * SB_PAGE_SIZE, byte, SB_PAGE_SIZE);
	uint64_t *log = calloc(mgr_dirty_log_words(m), sizeof *log);
	log[p / 64] |= 1ull << (p % 64);
	mgr_merge_dirty(m, log);
	free(log);
}

static void test_reset_follows_the_log(void)
{
	struct mem_mgr m;
	struct sb_err err;
	uint64_t bytes;
	uint8_t *fresh = fresh_copy(base, &bytes);
	if (!fresh || !CHECK_I64(mgr_init(&m, base, &err), 0))
		return;
	const struct layout *l = mgr_layout(&m);
	uint64_t pages = m.scratch_bytes / SB_PAGE_SIZE;
	uint64_t pt_page = layout_pt_scratch_offset(l) / SB_PAGE_SIZE;
	uint64_t free_page = layout_free_scratch_offset(l) / SB_PAGE_SIZE + 2;
	uint64_t exn_page = pages - 2, stack_page = pages - 4;
	CHECK_U64(pages_differing(&m, fresh), 0);

	/* Data pages: reset, and no table was touched. The allocator word is
	 * forged (the top page is not in the log: the host rewrites it anyway). */
	struct mgr_reset r;
	guest_wrote(&m, free_page, 0xAB);
	guest_wrote(&m, stack_page, 0xCD);
	memset(m.scratch + m.scratch_bytes - SB_SCRATCH_TOP_ALLOCATOR, 0xEE, 8);
	mgr_restore(&m, base, &r);
	CHECK_U64(pages_differing(&m, fresh), 0);
	CHECK(!r.tables_touched);
	CHECK_U64(r.pages_reset, 5); /* 2 written + input, output and top pages */

	/* A page the guest wrote but KVM's log never named stays as it is:
	 * the log is the authority, not a guess. */
	memset(m.scratch + free_page * SB_PAGE_SIZE, 0x11, 16);
	mgr_restore(&m, base, &r);
	CHECK_U64(pages_differing(&m, fresh), 1);
	mgr_mark_dirty(&m, free_page * SB_PAGE_SIZE + 8, 1); /* the host says it wrote there */
	mgr_restore(&m, base, &r);
	CHECK_U64(pages_differing(&m, fresh), 0);

	/* The page-table area and the exception stack: tables touched. */
	guest_wrote(&m, pt_page, 0x00);
	mgr_restore(&m, base, &r);
	CHECK(r.tables_touched);
	CHECK_U64(pages_differing(&m, fresh), 0);
	guest_wrote(&m, exn_page, 0x5A);
	mgr_restore(&m, base, &r);
	CHECK(r.tables_touched);
	CHECK_U64(pages_differing(&m, fresh), 0);

	/* No log at all: every page, and tables touched. */
	memset(m.scratch + free_page * SB_PAGE_SIZE, 0x22, SB_PAGE_SIZE);
	mgr_mark_all_dirty(&m);
	mgr_restore(&m, base, &r);
	CHECK(r.tables_touched);
	CHECK_U64(r.pages_reset, pages);
	CHECK_U64(pages_differing(&m, fresh), 0);

	/* Host writes outside scratch are ignored, not marked out of bounds. */
	uint8_t outside[8];
	mgr_mark_host_write(&m, outside, sizeof outside);
	mgr_mark_dirty(&m, m.scratch_bytes + SB_PAGE_SIZE, SB_PAGE_SIZE);
	mgr_mark_host_write(&m, m.scratch + m.scratch_bytes - 4, 100); /* clamped */
	mgr_restore(&m, base, &r);
	CHECK_U64(r.pages_reset, 3); /* only the input, output and top pages */
	CHECK(r.tables_touched);     /* a host write on the exception-stack page counts too */
	CHECK_U64(pages_differing(&m, fresh), 0);
	mgr_fini(&m);
	free(fresh);
}

/* The guest's copy-on-write handler, as the host sees its work: heap page
 * `i` copied into a fresh scratch page, its leaf made writable there. */
static gpa_t guest_copied(struct mem_mgr *m, unsigned i)
{
	const struct layout *l = mgr_layout(m);
	struct pt pt = mgr_scratch_pt(m);
	gva_t va = layout_heap_gva(l) + (gva_t)i * SB_PAGE_SIZE;
	gpa_t page = 0;
	struct pt_leaf leaf;
	if (!CHECK_I64(mgr_alloc_page(m, &page), PT_OK) ||
	    !CHECK_I64(pt_lookup(&pt, layout_pt_base_gpa(l), va, &leaf), PT_OK))
		return 0;
	memcpy(mgr_scratch_at(m, page, SB_PAGE_SIZE),
	       m->snap->image + ((leaf.entry & PT_X86_64_ADDR_MASK) - SB_BASE_ADDRESS), SB_PAGE_SIZE);
	struct pt_mapping mp = { page, va, SB_PAGE_SIZE, pt_kind_basic(true, true, false), true };
	CHECK_I64(pt_map(&pt, &mp), PT_OK); /* mgr_scratch_at marks the table dirty */
	return page;
}

/* Retain keeps exactly the copies its rules allow: not the one the CPU
 * reaches the IDT through (here a heap page, by the snapshot's registers),
 * not past the cap; kept copies hold their snapshot pages' bytes after
 * every restore, even after the guest wrote them; the allocator skips
 * them; another snapshot drops them all. */
static void test_retain(void)
{
	struct mem_mgr m;
	struct sb_err err;
	struct snapshot *s = base;
	/* A snapshot whose IDT sits in heap page 4 (test only: no vCPU). */
	bool had = s->has_sregs;
	struct kvm_sregs saved = s->sregs;
	s->has_sregs = true;
	memset(&s->sregs, 0, sizeof s->sregs);
	s->sregs.idt.base = layout_heap_gva(&s->layout) + 4 * SB_PAGE_SIZE;
	s->sregs.idt.limit = 0xfff;
	s->sregs.gdt.base = s->sregs.tr.base = s->sregs.idt.base;
	if (!CHECK_I64(mgr_init(&m, s, &err), 0) || !CHECK_I64(mgr_use_retain(&m, 3, &err), 0))
		goto out;
	gpa_t p[6];
	for (unsigned i = 0; i < 6; i++)
		p[i] = guest_copied(&m, i + 2); /* heap pages 2..7 */
	struct mgr_reset r;
	mgr_restore(&m, s, &r);
	CHECK(r.tables_touched);
	CHECK_U64(m.retain.n, 3);      /* the cap */
	CHECK_U64(m.retain.dropped, 2); /* 6 copies, one forbidden, three kept */
	const struct layout *l = mgr_layout(&m);
	gpa_t scratch = layout_scratch_base_gpa(l);
	/* Kept: heap pages 2, 3 and 5 (4 holds the IDT), packed at the first
	 * free pages: the copy of page 5 moved to where the IDT page's copy
	 * was (p[2]), and the allocator word is past them, at p[3]. */
	CHECK(mgr_retained_page(&m, (p[0] - scratch) / SB_PAGE_SIZE) != NULL);
	CHECK(mgr_retained_page(&m, (p[1] - scratch) / SB_PAGE_SIZE) != NULL);
	CHECK(mgr_retained_page(&m, (p[2] - scratch) / SB_PAGE_SIZE) != NULL);
	CHECK(!mgr_retained_page(&m, (p[3] - scratch) / SB_PAGE_SIZE));
	CHECK(memcmp(m.scratch + (p[2] - scratch),
		     s->image + (layout_heap_gva(l) + 5 * SB_PAGE_SIZE - SB_BASE_ADDRESS),
		     SB_PAGE_SIZE) == 0);
	CHECK_U64(mgr_next_free_gpa(&m), p[3]);
	/* The tables: the kept leaves writable to their copies, the rest as
	 * the snapshot has them (read without marking anything dirty). */
	struct pt_region reg = { layout_pt_base_gpa(l), m.scratch + layout_pt_scratch_offset(l),
				 layout_pt_bytes(l) };
	struct pt_regions rr;
	pt_regions_init(&rr, &pt_format_x86_64, &reg, 1, reg.gpa);
	const struct pt pt = rr.pt;
	struct pt_leaf leaf;
	for (unsigned i = 0; i < 6; i++) {
		gva_t va = layout_heap_gva(l) + (gva_t)(i + 2) * SB_PAGE_SIZE;
		bool kept = i == 0 || i == 1 || i == 3;
		gpa_t copy = i == 3 ? p[2] : p[i]; /* packed */
		if (!CHECK_I64(pt_lookup(&pt, layout_pt_base_gpa(l), va, &leaf), PT_OK))
			continue;
		CHECK_U64(leaf.entry & PT_X86_64_ADDR_MASK, kept ? copy : va);
		CHECK_U64(pt_entry_kind(&pt_format_x86_64, leaf.entry).tag,
			  kept ? PT_KIND_BASIC : PT_KIND_COW);
	}
	/* The guest scribbles a kept copy; the next restore (light) puts the
	 * snapshot's bytes back and keeps it. */
	guest_wrote(&m, (p[0] - scratch) / SB_PAGE_SIZE, 0x5a);
	mgr_restore(&m, s, &r);
	CHECK(!r.tables_touched);
	CHECK_U64(m.retain.n, 3);
	CHECK(memcmp(m.scratch + (p[0] - scratch),
		     s->image + (layout_heap_gva(l) + 2 * SB_PAGE_SIZE - SB_BASE_ADDRESS),
		     SB_PAGE_SIZE) == 0);
	CHECK_U64(mgr_next_free_gpa(&m), p[3]); /* past the last kept copy */
	/* Another snapshot (here: a fresh scratch): nothing kept, all zero. */
	mgr_mark_all_dirty(&m);
	mgr_restore(&m, s, &r);
	CHECK_U64(m.retain.n, 0);
	CHECK_U64(mgr_next_free_gpa(&m), layout_first_free_scratch_gpa(l));
	mgr_fini(&m);
out:
	s->has_sregs = had;
	s->sregs = saved;
}

int main(int argc, char **argv)
{
	struct elf_image img;
	struct sb_err err;
	if (argc < 2 || elf_image_open(&img, argv[1], &err)) {
		fprintf(stderr, "usage: %s TESTGUEST_ELF\n", argv[0]);
		return 2;
	}
	struct layout_config cfg = layout_config_default();
	if (!CHECK_I64(snap_from_elf(&base, &img, &cfg, NULL, 0, 0, &err), 0))
		return check_done();
	test_reset_follows_the_log();
	test_retain();
	snap_unref(base);
	elf_image_free(&img);
	return check_done();
}
