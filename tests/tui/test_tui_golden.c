/* test_tui_golden.c — the text renderers of the static views against
 * tests/golden/tui_*.txt (UPDATE_GOLDENS=1 rewrites them), at 80 and 120
 * columns, on deterministic inputs: the embedded test guest's INIT
 * snapshot and a hand-made chain of two snapshots over it (no KVM). Also
 * checks the state logic the goldens rely on, so a broken tree or filter
 * fails here with a message, not only as a diff. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "golden.h"
#include "mgr.h"
#include "tui.h"

static char *render(void (*fn)(FILE *, const void *, int), const void *arg, int width)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	fn(f, arg, width);
	fclose(f);
	return buf;
}

static const struct tui_model *g_model;

static void r_layout(FILE *f, const void *arg, int width)
{
	tui_render_layout(f, g_model, arg, width, 0);
}
static void r_pt(FILE *f, const void *arg, int width)
{
	tui_render_pt(f, g_model, arg, width, 0);
}
static void r_dedup(FILE *f, const void *arg, int width)
{
	tui_render_dedup(f, g_model, arg, width, 0);
}
static void r_hex(FILE *f, const void *arg, int width)
{
	tui_render_hex(f, g_model, arg, width, 0);
}
static void r_help(FILE *f, const void *arg, int width)
{
	(void)arg;
	tui_render_help(f, width);
	tui_render_keybar(f, TUI_VIEW_PT, width);
}

static void r_live(FILE *f, const void *arg, int width)
{
	tui_render_live(f, g_model, arg, width, 0);
}

/* Compare with the golden file and check no line is wider than `width`. */
static void golden(const char *name, void (*fn)(FILE *, const void *, int), const void *arg, int width)
{
	char *text = render(fn, arg, width);
	CHECK(golden_check(name, text));
	int col = 0, widest = 0;
	for (const char *p = text; *p; p++) {
		col = *p == '\n' ? 0 : col + 1;
		if (col > widest)
			widest = col;
	}
	if (!CHECK(widest <= width))
		fprintf(stderr, "  %s: a line is %d columns wide (limit %d)\n", name, widest, width);
	free(text);
}

static void test_layout(const struct tui_model *m)
{
	struct layout_state st = { 0 };
	golden("tui_layout_80.txt", r_layout, &st, 80);
	st.cursor = 5; /* pt copy: the scratch details */
	golden("tui_layout_ptcopy_120.txt", r_layout, &st, 120);
	struct layout_region r[2 * LAYOUT_MAX_REGIONS];
	CHECK_U64(tui_layout_regions(m, r), 11);
	CHECK_U64(r[5].kind, LAYOUT_REGION_PT_COPY);
}

static void test_pt(const struct tui_model *m)
{
	struct pt_state st;
	if (!CHECK_I64(pt_state_init(&st, m), 0))
		return;
	CHECK_U64(st.n_rows, 2); /* PML4 0 (snapshot) and 511 (scratch window) */
	/* expand PML4 0 -> PDPT 0 -> PD 0: the PT of the snapshot region */
	for (int i = 0; i < 3; i++) {
		pt_state_expand(&st, true);
		pt_state_move(&st, 1, 0);
	}
	pt_state_expand(&st, true);
	CHECK(st.n_rows > 10);
	golden("tui_pt_expanded_80.txt", r_pt, &st, 80);
	golden("tui_pt_expanded_120.txt", r_pt, &st, 120);
	pt_state_free(&st);

	/* jump to a heap VA: its full path, cursor on the leaf */
	pt_state_init(&st, m);
	gva_t va = layout_heap_gva(&m->snap->layout) + 0x1234;
	CHECK_I64(pt_state_jump(&st, va), 0);
	CHECK_U64(st.path_len, 4);
	CHECK_U64(st.tree.nodes[st.rows[st.cursor]].e.level, 1);
	golden("tui_pt_jump_80.txt", r_pt, &st, 80);
	/* the CoW filter keeps the heap (CoW in an INIT snapshot), drops code */
	pt_state_set_filter(&st, PT_FILTER_COW);
	for (size_t i = 0; i < st.n_rows; i++)
		CHECK(st.tree.nodes[st.rows[i]].cow > 0);
	golden("tui_pt_cow_80.txt", r_pt, &st, 80);
	/* an unmapped VA: partial path, an error */
	CHECK_I64(pt_state_jump(&st, 0x0000700000000000ull), -1);
	CHECK_CONTAINS(st.msg, "not mapped");
	pt_state_free(&st);
}

/* A snapshot of a sandbox over `base` whose heap page 0 is a copy (as the
 * guest's copy-on-write handler makes it) with a string at 0x40 and a word
 * at 0xff8 written: 25 bytes differ from base's page. */
static struct snapshot *heap_copy(struct snapshot *base)
{
	struct mem_mgr mm;
	struct sb_err err;
	if (!CHECK_I64(mgr_init(&mm, base, &err), 0))
		return NULL;
	const struct layout *l = &base->layout;
	gva_t va = layout_heap_gva(l);
	gpa_t pa = 0, root = layout_pt_base_gpa(l);
	struct snapshot *out = NULL;
	if (CHECK_U64(mgr_alloc_page(&mm, &pa), PT_OK)) {
		uint8_t *p = mgr_scratch_at(&mm, pa, SB_PAGE_SIZE);
		memcpy(p, base->image + (va - SB_BASE_ADDRESS), SB_PAGE_SIZE);
		memcpy(p + 0x40, "snapbench memview", 17);
		uint64_t w = 0xdeadbeefcafef00dull;
		memcpy(p + 0xff8, &w, 8);
		struct pt pt = mgr_scratch_pt(&mm);
		struct pt_mapping map = { pa, va, SB_PAGE_SIZE, pt_kind_basic(true, true, false), true };
		struct kvm_sregs sregs = { .cr0 = 0x80010033 };
		struct snap_live_input in = {
			.base = base, .scratch = mm.scratch, .scratch_bytes = mm.scratch_bytes,
			.roots = &root, .nroots = 1, .sregs = &sregs,
			.dispatch_gva = base->entry_gva, .stack_top_gva = sb_call_stack_top_gva(),
			.generation = base->generation + 1,
		};
		if (CHECK_U64(pt_map(&pt, &map), PT_OK) && !CHECK_I64(snap_from_live(&out, &in, &err), 0))
			fprintf(stderr, "  %s\n", err.msg);
	}
	mgr_fini(&mm);
	return out;
}

/* The hex view: a page as it is; a copy beside its original, the bytes
 * that differ marked; a page the same as the original; an unreadable VA. */
static void test_hex(struct tui_model *m, struct snapshot *base)
{
	static struct hex_state hx;
	const struct layout *l = &base->layout;
	g_model = m;
	hex_state_open(&hx, m, 0, layout_peb_gva(l) + 0x10);
	CHECK(hx.readable && !hx.compare);
	CHECK_U64(hx.va, layout_peb_gva(l));
	CHECK_U64(hx.pa, layout_peb_gva(l)); /* identity mapped */
	CHECK(memcmp(hx.page, base->image + (layout_peb_gva(l) - SB_BASE_ADDRESS), SB_PAGE_SIZE) == 0);
	golden("tui_hex_peb_80.txt", r_hex, &hx, 80);
	golden("tui_hex_peb_120.txt", r_hex, &hx, 120);
	/* scrolling stops at the last screenful */
	int lines = tui_hex_body_lines(&hx, 80);
	CHECK_I64(lines, 6); /* 5 rows, then 251 like the last one */
	hex_state_scroll(&hx, 1000, 4, 80);
	CHECK_I64(hx.top, lines - 4);
	hex_state_scroll(&hx, -1000, 4, 80);
	CHECK_I64(hx.top, 0);
	hex_state_open(&hx, m, 0, 0x0000700000000000ull);
	CHECK(!hx.readable);
	CHECK_CONTAINS(hx.msg, "VA 0x700000000000 not mapped");

	struct snapshot *c = heap_copy(base);
	if (!c)
		return;
	struct tui_model mc;
	tui_model_from_snapshots(&mc, c, "hand-made: heap page 0 copied and written", NULL, NULL);
	tui_model_set_origin(&mc, base, "INIT");
	g_model = &mc;
	hex_state_open(&hx, &mc, 0, layout_heap_gva(l));
	CHECK(hx.readable && hx.compare);
	CHECK_U64(hx.ndiff, 17 + 8);
	CHECK(memcmp(hx.page + 0x40, "snapbench memview", 17) == 0);
	golden("tui_hex_cow_80.txt", r_hex, &hx, 80);
	golden("tui_hex_cow_160.txt", r_hex, &hx, 160);
	/* the PEB was not copied: same bytes, nothing side by side */
	hex_state_open(&hx, &mc, 0, layout_peb_gva(l));
	CHECK(hx.readable && !hx.compare);
	CHECK_CONTAINS(hx.note, "same bytes as the original (INIT)");
	tui_model_free(&mc);
	snap_unref(c);
	g_model = m;
}

static void test_dedup(struct snapshot *base)
{
	struct snapshot *a, *b;
	struct sb_err err;
	if (!CHECK_I64(tui_chain_handmade(base, &a, &b, &err), 0)) {
		fprintf(stderr, "  %s\n", err.msg);
		return;
	}
	struct tui_model m;
	tui_model_from_snapshots(&m, b, "hand-made chain, snapshot B", a, b);
	g_model = &m;
	struct dedup_state st;
	if (CHECK_I64(dedup_state_init(&st, &m, &err), 0)) {
		/* B: the alias page (heap page 1 + TUI_CHAIN_ALIAS_GVA) */
		CHECK(st.info->counts[DEDUP_ALIAS] == 1);
		CHECK(st.info->counts[DEDUP_ZERO] == 1); /* all zero pages share one */
		CHECK(st.info->counts[DEDUP_CODE] >= 1);
		CHECK(st.info->counts[DEDUP_PT] >= 4);
		/* B against A: 3 changed (heap 1, its alias, heap 2), 1 new */
		CHECK_U64(st.cmp->counts[DEDUP_CHANGED], 3);
		CHECK_U64(st.cmp->counts[DEDUP_NEW], 1);
		CHECK_U64(st.cmp->counts[DEDUP_REMOVED], 0);
		CHECK(st.cmp->counts[DEDUP_SHARED] > 10);
		golden("tui_dedup_80.txt", r_dedup, &st, 80);
		golden("tui_dedup_120.txt", r_dedup, &st, 120);
		st.mode = DEDUP_MODE_COMPARE;
		golden("tui_dedup_compare_80.txt", r_dedup, &st, 80);
		dedup_state_free(&st);
	}
	tui_model_free(&m);
	snap_unref(a);
	snap_unref(b);
}

/* Two address spaces, made without KVM as the guest runtime would: root 1
 * a copy of root 0's PML4 (lower tables shared), each mapping its own page
 * at VA 0x10000000000 (PML4 slot 2); the snapshot of that. The pt view
 * shows root 0, `r` shows root 1 with its own slot-2 tables, and wraps. */
#define TWO_ROOTS_VA 0x0000010000000000ull
static void test_two_roots(struct snapshot *base)
{
	struct mem_mgr mm;
	struct sb_err err;
	if (!CHECK_I64(mgr_init(&mm, base, &err), 0))
		return;
	struct pt pt = mgr_scratch_pt(&mm);
	gpa_t r0 = layout_pt_base_gpa(mgr_layout(&mm)), r1 = 0, pa[2] = { 0, 0 };
	struct snapshot *s = NULL;
	if (CHECK_I64(mgr_alloc_page(&mm, &r1), PT_OK) &&
	    CHECK_I64(mgr_alloc_page(&mm, &pa[0]), PT_OK) &&
	    CHECK_I64(mgr_alloc_page(&mm, &pa[1]), PT_OK)) {
		memcpy(mgr_scratch_at(&mm, r1, SB_PAGE_SIZE), mgr_scratch_at(&mm, r0, SB_PAGE_SIZE),
		       SB_PAGE_SIZE);
		gpa_t roots[2] = { r0, r1 };
		for (int i = 0; i < 2; i++) {
			memset(mgr_scratch_at(&mm, pa[i], SB_PAGE_SIZE), 0xA0 + i, SB_PAGE_SIZE);
			struct pt_mapping map = { pa[i], TWO_ROOTS_VA, SB_PAGE_SIZE,
						  pt_kind_basic(true, true, false), true };
			CHECK_I64(pt_map_at(&pt, roots[i], &map), PT_OK);
		}
		struct kvm_sregs sregs = { .cr0 = 0x80010033 };
		struct snap_live_input in = {
			.base = base, .scratch = mm.scratch, .scratch_bytes = mm.scratch_bytes,
			.roots = roots, .nroots = 2, .cur_root = 1, .sregs = &sregs,
			.dispatch_gva = base->entry_gva, .stack_top_gva = sb_call_stack_top_gva(),
			.generation = 1,
		};
		if (!CHECK_I64(snap_from_live(&s, &in, &err), 0))
			fprintf(stderr, "  %s\n", err.msg);
	}
	mgr_fini(&mm);
	if (!s)
		return;
	CHECK_U64(s->nroots, 2);
	CHECK_U64(s->cur_root, 1);
	struct tui_model m;
	tui_model_from_snapshots(&m, s, "hand-made, two address spaces", NULL, NULL);
	g_model = &m;
	struct pt_state st;
	if (CHECK_I64(pt_state_init(&st, &m), 0)) {
		CHECK_U64(st.nroots, 2);
		CHECK_U64(st.tree.root, s->roots[0]);
		CHECK_U64(st.n_rows, 3); /* PML4 0, 2 and 511 */
		CHECK_I64(pt_state_set_root(&st, &m, 1), 0);
		CHECK_U64(st.tree.root, s->roots[1]);
		CHECK_I64(pt_state_jump(&st, TWO_ROOTS_VA), 0);
		golden("tui_pt_root1_80.txt", r_pt, &st, 80);
		/* each root translates the VA to its own page */
		gpa_t in1 = st.path[st.path_len - 1].phys;
		CHECK_I64(pt_state_set_root(&st, &m, 0), 0);
		CHECK_I64(pt_state_jump(&st, TWO_ROOTS_VA), 0);
		CHECK(st.path[st.path_len - 1].phys != in1);
		CHECK_I64(pt_state_set_root(&st, &m, 2), -1);
		pt_state_free(&st);
	}
	/* Each root's page, also in the hex view (Enter on root 1's leaf
	 * showed root 0's page); without a root, the one a restore starts in
	 * (root 1: the snapshot was taken there). */
	static struct hex_state hx;
	gpa_t shown[2] = { 0, 0 };
	for (unsigned i = 0; i < 2; i++) {
		hex_state_open(&hx, &m, i, TWO_ROOTS_VA);
		CHECK(hx.readable);
		CHECK_U64(hx.page[0], 0xA0 + i);
		shown[i] = hx.pa; /* the image's copy of pa[i] */
	}
	CHECK(shown[0] != shown[1]);
	uint8_t b = 0;
	CHECK_I64(snap_read_gva(s, TWO_ROOTS_VA, &b, 1, NULL, &err), 0);
	CHECK_U64(b, 0xA1);
	CHECK_I64(snap_read_gva_root(s, s->roots[0], TWO_ROOTS_VA, &b, 1, NULL, &err), 0);
	CHECK_U64(b, 0xA0);
	/* The dedup view counts every root's mappings: root 1's page is
	 * mapped, not "unmapped"; the shared subtrees' pages once per VA. */
	struct dedup_state ds;
	if (CHECK_I64(dedup_state_init(&ds, &m, &err), 0)) {
		CHECK_U64(ds.info->counts[DEDUP_UNMAPPED], 0);
		CHECK_U64(ds.info->counts[DEDUP_ALIAS], 0);
		dedup_state_free(&ds);
	}
	tui_model_free(&m);
	snap_unref(s);
}

/* A snapshot whose page tables map nothing (a file can say so): the dedup
 * analysis has no mappings to sort, and says so rather than handing qsort
 * a NULL array (UBSan: nonnull). */
static void test_dedup_no_mappings(const struct snapshot *s)
{
	struct snapshot empty = *s;
	empty.image = calloc(1, s->map_bytes);
	empty.hostcow = NULL;
	if (!CHECK(empty.image != NULL))
		return;
	struct dedup_info *d = dedup_analyze(&empty);
	if (CHECK(d != NULL)) {
		CHECK_U64(d->n_maps, 0);
		CHECK_U64(d->counts[DEDUP_ALIAS], 0);
		dedup_info_free(d);
	}
	/* and compared with a snapshot that maps something, both ways */
	struct dedup_compare *c = dedup_compare(&empty, s);
	if (CHECK(c != NULL)) {
		CHECK(c->counts[DEDUP_NEW] > 0);
		dedup_compare_free(c);
	}
	c = dedup_compare(s, &empty);
	if (CHECK(c != NULL)) {
		CHECK(c->counts[DEDUP_REMOVED] > 0);
		dedup_compare_free(c);
	}
	free(empty.image);
}

/* Issue 14: `/` in the page-table view (entries not loaded yet are
 * searched too), n/N, and expand-all / collapse-all. */
static void test_pt_search(const struct tui_model *m)
{
	struct pt_state st;
	if (!CHECK_I64(pt_state_init(&st, m), 0))
		return;
	CHECK_U64(st.n_rows, 2); /* top level only: nothing below is loaded */
	CHECK(pt_state_search(&st, "nx cow", 1));
	CHECK_U64(st.tree.nodes[st.rows[st.cursor]].e.va, 0xd000);
	CHECK(pt_state_search(&st, "NX CoW", 1)); /* n: the next, case-insensitive */
	CHECK_U64(st.tree.nodes[st.rows[st.cursor]].e.va, 0xe000);
	CHECK(pt_state_search(&st, "nx cow", -1)); /* N */
	CHECK_U64(st.tree.nodes[st.rows[st.cursor]].e.va, 0xd000);
	CHECK(!pt_state_search(&st, "no such text", 1));
	CHECK(strstr(st.msg, "no entry matches 'no such text'") != NULL);
	pt_state_expand_all(&st, false);
	CHECK_U64(st.n_rows, 2);
	CHECK_U64(st.tree.nodes[st.rows[st.cursor]].e.level, 4); /* on its top-level entry */
	pt_state_expand_all(&st, true);
	CHECK(st.n_rows > 100); /* every leaf of the guest and of scratch */
	pt_state_free(&st);
}

/* Search and expand-all read every entry, loaded or not: over hostile
 * tables (a PML4 entry pointing back at the PML4, others at a table whose
 * 512 entries all point at itself) they must end (the walker marks the
 * loops and does not follow them) and find a loop. Tables in host memory, as a model
 * over a guest's tables sees them (pt_regions). */
static void test_pt_search_hostile(void)
{
	static uint64_t mem[3][512] __attribute__((aligned(4096)));
	const gpa_t base = 0x100000, root = base, pdpt = base + 0x1000, self = base + 0x2000;
	const uint64_t flags = PT_P | PT_RW | PT_US;
	memset(mem, 0, sizeof mem);
	mem[0][0] = pdpt | flags;
	mem[0][5] = root | flags; /* a loop */
	mem[0][6] = self | flags;
	mem[1][0] = self | flags;
	for (int i = 0; i < 512; i++)
		mem[2][i] = self | flags;
	static struct tui_model m; /* only what the page-table state reads */
	memset(&m, 0, sizeof m);
	m.pt_mem[0] = (struct pt_region){ base, mem, sizeof mem };
	pt_regions_init(&m.pt, &pt_format_x86_64, m.pt_mem, 1, root);
	m.pt_root = root;
	struct pt_state st;
	if (!CHECK_I64(pt_state_init(&st, &m), 0))
		return;
	CHECK_U64(st.n_rows, 3);
	CHECK(pt_state_search(&st, "loop", 1)); /* the self-reference, not followed */
	CHECK_U64(st.tree.nodes[st.rows[st.cursor]].e.what, PT_ENTRY_LOOP);
	CHECK(!pt_state_search(&st, "no such text", 1)); /* ends: loops are not followed */
	pt_state_free(&st);
	if (!CHECK_I64(pt_state_init(&st, &m), 0))
		return;
	pt_state_expand_all(&st, true); /* a fresh tree: it loads as it goes */
	CHECK(st.n_rows > 512);
	pt_state_expand_all(&st, false);
	CHECK_U64(st.n_rows, 3);
	pt_state_free(&st);
}

/* Issue 14: the dedup grid's cursor lists every VA of its page, where the
 * aliases list stops at 8 and says "+13 more". A hand-made analysis: page
 * 1 of 2 mapped at 21 VAs. */
static void test_dedup_cursor(const struct tui_model *m)
{
	g_model = m;
	uint8_t kind[2] = { DEDUP_CODE, DEDUP_ALIAS };
	struct dedup_map maps[22];
	maps[0] = (struct dedup_map){ 0, 0x1000 };
	for (int i = 0; i < 21; i++)
		maps[1 + i] = (struct dedup_map){ 1, 0x500000000000ull + (uint64_t)i * 0x1000 };
	struct dedup_info d = { .pages = 2, .visible_pages = 2, .kind = kind, .maps = maps, .n_maps = 22,
				.aliased_pages = 1 };
	d.counts[DEDUP_CODE] = d.counts[DEDUP_ALIAS] = 1;
	struct dedup_state st = { .mode = DEDUP_MODE_PAGES, .info = &d, .cursor = 1 };
	golden("tui_dedup_cursor_80.txt", r_dedup, &st, 80);
	char *text = render(r_dedup, &st, 80);
	CHECK(strstr(text, " +13 more") != NULL);
	CHECK(strstr(text, "page at the cursor: GPA 000002000, A aliased, 21 VAs") != NULL);
	CHECK(strstr(text, "0000500000014000") != NULL); /* the 21st VA */
	free(text);
	size_t first;
	CHECK_U64(tui_dedup_page_maps(&d, 1, &first), 21);
	CHECK_U64(first, 1);
	CHECK_U64(tui_dedup_page_maps(&d, 0, &first), 1);
}

/* Issue 14: the live view's rows: warm-up instead of 0ns while nothing is
 * recorded, an errors column, and a first error of 500 characters wrapped
 * whole (first_error is SB_ERR_MSG_MAX bytes; it was cut at 159). */
static void test_live_render(const struct tui_model *m)
{
	g_model = m;
	static struct live_run r;
	static struct live_scenario scn[2];
	static struct step_stats steps[2];
	memset(&r, 0, sizeof r);
	pthread_mutex_init(&r.lock, NULL);
	snprintf(scn[0].name, sizeof scn[0].name, "warming");
	snprintf(scn[0].strategy, sizeof scn[0].strategy, "rewrite");
	scn[0].status = LIVE_RUNNING;
	scn[0].done = 1;
	scn[0].total = 4;
	scn[0].warmup = 2;
	scn[0].steps = &steps[0];
	scn[0].n_steps = 1;
	snprintf(steps[0].label, sizeof steps[0].label, "create");
	snprintf(steps[0].step, sizeof steps[0].step, "create");
	hist_init(&steps[0].hist);
	snprintf(scn[1].name, sizeof scn[1].name, "failing");
	snprintf(scn[1].strategy, sizeof scn[1].strategy, "rewrite");
	scn[1].status = LIVE_DONE;
	scn[1].done = scn[1].total = 4;
	scn[1].steps = &steps[1];
	scn[1].n_steps = 1;
	snprintf(steps[1].label, sizeof steps[1].label, "call boom (steady)");
	snprintf(steps[1].step, sizeof steps[1].step, "call boom");
	hist_init(&steps[1].hist);
	hist_record(&steps[1].hist, 1500);
	steps[1].errors = 3;
	steps[1].first_error_line = 9;
	int n = snprintf(steps[1].first_error, sizeof steps[1].first_error, "boom: guest function failed:");
	for (int w = 0; n < 480; w++)
		n += snprintf(steps[1].first_error + n, sizeof steps[1].first_error - (size_t)n, " word%02d", w);
	snprintf(steps[1].first_error + n, sizeof steps[1].first_error - (size_t)n, " THE-END");
	r.scn = scn;
	r.n = 2;
	r.finished = false;
	struct live_state st = { .run = &r, .cursor = 0 };
	snprintf(st.header, sizeof st.header, "(hand-made live run)");
	golden("tui_live_warmup_80.txt", r_live, &st, 80);
	char *text = render(r_live, &st, 80);
	CHECK(strstr(text, "warm-up  warm-up") != NULL);
	CHECK(strstr(text, " 0ns") == NULL);
	free(text);
	st.cursor = 1;
	golden("tui_live_errors_80.txt", r_live, &st, 80);
	text = render(r_live, &st, 80);
	CHECK(strstr(text, "THE-END") != NULL); /* the whole message */
	CHECK(strstr(text, "word00") != NULL);
	free(text);
	pthread_mutex_destroy(&r.lock);
}

int main(void)
{
	struct snapshot *s;
	struct sb_err err;
	if (!CHECK_I64(tui_builtin_snapshot(&s, NULL, &err), 0)) {
		fprintf(stderr, "  %s\n", err.msg);
		return check_done();
	}
	struct tui_model m;
	tui_model_from_snapshots(&m, s, "(embedded test guest)", NULL, NULL);
	g_model = &m;
	test_layout(&m);
	test_pt(&m);
	test_hex(&m, s);
	golden("tui_help_80.txt", r_help, NULL, 80);
	/* every binding's view and action are in range; keys resolve per view */
	size_t n;
	const struct tui_binding *b = tui_bindings(&n);
	for (size_t i = 0; i < n; i++)
		CHECK(b[i].view >= TUI_VIEW_ANY && b[i].view < TUI_CTX__COUNT && b[i].action < TUI_ACT__COUNT);
	/* issue 14: g/G are top/bottom everywhere (as less and vim), `:` is
	 * go-to-VA; h/l collapse/expand; the hex view's q goes back */
	CHECK_U64(tui_key_action(':', TUI_VIEW_PT), TUI_ACT_GOTO);
	CHECK_U64(tui_key_action('g', TUI_VIEW_PT), TUI_ACT_HOME);
	CHECK_U64(tui_key_action('G', TUI_VIEW_LAYOUT), TUI_ACT_END);
	CHECK_U64(tui_key_action('h', TUI_VIEW_PT), TUI_ACT_COLLAPSE);
	CHECK_U64(tui_key_action('l', TUI_VIEW_PT), TUI_ACT_EXPAND);
	CHECK_U64(tui_key_action('/', TUI_VIEW_DEDUP), TUI_ACT_SEARCH);
	CHECK_U64(tui_key_action('r', TUI_VIEW_PT), TUI_ACT_ROOT);
	CHECK_U64(tui_key_action('q', TUI_VIEW_DEDUP), TUI_ACT_QUIT);
	CHECK_U64(tui_key_action('q', TUI_CTX_HEX), TUI_ACT_BACK);
	CHECK_U64(tui_key_action('f', TUI_CTX_HEX), TUI_ACT_NONE); /* the tree's keys are off */
	test_dedup(s);
	test_pt_search(&m);
	test_pt_search_hostile();
	test_dedup_cursor(&m);
	test_live_render(&m);
	test_dedup_no_mappings(s);
	test_two_roots(s);
	tui_model_free(&m);
	snap_unref(s);
	return check_done();
}
