/* test_snap_elf.c — the INIT snapshot of the test guest: image contents,
 * initial page tables (the window's page-table area supervisor-only),
 * identity, read-only mapping; and a hostile 512-byte ELF with a 2 GiB
 * .bss, whose load must cost what the file carries.
 * Usage: test_snap_elf TESTGUEST_ELF */
#include <elf.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "files.h"
#include "pt_host.h"
#include "snapshot_internal.h"

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

	/* Scratch big enough for the I/O buffers, too small once the page
	 * tables are known: the message names the ELF too (issue 12). */
	cfg = layout_config_default();
	cfg.scratch_bytes = sb_page_round_up(layout_config_min_scratch_bytes(&cfg, 0));
	s = NULL;
	CHECK_I64(snap_from_elf(&s, &img, &cfg, NULL, 0, 0, &err), -1);
	CHECK(s == NULL);
	CHECK_U64(err.code, SB_E_TOO_SMALL);
	CHECK_CONTAINS(err.msg, "scratch size");
	CHECK_CONTAINS(err.msg, "below the minimum");
	if (!CHECK_CONTAINS(err.msg, img.name))
		fprintf(stderr, "  %s\n", err.msg);
}

/* A 512-byte static PIE: one RWX PT_LOAD of the whole file (headers,
 * then `hlt` and a marker) whose memory size is `mem_bytes`: the rest is
 * .bss. */
struct bss_elf {
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	uint8_t code[512 - sizeof(Elf64_Ehdr) - sizeof(Elf64_Phdr)];
};

static void bss_elf_init(struct bss_elf *x, uint64_t mem_bytes)
{
	memset(x, 0, sizeof *x);
	memcpy(x->eh.e_ident, ELFMAG, SELFMAG);
	x->eh.e_ident[EI_CLASS] = ELFCLASS64;
	x->eh.e_ident[EI_DATA] = ELFDATA2LSB;
	x->eh.e_ident[EI_VERSION] = EV_CURRENT;
	x->eh.e_type = ET_DYN;
	x->eh.e_machine = EM_X86_64;
	x->eh.e_version = EV_CURRENT;
	x->eh.e_entry = offsetof(struct bss_elf, code);
	x->eh.e_phoff = offsetof(struct bss_elf, ph);
	x->eh.e_ehsize = sizeof x->eh;
	x->eh.e_phentsize = sizeof x->ph;
	x->eh.e_phnum = 1;
	x->ph.p_type = PT_LOAD;
	x->ph.p_flags = PF_R | PF_W | PF_X;
	x->ph.p_filesz = sizeof *x;
	x->ph.p_memsz = mem_bytes;
	x->ph.p_align = SB_PAGE_SIZE;
	x->code[0] = 0xF4; /* hlt */
	memcpy(x->code + 1, "bss-marker", 10);
}

/* The snapshot of a bss_elf of `mem_bytes`, with a scratch that holds its
 * page tables; NULL (a failed check) on error. */
static struct snapshot *bss_snapshot(uint64_t mem_bytes)
{
	struct bss_elf x;
	bss_elf_init(&x, mem_bytes);
	struct elf_image bi;
	struct sb_err err;
	struct snapshot *s = NULL;
	if (!CHECK_I64(elf_image_from_memory(&bi, &x, sizeof x, "bss.elf", &err), 0)) {
		fprintf(stderr, "  %s\n", err.msg);
		return NULL;
	}
	struct layout_config cfg = layout_config_default();
	cfg.scratch_bytes = 8ull << 20; /* 2 GiB mapped: 4 MiB of page tables */
	if (!CHECK_I64(snap_from_elf(&s, &bi, &cfg, NULL, 0, 0, &err), 0))
		fprintf(stderr, "  %s\n", err.msg);
	elf_image_free(&bi);
	return s;
}

/* The digest as a plain hash of every image byte gives it: known-zero
 * pages hashed from a buffer of zeros must not change the value. */
static bool digest_is_plain(struct snapshot *s)
{
	uint8_t d[16];
	uint64_t *z = s->zero_known;
	s->zero_known = NULL;
	snap_compute_digest(s, d);
	s->zero_known = z;
	return memcmp(d, s->digest, 16) == 0;
}

/* A 512-byte ELF with a 2 GiB .bss took 12.9 s and 2.1 GB RSS in
 * `snapbench inspect`: the loader wrote zeros over fresh anonymous memory
 * and the digest read all of it. The .bss now stays untouched: RSS grows
 * by far less than the .bss (a bound, not a timing). */
static void test_huge_bss(void)
{
	uint64_t rss0 = test_rss_bytes();
	struct snapshot *s = bss_snapshot(2ull << 30);
	uint64_t rss1 = test_rss_bytes();
	if (!s)
		return;
	fprintf(stderr, "  2 GiB .bss: RSS +%llu KiB, image %llu bytes\n",
		(unsigned long long)((rss1 - rss0) >> 10),
		(unsigned long long)layout_image_bytes(&s->layout));
	CHECK(rss1 < rss0 + (64ull << 20));
	CHECK(layout_snapshot_bytes(&s->layout) > (2ull << 30));
	const uint8_t *code = s->image + s->layout.code_offset;
	CHECK(memcmp(code + offsetof(struct bss_elf, code) + 1, "bss-marker", 10) == 0);
	CHECK(s->zero_known && !snap_page_known_zero(s, s->layout.code_offset / SB_PAGE_SIZE));
	CHECK(snap_page_known_zero(s, s->layout.code_offset / SB_PAGE_SIZE + 1));
	CHECK(!snap_page_known_zero(s, s->layout.peb_offset / SB_PAGE_SIZE));
	snap_unref(s);

	/* Same digest as a plain hash of the image, on a smaller one (the
	 * plain hash reads every page) and on the test guest (heap known
	 * zero, relocated slots in its .data). */
	s = bss_snapshot(64ull << 20);
	if (s) {
		CHECK(digest_is_plain(s));
		const uint8_t *code = s->image + s->layout.code_offset;
		CHECK(code[(32ull << 20) + 5] == 0);
		snap_unref(s);
	}
	struct layout_config cfg = layout_config_default();
	struct sb_err err;
	if (CHECK_I64(snap_from_elf(&s, &img, &cfg, NULL, 0, 0, &err), 0)) {
		CHECK(digest_is_plain(s));
		CHECK(snap_page_known_zero(s, s->layout.heap_offset / SB_PAGE_SIZE));
		snap_unref(s);
	}
}

/* The scratch minimum snapbench layout prints and scenario files are
 * checked against (layout_config_elf_min_scratch_bytes) is the one
 * snap_from_elf meets: its tables are the size predicted, it builds at the
 * minimum and fails four pages below it (the minimum keeps three for the
 * runtime page's tables, which a snapshot of the running guest needs:
 * test_scenario_layout_kvm checks that). Heaps around the 2 MiB and 1 GiB
 * table boundaries, init data, and scratch windows bigger than 2 MiB. */
static void test_min_scratch(void)
{
	static const uint64_t heaps[] = { 4096, 128 << 10, (2 << 20) - 0x10000, 2 << 20,
					  64 << 20, 128 << 20, (1ull << 30) - (48 << 10) };
	static const uint64_t inits[] = { 0, 3 * 4096 };
	static const uint64_t io[] = { 16 << 10, 3 << 20 };
	uint8_t blob[3 * 4096] = { 1 };
	for (size_t h = 0; h < sizeof heaps / sizeof heaps[0]; h++) {
		for (size_t d = 0; d < 2; d++) {
			for (size_t k = 0; k < 2; k++) {
				struct layout_config cfg = layout_config_default();
				cfg.heap_bytes = heaps[h];
				cfg.input_bytes = cfg.output_bytes = io[k];
				uint64_t min = layout_config_elf_min_scratch_bytes(&cfg, img.span_bytes,
										   inits[d]);
				CHECK(min > 0 && min % 4096 == 0);
				cfg.scratch_bytes = min;
				struct snapshot *s = NULL;
				struct sb_err err;
				int rc = snap_from_elf(&s, &img, &cfg, inits[d] ? blob : NULL, inits[d],
						       0, &err);
				if (!CHECK_I64(rc, 0)) {
					fprintf(stderr, "  heap %llu init %llu io %llu: %s\n",
						(unsigned long long)heaps[h],
						(unsigned long long)inits[d],
						(unsigned long long)io[k], err.msg);
					continue;
				}
				CHECK_U64(layout_pt_bytes(&s->layout),
					  layout_config_elf_pt_bytes(&cfg, img.span_bytes, inits[d]));
				snap_unref(s);
				/* the INIT tables alone leave room for the three
				 * of the runtime's page, not one page more */
				cfg.scratch_bytes = min - 4 * 4096;
				s = NULL;
				rc = snap_from_elf(&s, &img, &cfg, inits[d] ? blob : NULL, inits[d], 0,
						   &err);
				if (!CHECK_I64(rc, -1))
					snap_unref(s);
				else
					CHECK_I64(err.code, SB_E_TOO_SMALL);
			}
		}
	}
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
	test_huge_bss();
	test_min_scratch();
	elf_image_free(&img);
	return check_done();
}
