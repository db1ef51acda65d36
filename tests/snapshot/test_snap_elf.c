/* test_snap_elf.c — the INIT snapshot of the test guest: image contents,
 * initial page tables (the window's page-table area supervisor-only),
 * identity, read-only mapping.
 * Usage: test_snap_elf TESTGUEST_ELF */
#include <stdlib.h>

#include "check.h"
#include "files.h"
#include "pt_host.h"
#include "snapshot.h"

static struct elf_image img;

struct expect {
	const char *what;
	gva_t first, end;  /* VA range */
	gpa_t phys_first;
	struct pt_kind kind;
	bool user; /* US: ring 3 reaches it */
	uint64_t seen;
};

static void test_default(void)
{
	struct layout_config cfg = layout_config_default();
	struct snapshot *s = NULL;
	struct sb_err err;
	if (!CHECK_I64(snap_from_elf(&s, &img, &cfg, NULL, 0, 0, &err), 0)) {
		fprintf(stderr, "  %s\n", err.msg);
		return;
	}
	const struct layout *l = &s->layout;
	CHECK_U64(layout_code_bytes(l), img.span_bytes);
	CHECK_U64(s->entry_kind, SNAP_ENTRY_INIT);
	CHECK_U64(s->entry_gva, SB_BASE_ADDRESS + img.entry_vaddr - img.base_vaddr);
	CHECK_U64(s->stack_top_gva, sb_exn_stack_top_gva());
	CHECK_U64(s->generation, 0);

	/* Code: the loader's output, byte for byte. */
	uint8_t *code = calloc(1, img.span_bytes);
	struct sb_err e2;
	CHECK_I64(elf_image_load(&img, code, img.span_bytes, SB_BASE_ADDRESS, &e2), 0);
	CHECK(memcmp(s->image + l->code_offset, code, img.span_bytes) == 0);
	free(code);

	/* PEB. */
	struct sb_peb peb;
	memcpy(&peb, s->image + l->peb_offset, sizeof peb);
	CHECK_U64(peb.input.gva, layout_input_gva(l));
	CHECK_U64(peb.input.size, cfg.input_bytes);
	CHECK_U64(peb.output.gva, layout_output_gva(l));
	CHECK_U64(peb.output.size, cfg.output_bytes);
	CHECK_U64(peb.heap.gva, layout_heap_gva(l));
	CHECK_U64(peb.heap.size, cfg.heap_bytes);
	CHECK_U64(peb.init_data.size, 0);

	/* Page tables: walk the tail at the GPA it will occupy in scratch. */
	struct pt_region region = { layout_pt_base_gpa(l), snap_pt_tail(s), layout_pt_bytes(l) };
	struct pt_regions rr;
	pt_regions_init(&rr, &pt_format_x86_64, &region, 1, layout_pt_base_gpa(l));
	gva_t pt_va = layout_scratch_base_gva(l) + layout_pt_scratch_offset(l);
	gva_t free_va = layout_scratch_base_gva(l) + layout_free_scratch_offset(l);
	CHECK(layout_pt_bytes(l) > 0 && free_va > pt_va);
	struct expect ex[] = {
		{ "code", layout_code_gva(l), layout_code_gva(l) + sb_page_round_up(img.span_bytes),
		  layout_code_gva(l), pt_kind_cow(true, true), true, 0 },
		{ "PEB", layout_peb_gva(l), layout_peb_gva(l) + SB_PAGE_SIZE, layout_peb_gva(l),
		  pt_kind_basic(true, false, false), true, 0 },
		{ "heap", layout_heap_gva(l), layout_heap_gva(l) + cfg.heap_bytes, layout_heap_gva(l),
		  pt_kind_cow(true, false), true, 0 },
		/* the scratch window, around the stack's guard page, its page-table
		 * area supervisor-only (ring 3 cannot touch the tables) */
		{ "I/O buffers", layout_scratch_base_gva(l), pt_va, layout_scratch_base_gpa(l),
		  pt_kind_basic(true, true, false), true, 0 },
		{ "page-table area", pt_va, free_va, layout_pt_base_gpa(l),
		  pt_kind_basic(true, true, false), false, 0 },
		{ "free pages", free_va, sb_stack_guard_gva(), layout_first_free_scratch_gpa(l),
		  pt_kind_basic(true, true, false), true, 0 },
		{ "scratch above the guard", sb_stack_guard_gva() + SB_PAGE_SIZE, SB_SCRATCH_END_GVA,
		  layout_scratch_base_gpa(l) + sb_stack_guard_offset(layout_scratch_bytes(l)) + SB_PAGE_SIZE,
		  pt_kind_basic(true, true, false), true, 0 },
	};
	size_t nex = sizeof ex / sizeof ex[0];
	struct pt_walk w;
	struct pt_mapping m;
	uint64_t total = 0, stray = 0;
	pt_walk_begin_all(&w, &rr.pt, layout_pt_base_gpa(l));
	unsigned entry_page = 0;
	while (pt_walk_next(&w, &m)) {
		total++;
		if (m.virt == SB_ENTRY_PAGE_GVA) { /* the host's entry page: user R-X at GPA 0 */
			entry_page++;
			CHECK(m.phys == SB_ENTRY_PAGE_GPA && m.len_bytes == SB_PAGE_SIZE && m.user &&
			      pt_kind_equal(m.kind, pt_kind_basic(true, false, true)));
			continue;
		}
		size_t i;
		for (i = 0; i < nex; i++)
			if (m.virt >= ex[i].first && m.virt < ex[i].end)
				break;
		if (i == nex || m.len_bytes != SB_PAGE_SIZE) {
			stray++;
			continue;
		}
		if (m.phys == ex[i].phys_first + (m.virt - ex[i].first) &&
		    pt_kind_equal(m.kind, ex[i].kind) && m.user == ex[i].user)
			ex[i].seen++;
		else
			fprintf(stderr, "  %s page at 0x%llx maps 0x%llx kind %d user %d\n", ex[i].what,
				(unsigned long long)m.virt, (unsigned long long)m.phys, m.kind.tag, m.user);
	}
	CHECK_U64(pt_walk_status(&w), PT_OK);
	CHECK_U64(stray, 0);
	CHECK_U64(entry_page, 1);
	for (size_t i = 0; i < nex; i++)
		if (!CHECK_U64(ex[i].seen, (ex[i].end - ex[i].first) / SB_PAGE_SIZE))
			fprintf(stderr, "  region %s\n", ex[i].what);
	CHECK_U64(total, s->stats.pages_mapped);
	struct pt_leaf guard;
	CHECK_U64(pt_lookup(&rr.pt, layout_pt_base_gpa(l), sb_stack_guard_gva(), &guard),
		  PT_E_UNMAPPED); /* stack overflows fault */
	CHECK_U64(s->stats.pt_pages * SB_PAGE_SIZE, layout_pt_bytes(l));

	/* Read-only host mapping; identity is deterministic and layout-aware. */
	char perms[5];
	test_mapping_perms(s->image, perms);
	CHECK_STR(perms, "r--p");
	struct snapshot *again = NULL, *bigger = NULL;
	CHECK_I64(snap_from_elf(&again, &img, &cfg, NULL, 0, 0, &err), 0);
	struct layout_config cfg2 = cfg;
	cfg2.heap_bytes *= 2;
	CHECK_I64(snap_from_elf(&bigger, &img, &cfg2, NULL, 0, 0, &err), 0);
	if (again && bigger) {
		CHECK(snap_equal(s, again));
		CHECK(!snap_equal(s, bigger));
		char hex[33];
		snap_digest_hex(s, hex);
		CHECK_U64(strlen(hex), 32);
	}
	snap_unref(again);
	snap_unref(bigger);
	CHECK(snap_ref(s) == s);
	snap_unref(s); /* the extra reference */
	snap_unref(s);
}

static void test_init_data(void)
{
	struct layout_config cfg = layout_config_default();
	struct snapshot *s = NULL;
	struct sb_err err;
	const char blob[] = "init data blob";
	if (!CHECK_I64(snap_from_elf(&s, &img, &cfg, blob, sizeof blob, 0, &err), 0))
		return;
	const struct layout *l = &s->layout;
	CHECK(memcmp(s->image + l->init_data_offset, blob, sizeof blob) == 0);
	struct sb_peb peb;
	memcpy(&peb, s->image + l->peb_offset, sizeof peb);
	CHECK_U64(peb.init_data.gva, layout_init_data_gva(l));
	CHECK_U64(peb.init_data.size, sizeof blob);

	struct pt_region region = { layout_pt_base_gpa(l), snap_pt_tail(s), layout_pt_bytes(l) };
	struct pt_regions rr;
	pt_regions_init(&rr, &pt_format_x86_64, &region, 1, layout_pt_base_gpa(l));
	struct pt_walk w;
	struct pt_mapping m;
	pt_walk_begin(&w, &rr.pt, layout_init_data_gva(l), SB_PAGE_SIZE);
	CHECK(pt_walk_next(&w, &m));
	CHECK(pt_kind_equal(m.kind, pt_kind_basic(true, false, false))); /* read-only default */
	snap_unref(s);
}

static void test_errors(void)
{
	struct layout_config cfg = layout_config_default();
	cfg.heap_bytes = 17ull << 30;
	struct snapshot *s = NULL;
	struct sb_err err;
	CHECK_I64(snap_from_elf(&s, &img, &cfg, NULL, 0, 0, &err), -1);
	CHECK(s == NULL);
	CHECK_U64(err.code, SB_E_TOO_BIG);
	CHECK_CONTAINS(err.msg, img.name);
	CHECK_CONTAINS(err.msg, "heap");
}

int main(int argc, char **argv)
{
	struct sb_err err;
	if (argc < 2 || elf_image_open(&img, argv[1], &err)) {
		fprintf(stderr, "usage: %s TESTGUEST_ELF (%s)\n", argv[0], argc < 2 ? "" : err.msg);
		return 2;
	}
	test_default();
	test_init_data();
	test_errors();
	elf_image_free(&img);
	return check_done();
}
