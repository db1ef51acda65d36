/* test_layout.c — layout offsets, limits and errors, regions, PEB, bookkeeping.
 *
 * Expected addresses are computed here from the rules in DESIGN.md §2 with
 * plain arithmetic (division, literal constants), not with the library's
 * helpers, so a wrong helper cannot agree with itself.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

/* Pages a scratch region needs beyond I/O buffers and page tables: 20 top
 * pages (guard, 16 stack, undo log, 2 exception/bookkeeping) + 10. */
#define MINX 30
#include "layout.h"

#define KiB (1ull << 10)
#define MiB (1ull << 20)
#define GiB (1ull << 30)
#define PG 4096ull
#define GPA_TOP 0x1000000000ull         /* 2^36 */
#define GVA_END 0xFFFFFFFFFFFFF000ull   /* one past the scratch window */
#define SNAP_MAX (16 * GiB - 0x1000)
#define SCRATCH_MAX (16 * GiB)

static uint64_t up(uint64_t x)
{
	return (x + PG - 1) / PG * PG;
}

static uint64_t rd64(const void *mem, uint64_t off)
{
	uint64_t v;
	memcpy(&v, (const unsigned char *)mem + off, sizeof v);
	return v;
}

static struct layout_config cfg(uint64_t heap, uint64_t in, uint64_t out, uint64_t scratch)
{
	return (struct layout_config){ heap, in, out, scratch };
}

static void test_defaults(void)
{
	struct layout_config c = layout_config_default();
	CHECK_U64(c.heap_bytes, 128 * KiB);
	CHECK_U64(c.input_bytes, 16 * KiB);
	CHECK_U64(c.output_bytes, 16 * KiB);
	CHECK_U64(c.scratch_bytes, 288 * KiB);
	struct sb_err e = { 0 };
	CHECK_I64(layout_config_check(&c, &e), 0);
	/* I/O 32 KiB + MINX pages */
	CHECK_U64(layout_config_min_scratch_bytes(&c, 0), 32 * KiB + MINX * PG);
	CHECK_U64(layout_config_min_scratch_bytes(&c, 3 * PG), 32 * KiB + (MINX + 3) * PG);
}

/* ---- offsets for several configurations ---- */

struct offsets_case {
	const char *name;
	struct layout_config c;
	uint64_t code, init;
	unsigned flags;
	uint64_t pt; /* 0 = don't set */
};

static void check_offsets(const struct offsets_case *t)
{
	struct layout l;
	struct sb_err e = { 0 };
	if (!CHECK(layout_init(&l, &t->c, t->code, t->init, t->flags, &e) == 0)) {
		fprintf(stderr, "  case %s: %s\n", t->name, e.msg);
		return;
	}
	if (t->pt && !CHECK(layout_set_pt_bytes(&l, t->pt, &e) == 0)) {
		fprintf(stderr, "  case %s: %s\n", t->name, e.msg);
		return;
	}
	fprintf(stderr, "case %s\n", t->name);

	/* snapshot region: identity mapped from 0x1000 */
	uint64_t code_gva = 0x1000;
	uint64_t peb_gva = code_gva + up(t->code);
	uint64_t heap_gva = peb_gva + PG;
	uint64_t init_gva = heap_gva + t->c.heap_bytes;
	uint64_t snap = up(t->code) + PG + t->c.heap_bytes + up(t->init);
	CHECK_U64(layout_code_gva(&l), code_gva);
	CHECK_U64(layout_peb_gva(&l), peb_gva);
	CHECK_U64(layout_heap_gva(&l), heap_gva);
	CHECK_U64(layout_init_data_gva(&l), init_gva);
	CHECK_U64(l.code_offset, 0);
	CHECK_U64(l.peb_offset, peb_gva - 0x1000);
	CHECK_U64(l.heap_offset, heap_gva - 0x1000);
	CHECK_U64(l.init_data_offset, init_gva - 0x1000);
	CHECK_U64(layout_snapshot_bytes(&l), snap);
	CHECK_U64(layout_image_bytes(&l), snap + t->pt);
	CHECK_U64(layout_pt_tail_offset(&l), snap);
	CHECK_U64(layout_pt_bytes(&l), t->pt);
	CHECK_U64(layout_code_bytes(&l), t->code);
	CHECK_U64(layout_init_data_bytes(&l), t->init);
	CHECK_U64(layout_heap_bytes(&l), t->c.heap_bytes);

	/* scratch region: top of 2^36; window ends at GVA_END */
	uint64_t s = t->c.scratch_bytes;
	uint64_t sgpa = GPA_TOP - s, sgva = GVA_END - s;
	uint64_t pt_off = up(t->c.input_bytes + t->c.output_bytes);
	CHECK_U64(layout_scratch_bytes(&l), s);
	CHECK_U64(layout_scratch_base_gpa(&l), sgpa);
	CHECK_U64(layout_scratch_base_gva(&l), sgva);
	CHECK_U64(layout_input_gva(&l), sgva);
	CHECK_U64(layout_output_gva(&l), sgva + t->c.input_bytes);
	CHECK_U64(layout_input_scratch_offset(&l), 0);
	CHECK_U64(layout_output_scratch_offset(&l), t->c.input_bytes);
	CHECK_U64(layout_pt_scratch_offset(&l), pt_off);
	CHECK_U64(layout_pt_base_gpa(&l), sgpa + pt_off);
	CHECK_U64(layout_pt_base_gpa(&l) % PG, 0);
	CHECK_U64(layout_free_scratch_offset(&l), pt_off + t->pt);
	CHECK_U64(layout_first_free_scratch_gpa(&l), sgpa + pt_off + t->pt);
	CHECK_U64(layout_exn_scratch_offset(&l), s - 2 * PG);
	CHECK_U64(layout_top_scratch_offset(&l), s - 20 * PG); /* guard, stack 16, undo, exn 2 */
	CHECK_U64(layout_exn_stack_top_gva(&l), 0xFFFFFFFFFFFFEFD0ull);
	CHECK_U64(layout_bookkeeping_scratch_offset(&l, 0x08), s - 8);
	CHECK_U64(layout_bookkeeping_scratch_offset(&l, 0x10), s - 16);
	CHECK_U64(layout_bookkeeping_scratch_offset(&l, 0x18), s - 24);
	CHECK_U64(layout_bookkeeping_scratch_offset(&l, 0x20), s - 32);
	/* GVA = GPA + constant, for any scratch address */
	CHECK_U64(sb_scratch_gpa_to_gva(layout_pt_base_gpa(&l)), sgva + pt_off);
	CHECK_U64(sb_scratch_gva_to_gpa(sgva + s - 1), GPA_TOP - 1);
}

static void test_offsets(void)
{
	static const struct offsets_case cases[] = {
		{ "default, 2 pages code", { 128 * KiB, 16 * KiB, 16 * KiB, 288 * KiB }, 8192, 0, 0, 0 },
		{ "default, pt set", { 128 * KiB, 16 * KiB, 16 * KiB, 288 * KiB }, 8192, 0, 0, 12 * PG },
		{ "1 byte code, 1 page heap, minimum scratch", { PG, 16, 16, PG + MINX * PG }, 1, 100, 0, 0 },
		{ "odd I/O sizes", { 256 * MiB, 5000, 3000, MiB }, 0x12345, 0x2001, LAYOUT_F_READ | LAYOUT_F_WRITE,
		  5 * PG },
		{ "large: 8 GiB heap, 16 GiB scratch", { 8 * GiB, MiB, MiB, 16 * GiB }, PG, GiB, 0, 64 * PG },
		{ "snapshot exactly at the limit", { SNAP_MAX - 2 * PG, 16, 16, (MINX + 1) * PG }, PG, 0, 0, 0 },
		{ "code not page sized, init at page edge", { 64 * KiB, 4096, 4096, 160 * KiB }, PG + 1, PG, 0, PG },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		check_offsets(&cases[i]);
}

/* ---- every error path ---- */

struct err_case {
	const char *name;
	struct layout_config c;
	uint64_t code, init;
	unsigned flags;
	enum sb_errcode want;
	const char *msg[3]; /* substrings the message must contain */
};

#define DEF_C { 128 * KiB, 16 * KiB, 16 * KiB, 288 * KiB }

static void test_errors(void)
{
	static const struct err_case cases[] = {
		{ "heap 0", { 0, 16 * KiB, 16 * KiB, 288 * KiB }, PG, 0, 0, SB_E_TOO_SMALL,
		  { "heap size 0 bytes", "below the minimum 4096 bytes" } },
		{ "heap below a page", { 4095, 16 * KiB, 16 * KiB, 288 * KiB }, PG, 0, 0, SB_E_TOO_SMALL,
		  { "heap size 4095 bytes", "minimum 4096" } },
		{ "heap odd", { 4097, 16 * KiB, 16 * KiB, 288 * KiB }, PG, 0, 0, SB_E_INVAL,
		  { "heap size 4097 bytes", "multiple of the page size" } },
		{ "heap too big", { 16 * GiB, 16 * KiB, 16 * KiB, 288 * KiB }, PG, 0, 0, SB_E_TOO_BIG,
		  { "heap size 17179869184 bytes", "limit 17179865088 bytes" } },
		{ "heap huge", { UINT64_MAX, 16 * KiB, 16 * KiB, 288 * KiB }, PG, 0, 0, SB_E_TOO_BIG,
		  { "heap size 18446744073709551615 bytes", "limit 17179865088" } },
		{ "heap huge page multiple", { UINT64_MAX - 4095, 16 * KiB, 16 * KiB, 288 * KiB }, PG, 0, 0,
		  SB_E_TOO_BIG, { "heap size 18446744073709547520 bytes", "limit 17179865088" } },
		{ "input 0", { 128 * KiB, 0, 16 * KiB, 288 * KiB }, PG, 0, 0, SB_E_TOO_SMALL,
		  { "input buffer size 0 bytes", "minimum 16 bytes" } },
		{ "input 8", { 128 * KiB, 8, 16 * KiB, 288 * KiB }, PG, 0, 0, SB_E_TOO_SMALL,
		  { "input buffer size 8 bytes", "minimum 16 bytes" } },
		{ "input odd", { 128 * KiB, 17, 16 * KiB, 288 * KiB }, PG, 0, 0, SB_E_INVAL,
		  { "input buffer size 17 bytes", "multiple of 8" } },
		{ "input huge", { 128 * KiB, UINT64_MAX, 16 * KiB, 288 * KiB }, PG, 0, 0, SB_E_TOO_BIG,
		  { "input buffer size 18446744073709551615 bytes", "limit 17179869184 bytes" } },
		{ "output 0", { 128 * KiB, 16 * KiB, 0, 288 * KiB }, PG, 0, 0, SB_E_TOO_SMALL,
		  { "output buffer size 0 bytes", "minimum 16 bytes" } },
		{ "output odd", { 128 * KiB, 16 * KiB, 20, 288 * KiB }, PG, 0, 0, SB_E_INVAL,
		  { "output buffer size 20 bytes", "multiple of 8" } },
		{ "output too big", { 128 * KiB, 16 * KiB, 16 * GiB + 8, 288 * KiB }, PG, 0, 0, SB_E_TOO_BIG,
		  { "output buffer size 17179869192 bytes", "limit 17179869184 bytes" } },
		{ "I/O larger than scratch", { 128 * KiB, 16 * GiB, 16 * GiB, 16 * GiB }, PG, 0, 0, SB_E_TOO_SMALL,
		  { "scratch size 17179869184 bytes", "minimum 34359861248 bytes",
		    "I/O buffers 34359738368 + 30 pages" } },
		{ "scratch 0", { 128 * KiB, 16 * KiB, 16 * KiB, 0 }, PG, 0, 0, SB_E_TOO_SMALL,
		  { "scratch size 0 bytes", "minimum 155648 bytes", "I/O buffers 32768 + 30 pages" } },
		{ "scratch 8 KiB", { 128 * KiB, 16 * KiB, 16 * KiB, 8192 }, PG, 0, 0, SB_E_TOO_SMALL,
		  { "scratch size 8192 bytes is below the minimum 155648 bytes (I/O buffers 32768 + 30 pages)" } },
		{ "scratch one page short", { 128 * KiB, 16 * KiB, 16 * KiB, 155648 - PG }, PG, 0, 0, SB_E_TOO_SMALL,
		  { "scratch size 151552 bytes", "minimum 155648 bytes" } },
		{ "scratch I/O rounding", { 128 * KiB, 5000, 3000, MINX * PG + PG }, PG, 0, 0, SB_E_TOO_SMALL,
		  { "scratch size 126976 bytes", "minimum 131072 bytes", "I/O buffers 8192 + 30 pages" } },
		{ "scratch odd", { 128 * KiB, 16 * KiB, 16 * KiB, 288 * KiB + 1 }, PG, 0, 0, SB_E_INVAL,
		  { "scratch size 294913 bytes", "multiple of the page size" } },
		{ "scratch too big", { 128 * KiB, 16 * KiB, 16 * KiB, 16 * GiB + PG }, PG, 0, 0, SB_E_TOO_BIG,
		  { "scratch size 17179873280 bytes", "limit 17179869184 bytes" } },
		{ "scratch huge", { 128 * KiB, 16 * KiB, 16 * KiB, UINT64_MAX }, PG, 0, 0, SB_E_TOO_BIG,
		  { "scratch size 18446744073709551615 bytes", "limit 17179869184 bytes" } },
		{ "code 0", DEF_C, 0, 0, 0, SB_E_TOO_SMALL, { "code size 0 bytes", "minimum 1 byte" } },
		{ "code huge (must not wrap when rounded)", DEF_C, UINT64_MAX, 0, 0, SB_E_TOO_BIG,
		  { "code size 18446744073709551615 bytes", "limit 17179865088 bytes" } },
		{ "code one over the limit", DEF_C, SNAP_MAX + 1, 0, 0, SB_E_TOO_BIG,
		  { "code size 17179865089 bytes", "limit 17179865088 bytes" } },
		{ "init data huge", DEF_C, PG, UINT64_MAX - 100, 0, SB_E_TOO_BIG,
		  { "init data size 18446744073709551515 bytes", "limit 17179865088 bytes" } },
		{ "init data flags unknown", DEF_C, PG, PG, 8, SB_E_INVAL, { "init data flags 0x8" } },
		{ "sum over the limit", { 8 * GiB, 16, 16, (MINX + 1) * PG }, 8 * GiB, 0, 0, SB_E_TOO_BIG,
		  { "snapshot size 17179873280 bytes", "code 8589934592 + PEB 4096 + heap 8589934592 + init data 0",
		    "limit 17179865088 bytes" } },
		{ "sum one page over", { SNAP_MAX - PG, 16, 16, (MINX + 1) * PG }, PG, 0, 0, SB_E_TOO_BIG,
		  { "snapshot size 17179869184 bytes", "limit 17179865088" } },
		{ "sum over by init data rounding", { SNAP_MAX - 3 * PG, 16, 16, (MINX + 1) * PG }, PG, PG + 1, 0,
		  SB_E_TOO_BIG, { "snapshot size 17179869184 bytes", "init data 8192" } },
		{ "code rounds up over the limit", { PG, 16, 16, (MINX + 1) * PG }, SNAP_MAX - 1, 0, 0, SB_E_TOO_BIG,
		  { "snapshot size 17179873280 bytes", "code 17179865088" } },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct err_case *t = &cases[i];
		struct layout l;
		memset(&l, 0x5a, sizeof l);
		struct sb_err e = { 0 };
		fprintf(stderr, "error case %s\n", t->name);
		CHECK_I64(layout_init(&l, &t->c, t->code, t->init, t->flags, &e), -1);
		CHECK_STR(sb_errcode_name(e.code), sb_errcode_name(t->want));
		for (int k = 0; k < 3 && t->msg[k]; k++)
			CHECK_CONTAINS(e.msg, t->msg[k]);
		CHECK_U64(l.snapshot_bytes, 0); /* left zeroed */
		/* the check alone agrees on configuration errors */
		if (layout_config_check(&t->c, NULL) < 0) {
			struct sb_err e2 = { 0 };
			CHECK_I64(layout_config_check(&t->c, &e2), -1);
			CHECK_STR(e2.msg, e.msg);
		}
	}
	/* NULL arguments */
	struct layout l;
	struct sb_err e = { 0 };
	CHECK_I64(layout_init(&l, NULL, PG, 0, 0, &e), -1);
	CHECK_U64(e.code, SB_E_INVAL);
	CHECK_I64(layout_init(NULL, NULL, PG, 0, 0, NULL), -1);
	/* the minimum itself is accepted */
	struct layout_config c = cfg(PG, 16 * KiB, 16 * KiB, 155648);
	CHECK_I64(layout_init(&l, &c, 1, 0, 0, &e), 0);
}

/* ---- set_pt_bytes / set_snapshot_bytes ---- */

static void test_set_pt_bytes(void)
{
	struct layout_config c = layout_config_default(); /* min w/o pt: 155648; max pt 139264 */
	static const struct {
		uint64_t pt;
		enum sb_errcode want;
		const char *msg[3];
	} cases[] = {
		{ 0, SB_E_TOO_SMALL, { "page-table size 0 bytes", "minimum 4096" } },
		{ 4095, SB_E_INVAL, { "page-table size 4095 bytes", "multiple of the page size" } },
		{ PG, SB_OK, { 0 } },
		{ 139264, SB_OK, { 0 } },
		{ 139264 + PG, SB_E_TOO_SMALL,
		  { "scratch size 294912 bytes is below the minimum 299008 bytes",
		    "(I/O buffers 32768 + 30 pages + page tables 143360)" } },
		{ 16 * GiB, SB_E_TOO_SMALL, { "scratch size 294912 bytes", "page tables 17179869184" } },
		{ 16 * GiB + PG, SB_E_TOO_BIG, { "page-table size 17179873280 bytes", "limit 17179869184" } },
		{ UINT64_MAX, SB_E_TOO_BIG, { "page-table size 18446744073709551615 bytes" } },
		{ UINT64_MAX - 4095, SB_E_TOO_BIG, { "page-table size 18446744073709547520 bytes" } },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct layout l;
		struct sb_err e = { 0 };
		CHECK_I64(layout_init(&l, &c, 8192, 0, 0, &e), 0);
		CHECK_I64(layout_set_pt_bytes(&l, 2 * PG, &e), 0);
		uint64_t snap = layout_snapshot_bytes(&l);
		int rc = layout_set_pt_bytes(&l, cases[i].pt, &e);
		if (cases[i].want == SB_OK) {
			CHECK_I64(rc, 0);
			CHECK_U64(layout_pt_bytes(&l), cases[i].pt);
			CHECK_U64(layout_image_bytes(&l), snap + cases[i].pt);
			CHECK_U64(layout_first_free_scratch_gpa(&l), GPA_TOP - 288 * KiB + 32 * KiB + cases[i].pt);
		} else {
			CHECK_I64(rc, -1);
			CHECK_STR(sb_errcode_name(e.code), sb_errcode_name(cases[i].want));
			for (int k = 0; k < 3 && cases[i].msg[k]; k++)
				CHECK_CONTAINS(e.msg, cases[i].msg[k]);
			CHECK_U64(layout_pt_bytes(&l), 2 * PG); /* unchanged */
		}
		CHECK_U64(layout_snapshot_bytes(&l), snap); /* the tail is never guest-visible */
	}
}

static void test_set_snapshot_bytes(void)
{
	struct layout_config c = layout_config_default();
	static const struct {
		uint64_t bytes;
		enum sb_errcode want;
		const char *msg;
	} cases[] = {
		{ 0, SB_E_TOO_SMALL, "snapshot size 0 bytes is below the minimum 4096" },
		{ 4095, SB_E_TOO_SMALL, "snapshot size 4095 bytes" },
		{ 4097, SB_E_INVAL, "snapshot size 4097 bytes is not a multiple" },
		{ SNAP_MAX + PG, SB_E_TOO_BIG, "snapshot size 17179869184 bytes exceeds the limit 17179865088" },
		{ UINT64_MAX, SB_E_TOO_BIG, "snapshot size 18446744073709551615 bytes" },
		{ PG, SB_OK, NULL },
		{ SNAP_MAX, SB_OK, NULL },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct layout l;
		struct sb_err e = { 0 };
		CHECK_I64(layout_init(&l, &c, 8192, 0, 0, &e), 0);
		uint64_t before = layout_snapshot_bytes(&l);
		int rc = layout_set_snapshot_bytes(&l, cases[i].bytes, &e);
		if (cases[i].want == SB_OK) {
			CHECK_I64(rc, 0);
			CHECK_U64(layout_snapshot_bytes(&l), cases[i].bytes);
		} else {
			CHECK_I64(rc, -1);
			CHECK_U64(e.code, cases[i].want);
			CHECK_CONTAINS(e.msg, cases[i].msg);
			CHECK_U64(layout_snapshot_bytes(&l), before);
		}
	}
}

/* ---- regions ---- */

struct want_region {
	enum layout_region_kind kind;
	uint64_t gpa, gva, bytes;
	unsigned flags;
};

static void check_regions(const char *what, const struct layout_region *got, size_t n,
			  const struct want_region *want, size_t n_want)
{
	fprintf(stderr, "regions: %s\n", what);
	if (!CHECK_U64(n, n_want))
		return;
	for (size_t i = 0; i < n; i++) {
		CHECK_STR(layout_region_name(got[i].kind), layout_region_name(want[i].kind));
		CHECK_U64(got[i].gpa, want[i].gpa);
		CHECK_U64(got[i].gva, want[i].gva);
		CHECK_U64(got[i].bytes, want[i].bytes);
		CHECK_U64(got[i].flags, want[i].flags);
	}
}

enum { R = LAYOUT_F_READ, W = LAYOUT_F_WRITE, X = LAYOUT_F_EXEC, K = LAYOUT_F_KERNEL };

static void test_regions(void)
{
	struct layout_config c = layout_config_default();
	struct layout l;
	struct layout_region r[LAYOUT_MAX_REGIONS];
	struct sb_err e = { 0 };
	size_t n;

	CHECK_I64(layout_init(&l, &c, 8192, 0, 0, &e), 0);
	n = layout_snapshot_regions(&l, r);
	const struct want_region snap_no_init[] = {
		{ LAYOUT_REGION_CODE, 0x1000, 0x1000, 0x2000, R | W | X },
		{ LAYOUT_REGION_PEB, 0x3000, 0x3000, 0x1000, R },
		{ LAYOUT_REGION_HEAP, 0x4000, 0x4000, 0x20000, R | W },
	};
	check_regions("default, no init data", r, n, snap_no_init, 3);

	/* scratch before page tables: no pt copy row */
	const uint64_t sg = GPA_TOP - 0x48000, sv = GVA_END - 0x48000;
	n = layout_scratch_regions(&l, r);
	const struct want_region scratch_no_pt[] = {
		{ LAYOUT_REGION_INPUT, sg, sv, 0x4000, R | W },
		{ LAYOUT_REGION_OUTPUT, sg + 0x4000, sv + 0x4000, 0x4000, R | W },
		{ LAYOUT_REGION_SCRATCH_FREE, sg + 0x8000, sv + 0x8000, 0x48000 - 0x8000 - 0x14000, R | W },
		{ LAYOUT_REGION_STACK_GUARD, GPA_TOP - 0x14000, GVA_END - 0x14000, 0x1000, 0 },
		{ LAYOUT_REGION_STACK, GPA_TOP - 0x13000, GVA_END - 0x13000, 0x10000, R | W },
		{ LAYOUT_REGION_UNDO_LOG, GPA_TOP - 0x3000, GVA_END - 0x3000, 0x1000, R | W },
		{ LAYOUT_REGION_EXN_STACK, GPA_TOP - 0x2000, GVA_END - 0x2000, 0x2000, R | W },
	};
	check_regions("default scratch, no pt", r, n, scratch_no_pt, 7);

	CHECK_I64(layout_set_pt_bytes(&l, 0x3000, &e), 0);
	n = layout_scratch_regions(&l, r);
	const struct want_region scratch_pt[] = {
		{ LAYOUT_REGION_INPUT, sg, sv, 0x4000, R | W },
		{ LAYOUT_REGION_OUTPUT, sg + 0x4000, sv + 0x4000, 0x4000, R | W },
		{ LAYOUT_REGION_PT_COPY, sg + 0x8000, sv + 0x8000, 0x3000, R | W | K },
		{ LAYOUT_REGION_SCRATCH_FREE, sg + 0xb000, sv + 0xb000, 0x48000 - 0xb000 - 0x14000, R | W },
		{ LAYOUT_REGION_STACK_GUARD, GPA_TOP - 0x14000, GVA_END - 0x14000, 0x1000, 0 },
		{ LAYOUT_REGION_STACK, GPA_TOP - 0x13000, GVA_END - 0x13000, 0x10000, R | W },
		{ LAYOUT_REGION_UNDO_LOG, GPA_TOP - 0x3000, GVA_END - 0x3000, 0x1000, R | W },
		{ LAYOUT_REGION_EXN_STACK, GPA_TOP - 0x2000, GVA_END - 0x2000, 0x2000, R | W },
	};
	check_regions("default scratch, pt 3 pages", r, n, scratch_pt, 8);

	/* init data: default permission read-only, or the caller's */
	static const struct {
		unsigned flags_in, flags_want;
	} perms[] = {
		{ 0, R }, { R, R }, { R | W, R | W }, { R | X, R | X }, { R | W | X, R | W | X }, { X, X },
	};
	for (size_t i = 0; i < sizeof perms / sizeof perms[0]; i++) {
		CHECK_I64(layout_init(&l, &c, 0x1801, 0x1234, perms[i].flags_in, &e), 0);
		CHECK_U64(l.init_data_flags, perms[i].flags_want);
		n = layout_snapshot_regions(&l, r);
		const struct want_region snap_init[] = {
			{ LAYOUT_REGION_CODE, 0x1000, 0x1000, 0x2000, R | W | X },
			{ LAYOUT_REGION_PEB, 0x3000, 0x3000, 0x1000, R },
			{ LAYOUT_REGION_HEAP, 0x4000, 0x4000, 0x20000, R | W },
			{ LAYOUT_REGION_INIT_DATA, 0x24000, 0x24000, 0x2000, perms[i].flags_want },
		};
		check_regions("with init data", r, n, snap_init, 4);
		CHECK_U64(layout_snapshot_bytes(&l), 0x26000 - 0x1000);
	}

	/* invariants over a few layouts: snapshot parts contiguous from BASE to
	 * the guest-visible end, scratch parts ordered, inside scratch, and the
	 * exception pages end exactly at the top of the GPA space */
	static const struct layout_config cs[] = {
		{ PG, 16, 16, (MINX + 1) * PG }, { 256 * MiB, 5000, 3000, MiB }, { 8 * GiB, MiB, MiB, 16 * GiB },
	};
	for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++) {
		CHECK_I64(layout_init(&l, &cs[i], 12345, 777, 0, &e), 0);
		n = layout_snapshot_regions(&l, r);
		uint64_t at = 0x1000;
		for (size_t k = 0; k < n; k++) {
			CHECK_U64(r[k].gpa, at);
			CHECK_U64(r[k].gva, r[k].gpa);
			CHECK_U64(r[k].bytes % PG, 0);
			at += r[k].bytes;
		}
		CHECK_U64(at, 0x1000 + layout_snapshot_bytes(&l));
		n = layout_scratch_regions(&l, r);
		at = GPA_TOP - cs[i].scratch_bytes;
		for (size_t k = 0; k < n; k++) {
			CHECK(r[k].gpa >= at);
			CHECK_U64(r[k].gva - r[k].gpa, GVA_END - GPA_TOP);
			CHECK_U64(r[k].flags, r[k].kind == LAYOUT_REGION_STACK_GUARD ? 0u
					      : r[k].kind == LAYOUT_REGION_PT_COPY ? (unsigned)(R | W | K)
										   : (unsigned)(R | W));
			at = r[k].gpa + r[k].bytes;
		}
		CHECK_U64(at, GPA_TOP);
	}

	/* names and flag strings */
	char fb[4];
	CHECK_STR(layout_flags_str(R | W | X, fb), "RWX");
	CHECK_STR(layout_flags_str(R, fb), "R--");
	CHECK_STR(layout_flags_str(W | X, fb), "-WX");
	CHECK_STR(layout_flags_str(0, fb), "---");
	CHECK_STR(layout_flags_str(R | W | K, fb), "rw-"); /* ring 0 only */
	CHECK_STR(layout_region_name(LAYOUT_REGION_PEB), "PEB");
	CHECK_STR(layout_region_name(LAYOUT_REGION_PT_COPY), "pt copy");
	CHECK_STR(layout_region_name(LAYOUT_REGION__COUNT), "?");
}

/* ---- PEB, init data, bookkeeping written into memory ---- */

static void test_write_peb(void)
{
	struct layout_config c = cfg(64 * KiB, 5000, 3000, 40 * PG);
	struct layout l;
	struct sb_err e = { 0 };
	CHECK_I64(layout_init(&l, &c, 0x2345, 300, R | W, &e), 0);
	uint64_t img = layout_snapshot_bytes(&l);
	unsigned char *mem = malloc(img);
	if (!CHECK(mem != NULL))
		return;
	memset(mem, 0xAA, img);
	CHECK_I64(layout_write_peb(&l, mem, img, &e), 0);

	uint64_t peb = 0x3000; /* code 0x2345 -> 3 pages, image offset 0x3000 */
	uint64_t sgva = GVA_END - 40 * PG;
	CHECK_U64(layout_peb_gva(&l), 0x1000 + peb);
	CHECK_U64(rd64(mem, peb + 0), 5000);            /* input size */
	CHECK_U64(rd64(mem, peb + 8), sgva);            /* input gva */
	CHECK_U64(rd64(mem, peb + 16), 3000);           /* output size */
	CHECK_U64(rd64(mem, peb + 24), sgva + 5000);    /* output gva */
	CHECK_U64(rd64(mem, peb + 32), 300);            /* init data size (exact) */
	CHECK_U64(rd64(mem, peb + 40), 0x1000 + peb + PG + 64 * KiB); /* init data gva */
	CHECK_U64(rd64(mem, peb + 48), 64 * KiB);       /* heap size */
	CHECK_U64(rd64(mem, peb + 56), 0x1000 + peb + PG); /* heap gva */
	/* nothing else touched */
	CHECK_U64(mem[peb - 1], 0xAA);
	CHECK_U64(mem[peb + 64], 0xAA);

	/* bounds: one byte short fails and writes nothing; exact fits */
	memset(mem, 0xAA, img);
	CHECK_I64(layout_write_peb(&l, mem, peb + 63, &e), -1);
	CHECK_U64(e.code, SB_E_RANGE);
	CHECK_CONTAINS(e.msg, "PEB");
	CHECK_CONTAINS(e.msg, "12351 bytes");
	CHECK_U64(mem[peb], 0xAA);
	CHECK_I64(layout_write_peb(&l, mem, peb + 64, &e), 0);
	CHECK_I64(layout_write_peb(&l, mem, 0, &e), -1);
	CHECK_I64(layout_write_peb(&l, NULL, img, &e), -1);
	CHECK_U64(e.code, SB_E_INVAL);

	/* init data */
	unsigned char blob[300];
	for (size_t i = 0; i < sizeof blob; i++)
		blob[i] = (unsigned char)(i * 7 + 1);
	uint64_t init_off = peb + PG + 64 * KiB;
	CHECK_I64(layout_write_init_data(&l, mem, img, blob, sizeof blob, &e), 0);
	CHECK(memcmp(mem + init_off, blob, sizeof blob) == 0);
	CHECK_U64(mem[init_off + 300], 0xAA);
	CHECK_I64(layout_write_init_data(&l, mem, img, blob, 299, &e), -1);
	CHECK_U64(e.code, SB_E_INVAL);
	CHECK_CONTAINS(e.msg, "got 299 bytes, the layout has 300");
	CHECK_I64(layout_write_init_data(&l, mem, init_off + 299, blob, 300, &e), -1);
	CHECK_U64(e.code, SB_E_RANGE);
	CHECK_I64(layout_write_init_data(&l, mem, init_off + 300, blob, 300, &e), 0);
	free(mem);

	/* no init data: the PEB says size 0, address 0 */
	CHECK_I64(layout_init(&l, &c, PG, 0, 0, &e), 0);
	unsigned char small[3 * PG];
	memset(small, 0xAA, sizeof small);
	CHECK_I64(layout_write_peb(&l, small, sizeof small, &e), 0);
	CHECK_U64(rd64(small, PG + 32), 0);
	CHECK_U64(rd64(small, PG + 40), 0);
	CHECK_U64(rd64(small, PG + 56), 0x1000 + 2 * PG);
	CHECK_I64(layout_write_init_data(&l, small, sizeof small, NULL, 0, &e), 0);

	/* layout_peb agrees with what was written */
	struct sb_peb p;
	layout_peb(&l, &p);
	CHECK(memcmp(&p, small + PG, sizeof p) == 0);
}

static void test_bookkeeping(void)
{
	struct layout_config c = layout_config_default();
	struct layout l;
	struct sb_err e = { 0 };
	CHECK_I64(layout_init(&l, &c, 8192, 0, 0, &e), 0);
	CHECK_I64(layout_set_pt_bytes(&l, 5 * PG, &e), 0);
	uint64_t s = 288 * KiB;
	unsigned char *m = malloc(s);
	if (!CHECK(m != NULL))
		return;
	memset(m, 0xAA, s);
	CHECK_I64(layout_write_bookkeeping(&l, m, s, 42, &e), 0);
	CHECK_U64(rd64(m, s - 0x08), s);
	CHECK_U64(rd64(m, s - 0x10), GPA_TOP - s + 32 * KiB + 5 * PG);
	CHECK_U64(rd64(m, s - 0x18), GPA_TOP - s + 32 * KiB);
	CHECK_U64(rd64(m, s - 0x20), 42);
	CHECK_U64(rd64(m, s - 0x28), 0xAAAAAAAAAAAAAAAAull); /* unused word untouched */
	CHECK_U64(rd64(m, s - 0x30), 0xAAAAAAAAAAAAAAAAull); /* stack top: not a word */
	CHECK_I64(layout_write_bookkeeping(&l, m, s - PG, 1, &e), -1);
	CHECK_U64(e.code, SB_E_INVAL);
	CHECK_CONTAINS(e.msg, "290816 bytes");
	CHECK_I64(layout_write_bookkeeping(&l, NULL, s, 1, &e), -1);
	free(m);
}

int main(void)
{
	test_defaults();
	test_offsets();
	test_errors();
	test_set_pt_bytes();
	test_set_snapshot_bytes();
	test_regions();
	test_write_peb();
	test_bookkeeping();
	return check_done();
}
