/* elf_load.h — reading a guest ELF and copying it into a snapshot image.
 *
 * Accepted: ELF64, little-endian, x86-64, ET_EXEC or ET_DYN (static PIE),
 * at least one PT_LOAD; dynamic relocations only of type
 * R_X86_64_RELATIVE (any other type is an error that names it). The guest
 * is loaded so its lowest PT_LOAD page lands at the load address; its
 * image is the page-rounded span of all PT_LOAD segments. A static PIE
 * can land anywhere (its RELATIVE relocations fix its pointers); an
 * ET_EXEC carries absolute addresses and no relocations for them, so it
 * loads only if it was linked at the load address (checked by
 * elf_image_load, which is the first to know that address).
 *
 * A guest carries a version note (PT_NOTE, name "snapbench", type
 * ELF_NOTE_SNAPBENCH_VERSION, descriptor = the guest ABI version it was
 * built for, a NUL-terminated string; guest/version_note.S). Opening
 * checks it: a note naming another version than SB_GUEST_ABI_VERSION
 * (common/guest_abi.h), or two notes that disagree, is an error that names
 * both versions. A guest without a note is accepted, with has_version_note
 * false: the caller warns (this library prints nothing).
 *
 * Every check names the file and what is wrong with it.
 */
#ifndef SNAPBENCH_SNAPSHOT_ELF_LOAD_H
#define SNAPBENCH_SNAPSHOT_ELF_LOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "err.h"

#define ELF_NOTE_SNAPBENCH_NAME "snapbench"
#define ELF_NOTE_SNAPBENCH_VERSION 1
#define ELF_MAX_SEGMENTS 32
#define ELF_VERSION_MAX 64

struct elf_segment {
	uint64_t vaddr, file_offset, file_bytes, mem_bytes;
	unsigned flags; /* PF_R | PF_W | PF_X */
};

struct elf_image {
	char name[256];         /* file name for messages */
	uint8_t *bytes;         /* the whole file (owned) */
	uint64_t file_bytes;
	uint64_t base_vaddr;    /* lowest PT_LOAD vaddr, page aligned down */
	uint64_t span_bytes;    /* page-rounded span of the PT_LOAD segments */
	uint64_t entry_vaddr;   /* e_entry */
	unsigned elf_type;      /* e_type: ET_EXEC or ET_DYN */
	unsigned nsegments;
	struct elf_segment segments[ELF_MAX_SEGMENTS];
	uint64_t rela_offset;   /* file offset of the RELA table (0 if none) */
	uint64_t rela_count;
	/* The note's version, printable ASCII only (other bytes read '?': it
	 * is the guest's text, printed in messages); "" without a note. */
	char version[ELF_VERSION_MAX];
	bool has_version_note;
};

/* Read and check `path`, its version note included. On error nothing is
 * allocated. */
int elf_image_open(struct elf_image *img, const char *path, struct sb_err *err);
/* Check an ELF already in memory (copied; `name` is used in messages). */
int elf_image_from_memory(struct elf_image *img, const void *bytes, size_t n, const char *name,
			  struct sb_err *err);
void elf_image_free(struct elf_image *img);

/* The guest's version note must name `host_abi` (no note: accepted). The
 * open functions call it with SB_GUEST_ABI_VERSION. */
int elf_image_check_version(const struct elf_image *img, const char *host_abi,
			    struct sb_err *err);

/* Copy the PT_LOAD segments into dst (span_bytes long, zero-filled by the
 * caller) as if loaded at `load_addr`, and apply the RELATIVE relocations.
 * Writes only the file-backed bytes of each segment and the relocated
 * slots (elf_image_written_pages): a segment's zero part (.bss) is left as
 * the caller's zeros, never written, so loading costs what the file
 * carries, not what the segments span.
 * An ET_EXEC guest not linked at load_addr is refused (SB_E_INVAL). */
int elf_image_load(const struct elf_image *img, uint8_t *dst, uint64_t dst_bytes, gva_t load_addr,
		   struct sb_err *err);

/* Mark in `bits` (one bit per 4 KiB page of dst, from dst's first page;
 * `npages` of them) every page elf_image_load may write: pages with
 * file-backed bytes of a segment and pages of relocated slots. */
void elf_image_written_pages(const struct elf_image *img, uint64_t *bits, uint64_t npages);

/* Entry point once loaded at load_addr. */
static inline gva_t elf_image_entry(const struct elf_image *img, gva_t load_addr)
{
	return load_addr + (img->entry_vaddr - img->base_vaddr);
}

#endif
