/* layout.c — sandbox memory layout: sizes, limits, offsets, regions, PEB.
 *
 * Every size is checked against its limit before anything is added or
 * rounded, so no sum below can wrap: each term is at most 16 GiB.
 */
#include "layout.h"

#include <string.h>

#define PAGE SB_PAGE_SIZE
#define PEB_BYTES PAGE /* the PEB occupies one whole page */

static bool is_page_multiple(uint64_t x)
{
	return (x & (PAGE - 1)) == 0;
}

struct layout_config layout_config_default(void)
{
	return (struct layout_config){
		.heap_bytes = LAYOUT_DEFAULT_HEAP_BYTES,
		.input_bytes = LAYOUT_DEFAULT_INPUT_BYTES,
		.output_bytes = LAYOUT_DEFAULT_OUTPUT_BYTES,
		.scratch_bytes = LAYOUT_DEFAULT_SCRATCH_BYTES,
	};
}

uint64_t layout_config_min_scratch_bytes(const struct layout_config *config, uint64_t pt_bytes)
{
	return sb_min_scratch_bytes(config->input_bytes, config->output_bytes) + pt_bytes;
}

/* Tables of one level a VA range [a, b) (b > a, or b = 0 for the end of
 * the 64-bit space) touches: one per 2^shift bytes it covers a part of. */
static uint64_t tables_for(uint64_t a, uint64_t b, unsigned shift)
{
	uint64_t last = b - 1; /* b = 0 wraps to the top byte */
	return (last >> shift) - (a >> shift) + 1;
}

uint64_t layout_config_elf_pt_bytes(const struct layout_config *c, uint64_t code_bytes,
				    uint64_t init_data_bytes)
{
	if (c->heap_bytes > SB_REGION_MAX_BYTES || code_bytes > SB_SNAPSHOT_MAX_BYTES ||
	    init_data_bytes > SB_SNAPSHOT_MAX_BYTES || c->scratch_bytes > SB_SCRATCH_MAX_BYTES ||
	    c->scratch_bytes < PAGE)
		return 0;
	/* code, PEB, heap and init data lie back to back from SB_BASE_ADDRESS */
	uint64_t lo = SB_BASE_ADDRESS, lo_end = lo + sb_page_round_up(code_bytes ? code_bytes : 1) +
						    PEB_BYTES + sb_page_round_up(c->heap_bytes) +
						    sb_page_round_up(init_data_bytes);
	/* the scratch window, then the entry page up to the end of the space */
	uint64_t hi = sb_scratch_base_gva(c->scratch_bytes);
	uint64_t pages = 1; /* the root */
	for (unsigned shift = 21; shift <= 39; shift += 9)
		pages += tables_for(lo, lo_end, shift) + tables_for(hi, 0, shift);
	return pages * PAGE;
}

uint64_t layout_config_elf_min_scratch_bytes(const struct layout_config *config,
					     uint64_t code_bytes, uint64_t init_data_bytes)
{
	if (config->input_bytes > SB_SCRATCH_MAX_BYTES || config->output_bytes > SB_SCRATCH_MAX_BYTES)
		return 0;
	/* The tables grow with the window they map, which is the scratch
	 * itself: grow it until it holds them. Each pass adds at least a
	 * page, and a 16 GiB window needs ~8200 table pages, so it ends. */
	struct layout_config c = *config;
	c.scratch_bytes = sb_page_round_up(layout_config_min_scratch_bytes(config, 0));
	/* The runtime maps its own page at init (SB_RT_PAGE_GVA, a PML4 slot
	 * of its own): the INIT tables do without its three, but a snapshot
	 * of the running guest rebuilds them into the page-table area too, so
	 * a scratch that holds only the INIT tables failed the first snapshot
	 * step of a scenario the parser had let through. */
	uint64_t rt = 0;
	for (unsigned shift = 21; shift <= 39; shift += 9)
		rt += tables_for(SB_RT_PAGE_GVA, SB_RT_PAGE_GVA + PAGE, shift) * PAGE;
	for (;;) {
		uint64_t pt = layout_config_elf_pt_bytes(&c, code_bytes, init_data_bytes);
		if (!pt)
			return 0;
		uint64_t need = sb_page_round_up(layout_config_min_scratch_bytes(config, pt + rt));
		if (need <= c.scratch_bytes)
			return c.scratch_bytes;
		c.scratch_bytes = need;
	}
}

static int check_io_buffer(const char *what, uint64_t bytes, struct sb_err *err)
{
	if (bytes < LAYOUT_IO_BUFFER_MIN_BYTES)
		return sb_errf(err, SB_E_TOO_SMALL,
			       "%s size %llu bytes is below the minimum %llu bytes", what,
			       (unsigned long long)bytes, (unsigned long long)LAYOUT_IO_BUFFER_MIN_BYTES);
	if (bytes > SB_SCRATCH_MAX_BYTES)
		return sb_errf(err, SB_E_TOO_BIG,
			       "%s size %llu bytes exceeds the scratch limit %llu bytes (16 GiB)", what,
			       (unsigned long long)bytes, (unsigned long long)SB_SCRATCH_MAX_BYTES);
	if (bytes % 8 != 0)
		return sb_errf(err, SB_E_INVAL, "%s size %llu bytes is not a multiple of 8 bytes", what,
			       (unsigned long long)bytes);
	return 0;
}

/* Scratch size against the limit, alignment and the minimum for min_pt_bytes
 * of page tables (0 before they are known). */
static int check_scratch(const struct layout_config *c, uint64_t pt_bytes, struct sb_err *err)
{
	uint64_t s = c->scratch_bytes;
	if (s > SB_SCRATCH_MAX_BYTES)
		return sb_errf(err, SB_E_TOO_BIG, "scratch size %llu bytes exceeds the limit %llu bytes (16 GiB)",
			       (unsigned long long)s, (unsigned long long)SB_SCRATCH_MAX_BYTES);
	uint64_t min = layout_config_min_scratch_bytes(c, pt_bytes);
	if (s < min) {
		uint64_t io = sb_scratch_pt_offset(c->input_bytes, c->output_bytes);
		if (pt_bytes == 0)
			return sb_errf(err, SB_E_TOO_SMALL,
				       "scratch size %llu bytes is below the minimum %llu bytes "
				       "(I/O buffers %llu + %llu pages)",
				       (unsigned long long)s, (unsigned long long)min, (unsigned long long)io,
				       (unsigned long long)SB_SCRATCH_MIN_EXTRA_PAGES);
		return sb_errf(err, SB_E_TOO_SMALL,
			       "scratch size %llu bytes is below the minimum %llu bytes "
			       "(I/O buffers %llu + %llu pages + page tables %llu)",
			       (unsigned long long)s, (unsigned long long)min, (unsigned long long)io,
			       (unsigned long long)SB_SCRATCH_MIN_EXTRA_PAGES, (unsigned long long)pt_bytes);
	}
	if (!is_page_multiple(s))
		return sb_errf(err, SB_E_INVAL, "scratch size %llu bytes is not a multiple of the page size (%llu bytes)",
			       (unsigned long long)s, (unsigned long long)PAGE);
	return 0;
}

int layout_config_check(const struct layout_config *c, struct sb_err *err)
{
	if (!c)
		return sb_errf(err, SB_E_INVAL, "layout configuration is NULL");
	if (c->heap_bytes < PAGE)
		return sb_errf(err, SB_E_TOO_SMALL, "heap size %llu bytes is below the minimum %llu bytes (one page)",
			       (unsigned long long)c->heap_bytes, (unsigned long long)PAGE);
	if (c->heap_bytes > SB_SNAPSHOT_MAX_BYTES)
		return sb_errf(err, SB_E_TOO_BIG,
			       "heap size %llu bytes exceeds the snapshot limit %llu bytes (16 GiB - 4 KiB)",
			       (unsigned long long)c->heap_bytes, (unsigned long long)SB_SNAPSHOT_MAX_BYTES);
	if (!is_page_multiple(c->heap_bytes))
		return sb_errf(err, SB_E_INVAL, "heap size %llu bytes is not a multiple of the page size (%llu bytes)",
			       (unsigned long long)c->heap_bytes, (unsigned long long)PAGE);
	if (check_io_buffer("input buffer", c->input_bytes, err) < 0 ||
	    check_io_buffer("output buffer", c->output_bytes, err) < 0)
		return -1;
	return check_scratch(c, 0, err);
}

int layout_init(struct layout *l, const struct layout_config *config, uint64_t code_bytes,
		uint64_t init_data_bytes, unsigned init_data_flags, struct sb_err *err)
{
	if (!l)
		return sb_errf(err, SB_E_INVAL, "layout is NULL");
	memset(l, 0, sizeof *l);
	if (layout_config_check(config, err) < 0)
		return -1;
	if (code_bytes == 0)
		return sb_errf(err, SB_E_TOO_SMALL, "code size 0 bytes is below the minimum 1 byte");
	if (code_bytes > SB_SNAPSHOT_MAX_BYTES)
		return sb_errf(err, SB_E_TOO_BIG,
			       "code size %llu bytes exceeds the snapshot limit %llu bytes (16 GiB - 4 KiB)",
			       (unsigned long long)code_bytes, (unsigned long long)SB_SNAPSHOT_MAX_BYTES);
	if (init_data_bytes > SB_SNAPSHOT_MAX_BYTES)
		return sb_errf(err, SB_E_TOO_BIG,
			       "init data size %llu bytes exceeds the snapshot limit %llu bytes (16 GiB - 4 KiB)",
			       (unsigned long long)init_data_bytes, (unsigned long long)SB_SNAPSHOT_MAX_BYTES);
	if (init_data_flags & ~(unsigned)LAYOUT_F_ALL)
		return sb_errf(err, SB_E_INVAL, "init data flags 0x%x have unknown bits (allowed: R=1 W=2 X=4)",
			       init_data_flags);

	/* Each term is <= 16 GiB, so neither rounding nor the sum can wrap. */
	uint64_t code_r = sb_page_round_up(code_bytes);
	uint64_t init_r = sb_page_round_up(init_data_bytes);
	uint64_t total = code_r + PEB_BYTES + config->heap_bytes + init_r;
	if (total > SB_SNAPSHOT_MAX_BYTES)
		return sb_errf(err, SB_E_TOO_BIG,
			       "snapshot size %llu bytes (code %llu + PEB %llu + heap %llu + init data %llu, "
			       "page aligned) exceeds the limit %llu bytes (16 GiB - 4 KiB)",
			       (unsigned long long)total, (unsigned long long)code_r,
			       (unsigned long long)PEB_BYTES, (unsigned long long)config->heap_bytes,
			       (unsigned long long)init_r, (unsigned long long)SB_SNAPSHOT_MAX_BYTES);

	l->config = *config;
	l->code_bytes = code_bytes;
	l->init_data_bytes = init_data_bytes;
	l->init_data_flags = init_data_flags ? init_data_flags : LAYOUT_INIT_DATA_DEFAULT_FLAGS;
	l->pt_bytes = 0;
	l->code_offset = 0;
	l->peb_offset = code_r;
	l->heap_offset = l->peb_offset + PEB_BYTES;
	l->init_data_offset = l->heap_offset + config->heap_bytes;
	l->snapshot_bytes = total;
	return 0;
}

int layout_set_pt_bytes(struct layout *l, uint64_t pt_bytes, struct sb_err *err)
{
	if (pt_bytes == 0)
		return sb_errf(err, SB_E_TOO_SMALL, "page-table size 0 bytes is below the minimum %llu bytes (one page)",
			       (unsigned long long)PAGE);
	if (pt_bytes > SB_SCRATCH_MAX_BYTES)
		return sb_errf(err, SB_E_TOO_BIG,
			       "page-table size %llu bytes exceeds the scratch limit %llu bytes (16 GiB)",
			       (unsigned long long)pt_bytes, (unsigned long long)SB_SCRATCH_MAX_BYTES);
	if (!is_page_multiple(pt_bytes))
		return sb_errf(err, SB_E_INVAL,
			       "page-table size %llu bytes is not a multiple of the page size (%llu bytes)",
			       (unsigned long long)pt_bytes, (unsigned long long)PAGE);
	if (check_scratch(&l->config, pt_bytes, err) < 0)
		return -1;
	l->pt_bytes = pt_bytes;
	return 0;
}

int layout_set_snapshot_bytes(struct layout *l, uint64_t snapshot_bytes, struct sb_err *err)
{
	if (snapshot_bytes < PAGE)
		return sb_errf(err, SB_E_TOO_SMALL, "snapshot size %llu bytes is below the minimum %llu bytes (one page)",
			       (unsigned long long)snapshot_bytes, (unsigned long long)PAGE);
	if (snapshot_bytes > SB_SNAPSHOT_MAX_BYTES)
		return sb_errf(err, SB_E_TOO_BIG, "snapshot size %llu bytes exceeds the limit %llu bytes (16 GiB - 4 KiB)",
			       (unsigned long long)snapshot_bytes, (unsigned long long)SB_SNAPSHOT_MAX_BYTES);
	if (!is_page_multiple(snapshot_bytes))
		return sb_errf(err, SB_E_INVAL,
			       "snapshot size %llu bytes is not a multiple of the page size (%llu bytes)",
			       (unsigned long long)snapshot_bytes, (unsigned long long)PAGE);
	l->snapshot_bytes = snapshot_bytes;
	return 0;
}

/* --- regions ------------------------------------------------------------- */

static const char *const region_names[LAYOUT_REGION__COUNT] = {
	[LAYOUT_REGION_CODE] = "code",
	[LAYOUT_REGION_PEB] = "PEB",
	[LAYOUT_REGION_HEAP] = "heap",
	[LAYOUT_REGION_INIT_DATA] = "init data",
	[LAYOUT_REGION_INPUT] = "input",
	[LAYOUT_REGION_OUTPUT] = "output",
	[LAYOUT_REGION_PT_COPY] = "pt copy",
	[LAYOUT_REGION_SCRATCH_FREE] = "free",
	[LAYOUT_REGION_STACK_GUARD] = "guard",
	[LAYOUT_REGION_STACK] = "stack",
	[LAYOUT_REGION_UNDO_LOG] = "undo log",
	[LAYOUT_REGION_EXN_STACK] = "exn stack",
};

const char *layout_region_name(enum layout_region_kind kind)
{
	if ((unsigned)kind >= LAYOUT_REGION__COUNT)
		return "?";
	return region_names[kind];
}

const char *layout_flags_str(unsigned flags, char buf[4])
{
	bool k = flags & LAYOUT_F_KERNEL;
	buf[0] = (flags & LAYOUT_F_READ) ? (k ? 'r' : 'R') : '-';
	buf[1] = (flags & LAYOUT_F_WRITE) ? (k ? 'w' : 'W') : '-';
	buf[2] = (flags & LAYOUT_F_EXEC) ? (k ? 'x' : 'X') : '-';
	buf[3] = '\0';
	return buf;
}

static size_t push_snapshot(struct layout_region *out, size_t n, enum layout_region_kind kind,
			    uint64_t offset, uint64_t bytes, unsigned flags)
{
	out[n] = (struct layout_region){
		.kind = kind,
		.gpa = SB_BASE_ADDRESS + offset,
		.gva = SB_BASE_ADDRESS + offset,
		.bytes = bytes,
		.flags = flags,
	};
	return n + 1;
}

size_t layout_snapshot_regions(const struct layout *l, struct layout_region out[LAYOUT_MAX_REGIONS])
{
	size_t n = 0;
	/* Code is RWX as in the system we re-create: the guest may patch it
	 * (writes go copy-on-write into scratch; the KVM slot stays read-only). */
	n = push_snapshot(out, n, LAYOUT_REGION_CODE, l->code_offset, l->peb_offset - l->code_offset,
			  LAYOUT_F_READ | LAYOUT_F_WRITE | LAYOUT_F_EXEC);
	n = push_snapshot(out, n, LAYOUT_REGION_PEB, l->peb_offset, PEB_BYTES, LAYOUT_F_READ);
	n = push_snapshot(out, n, LAYOUT_REGION_HEAP, l->heap_offset, l->config.heap_bytes,
			  LAYOUT_F_READ | LAYOUT_F_WRITE);
	if (l->init_data_bytes > 0)
		n = push_snapshot(out, n, LAYOUT_REGION_INIT_DATA, l->init_data_offset,
				  sb_page_round_up(l->init_data_bytes), l->init_data_flags);
	return n;
}

static size_t push_scratch(const struct layout *l, struct layout_region *out, size_t n,
			   enum layout_region_kind kind, uint64_t offset, uint64_t bytes)
{
	if (bytes == 0)
		return n;
	out[n] = (struct layout_region){
		.kind = kind,
		.gpa = layout_scratch_base_gpa(l) + offset,
		.gva = layout_scratch_base_gva(l) + offset,
		.bytes = bytes,
		.flags = LAYOUT_F_READ | LAYOUT_F_WRITE,
	};
	return n + 1;
}

size_t layout_scratch_regions(const struct layout *l, struct layout_region out[LAYOUT_MAX_REGIONS])
{
	size_t n = 0;
	uint64_t top = layout_top_scratch_offset(l);
	uint64_t exn = layout_exn_scratch_offset(l);
	uint64_t free_off = layout_free_scratch_offset(l);
	n = push_scratch(l, out, n, LAYOUT_REGION_INPUT, layout_input_scratch_offset(l), l->config.input_bytes);
	n = push_scratch(l, out, n, LAYOUT_REGION_OUTPUT, layout_output_scratch_offset(l), l->config.output_bytes);
	size_t pt = n;
	n = push_scratch(l, out, n, LAYOUT_REGION_PT_COPY, layout_pt_scratch_offset(l), l->pt_bytes);
	if (n > pt) /* supervisor-only in the window (snap_hide_pt_area) */
		out[pt].flags |= LAYOUT_F_KERNEL;
	n = push_scratch(l, out, n, LAYOUT_REGION_SCRATCH_FREE, free_off, top > free_off ? top - free_off : 0);
	uint64_t stack = top + SB_SCRATCH_GUARD_PAGES * PAGE;
	uint64_t undo = stack + SB_SCRATCH_STACK_PAGES * PAGE;
	n = push_scratch(l, out, n, LAYOUT_REGION_STACK_GUARD, top, SB_SCRATCH_GUARD_PAGES * PAGE);
	out[n - 1].flags = 0; /* left unmapped: a stack overflow faults */
	n = push_scratch(l, out, n, LAYOUT_REGION_STACK, stack, SB_SCRATCH_STACK_PAGES * PAGE);
	n = push_scratch(l, out, n, LAYOUT_REGION_UNDO_LOG, undo, exn - undo);
	n = push_scratch(l, out, n, LAYOUT_REGION_EXN_STACK, exn, SB_SCRATCH_EXN_PAGES * PAGE);
	return n;
}

/* --- writing the image ----------------------------------------------------- */

void layout_peb(const struct layout *l, struct sb_peb *peb)
{
	memset(peb, 0, sizeof *peb);
	peb->input.size = l->config.input_bytes;
	peb->input.gva = layout_input_gva(l);
	peb->output.size = l->config.output_bytes;
	peb->output.gva = layout_output_gva(l);
	if (l->init_data_bytes > 0) {
		peb->init_data.size = l->init_data_bytes;
		peb->init_data.gva = layout_init_data_gva(l);
	}
	peb->heap.size = l->config.heap_bytes;
	peb->heap.gva = layout_heap_gva(l);
}

/* Does [offset, offset + bytes) fit in mem_bytes? (no wrap) */
static bool fits(uint64_t offset, uint64_t bytes, uint64_t mem_bytes)
{
	return offset <= mem_bytes && bytes <= mem_bytes - offset;
}

int layout_write_peb(const struct layout *l, void *mem, size_t mem_bytes, struct sb_err *err)
{
	if (!mem)
		return sb_errf(err, SB_E_INVAL, "writing the PEB: snapshot image is NULL");
	if (!fits(l->peb_offset, sizeof(struct sb_peb), mem_bytes))
		return sb_errf(err, SB_E_RANGE,
			       "writing the PEB: it needs image bytes %llu..%llu but the image is %llu bytes",
			       (unsigned long long)l->peb_offset,
			       (unsigned long long)(l->peb_offset + sizeof(struct sb_peb)),
			       (unsigned long long)mem_bytes);
	struct sb_peb peb;
	layout_peb(l, &peb);
	memcpy((unsigned char *)mem + l->peb_offset, &peb, sizeof peb);
	return 0;
}

int layout_write_init_data(const struct layout *l, void *mem, size_t mem_bytes, const void *data,
			   size_t data_bytes, struct sb_err *err)
{
	if (data_bytes != l->init_data_bytes)
		return sb_errf(err, SB_E_INVAL, "writing init data: got %llu bytes, the layout has %llu",
			       (unsigned long long)data_bytes, (unsigned long long)l->init_data_bytes);
	if (data_bytes == 0)
		return 0;
	if (!mem || !data)
		return sb_errf(err, SB_E_INVAL, "writing init data: NULL buffer");
	if (!fits(l->init_data_offset, data_bytes, mem_bytes))
		return sb_errf(err, SB_E_RANGE,
			       "writing init data: it needs image bytes %llu..%llu but the image is %llu bytes",
			       (unsigned long long)l->init_data_offset,
			       (unsigned long long)(l->init_data_offset + data_bytes), (unsigned long long)mem_bytes);
	memcpy((unsigned char *)mem + l->init_data_offset, data, data_bytes);
	return 0;
}

static void put_word(void *scratch, uint64_t scratch_bytes, uint64_t k, uint64_t value)
{
	memcpy((unsigned char *)scratch + sb_scratch_top_offset(scratch_bytes, k), &value, sizeof value);
}

int layout_write_bookkeeping(const struct layout *l, void *scratch_mem, size_t scratch_mem_bytes,
			     uint64_t generation, struct sb_err *err)
{
	if (!scratch_mem)
		return sb_errf(err, SB_E_INVAL, "writing bookkeeping: scratch memory is NULL");
	if (scratch_mem_bytes != l->config.scratch_bytes)
		return sb_errf(err, SB_E_INVAL,
			       "writing bookkeeping: scratch memory is %llu bytes, the layout's scratch is %llu",
			       (unsigned long long)scratch_mem_bytes, (unsigned long long)l->config.scratch_bytes);
	uint64_t s = l->config.scratch_bytes;
	put_word(scratch_mem, s, SB_SCRATCH_TOP_SIZE, s);
	put_word(scratch_mem, s, SB_SCRATCH_TOP_ALLOCATOR, layout_first_free_scratch_gpa(l));
	put_word(scratch_mem, s, SB_SCRATCH_TOP_PT_GPA, layout_pt_base_gpa(l));
	put_word(scratch_mem, s, SB_SCRATCH_TOP_GENERATION, generation);
	return 0;
}

/* --- resolving ---------------------------------------------------------------- */

static bool in_range(gpa_t gpa, gpa_t base, uint64_t bytes)
{
	return gpa >= base && gpa - base < bytes;
}

bool layout_resolve_gpa(const struct layout *l, gpa_t gpa, const struct layout_extra_region *extra,
			size_t n_extra, struct layout_resolved *out)
{
	gpa_t scratch = layout_scratch_base_gpa(l);
	if (in_range(gpa, scratch, l->config.scratch_bytes)) {
		*out = (struct layout_resolved){ .base = LAYOUT_GPA_SCRATCH, .offset = gpa - scratch };
		return true;
	}
	if (in_range(gpa, SB_BASE_ADDRESS, l->snapshot_bytes)) {
		*out = (struct layout_resolved){ .base = LAYOUT_GPA_SNAPSHOT, .offset = gpa - SB_BASE_ADDRESS };
		return true;
	}
	for (size_t i = 0; extra && i < n_extra; i++) {
		if (in_range(gpa, extra[i].gpa, extra[i].bytes)) {
			*out = (struct layout_resolved){
				.base = LAYOUT_GPA_EXTRA,
				.extra_index = i,
				.offset = gpa - extra[i].gpa,
			};
			return true;
		}
	}
	return false;
}
