/* render_layout.c — the layout view as text: the guest-physical and
 * guest-virtual maps as proportional bars, the region table and the
 * details of the selected region. */
#include <inttypes.h>
#include <string.h>

#include "tui.h"

size_t tui_layout_regions(const struct tui_model *m, struct layout_region out[2 * LAYOUT_MAX_REGIONS])
{
	const struct layout *l = &m->snap->layout;
	size_t n = layout_snapshot_regions(l, out);
	return n + layout_scratch_regions(l, out + n);
}

static char region_letter(enum layout_region_kind k)
{
	static const char letters[LAYOUT_REGION__COUNT] = {
		[LAYOUT_REGION_CODE] = 'C', [LAYOUT_REGION_PEB] = 'P', [LAYOUT_REGION_HEAP] = 'H',
		[LAYOUT_REGION_INIT_DATA] = 'D', [LAYOUT_REGION_INPUT] = 'I',
		[LAYOUT_REGION_OUTPUT] = 'O', [LAYOUT_REGION_PT_COPY] = 'T',
		[LAYOUT_REGION_SCRATCH_FREE] = 'F', [LAYOUT_REGION_STACK_GUARD] = 'g',
		[LAYOUT_REGION_STACK] = 'S', [LAYOUT_REGION_UNDO_LOG] = 'U',
		[LAYOUT_REGION_EXN_STACK] = 'E',
	};
	return k < LAYOUT_REGION__COUNT ? letters[k] : '?';
}

/* One proportional bar: every part gets at least one cell; the largest
 * part absorbs the rounding. */
static void bar(FILE *f, const struct layout_region *r, size_t n, int cells)
{
	uint64_t total = 0;
	int w[LAYOUT_MAX_REGIONS] = { 0 }, sum = 0;
	if (n == 0)
		return;
	size_t big = 0;
	for (size_t i = 0; i < n; i++)
		total += r[i].bytes;
	for (size_t i = 0; i < n; i++) {
		w[i] = (int)((r[i].bytes * (uint64_t)cells + total / 2) / (total ? total : 1));
		if (w[i] < 1)
			w[i] = 1;
		sum += w[i];
		if (r[i].bytes > r[big].bytes)
			big = i;
	}
	w[big] += cells - sum;
	if (w[big] < 1)
		w[big] = 1;
	fputc('[', f);
	for (size_t i = 0; i < n; i++)
		for (int k = 0; k < w[i]; k++)
			fputc(region_letter(r[i].kind), f);
	fputc(']', f);
}

static void map_row(FILE *f, const char *name, const struct layout_region *r, size_t n, bool virt,
		    int width)
{
	int digits = virt ? 16 : 9;
	uint64_t first = virt ? r[0].gva : r[0].gpa;
	uint64_t last = (virt ? r[n - 1].gva : r[n - 1].gpa) + r[n - 1].bytes - 1;
	uint64_t bytes = last - first + 1;
	char size[32];
	int cells = width - (9 + 2 * 16 + 4 + 1 + 8); /* same bars in both maps */
	fprintf(f, "%-8s %0*" PRIx64 " ", name, digits, first);
	bar(f, r, n, cells < 8 ? 8 : cells);
	fprintf(f, " %0*" PRIx64 " %8s\n", digits, last, layout_human_bytes(bytes, size, sizeof size));
}

static void legend(FILE *f, const struct layout_region *r, size_t n, int width)
{
	int used = fprintf(f, "legend:");
	for (size_t i = 0; i < n; i++) {
		const char *name = layout_region_name(r[i].kind);
		int len = (int)strlen(name) + 3;
		if (used + len > width)
			used = fprintf(f, "\n       ");
		used += fprintf(f, " %c %s", region_letter(r[i].kind), name);
	}
	fputc('\n', f);
}

static uint64_t scratch_word(const struct tui_model *m, uint64_t k, uint64_t built)
{
	uint64_t v = built;
	if (m->scratch && m->scratch_bytes >= k)
		memcpy(&v, m->scratch + m->scratch_bytes - k, 8);
	return v;
}

static void scratch_details(FILE *f, const struct tui_model *m)
{
	const struct layout *l = &m->snap->layout;
	char a[32], b[32];
	uint64_t alloc = scratch_word(m, SB_SCRATCH_TOP_ALLOCATOR, layout_first_free_scratch_gpa(l));
	uint64_t first = layout_first_free_scratch_gpa(l);
	uint64_t free_pages = (uint64_t)((layout_top_scratch_offset(l) - layout_free_scratch_offset(l)) / SB_PAGE_SIZE);
	fprintf(f, "  buffers: input %s, output %s (first word = stack pointer, empty = 8)\n",
		layout_human_bytes(layout_input_bytes(l), a, sizeof a),
		layout_human_bytes(layout_output_bytes(l), b, sizeof b));
	fprintf(f, "  page-table copy: %s at GPA %09" PRIx64 " (CR3), copied from the image's tail\n",
		layout_human_bytes(layout_pt_bytes(l), a, sizeof a), layout_pt_base_gpa(l));
	fprintf(f, "  pages handed out: %" PRIu64 " of %" PRIu64 " free pages (allocator word %09" PRIx64
		   ", %s)\n",
		(uint64_t)(alloc >= first ? (alloc - first) / SB_PAGE_SIZE : 0), free_pages, alloc,
		m->scratch ? "live" : "as built");
	fprintf(f, "  bookkeeping words (host offset = scratch bytes - k):\n");
	fprintf(f, "    0x08 scratch size       %" PRIu64 "\n",
		scratch_word(m, SB_SCRATCH_TOP_SIZE, layout_scratch_bytes(l)));
	fprintf(f, "    0x10 next free GPA      0x%" PRIx64 "\n", alloc);
	fprintf(f, "    0x18 page-table GPA     0x%" PRIx64 "\n",
		scratch_word(m, SB_SCRATCH_TOP_PT_GPA, layout_pt_base_gpa(l)));
	fprintf(f, "    0x20 generation         %" PRIu64 "\n",
		scratch_word(m, SB_SCRATCH_TOP_GENERATION, m->snap->generation));
}

static void details(FILE *f, const struct tui_model *m, const struct layout_region *r, int width)
{
	const struct layout *l = &m->snap->layout;
	char title[64], size[32], fl[4];
	snprintf(title, sizeof title, "details: %s", layout_region_name(r->kind));
	tui_hline(f, width, title);
	fprintf(f, "  GPA %09" PRIx64 "..%09" PRIx64 "  GVA %016" PRIx64 "..%016" PRIx64 "\n", r->gpa,
		r->gpa + r->bytes - 1, r->gva, r->gva + r->bytes - 1);
	fprintf(f, "  %" PRIu64 " bytes (%s), %" PRIu64 " pages, guest flags %s\n", r->bytes,
		layout_human_bytes(r->bytes, size, sizeof size),
		(uint64_t)((r->bytes + SB_PAGE_SIZE - 1) / SB_PAGE_SIZE), layout_flags_str(r->flags, fl));
	switch (r->kind) {
	case LAYOUT_REGION_CODE:
		fprintf(f, "  the guest's PT_LOAD segments (%" PRIu64 " bytes), entry %016" PRIx64 "\n",
			layout_code_bytes(l), m->snap->entry_gva);
		break;
	case LAYOUT_REGION_PEB:
		fprintf(f, "  {size, GVA} of input, output, init data and heap; read-only to the guest\n");
		break;
	case LAYOUT_REGION_HEAP:
	case LAYOUT_REGION_INIT_DATA:
		fprintf(f, "  in the shared read-only image; the guest writes copy-on-write into scratch\n");
		break;
	default:
		scratch_details(f, m);
		break;
	}
}

void tui_render_layout(FILE *f, const struct tui_model *m, const struct layout_state *st, int width,
		       int height)
{
	(void)height;
	const struct layout *l = &m->snap->layout;
	struct layout_region snap_r[LAYOUT_MAX_REGIONS], scr_r[LAYOUT_MAX_REGIONS];
	struct layout_region all[2 * LAYOUT_MAX_REGIONS];
	size_t ns = layout_snapshot_regions(l, snap_r), nc = layout_scratch_regions(l, scr_r);
	size_t n = tui_layout_regions(m, all);
	char size[32], size2[32];
	fprintf(f, "%.*s\n", width, m->source);
	fprintf(f, "%s snapshot, gen %" PRIu64 ": image %s = %s guest-visible + %s page tables\n",
		m->snap->entry_kind == SNAP_ENTRY_INIT ? "INIT" : "CALL", m->snap->generation,
		layout_human_bytes(layout_image_bytes(l), size, sizeof size),
		layout_human_bytes(layout_snapshot_bytes(l), size2, sizeof size2),
		layout_human_bytes(layout_pt_bytes(l), (char[32]){ 0 }, 32));
	tui_hline(f, width, "guest-physical (hex byte addresses, first and last)");
	map_row(f, "snapshot", snap_r, ns, false, width);
	map_row(f, "scratch", scr_r, nc, false, width);
	tui_hline(f, width, "guest-virtual");
	map_row(f, "snapshot", snap_r, ns, true, width);
	map_row(f, "scratch", scr_r, nc, true, width);
	legend(f, all, n, width);
	tui_hline(f, width, "regions");
	bool wide = tui_wide(width);
	if (wide)
		fprintf(f, "  %-9s %-19s %-33s %9s %7s %s\n", "region", "GPA first..last", "GVA first..last",
			"size", "pages", "flags");
	else
		fprintf(f, "  %-9s %-9s %-16s %9s %7s %s\n", "region", "GPA", "GVA", "size", "pages",
			"flags");
	for (size_t i = 0; i < n; i++) {
		const struct layout_region *r = &all[i];
		char fl[4];
		fprintf(f, "%c %-9s ", (int)i == st->cursor ? '>' : ' ', layout_region_name(r->kind));
		if (wide)
			fprintf(f, "%09" PRIx64 "..%09" PRIx64 " %016" PRIx64 "..%016" PRIx64, r->gpa,
				r->gpa + r->bytes - 1, r->gva, r->gva + r->bytes - 1);
		else
			fprintf(f, "%09" PRIx64 " %016" PRIx64, r->gpa, r->gva);
		fprintf(f, " %9s %7" PRIu64 " %s\n", layout_human_bytes(r->bytes, size, sizeof size),
			(uint64_t)((r->bytes + SB_PAGE_SIZE - 1) / SB_PAGE_SIZE), layout_flags_str(r->flags, fl));
	}
	if (st->cursor >= 0 && (size_t)st->cursor < n)
		details(f, m, &all[st->cursor], width);
}
