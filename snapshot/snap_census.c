/* snap_census.c — what a snapshot's image holds, counted from its page
 * tables: the numbers `snapbench inspect` prints and the TUI's dedup view
 * shows, from one walk, so they agree (snapshot.h, snap_census). */
#include <stdlib.h>
#include <string.h>

#include "snapshot_internal.h"

#define CENSUS_MAX_MAPS (1ull << 22) /* as the dedup view: 16M VAs of 4 KiB */

struct pair {
	uint64_t page;
	gva_t va;
};

static int by_page_then_va(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;
	if (x->page != y->page)
		return x->page < y->page ? -1 : 1;
	return x->va < y->va ? -1 : x->va > y->va;
}

int snap_census(const struct snapshot *s, struct snap_census *c, struct sb_err *err)
{
	const struct layout *l = &s->layout;
	gpa_t root = layout_pt_base_gpa(l);
	struct pt_region r[2] = {
		{ SB_BASE_ADDRESS, s->image, layout_snapshot_bytes(l) },
		{ root, snap_pt_tail(s), layout_pt_bytes(l) },
	};
	struct pt_regions rr;
	pt_regions_init(&rr, &pt_format_x86_64, r, 2, root);
	uint64_t visible = layout_snapshot_bytes(l) / SB_PAGE_SIZE;
	struct pair *v = NULL;
	size_t n = 0, cap = 0;
	memset(c, 0, sizeof *c);
	c->image_pages = visible;
	c->pt_pages = layout_pt_bytes(l) / SB_PAGE_SIZE;
	/* Every root's leaves: the tables are the guest's (a live snapshot
	 * rebuilt them from what the guest had), so the walk is vmem's
	 * hostile-safe one, and a mapping outside the image only counted. */
	unsigned nroots = s->nroots ? s->nroots : 1;
	for (unsigned k = 0; k < nroots; k++) {
		struct pt_walk w;
		struct pt_mapping m;
		pt_walk_begin_all(&w, &rr.pt, s->nroots ? s->roots[k] : root);
		while (pt_walk_next(&w, &m)) {
			for (uint64_t off = 0; off < m.len_bytes; off += SB_PAGE_SIZE) {
				if (n + c->outside >= CENSUS_MAX_MAPS) {
					c->truncated = true;
					break;
				}
				gpa_t pa = m.phys + off;
				if (pa < SB_BASE_ADDRESS || (pa - SB_BASE_ADDRESS) / SB_PAGE_SIZE >= visible) {
					c->outside++;
					continue;
				}
				if (n == cap) {
					size_t nc = cap ? 2 * cap : 1024;
					struct pair *nv = realloc(v, nc * sizeof *nv);
					if (!nv) {
						free(v);
						return sb_errf(err, SB_E_NOMEM,
							       "snapshot census: out of memory");
					}
					v = nv;
					cap = nc;
				}
				v[n++] = (struct pair){ (pa - SB_BASE_ADDRESS) / SB_PAGE_SIZE, m.virt + off };
			}
		}
		if (k == 0 || pt_walk_status(&w) != PT_OK)
			c->walk_status = pt_walk_status(&w);
	}
	/* a subtree two address spaces share maps the same pages at the same
	 * VAs in both: each (page, VA) once */
	if (n)
		qsort(v, n, sizeof *v, by_page_then_va);
	size_t u = 0;
	for (size_t i = 0; i < n; i++)
		if (!u || v[i].page != v[u - 1].page || v[i].va != v[u - 1].va)
			v[u++] = v[i];
	c->vas = u;
	for (size_t i = 0; i < u;) {
		size_t j = i;
		while (j < u && v[j].page == v[i].page)
			j++;
		bool zero = snap_page_is_zero(s->image + v[i].page * SB_PAGE_SIZE);
		c->pages_mapped++;
		c->zero_pages += zero;
		if (j - i >= 2) {
			c->aliased_pages++;
			c->aliased_zero_pages += zero;
		}
		i = j;
	}
	free(v);
	return 0;
}
