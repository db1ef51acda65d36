/* fuzz_snap_file.c — the snapshot-file loader (snapshot/snap_file.c) on a
 * file from another machine. An attacker who edits a file also fixes its
 * digest, so each input is first loaded trusting its digest, the digest
 * is recomputed over what the file now says (fix_digest, the one place to
 * adapt when the format adds a header checksum), and the fixed file is
 * loaded as `snapbench` loads it (SNAP_LOAD_VERIFY). A snapshot that
 * loads is then read as its users read it: its page tables walked (the
 * host-cow view, the ring-0 reachability check, a dump). */
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

/* Where version 1 keeps the digest (snap_file.h). */
#define DIGEST_OFFSET 160u
#define DIGEST_BYTES 16u

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

/* Make the file's integrity fields match its content, as an attacker
 * would: here, the digest over the image and layout. Returns whether
 * anything could be fixed (the header must read first). */
static bool fix_digest(uint8_t *file, size_t size)
{
	struct snapshot *s;
	struct sb_err err;
	put_file(file, size);
	if (size < DIGEST_OFFSET + DIGEST_BYTES)
		return false;
	int rc = snap_load(&s, path, SNAP_LOAD_FAST, &err);
	fuzz_note("load trusting the digest", rc, &err);
	if (rc)
		return false;
	snap_compute_digest(s, file + DIGEST_OFFSET);
	snap_unref(s);
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
	pt_dump(devnull, &rr.pt, r.gpa);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > (16u << 20))
		return 0;
	uint8_t *file = malloc(size ? size : 1);
	if (!file)
		return 0;
	memcpy(file, data, size);
	fix_digest(file, size);
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
