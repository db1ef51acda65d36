/* core_elf.h — writing an ELF core file (ET_CORE, x86-64): the layout
 * gdb reads for a Linux process, filled by crashdump.c.
 *
 *   ELF header · program headers: PT_NOTE, then one PT_LOAD per segment ·
 *   the notes · each segment's pages, page aligned, in segment order.
 *
 * All-zero pages are left as holes (a sparse file). The file is written
 * under a temporary name beside `path` and link()ed there: a reader never
 * sees half a core, and an existing file is never replaced.
 */
#ifndef SNAPBENCH_VMM_CORE_ELF_H
#define SNAPBENCH_VMM_CORE_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "err.h"

/* Program headers stay under PN_XNUM (0xffff: the extended count). */
#define CORE_MAX_SEGS 60000u

/* Pages contiguous in virtual address with the same permissions. */
struct core_seg {
	gva_t va;
	uint64_t pages;
	uint32_t flags; /* PF_R | PF_W | PF_X */
	size_t first;   /* its first page in core_image.pages */
};

struct core_image {
	const struct core_seg *segs;
	size_t nsegs;
	const uint8_t *const *pages; /* host memory of each page; NULL = zero */
	size_t npages;
};

/* The PT_NOTE's contents, built by core_note_add. */
struct core_notes {
	uint8_t *p;
	size_t len, cap;
	bool nomem; /* an add failed: the notes are incomplete */
};

/* Append one note (name "CORE" for the kernel's types). */
void core_note_add(struct core_notes *b, const char *name, uint32_t type, const void *desc,
		   size_t desc_len);

/* Write the core at `path`; SB_E_STATE if a file is there already. */
int core_write_file(const char *path, const struct core_image *img,
		    const struct core_notes *notes, struct sb_err *err);

#endif
