/* fuzz_snap_file.c — the snapshot-file loader (snapshot/snap_file.c) on a
 * file from another machine. An attacker who edits a file also fixes its
 * integrity fields, so each input gets its version-2 or -3 header checksum
 * recomputed, is loaded trusting its digest, gets the digest recomputed
 * over what the file now says and the checksum again over the new digest
 * (fix_integrity), and the fixed file is loaded as `snapbench` loads it
 * (SNAP_LOAD_VERIFY): so the fuzzer reaches every check behind them. A snapshot that
 * loads is then read as its users read it: its page tables walked (the
 * host-cow view, the ring-0 reachability check, a dump of every root). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz_note.h"
#include "pt_dump.h"
#include "pt_host.h"
#include "snap_file.h"
#include "snapshot_internal.h"

/* Where versions 1 to 3 keep the digest, the version, the header size
 * (snap_file.h). */
#define DIGEST_OFFSET 160u
#define DIGEST_BYTES 16u
#define VERSION_OFFSET 8u
#define HEADER_SIZE_OFFSET 12u

static int fd = -1;
static char path[64];
static FILE *devnull;

static int put_file(const uint8_t *data, size_t size)
{
	if (fd < 0) {
		fd = memfd_create("fuzz.snap", MFD_CLOEXEC);
		devnull = fopen("/dev/null", "w");
		if (fd < 0 || !devnull)
			abort();
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) || (size && pwrite(fd, data, size, 0) != (ssize_t)size))
		abort();
	return 0;
}

static uint32_t u32_at(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* A version-2 or -3 file's header checksum over what its header now says
 * (the header size as the file states it, when it fits). */
static void fix_checksum(uint8_t *file, size_t size)
{
	if (size < HEADER_SIZE_OFFSET + 4)
		return;
	uint32_t version = u32_at(file + VERSION_OFFSET);
	if (version != 2 && version != 3)
		return;
	uint32_t hdr = u32_at(file + HEADER_SIZE_OFFSET);
	if (hdr < DIGEST_OFFSET + DIGEST_BYTES + 16 || hdr > size)
		return;
	snap_file_header_sum(file, hdr - 16, file + hdr - 16);
}

/* Make the file's integrity fields match its content, as an attacker
 * would: the header checksum, the digest over the image and layout, and
 * the checksum again over the new digest. Returns whether the digest
 * could be fixed (the header must read first). */
static bool fix_integrity(uint8_t *file, size_t size)
{
	struct snapshot *s;
	struct sb_err err;
	fix_checksum(file, size);
	put_file(file, size);
	if (size < DIGEST_OFFSET + DIGEST_BYTES)
		return false;
	int rc = snap_load(&s, path, SNAP_LOAD_FAST, &err);
	fuzz_note("load trusting the digest", rc, &err);
	if (rc)
		return false;
	snap_compute_digest(s, file + DIGEST_OFFSET);
	snap_unref(s);
	fix_checksum(file, size);
	return true;
}

static void use_snapshot(struct snapshot *s)
{
	char hex[33];
	struct sb_err err;
	snap_digest_hex(s, hex);
	fuzz_note("host-cow view", snap_hostcow(s, &err) ? 0 : -1, &err);
	snap_ring0_only_by_exception_stack(s);
	struct pt_region r = { layout_pt_base_gpa(&s->layout), snap_pt_tail(s),
			       layout_pt_bytes(&s->layout) };
	struct pt_regions rr;
	pt_regions_init(&rr, &pt_format_x86_64, &r, 1, r.gpa);
	for (unsigned i = 0; i < s->nroots; i++)
		pt_dump(devnull, &rr.pt, s->roots[i]);
	/* what inspect counts: every root's walk over the file's tables */
	struct snap_census c;
	fuzz_note("census", snap_census(s, &c, &err), &err);
	/* inspect --dump-va and the TUI's hex view: reads by VA through each
	 * root's tables (whatever they say), across page boundaries, at the
	 * entry, the bottom and the top of the address space */
	static uint8_t buf[3 * 4096];
	static const gva_t vas[] = { 0, 0x1000 - 8, 0x0000800000000000ull - 16,
				     0xffffffffffffe000ull, 0xffff800000000000ull };
	for (unsigned i = 0; i < s->nroots; i++) {
		for (size_t k = 0; k <= sizeof vas / sizeof vas[0]; k++) {
			gva_t va = k < sizeof vas / sizeof vas[0] ? vas[k] : s->entry_gva;
			uint64_t done = 0;
			int rc = snap_read_gva_root(s, s->roots[i], va, buf, sizeof buf - 4096 * (k == 3),
						    &done, &err);
			fuzz_note("read by VA", rc, &err);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > (16u << 20))
		return 0;
	uint8_t *file = malloc(size ? size : 1);
	if (!file)
		return 0;
	memcpy(file, data, size);
	fix_integrity(file, size);
	put_file(file, size);
	struct snapshot *s;
	struct sb_err err;
	int rc = snap_load(&s, path, SNAP_LOAD_VERIFY, &err);
	fuzz_note("load", rc, &err);
	if (rc == 0) {
		use_snapshot(s);
		snap_unref(s);
	}
	free(file);
	return 0;
}
