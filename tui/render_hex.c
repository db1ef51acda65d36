/* render_hex.c — the hex view as text: one page of a snapshot's memory,
 * rows of offset, hex and ASCII; beside it, when the page is a copy that
 * differs from the origin's, the origin's bytes, each differing byte of
 * the copy marked '*' and its row '!' (plain text for dumps and goldens;
 * the curses panel also reverses the marked bytes). Runs of rows equal to
 * the one above fold into one line. */
#include <inttypes.h>
#include <string.h>

#include "tui.h"

#define PAGE 4096u

/* Bytes per row: 16, or 8 when two pages side by side do not fit. */
static unsigned row_bytes(const struct hex_state *st, int width)
{
	if (!st->compare)
		return 16;
	return width >= (tui_wide(width) ? 152 : 140) ? 16 : 8;
}

static bool row_differs(const struct hex_state *st, unsigned off, unsigned n)
{
	return st->compare && memcmp(st->page + off, st->orig + off, n) != 0;
}

/* Is row `off` what the row above has, in every page shown, with nothing
 * marked? */
static bool row_repeats(const struct hex_state *st, unsigned off, unsigned n)
{
	if (off == 0 || row_differs(st, off, n) || memcmp(st->page + off, st->page + off - n, n))
		return false;
	return !st->compare || memcmp(st->orig + off, st->orig + off - n, n) == 0;
}

/* The body lines: row offsets, and for a folded line the rows it stands
 * for (0 = a row of bytes). Returns the count (at most PAGE / 8). */
static int body(const struct hex_state *st, unsigned n, unsigned *off, unsigned *folded)
{
	int lines = 0;
	for (unsigned o = 0; o < PAGE;) {
		unsigned run = 0;
		while (o + run * n < PAGE && row_repeats(st, o + run * n, n))
			run++;
		if (run >= 2) {
			off[lines] = o;
			folded[lines++] = run;
			o += run * n;
			continue;
		}
		off[lines] = o;
		folded[lines++] = 0;
		o += n;
	}
	return lines;
}

int tui_hex_body_lines(const struct hex_state *st, int width)
{
	unsigned off[PAGE / 8], folded[PAGE / 8];
	return st->readable ? body(st, row_bytes(st, width), off, folded) : 0;
}

int tui_render_hex_chrome(const struct hex_state *st)
{
	(void)st;
	return 6;
}

static void ascii(FILE *f, const uint8_t *p, unsigned n)
{
	fputs(" |", f);
	for (unsigned i = 0; i < n; i++)
		fputc(p[i] >= 0x20 && p[i] < 0x7f ? p[i] : '.', f);
	fputc('|', f);
}

static void row(FILE *f, const struct hex_state *st, unsigned off, unsigned n, bool wide)
{
	bool differs = row_differs(st, off, n);
	fputc(differs ? '!' : ' ', f);
	if (wide)
		fprintf(f, "%016" PRIx64, st->va + off);
	else
		fprintf(f, "+%03x", off);
	if (st->compare) {
		for (unsigned i = 0; i < n; i++)
			fprintf(f, " %02x", st->orig[off + i]);
		ascii(f, st->orig + off, n);
		fputc(' ', f);
	}
	for (unsigned i = 0; i < n; i++) {
		if (!st->compare && i == 8)
			fputc(' ', f);
		bool mark = st->compare && st->page[off + i] != st->orig[off + i];
		fprintf(f, "%c%02x", mark ? '*' : ' ', st->page[off + i]);
	}
	ascii(f, st->page + off, n);
	fputc('\n', f);
}

void tui_render_hex(FILE *f, const struct tui_model *m, const struct hex_state *st, int width,
		    int height)
{
	bool wide = tui_wide(width);
	unsigned n = row_bytes(st, width);
	fprintf(f, "%.*s\n", width, m->source);
	if (st->readable)
		fprintf(f, "memory at VA %016" PRIx64 ": PA %09" PRIx64 ", 4 KiB page%s\n", st->va,
			st->pa, st->compare ? ", a copy" : "");
	else
		fprintf(f, "memory at VA %016" PRIx64 ": not readable\n", st->va);
	fprintf(f, "%.*s\n", width, st->note);
	if (st->compare)
		fprintf(f, " %-*s original%*s copy (this snapshot), * = differs\n", wide ? 16 : 4,
			wide ? "VA" : "offs", (int)(4 * n - 4), "");
	else
		fprintf(f, " %-*s bytes (hex)%*s ASCII\n", wide ? 16 : 4, wide ? "VA" : "offs",
			16 * 3 + 1 - 11, "");
	tui_hline(f, width, NULL);
	unsigned off[PAGE / 8], folded[PAGE / 8];
	int lines = st->readable ? body(st, n, off, folded) : 0;
	int first = 0, last = lines;
	if (height > 0) {
		int rows = height - tui_render_hex_chrome(st);
		if (rows < 1)
			rows = 1;
		first = st->top < lines ? st->top : 0;
		if (last > first + rows)
			last = first + rows;
	}
	if (!st->readable)
		fprintf(f, "  %.*s\n", width > 2 ? width - 2 : 1, st->msg);
	for (int i = first; i < last; i++) {
		if (folded[i])
			fprintf(f, "  ... %u more rows like the one above (%u bytes)\n", folded[i],
				folded[i] * n);
		else
			row(f, st, off[i], n, wide);
	}
	fprintf(f, "# Up/Down/PgUp/PgDn: scroll; q or Esc: back to the page tables\n");
}
