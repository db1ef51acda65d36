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
		   "Measure, in one run: one bare VM-exit round trip (guest -> host user space\n"
		   "-> guest, a real-mode loop of OUTs), the round trip of a call to the test\n"
		   "guest's add(i64, i64), and creating a sandbox (VM, vCPU, memory, guest\n"
		   "initialisation). Prints medians and the call / exit ratio.\n\n"
		   "options:\n"
		   "  --exits N    bare exits to time (default 20000)\n"
		   "  --calls N    calls to time (default 20000)\n"
		   "  --creates N  sandboxes to create (default 50)\n"
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

int cmd_bench(int argc, char **argv)
{
	uint32_t exits = 20000, calls = 20000, creates = 50;
	static const struct option opts[] = {
		{ "exits", required_argument, 0, 'e' }, { "calls", required_argument, 0, 'c' },
		{ "creates", required_argument, 0, 'n' }, { "help", no_argument, 0, 'h' },
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
		case 'e': if (parse_count("exits", optarg, &exits)) return CLI_EXIT_USAGE; break;
		case 'c': if (parse_count("calls", optarg, &calls)) return CLI_EXIT_USAGE; break;
		case 'n': if (parse_count("creates", optarg, &creates)) return CLI_EXIT_USAGE; break;
		case 'h': usage(stdout); return CLI_EXIT_OK;
		default: usage(stderr); return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc + 1) {
		fprintf(stderr, "snapbench bench: unexpected argument '%s'\n", args[optind]);
		return CLI_EXIT_USAGE;
	}

	struct sb_err err;
	struct kvm *kvm = kvm_open(&err);
	struct vmm_cost_ns exit_cost, call_cost, create_cost;
	struct elf_image img;
	struct snapshot *snap = NULL;
	uint64_t *samples = NULL;
	int rc = CLI_EXIT_FAIL;
	if (!kvm)
		goto out;
	fprintf(stderr, "measuring %u bare exits...\n", exits);
	if (vmm_measure_exit_roundtrip_ns(kvm, exits, &exit_cost, &err))
		goto out;

	struct layout_config cfg = layout_config_default();
	if (elf_image_from_memory(&img, sb_testguest_elf, sb_testguest_elf_bytes(), "(embedded test guest)",
				  &err))
		goto out;
	int snap_rc = snap_from_elf(&snap, &img, &cfg, NULL, 0, 0, &err);
	elf_image_free(&img);
	if (snap_rc)
		goto out;

	uint32_t n = calls > creates ? calls : creates;
	samples = malloc(sizeof *samples * n);
	if (!samples) {
		sb_errf(&err, SB_E_NOMEM, "cannot allocate %u samples", n);
		goto out;
	}
	fprintf(stderr, "creating %u sandboxes...\n", creates);
	struct sandbox *sb = NULL;
	for (uint32_t i = 0; i < creates; i++) {
		uint64_t t0 = vmm_now_ns();
		if (sandbox_create(&sb, snap, NULL, &err))
			goto out;
		samples[i] = vmm_now_ns() - t0;
		if (i + 1 < creates)
			sandbox_destroy(sb);
	}
	vmm_cost_from_samples(samples, creates, &create_cost);

	fprintf(stderr, "timing %u calls of add...\n", calls);
	struct sb_value args2[2] = { { .type = SB_T_I64, .as.i64 = 40 }, { .type = SB_T_I64, .as.i64 = 2 } };
	struct sb_value ret;
	for (uint32_t i = 0; i < calls; i++) {
		uint64_t t0 = vmm_now_ns();
		if (sandbox_call(sb, "add", args2, 2, &ret, &err)) {
			sandbox_destroy(sb);
			goto out;
		}
		samples[i] = vmm_now_ns() - t0;
	}
	sandbox_destroy(sb);
	if (ret.as.i64 != 42) {
		sb_errf(&err, SB_E_GUEST, "add(40, 2) returned %lld", (long long)ret.as.i64);
		goto out;
	}
	vmm_cost_from_samples(samples, calls, &call_cost);

	printf("%-28s %10s %10s %10s %10s %9s\n", "latency (us)", "median", "mean", "min", "max",
	       "samples");
	row("bare VM-exit round trip", &exit_cost);
	row("call add(i64, i64)", &call_cost);
	row("create + init sandbox", &create_cost);
	printf("\ncall / bare exit (medians): %.2f   (target <= 1.5)\n",
	       (double)call_cost.median_ns / (double)exit_cost.median_ns);
	printf("create / bare exit (medians): %.1f\n",
	       (double)create_cost.median_ns / (double)exit_cost.median_ns);
	rc = CLI_EXIT_OK;
out:
	if (rc != CLI_EXIT_OK)
		fprintf(stderr, "snapbench bench: %s\n", err.msg);
	free(samples);
	snap_unref(snap);
	if (kvm)
		kvm_close(kvm);
	return rc;
}
