/* layout.h — where everything sits in a sandbox's guest memory.
 *
 * Pure arithmetic over sizes: no allocation, no I/O (except layout_dump).
 * See DESIGN.md §2 and common/sandbox_abi.h for the model.
 *
 *   snapshot region (GPA = GVA, from SB_BASE_ADDRESS), each part page aligned:
 *     code (all PT_LOAD) · PEB (1 page, R) · heap (RW) · init data (optional)
 *     followed, in the snapshot image only, by the page-table tail (not part
 *     of the guest-visible size, not mapped into the guest).
 *   scratch region (top of the 36-bit GPA space, private, RW/NX):
 *     input · output · page-table copy · free pages · exception stack +
 *     bookkeeping (top 2 pages).
 *
 * Offsets named *_offset are byte offsets into the snapshot image (which
 * starts at SB_BASE_ADDRESS) or, for *_scratch_offset, into the scratch
 * region as the host maps it.
 *
 * Functions that can fail return 0 on success and -1 with *err filled in.
 */
#ifndef SNAPBENCH_SNAPSHOT_LAYOUT_H
#define SNAPBENCH_SNAPSHOT_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "addr.h"
#include "err.h"
#include "sandbox_abi.h"

/* Sizes chosen by the user of a sandbox. */
struct layout_config {
	uint64_t heap_bytes;    /* page multiple, >= 1 page */
	uint64_t input_bytes;   /* host -> guest buffer: multiple of 8, >= 16 */
	uint64_t output_bytes;  /* guest -> host buffer: multiple of 8, >= 16 */
	uint64_t scratch_bytes; /* page multiple, >= minimum, <= 16 GiB */
};

#define LAYOUT_DEFAULT_HEAP_BYTES (128ull << 10)
#define LAYOUT_DEFAULT_INPUT_BYTES (16ull << 10)
#define LAYOUT_DEFAULT_OUTPUT_BYTES (16ull << 10)
#define LAYOUT_DEFAULT_SCRATCH_BYTES (288ull << 10)
/* Smallest I/O buffer: the stack-pointer word plus one 8-byte entry. */
#define LAYOUT_IO_BUFFER_MIN_BYTES (2 * SB_IO_BUFFER_HEADER_BYTES)

/* Guest permissions of a region. */
enum layout_flags {
	LAYOUT_F_READ = 1u << 0,
	LAYOUT_F_WRITE = 1u << 1,
	LAYOUT_F_EXEC = 1u << 2,
	/* ring 0 only (supervisor): the page-table copy in the scratch window.
	 * Shown in lower case ("rw-"); never a caller's choice. */
	LAYOUT_F_KERNEL = 1u << 3,
};
#define LAYOUT_F_ALL (LAYOUT_F_READ | LAYOUT_F_WRITE | LAYOUT_F_EXEC)
/* Init-data permissions when the caller passes 0. */
#define LAYOUT_INIT_DATA_DEFAULT_FLAGS LAYOUT_F_READ

enum layout_region_kind {
	/* snapshot region: what the VMM maps and the page tables describe */
	LAYOUT_REGION_CODE,
	LAYOUT_REGION_PEB,
	LAYOUT_REGION_HEAP,
	LAYOUT_REGION_INIT_DATA,
	/* scratch region parts (for display and inspection) */
	LAYOUT_REGION_INPUT,
	LAYOUT_REGION_OUTPUT,
	LAYOUT_REGION_PT_COPY,
	LAYOUT_REGION_SCRATCH_FREE,
	LAYOUT_REGION_STACK_GUARD, /* unmapped page below the call stack */
	LAYOUT_REGION_STACK,     /* the guest's call stack */
	LAYOUT_REGION_UNDO_LOG,  /* page-table undo log */
	LAYOUT_REGION_EXN_STACK, /* exception stack + bookkeeping words */
	LAYOUT_REGION__COUNT
};

struct layout_region {
	enum layout_region_kind kind;
	gpa_t gpa;      /* first byte */
	gva_t gva;      /* first byte */
	uint64_t bytes; /* > 0 */
	unsigned flags; /* enum layout_flags */
};

/* Upper bound on the regions any list below returns. */
#define LAYOUT_MAX_REGIONS LAYOUT_REGION__COUNT

struct layout {
	struct layout_config config;
	uint64_t code_bytes;      /* as given (unrounded) */
	uint64_t init_data_bytes; /* as given (unrounded); 0 = none */
	unsigned init_data_flags; /* effective flags (default applied) */
	uint64_t pt_bytes;        /* 0 until layout_set_pt_bytes() */
	/* offsets in the snapshot image, all page aligned */
	uint64_t code_offset;
	uint64_t peb_offset;
	uint64_t heap_offset;
	uint64_t init_data_offset;
	uint64_t snapshot_bytes; /* guest-visible size (no page-table tail) */
};

/* --- configuration ---------------------------------------------------- */

/* The defaults: heap 128 KiB, input and output 16 KiB each, scratch 288 KiB. */
struct layout_config layout_config_default(void);

/* Check one configuration on its own (sizes, alignment, limits, scratch
 * minimum without page tables). */
int layout_config_check(const struct layout_config *config, struct sb_err *err);

/* Minimum scratch size for this configuration plus pt_bytes of page tables. */
uint64_t layout_config_min_scratch_bytes(const struct layout_config *config, uint64_t pt_bytes);

/* The page tables an INIT snapshot of a guest ELF gets (snap_from_elf):
 * 4 KiB leaves for the snapshot region [SB_BASE_ADDRESS, + code_bytes,
 * PEB, heap, init_data_bytes, page aligned) and for the scratch window
 * and the entry page above it, one table per 2 MiB / 1 GiB / 512 GiB
 * each touches, and the root. What layout_set_pt_bytes() is then given;
 * tests/snapshot compares the two. */
uint64_t layout_config_elf_pt_bytes(const struct layout_config *config, uint64_t code_bytes,
				    uint64_t init_data_bytes);

/* The smallest scratch size (page multiple) that holds the I/O buffers,
 * the fixed pages and those page tables (which grow with the scratch
 * window they map): what `snapbench layout` prints and what scenario
 * files are checked against when parsed, the minimum the runner enforces
 * when it builds the snapshot, plus the tables of the runtime's own page
 * (SB_RT_PAGE_GVA), which every snapshot of a running guest rebuilds.
 * Sizes out of their limits give 0. */
uint64_t layout_config_elf_min_scratch_bytes(const struct layout_config *config,
					     uint64_t code_bytes, uint64_t init_data_bytes);

/* --- construction ----------------------------------------------------- */

/* Lay out a sandbox: code_bytes of loaded code (> 0), init_data_bytes of
 * init data (0 = none) mapped with init_data_flags (0 = read-only default).
 * On error *layout is left zeroed. */
int layout_init(struct layout *layout, const struct layout_config *config, uint64_t code_bytes,
		uint64_t init_data_bytes, unsigned init_data_flags, struct sb_err *err);

/* Record the size of the page tables (page multiple, > 0) once built; fails if
 * the scratch region cannot hold min + pt_bytes. On error nothing changes. */
int layout_set_pt_bytes(struct layout *layout, uint64_t pt_bytes, struct sb_err *err);

/* Replace the guest-visible snapshot size (e.g. after compacting a running
 * sandbox): page multiple, > 0, within the snapshot limit. */
int layout_set_snapshot_bytes(struct layout *layout, uint64_t snapshot_bytes, struct sb_err *err);

/* --- sizes -------------------------------------------------------------- */

/* Guest-visible snapshot size: the KVM slot size. */
static inline uint64_t layout_snapshot_bytes(const struct layout *l)
{
	return l->snapshot_bytes;
}
/* Snapshot image size: guest-visible part + page-table tail. */
static inline uint64_t layout_image_bytes(const struct layout *l)
{
	return l->snapshot_bytes + l->pt_bytes;
}
static inline uint64_t layout_scratch_bytes(const struct layout *l)
{
	return l->config.scratch_bytes;
}
static inline uint64_t layout_pt_bytes(const struct layout *l)
{
	return l->pt_bytes;
}
static inline uint64_t layout_heap_bytes(const struct layout *l)
{
	return l->config.heap_bytes;
}
static inline uint64_t layout_input_bytes(const struct layout *l)
{
	return l->config.input_bytes;
}
static inline uint64_t layout_output_bytes(const struct layout *l)
{
	return l->config.output_bytes;
}
static inline uint64_t layout_code_bytes(const struct layout *l)
{
	return l->code_bytes;
}
static inline uint64_t layout_init_data_bytes(const struct layout *l)
{
	return l->init_data_bytes;
}
/* Offset of the page-table tail in the snapshot image. */
static inline uint64_t layout_pt_tail_offset(const struct layout *l)
{
	return l->snapshot_bytes;
}

/* --- snapshot region addresses (GPA = GVA) ------------------------------- */

static inline gpa_t layout_snapshot_base_gpa(void)
{
	return SB_BASE_ADDRESS;
}
static inline gva_t layout_code_gva(const struct layout *l)
{
	return SB_BASE_ADDRESS + l->code_offset;
}
static inline gva_t layout_peb_gva(const struct layout *l)
{
	return SB_BASE_ADDRESS + l->peb_offset;
}
static inline gva_t layout_heap_gva(const struct layout *l)
{
	return SB_BASE_ADDRESS + l->heap_offset;
}
/* Where init data sits (or would sit: equals the end of the heap when none). */
static inline gva_t layout_init_data_gva(const struct layout *l)
{
	return SB_BASE_ADDRESS + l->init_data_offset;
}

/* --- scratch region addresses -------------------------------------------- */

static inline gpa_t layout_scratch_base_gpa(const struct layout *l)
{
	return sb_scratch_base_gpa(l->config.scratch_bytes);
}
static inline gva_t layout_scratch_base_gva(const struct layout *l)
{
	return sb_scratch_base_gva(l->config.scratch_bytes);
}

/* Host offsets inside scratch. */
static inline uint64_t layout_input_scratch_offset(const struct layout *l)
{
	(void)l;
	return 0;
}
static inline uint64_t layout_output_scratch_offset(const struct layout *l)
{
	return l->config.input_bytes;
}
static inline uint64_t layout_pt_scratch_offset(const struct layout *l)
{
	return sb_scratch_pt_offset(l->config.input_bytes, l->config.output_bytes);
}
/* First byte after the page-table copy: where the bump allocator starts. */
static inline uint64_t layout_free_scratch_offset(const struct layout *l)
{
	return layout_pt_scratch_offset(l) + l->pt_bytes;
}
/* First byte of the top pages (stack guard, call stack, undo log,
 * exception stack, bookkeeping): where the free pages end. */
static inline uint64_t layout_top_scratch_offset(const struct layout *l)
{
	return l->config.scratch_bytes - SB_SCRATCH_TOP_PAGES * SB_PAGE_SIZE;
}
/* First byte of the exception stack + bookkeeping pages. */
static inline uint64_t layout_exn_scratch_offset(const struct layout *l)
{
	return l->config.scratch_bytes - SB_SCRATCH_EXN_PAGES * SB_PAGE_SIZE;
}
/* Host offset of bookkeeping word k (SB_SCRATCH_TOP_*). */
static inline uint64_t layout_bookkeeping_scratch_offset(const struct layout *l, uint64_t k)
{
	return sb_scratch_top_offset(l->config.scratch_bytes, k);
}

static inline gva_t layout_input_gva(const struct layout *l)
{
	return layout_scratch_base_gva(l) + layout_input_scratch_offset(l);
}
static inline gva_t layout_output_gva(const struct layout *l)
{
	return layout_scratch_base_gva(l) + layout_output_scratch_offset(l);
}
/* GPA of the page-table copy: what CR3 holds. */
static inline gpa_t layout_pt_base_gpa(const struct layout *l)
{
	return layout_scratch_base_gpa(l) + layout_pt_scratch_offset(l);
}
/* First scratch GPA not used by the host: the allocator's initial value. */
static inline gpa_t layout_first_free_scratch_gpa(const struct layout *l)
{
	return layout_scratch_base_gpa(l) + layout_free_scratch_offset(l);
}
static inline gva_t layout_exn_stack_top_gva(const struct layout *l)
{
	(void)l;
	return sb_exn_stack_top_gva();
}

/* --- regions --------------------------------------------------------------- */

/* The snapshot region's guest-visible parts, in GPA order: code RWX, PEB R,
 * heap RW, init data (caller's flags; only if present). This is the list the
 * VMM maps and the page tables describe. Returns the count (<= 4). */
size_t layout_snapshot_regions(const struct layout *layout, struct layout_region out[LAYOUT_MAX_REGIONS]);

/* The scratch region's parts, in GPA order, all RW (no X): input, output,
 * page-table copy (only once sized; ring 0 only, LAYOUT_F_KERNEL), free
 * pages, stack guard (unmapped), stack, undo log, exception stack +
 * bookkeeping. Returns the count (<= 8). */
size_t layout_scratch_regions(const struct layout *layout, struct layout_region out[LAYOUT_MAX_REGIONS]);

/* Short lower-case name of a region kind ("code", "pt copy", ...). */
const char *layout_region_name(enum layout_region_kind kind);

/* Three-character permission string "RWX" / "R--" into buf (>= 4 bytes);
 * lower case ("rw-") when LAYOUT_F_KERNEL is set. */
const char *layout_flags_str(unsigned flags, char buf[4]);

/* --- writing the image ------------------------------------------------------ */

/* Fill the PEB struct this layout describes (host view, native = LE). */
void layout_peb(const struct layout *layout, struct sb_peb *peb);

/* Write the PEB into the snapshot image mem (mem[0] is GPA SB_BASE_ADDRESS). */
int layout_write_peb(const struct layout *layout, void *mem, size_t mem_bytes, struct sb_err *err);

/* Copy the init-data blob (exactly init_data_bytes) into the snapshot image. */
int layout_write_init_data(const struct layout *layout, void *mem, size_t mem_bytes, const void *data,
			   size_t data_bytes, struct sb_err *err);

/* Write the bookkeeping words (size, allocator, page-table GPA, generation)
 * at the top of a scratch region of scratch_mem_bytes (must equal the
 * layout's scratch size). */
int layout_write_bookkeeping(const struct layout *layout, void *scratch_mem, size_t scratch_mem_bytes,
			     uint64_t generation, struct sb_err *err);

/* --- resolving guest-physical addresses -------------------------------------- */

/* A mapping outside the two regions (e.g. a file mapped read-only). */
struct layout_extra_region {
	gpa_t gpa;
	uint64_t bytes;
};

enum layout_gpa_base {
	LAYOUT_GPA_SNAPSHOT, /* offset into the guest-visible snapshot image */
	LAYOUT_GPA_SCRATCH,  /* offset into the scratch region */
	LAYOUT_GPA_EXTRA,    /* offset into extra region extra_index */
};

struct layout_resolved {
	enum layout_gpa_base base;
	size_t extra_index; /* LAYOUT_GPA_EXTRA only */
	uint64_t offset;    /* < the region's size */
};

/* Which region gpa lies in (scratch, then snapshot, then extras in order)
 * and its offset there. Returns false (and leaves *out alone) if unmapped. */
bool layout_resolve_gpa(const struct layout *layout, gpa_t gpa, const struct layout_extra_region *extra,
			size_t n_extra, struct layout_resolved *out);

/* --- text dump ------------------------------------------------------------- */

/* One row per region (name, GPA range, GVA range, bytes, human size, pages,
 * flags) with a header stating units, then the bookkeeping words. The text
 * the TUI shows and the golden tests compare; fits in 100 columns. */
void layout_dump(FILE *f, const struct layout *layout);

/* Human size into buf: "128 KiB", "1.5 MiB", "512 B". Returns buf. */
const char *layout_human_bytes(uint64_t bytes, char *buf, size_t buf_bytes);

#endif
