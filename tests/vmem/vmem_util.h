/* vmem_util.h — helpers shared by the vmem tests. */
#ifndef SNAPBENCH_TESTS_VMEM_UTIL_H
#define SNAPBENCH_TESTS_VMEM_UTIL_H

#include "check.h"
#include "pt.h"
#include "pt_host.h"

#define KIB 1024ull
#define MIB (1024ull * KIB)
#define GIB (1024ull * MIB)
#define PAGE 4096ull
#define MAXM 64

struct walk_result {
	size_t n;
	struct pt_mapping m[MAXM];
	enum pt_status status;
	uint64_t entries_read;
};

/* Walk [va, va+len) under root; keep the first MAXM mappings, count all. */
static inline struct walk_result walk_collect(const struct pt *pt, gpa_t root, gva_t va,
					      uint64_t len, uint64_t budget)
{
	struct walk_result r = {0};
	struct pt_walk w;
	struct pt_mapping m;
	r.status = pt_walk_begin_at(&w, pt, root, va, len);
	pt_walk_set_budget(&w, budget);
	while (pt_walk_next(&w, &m)) {
		if (r.n < MAXM)
			r.m[r.n] = m;
		r.n++;
	}
	if (r.status == PT_OK)
		r.status = pt_walk_status(&w);
	r.entries_read = w.entries_read;
	return r;
}

static inline struct walk_result walk_all(const struct pt *pt, gpa_t root, uint64_t budget)
{
	struct walk_result r = {0};
	struct pt_walk w;
	struct pt_mapping m;
	pt_walk_begin_all(&w, pt, root);
	pt_walk_set_budget(&w, budget);
	while (pt_walk_next(&w, &m)) {
		if (r.n < MAXM)
			r.m[r.n] = m;
		r.n++;
	}
	r.status = pt_walk_status(&w);
	r.entries_read = w.entries_read;
	return r;
}

static inline bool mapping_equal(const struct pt_mapping *a, const struct pt_mapping *b)
{
	return a->phys == b->phys && a->virt == b->virt && a->len_bytes == b->len_bytes &&
	       pt_kind_equal(a->kind, b->kind) && a->user == b->user;
}

/* Write one entry of the table at `table` by hand (tests of decoding). */
static inline void poke(const struct pt *pt, gpa_t table, unsigned index, pt_entry_t e)
{
	unsigned n = pt->fmt->entry_bytes;
	CHECK_U64(pt->ops->write_entry(pt->ctx, table + (gpa_t)index * n, n, e), PT_OK);
}

static inline const char *kind_name(struct pt_kind k)
{
	static char buf[64];
	snprintf(buf, sizeof buf, "%s r%d w%d x%d",
		 k.tag == PT_KIND_COW ? "cow" : k.tag == PT_KIND_BASIC ? "basic" : "unmapped",
		 k.readable, k.writable, k.executable);
	return buf;
}

#endif
