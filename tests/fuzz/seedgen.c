/* seedgen.c — the binary seeds no one should write by hand, generated at
 * build time from the embedded test guest:
 *   seedgen SNAP TABLES ELF IOBUF
 *   SNAP    a saved INIT snapshot of the test guest (16 KiB heap): a seed
 *           of the snapshot-file loader (fuzz_snap_file.c)
 *   TABLES  that snapshot's page tables as the live walker's input
 *           (fuzz_live_walk.c: root 0, one root, then the tables)
 *   ELF     the test guest itself: a seed of the ELF loader
 *   IOBUF   a 512-byte I/O buffer holding a CALL, a LOG and a RESULT
 *           record, as the host finds it after an exit (fuzz_proto.c) */
#include <stdio.h>
#include <stdlib.h>

#include "elf_load.h"
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

int main(int argc, char **argv)
{
	if (argc != 5) {
		fprintf(stderr, "usage: seedgen SNAP TABLES ELF IOBUF\n");
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
	snap_unref(s);
	elf_image_free(&img);
	return 0;
}
