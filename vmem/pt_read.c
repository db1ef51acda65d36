/* pt_read.c — read guest memory by virtual address: the one page loop
 * behind sandbox_read_gva (a live sandbox) and snap_read_gva (a snapshot).
 *
 * Every byte of the tables may be attacker controlled: each page is
 * translated with pt_lookup (one entry read per level, reads outside the
 * regions are "not present", PS where the format has none is refused), and
 * the GPA it yields is used only if [gpa, gpa + chunk) lies inside one of
 * the caller's regions, so no table can make us read host memory outside
 * them. */
#include <inttypes.h>
#include <string.h>

#include "pt_host.h"

int pt_regions_read_va(const struct pt_regions *rr, gpa_t root, gva_t va, void *buf,
		       uint64_t len_bytes, const char *memory, uint64_t *done_bytes, struct sb_err *err)
{
	const struct pt_format *f = rr->pt.fmt;
	uint8_t *out = buf;
	uint64_t done = 0;
	int rc = 0;
	if (len_bytes && va + (len_bytes - 1) < va) {
		rc = sb_errf(err, SB_E_RANGE, "VA 0x%" PRIx64 " + %" PRIu64 " bytes wraps around the "
			     "address space", va, len_bytes);
		goto out;
	}
	while (done < len_bytes) {
		gva_t at = va + done;
		uint64_t chunk = SB_PAGE_SIZE - (at & (SB_PAGE_SIZE - 1));
		if (chunk > len_bytes - done)
			chunk = len_bytes - done;
		struct pt_leaf leaf;
		enum pt_status s = pt_lookup(&rr->pt, root, at, &leaf);
		if (s == PT_E_UNMAPPED) {
			rc = sb_errf(err, SB_E_RANGE, "VA 0x%" PRIx64 " not mapped", at);
			goto out;
		}
		if (s != PT_OK) {
			rc = sb_errf(err, SB_E_RANGE, "VA 0x%" PRIx64 ": %s", at, pt_strerror(s));
			goto out;
		}
		/* A large leaf maps its whole span: the page's offset inside it
		 * comes from the VA (addr_mask keeps bit 12, PAT on a large
		 * entry, so the span's low bits are cleared too). */
		uint64_t span = 1ull << pt_format_shift(f, leaf.level);
		uint64_t lin = at & ((1ull << pt_format_va_bits(f)) - 1);
		gpa_t gpa = (leaf.entry & f->addr_mask & ~(span - 1)) + (lin & (span - 1));
		const void *src = pt_regions_host_ptr(rr, gpa, chunk);
		if (!src) {
			rc = sb_errf(err, SB_E_RANGE, "VA 0x%" PRIx64 " maps GPA 0x%" PRIx64
				     " outside %s", at, gpa, memory ? memory : "guest memory");
			goto out;
		}
		memcpy(out + done, src, chunk);
		done += chunk;
	}
out:
	if (done_bytes)
		*done_bytes = done;
	return rc;
}
