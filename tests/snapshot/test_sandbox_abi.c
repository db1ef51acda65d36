/* test_sandbox_abi.c — common/sandbox_abi.h, built with -ffreestanding and
 * included before anything else, so it must stand on <stdint.h> alone.
 * Expected values are literals from DESIGN.md §2. */
#include "sandbox_abi.h"

#include "check.h"

int main(void)
{
	static const struct {
		uint64_t scratch;
		uint64_t base_gpa, base_gva, min_io_16k;
	} cases[] = {
		{ 0x48000, 0xFFFFB8000ull, 0xFFFFFFFFFFFB7000ull, 0 },
		{ 0xD000, 0xFFFFF3000ull, 0xFFFFFFFFFFFF2000ull, 0 },
		{ 0x400000000ull, 0xC00000000ull, 0xFFFFFFFBFFFFF000ull, 0 },
	};
	for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		uint64_t s = cases[i].scratch;
		CHECK_U64(sb_scratch_base_gpa(s), cases[i].base_gpa);
		CHECK_U64(sb_scratch_base_gva(s), cases[i].base_gva);
		CHECK_U64(sb_scratch_gpa_to_gva(cases[i].base_gpa), cases[i].base_gva);
		CHECK_U64(sb_scratch_gva_to_gpa(cases[i].base_gva), cases[i].base_gpa);
		/* the last scratch byte: GPA 2^36-1, GVA one page + 1 below 2^64 */
		CHECK_U64(sb_scratch_gpa_to_gva(0xFFFFFFFFFull), 0xFFFFFFFFFFFFEFFFull);
		CHECK_U64(sb_scratch_top_offset(s, SB_SCRATCH_TOP_SIZE), s - 8);
		CHECK_U64(sb_scratch_top_offset(s, SB_SCRATCH_TOP_EXN_STACK), s - 0x30);
	}
	CHECK_U64(SB_BASE_ADDRESS, 0x1000);
	CHECK_U64(SB_GPA_SPACE_BYTES, 0x1000000000ull);
	CHECK_U64(SB_SCRATCH_TOP_SIZE, 0x08);
	CHECK_U64(SB_SCRATCH_TOP_ALLOCATOR, 0x10);
	CHECK_U64(SB_SCRATCH_TOP_PT_GPA, 0x18);
	CHECK_U64(SB_SCRATCH_TOP_GENERATION, 0x20);
	CHECK_U64(SB_SCRATCH_TOP_EXN_STACK, 0x30);
	CHECK_U64(sb_scratch_top_gva(SB_SCRATCH_TOP_SIZE), 0xFFFFFFFFFFFFEFF8ull);
	CHECK_U64(sb_scratch_top_gva(SB_SCRATCH_TOP_ALLOCATOR), 0xFFFFFFFFFFFFEFF0ull);
	CHECK_U64(sb_exn_stack_top_gva(), 0xFFFFFFFFFFFFEFD0ull);
	CHECK_U64(sb_exn_stack_top_gva() % 16, 0);
	CHECK_U64(SB_SNAPSHOT_MAX_BYTES, 17179865088ull);
	CHECK_U64(SB_SCRATCH_MAX_BYTES, 17179869184ull);
	/* minimum scratch: page-rounded I/O + 30 pages (20 top pages: guard,
	 * 16 stack, undo log, 2 exception stack + bookkeeping; 10 to allocate) */
	CHECK_U64(SB_SCRATCH_TOP_PAGES, 20);
	CHECK_U64(sb_min_scratch_bytes(16384, 16384), 32768 + 30 * 4096);
	CHECK_U64(sb_min_scratch_bytes(5000, 3000), 8192 + 30 * 4096);
	CHECK_U64(sb_min_scratch_bytes(16, 16), 4096 + 30 * 4096);
	CHECK_U64(sb_undo_log_gva(), 0xFFFFFFFFFFFFC000ull);
	CHECK_U64(sb_call_stack_top_gva(), 0xFFFFFFFFFFFFC000ull);
	CHECK_U64(sb_stack_guard_gva(), 0xFFFFFFFFFFFEB000ull);
	CHECK_U64(sb_stack_guard_offset(0x48000), 0x48000 - 20 * 4096);
	CHECK_U64(sb_scratch_pt_offset(4096, 4096), 8192);
	CHECK_U64(sb_scratch_pt_offset(4096, 4097), 12288);
	CHECK_U64(sizeof(struct sb_peb), 64);
	return check_done();
}
