/* snap_file.h — a snapshot in one file, loaded without copying its image.
 *
 * Format (version 1; every field little-endian, fixed size, written field by
 * field; offsets in bytes):
 *
 *   0    8  magic "SNAPBNCH"            136  8  entry GVA
 *   8    4  format version (1)          144  8  stack top GVA
 *   12   4  header size (792 + 274 n)   152  8  generation
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
 *   zero padding to the image offset, then the image: image bytes =
 *   layout_image_bytes (guest-visible part + page-table tail), nothing after.
 *
 * Functions return 0 on success, -1 with *err filled in (naming the file).
 */
#ifndef SNAPBENCH_SNAPSHOT_SNAP_FILE_H
#define SNAPBENCH_SNAPSHOT_SNAP_FILE_H

#include "snapshot.h"

#define SNAP_FILE_MAGIC "SNAPBNCH"
#define SNAP_FILE_VERSION 1u

enum snap_load_mode {
	SNAP_LOAD_VERIFY, /* recompute the digest over the image and compare */
	SNAP_LOAD_FAST,   /* trust the stored digest (the image is not read) */
};

/* Write s to path atomically: a temporary file in the same directory,
 * fsync'd, then renamed over path. On failure path is left as it was and
 * the temporary file is removed. */
int snap_save(const struct snapshot *s, const char *path, struct sb_err *err);

/* Read a snapshot file. The image is mapped read-only (PROT_READ,
 * MAP_PRIVATE) straight from the file; *out has one reference. Every
 * malformed file is an error (never a crash), as long as nobody truncates
 * the file while it is mapped. */
int snap_load(struct snapshot **out, const char *path, enum snap_load_mode mode,
	      struct sb_err *err);

#endif
