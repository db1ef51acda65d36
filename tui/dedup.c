/* dedup.c — classifying a snapshot's pages and comparing two snapshots. */
#include <stdlib.h>
#include <string.h>

#include "dedup.h"
#include "pt_host.h"

/* Walk budget of 4 KiB mappings considered per snapshot (16 GiB of 4 KiB). */
#define DEDUP_MAX_MAPS (1ull << 22)

char dedup_kind_letter(enum dedup_kind k)
{
	return k < DEDUP__COUNT ? "CDSTZA."[k] : '?';
}

const char *dedup_kind_name(enum dedup_kind k)
{
	static const char *const n[] = { "code", "PEB/heap data", "stack/runtime", "page table",
					 "zero", "aliased", "unmapped" };
	return k < DEDUP__COUNT ? n[k] : "?";
}

char dedup_cmp_letter(enum dedup_cmp c)
{
	return c < DEDUP_CMP__COUNT ? "=~+-"[c] : '?';
}

const char *dedup_cmp_name(enum dedup_cmp c)
{
	static const char *const n[] = { "shared", "changed", "new", "removed" };
	return c < DEDUP_CMP__COUNT ? n[c] : "?";
}

struct maps {
	struct dedup_map *v;
	size_t n, cap;
	uint64_t outside;
	int status;
};

static int maps_push(struct maps *m, uint64_t page, gva_t va)
{
	if (m->n == m->cap) {
		size_t cap = m->cap ? 2 * m->cap : 1024;
		struct dedup_map *v = realloc(m->v, cap * sizeof *v);
		if (!v)
			return -1;
		m->v = v;
		m->cap = cap;
	}
	m->v[m->n++] = (struct dedup_map){ page, va };
	return 0;
}

static int by_page_then_va(const void *a, const void *b);

/* Every 4 KiB mapping into the guest-visible image, in VA order; with
 * several address spaces, of every root, each (page, VA) once (a subtree
 * two spaces share maps the same pages at the same VAs in both). */
static int collect(const struct snapshot *s, struct maps *out)
{
	const struct layout *l = &s->layout;
	gpa_t root = layout_pt_base_gpa(l);
	struct pt_region r[2] = {
		{ SB_BASE_ADDRESS, s->image, layout_snapshot_bytes(l) },
		{ root, snap_pt_tail(s), layout_pt_bytes(l) },
	};
	struct pt_regions rr;
	pt_regions_init(&rr, &pt_format_x86_64, r, 2, root);
	struct pt_walk w;
	struct pt_mapping m;
	uint64_t visible = layout_snapshot_bytes(l) / SB_PAGE_SIZE;
	memset(out, 0, sizeof *out);
	unsigned nroots = s->nroots ? s->nroots : 1;
	for (unsigned r = 0; r < nroots; r++) {
		pt_walk_begin_all(&w, &rr.pt, s->nroots ? s->roots[r] : root);
		while (pt_walk_next(&w, &m)) {
			for (uint64_t off = 0; off < m.len_bytes; off += SB_PAGE_SIZE) {
				if (out->n + out->outside >= DEDUP_MAX_MAPS)
					break;
				gpa_t pa = m.phys + off;
				if (pa < SB_BASE_ADDRESS ||
				    (pa - SB_BASE_ADDRESS) / SB_PAGE_SIZE >= visible) {
					out->outside++;
					continue;
				}
				if (maps_push(out, (pa - SB_BASE_ADDRESS) / SB_PAGE_SIZE, m.virt + off))
					return -1;
			}
		}
		if (r == 0 || pt_walk_status(&w) != PT_OK)
			out->status = pt_walk_status(&w);
	}
	if (nroots > 1 && out->n) {
		qsort(out->v, out->n, sizeof *out->v, by_page_then_va);
		size_t k = 0;
		for (size_t i = 0; i < out->n; i++)
			if (!k || out->v[i].page != out->v[k - 1].page || out->v[i].va != out->v[k - 1].va)
				out->v[k++] = out->v[i];
		out->n = k;
	}
	return 0;
}

static int by_page_then_va(const void *a, const void *b)
{
	const struct dedup_map *x = a, *y = b;
	if (x->page != y->page)
		return x->page < y->page ? -1 : 1;
	return x->va < y->va ? -1 : x->va > y->va;
}

static bool page_is_zero(const uint8_t *p)
{
	static const uint8_t zero[SB_PAGE_SIZE];
	return memcmp(p, zero, SB_PAGE_SIZE) == 0;
}

static enum dedup_kind kind_of_va(const struct layout *l, gva_t va)
{
	if (va >= layout_code_gva(l) && va < layout_peb_gva(l))
		return DEDUP_CODE;
	if (va >= layout_peb_gva(l) && va < layout_init_data_gva(l) +
						    ((layout_init_data_bytes(l) + SB_PAGE_SIZE - 1) &
						     ~(uint64_t)(SB_PAGE_SIZE - 1)))
		return DEDUP_DATA;
	return DEDUP_STACK;
}

struct dedup_info *dedup_analyze(const struct snapshot *s)
{
	const struct layout *l = &s->layout;
	struct dedup_info *d = calloc(1, sizeof *d);
	struct maps m;
	if (!d)
		return NULL;
	if (collect(s, &m)) {
		free(m.v);
		free(d);
		return NULL;
	}
	if (m.n) /* no mappings (a file can say so): m.v is NULL */
		qsort(m.v, m.n, sizeof *m.v, by_page_then_va);
	d->visible_pages = layout_snapshot_bytes(l) / SB_PAGE_SIZE;
	d->pages = d->visible_pages + layout_pt_bytes(l) / SB_PAGE_SIZE;
	d->kind = malloc(d->pages ? d->pages : 1);
	if (!d->kind) {
		free(m.v);
		free(d);
		return NULL;
	}
	d->maps = m.v;
	d->n_maps = m.n;
	d->outside = m.outside;
	d->walk_status = m.status;
	size_t j = 0;
	for (uint64_t p = 0; p < d->pages; p++) {
		enum dedup_kind k = DEDUP_PT;
		if (p < d->visible_pages) {
			size_t first = j;
			while (j < m.n && m.v[j].page == p)
				j++;
			size_t n = j - first;
			if (n >= 2)
				d->aliased_pages++;
			if (n == 0)
				k = DEDUP_UNMAPPED;
			else if (page_is_zero(s->image + p * SB_PAGE_SIZE))
				k = DEDUP_ZERO;
			else if (n >= 2)
				k = DEDUP_ALIAS;
			else
				k = kind_of_va(l, m.v[first].va);
		}
		d->kind[p] = (uint8_t)k;
		d->counts[k]++;
	}
	return d;
}

void dedup_info_free(struct dedup_info *d)
{
	if (!d)
		return;
	free(d->kind);
	free(d->maps);
	free(d);
}

static int by_va(const void *a, const void *b)
{
	const struct dedup_map *x = a, *y = b;
	return x->va < y->va ? -1 : x->va > y->va;
}

struct dedup_compare *dedup_compare(const struct snapshot *a, const struct snapshot *b)
{
	struct maps ma, mb;
	struct dedup_compare *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	int rc = collect(a, &ma);
	if (rc == 0 && collect(b, &mb)) {
		free(mb.v);
		rc = -1;
	}
	if (rc == 0) {
		/* the walk is in VA order already; sort anyway (hostile tables) */
		if (ma.n)
			qsort(ma.v, ma.n, sizeof *ma.v, by_va);
		if (mb.n)
			qsort(mb.v, mb.n, sizeof *mb.v, by_va);
		c->pages = malloc((ma.n + mb.n + 1) * sizeof *c->pages);
		rc = c->pages ? 0 : -1;
	}
	if (rc) {
		free(ma.v);
		free(c);
		return NULL;
	}
	size_t i = 0, j = 0;
	while (i < ma.n || j < mb.n) {
		struct dedup_cmp_page p;
		if (j >= mb.n || (i < ma.n && ma.v[i].va < mb.v[j].va)) {
			p = (struct dedup_cmp_page){ ma.v[i++].va, DEDUP_REMOVED };
		} else if (i >= ma.n || mb.v[j].va < ma.v[i].va) {
			p = (struct dedup_cmp_page){ mb.v[j++].va, DEDUP_NEW };
		} else {
			const uint8_t *pa = a->image + ma.v[i].page * SB_PAGE_SIZE;
			const uint8_t *pb = b->image + mb.v[j].page * SB_PAGE_SIZE;
			p = (struct dedup_cmp_page){ mb.v[j].va, memcmp(pa, pb, SB_PAGE_SIZE) ? DEDUP_CHANGED
										: DEDUP_SHARED };
			i++;
			j++;
		}
		c->pages[c->n++] = p;
		c->counts[p.what]++;
	}
	c->a_image_pages = layout_image_bytes(&a->layout) / SB_PAGE_SIZE;
	c->b_image_pages = layout_image_bytes(&b->layout) / SB_PAGE_SIZE;
	free(ma.v);
	free(mb.v);
	return c;
}

void dedup_compare_free(struct dedup_compare *c)
{
	if (!c)
		return;
	free(c->pages);
	free(c);
}
