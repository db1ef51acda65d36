/* cmd_bench.c — `snapbench bench`: the machine's own unit of cost and the
 * sandbox's basic latencies, measured in one run so they can be compared. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sandbox.h"
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
		   "and the ratios of the call to the bare exits.\n\n"
		   "options:\n"
		   "  --exits N    bare exits to time (default 20000)\n"
		   "  --calls N    calls to time (default 20000)\n"
		   "  --creates N  sandboxes to create (default 50)\n"
		   "  --mode M     where calls run: user (ring 3, default) or kernel (ring 0)\n"
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
	uint32_t exits, calls, creates;
	struct sandbox_config cfg;
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

struct restore_row {
	uint64_t heap_bytes;
	double snapshot_ms;
	struct vmm_cost_ns restore, call_after, cycle;
	struct snap_stats stats;
};

/* Restore costs for one heap size: a sandbox from the ELF, a call that
 * dirties a few pages, a snapshot (timed), then rounds of: a call dirtying
 * 3 pages, a restore of that snapshot (timed), the next call (timed). */
static int bench_restore(struct bench *b, const struct elf_image *img, uint64_t heap,
			 struct restore_row *row, struct sb_err *err)
{
	struct layout_config lc = layout_config_default();
	lc.heap_bytes = heap;
	lc.scratch_bytes = sb_page_round_up(heap / 64) + (1 << 20); /* room for the page tables */
	struct snapshot *elf = NULL, *snap = NULL;
	struct sandbox *sb = NULL;
	struct sb_value three = { .type = SB_T_U64, .as.u64 = 3 }, ret;
	const uint32_t rounds = 200;
	uint64_t *rs = b->samples, *cs = b->samples + rounds, *ys = b->samples + 2 * rounds;
	int rc = -1;
	row->heap_bytes = heap;
	if (snap_from_elf(&elf, img, &lc, NULL, 0, 0, err) || sandbox_create(&sb, elf, &b->cfg, err) ||
	    sandbox_call(sb, "touch_pages", &three, 1, &ret, err))
		goto out;
	uint64_t t0 = vmm_now_ns();
	if (sandbox_snapshot(sb, &snap, err))
		goto out;
	row->snapshot_ms = (double)(vmm_now_ns() - t0) / 1e6;
	row->stats = snap->stats;
	if (sandbox_restore(sb, snap, err)) /* the first one swaps the slot */
		goto out;
	for (uint32_t i = 0; i < rounds; i++) {
		if (sandbox_call(sb, "touch_pages", &three, 1, &ret, err))
			goto out;
		uint64_t a = vmm_now_ns();
		if (sandbox_restore(sb, snap, err))
			goto out;
		uint64_t m = vmm_now_ns();
		if (sandbox_call(sb, "touch_pages", &three, 1, &ret, err))
			goto out;
		uint64_t z = vmm_now_ns();
		rs[i] = m - a;
		cs[i] = z - m;
		ys[i] = z - a;
	}
	vmm_cost_from_samples(rs, rounds, &row->restore);
	vmm_cost_from_samples(cs, rounds, &row->call_after);
	vmm_cost_from_samples(ys, rounds, &row->cycle);
	rc = 0;
out:
	sandbox_destroy(sb);
	snap_unref(snap);
	snap_unref(elf);
	return rc;
}

int cmd_bench(int argc, char **argv)
{
	struct bench b = { .exits = 20000, .calls = 20000, .creates = 50,
			   .cfg = sandbox_config_default() };
	static const struct option opts[] = {
		{ "exits", required_argument, 0, 'e' },   { "calls", required_argument, 0, 'c' },
		{ "creates", required_argument, 0, 'n' }, { "mode", required_argument, 0, 'm' },
		{ "help", no_argument, 0, 'h' },          { 0, 0, 0, 0 },
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
	static const uint64_t heaps[] = { 128ull << 10, 8ull << 20, 64ull << 20, 256ull << 20 };
	struct restore_row rows[sizeof heaps / sizeof heaps[0]];
	int rc = CLI_EXIT_FAIL;
	struct kvm *kvm = kvm_open(&err);
	if (!kvm)
		goto out;
	uint32_t n = b.exits > b.calls ? b.exits : b.calls;
	n = n > b.creates ? n : b.creates;
	b.samples = malloc(sizeof *b.samples * (n > 600 ? n : 600));
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
	for (size_t i = 0; i < sizeof heaps / sizeof heaps[0]; i++) {
		fprintf(stderr, "timing snapshot and restore with a %llu KiB heap...\n",
			(unsigned long long)(heaps[i] >> 10));
		if (bench_restore(&b, &img, heaps[i], &rows[i], &err))
			goto out;
	}

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
	printf("\ncall / bare exit in the same mode (medians): %.2f   (target <= 1.5)\n",
	       (double)call.median_ns / (double)sb_exit.median_ns);
	printf("call / bare exit in real mode (medians):     %.2f\n",
	       (double)call.median_ns / (double)real_exit.median_ns);

	printf("\nsnapshot and restore (a call dirtying 3 heap pages between restores; medians, us)\n");
	printf("%10s %12s %9s %9s %10s %10s %13s %11s\n", "heap", "snapshot ms", "mapped",
	       "copied", "restore", "next call", "restore+call", "restore/exit");
	for (size_t i = 0; i < sizeof heaps / sizeof heaps[0]; i++) {
		const struct restore_row *r = &rows[i];
		char heap[32];
		snprintf(heap, sizeof heap, "%llu KiB", (unsigned long long)(r->heap_bytes >> 10));
		printf("%10s %12.2f %9llu %9llu %10.2f %10.2f %13.2f %11.2f\n", heap, r->snapshot_ms,
		       (unsigned long long)r->stats.pages_mapped, (unsigned long long)r->stats.pages_copied,
		       r->restore.median_ns / 1e3, r->call_after.median_ns / 1e3, r->cycle.median_ns / 1e3,
		       (double)r->restore.median_ns / (double)sb_exit.median_ns);
	}
	printf("restore at %llu KiB / restore at %llu KiB: %.2f   (target <= 1.2)\n",
	       (unsigned long long)(heaps[3] >> 10), (unsigned long long)(heaps[0] >> 10),
	       (double)rows[3].restore.median_ns / (double)rows[0].restore.median_ns);
	printf("restore / bare exit in the same mode: %.2f, in real mode: %.2f   (target <= 0.5)\n",
	       (double)rows[0].restore.median_ns / (double)sb_exit.median_ns,
	       (double)rows[0].restore.median_ns / (double)real_exit.median_ns);
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
