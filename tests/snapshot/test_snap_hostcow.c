/* test_snap_hostcow.c — the page tables a host-cow sandbox runs on
 * (snapshot/snap_hostcow.c), without KVM: every 4 KiB copy-on-write leaf
 * mapped once becomes writable in place; a page mapped twice, and the pages
 * holding the GDT, IDT and TSS of a snapshot with registers, stay
 * copy-on-write; nothing else changes; the non-zero page map is exact.
 * Usage: test_snap_hostcow TESTGUEST_ELF */
#include <string.h>
#include <sys/mman.h>

#include "check.h"
#include "elf_load.h"
#include "pt_host.h"
#include "snapshot.h"

static struct snapshot *elf_snapshot(const char *path)
{
	struct elf_image img;
	struct snapshot *s = NULL;
	struct sb_err err;
	struct layout_config c = layout_config_default();
	if (!CHECK_I64(elf_image_open(&img, path, &err), 0))
		return NULL;
	CHECK_I64(snap_from_elf(&s, &img, &c, NULL, 0, 0, &err), 0);
	elf_image_free(&img);
	return s;
}

/* The leaf mapping `va` in tables `tables` (the layout's page-table area). */
static pt_entry_t leaf_of(const struct snapshot *s, const uint8_t *tables, gva_t va)
{
	const struct layout *l = &s->layout;
	struct pt_region r = { layout_pt_base_gpa(l), tables, layout_pt_bytes(l) };
	struct pt_regions rr;
	pt_regions_init(&rr, &pt_format_x86_64, &r, 1, r.gpa);
	struct pt_leaf leaf;
	if (pt_lookup(&rr.pt, r.gpa, va, &leaf) != PT_OK)
		return 0;
	return leaf.entry;
}

static bool is_cow(pt_entry_t e)
{
	return pt_entry_kind(&pt_format_x86_64, e).tag == PT_KIND_COW;
}

static bool is_rw(pt_entry_t e)
{
	return (e & PT_P) && (e & PT_RW) && (e & PT_AVL_MASK) == 0;
}

static void test_elf(const char *path)
{
	struct snapshot *s = elf_snapshot(path);
	if (!s)
		return;
	struct sb_err err;
	const struct snap_hostcow *hc = snap_hostcow(s, &err);
	if (!CHECK(hc != NULL))
		goto out;
	CHECK(snap_hostcow(s, &err) == hc); /* built once */
	const struct layout *l = &s->layout;
	uint64_t heap_pages = l->config.heap_bytes / SB_PAGE_SIZE;
	CHECK(hc->pages_writable >= heap_pages);
	/* Every heap page: copy-on-write in the snapshot, writable in place. */
	unsigned bad = 0;
	for (uint64_t i = 0; i < heap_pages; i++) {
		gva_t va = layout_heap_gva(l) + i * SB_PAGE_SIZE;
		pt_entry_t was = leaf_of(s, snap_pt_tail(s), va), now = leaf_of(s, hc->pt, va);
		bad += !is_cow(was) || !is_rw(now) ||
		       (was & PT_X86_64_ADDR_MASK) != (now & PT_X86_64_ADDR_MASK) ||
		       ((was ^ now) & ~(PT_RW | PT_AVL_MASK)) != 0;
	}
	CHECK_U64(bad, 0);
	/* Only flipped leaves differ, one entry each. */
	uint64_t entries = layout_pt_bytes(l) / 8, differ = 0;
	for (uint64_t i = 0; i < entries; i++)
		differ += memcmp(snap_pt_tail(s) + i * 8, hc->pt + i * 8, 8) != 0;
	CHECK_U64(differ, hc->pages_writable);
	/* The non-zero map: code is non-zero, the heap is zero. */
	uint64_t nz = 0, pages = layout_snapshot_bytes(l) / SB_PAGE_SIZE;
	for (uint64_t p = 0; p < pages; p++) {
		bool zero = true;
		for (uint64_t b = 0; b < SB_PAGE_SIZE && zero; b++)
			zero = s->image[p * SB_PAGE_SIZE + b] == 0;
		nz += !zero;
		if (!CHECK(((hc->nonzero[p / 64] >> (p % 64)) & 1) == !zero))
			break;
	}
	CHECK_U64(hc->nonzero_pages, nz);
	CHECK(nz > 0 && nz < pages);
out:
	snap_unref(s);
}

/* A heap page mapped at a second address, and a snapshot whose IDT sits in
 * a heap page: both stay copy-on-write; their neighbours do not. */
static void test_kept(const char *path)
{
	struct snapshot *s = elf_snapshot(path);
	if (!s)
		return;
	const struct layout *l = &s->layout;
	gva_t heap = layout_heap_gva(l);
	uint8_t *tail = s->image + layout_pt_tail_offset(l);
	/* Edit the sealed tables (test only): heap page 2 maps page 1's GPA. */
	CHECK_I64(mprotect(s->image, s->map_bytes, PROT_READ | PROT_WRITE), 0);
	struct pt_region r = { layout_pt_base_gpa(l), tail, layout_pt_bytes(l) };
	struct pt_regions rr;
	pt_regions_init(&rr, &pt_format_x86_64, &r, 1, r.gpa);
	struct pt_leaf p1, p2;
	if (!CHECK_I64(pt_lookup(&rr.pt, r.gpa, heap + SB_PAGE_SIZE, &p1), PT_OK) ||
	    !CHECK_I64(pt_lookup(&rr.pt, r.gpa, heap + 2 * SB_PAGE_SIZE, &p2), PT_OK))
		goto out;
	pt_entry_t alias = (p2.entry & ~PT_X86_64_ADDR_MASK) | (p1.entry & PT_X86_64_ADDR_MASK);
	memcpy(tail + (p2.entry_gpa - r.gpa), &alias, 8);
	s->has_sregs = true;
	memset(&s->sregs, 0, sizeof s->sregs);
	s->sregs.idt.base = heap + 4 * SB_PAGE_SIZE + 16;
	s->sregs.idt.limit = 255;
	s->sregs.gdt.base = s->sregs.tr.base = heap + 5 * SB_PAGE_SIZE;
	struct sb_err err;
	const struct snap_hostcow *hc = snap_hostcow(s, &err);
	if (!CHECK(hc != NULL))
		goto out;
	CHECK(is_rw(leaf_of(s, hc->pt, heap)));
	CHECK(is_cow(leaf_of(s, hc->pt, heap + SB_PAGE_SIZE)));     /* aliased */
	CHECK(is_cow(leaf_of(s, hc->pt, heap + 2 * SB_PAGE_SIZE))); /* the alias */
	CHECK(is_rw(leaf_of(s, hc->pt, heap + 3 * SB_PAGE_SIZE)));
	CHECK(is_cow(leaf_of(s, hc->pt, heap + 4 * SB_PAGE_SIZE))); /* IDT */
	CHECK(is_cow(leaf_of(s, hc->pt, heap + 5 * SB_PAGE_SIZE))); /* GDT, TSS */
	CHECK(is_rw(leaf_of(s, hc->pt, heap + 6 * SB_PAGE_SIZE)));
out:
	snap_unref(s);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s TESTGUEST_ELF\n", argv[0]);
		return 2;
	}
	test_elf(argv[1]);
	test_kept(argv[1]);
	return check_done();
}
