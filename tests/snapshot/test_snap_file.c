/* test_snap_file.c — snapshot files: round trips of every field, atomic
 * saves, and one clear error per kind of malformed file.
 * Usage: test_snap_file TESTGUEST_ELF */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "files.h"
#include "proto.h"
#include "snap_file.h"
#include "snapshot_internal.h"

static struct elf_image img;
static char dir[64]; /* this run's temporary directory */

/* Offsets documented in snap_file.h. */
enum {
	OFF_MAGIC = 0, OFF_VERSION = 8, OFF_HEADER_BYTES = 12, OFF_IMAGE_OFFSET = 16,
	OFF_IMAGE_BYTES = 24, OFF_HEAP = 32, OFF_SCRATCH = 56, OFF_CODE_BYTES = 64,
	OFF_INIT_FLAGS = 80, OFF_ENTRY_KIND = 84, OFF_PT_BYTES = 88, OFF_PEB_OFFSET = 104,
	OFF_SNAPSHOT_BYTES = 128, OFF_ENTRY = 136, OFF_STACK_TOP = 144, OFF_GENERATION = 152,
	OFF_DIGEST = 160, OFF_HAS_SREGS = 216, OFF_N_HOST_FNS = 220, OFF_SREGS = 224,
	OFF_SOURCE = 536, OFF_HOST_FNS = 792, HOST_FN_BYTES = 274, SUM_BYTES = 16,
	/* special registers: 8 segments of 24 bytes, gdt, idt, then the CRs */
	OFF_CS = OFF_SREGS, OFF_FS = OFF_SREGS + 3 * 24, OFF_SS = OFF_SREGS + 5 * 24,
	OFF_TR = OFF_SREGS + 6 * 24, OFF_GDT = OFF_SREGS + 8 * 24, OFF_CR0 = OFF_SREGS + 224,
	OFF_CR3 = OFF_CR0 + 16, OFF_CR4 = OFF_CR0 + 24, OFF_CR8 = OFF_CR0 + 32,
	OFF_EFER = OFF_CR0 + 40, OFF_IRQ_BITMAP = OFF_CR0 + 56,
	/* inside a segment */
	SEG_SELECTOR = 12, SEG_TYPE = 14, SEG_DPL = 16, SEG_L = 19,
};

/* A version-2 header's size and checksum offset for n host functions. */
static uint64_t header_bytes_v2(unsigned n)
{
	return OFF_HOST_FNS + (uint64_t)n * HOST_FN_BYTES + SUM_BYTES;
}

/* Version 3: the address spaces (count, current, 16 roots) before the sum. */
#define ROOTS_BYTES (8u + 16u * 8u)
static uint64_t off_roots(unsigned n)
{
	return OFF_HOST_FNS + (uint64_t)n * HOST_FN_BYTES;
}
static uint64_t header_bytes_v3(unsigned n)
{
	return header_bytes_v2(n) + ROOTS_BYTES;
}

/* Recompute a version-2 header checksum as an attacker would. */
static void refix_sum(uint8_t *f, size_t n, uint64_t header_bytes)
{
	if (n >= header_bytes)
		snap_file_header_sum(f, header_bytes - SUM_BYTES, f + header_bytes - SUM_BYTES);
}

static void spit(const char *path, const uint8_t *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (f) {
		fwrite(p, 1, n, f);
		fclose(f);
	}
}

static uint64_t get_le(const uint8_t *p, unsigned n)
{
	uint64_t x = 0;
	for (unsigned i = 0; i < n; i++)
		x |= (uint64_t)p[i] << (8 * i);
	return x;
}

static void put_le(uint8_t *p, uint64_t x, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(x >> (8 * i));
}

/* Entries of dir whose name contains ".tmp-". */
static unsigned temp_files(const char *d)
{
	unsigned n = 0;
	DIR *dp = opendir(d);
	struct dirent *e;
	while (dp && (e = readdir(dp)))
		n += strstr(e->d_name, ".tmp-") != NULL;
	if (dp)
		closedir(dp);
	return n;
}

/* A CALL snapshot with every field set: the INIT image, sregs, host functions. */
static struct snapshot *make_call(const struct snapshot *init)
{
	struct snapshot *s = NULL;
	struct sb_err err;
	if (snap_alloc(&s, &init->layout, &err))
		return NULL;
	memcpy(s->image, init->image, layout_image_bytes(&init->layout));
	s->image[init->layout.heap_offset + 8] = 0x5a; /* differs from the INIT image */
	s->entry_kind = SNAP_ENTRY_CALL;
	s->entry_gva = 0xffff800000001230ull; /* canonical, high half */
	s->stack_top_gva = layout_heap_gva(&init->layout) + 0x3000;
	s->generation = 7;
	s->stats = (struct snap_stats){ .pages_mapped = 101, .pages_copied = 102, .pages_aliased = 103,
					.pt_pages = 104, .zero_pages = 105 };
	s->has_sregs = true;
	/* What a guest in ring 3 leaves (snap_sregs.c checks them at load),
	 * each field with a value of its own. */
	struct kvm_sregs *r = &s->sregs;
	memset(r, 0, sizeof *r);
	struct kvm_segment code = { .limit = 0xfffff, .selector = 0x33, .type = 0xb, .present = 1,
				    .dpl = 3, .s = 1, .l = 1, .g = 1 };
	struct kvm_segment data = { .limit = 0xfffff, .selector = 0x2b, .type = 0x3, .present = 1,
				    .dpl = 3, .db = 1, .s = 1, .g = 1, .avl = 1 };
	r->cs = code;
	r->ss = r->ds = r->es = r->fs = r->gs = data;
	r->fs.base = 0x7f0000001000ull;
	r->gs.base = 0xffff800000002000ull;
	r->tr = (struct kvm_segment){ .base = 0x2300, .limit = 0x2067, .selector = 0x38,
				      .type = 0xb, .present = 1 };
	r->ldt = (struct kvm_segment){ .selector = 0, .unusable = 1 };
	r->gdt = (struct kvm_dtable){ .base = 0x2200, .limit = 9 * 8 - 1 };
	r->idt = (struct kvm_dtable){ .base = 0x2400, .limit = 0xfff };
	r->cr0 = 0x80010033ull; /* PE MP ET NE WP PG */
	r->cr2 = 0xdeadbeef000ull;
	r->cr3 = layout_pt_base_gpa(&init->layout);
	r->cr4 = 0x40620ull;    /* PAE OSFXSR OSXMMEXCPT OSXSAVE */
	r->cr8 = 3;
	r->efer = 0xd01ull;     /* SCE LME LMA NXE */
	r->apic_base = 0xfee00900ull;
	s->n_host_fns = 3;
	const char *names[] = { "host_add", "host_print", "h" };
	for (unsigned i = 0; i < 3; i++) {
		struct snap_host_fn *f = &s->host_fns[i];
		snprintf(f->name, sizeof f->name, "%s", names[i]);
		f->ret = (uint8_t)(i + 1);
		f->nparams = (uint8_t)(i == 2 ? SB_CALL_MAX_ARGS : i + 1);
		for (unsigned k = 0; k < f->nparams; k++)
			f->params[k] = (uint8_t)(1 + (i + k) % (SB_T__COUNT - 1));
	}
	snprintf(s->source, sizeof s->source, "live sandbox of %.64s", init->source);
	if (snap_seal(s, &err)) {
		snap_unref(s);
		return NULL;
	}
	return s;
}

static void check_same(const struct snapshot *a, const struct snapshot *b)
{
	const struct layout *x = &a->layout, *y = &b->layout;
	CHECK(memcmp(&x->config, &y->config, sizeof x->config) == 0);
	CHECK_U64(y->code_bytes, x->code_bytes);
	CHECK_U64(y->init_data_bytes, x->init_data_bytes);
	CHECK_U64(y->init_data_flags, x->init_data_flags);
	CHECK_U64(y->pt_bytes, x->pt_bytes);
	CHECK_U64(y->code_offset, x->code_offset);
	CHECK_U64(y->peb_offset, x->peb_offset);
	CHECK_U64(y->heap_offset, x->heap_offset);
	CHECK_U64(y->init_data_offset, x->init_data_offset);
	CHECK_U64(y->snapshot_bytes, x->snapshot_bytes);
	CHECK_U64(b->nroots, a->nroots);
	CHECK_U64(b->cur_root, a->cur_root);
	CHECK(memcmp(a->roots, b->roots, sizeof a->roots) == 0);
	CHECK_U64(b->refs, 1);
	CHECK_U64(b->map_bytes, a->map_bytes);
	CHECK_U64(b->entry_kind, a->entry_kind);
	CHECK_U64(b->entry_gva, a->entry_gva);
	CHECK_U64(b->stack_top_gva, a->stack_top_gva);
	CHECK_U64(b->generation, a->generation);
	CHECK(snap_equal(a, b));
	CHECK(memcmp(&a->stats, &b->stats, sizeof a->stats) == 0);
	CHECK_U64(b->has_sregs, a->has_sregs);
	CHECK(memcmp(&a->sregs, &b->sregs, sizeof a->sregs) == 0);
	CHECK_U64(b->n_host_fns, a->n_host_fns);
	for (unsigned i = 0; i < a->n_host_fns && i < b->n_host_fns; i++) {
		CHECK_STR(b->host_fns[i].name, a->host_fns[i].name);
		CHECK_U64(b->host_fns[i].ret, a->host_fns[i].ret);
		CHECK_U64(b->host_fns[i].nparams, a->host_fns[i].nparams);
		CHECK(memcmp(b->host_fns[i].params, a->host_fns[i].params, 16) == 0);
	}
	CHECK_STR(b->source, a->source);
	CHECK(memcmp(a->image, b->image, layout_image_bytes(x)) == 0);
	char perms[5];
	test_mapping_perms(b->image, perms);
	CHECK_STR(perms, "r--p");
}

static void test_round_trip(struct snapshot *const *snaps, size_t n)
{
	char path[128];
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof path, "%s/rt%zu.snap", dir, i);
		struct sb_err err;
		if (!CHECK_I64(snap_save(snaps[i], path, &err), 0)) {
			fprintf(stderr, "  %s\n", err.msg);
			continue;
		}
		/* Size: header padded to a page, then exactly the image. */
		size_t bytes = 0;
		uint8_t *f = test_slurp(path, &bytes);
		uint64_t hdr = header_bytes_v3(snaps[i]->n_host_fns);
		CHECK_U64(get_le(f + OFF_VERSION, 4), 3);
		/* One address space, root 0 at the page-table copy, the rest zero. */
		uint64_t roots = off_roots(snaps[i]->n_host_fns);
		CHECK_U64(get_le(f + roots, 4), 1);
		CHECK_U64(get_le(f + roots + 4, 4), 0);
		CHECK_U64(get_le(f + roots + 8, 8), layout_pt_base_gpa(&snaps[i]->layout));
		CHECK_U64(get_le(f + roots + 16, 8), 0);
		CHECK_U64(get_le(f + OFF_HEADER_BYTES, 4), hdr);
		uint8_t sum[SUM_BYTES];
		snap_file_header_sum(f, hdr - SUM_BYTES, sum);
		CHECK(memcmp(f + hdr - SUM_BYTES, sum, SUM_BYTES) == 0);
		CHECK_U64(get_le(f + OFF_IMAGE_OFFSET, 8), sb_page_round_up(hdr));
		CHECK_U64(bytes, sb_page_round_up(hdr) + layout_image_bytes(&snaps[i]->layout));
		CHECK_U64(get_le(f + OFF_GENERATION, 8), snaps[i]->generation);
		CHECK(memcmp(f + OFF_DIGEST, snaps[i]->digest, 16) == 0);
		free(f);
		for (int mode = SNAP_LOAD_VERIFY; mode <= SNAP_LOAD_FAST; mode++) {
			struct snapshot *l = NULL;
			if (!CHECK_I64(snap_load(&l, path, (enum snap_load_mode)mode, &err), 0)) {
				fprintf(stderr, "  %s\n", err.msg);
				continue;
			}
			check_same(snaps[i], l);
			snap_unref(l);
		}
	}
}

/* A file corrupted one way, and what loading it must say. */
struct corrupt {
	const char *what;
	long off;       /* < 0: from the end of the file; ignored when truncating */
	unsigned width; /* 1, 2, 4, 8 bytes; 0 = fill `fill` bytes of `value` */
	uint64_t value;
	unsigned fill;
	long truncate;  /* > 0: keep this many bytes; < 0: drop -truncate bytes */
	bool init_file; /* corrupt the INIT snapshot's file, else the CALL one */
	bool fast_ok;   /* FAST mode loads it anyway */
	const char *msg;
	bool keep_sum;  /* leave the header checksum as it was; else re-fix it, as an
			 * attacker who edits a field would */
};

static void test_corrupt(const struct snapshot *init, const struct snapshot *call)
{
	const uint64_t snap_bytes = call->layout.snapshot_bytes, pt = call->layout.pt_bytes;
	const uint64_t image_off = sb_page_round_up(header_bytes_v3(3));
	const uint64_t roots = off_roots(3), pt_base = layout_pt_base_gpa(&call->layout);
	const struct kvm_sregs *r = &call->sregs;
	const uint64_t scratch_end = layout_scratch_base_gpa(&call->layout) +
				     call->layout.config.scratch_bytes;
	const uint64_t fn1 = OFF_HOST_FNS + HOST_FN_BYTES; /* the second host function */
	const struct corrupt cases[] = {
		{ "magic", OFF_MAGIC, 1, 'X', 0, 0, false, false, "not a snapbench snapshot", false },
		{ "text file", 0, 0, 'h', 100, 100, false, false, "not a snapbench snapshot", false },
		{ "version", OFF_VERSION, 4, 4, 0, 0, false, false,
		  "format version 4, this build reads versions 1 to 3", false },
		{ "header 10 bytes", 0, 0, 0, 0, 10, false, false, "truncated header", false },
		{ "header 500 bytes", 0, 0, 0, 0, 500, false, false, "truncated header", false },
		{ "host fns cut", 0, 0, 0, 0, OFF_HOST_FNS + 300, false, false, "truncated header", false },
		{ "empty", 0, 0, 0, 0, -1000000000, false, false, "truncated header", false },
		{ "header size", OFF_HEADER_BYTES, 4, OFF_HOST_FNS + 2 * HOST_FN_BYTES, 0, 0, false,
		  false, "header size", false },
		{ "image offset", OFF_IMAGE_OFFSET, 8, image_off + 4096, 0, 0, false, false,
		  "image offset", false },
		{ "image size", OFF_IMAGE_BYTES, 8, snap_bytes + pt + 4096, 0, 0, false, false,
		  "image size", false },
		{ "image cut", 0, 0, 0, 0, -4096, false, false, "truncated image", false },
		{ "image cut 1 byte", 0, 0, 0, 0, -1, false, false, "truncated image", false },
		{ "trailing", -1, 0, 0, 0, 4096, false, false, "trailing bytes", false },
		{ "heap unaligned", OFF_HEAP, 8, 4097, 0, 0, false, false, "heap size", false },
		{ "scratch small", OFF_SCRATCH, 8, 4096, 0, 0, false, false, "scratch size", false },
		{ "code 0", OFF_CODE_BYTES, 8, 0, 0, 0, false, false, "code size", false },
		{ "init flags 8", OFF_INIT_FLAGS, 4, 8, 0, 0, false, false, "init data flags", false },
		{ "init flags 0", OFF_INIT_FLAGS, 4, 0, 0, 0, false, false, "init data flags", false },
		{ "entry kind", OFF_ENTRY_KIND, 4, 7, 0, 0, false, false, "unknown entry kind 7", false },
		{ "pt unaligned", OFF_PT_BYTES, 8, pt + 1, 0, 0, false, false, "page-table size", false },
		{ "pt 0", OFF_PT_BYTES, 8, 0, 0, 0, false, false, "page-table size", false },
		{ "PEB offset", OFF_PEB_OFFSET, 8, call->layout.peb_offset + 4096, 0, 0, false, false,
		  "do not match the sizes", false },
		{ "snapshot unaligned", OFF_SNAPSHOT_BYTES, 8, snap_bytes + 1, 0, 0, false, false,
		  "not a multiple of the page size", false },
		{ "snapshot size (CALL)", OFF_SNAPSHOT_BYTES, 8, snap_bytes + 4096, 0, 0, false, false,
		  "image size", false },
		{ "snapshot size (INIT)", OFF_SNAPSHOT_BYTES, 8, snap_bytes - 4096, 0, 0, true, false,
		  "snapshot size", false },
		{ "INIT entry past end", OFF_ENTRY, 8, SB_BASE_ADDRESS + init->layout.snapshot_bytes, 0,
		  0, true, false, "outside the snapshot", false },
		{ "INIT entry 0", OFF_ENTRY, 8, 0, 0, 0, true, false, "outside the snapshot", false },
		{ "CALL entry 0", OFF_ENTRY, 8, 0, 0, 0, false, false, "entry point is zero", false },
		{ "CALL entry hole", OFF_ENTRY, 8, 0x0000800000000000ull, 0, 0, false, false,
		  "not a canonical address", false },
		{ "stack top", OFF_STACK_TOP, 8, 0x1234800000000000ull, 0, 0, false, false,
		  "stack top", false },
		{ "has sregs 2", OFF_HAS_SREGS, 4, 2, 0, 0, false, false, "has-sregs flag is 2", false },
		{ "33 host fns", OFF_N_HOST_FNS, 4, SNAP_MAX_HOST_FNS + 1, 0, 0, false, false,
		  "33 host functions (at most 32)", false },
		{ "host fn count", OFF_N_HOST_FNS, 4, 2, 0, 0, false, false, "header size", false },
		{ "source", OFF_SOURCE, 0, 'A', 256, 0, false, false, "source string is not NUL", false },
		{ "fn name", fn1, 0, 'B', 256, 0, false, false,
		  "host function 1: name is not NUL-terminated", false },
		{ "nparams", fn1 + 257, 1, 17, 0, 0, false, false, "17 parameters (at most 16)", false },
		{ "ret type", fn1 + 256, 1, 200, 0, 0, false, false, "unknown type", false },
		{ "param type", fn1 + 258, 1, SB_T__COUNT, 0, 0, false, false, "unknown type", false },
		{ "image byte", (long)image_off + 100, 1, call->image[100] ^ 0xffu, 0, 0, false, true, "digest mismatch", false },
		{ "PT tail byte", -1, 1, call->image[snap_bytes + pt - 1] ^ 0xffu, 0, 0, false, true, "digest mismatch", false },
		{ "digest", OFF_DIGEST + 15, 1, call->digest[15] ^ 0xffu, 0, 0, false, true, "digest mismatch", false },
		/* Outside the digest, inside the header checksum: refused unless
		 * the checksum is re-fixed (then nothing can tell). */
		{ "generation, sum re-fixed", OFF_GENERATION, 8, 8, 0, 0, false, true, NULL, false },
		{ "generation", OFF_GENERATION, 8, 8, 0, 0, false, false, "header checksum mismatch", true },
		{ "CR0 0", OFF_CR0, 8, 0, 0, 0, false, false, "header checksum mismatch", true },
		{ "stats", OFF_DIGEST + 16, 8, 1, 0, 0, false, false, "header checksum mismatch", true },
		{ "source", OFF_SOURCE + 1, 1, 'Z', 0, 0, false, false, "header checksum mismatch", true },
		{ "host fn type", fn1 + 256, 1, 0, 0, 0, false, false, "header checksum mismatch", true },
		{ "segment pad", OFF_CS + 23, 1, 1, 0, 0, false, false, "header checksum mismatch", true },
		{ "checksum", (long)header_bytes_v3(3) - 1, 1, 0x5a, 0, 0, false, false,
		  "header checksum mismatch", true },
		{ "root count", (long)roots, 4, 2, 0, 0, false, false, "header checksum mismatch", true },
		/* Address spaces (version 3), checksum re-fixed. */
		{ "no root", (long)roots, 4, 0, 0, 0, false, false,
		  "address spaces: 0 page-table roots (1 to 16)", false },
		{ "17 roots", (long)roots, 4, 17, 0, 0, false, false,
		  "address spaces: 17 page-table roots", false },
		{ "current root 1 of 1", (long)roots + 4, 4, 1, 0, 0, false, false,
		  "address spaces: current root 1 of 1 roots", false },
		{ "root 0 moved", (long)roots + 8, 8, pt_base + 4096, 0, 0, false, false,
		  "not at the page-table copy", false },
		{ "root 1 zero", (long)roots, 4, 2, 0, 0, false, false,
		  "root 1 at GPA 0x0 is not a page of the page-table tail", false },

		{ "INIT generation", OFF_GENERATION, 8, 1, 0, 0, true, false, "header checksum mismatch", true },
		/* Registers KVM would refuse (or fail on later), checksum re-fixed. */
		{ "CR0 0, sum re-fixed", OFF_CR0, 8, 0, 0, 0, false, false,
		  "special register cr0 is 0x0, must have PE (bit 0) and PG (bit 31) set", false },
		{ "CR0 no PG", OFF_CR0, 8, r->cr0 & ~(1ull << 31), 0, 0, false, false,
		  "special register cr0 is 0x10033, must have PE", false },
		{ "CR0 reserved", OFF_CR0, 8, r->cr0 | (1ull << 40), 0, 0, false, false,
		  "reserved bits 0x10000000000 set", false },
		{ "CR0 NW", OFF_CR0, 8, r->cr0 | (1ull << 29), 0, 0, false, false, "NW (bit 29)", false },
		{ "CR0 EM", OFF_CR0, 8, r->cr0 | 4, 0, 0, false, false, "must have EM (bit 2) clear", false },
		{ "CR4 no PAE", OFF_CR4, 8, r->cr4 & ~(1ull << 5), 0, 0, false, false,
		  "special register cr4 is 0x40600, must have PAE", false },
		{ "CR4 LA57", OFF_CR4, 8, r->cr4 | (1ull << 12), 0, 0, false, false, "LA57", false },
		{ "CR4 VMXE", OFF_CR4, 8, r->cr4 | (1ull << 13), 0, 0, false, false,
		  "special register cr4 is 0x42620, must have no bit set outside", false },
		{ "EFER 0", OFF_EFER, 8, 0, 0, 0, false, false,
		  "special register efer is 0x0, must have LME (bit 8), LMA (bit 10) and NXE", false },
		{ "EFER no NXE", OFF_EFER, 8, r->efer & ~(1ull << 11), 0, 0, false, false, "NXE", false },
		{ "EFER SVME", OFF_EFER, 8, r->efer | (1ull << 12), 0, 0, false, false,
		  "special register efer is 0x1d01, must have no bit set outside SCE LME LMA NXE", false },
		{ "CR8 16", OFF_CR8, 8, 16, 0, 0, false, false, "special register cr8 is 0x10", false },
		{ "CR3 past scratch", OFF_CR3, 8, scratch_end, 0, 0, false, false,
		  "special register cr3", false },
		{ "CR3 page 0", OFF_CR3, 8, 0, 0, 0, false, false, "must point into guest memory", false },
		{ "interrupt pending", OFF_IRQ_BITMAP + 8, 8, 1ull << 3, 0, 0, false, false,
		  "special register interrupt_bitmap word 1 is 0x8, must be 0", false },
		{ "CS 32-bit", OFF_CS + SEG_L, 1, 0, 0, 0, false, false,
		  "special register cs is selector 0x33 type 0xb s 1 dpl 3 present 1 l 0", false },
		{ "CS data", OFF_CS + SEG_TYPE, 1, 3, 0, 0, false, false, "must be a present code segment", false },
		{ "CS ring 1", OFF_CS + SEG_DPL, 1, 1, 0, 0, false, false, "ring 0 or ring 3", false },
		{ "CS RPL", OFF_CS + SEG_SELECTOR, 2, 0x30, 0, 0, false, false, "RPL equal to its dpl", false },
		{ "CS past GDT", OFF_CS + SEG_SELECTOR, 2, 0x4b, 0, 0, false, false, "inside the GDT", false },
		{ "SS ring 0", OFF_SS + SEG_DPL, 1, 0, 0, 0, false, false,
		  "special register ss is selector 0x2b type 0x3 s 1 dpl 0", false },
		{ "SS code", OFF_SS + SEG_TYPE, 1, 0xb, 0, 0, false, false, "writable data segment", false },
		{ "TR available", OFF_TR + SEG_TYPE, 1, 0x9, 0, 0, false, false, "busy 64-bit TSS", false },
		{ "GDT base", OFF_GDT, 8, 0x0000900000000000ull, 0, 0, false, false,
		  "special register gdt.base is 0x900000000000, must be a canonical address", false },
		{ "FS base", OFF_FS, 8, 0x0000900000000000ull, 0, 0, false, false, "canonical base", false },
		{ "INIT stack top", OFF_STACK_TOP, 8, 0x10000, 0, 0, true, false,
		  "must be the exception stack's top", false },
	};
	char good[2][128], bad[128];
	snprintf(good[0], sizeof good[0], "%s/good-call.snap", dir);
	snprintf(good[1], sizeof good[1], "%s/good-init.snap", dir);
	snprintf(bad, sizeof bad, "%s/bad.snap", dir);
	struct sb_err err;
	if (!CHECK_I64(snap_save(call, good[0], &err), 0) ||
	    !CHECK_I64(snap_save(init, good[1], &err), 0))
		return;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct corrupt *c = &cases[i];
		size_t n = 0;
		uint8_t *f = test_slurp(good[c->init_file], &n);
		uint64_t sum_end = get_le(f + OFF_HEADER_BYTES, 4);
		if (c->truncate > 0 && c->off < 0) { /* append */
			f = realloc(f, n + (size_t)c->truncate);
			memset(f + n, 0, (size_t)c->truncate);
			n += (size_t)c->truncate;
		} else if (c->truncate > 0) {
			n = (size_t)c->truncate;
		} else if (c->truncate < 0) {
			n = (size_t)-c->truncate > n ? 0 : n - (size_t)-c->truncate;
		}
		size_t at = c->off < 0 ? n - (size_t)-c->off : (size_t)c->off;
		if (c->width)
			put_le(f + at, c->value, c->width);
		else if (c->fill)
			memset(f + at, (int)c->value, c->fill);
		if (!c->keep_sum)
			refix_sum(f, n, sum_end);
		spit(bad, f, n);
		free(f);
		for (int mode = SNAP_LOAD_VERIFY; mode <= SNAP_LOAD_FAST; mode++) {
			struct snapshot *s = (struct snapshot *)&err; /* must be reset to NULL */
			memset(&err, 0, sizeof err);
			int rc = snap_load(&s, bad, (enum snap_load_mode)mode, &err);
			bool want_ok = !c->msg || (mode == SNAP_LOAD_FAST && c->fast_ok);
			if (!CHECK_I64(rc, want_ok ? 0 : -1))
				fprintf(stderr, "  case '%s' mode %d: %s\n", c->what, mode, err.msg);
			if (!want_ok) {
				if (getenv("SNAP_FILE_VERBOSE")) /* to read the messages */
					printf("%-26s %s\n", c->what, err.msg);
				CHECK(s == NULL);
				if (!CHECK_CONTAINS(err.msg, c->msg) || !CHECK_CONTAINS(err.msg, bad))
					fprintf(stderr, "  case '%s'\n", c->what);
			} else if (rc == 0) {
				CHECK_U64(s->refs, 1);
				snap_unref(s);
			}
		}
	}
	/* Not a file at all. */
	struct snapshot *s = NULL;
	CHECK_I64(snap_load(&s, dir, SNAP_LOAD_FAST, &err), -1);
	CHECK_CONTAINS(err.msg, "not a regular file");
	snprintf(bad, sizeof bad, "%s/missing.snap", dir);
	CHECK_I64(snap_load(&s, bad, SNAP_LOAD_FAST, &err), -1);
	CHECK_CONTAINS(err.msg, "cannot open");
	CHECK_CONTAINS(err.msg, bad);
}

/* Version 1 files (no header checksum) are still read, with every other
 * check: the registers too. */
static void test_v1(const struct snapshot *init, const struct snapshot *call)
{
	char path[128];
	struct sb_err err;
	snprintf(path, sizeof path, "%s/v1.snap", dir);
	const struct snapshot *both[] = { init, call };
	for (size_t i = 0; i < 2; i++) {
		if (!CHECK_I64(snap_save_version(both[i], path, 1, &err), 0)) {
			fprintf(stderr, "  %s\n", err.msg);
			continue;
		}
		size_t n = 0;
		uint8_t *f = test_slurp(path, &n);
		uint64_t hdr = OFF_HOST_FNS + (uint64_t)both[i]->n_host_fns * HOST_FN_BYTES;
		CHECK_U64(get_le(f + OFF_VERSION, 4), 1);
		CHECK_U64(get_le(f + OFF_HEADER_BYTES, 4), hdr);
		CHECK_U64(get_le(f + OFF_IMAGE_OFFSET, 8), sb_page_round_up(hdr));
		CHECK_U64(n, sb_page_round_up(hdr) + layout_image_bytes(&both[i]->layout));
		for (int mode = SNAP_LOAD_VERIFY; mode <= SNAP_LOAD_FAST; mode++) {
			struct snapshot *l = NULL;
			if (!CHECK_I64(snap_load(&l, path, (enum snap_load_mode)mode, &err), 0)) {
				fprintf(stderr, "  v1 %zu: %s\n", i, err.msg);
				continue;
			}
			check_same(both[i], l);
			snap_unref(l);
		}
		if (both[i] == call) {
			/* No checksum to stop it: the register check does. */
			put_le(f + OFF_CR0, 0, 8);
			spit(path, f, n);
			struct snapshot *l = NULL;
			CHECK_I64(snap_load(&l, path, SNAP_LOAD_VERIFY, &err), -1);
			CHECK(l == NULL);
			CHECK_CONTAINS(err.msg, path);
			CHECK_CONTAINS(err.msg, "special register cr0 is 0x0, must have PE");
		}
		free(f);
	}
	CHECK_I64(snap_save_version(call, path, 4, &err), -1);
	CHECK_CONTAINS(err.msg, "format version 4");
	unlink(path);
}

/* Version 2 files (checksum, no address spaces) are still read: one
 * address space at the page-table copy; a snapshot with more is refused
 * rather than saved without them. */
static void test_v2(const struct snapshot *init, const struct snapshot *call)
{
	char path[128];
	struct sb_err err;
	snprintf(path, sizeof path, "%s/v2.snap", dir);
	const struct snapshot *both[] = { init, call };
	for (size_t i = 0; i < 2; i++) {
		if (!CHECK_I64(snap_save_version(both[i], path, 2, &err), 0)) {
			fprintf(stderr, "  %s\n", err.msg);
			continue;
		}
		size_t n = 0;
		uint8_t *f = test_slurp(path, &n);
		uint64_t hdr = header_bytes_v2(both[i]->n_host_fns);
		CHECK_U64(get_le(f + OFF_VERSION, 4), 2);
		CHECK_U64(get_le(f + OFF_HEADER_BYTES, 4), hdr);
		CHECK_U64(n, sb_page_round_up(hdr) + layout_image_bytes(&both[i]->layout));
		free(f);
		for (int mode = SNAP_LOAD_VERIFY; mode <= SNAP_LOAD_FAST; mode++) {
			struct snapshot *l = NULL;
			if (!CHECK_I64(snap_load(&l, path, (enum snap_load_mode)mode, &err), 0)) {
				fprintf(stderr, "  v2 %zu: %s\n", i, err.msg);
				continue;
			}
			check_same(both[i], l);
			CHECK_U64(l->nroots, 1);
			CHECK_U64(l->cur_root, 0);
			CHECK_U64(l->roots[0], layout_pt_base_gpa(&l->layout));
			snap_unref(l);
		}
	}
	struct snapshot two = *call;
	two.nroots = 2;
	two.roots[1] = two.roots[0] + SB_PAGE_SIZE;
	CHECK_I64(snap_save_version(&two, path, 2, &err), -1);
	CHECK_CONTAINS(err.msg, "2 address spaces; format version 2 holds one");
	CHECK_I64(snap_save_version(&two, path, 1, &err), -1);
	unlink(path);
}

/* The test links with -Wl,--wrap=mmap,--wrap=mmap64 (meson.build; with
 * _FILE_OFFSET_BITS=64 glibc's mmap is the symbol mmap64): every mmap of
 * the snapshot library comes here, and fails with mmap_fail_errno when
 * that is set, for file mappings only (fd >= 0) so allocations still work. */
void *__real_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
void *__real_mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off);
void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
void *__wrap_mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off);
static int mmap_fail_errno;

static bool mmap_fails(int fd)
{
	if (!mmap_fail_errno || fd < 0)
		return false;
	errno = mmap_fail_errno;
	return true;
}

void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return mmap_fails(fd) ? MAP_FAILED : __real_mmap(addr, len, prot, flags, fd, off);
}

void *__wrap_mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return mmap_fails(fd) ? MAP_FAILED : __real_mmap64(addr, len, prot, flags, fd, off);
}

/* A failed image mapping says why, with the code that matches: only
 * ENOMEM is the host out of memory; EACCES, ENODEV ... are I/O errors. */
static void test_map_errors(const struct snapshot *init)
{
	char path[128];
	struct sb_err err;
	snprintf(path, sizeof path, "%s/map.snap", dir);
	if (!CHECK_I64(snap_save(init, path, &err), 0))
		return;
	static const struct {
		int errnum;
		enum sb_errcode code;
	} cases[] = {
		{ EACCES, SB_E_IO },
		{ ENODEV, SB_E_IO },
		{ EPERM, SB_E_IO },
		{ ENOMEM, SB_E_NOMEM },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct snapshot *s = NULL;
		mmap_fail_errno = cases[i].errnum;
		int rc = snap_load(&s, path, SNAP_LOAD_FAST, &err);
		mmap_fail_errno = 0;
		if (!CHECK_I64(rc, -1)) {
			snap_unref(s);
			continue;
		}
		CHECK(s == NULL);
		if (!CHECK_U64(err.code, cases[i].code) || !CHECK_CONTAINS(err.msg, strerror(cases[i].errnum)))
			fprintf(stderr, "  errno %d: %s\n", cases[i].errnum, err.msg);
		CHECK_CONTAINS(err.msg, path);
		CHECK_CONTAINS(err.msg, "cannot map");
	}
	/* and the file itself is fine */
	struct snapshot *s = NULL;
	if (CHECK_I64(snap_load(&s, path, SNAP_LOAD_VERIFY, &err), 0))
		snap_unref(s);
	unlink(path);
}

static bool same_file(const char *path, const uint8_t *want, size_t want_n)
{
	size_t n = 0;
	uint8_t *f = test_slurp(path, &n);
	bool same = f && n == want_n && memcmp(f, want, n) == 0;
	free(f);
	return same;
}

static void test_atomic(const struct snapshot *init, const struct snapshot *call)
{
	char sub[128], path[160];
	snprintf(sub, sizeof sub, "%s/atomic", dir);
	mkdir(sub, 0755);
	snprintf(path, sizeof path, "%s/a.snap", sub);
	struct sb_err err;
	if (!CHECK_I64(snap_save(init, path, &err), 0))
		return;
	size_t old_n = 0;
	uint8_t *old = test_slurp(path, &old_n);

	/* 1. The file-size limit stops the write part-way through the image. */
	struct rlimit rl, small = { 64 << 10, 64 << 10 };
	getrlimit(RLIMIT_FSIZE, &rl);
	small.rlim_max = rl.rlim_max;
	signal(SIGXFSZ, SIG_IGN);
	setrlimit(RLIMIT_FSIZE, &small);
	CHECK_I64(snap_save(call, path, &err), -1);
	setrlimit(RLIMIT_FSIZE, &rl);
	CHECK_CONTAINS(err.msg, path);
	CHECK_CONTAINS(err.msg, "writing the image");
	CHECK_U64(err.code, SB_E_IO);
	CHECK(same_file(path, old, old_n));
	CHECK_U64(temp_files(sub), 0);

	/* 2. The target is a directory: everything works up to the rename. */
	char target[192];
	snprintf(target, sizeof target, "%s/adir", sub);
	mkdir(target, 0755);
	CHECK_I64(snap_save(call, target, &err), -1);
	CHECK_CONTAINS(err.msg, "renaming");
	CHECK_CONTAINS(err.msg, target);
	CHECK_U64(temp_files(sub), 0);
	rmdir(target);

	/* 3. A read-only directory (meaningless as root, who may write anyway). */
	if (geteuid() != 0) {
		chmod(sub, 0555);
		CHECK_I64(snap_save(call, path, &err), -1);
		CHECK_CONTAINS(err.msg, "creating a temporary file");
		chmod(sub, 0755);
		CHECK(same_file(path, old, old_n));
		CHECK_U64(temp_files(sub), 0);
	}

	/* 4. A missing directory. */
	char missing[192];
	snprintf(missing, sizeof missing, "%s/no-such-dir/x.snap", sub);
	CHECK_I64(snap_save(call, missing, &err), -1);
	CHECK_CONTAINS(err.msg, "no-such-dir");
	CHECK_CONTAINS(err.msg, strerror(ENOENT));

	/* 5. A successful save replaces the file; a mapping of the old one survives. */
	struct snapshot *before = NULL, *after = NULL;
	CHECK_I64(snap_load(&before, path, SNAP_LOAD_FAST, &err), 0);
	CHECK_I64(snap_save(call, path, &err), 0);
	CHECK_I64(snap_load(&after, path, SNAP_LOAD_VERIFY, &err), 0);
	if (before && after) {
		CHECK(snap_equal(after, call));
		CHECK(snap_equal(before, init));
		CHECK(memcmp(before->image, init->image, layout_image_bytes(&init->layout)) == 0);
	}
	snap_unref(before);
	snap_unref(after);
	CHECK_U64(temp_files(sub), 0);
	unlink(path);
	rmdir(sub);
	free(old);

	/* 6. A snapshot that cannot be encoded is refused before any file exists. */
	struct snapshot *s = NULL;
	if (CHECK_I64(snap_alloc(&s, &init->layout, &err), 0)) {
		s->n_host_fns = SNAP_MAX_HOST_FNS + 1;
		CHECK_I64(snap_save(s, path, &err), -1);
		CHECK_CONTAINS(err.msg, "33 host functions");
		CHECK(access(path, F_OK) != 0);
		s->n_host_fns = 0;
		memset(s->source, 'x', sizeof s->source);
		CHECK_I64(snap_save(s, path, &err), -1);
		CHECK_CONTAINS(err.msg, "not NUL-terminated");
		CHECK(access(path, F_OK) != 0);
		snap_unref(s);
	}
}

/* The test also links with -Wl,--wrap=write: in a child that sets
 * stall_fd, the second write (snap_save writes the header, then the image)
 * writes half its bytes, tells the parent through stall_fd and waits to be
 * killed -- a save killed in the middle of the image, every time. */
ssize_t __real_write(int fd, const void *p, size_t n);
ssize_t __wrap_write(int fd, const void *p, size_t n);
static int stall_fd = -1;
static unsigned writes_seen;

ssize_t __wrap_write(int fd, const void *p, size_t n)
{
	if (stall_fd < 0 || fd == stall_fd || ++writes_seen < 2)
		return __real_write(fd, p, n);
	__real_write(fd, p, n / 2);
	char c = 'w';
	__real_write(stall_fd, &c, 1);
	for (;;)
		pause();
}

/* And with --wrap=open,--wrap=open64: while tmpfile_refused is set, an
 * O_TMPFILE open fails as on a file system without it, so snap_save takes
 * its named-temporary-file path. */
int __real_open(const char *path, int flags, ...);
int __real_open64(const char *path, int flags, ...);
int __wrap_open(const char *path, int flags, ...);
int __wrap_open64(const char *path, int flags, ...);
static bool tmpfile_refused;
static unsigned tmpfile_opens; /* O_TMPFILE opens refused */

static int open_mode(va_list ap, int flags)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? va_arg(ap, int) : 0;
}

int __wrap_open(const char *path, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	int mode = open_mode(ap, flags);
	va_end(ap);
	if (tmpfile_refused && (flags & O_TMPFILE) == O_TMPFILE) {
		tmpfile_opens++;
		errno = EOPNOTSUPP;
		return -1;
	}
	return __real_open(path, flags, mode);
}

int __wrap_open64(const char *path, int flags, ...)
{
	va_list ap;
	va_start(ap, flags);
	int mode = open_mode(ap, flags);
	va_end(ap);
	if (tmpfile_refused && (flags & O_TMPFILE) == O_TMPFILE) {
		tmpfile_opens++;
		errno = EOPNOTSUPP;
		return -1;
	}
	return __real_open64(path, flags, mode);
}

static unsigned dir_entries(const char *d)
{
	unsigned n = 0;
	DIR *dp = opendir(d);
	struct dirent *e;
	while (dp && (e = readdir(dp)))
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	if (dp)
		closedir(dp);
	return n;
}

/* A save killed with SIGKILL half-way through the image leaves the
 * directory as it was: the old file intact, no temporary file (issue 12:
 * NAME.tmp-XXXXXX of up to the whole image stayed forever). */
static void test_killed_save(const struct snapshot *init, const struct snapshot *call)
{
	char sub[128], path[160];
	snprintf(sub, sizeof sub, "%s/killed", dir);
	mkdir(sub, 0755);
	snprintf(path, sizeof path, "%s/k.snap", sub);
	struct sb_err err;
	if (!CHECK_I64(snap_save(init, path, &err), 0))
		return;
	size_t old_n = 0;
	uint8_t *old = test_slurp(path, &old_n);
	int p[2];
	if (!CHECK_I64(pipe(p), 0)) {
		free(old);
		return;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		stall_fd = p[1];
		snap_save(call, path, &err);
		_exit(3); /* never reached: the save stalls until killed */
	}
	close(p[1]);
	char c = 0;
	bool stalled = CHECK(pid > 0) && CHECK_I64(read(p[0], &c, 1), 1);
	close(p[0]);
	if (pid > 0) {
		kill(pid, SIGKILL);
		int st = 0;
		waitpid(pid, &st, 0);
		CHECK(stalled && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	}
	if (!CHECK_U64(dir_entries(sub), 1))
		fprintf(stderr, "  a killed save left %u files in %s\n", dir_entries(sub) - 1, sub);
	CHECK_U64(temp_files(sub), 0);
	CHECK(same_file(path, old, old_n));
	/* and the next save works */
	struct snapshot *l = NULL;
	if (CHECK_I64(snap_save(call, path, &err), 0) &&
	    CHECK_I64(snap_load(&l, path, SNAP_LOAD_VERIFY, &err), 0))
		CHECK(snap_equal(l, call));
	snap_unref(l);
	CHECK_U64(dir_entries(sub), 1);
	unlink(path);
	rmdir(sub);
	free(old);
}

static void remove_dir(const char *d)
{
	DIR *dp = opendir(d);
	struct dirent *e;
	char p[512];
	while (dp && (e = readdir(dp))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof p, "%s/%s", d, e->d_name);
		unlink(p);
	}
	if (dp)
		closedir(dp);
	rmdir(d);
}

int main(int argc, char **argv)
{
	struct sb_err err;
	if (argc < 2 || elf_image_open(&img, argv[1], &err)) {
		fprintf(stderr, "usage: %s TESTGUEST_ELF (%s)\n", argv[0], argc < 2 ? "" : err.msg);
		return 2;
	}
	snprintf(dir, sizeof dir, "/tmp/test-snap-file-XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 2;
	}
	struct layout_config cfg = layout_config_default();
	struct snapshot *init = NULL, *with_data = NULL, *call = NULL;
	const char blob[] = "init data for the file test";
	CHECK_I64(snap_from_elf(&init, &img, &cfg, NULL, 0, 0, &err), 0);
	CHECK_I64(snap_from_elf(&with_data, &img, &cfg, blob, sizeof blob,
				LAYOUT_F_READ | LAYOUT_F_WRITE, &err), 0);
	if (init && with_data && CHECK((call = make_call(init)) != NULL)) {
		CHECK(!snap_equal(init, call));
		struct snapshot *all[] = { init, with_data, call };
		test_round_trip(all, 3);
		test_corrupt(init, call);
		test_v1(init, call);
		test_v2(init, call);
		test_atomic(init, call);
		test_killed_save(init, call);
		/* The same where the file system refuses O_TMPFILE: the named
		 * temporary file, still atomic, still removed on every failure
		 * (not after a kill: nothing can). */
		unsigned opens_before = tmpfile_opens;
		tmpfile_refused = true;
		test_atomic(init, call);
		tmpfile_refused = false;
		CHECK(tmpfile_opens > opens_before); /* the wrap saw snap_save's opens */
		test_map_errors(init);
	}
	snap_unref(call);
	snap_unref(with_data);
	snap_unref(init);
	remove_dir(dir);
	elf_image_free(&img);
	return check_done();
}
