/* seedgen.c — the binary seeds no one should write by hand, generated at
 * build time from the embedded test guest:
 *   seedgen SNAP TABLES ELF IOBUF [TWOROOTS]
 *   SNAP    a saved INIT snapshot of the test guest (16 KiB heap): a seed
 *           of the snapshot-file loader (fuzz_snap_file.c)
 *   TABLES  that snapshot's page tables as the live walker's input
 *           (fuzz_live_walk.c: root 0, one root, then the tables)
 *   ELF     the test guest itself: a seed of the ELF loader
 *   IOBUF   a 512-byte I/O buffer holding a CALL, a LOG and a RESULT
 *           record, as the host finds it after an exit (fuzz_proto.c)
 *   TWOROOTS a snapshot of that sandbox with two address spaces (root 1 a
 *           copy of root 0's PML4, each mapping its own page at PML4 slot
 *           2), made without KVM: a version-3 seed with its roots block
 *           in use (fuzz_snap_file.c) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elf_load.h"
#include "mgr.h"
#include "proto.h"
#include "snap_file.h"
#include "testguest_blob.h"

static int write_file(const char *path, const void *a, size_t na, const void *b, size_t nb)
{
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(a, 1, na, f) != na || (nb && fwrite(b, 1, nb, f) != nb) || fclose(f)) {
		perror(path);
		return -1;
	}
	return 0;
}

/* Two address spaces over `base`, as the guest runtime makes them. */
static int two_roots(struct snapshot *base, const char *path, struct sb_err *err)
{
	struct mem_mgr m;
	if (mgr_init(&m, base, err))
		return -1;
	struct pt pt = mgr_scratch_pt(&m);
	gpa_t roots[2] = { layout_pt_base_gpa(mgr_layout(&m)), 0 }, page;
	struct snapshot *s = NULL;
	int rc = -1;
	if (mgr_alloc_page(&m, &roots[1]) != PT_OK) {
		sb_errf(err, SB_E_NOMEM, "scratch too small");
		goto out;
	}
	memcpy(mgr_scratch_at(&m, roots[1], SB_PAGE_SIZE), mgr_scratch_at(&m, roots[0], SB_PAGE_SIZE),
	       SB_PAGE_SIZE);
	for (int i = 0; i < 2; i++) {
		struct pt_mapping map = { 0, 0x0000010000000000ull, SB_PAGE_SIZE,
					  pt_kind_basic(true, true, false), true };
		if (mgr_alloc_page(&m, &page) != PT_OK) {
			sb_errf(err, SB_E_NOMEM, "scratch too small");
			goto out;
		}
		memset(mgr_scratch_at(&m, page, SB_PAGE_SIZE), 0xA0 + i, SB_PAGE_SIZE);
		map.phys = page;
		if (pt_map_at(&pt, roots[i], &map) != PT_OK) {
			sb_errf(err, SB_E_NOMEM, "mapping root %d's page", i);
			goto out;
		}
	}
	/* No registers: a file's are checked before anything else, and a
	 * hand-made set would stop the fuzzer there. */
	struct snap_live_input in = {
		.base = base, .scratch = m.scratch, .scratch_bytes = m.scratch_bytes,
		.roots = roots, .nroots = 2, .cur_root = 1,
		.dispatch_gva = base->entry_gva, .stack_top_gva = sb_call_stack_top_gva(),
		.generation = 1,
	};
	rc = snap_from_live(&s, &in, err) || snap_save(s, path, err) ? -1 : 0;
out:
	snap_unref(s);
	mgr_fini(&m);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc != 5 && argc != 6) {
		fprintf(stderr, "usage: seedgen SNAP TABLES ELF IOBUF [TWOROOTS]\n");
		return 2;
	}
	struct elf_image img;
	struct snapshot *s;
	struct sb_err err;
	struct layout_config cfg = { .heap_bytes = 16 << 10, .input_bytes = LAYOUT_DEFAULT_INPUT_BYTES,
				     .output_bytes = LAYOUT_DEFAULT_OUTPUT_BYTES,
				     .scratch_bytes = LAYOUT_DEFAULT_SCRATCH_BYTES };
	if (elf_image_from_memory(&img, sb_testguest_elf, sb_testguest_elf_bytes(), "testguest",
				  &err) ||
	    snap_from_elf(&s, &img, &cfg, NULL, 0, 0, &err) || snap_save(s, argv[1], &err)) {
		fprintf(stderr, "seedgen: %s\n", err.msg);
		return 1;
	}
	static const unsigned char header[2] = { 0, 0 };
	if (write_file(argv[2], header, sizeof header, snap_pt_tail(s), layout_pt_bytes(&s->layout)) ||
	    write_file(argv[3], sb_testguest_elf, sb_testguest_elf_bytes(), NULL, 0))
		return 1;
	uint8_t io[512];
	struct sb_value args[] = {
		{ .type = SB_T_I64, .as.i64 = 40 },
		{ .type = SB_T_STRING, .as.buf = { (const uint8_t *)"text", 4 } },
		{ .type = SB_T_BOOL, .as.b = true },
	};
	struct sb_value v = { .type = SB_T_F64, .as.f64 = 2.5 };
	struct sb_writer w;
	sb_stack_reset(io, sizeof io);
	sb_stack_begin(&w, io, sizeof io);
	sb_encode_call(&w, "add", 3, args, 3);
	int rc = sb_stack_end(&w, io, sizeof io);
	sb_stack_begin(&w, io, sizeof io);
	sb_encode_log(&w, 2, "hello", 5);
	rc |= sb_stack_end(&w, io, sizeof io);
	sb_stack_begin(&w, io, sizeof io);
	sb_encode_result(&w, &v);
	rc |= sb_stack_end(&w, io, sizeof io);
	int64_t used = sb_stack_used(io, sizeof io);
	if (rc || used < 0 || write_file(argv[4], io, (size_t)used, NULL, 0))
		return 1;
	if (argc == 6 && two_roots(s, argv[5], &err)) {
		fprintf(stderr, "seedgen: %s: %s\n", argv[5], err.msg);
		return 1;
	}
	snap_unref(s);
	elf_image_free(&img);
	return 0;
}
