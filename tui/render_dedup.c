/* render_dedup.c — the dedup view as text: the page grid of one snapshot
 * (one letter per 4 KiB page of its image), its aliases, and the compare
 * of two snapshots of a chain. */
#include <inttypes.h>
#include <string.h>

#include "tui.h"

#define ALIAS_VAS_SHOWN 8 /* VAs listed per aliased page before "+N more" */
#define CMP_LIST_MAX 64   /* changed/new/removed pages listed */

int tui_dedup_grid_cells(int width)
{
	int cells = (width - 12) / 8 * 8; /* whole groups of 8 */
	return cells < 8 ? 8 : cells;
}

size_t tui_dedup_page_maps(const struct dedup_info *d, uint64_t page, size_t *first)
{
	/* maps are sorted by page: binary search for the first */
	size_t lo = 0, hi = d->n_maps;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (d->maps[mid].page < page)
			lo = mid + 1;
		else
			hi = mid;
	}
	*first = lo;
	size_t n = 0;
	while (lo + n < d->n_maps && d->maps[lo + n].page == page)
		n++;
	return n;
}

/* The page under the grid's cursor: what it is and every VA mapping it. */
static void cursor_section(FILE *f, const struct dedup_info *d, uint64_t page, int width)
{
	char t[96];
	size_t first, n = tui_dedup_page_maps(d, page, &first);
	snprintf(t, sizeof t, "page at the cursor: GPA %09" PRIx64 ", %c %s, %zu VA%s",
		 (uint64_t)(SB_BASE_ADDRESS + page * SB_PAGE_SIZE), dedup_kind_letter((enum dedup_kind)d->kind[page]),
		 dedup_kind_name((enum dedup_kind)d->kind[page]), n, n == 1 ? "" : "s");
	tui_hline(f, width, t);
	int col = 0;
	for (size_t k = first; k < first + n; k++) {
		if (col + 17 > width) {
			fputc('\n', f);
			col = 0;
		}
		col += fprintf(f, " %016" PRIx64, d->maps[k].va);
	}
	fprintf(f, "%s", n ? "\n" : "(mapped at no VA)\n");
}

static void pages_section(FILE *f, const struct tui_model *m, const struct dedup_state *st, int width)
{
	const struct dedup_info *d = st->info;
	char t[96];
	snprintf(t, sizeof t, "pages of the image (one letter per 4 KiB page, by GPA)");
	tui_hline(f, width, t);
	fprintf(f, "%" PRIu64 " pages = %" PRIu64 " guest-visible + %" PRIu64 " page tables; %zu VAs map"
		   " them, %" PRIu64 " map scratch\n",
		d->pages, d->visible_pages, d->pages - d->visible_pages, d->n_maps, d->outside);
	if (d->walk_status != PT_OK)
		fprintf(f, "walk stopped: %s (pages not reached show as unmapped)\n",
			pt_strerror((enum pt_status)d->walk_status));
	int used = fprintf(f, "legend:");
	for (int k = 0; k < DEDUP__COUNT; k++) {
		char item[64];
		int len = snprintf(item, sizeof item, " %c %s %" PRIu64, dedup_kind_letter((enum dedup_kind)k),
				   dedup_kind_name((enum dedup_kind)k), d->counts[k]);
		if (used + len + 1 > width)
			used = fprintf(f, "\n       ");
		used += fprintf(f, "%s%s", item, k + 1 < DEDUP__COUNT ? "," : "");
	}
	fputc('\n', f);
	int cells = tui_dedup_grid_cells(width);
	for (uint64_t p = 0; p < d->pages; p += (uint64_t)cells) {
		fprintf(f, "%09" PRIx64 "  ", (uint64_t)(SB_BASE_ADDRESS + p * SB_PAGE_SIZE));
		for (int c = 0; c < cells && p + (uint64_t)c < d->pages; c++) {
			if (c && c % 8 == 0)
				fputc(' ', f);
			fputc(dedup_kind_letter((enum dedup_kind)d->kind[p + (uint64_t)c]), f);
		}
		fputc('\n', f);
	}
	if (st->cursor >= 0 && (uint64_t)st->cursor < d->pages)
		cursor_section(f, d, (uint64_t)st->cursor, width);
	(void)m;
	/* an aliased page that is all zero shows as Z: say so, so that the
	 * legend's A and this count agree (and `inspect` says the same) */
	snprintf(t, sizeof t, "aliases: %" PRIu64 " physical page%s at >= 2 VAs (A %" PRIu64
		 ", Z %" PRIu64 ")", d->aliased_pages, d->aliased_pages == 1 ? "" : "s",
		 d->counts[DEDUP_ALIAS], d->aliased_pages - d->counts[DEDUP_ALIAS]);
	tui_hline(f, width, t);
	for (size_t i = 0; i < d->n_maps;) {
		size_t j = i;
		while (j < d->n_maps && d->maps[j].page == d->maps[i].page)
			j++;
		if (j - i >= 2) {
			uint64_t page = d->maps[i].page;
			int col = fprintf(f, "PA %09" PRIx64 " %s %zu VAs:", (uint64_t)(SB_BASE_ADDRESS + page * SB_PAGE_SIZE),
					  d->kind[page] == DEDUP_ZERO ? "(zero)" : "      ", j - i);
			for (size_t k = i; k < j && k < i + ALIAS_VAS_SHOWN; k++) {
				if (col + 17 > width)
					col = fprintf(f, "\n   ");
				col += fprintf(f, " %016" PRIx64, d->maps[k].va);
			}
			if (j - i > ALIAS_VAS_SHOWN)
				fprintf(f, " +%zu more", j - i - ALIAS_VAS_SHOWN);
			fputc('\n', f);
		}
		i = j;
	}
	if (!d->aliased_pages)
		fprintf(f, "(none)\n");
}

static void compare_section(FILE *f, const struct tui_model *m, const struct dedup_compare *c, int width)
{
	tui_hline(f, width, "compare B with A (by VA, 4 KiB pages, content)");
	fprintf(f, "%.*s\n%.*s\n", width, m->cmp_a_source, width, m->cmp_b_source);
	fprintf(f, "image pages: A %" PRIu64 ", B %" PRIu64 "\n", c->a_image_pages, c->b_image_pages);
	int used = fprintf(f, "legend:");
	for (int k = 0; k < DEDUP_CMP__COUNT; k++)
		used += fprintf(f, " %c %s %" PRIu64 "%s", dedup_cmp_letter((enum dedup_cmp)k),
				dedup_cmp_name((enum dedup_cmp)k), c->counts[k], k + 1 < DEDUP_CMP__COUNT ? "," : "");
	fputc('\n', f);
	fprintf(f, "(one letter per mapped VA page, ascending; a new row where VAs jump)\n");
	int cells = tui_dedup_grid_cells(width), col = 0;
	for (size_t i = 0; i < c->n; i++) {
		bool jump = i == 0 || c->pages[i].va != c->pages[i - 1].va + SB_PAGE_SIZE;
		if (jump || col == cells) {
			if (i)
				fputc('\n', f);
			fprintf(f, "%016" PRIx64 "  ", c->pages[i].va);
			col = 0;
		} else if (col % 8 == 0) {
			fputc(' ', f);
		}
		fputc(dedup_cmp_letter((enum dedup_cmp)c->pages[i].what), f);
		col++;
	}
	if (c->n)
		fputc('\n', f);
	tui_hline(f, width, "pages that differ");
	size_t listed = 0;
	for (size_t i = 0; i < c->n; i++) {
		if (c->pages[i].what == DEDUP_SHARED)
			continue;
		if (listed++ == CMP_LIST_MAX) {
			fprintf(f, "...\n");
			break;
		}
		fprintf(f, "  %016" PRIx64 " %s\n", c->pages[i].va,
			dedup_cmp_name((enum dedup_cmp)c->pages[i].what));
	}
	if (!listed)
		fprintf(f, "  (none)\n");
}

void tui_render_dedup(FILE *f, const struct tui_model *m, const struct dedup_state *st, int width,
		      int height)
{
	(void)height;
	fprintf(f, "%.*s\n", width, m->source);
	if (st->mode == DEDUP_MODE_PAGES) {
		if (st->info)
			pages_section(f, m, st, width);
		else
			fprintf(f, "(no page analysis)\n");
	} else if (st->cmp) {
		compare_section(f, m, st->cmp, width);
	} else {
		fprintf(f, "nothing to compare: give two snapshot files of one chain\n");
	}
}

int dedup_state_init(struct dedup_state *st, const struct tui_model *m, struct sb_err *err)
{
	memset(st, 0, sizeof *st);
	st->cursor = -1;
	st->info = dedup_analyze(m->snap);
	if (!st->info)
		return sb_errf(err, SB_E_NOMEM, "cannot analyse the snapshot's pages");
	if (m->cmp_a && m->cmp_b) {
		st->cmp = dedup_compare(m->cmp_a, m->cmp_b);
		if (!st->cmp) {
			dedup_info_free(st->info);
			st->info = NULL;
			return sb_errf(err, SB_E_NOMEM, "cannot compare the snapshots");
		}
	}
	return 0;
}

void dedup_state_free(struct dedup_state *st)
{
	dedup_info_free(st->info);
	dedup_compare_free(st->cmp);
	memset(st, 0, sizeof *st);
}
