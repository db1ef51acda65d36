/* test_pt_dump.c — golden dumps (tests/golden/vmem_*.txt). */
#include <stdlib.h>

#include "golden.h"
#include "pt_dump.h"
#include "vmem_util.h"

/* A small x86-64 space like a snapshot's: code, CoW heap, user page, the
 * scratch window at the top, a 2 MiB page and a loop entry. */
static void build_x86(struct pt_hostbuf *hb)
{
	pt_hostbuf_init(hb, &pt_format_x86_64, 0xFFFFF0000ull);
	const struct pt *pt = &hb->pt;
	struct pt_mapping ms[] = {
		{0x1000, 0x1000, 2 * PAGE, {PT_KIND_BASIC, 1, 0, 1}, false},
		{0x3000, 0x3000, 3 * PAGE, {PT_KIND_COW, 1, 0, 0}, false},
		{0x9000, 0x9000, PAGE, {PT_KIND_BASIC, 1, 1, 0}, true},
		{0xFFFFFC000ull, 0xFFFFFFFFFFFFF000ull - 0x3000, 0x3000, {PT_KIND_BASIC, 1, 1, 0}, false},
	};
	for (size_t i = 0; i < sizeof ms / sizeof ms[0]; i++)
		CHECK_U64(pt_map(pt, &ms[i]), PT_OK);
	gpa_t pd, pdpt;
	pt_table_ensure(pt, pt_root(pt), 0, 2, &pd);
	pt_table_ensure(pt, pt_root(pt), 0, 3, &pdpt);
	poke(pt, pd, 1, 0x40000000 | PT_P | PT_RW | PT_PS | PT_A | PT_D | PT_NX);
	poke(pt, pdpt, 5, pt_root(pt) | PT_P | PT_RW | PT_A); /* loop back to the root */
}

static void dump_x86(FILE *f, const void *arg)
{
	const struct pt_hostbuf *hb = arg;
	pt_dump(f, &hb->pt, pt_hostbuf_root(hb));
}

static void dump_x86_range(FILE *f, const void *arg)
{
	const struct pt_hostbuf *hb = arg;
	pt_dump_range(f, &hb->pt, pt_hostbuf_root(hb), 0x2000, 0x2000);
}

static void dump_i686(FILE *f, const void *arg)
{
	const struct pt_hostbuf *hb = arg;
	pt_dump(f, &hb->pt, pt_hostbuf_root(hb));
}

/* A walk that cannot start: the footer names the error. */
static void dump_noncanonical(FILE *f, const void *arg)
{
	const struct pt_regions *rr = arg;
	pt_dump_range(f, &rr->pt, rr->root_gpa, 0x0000900000000000ull, PAGE);
}

int main(void)
{
	struct pt_hostbuf x86;
	build_x86(&x86);
	golden_check_dump("vmem_x86_64.txt", dump_x86, &x86);
	golden_check_dump("vmem_x86_64_range.txt", dump_x86_range, &x86);

	/* every row fits in 80 columns */
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	pt_dump(f, &x86.pt, pt_hostbuf_root(&x86));
	fclose(f);
	size_t col = 0, widest = 0, rows = 0;
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '\n') {
			widest = col > widest ? col : widest;
			col = 0;
			rows++;
		} else {
			col++;
		}
	}
	CHECK(widest <= 80);
	CHECK_U64(rows, 3 + 17 + 1); /* header, entries, footer */
	free(buf);
	pt_hostbuf_free(&x86);

	struct pt_hostbuf i686;
	pt_hostbuf_init(&i686, &pt_format_i686, 0x200000);
	struct pt_mapping m1 = {0x1000, 0x1000, 2 * PAGE, {PT_KIND_BASIC, 1, 0, 1}, false};
	struct pt_mapping m2 = {0x8000, 0x3FF000, 2 * PAGE, {PT_KIND_COW, 1, 0, 1}, true};
	pt_map(&i686.pt, &m1);
	pt_map(&i686.pt, &m2);
	poke(&i686.pt, pt_root(&i686.pt), 3, 0x00C00000 | PT_P | PT_PS | PT_A | PT_D);
	golden_check_dump("vmem_i686.txt", dump_i686, &i686);
	pt_hostbuf_free(&i686);

	struct pt_regions rr;
	pt_regions_init(&rr, &pt_format_x86_64, NULL, 0, 0x1000);
	golden_check_dump("vmem_noncanonical.txt", dump_noncanonical, &rr);
	return check_done();
}
