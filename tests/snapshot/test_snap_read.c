/* test_snap_read.c — a snapshot's memory by guest-virtual address
 * (snap_read_gva over vmem's pt_regions_read_va), without KVM: what the
 * image holds comes back through the tables, across page boundaries, and
 * through a large page; an unmapped VA, a non-canonical one, a wrapping
 * range and hostile tables (a leaf pointing outside the image, PS where
 * x86-64 has no large pages) are errors naming the address, never a read
 * outside the snapshot. Usage: test_snap_read TESTGUEST_ELF */
#include <stdlib.h>
#include <string.h>

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

/* The guest-visible byte at GPA `gpa` of the image. */
static const uint8_t *image_at(const struct snapshot *s, gpa_t gpa)
{
	return s->image + (gpa - SB_BASE_ADDRESS);
}

static void test_reads(const struct snapshot *s)
{
	const struct layout *l = &s->layout;
	struct sb_err err;
	uint64_t done = 99;
	/* the PEB (identity mapped: GVA = GPA), unaligned, whole */
	uint8_t buf[3 * SB_PAGE_SIZE];
	gva_t peb = layout_peb_gva(l);
	CHECK_I64(snap_read_gva(s, peb + 4, buf, 100, &done, &err), 0);
	CHECK_U64(done, 100);
	CHECK(memcmp(buf, image_at(s, peb + 4), 100) == 0);
	/* code through the PEB into the heap: three pages, two boundaries */
	gva_t va = peb - 0x10;
	CHECK_I64(snap_read_gva(s, va, buf, sizeof buf, NULL, &err), 0);
	CHECK(memcmp(buf, image_at(s, va), sizeof buf) == 0);
	/* the page-table area through the scratch window: the tail itself */
	gva_t pt_gva = layout_pt_base_gpa(l) + (layout_scratch_base_gva(l) - layout_scratch_base_gpa(l));
	CHECK_I64(snap_read_gva(s, pt_gva, buf, 64, NULL, &err), 0);
	CHECK(memcmp(buf, snap_pt_tail(s), 64) == 0);

	/* the last heap byte reads; one more runs into the hole after it */
	gva_t end = layout_heap_gva(l) + layout_heap_bytes(l);
	CHECK_I64(snap_read_gva(s, end - 1, buf, 1, NULL, &err), 0);
	CHECK_I64(snap_read_gva(s, end - 8, buf, 16, &done, &err), -1);
	CHECK_U64(done, 8);
	char want[64];
	snprintf(want, sizeof want, "VA 0x%llx not mapped", (unsigned long long)end);
	CHECK_CONTAINS(err.msg, want);
	/* page 0 is the NULL guard */
	CHECK_I64(snap_read_gva(s, 0x10, buf, 1, NULL, &err), -1);
	CHECK_CONTAINS(err.msg, "VA 0x10 not mapped");
	CHECK_I64(snap_read_gva(s, 0x0000800000000000ull, buf, 1, NULL, &err), -1);
	CHECK_CONTAINS(err.msg, "VA 0x800000000000: non-canonical");
	CHECK_I64(snap_read_gva(s, ~0ull, buf, 2, NULL, &err), -1);
	CHECK_CONTAINS(err.msg, "wraps around");
	/* scratch outside the page-table area is not in a snapshot */
	CHECK_I64(snap_read_gva(s, layout_scratch_base_gva(l), buf, 1, NULL, &err), -1);
	CHECK_CONTAINS(err.msg, "outside the snapshot");
	/* nothing asked, nothing read */
	CHECK_I64(snap_read_gva(s, 0, buf, 0, &done, &err), 0);
	CHECK_U64(done, 0);
}

/* A copy of `s` whose image (tail included) we may edit. */
static struct snapshot *editable(const struct snapshot *s)
{
	struct snapshot *c = malloc(sizeof *c);
	*c = *s;
	c->image = malloc(s->map_bytes);
	memcpy(c->image, s->image, s->map_bytes);
	return c;
}

static void editable_free(struct snapshot *c)
{
	free(c->image);
	free(c);
}

/* Write entry `e` at GPA `entry_gpa` of c's tail. */
static void set_entry(struct snapshot *c, gpa_t entry_gpa, pt_entry_t e)
{
	uint64_t off = entry_gpa - layout_pt_base_gpa(&c->layout);
	memcpy(c->image + layout_pt_tail_offset(&c->layout) + off, &e, sizeof e);
}

static struct pt_leaf leaf_of(const struct snapshot *c, gva_t va)
{
	const struct layout *l = &c->layout;
	struct pt_region r = { layout_pt_base_gpa(l), snap_pt_tail(c), layout_pt_bytes(l) };
	struct pt_regions rr;
	pt_regions_init(&rr, &pt_format_x86_64, &r, 1, r.gpa);
	struct pt_leaf leaf = { 0 };
	CHECK_I64(pt_lookup(&rr.pt, r.gpa, va, &leaf), PT_OK);
	return leaf;
}

static void test_hostile(const struct snapshot *s)
{
	const struct layout *l = &s->layout;
	struct sb_err err;
	uint8_t buf[64];
	gva_t heap = layout_heap_gva(l);

	/* a heap leaf pointing far outside guest memory, and at the last page
	 * of the image with a read running past its end */
	struct snapshot *c = editable(s);
	struct pt_leaf leaf = leaf_of(c, heap);
	set_entry(c, leaf.entry_gpa, (leaf.entry & ~PT_X86_64_ADDR_MASK) | 0x7ffff000ull);
	CHECK_I64(snap_read_gva(c, heap + 8, buf, 8, NULL, &err), -1);
	char want[128];
	snprintf(want, sizeof want, "VA 0x%llx maps GPA 0x7ffff008 outside the snapshot",
		 (unsigned long long)heap + 8);
	CHECK_CONTAINS(err.msg, want);
	/* all of the address bits set: still only an error */
	set_entry(c, leaf.entry_gpa, leaf.entry | PT_X86_64_ADDR_MASK);
	CHECK_I64(snap_read_gva(c, heap, buf, 8, NULL, &err), -1);
	CHECK_CONTAINS(err.msg, "outside the snapshot");
	editable_free(c);

	/* PS on the PML4 entry: the CPU would fault, we refuse */
	c = editable(s);
	gpa_t root = layout_pt_base_gpa(l);
	pt_entry_t pml4e;
	memcpy(&pml4e, snap_pt_tail(c), sizeof pml4e);
	set_entry(c, root, pml4e | PT_PS);
	CHECK_I64(snap_read_gva(c, heap, buf, 8, NULL, &err), -1);
	CHECK_CONTAINS(err.msg, "VA 0x");
	editable_free(c);

	/* a 2 MiB page at VA 0 onto GPA 0 (with the PAT bit, bit 12, set: not
	 * an address bit of a large entry): VA x reads image GPA x */
	c = editable(s);
	leaf = leaf_of(c, heap); /* level 1; its PD entry is one level up */
	struct pt_region r = { root, snap_pt_tail(c), layout_pt_bytes(l) };
	struct pt_regions rr;
	pt_regions_init(&rr, &pt_format_x86_64, &r, 1, root);
	/* PML4[0] -> PDPT, PDPT[0] -> PD: find PD[0]'s address */
	pt_entry_t e;
	memcpy(&e, snap_pt_tail(c), 8);
	gpa_t pdpt = e & PT_X86_64_ADDR_MASK;
	memcpy(&e, snap_pt_tail(c) + (pdpt - root), 8);
	gpa_t pd = e & PT_X86_64_ADDR_MASK;
	set_entry(c, pd, PT_P | PT_RW | PT_US | PT_A | PT_D | PT_PS | (1ull << 12));
	gva_t va = heap + 0x123;
	CHECK_I64(snap_read_gva(c, va, buf, sizeof buf, NULL, &err), 0);
	CHECK(memcmp(buf, image_at(s, va), sizeof buf) == 0);
	/* GPA 0 itself (the NULL guard) is not in the image */
	CHECK_I64(snap_read_gva(c, 0x10, buf, 1, NULL, &err), -1);
	CHECK_CONTAINS(err.msg, "VA 0x10 maps GPA 0x10 outside");
	editable_free(c);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s TESTGUEST_ELF\n", argv[0]);
		return 2;
	}
	struct snapshot *s = elf_snapshot(argv[1]);
	if (s) {
		test_reads(s);
		test_hostile(s);
		snap_unref(s);
	}
	return check_done();
}
