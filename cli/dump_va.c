/* dump_va.c — `snapbench inspect --dump-va ADDR LEN`: a snapshot's memory
 * by guest-virtual address, in `hexdump -C`'s format with the VA as the
 * offset, read through the snapshot's own page tables (snap_read_gva). */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "dump_va.h"
#include "units.h"

int dump_va_parse(const char *addr, const char *len, gva_t *va, uint64_t *len_bytes,
		  struct sb_err *err)
{
	char *end;
	errno = 0;
	*va = strtoull(addr, &end, 16);
	if (!*addr || *end || errno || *addr == '-' || isspace((unsigned char)*addr))
		return sb_errf(err, SB_E_INVAL, "ADDR '%s' is not a hex address", addr);
	if (units_parse_bytes(len, len_bytes, err))
		return sb_err_prefix(err, "LEN: ");
	if (*len_bytes == 0)
		return sb_errf(err, SB_E_INVAL, "LEN '%s' is zero: dump at least one byte", len);
	if (*va + (*len_bytes - 1) < *va)
		return sb_errf(err, SB_E_RANGE, "VA 0x%" PRIx64 " + %" PRIu64 " bytes wraps around "
			       "the address space", *va, *len_bytes);
	return 0;
}

/* One row being filled, and the last row printed (for the "*" of rows
 * repeating it). */
struct hexdump {
	FILE *f;
	gva_t row_va;
	uint8_t row[16], last[16];
	unsigned n;
	bool have_last, starred;
};

static void row_print(struct hexdump *h)
{
	if (h->have_last && h->n == 16 && memcmp(h->row, h->last, 16) == 0) {
		if (!h->starred)
			fputs("*\n", h->f);
		h->starred = true;
		return;
	}
	h->starred = false;
	fprintf(h->f, "%016" PRIx64 " ", h->row_va);
	for (unsigned i = 0; i < 16; i++) {
		if (i == 8)
			fputc(' ', h->f);
		if (i < h->n)
			fprintf(h->f, " %02x", h->row[i]);
		else
			fputs("   ", h->f);
	}
	fputs("  |", h->f);
	for (unsigned i = 0; i < h->n; i++)
		fputc(h->row[i] >= 0x20 && h->row[i] < 0x7f ? h->row[i] : '.', h->f);
	fputs("|\n", h->f);
	memcpy(h->last, h->row, 16);
	h->have_last = h->n == 16;
}

static void feed(struct hexdump *h, const uint8_t *p, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		h->row[h->n++] = p[i];
		if (h->n == 16) {
			row_print(h);
			h->row_va += 16;
			h->n = 0;
		}
	}
}

int dump_va(FILE *f, const struct snapshot *s, gva_t va, uint64_t len_bytes, struct sb_err *err)
{
	struct hexdump h = { .f = f, .row_va = va };
	uint8_t page[SB_PAGE_SIZE];
	uint64_t done = 0;
	int rc = 0;
	if (len_bytes && va + (len_bytes - 1) < va)
		return sb_errf(err, SB_E_RANGE, "VA 0x%" PRIx64 " + %" PRIu64 " bytes wraps around "
			       "the address space", va, len_bytes);
	while (done < len_bytes) {
		gva_t at = va + done;
		uint64_t chunk = SB_PAGE_SIZE - (at & (SB_PAGE_SIZE - 1));
		if (chunk > len_bytes - done)
			chunk = len_bytes - done;
		uint64_t got = 0;
		rc = snap_read_gva(s, at, page, chunk, &got, err);
		feed(&h, page, got);
		done += got;
		if (rc)
			break;
	}
	if (h.n)
		row_print(&h);
	fprintf(f, "%016" PRIx64 "\n", va + done);
	return rc;
}
