/* cmd_bench.c — `snapbench bench`: the machine's own unit of cost, the
 * sandbox's basic latencies, and restore-to-ready with the work a restore
 * leaves to the next call, measured in one run so they can be compared. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sandbox.h"
#include "scenario.h"
#include "testguest_blob.h"
#include "vmm.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: snapbench bench [OPTIONS]\n\n"
		   "Measure, in one run, with the embedded test guest:\n"
		   "  bare exit (real mode)   a throwaway VM looping OUT in real mode\n"
		   "  bare exit (sandbox)     OUTs from the guest's own call mode, in a sandbox\n"
		   "  call add(i64, i64)      one call round trip\n"
		   "  create + init sandbox   VM, vCPU, memory and the guest's initialisation\n"
		   "  copy-on-write fault     one heap page dirtied for the first time\n"
		   "(these under the rewrite restore strategy) and the ratios of the call to\n"
		   "the bare exits; then, for a 128 KiB and a 256 MiB heap, 0, 3 and 64 pages\n"
		   "re-dirtied by bump_pages(pages), and each restore strategy, one line:\n"
		   "  restore-to-ready        sandbox_restore() until it returns\n"
		   "  first call              bump_pages(pages) right after the restore\n"
		   "  steady call             bump_pages(pages) again, no restore between\n"
		   "  penalty                 first call - steady call (work the restore left)\n"
		   "  ready + penalty         restore-to-ready + penalty, also / sandbox exit\n"
		   "in us and as ratios to the sandbox exit of the same run.\n\n"
		   "options:\n"
		   "  --exits N    bare exits to time (default 20000)\n"
		   "  --calls N    calls to time (default 20000)\n"
		   "  --creates N  sandboxes to create (default 50)\n"
		   "  --rounds N   restores to time per heap and pages count (default 200;\n"
		   "               half of them with the 256 MiB heap)\n"
		   "  --mode M     where calls run: user (ring 3, default) or kernel (ring 0)\n"
		   "  --restore-strategy LIST\n"
		   "               the strategies of the restore lines, comma-separated, in\n"
		   "               this order (default every one: rewrite, host-cow, retain,\n"
		   "               rewind)\n"
		   "  -h, --help   this text\n");
}

static int parse_count(const char *opt, const char *s, uint32_t *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	if (!*s || *end || v == 0 || v > 10000000) {
		fprintf(stderr, "snapbench bench: --%s: '%s' is not a count between 1 and 10000000\n",
			opt, s);
		return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

static void row(const char *what, const struct vmm_cost_ns *c)
{
	printf("%-28s %10.2f %10.2f %10.2f %10.2f %9u\n", what, c->median_ns / 1e3, c->mean_ns / 1e3,
	       c->min_ns / 1e3, c->max_ns / 1e3, c->samples);
}

struct bench {
	uint32_t exits, calls, creates, rounds;
	struct sandbox_config cfg;
	enum sandbox_restore_strategy strategies[SANDBOX_RESTORE__COUNT];
	size_t n_strategies;
	struct snapshot *snap;
	uint64_t *samples; /* max(exits, calls, creates) */
};

/* Bare exits from inside a sandbox: debug_exits(k) does k OUTs that the
 * host answers at once; one sample = (time of k exits - time of 0) / k. */
static int bench_sandbox_exits(struct bench *b, struct sandbox *sb, struct vmm_cost_ns *out,
			       struct sb_err *err)
{
	const uint32_t per = 100, rounds = b->exits / per ? b->exits / per : 1;
	struct sb_value k0 = { .type = SB_T_U64, .as.u64 = 0 }, kn = { .type = SB_T_U64, .as.u64 = per };
	struct sb_value ret;
	for (uint32_t i = 0; i < rounds; i++) {
		uint64_t t0 = vmm_now_ns();
		if (sandbox_call(sb, "debug_exits", &k0, 1, &ret, err))
			return -1;
		uint64_t t1 = vmm_now_ns();
		if (sandbox_call(sb, "debug_exits", &kn, 1, &ret, err))
			return -1;
		uint64_t t2 = vmm_now_ns();
		int64_t d = (int64_t)(t2 - t1) - (int64_t)(t1 - t0);
		b->samples[i] = d > 0 ? (uint64_t)d / per : 0;
	}
	vmm_cost_from_samples(b->samples, rounds, out);
	return 0;
}

static int bench_calls(struct bench *b, struct sandbox *sb, struct vmm_cost_ns *out,
		       struct sb_err *err)
{
	struct sb_value args[2] = { { .type = SB_T_I64, .as.i64 = 40 },
				    { .type = SB_T_I64, .as.i64 = 2 } };
	struct sb_value ret;
	for (uint32_t i = 0; i < b->calls; i++) {
		uint64_t t0 = vmm_now_ns();
		if (sandbox_call(sb, "add", args, 2, &ret, err))
			return -1;
		b->samples[i] = vmm_now_ns() - t0;
		if (ret.as.i64 != 42)
			return sb_errf(err, SB_E_GUEST, "add(40, 2) returned %lld", (long long)ret.as.i64);
	}
	vmm_cost_from_samples(b->samples, b->calls, out);
	return 0;
}

/* Create b->creates sandboxes; keeps the last one in *keep. */
static int bench_creates(struct bench *b, struct sandbox **keep, struct vmm_cost_ns *out,
			 struct sb_err *err)
{
	struct sandbox *sb = NULL;
	for (uint32_t i = 0; i < b->creates; i++) {
		uint64_t t0 = vmm_now_ns();
		if (sandbox_create(&sb, b->snap, &b->cfg, err))
			return -1;
		b->samples[i] = vmm_now_ns() - t0;
		if (i + 1 < b->creates)
			sandbox_destroy(sb);
	}
	vmm_cost_from_samples(b->samples, b->creates, out);
	*keep = sb;
	return 0;
}

/* One sample per fresh sandbox: (touch_pages(n) - touch_pages(0)) / n. */
static int bench_cow(struct bench *b, struct vmm_cost_ns *out, struct sb_err *err)
{
	const uint32_t rounds = 5;
	uint64_t n = layout_heap_bytes(&b->snap->layout) / SB_PAGE_SIZE;
	for (uint32_t i = 0; i < rounds; i++) {
		struct sandbox *sb;
		if (sandbox_create(&sb, b->snap, &b->cfg, err))
			return -1;
		struct sb_value a0 = { .type = SB_T_U64, .as.u64 = 0 }, an = { .type = SB_T_U64, .as.u64 = n };
		struct sb_value ret;
		uint64_t t0 = vmm_now_ns();
		int rc = sandbox_call(sb, "touch_pages", &a0, 1, &ret, err);
		uint64_t t1 = vmm_now_ns();
		rc = rc ? rc : sandbox_call(sb, "touch_pages", &an, 1, &ret, err);
		uint64_t t2 = vmm_now_ns();
		sandbox_destroy(sb);
		if (rc)
			return -1;
		int64_t d = (int64_t)(t2 - t1) - (int64_t)(t1 - t0);
		b->samples[i] = d > 0 ? (uint64_t)d / n : 0;
	}
	vmm_cost_from_samples(b->samples, rounds, out);
	return 0;
}

/* ---- restore-to-ready and the work it leaves ------------------------------ */

static const uint64_t bench_heaps[] = { 128ull << 10, 256ull << 20 };
static const uint64_t bench_pages[] = { 0, 3, 64 };
#define N_HEAPS (sizeof bench_heaps / sizeof bench_heaps[0])
#define N_PAGES (sizeof bench_pages / sizeof bench_pages[0])

/* One heap size, one count of re-dirtied pages, one restore strategy. */
struct ready_row {
	uint64_t heap_bytes, pages;
	enum sandbox_restore_strategy strategy;
	bool fits;       /* pages <= the heap's pages (else not measured) */
	uint32_t rounds;
	struct vmm_cost_ns restore, first, steady;
};

static int64_t penalty_ns(const struct ready_row *r)
{
	return (int64_t)r->first.median_ns - (int64_t)r->steady.median_ns;
}

static int64_t ready_plus_penalty_ns(const struct ready_row *r)
{
	return (int64_t)r->restore.median_ns + penalty_ns(r);
}

/* bump_pages: what it leaves always differs from the snapshot (touch_pages
 * rewrites the snapshot's own bytes, which a restore may find unchanged). */
static int touch(struct sandbox *sb, struct sb_value *n, struct sb_err *err)
{
	struct sb_value ret;
	return sandbox_call(sb, "bump_pages", n, 1, &ret, err);
}

/* One cell of the restore table: a sandbox that dirtied `pages` heap pages,
 * the snapshot it took, and its samples. */
struct ready_cell {
	struct sandbox *sb;
	struct snapshot *snap;
	uint64_t *samples; /* restore, first call, steady call: rounds each */
};

static int cell_setup(struct bench *b, struct snapshot *elf, const struct ready_row *row,
		      struct ready_cell *c, struct sb_err *err)
{
	struct sb_value n = { .type = SB_T_U64, .as.u64 = row->pages };
	struct sandbox_config cfg = b->cfg;
	cfg.restore_strategy = row->strategy;
	c->samples = malloc(3 * row->rounds * sizeof *c->samples);
	if (!c->samples)
		return sb_errf(err, SB_E_NOMEM, "bench: no memory for samples");
	/* the snapshot, a restore of it (the rounds restore the snapshot the
	 * sandbox runs from), and one untimed round */
	return sandbox_create(&c->sb, elf, &cfg, err) || touch(c->sb, &n, err) ||
			       sandbox_snapshot(c->sb, &c->snap, err) ||
			       sandbox_restore(c->sb, c->snap, err) || touch(c->sb, &n, err) ||
			       touch(c->sb, &n, err)
		       ? -1
		       : 0;
}

/* Round i of a cell: restore (timed: restore-to-ready), bump_pages(pages)
 * (timed: the first call after the restore, which re-dirties the pages),
 * bump_pages(pages) again (timed: the steady call). sandbox_restore is a
 * black box here: whatever it leaves undone shows in the first call. */
static int cell_round(const struct ready_row *row, struct ready_cell *c, uint32_t i,
		      struct sb_err *err)
{
	struct sb_value n = { .type = SB_T_U64, .as.u64 = row->pages };
	uint64_t t0 = vmm_now_ns();
	if (sandbox_restore(c->sb, c->snap, err))
		return -1;
	uint64_t t1 = vmm_now_ns();
	if (touch(c->sb, &n, err))
		return -1;
	uint64_t t2 = vmm_now_ns();
	if (touch(c->sb, &n, err))
		return -1;
	uint64_t t3 = vmm_now_ns();
	c->samples[i] = t1 - t0;
	c->samples[row->rounds + i] = t2 - t1;
	c->samples[2 * row->rounds + i] = t3 - t2;
	return 0;
}

static void fmt_heap(char *buf, size_t bytes, uint64_t heap)
{
	if (heap % (1ull << 20) == 0)
		snprintf(buf, bytes, "%llu MiB", (unsigned long long)(heap >> 20));
	else
		snprintf(buf, bytes, "%llu KiB", (unsigned long long)(heap >> 10));
}

/* Every heap, pages count and strategy (rows: N_HEAPS x N_PAGES x
 * b->n_strategies). Each cell has its own sandbox, and the cells take
 * turns in blocks of READY_BLOCK rounds (after one untimed round), so a
 * machine that gets slower or faster during the run moves every cell
 * alike and the ratios between cells (256 MiB against 128 KiB, one
 * strategy against another) keep. Round by round would measure something
 * else: a sandbox restored after 20 others ran costs ~5 us more to restore
 * and ~8 us more in its first call here (caches, TLBs, KVM's per-vCPU
 * state), which is the pool's question (issue 15), not this one's. */
#define READY_BLOCK 10
static int bench_ready_all(struct bench *b, const struct elf_image *img, struct ready_row *rows,
			   size_t nrows, struct sb_err *err)
{
	struct snapshot *elf[N_HEAPS] = { 0 };
	struct ready_cell *cells = calloc(nrows, sizeof *cells);
	int rc = -1;
	if (!cells)
		return sb_errf(err, SB_E_NOMEM, "bench: no memory for the restore cells");
	size_t per_heap = nrows / N_HEAPS, measured = 0;
	uint32_t max_rounds = 0;
	for (size_t h = 0; h < N_HEAPS; h++) {
		uint64_t heap = bench_heaps[h];
		struct layout_config lc = layout_config_default();
		lc.heap_bytes = heap;
		lc.scratch_bytes = sb_page_round_up(heap / 64) + (1 << 20); /* room for the tables */
		if (snap_from_elf(&elf[h], img, &lc, NULL, 0, 0, err))
			goto out;
		for (size_t k = 0; k < per_heap; k++) {
			struct ready_row *r = &rows[h * per_heap + k];
			*r = (struct ready_row){ .heap_bytes = heap,
						 .pages = bench_pages[k / b->n_strategies],
						 .strategy = b->strategies[k % b->n_strategies] };
			r->fits = r->pages <= heap / SB_PAGE_SIZE;
			/* fewer rounds for a large heap: its rounds take longer */
			r->rounds = heap > (64ull << 20) ? (b->rounds + 1) / 2 : b->rounds;
			if (!r->fits)
				continue;
			if (cell_setup(b, elf[h], r, &cells[h * per_heap + k], err))
				goto out;
			measured++;
			if (r->rounds > max_rounds)
				max_rounds = r->rounds;
		}
	}
	fprintf(stderr, "timing restores: %zu cells (heap x pages x strategy), in blocks of %u "
			"rounds taken in turn, up to %u rounds each...\n", measured, READY_BLOCK,
		max_rounds);
	for (uint32_t start = 0; start < max_rounds; start += READY_BLOCK)
		for (size_t k = 0; k < nrows; k++) {
			if (!rows[k].fits || start >= rows[k].rounds)
				continue;
			/* one untimed round: the cell's sandbox warm again */
			if (cell_round(&rows[k], &cells[k], start, err))
				goto out;
			for (uint32_t i = start; i < start + READY_BLOCK && i < rows[k].rounds; i++)
				if (cell_round(&rows[k], &cells[k], i, err))
					goto out;
		}
	for (size_t k = 0; k < nrows; k++) {
		struct ready_row *r = &rows[k];
		if (!r->fits)
			continue;
		vmm_cost_from_samples(cells[k].samples, r->rounds, &r->restore);
		vmm_cost_from_samples(cells[k].samples + r->rounds, r->rounds, &r->first);
		vmm_cost_from_samples(cells[k].samples + 2 * r->rounds, r->rounds, &r->steady);
	}
	rc = 0;
out:
	for (size_t k = 0; k < nrows; k++) {
		sandbox_destroy(cells[k].sb);
		snap_unref(cells[k].snap);
		free(cells[k].samples);
	}
	free(cells);
	for (size_t h = 0; h < N_HEAPS; h++)
		snap_unref(elf[h]);
	return rc;
}

/* One value in us, or as a ratio to the sandbox exit. */
static void cell(double ns, double exit_ns, bool ratio)
{
	if (ratio)
		printf(" %16.3f", ns / exit_ns);
	else
		printf(" %16.2f", ns / 1e3);
}

/* One line per heap, pages and strategy; in us (ratio false) the last
 * column is ready + penalty / sandbox exit, in ratios it is left out. */
static void ready_table(const struct ready_row *rows, size_t n, uint64_t exit_ns, bool ratio)
{
	printf("%10s %6s %-9s %7s %16s %16s %16s %16s %16s%s\n", "heap", "pages", "strategy",
	       "rounds", "restore-to-ready", "first call", "steady call", "penalty",
	       "ready + penalty", ratio ? "" : "   / sandbox exit");
	for (size_t i = 0; i < n; i++) {
		const struct ready_row *r = &rows[i];
		char heap[32];
		fmt_heap(heap, sizeof heap, r->heap_bytes);
		const char *strategy = sandbox_restore_strategy_name(r->strategy);
		if (!r->fits) {
			printf("%10s %6llu %-9s %7s   not measured: the heap has %llu pages\n", heap,
			       (unsigned long long)r->pages, strategy, "-",
			       (unsigned long long)(r->heap_bytes / SB_PAGE_SIZE));
			continue;
		}
		printf("%10s %6llu %-9s %7u", heap, (unsigned long long)r->pages, strategy, r->rounds);
		cell((double)r->restore.median_ns, (double)exit_ns, ratio);
		cell((double)r->first.median_ns, (double)exit_ns, ratio);
		cell((double)r->steady.median_ns, (double)exit_ns, ratio);
		cell((double)penalty_ns(r), (double)exit_ns, ratio);
		cell((double)ready_plus_penalty_ns(r), (double)exit_ns, ratio);
		if (!ratio)
			printf(" %17.3f", (double)ready_plus_penalty_ns(r) / (double)exit_ns);
		putchar('\n');
	}
}

static void ready_report(const struct ready_row *rows, size_t n, uint64_t exit_ns,
			 const char *exit_label)
{
	printf("\nrestore-to-ready and the work it leaves to the next call (medians)\n"
	       "  restore-to-ready  sandbox_restore() of the snapshot the sandbox runs from,\n"
	       "                    until it returns\n"
	       "  first call        bump_pages(pages) right after it: re-dirties the pages\n"
	       "  steady call       bump_pages(pages) again, no restore between (no\n"
	       "                    copy-on-write fault)\n"
	       "  penalty           first call - steady call: restore work left to the guest\n"
	       "  ready + penalty   what a restore costs before the sandbox runs work at its\n"
	       "                    steady speed\n\n"
	       "in microseconds (us):\n");
	ready_table(rows, n, exit_ns, false);
	printf("\nthe same / %s of this run (%.2f us):\n", exit_label, (double)exit_ns / 1e3);
	ready_table(rows, n, exit_ns, true);
	printf("\nrestore-to-ready + penalty at 3 pages / sandbox exit:\n");
	for (size_t s = 0; s < SANDBOX_RESTORE__COUNT; s++) {
		bool any = false;
		for (size_t i = 0; i < n; i++) {
			if (rows[i].pages != 3 || !rows[i].fits || rows[i].strategy != s)
				continue;
			if (!any)
				printf("  %-9s", sandbox_restore_strategy_name(rows[i].strategy));
			any = true;
			char heap[32];
			fmt_heap(heap, sizeof heap, rows[i].heap_bytes);
			printf("  %s heap %.3f x", heap,
			       (double)ready_plus_penalty_ns(&rows[i]) / (double)exit_ns);
		}
		if (any)
			putchar('\n');
	}
}

int cmd_bench(int argc, char **argv)
{
	struct bench b = { .exits = 20000, .calls = 20000, .creates = 50, .rounds = 200,
			   .cfg = sandbox_config_default(), .n_strategies = SANDBOX_RESTORE__COUNT };
	for (size_t i = 0; i < SANDBOX_RESTORE__COUNT; i++)
		b.strategies[i] = (enum sandbox_restore_strategy)i;
	b.cfg.restore_strategy = SANDBOX_RESTORE_REWRITE; /* the copy-on-write bench faults */
	static const struct option opts[] = {
		{ "exits", required_argument, 0, 'e' },   { "calls", required_argument, 0, 'c' },
		{ "creates", required_argument, 0, 'n' }, { "mode", required_argument, 0, 'm' },
		{ "rounds", required_argument, 0, 'r' },  { "help", no_argument, 0, 'h' },
		{ "restore-strategy", required_argument, 0, 's' },
		{ 0, 0, 0, 0 },
	};
	char *args[argc + 2];
	args[0] = "snapbench bench";
	memcpy(args + 1, argv, sizeof(char *) * (size_t)argc);
	args[argc + 1] = NULL;
	optind = 1;
	int c, li = -1;
	while ((c = getopt_long(argc + 1, args, "h", opts, &li)) != -1) {
		switch (c) {
		case 'e': if (parse_count("exits", optarg, &b.exits)) return CLI_EXIT_USAGE; break;
		case 'c': if (parse_count("calls", optarg, &b.calls)) return CLI_EXIT_USAGE; break;
		case 'n': if (parse_count("creates", optarg, &b.creates)) return CLI_EXIT_USAGE; break;
		case 'r': if (parse_count("rounds", optarg, &b.rounds)) return CLI_EXIT_USAGE; break;
		case 'm':
			if (strcmp(optarg, "user") == 0)
				b.cfg.mode = SANDBOX_MODE_USER;
			else if (strcmp(optarg, "kernel") == 0)
				b.cfg.mode = SANDBOX_MODE_KERNEL;
			else {
				fprintf(stderr, "snapbench bench: --mode: '%s' is not user or kernel\n", optarg);
				return CLI_EXIT_USAGE;
			}
			break;
		case 's': {
			uint64_t packed;
			struct sb_err serr;
			if (scenario_strategies_parse(optarg, &packed, &serr)) {
				fprintf(stderr, "snapbench bench: --restore-strategy: %s\n", serr.msg);
				return CLI_EXIT_USAGE;
			}
			b.n_strategies = scenario_strategies(packed, b.strategies, SANDBOX_RESTORE__COUNT);
			break;
		}
		case 'h': usage(stdout); return CLI_EXIT_OK;
		default: usage(stderr); return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc + 1) {
		fprintf(stderr, "snapbench bench: unexpected argument '%s'\n", args[optind]);
		return CLI_EXIT_USAGE;
	}

	struct sb_err err;
	struct vmm_cost_ns real_exit, sb_exit, call, create, cow;
	struct elf_image img;
	bool have_img = false;
	struct sandbox *sb = NULL;
	struct ready_row rows[N_HEAPS * N_PAGES * SANDBOX_RESTORE__COUNT];
	int rc = CLI_EXIT_FAIL;
	struct kvm *kvm = kvm_open(&err);
	if (!kvm)
		goto out;
	uint32_t n = b.exits > b.calls ? b.exits : b.calls;
	n = n > b.creates ? n : b.creates;
	n = n > 3 * b.rounds ? n : 3 * b.rounds;
	b.samples = malloc(sizeof *b.samples * n);
	if (!b.samples) {
		sb_errf(&err, SB_E_NOMEM, "cannot allocate the samples");
		goto out;
	}
	struct layout_config lc = layout_config_default();
	lc.heap_bytes = 1 << 20;     /* 256 pages to dirty in the copy-on-write bench */
	lc.scratch_bytes = 2 << 20;
	if (elf_image_from_memory(&img, sb_testguest_elf, sb_testguest_elf_bytes(),
				  "(embedded test guest)", &err))
		goto out;
	have_img = true;
	if (snap_from_elf(&b.snap, &img, &lc, NULL, 0, 0, &err))
		goto out;

	fprintf(stderr, "timing %u bare exits in real mode...\n", b.exits);
	if (vmm_measure_exit_roundtrip_ns(kvm, b.exits, &real_exit, &err))
		goto out;
	fprintf(stderr, "creating %u sandboxes...\n", b.creates);
	if (bench_creates(&b, &sb, &create, &err))
		goto out;
	fprintf(stderr, "timing %u bare exits and %u calls in the sandbox...\n", b.exits, b.calls);
	if (bench_sandbox_exits(&b, sb, &sb_exit, &err) || bench_calls(&b, sb, &call, &err))
		goto out;
	fprintf(stderr, "timing copy-on-write faults...\n");
	if (bench_cow(&b, &cow, &err))
		goto out;
	size_t per_heap = N_PAGES * b.n_strategies;
	if (bench_ready_all(&b, &img, rows, N_HEAPS * per_heap, &err))
		goto out;

	const char *mode = b.cfg.mode == SANDBOX_MODE_USER ? "ring 3" : "ring 0";
	char label[64];
	printf("guest calls run in %s\n\n", mode);
	printf("%-28s %10s %10s %10s %10s %9s\n", "latency (us)", "median", "mean", "min", "max",
	       "samples");
	row("bare exit (real mode)", &real_exit);
	snprintf(label, sizeof label, "bare exit (sandbox, %s)", mode);
	row(label, &sb_exit);
	row("call add(i64, i64)", &call);
	row("create + init sandbox", &create);
	row("copy-on-write fault", &cow);
	printf("\ncall / bare exit in the same mode (medians): %.2f x   (target <= 1.5 x)\n",
	       (double)call.median_ns / (double)sb_exit.median_ns);
	printf("call / bare exit in real mode (medians):     %.2f x\n",
	       (double)call.median_ns / (double)real_exit.median_ns);

	ready_report(rows, N_HEAPS * per_heap, sb_exit.median_ns, label);
	rc = CLI_EXIT_OK;
out:
	if (rc != CLI_EXIT_OK)
		fprintf(stderr, "snapbench bench: %s\n", err.msg);
	sandbox_destroy(sb);
	free(b.samples);
	snap_unref(b.snap);
	if (have_img)
		elf_image_free(&img);
	if (kvm)
		kvm_close(kvm);
	return rc;
}
