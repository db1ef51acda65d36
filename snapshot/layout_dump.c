/* layout_dump.c — the text view of a layout (TUI, dump mode, golden tests).
 *
 * At most 100 columns: GPAs print as 9 hex digits (36-bit space), GVAs as
 * 16, ranges as first..last byte so the top of the GPA space still fits.
 */
#include "layout.h"

#include <inttypes.h>

const char *layout_human_bytes(uint64_t bytes, char *buf, size_t buf_bytes)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	unsigned u = 0;
	uint64_t scale = 1;
	while (u + 1 < sizeof units / sizeof units[0] && bytes / scale >= 1024) {
		scale *= 1024;
		u++;
	}
	uint64_t whole = bytes / scale;
	uint64_t rem = bytes % scale;
	if (rem == 0 || whole >= 100) {
		/* exact, or big enough that a decimal adds nothing: "~" marks a
		 * truncated value (truncating never reaches the next unit) */
		snprintf(buf, buf_bytes, "%s%" PRIu64 " %s", rem ? "~" : "", whole, units[u]);
	} else {
		/* one decimal, truncated (never rounds up to the next unit) */
		uint64_t tenths = (uint64_t)(((unsigned __int128)rem * 10) / scale);
		snprintf(buf, buf_bytes, "%" PRIu64 ".%" PRIu64 " %s", whole, tenths, units[u]);
	}
	return buf;
}

static void row(FILE *f, const struct layout_region *r)
{
	char size[16], flags[4];
	uint64_t pages = (r->bytes + SB_PAGE_SIZE - 1) / SB_PAGE_SIZE;
	fprintf(f, "%-9s %09" PRIx64 "..%09" PRIx64 " %016" PRIx64 "..%016" PRIx64 " %11" PRIu64
		   " %8s %7" PRIu64 " %s\n",
		layout_region_name(r->kind), r->gpa, r->gpa + r->bytes - 1, r->gva, r->gva + r->bytes - 1,
		r->bytes, layout_human_bytes(r->bytes, size, sizeof size), pages,
		layout_flags_str(r->flags, flags));
}

static void table_header(FILE *f)
{
	fprintf(f, "%-9s %-20s %-34s %11s %8s %7s %s\n", "region", "GPA first..last", "GVA first..last",
		"bytes", "size", "pages", "flags");
}

static void word(FILE *f, const struct layout *l, uint64_t k, const char *what, const char *value)
{
	fprintf(f, "  0x%02" PRIx64 "  %#12" PRIx64 "  %016" PRIx64 "  %-24s %s\n", k,
		layout_bookkeeping_scratch_offset(l, k), sb_scratch_top_gva(k), what, value);
}

static void dump_snapshot(FILE *f, const struct layout *l)
{
	struct layout_region r[LAYOUT_MAX_REGIONS];
	char h1[16], h2[16];

	fprintf(f, "\nsnapshot region: GPA = GVA, shared, read-only KVM slot of %" PRIu64 " bytes (%s)\n",
		layout_snapshot_bytes(l), layout_human_bytes(layout_snapshot_bytes(l), h1, sizeof h1));
	if (l->pt_bytes)
		fprintf(f, "  page-table tail: image offset %#" PRIx64 ", %" PRIu64
			   " bytes (%s), in the image only, not mapped\n",
			layout_pt_tail_offset(l), l->pt_bytes, layout_human_bytes(l->pt_bytes, h2, sizeof h2));
	else
		fprintf(f, "  page-table tail: not built yet\n");
	table_header(f);
	size_t n = layout_snapshot_regions(l, r);
	for (size_t i = 0; i < n; i++)
		row(f, &r[i]);
}

static void dump_scratch(FILE *f, const struct layout *l)
{
	struct layout_region r[LAYOUT_MAX_REGIONS];
	char h[16];
	uint64_t min = layout_config_min_scratch_bytes(&l->config, l->pt_bytes);
	uint64_t io = sb_scratch_pt_offset(l->config.input_bytes, l->config.output_bytes);

	fprintf(f, "\nscratch region: top of the 36-bit GPA space, private, %" PRIu64 " bytes (%s)\n",
		layout_scratch_bytes(l), layout_human_bytes(layout_scratch_bytes(l), h, sizeof h));
	fprintf(f, "  GVA = GPA + %016" PRIx64 " (mod 2^64)\n", (uint64_t)SB_SCRATCH_GVA_MINUS_GPA);
	fprintf(f, "  minimum %" PRIu64 " bytes = I/O buffers %" PRIu64 " + %llu pages", min, io,
		(unsigned long long)SB_SCRATCH_MIN_EXTRA_PAGES);
	if (l->pt_bytes)
		fprintf(f, " + page tables %" PRIu64 "\n", l->pt_bytes);
	else
		fprintf(f, " (page tables not sized yet)\n");
	table_header(f);
	size_t n = layout_scratch_regions(l, r);
	for (size_t i = 0; i < n; i++)
		row(f, &r[i]);
}

static void dump_bookkeeping(FILE *f, const struct layout *l)
{
	char v[32];

	fprintf(f, "\nbookkeeping words (u64, top of the exn stack row), host offset = scratch bytes - k:\n");
	fprintf(f, "  %-4s  %12s  %-16s  %-24s %s\n", "k", "host offset", "GVA", "word", "value written");
	snprintf(v, sizeof v, "%" PRIu64, layout_scratch_bytes(l));
	word(f, l, SB_SCRATCH_TOP_SIZE, "scratch size", v);
	snprintf(v, sizeof v, "%#" PRIx64, layout_first_free_scratch_gpa(l));
	word(f, l, SB_SCRATCH_TOP_ALLOCATOR, "next free GPA", v);
	snprintf(v, sizeof v, "%#" PRIx64, layout_pt_base_gpa(l));
	word(f, l, SB_SCRATCH_TOP_PT_GPA, "page-table copy GPA", v);
	word(f, l, SB_SCRATCH_TOP_GENERATION, "snapshot generation", "(per build/restore)");
	word(f, l, SB_SCRATCH_TOP_EXN_STACK, "exception stack top", "(position, not a word)");
}

void layout_dump(FILE *f, const struct layout *l)
{
	fprintf(f, "sandbox memory layout\n");
	fprintf(f, "  addresses: hex, first..last byte (inclusive); bytes: decimal;\n");
	fprintf(f, "  size: KiB/MiB/GiB = 2^10/2^20/2^30 bytes, truncated (~ = inexact);"
		   " pages: 4 KiB, rounded up\n");
	fprintf(f, "  flags: guest permissions, R read, W write, X execute; "
		   "lower case: ring 0 only\n");
	dump_snapshot(f, l);
	dump_scratch(f, l);
	dump_bookkeeping(f, l);
}
