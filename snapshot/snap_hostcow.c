/* snap_hostcow.c — what a sandbox restoring by host copy-on-write needs of
 * a snapshot (vmm/sandbox.h, SANDBOX_RESTORE_HOST_COW), built once per
 * snapshot on first use and shared by every sandbox that runs from it:
 *
 *  - page tables in which writable data is writable in place: every 4 KiB
 *    copy-on-write leaf whose page no other leaf maps becomes an ordinary
 *    writable leaf. A page mapped twice (the one zero page a live
 *    snapshot's untouched heap shares, an alias, a table shared by two
 *    paths) stays copy-on-write: writing it in place would show through
 *    the other mapping. Large pages stay as they are.
 *  - which of the image's guest-visible pages are not all zero: a sandbox
 *    copies just those into its private copy; the rest stay the kernel's
 *    zero page until written.
 *
 * Every root counts (several address spaces, snap_roots.c): a page that
 * one space maps writable and another maps too stays copy-on-write, and a
 * table two spaces share counts its pages twice, so they stay too.
 *
 * The tables come from the snapshot's own tail (our builders wrote it; a
 * file's tail is covered by its digest) and are read through a bounded
 * region reader, so a malformed tail gives odd permissions, never a read
 * outside it.
 */
#include <stdlib.h>
#include <string.h>

#include "snapshot_internal.h"

struct hc_build {
	gpa_t snap_first, snap_end; /* the snapshot region's GPAs */
	uint8_t *refs;              /* per snapshot page, saturating at 2 */
	gpa_t *cow;                 /* entry GPAs of 4 KiB copy-on-write leaves */
	size_t ncow, capcow;
	bool nomem;
};

static void count_ref(struct hc_build *b, gpa_t page)
{
	if (page < b->snap_first || page >= b->snap_end)
		return;
	uint8_t *r = &b->refs[(page - b->snap_first) / SB_PAGE_SIZE];
	if (*r < 2)
		(*r)++;
}

static bool visit(void *arg, const struct pt_entry_info *e)
{
	struct hc_build *b = arg;
	if (e->what != PT_ENTRY_LEAF)
		return true;
	/* Only the part inside the snapshot region: a large page's span is
	 * not the guest's to make us loop over. */
	gpa_t first = e->phys > b->snap_first ? e->phys : b->snap_first;
	gpa_t end = e->span_bytes < b->snap_end - e->phys && e->phys < b->snap_end
			    ? e->phys + e->span_bytes : b->snap_end;
	for (gpa_t page = first; page < end; page += SB_PAGE_SIZE)
		count_ref(b, page);
	if (e->level != 1 || pt_entry_kind(&pt_format_x86_64, e->raw).tag != PT_KIND_COW ||
	    e->phys < b->snap_first || e->phys >= b->snap_end)
		return true;
	if (b->ncow == b->capcow) {
		size_t cap = b->capcow ? 2 * b->capcow : 256;
		gpa_t *p = realloc(b->cow, cap * sizeof *p);
		if (!p) {
			b->nomem = true;
			return true;
		}
		b->cow = p;
		b->capcow = cap;
	}
	b->cow[b->ncow++] = e->table_gpa + (gpa_t)e->index * 8;
	return true;
}

size_t snap_ring0_table_leaves(const struct snapshot *s, const uint8_t *tables,
			       struct pt_leaf *out, size_t max)
{
	if (!s->has_sregs)
		return 0;
	const struct layout *l = &s->layout;
	struct pt_region r = { layout_pt_base_gpa(l), tables, layout_pt_bytes(l) };
	struct pt_regions rr;
	pt_regions_init(&rr, &pt_format_x86_64, &r, 1, r.gpa);
	const struct { uint64_t base, bytes; } t[] = {
		{ s->sregs.gdt.base, (uint64_t)s->sregs.gdt.limit + 1 },
		{ s->sregs.idt.base, (uint64_t)s->sregs.idt.limit + 1 },
		{ s->sregs.tr.base, (uint64_t)s->sregs.tr.limit + 1 },
	};
	size_t n = 0;
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		/* At most 64 KiB of each: the GDT's and IDT's limits are 16 bits; a
		 * TSS past that holds only the I/O bitmap, which ring 3 with IOPL
		 * 3 (the host sets it at every entry) never consults. */
		uint64_t bytes = t[i].bytes < (64u << 10) ? t[i].bytes : (64u << 10);
		uint64_t first = t[i].base & ~(uint64_t)(SB_PAGE_SIZE - 1);
		uint64_t pages = (t[i].base - first + bytes + SB_PAGE_SIZE - 1) / SB_PAGE_SIZE;
		uint64_t va = first;
		/* (va wraps past the top of the address space: stop there) */
		for (uint64_t k = 0; k < pages && n < max && va >= first; k++, va += SB_PAGE_SIZE)
			if (pt_lookup(&rr.pt, r.gpa, va, &out[n]) == PT_OK) {
				/* the 4 KiB page of a large leaf that holds va */
				uint64_t span = (uint64_t)SB_PAGE_SIZE << (9 * (out[n].level - 1));
				out[n].entry = (out[n].entry & PT_X86_64_ADDR_MASK & ~(span - 1)) +
					       (va & (span - 1));
				n++;
			}
	}
	return n;
}

/* The pages holding the GDT, IDT and TSS of a snapshot taken while running
 * stay copy-on-write. Under rewrite, ring 3 can change them only after a
 * copy-on-write fault, and every way into ring 0 (an exception, through
 * the TSS's IST stack) writes the exception stack in scratch: that is how
 * a restore knows ring-0 state must be reset (sandbox_snapshot.c). Written
 * in place, a TSS could move that stack and hide the entry. (A sandbox from
 * an ELF snapshot gets a full restore at its first restore anyway.) */
static void keep_ring0_tables(struct hc_build *b, const struct snapshot *s)
{
	struct pt_leaf leaves[SNAP_RING0_TABLE_LEAVES_MAX];
	size_t n = snap_ring0_table_leaves(s, snap_pt_tail(s), leaves, SNAP_RING0_TABLE_LEAVES_MAX);
	for (size_t i = 0; i < n; i++) {
		gpa_t page = leaves[i].entry & ~(uint64_t)(SB_PAGE_SIZE - 1);
		if (page >= b->snap_first && page < b->snap_end)
			b->refs[(page - b->snap_first) / SB_PAGE_SIZE] = 2;
	}
}

/* The tail with writable data made writable in place. */
static int build_tables(struct snap_hostcow *hc, const struct snapshot *s, struct sb_err *err)
{
	const struct layout *l = &s->layout;
	uint64_t pt_bytes = layout_pt_bytes(l), snap_pages = layout_snapshot_bytes(l) / SB_PAGE_SIZE;
	gpa_t base = layout_pt_base_gpa(l);
	struct hc_build b = { .snap_first = SB_BASE_ADDRESS,
			      .snap_end = SB_BASE_ADDRESS + snap_pages * SB_PAGE_SIZE };
	hc->pt = malloc(pt_bytes ? pt_bytes : 1);
	b.refs = calloc(snap_pages ? snap_pages : 1, 1);
	if (!hc->pt || !b.refs) {
		free(b.refs);
		return sb_errf(err, SB_E_NOMEM, "host-cow: cannot allocate %llu bytes of page tables",
			       (unsigned long long)pt_bytes);
	}
	memcpy(hc->pt, snap_pt_tail(s), pt_bytes);
	struct pt_region region = { base, hc->pt, pt_bytes };
	struct pt_regions rr;
	pt_regions_init(&rr, &pt_format_x86_64, &region, 1, base);
	int rc = 0;
	for (unsigned r = 0; rc == 0 && r < (s->nroots ? s->nroots : 1); r++) {
		struct pt_walk w;
		pt_walk_begin_all(&w, &rr.pt, s->nroots ? s->roots[r] : base);
		pt_walk_set_visitor(&w, visit, &b);
		struct pt_mapping m;
		while (pt_walk_next(&w, &m))
			;
		if (b.nomem)
			rc = sb_errf(err, SB_E_NOMEM, "host-cow: out of memory walking %s's page "
				     "tables", s->source);
		else if (pt_walk_status(&w) != PT_OK)
			rc = sb_errf(err, SB_E_INVAL, "host-cow: walking %s's page tables (root %u): %s",
				     s->source, r, pt_strerror(pt_walk_status(&w)));
	}
	if (rc == 0)
		keep_ring0_tables(&b, s);
	for (size_t i = 0; rc == 0 && i < b.ncow; i++) {
		uint64_t e;
		uint8_t *at = hc->pt + (b.cow[i] - base);
		memcpy(&e, at, 8);
		gpa_t page = e & PT_X86_64_ADDR_MASK;
		if (b.refs[(page - b.snap_first) / SB_PAGE_SIZE] != 1)
			continue;
		e = (e & ~PT_AVL_MASK) | PT_RW;
		memcpy(at, &e, 8);
		hc->pages_writable++;
	}
	free(b.refs);
	free(b.cow);
	return rc;
}

static int build_nonzero(struct snap_hostcow *hc, const struct snapshot *s, struct sb_err *err)
{
	uint64_t pages = layout_snapshot_bytes(&s->layout) / SB_PAGE_SIZE;
	hc->nonzero = calloc((pages + 63) / 64 ? (pages + 63) / 64 : 1, sizeof *hc->nonzero);
	if (!hc->nonzero)
		return sb_errf(err, SB_E_NOMEM, "host-cow: cannot allocate a page map");
	/* Known-zero pages (an ELF's .bss, the heap) are not read: reading
	 * them would only fault them in. */
	for (uint64_t p = 0; p < pages; p++)
		if (!snap_page_known_zero(s, p) && !snap_page_is_zero(s->image + p * SB_PAGE_SIZE)) {
			hc->nonzero[p / 64] |= 1ull << (p % 64);
			hc->nonzero_pages++;
		}
	return 0;
}

static void hostcow_free(struct snap_hostcow *hc)
{
	if (!hc)
		return;
	free(hc->pt);
	free(hc->nonzero);
	free(hc);
}

const struct snap_hostcow *snap_hostcow(struct snapshot *s, struct sb_err *err)
{
	struct snap_hostcow *hc = __atomic_load_n(&s->hostcow, __ATOMIC_ACQUIRE);
	if (hc)
		return hc;
	hc = calloc(1, sizeof *hc);
	if (!hc) {
		sb_errf(err, SB_E_NOMEM, "host-cow: cannot allocate");
		return NULL;
	}
	if (build_tables(hc, s, err) || build_nonzero(hc, s, err)) {
		hostcow_free(hc);
		return NULL;
	}
	/* Two threads may build it at once: the first to publish wins. */
	struct snap_hostcow *none = NULL;
	if (!__atomic_compare_exchange_n(&s->hostcow, &none, hc, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE)) {
		hostcow_free(hc);
		return none;
	}
	return hc;
}

void snap_hostcow_free(struct snapshot *s)
{
	hostcow_free(s->hostcow);
	s->hostcow = NULL;
}
