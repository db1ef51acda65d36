/* snap_file.h — a snapshot in one file, loaded without copying its image.
 *
 * Format (version 3 = version 2 plus the address spaces, below; every
 * field little-endian, fixed size, written field by
 * field; offsets in bytes):
 *
 *   0    8  magic "SNAPBNCH"            136  8  entry GVA
 *   8    4  format version (2)          144  8  stack top GVA
 *   12   4  header size (808 + 274 n)   152  8  generation
 *   16   8  image offset (header size   160 16  digest (XXH3-128)
 *           rounded up to 4096)         176 40  stats: pages mapped, copied,
 *   24   8  image bytes                          aliased, pt pages, zero pages
 *   32  32  config: heap, input,        216  4  has sregs (0 or 1)
 *           output, scratch bytes       220  4  n = host functions (<= 32)
 *   64   8  code bytes                  224 312 kvm_sregs: cs ds es fs gs ss
 *   72   8  init data bytes                      tr ldt (24 each: base 8,
 *   80   4  init data flags                      limit 4, selector 2, type
 *   84   4  entry kind (0 INIT, 1 CALL)           present dpl db s l g avl
 *   88   8  page-table bytes                     unusable 1 each, 0 pad 1),
 *   96   8  code offset                          gdt idt (base 8, limit 2,
 *   104  8  PEB offset                           0 pad 6), cr0 cr2 cr3 cr4
 *   112  8  heap offset                          cr8 efer apic_base (8 each),
 *   120  8  init data offset                     interrupt bitmap (4 x 8)
 *   128  8  snapshot (guest-visible)    536 256 source, NUL-terminated
 *           bytes                       792 274n host functions: name 256
 *                                                (NUL-terminated), ret 1,
 *                                                nparams 1, params 16
 *   792+274n 16  header checksum: XXH3-128 (canonical, big-endian bytes) of
 *                bytes [0, 792 + 274 n): every field above
 *   zero padding to the image offset, then the image: image bytes =
 *   layout_image_bytes (guest-visible part + page-table tail), nothing after.
 *
 * What covers what. The digest (XXH3-128, snap_compute_digest) covers the
 * image, the layout sizes, the entry kind, the entry and the stack top: it
 * is the snapshot's identity, recomputed on SNAP_LOAD_VERIFY. The header
 * checksum covers every header byte before it -- magic, version, sizes,
 * offsets, layout, init data flags, entry kind, entry, stack top,
 * generation, the digest itself, the statistics, the has-sregs flag and
 * the special registers, the source, the host functions and every reserved
 * byte between them -- and is checked on every load, VERIFY or FAST, before
 * any field is believed. So a header changed after the save (CR0 = 0 with
 * the digest left as it was) is refused, and with VERIFY so is a changed
 * image. Neither is a signature: whoever edits a field can recompute both,
 * so the loader also checks every field against what it can know (the
 * layout against its sizes, the special registers against what this VMM
 * runs a sandbox in: snap_sregs_check in snapshot.h). Only the zero
 * padding before the image offset is covered by nothing (it is never read).
 *
 * Version 3 adds, between the host functions and the checksum (which
 * covers it; header size 808 + 274 n + 136):
 *
 *   792+274n       4  root count (1 to 16)
 *   796+274n       4  current root (the one CR3 holds on restore)
 *   800+274n   16 x 8 root GPAs: root 0 at the page-table copy, each a
 *                     page of the tail, unused ones zero
 *
 * and the digest covers the roots when there is more than root 0
 * (snapshot.c). Versions 1 and 2 have root 0 alone, and a snapshot with
 * more is not saved in them (refused, not dropped).
 *
 * Version 1 (written by builds before the checksum) is the same without the
 * checksum: header size 792 + 274 n. It is still read, with every check
 * except the header checksum; snap_save_version writes it, for tests and
 * for older readers.
 *
 * Functions return 0 on success, -1 with *err filled in (naming the file).
 */
#ifndef SNAPBENCH_SNAPSHOT_SNAP_FILE_H
#define SNAPBENCH_SNAPSHOT_SNAP_FILE_H

#include "snapshot.h"

#define SNAP_FILE_MAGIC "SNAPBNCH"
#define SNAP_FILE_VERSION 3u     /* what snap_save writes */
#define SNAP_FILE_VERSION_MIN 1u /* the oldest version snap_load reads */

enum snap_load_mode {
	SNAP_LOAD_VERIFY, /* recompute the digest over the image and compare */
	SNAP_LOAD_FAST,   /* trust the stored digest (the image is not read) */
};

/* Write s to path atomically: an unnamed temporary file in the same
 * directory (O_TMPFILE), written and fsync'd, then linked as
 * PATH.tmp-XXXXXX and renamed over path at once. On failure path is left
 * as it was and nothing else remains; a save killed (kill -9) before the
 * link leaves nothing either, between link and rename (no I/O) a named
 * temporary file. Where the file system refuses O_TMPFILE, a named
 * temporary file is written instead, removed on every failure the process
 * lives through. */
int snap_save(const struct snapshot *s, const char *path, struct sb_err *err);
/* The same in format `version` (SNAP_FILE_VERSION_MIN..SNAP_FILE_VERSION). */
int snap_save_version(const struct snapshot *s, const char *path, unsigned version,
		      struct sb_err *err);

/* The version-2 (and 3) header checksum of the first `bytes` bytes of a header
 * (bytes = header size - 16): what a tool that edits a header, or a fuzz
 * target playing the attacker, writes into the last 16 header bytes. */
void snap_file_header_sum(const uint8_t *hdr, size_t bytes, uint8_t out[16]);

/* Read a snapshot file. The image is mapped read-only (PROT_READ,
 * MAP_PRIVATE) straight from the file; *out has one reference. Every
 * malformed file is an error (never a crash), as long as nobody truncates
 * the file while it is mapped. */
int snap_load(struct snapshot **out, const char *path, enum snap_load_mode mode,
	      struct sb_err *err);

#endif
