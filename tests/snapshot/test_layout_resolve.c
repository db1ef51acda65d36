/* test_layout_resolve.c — layout_resolve_gpa at every region edge.
 *
 * For each region: one before the first byte, the first byte, the last byte
 * and one past the last byte; plus gaps, priority (scratch first, then the
 * snapshot, then extras in order), and extras whose end would wrap.
 */
#include <string.h>

#include "check.h"
#include "layout.h"

#define PG 4096ull
#define GPA_TOP 0x1000000000ull

enum { NONE = -1 };

struct resolve_case {
	const char *what;
	uint64_t gpa;
	int base; /* NONE or enum layout_gpa_base */
	size_t index;
	uint64_t offset;
};

static void run(const char *name, const struct layout *l, const struct layout_extra_region *extra, size_t n_extra,
		const struct resolve_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct resolve_case *t = &cases[i];
		struct layout_resolved r = { .base = LAYOUT_GPA_EXTRA, .extra_index = 999, .offset = 0xdead };
		bool found = layout_resolve_gpa(l, t->gpa, extra, n_extra, &r);
		if (!CHECK(found == (t->base != NONE)))
			fprintf(stderr, "  %s: %s (gpa 0x%llx)\n", name, t->what, (unsigned long long)t->gpa);
		if (!found) {
			CHECK_U64(r.offset, 0xdead); /* *out left alone */
			continue;
		}
		if (!CHECK_I64(r.base, t->base) || !CHECK_U64(r.offset, t->offset))
			fprintf(stderr, "  %s: %s (gpa 0x%llx)\n", name, t->what, (unsigned long long)t->gpa);
		if (t->base == LAYOUT_GPA_EXTRA)
			CHECK_U64(r.extra_index, t->index);
	}
}

int main(void)
{
	struct layout_config c = layout_config_default(); /* scratch 0x48000 */
	struct layout l;
	struct sb_err e = { 0 };
	CHECK_I64(layout_init(&l, &c, 8192, 100, 0, &e), 0);
	CHECK_I64(layout_set_pt_bytes(&l, 3 * PG, &e), 0);
	/* snapshot: code 2 pages + PEB + heap 32 pages + init 1 page = 36 pages */
	const uint64_t snap_end = 0x1000 + 36 * PG; /* exclusive; the pt tail is not mapped */
	const uint64_t sbase = GPA_TOP - 0x48000;
	CHECK_U64(layout_snapshot_bytes(&l), 36 * PG);

	const struct resolve_case no_extras[] = {
		{ "page 0", 0, NONE, 0, 0 },
		{ "one before the snapshot", 0xfff, NONE, 0, 0 },
		{ "first snapshot byte", 0x1000, LAYOUT_GPA_SNAPSHOT, 0, 0 },
		{ "PEB first byte", 0x3000, LAYOUT_GPA_SNAPSHOT, 0, 0x2000 },
		{ "last snapshot byte", snap_end - 1, LAYOUT_GPA_SNAPSHOT, 0, 36 * PG - 1 },
		{ "one past the snapshot (pt tail is not mapped)", snap_end, NONE, 0, 0 },
		{ "gap", 0x100000000ull, NONE, 0, 0 },
		{ "one before scratch", sbase - 1, NONE, 0, 0 },
		{ "first scratch byte", sbase, LAYOUT_GPA_SCRATCH, 0, 0 },
		{ "pt copy", sbase + 0x8000, LAYOUT_GPA_SCRATCH, 0, 0x8000 },
		{ "last scratch byte", GPA_TOP - 1, LAYOUT_GPA_SCRATCH, 0, 0x48000 - 1 },
		{ "one past scratch", GPA_TOP, NONE, 0, 0 },
		{ "top of u64", UINT64_MAX, NONE, 0, 0 },
	};
	run("no extras", &l, NULL, 0, no_extras, sizeof no_extras / sizeof no_extras[0]);

	const struct layout_extra_region extra[] = {
		{ snap_end, 2 * PG },                /* 0: right after the snapshot */
		{ 0x100000000ull, PG },              /* 1: alone at 4 GiB */
		{ sbase - PG, 2 * PG },              /* 2: overlaps scratch's first page */
		{ 0x200000000ull, 0 },               /* 3: empty: never matches */
		{ 0xFFFFFFFFFFFFF000ull, 2 * PG },   /* 4: end wraps past 2^64 */
		{ 0x100000000ull, PG },              /* 5: duplicate of 1: first wins */
		{ 0x800, 0x1000 },                   /* 6: overlaps the snapshot start */
	};
	const size_t ne = sizeof extra / sizeof extra[0];
	const struct resolve_case with_extras[] = {
		{ "page 0 below extra 6", 0x7ff, NONE, 0, 0 },
		{ "extra 6 first byte", 0x800, LAYOUT_GPA_EXTRA, 6, 0 },
		{ "snapshot wins over extra 6", 0x1000, LAYOUT_GPA_SNAPSHOT, 0, 0 },
		{ "last snapshot byte", snap_end - 1, LAYOUT_GPA_SNAPSHOT, 0, 36 * PG - 1 },
		{ "extra 0 first byte", snap_end, LAYOUT_GPA_EXTRA, 0, 0 },
		{ "extra 0 last byte", snap_end + 2 * PG - 1, LAYOUT_GPA_EXTRA, 0, 2 * PG - 1 },
		{ "one past extra 0", snap_end + 2 * PG, NONE, 0, 0 },
		{ "one before extra 1", 0x100000000ull - 1, NONE, 0, 0 },
		{ "extra 1 first byte (not 5)", 0x100000000ull, LAYOUT_GPA_EXTRA, 1, 0 },
		{ "extra 1 last byte", 0x100000000ull + PG - 1, LAYOUT_GPA_EXTRA, 1, PG - 1 },
		{ "one past extra 1", 0x100000000ull + PG, NONE, 0, 0 },
		{ "empty extra 3", 0x200000000ull, NONE, 0, 0 },
		{ "one before extra 2", sbase - PG - 1, NONE, 0, 0 },
		{ "extra 2 first byte", sbase - PG, LAYOUT_GPA_EXTRA, 2, 0 },
		{ "extra 2 byte below scratch", sbase - 1, LAYOUT_GPA_EXTRA, 2, PG - 1 },
		{ "scratch wins over extra 2", sbase, LAYOUT_GPA_SCRATCH, 0, 0 },
		{ "last scratch byte", GPA_TOP - 1, LAYOUT_GPA_SCRATCH, 0, 0x48000 - 1 },
		{ "one past scratch", GPA_TOP, NONE, 0, 0 },
		{ "one before extra 4", 0xFFFFFFFFFFFFEFFFull, NONE, 0, 0 },
		{ "extra 4 first byte", 0xFFFFFFFFFFFFF000ull, LAYOUT_GPA_EXTRA, 4, 0 },
		{ "extra 4 at 2^64-1", UINT64_MAX, LAYOUT_GPA_EXTRA, 4, PG - 1 },
	};
	run("with extras", &l, extra, ne, with_extras, sizeof with_extras / sizeof with_extras[0]);

	/* n_extra limits the search */
	const struct resolve_case first_two_only[] = {
		{ "extra 1 still found", 0x100000000ull, LAYOUT_GPA_EXTRA, 1, 0 },
		{ "extra 2 not searched", sbase - 1, NONE, 0, 0 },
	};
	run("n_extra = 2", &l, extra, 2, first_two_only, 2);

	/* the guest-visible size can be replaced (compacted snapshot) */
	CHECK_I64(layout_set_snapshot_bytes(&l, 2 * PG, &e), 0);
	const struct resolve_case shrunk[] = {
		{ "last byte of the new size", 0x1000 + 2 * PG - 1, LAYOUT_GPA_SNAPSHOT, 0, 2 * PG - 1 },
		{ "one past the new size", 0x1000 + 2 * PG, NONE, 0, 0 },
	};
	run("shrunk", &l, NULL, 0, shrunk, 2);

	/* the smallest and the largest scratch */
	struct layout_config cmin = { PG, 16, 16, 31 * PG };
	CHECK_I64(layout_init(&l, &cmin, 1, 0, 0, &e), 0);
	const struct resolve_case small[] = {
		{ "one before min scratch", GPA_TOP - 31 * PG - 1, NONE, 0, 0 },
		{ "min scratch first byte", GPA_TOP - 31 * PG, LAYOUT_GPA_SCRATCH, 0, 0 },
		{ "snapshot end (3 pages)", 0x1000 + 3 * PG - 1, LAYOUT_GPA_SNAPSHOT, 0, 3 * PG - 1 },
		{ "one past", 0x1000 + 3 * PG, NONE, 0, 0 },
	};
	run("minimum", &l, NULL, 0, small, 4);
	struct layout_config cmax = { 8ull << 30, 16, 16, 16ull << 30 };
	CHECK_I64(layout_init(&l, &cmax, PG, 0, 0, &e), 0);
	const struct resolve_case big[] = {
		{ "one before 16 GiB scratch", GPA_TOP - (16ull << 30) - 1, NONE, 0, 0 },
		{ "16 GiB scratch first byte", GPA_TOP - (16ull << 30), LAYOUT_GPA_SCRATCH, 0, 0 },
		{ "16 GiB scratch last byte", GPA_TOP - 1, LAYOUT_GPA_SCRATCH, 0, (16ull << 30) - 1 },
		{ "heap last byte", 0x1000 + 2 * PG + (8ull << 30) - 1, LAYOUT_GPA_SNAPSHOT, 0,
		  2 * PG + (8ull << 30) - 1 },
		{ "one past heap", 0x1000 + 2 * PG + (8ull << 30), NONE, 0, 0 },
	};
	run("16 GiB", &l, NULL, 0, big, 5);

	return check_done();
}
