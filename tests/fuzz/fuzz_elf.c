/* fuzz_elf.c — the guest ELF loader (snapshot/elf_load.c) on an ELF from
 * someone else: check it, then load it as snap_from_elf would (at the
 * code region's address) into a buffer of its span. */
#include <stdint.h>
#include <stdlib.h>

#include "elf_load.h"
#include "fuzz_note.h"
#include "sandbox_abi.h"

/* Spans above this are not loaded here (the loader's own limits are what
 * the check above them tests; this only bounds one execution's memory). */
#define LOAD_MAX_BYTES (64ull << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct elf_image img;
	struct sb_err err;
	int rc = elf_image_from_memory(&img, data, size, "fuzz.elf", &err);
	fuzz_note("check", rc, &err);
	if (rc)
		return 0;
	elf_image_check_version(&img, "0.1.0", &err);
	if (img.span_bytes && img.span_bytes <= LOAD_MAX_BYTES) {
		uint8_t *dst = calloc(1, img.span_bytes);
		if (dst) {
			rc = elf_image_load(&img, dst, img.span_bytes, SB_BASE_ADDRESS, &err);
			fuzz_note("load", rc, &err);
			free(dst);
		}
	}
	elf_image_free(&img);
	return 0;
}
