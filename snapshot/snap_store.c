/* snap_store.c — backings, extents and lineages (snap_store.h). */
#include "snap_store.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xxhash.h>

#include "addr.h"

struct snap_index_node {
	uint64_t hash;
	struct snap_backing *b;
	uint64_t page;
	struct snap_index_node *next, **pprev; /* pprev NULL: not linked */
};

struct snap_lineage {
	unsigned refs; /* atomic */
	pthread_mutex_t lock;
	struct snap_index_node **buckets;
	size_t nbuckets, count;
};

struct snap_lineage *snap_lineage_new(void)
{
	struct snap_lineage *l = calloc(1, sizeof *l);
	if (!l)
		return NULL;
	l->refs = 1;
	pthread_mutex_init(&l->lock, NULL);
	return l;
}

struct snap_lineage *snap_lineage_ref(struct snap_lineage *l)
{
	if (l)
		__atomic_add_fetch(&l->refs, 1, __ATOMIC_RELAXED);
	return l;
}

void snap_lineage_unref(struct snap_lineage *l)
{
	if (!l || __atomic_sub_fetch(&l->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	/* Every backing holds a reference: no node is left. */
	free(l->buckets);
	pthread_mutex_destroy(&l->lock);
	free(l);
}

static void index_link(struct snap_lineage *l, struct snap_index_node *n)
{
	struct snap_index_node **head = &l->buckets[n->hash & (l->nbuckets - 1)];
	n->next = *head;
	if (n->next)
		n->next->pprev = &n->next;
	n->pprev = head;
	*head = n;
}

/* Keep at most one node per bucket on average; a failed growth leaves the
 * chains longer, not wrong. */
static void index_grow(struct snap_lineage *l, size_t want)
{
	if (want <= l->nbuckets)
		return;
	size_t nb = l->nbuckets ? l->nbuckets : 64;
	while (nb < want)
		nb *= 2;
	struct snap_index_node **nbk = calloc(nb, sizeof *nbk);
	if (!nbk)
		return;
	struct snap_index_node **old = l->buckets;
	size_t oldn = l->nbuckets;
	l->buckets = nbk;
	l->nbuckets = nb;
	for (size_t i = 0; i < oldn; i++) {
		for (struct snap_index_node *n = old[i], *next; n; n = next) {
			next = n->next;
			index_link(l, n);
		}
	}
	free(old);
}

static uint64_t page_hash(const uint8_t *page)
{
	return XXH3_64bits(page, SB_PAGE_SIZE);
}

bool snap_lineage_find(struct snap_lineage *l, const uint8_t *page, struct snap_backing **b,
		       uint64_t *file_page)
{
	if (!l)
		return false;
	uint64_t h = page_hash(page);
	bool found = false;
	pthread_mutex_lock(&l->lock);
	for (struct snap_index_node *n = l->nbuckets ? l->buckets[h & (l->nbuckets - 1)] : NULL;
	     n && !found; n = n->next) {
		if (n->hash != h || memcmp(n->b->base + n->page * SB_PAGE_SIZE, page, SB_PAGE_SIZE))
			continue;
		/* A backing whose last reference is going is being unlinked:
		 * take a reference only while it has one. */
		unsigned r = __atomic_load_n(&n->b->refs, __ATOMIC_RELAXED);
		while (r && !__atomic_compare_exchange_n(&n->b->refs, &r, r + 1, false,
							 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			;
		if (r) {
			*b = n->b;
			*file_page = n->page;
			found = true;
		}
	}
	pthread_mutex_unlock(&l->lock);
	return found;
}

int snap_backing_new(struct snap_backing **out, uint64_t pages, struct snap_lineage *lineage,
		     struct sb_err *err)
{
	struct snap_backing *b = calloc(1, sizeof *b);
	if (!b)
		return sb_errf(err, SB_E_NOMEM, "snapshot: cannot allocate a backing");
	b->refs = 1;
	b->pages = pages ? pages : 1;
	b->fd = memfd_create("snapbench-snapshot", MFD_CLOEXEC);
	if (b->fd < 0) {
		free(b);
		return sb_errf(err, SB_E_NOMEM, "snapshot: memfd_create: %s", strerror(errno));
	}
	uint64_t bytes = b->pages * SB_PAGE_SIZE;
	void *p = MAP_FAILED;
	if (ftruncate(b->fd, (off_t)bytes) == 0)
		p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, b->fd, 0);
	if (p == MAP_FAILED) {
		int e = errno;
		close(b->fd);
		free(b);
		return sb_errf(err, SB_E_NOMEM, "snapshot: cannot map %llu bytes of snapshot memory: %s",
			       (unsigned long long)bytes, strerror(e));
	}
	b->base = p;
	b->lineage = snap_lineage_ref(lineage);
	*out = b;
	return 0;
}

/* Can mremap map the pages of a shared mapping again (old size 0)? Linux
 * can; valgrind refuses it (EINVAL): there backings keep their
 * descriptors and images map from them. */
static bool remap_dup;
static pthread_once_t remap_once = PTHREAD_ONCE_INIT;

static void remap_probe(void)
{
	int fd = memfd_create("snapbench-probe", MFD_CLOEXEC);
	void *p = MAP_FAILED, *q = MAP_FAILED;
	if (fd >= 0 && ftruncate(fd, SB_PAGE_SIZE) == 0)
		p = mmap(NULL, SB_PAGE_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	if (p != MAP_FAILED)
		q = mremap(p, 0, SB_PAGE_SIZE, MREMAP_MAYMOVE);
	remap_dup = q != MAP_FAILED;
	if (q != MAP_FAILED)
		munmap(q, SB_PAGE_SIZE);
	if (p != MAP_FAILED)
		munmap(p, SB_PAGE_SIZE);
	if (fd >= 0)
		close(fd);
}

static bool remap_dup_works(void)
{
	pthread_once(&remap_once, remap_probe);
	return remap_dup;
}

int snap_backing_seal(struct snap_backing *b, uint64_t index_pages, struct sb_err *err)
{
	if (mprotect(b->base, b->pages * SB_PAGE_SIZE, PROT_READ) != 0)
		return sb_errf(err, SB_E_NOMEM, "snapshot: cannot make its memory read-only");
	/* Images map it from its own mapping (snap_extents_map), not from the
	 * descriptor: a live snapshot holding one would bound a process's
	 * snapshots by its descriptor limit (1024 by default). The mapping
	 * keeps the memfd alive. */
	if (b->fd >= 0 && remap_dup_works()) {
		close(b->fd);
		b->fd = -1;
	}
	struct snap_lineage *l = b->lineage;
	if (!l || index_pages == 0)
		return 0;
	if (index_pages > b->pages)
		index_pages = b->pages;
	/* Not indexing is never wrong (a page is then stored twice). */
	b->nodes = calloc(index_pages, sizeof *b->nodes);
	if (!b->nodes)
		return 0;
	for (uint64_t i = 0; i < index_pages; i++)
		b->nodes[i] = (struct snap_index_node){ page_hash(b->base + i * SB_PAGE_SIZE), b, i,
						       NULL, NULL };
	pthread_mutex_lock(&l->lock);
	index_grow(l, l->count + index_pages);
	if (l->nbuckets) {
		b->nnodes = index_pages;
		for (uint64_t i = 0; i < index_pages; i++)
			index_link(l, &b->nodes[i]);
		l->count += index_pages;
	}
	pthread_mutex_unlock(&l->lock);
	return 0;
}

struct snap_backing *snap_backing_ref(struct snap_backing *b)
{
	__atomic_add_fetch(&b->refs, 1, __ATOMIC_RELAXED);
	return b;
}

void snap_backing_unref(struct snap_backing *b)
{
	if (!b || __atomic_sub_fetch(&b->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	struct snap_lineage *l = b->lineage;
	if (l && b->nodes) {
		pthread_mutex_lock(&l->lock);
		for (uint64_t i = 0; i < b->nnodes; i++) {
			struct snap_index_node *n = &b->nodes[i];
			if (!n->pprev)
				continue;
			*n->pprev = n->next;
			if (n->next)
				n->next->pprev = n->pprev;
			l->count--;
		}
		pthread_mutex_unlock(&l->lock);
	}
	free(b->nodes);
	snap_lineage_unref(l);
	munmap(b->base, b->pages * SB_PAGE_SIZE);
	if (b->fd >= 0)
		close(b->fd);
	free(b);
}

int snap_extents_map(uint8_t **out, uint64_t map_bytes, const struct snap_extent *e, size_t n,
		     struct sb_err *err)
{
	/* A reservation of the whole range, which each extent replaces with
	 * a new mapping of its backing's pages: mremap of a shared mapping
	 * with old size 0 maps the same file pages again (no descriptor
	 * needed, snap_backing_seal closed it; under valgrind, from the
	 * descriptor). */
	if (n == 0 || e[0].image_page != 0)
		return sb_errf(err, SB_E_INVAL, "snapshot: extents do not start the image");
	bool dup = remap_dup_works();
	uint8_t *p = mmap(NULL, map_bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			  -1, 0);
	if (p == MAP_FAILED)
		return sb_errf(err, SB_E_NOMEM, "snapshot: cannot map a %llu-byte image: %s",
			       (unsigned long long)map_bytes, strerror(errno));
	uint64_t next = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t off = e[i].image_page * SB_PAGE_SIZE, bytes = e[i].npages * SB_PAGE_SIZE;
		if (e[i].image_page != next || off + bytes > map_bytes ||
		    e[i].file_page + e[i].npages > e[i].b->pages ||
		    (dup ? mremap(e[i].b->base + e[i].file_page * SB_PAGE_SIZE, 0, bytes,
				  MREMAP_MAYMOVE | MREMAP_FIXED, p + off)
			 : mmap(p + off, bytes, PROT_READ, MAP_SHARED | MAP_FIXED, e[i].b->fd,
				(off_t)(e[i].file_page * SB_PAGE_SIZE))) == MAP_FAILED) {
			int er = errno;
			munmap(p, map_bytes);
			return sb_errf(err, SB_E_NOMEM, "snapshot: cannot map extent %zu of %zu: %s", i,
				       n, e[i].image_page != next ? "out of order" : strerror(er));
		}
		next += e[i].npages;
	}
	if (next * SB_PAGE_SIZE != map_bytes) {
		munmap(p, map_bytes);
		return sb_errf(err, SB_E_INVAL, "snapshot: extents cover %llu of %llu bytes",
			       (unsigned long long)(next * SB_PAGE_SIZE), (unsigned long long)map_bytes);
	}
	*out = p;
	return 0;
}

static size_t runs_mapped; /* atomic */
static size_t runs_budget;
static pthread_once_t runs_once = PTHREAD_ONCE_INIT;

static void runs_budget_init(void)
{
	unsigned long max = 65530;
	FILE *f = fopen("/proc/sys/vm/max_map_count", "r");
	if (f) {
		if (fscanf(f, "%lu", &max) != 1 || max < 1024)
			max = 65530;
		fclose(f);
	}
	runs_budget = max / 4;
}

bool snap_runs_reserve(size_t n)
{
	pthread_once(&runs_once, runs_budget_init);
	size_t have = __atomic_load_n(&runs_mapped, __ATOMIC_RELAXED);
	do {
		if (n > runs_budget || have > runs_budget - n)
			return false;
	} while (!__atomic_compare_exchange_n(&runs_mapped, &have, have + n, false, __ATOMIC_RELAXED,
					      __ATOMIC_RELAXED));
	return true;
}

void snap_runs_release(size_t n)
{
	__atomic_sub_fetch(&runs_mapped, n, __ATOMIC_RELAXED);
}

void snap_extents_free(struct snap_extent *e, size_t n)
{
	for (size_t i = 0; i < n; i++)
		snap_backing_unref(e[i].b);
	free(e);
}

void snap_extent_add(struct snap_extent_list *l, struct snap_backing *b, uint64_t file_page,
		     uint64_t image_page, uint64_t npages)
{
	if (npages == 0)
		return;
	if (l->n) {
		struct snap_extent *last = &l->e[l->n - 1];
		if (last->b == b && last->file_page + last->npages == file_page &&
		    last->image_page + last->npages == image_page) {
			last->npages += npages;
			return;
		}
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct snap_extent *ne = realloc(l->e, cap * sizeof *ne);
		if (!ne) {
			l->nomem = true;
			return;
		}
		l->e = ne;
		l->cap = cap;
	}
	l->e[l->n++] = (struct snap_extent){ snap_backing_ref(b), file_page, image_page, npages };
}
