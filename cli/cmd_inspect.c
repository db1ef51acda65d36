/* cmd_inspect.c — `snapbench inspect`: the layout and page tables of a
 * snapshot file or of a guest ELF's initial snapshot. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "dump_va.h"
#include "guest_elf.h"
#include "guest_fns.h"
#include "host_fns.h"
#include "pt_dump.h"
#include "pt_host.h"
#include "sandbox.h"
#include "snap_file.h"
#include "snapshot.h"
#include "units.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: snapbench inspect [OPTIONS] [FILE]\n\n"
		"Print the memory layout, the statistics and the page tables of a snapshot.\n"
		"FILE is a snapshot file (written by 'save' steps) or a guest ELF, whose\n"
		"initial snapshot is built with the sizes below; no FILE: the embedded test\n"
		"guest.\n\n"
		"options:\n"
		"  --layout        only the layout\n"
		"  --pt            only the page tables\n"
		"  --va ADDR       only the page-table entries on the way to ADDR (hex)\n"
		"  --dump-va ADDR LEN\n"
		"                  only the memory at ADDR (hex VA), LEN bytes (units: 4K),\n"
		"                  as 'hexdump -C' shows it, read through the page tables\n"
		"  --functions     only the functions the guest registered at init, one per\n"
		"                  line as 'add(i64, i64) -> i64' (runs the guest in a sandbox:\n"
		"                  needs /dev/kvm; the guest's own word, printed, not trusted)\n"
		"  --heap SIZE     (ELF) heap size (default 128K)\n"
		"  --scratch SIZE  (ELF) scratch size (default 288K, or the minimum the\n"
		"                  heap's page tables need, as 'snapbench layout' says)\n"
		"  -h, --help      this text\n");
}

static bool is_snapshot_file(const char *path)
{
	char magic[8] = { 0 };
	FILE *f = fopen(path, "rb");
	if (!f)
		return false;
	size_t n = fread(magic, 1, sizeof magic, f);
	fclose(f);
	return n == sizeof magic && memcmp(magic, SNAP_FILE_MAGIC, sizeof magic) == 0;
}

static int load(const char *path, const struct layout_config *config, bool scratch_given,
		struct snapshot **out, struct sb_err *err)
{
	if (path && is_snapshot_file(path))
		return snap_load(out, path, SNAP_LOAD_VERIFY, err);
	struct elf_image img;
	if (guest_elf_open(&img, path, err))
		return -1;
	/* --heap alone: the scratch its page tables need, as 'layout' does */
	struct layout_config cfg = *config;
	uint64_t min = layout_config_elf_min_scratch_bytes(&cfg, img.span_bytes, 0);
	if (!scratch_given && cfg.scratch_bytes < min)
		cfg.scratch_bytes = min;
	int rc = snap_from_elf(out, &img, &cfg, NULL, 0, 0, err);
	elf_image_free(&img);
	return rc;
}

/* The guest's functions, as its runtime lists them (guest_fns.h): a
 * sandbox runs the snapshot (an INIT snapshot runs the guest's init) with
 * the built-in host functions, which a snapshot saved by a scenario with
 * host_functions = builtin expects. */
static int print_functions(FILE *f, struct snapshot *s)
{
	struct sandbox_host_fn_def fns[HOST_FN__COUNT];
	host_fns_builtin(fns, NULL);
	struct sandbox_config cfg = sandbox_config_default();
	cfg.host_fns = fns;
	cfg.n_host_fns = HOST_FN__COUNT;
	struct sandbox *sb;
	struct sb_err err;
	struct guest_fn_sig *list = NULL;
	size_t n = 0;
	if (sandbox_create(&sb, s, &cfg, &err)) {
		fprintf(stderr, "snapbench inspect: --functions: %s\n", err.msg);
		return CLI_EXIT_FAIL;
	}
	int rc = guest_fns_list(sb, &list, &n, &err);
	sandbox_destroy(sb);
	if (rc) {
		fprintf(stderr, "snapbench inspect: --functions: %s\n", err.msg);
		return CLI_EXIT_FAIL;
	}
	char line[SB_NAME_MAX + 1 + SB_CALL_MAX_ARGS * 10 + 32 + 48]; /* + the duplicate's note */
	for (size_t i = 0; i < n; i++) {
		guest_fn_format(&list[i], line, sizeof line);
		fprintf(f, "%s\n", line);
	}
	free(list);
	return CLI_EXIT_OK;
}

static void print_summary(FILE *f, const struct snapshot *s)
{
	char digest[33];
	snap_digest_hex(s, digest);
	fprintf(f, "snapshot %s\n  source: %s\n  kind: %s, generation %llu, entry 0x%llx\n",
		digest, s->source, s->entry_kind == SNAP_ENTRY_INIT ? "INIT (runs the guest's entry)"
									 : "CALL (initialised)",
		(unsigned long long)s->generation, (unsigned long long)s->entry_gva);
	/* What the image holds, counted as the TUI's dedup view counts it
	 * (snap_census): image pages, the VAs that map them, all-zero pages
	 * and pages at several VAs; page-table pages with the root, as the
	 * dump's footer counts them. */
	struct snap_census c;
	struct sb_err err;
	if (snap_census(s, &c, &err) == 0) {
		fprintf(f, "  image: %llu pages + %llu page-table pages; %llu VAs map %llu of them "
			   "(%llu VAs map scratch)\n",
			(unsigned long long)c.image_pages, (unsigned long long)c.pt_pages,
			(unsigned long long)c.vas, (unsigned long long)c.pages_mapped,
			(unsigned long long)c.outside);
		fprintf(f, "  pages: %llu all-zero, %llu mapped at >= 2 VAs (%llu of them all-zero), "
			   "%llu unmapped%s\n",
			(unsigned long long)c.zero_pages, (unsigned long long)c.aliased_pages,
			(unsigned long long)c.aliased_zero_pages,
			(unsigned long long)(c.image_pages - c.pages_mapped),
			c.truncated ? " (counted up to 2^22 VAs)" : "");
	} else {
		fprintf(f, "  image: %s\n", err.msg);
	}
	/* what the snapshot did when taken: of a running sandbox, its zero
	 * pages became one image page and its aliases were copied once */
	if (s->entry_kind != SNAP_ENTRY_INIT)
		fprintf(f, "  when taken: %llu pages of the sandbox were all-zero (one image page "
			   "holds them), %llu mappings were aliases of a page already copied\n",
			(unsigned long long)s->stats.zero_pages,
			(unsigned long long)s->stats.pages_aliased);
	if (s->nroots > 1) { /* several address spaces (snapshot/snap_roots.c) */
		fprintf(f, "  address spaces: %u, restores start in root %u; roots at GPA", s->nroots,
			s->cur_root);
		for (unsigned i = 0; i < s->nroots; i++)
			fprintf(f, " 0x%llx", (unsigned long long)s->roots[i]);
		fputc('\n', f);
	}
	fputc('\n', f);
}

int cmd_inspect(int argc, char **argv)
{
	struct layout_config cfg = layout_config_default();
	bool only_layout = false, only_pt = false, have_va = false, functions = false;
	bool scratch_given = false;
	uint64_t va = 0;
	const char *dump_addr = NULL, *dump_len = NULL;
	static const struct option opts[] = {
		{ "layout", no_argument, 0, 'l' },       { "pt", no_argument, 0, 'p' },
		{ "va", required_argument, 0, 'v' },     { "heap", required_argument, 0, 'H' },
		{ "scratch", required_argument, 0, 'S' }, { "help", no_argument, 0, 'h' },
		{ "dump-va", required_argument, 0, 'D' },
		{ "functions", no_argument, 0, 'F' },
		{ 0, 0, 0, 0 },
	};
	char *args[argc + 2];
	args[0] = "snapbench inspect";
	memcpy(args + 1, argv, sizeof(char *) * (size_t)argc);
	args[argc + 1] = NULL;
	optind = 1;
	int c;
	struct sb_err err;
	while ((c = getopt_long(argc + 1, args, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'l': only_layout = true; break;
		case 'p': only_pt = true; break;
		case 'F': functions = true; break;
		case 'v': {
			char *end;
			va = strtoull(optarg, &end, 16);
			if (!*optarg || *end) {
				fprintf(stderr, "snapbench inspect: --va: '%s' is not a hex address\n", optarg);
				return CLI_EXIT_USAGE;
			}
			have_va = true;
			break;
		}
		case 'S':
			scratch_given = true;
			/* fall through */
		case 'H':
			if (units_parse_bytes(optarg, c == 'H' ? &cfg.heap_bytes : &cfg.scratch_bytes, &err)) {
				fprintf(stderr, "snapbench inspect: --%s: %s\n", c == 'H' ? "heap" : "scratch",
					err.msg);
				return CLI_EXIT_USAGE;
			}
			break;
		case 'D': /* ADDR LEN: LEN is the next word, taken before getopt sees it */
			dump_addr = optarg;
			if (optind >= argc + 1) {
				fprintf(stderr, "snapbench inspect: --dump-va: want ADDR LEN\n");
				return CLI_EXIT_USAGE;
			}
			dump_len = args[optind++];
			break;
		case 'h': usage(stdout); return CLI_EXIT_OK;
		default: usage(stderr); return CLI_EXIT_USAGE;
		}
	}
	if (argc + 1 - optind > 1) {
		fprintf(stderr, "snapbench inspect: one FILE at most\n");
		return CLI_EXIT_USAGE;
	}
	const char *path = optind < argc + 1 ? args[optind] : NULL;
	gva_t dump_va_at = 0;
	uint64_t dump_bytes = 0;
	if (dump_addr && dump_va_parse(dump_addr, dump_len, &dump_va_at, &dump_bytes, &err)) {
		fprintf(stderr, "snapbench inspect: --dump-va: %s\n", err.msg);
		return CLI_EXIT_USAGE;
	}
	/* a FIFO or a device would block the reads below (or never end) */
	struct stat st;
	if (path && stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		fprintf(stderr, "snapbench inspect: '%s': not a regular file\n", path);
		return CLI_EXIT_FAIL;
	}
	struct snapshot *s;
	if (load(path, &cfg, scratch_given, &s, &err)) {
		fprintf(stderr, "snapbench inspect: %s\n", err.msg);
		return CLI_EXIT_FAIL;
	}
	if (dump_addr) {
		int drc = dump_va(stdout, s, dump_va_at, dump_bytes, &err);
		if (drc)
			fprintf(stderr, "snapbench inspect: --dump-va: %s\n", err.msg);
		snap_unref(s);
		return drc ? CLI_EXIT_FAIL : CLI_EXIT_OK;
	}
	if (functions) {
		int frc = print_functions(stdout, s);
		snap_unref(s);
		return frc;
	}
	/* --va prints the translation path alone, as its help says */
	if (!only_pt && !have_va) {
		print_summary(stdout, s);
		layout_dump(stdout, &s->layout);
		fputc('\n', stdout);
	}
	int rc = CLI_EXIT_OK;
	if (!only_layout) {
		const struct layout *l = &s->layout;
		struct pt_region r = { layout_pt_base_gpa(l), snap_pt_tail(s), layout_pt_bytes(l) };
		struct pt_regions rr;
		pt_regions_init(&rr, &pt_format_x86_64, &r, 1, r.gpa);
		/* Every root, each under a heading when there are several. */
		for (unsigned i = 0; i < s->nroots && rc == CLI_EXIT_OK; i++) {
			gpa_t root = s->roots[i];
			if (s->nroots > 1)
				printf("%s== root %u/%u at GPA 0x%llx%s\n", i ? "\n" : "", i, s->nroots,
				       (unsigned long long)root, i == s->cur_root ? " (current)" : "");
			enum pt_status st = have_va
				? pt_dump_range(stdout, &rr.pt, root, va & ~0xfffull, 4096)
				: pt_dump(stdout, &rr.pt, root);
			if (st != PT_OK) {
				fprintf(stderr, "snapbench inspect: page tables of root %u: %s\n", i,
					pt_strerror(st));
				rc = CLI_EXIT_FAIL;
			}
		}
	}
	snap_unref(s);
	return rc;
}
