/* cmd_layout.c — `snapbench layout`: the memory layout of a sandbox. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "layout.h"
#include "units.h"

static void usage(FILE *f)
{
	struct layout_config d = layout_config_default();
	fprintf(f,
		"usage: snapbench layout [OPTIONS]\n\n"
		"Print where code, PEB, heap, init data, I/O buffers, page tables and the\n"
		"exception stack sit in a sandbox's guest-physical and guest-virtual memory.\n\n"
		"options (sizes take K, M, G suffixes, binary):\n"
		"  --heap SIZE       guest heap (default %llu KiB, page multiple)\n"
		"  --scratch SIZE    private scratch region (default %llu KiB or, when that is\n"
		"                    too small for the page tables of the heap, the minimum)\n"
		"  --input SIZE      host-to-guest buffer (default %llu KiB, multiple of 8)\n"
		"  --output SIZE     guest-to-host buffer (default %llu KiB, multiple of 8)\n"
		"  --code SIZE       loaded code size (default 64 KiB)\n"
		"  --init-data SIZE  init-data blob (default none)\n"
		"  --pt SIZE         page-table size to account for (default: what a guest\n"
		"                    ELF's snapshot of this layout gets, as 'run' builds it)\n"
		"  -h, --help        this text\n\n"
		"The scratch minimum printed is the one 'run' enforces and scenario files\n"
		"are checked against (a scenario's 'scratch = SIZE').\n",
		(unsigned long long)(d.heap_bytes >> 10), (unsigned long long)(d.scratch_bytes >> 10),
		(unsigned long long)(d.input_bytes >> 10), (unsigned long long)(d.output_bytes >> 10));
}

int cmd_layout(int argc, char **argv)
{
	struct layout_config cfg = layout_config_default();
	uint64_t code = 64 << 10, init_data = 0, pt = 0;
	bool scratch_given = false, pt_given = false;
	static const struct option opts[] = {
		{ "heap", required_argument, 0, 'H' },    { "scratch", required_argument, 0, 'S' },
		{ "input", required_argument, 0, 'i' },   { "output", required_argument, 0, 'o' },
		{ "code", required_argument, 0, 'c' },    { "init-data", required_argument, 0, 'd' },
		{ "pt", required_argument, 0, 'p' },      { "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	/* getopt wants argv[0] to be the program; we are given the arguments. */
	char *args[argc + 2];
	args[0] = "snapbench layout";
	for (int i = 0; i < argc; i++)
		args[i + 1] = argv[i];
	args[argc + 1] = NULL;
	optind = 1;
	int c, li = -1;
	while ((c = getopt_long(argc + 1, args, "h", opts, &li)) != -1) {
		uint64_t *dst = NULL;
		switch (c) {
		case 'H': dst = &cfg.heap_bytes; break;
		case 'S': dst = &cfg.scratch_bytes; scratch_given = true; break;
		case 'i': dst = &cfg.input_bytes; break;
		case 'o': dst = &cfg.output_bytes; break;
		case 'c': dst = &code; break;
		case 'd': dst = &init_data; break;
		case 'p': dst = &pt; pt_given = true; break;
		case 'h': usage(stdout); return CLI_EXIT_OK;
		default: usage(stderr); return CLI_EXIT_USAGE;
		}
		struct sb_err err;
		if (units_parse_bytes(optarg, dst, &err)) {
			fprintf(stderr, "snapbench layout: --%s: %s\n", opts[li].name, err.msg);
			return CLI_EXIT_USAGE;
		}
	}
	if (optind < argc + 1) {
		fprintf(stderr, "snapbench layout: unexpected argument '%s'\n", args[optind]);
		return CLI_EXIT_USAGE;
	}

	/* The minimum the runner enforces (snapshot/layout.c, one function
	 * for both): the default scratch grows to it, a given one is refused
	 * below it with the size to use. */
	uint64_t min = layout_config_elf_min_scratch_bytes(&cfg, code, init_data);
	if (!pt && min) {
		if (!scratch_given && cfg.scratch_bytes < min) {
			fprintf(stderr, "snapbench layout: scratch: the default %llu KiB cannot hold "
					"this heap's page tables; shown at the minimum, %llu KiB "
					"(scratch = %lluK)\n",
				(unsigned long long)(cfg.scratch_bytes >> 10),
				(unsigned long long)(min >> 10), (unsigned long long)(min >> 10));
			cfg.scratch_bytes = min;
		}
		pt = layout_config_elf_pt_bytes(&cfg, code, init_data);
	}
	if (scratch_given && min && cfg.scratch_bytes < min && !pt_given) {
		fprintf(stderr, "snapbench layout: scratch size %llu bytes is below the minimum "
				"%llu bytes for a heap of %llu bytes (its page tables take %llu): use "
				"--scratch %lluK (in a scenario file: scratch = %lluK)\n",
			(unsigned long long)cfg.scratch_bytes, (unsigned long long)min,
			(unsigned long long)cfg.heap_bytes,
			(unsigned long long)layout_config_elf_pt_bytes(&cfg, code, init_data),
			(unsigned long long)(min >> 10), (unsigned long long)(min >> 10));
		return CLI_EXIT_FAIL;
	}

	struct layout l;
	struct sb_err err;
	if (layout_init(&l, &cfg, code, init_data, 0, &err) ||
	    (pt && layout_set_pt_bytes(&l, pt, &err))) {
		fprintf(stderr, "snapbench layout: %s\n", err.msg);
		return CLI_EXIT_FAIL;
	}
	layout_dump(stdout, &l);
	return CLI_EXIT_OK;
}
