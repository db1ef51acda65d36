/* test_sandbox_memory.c — sandbox_read_gva on real sandboxes: a word a
 * call wrote into the heap (a copy-on-write copy, or under host-cow the
 * private copy) reads back through the live tables, across a page
 * boundary too; after a restore the snapshot's bytes read again; the PEB
 * and the host's entry page read as mapped; unmapped and non-canonical
 * VAs are errors naming them; and a ring-0 guest's hostile tables (a leaf
 * pointing outside guest memory, CR3 moved to nothing) give errors, never
 * a read of host memory. Runs once per restore strategy (meson).
 * Usage: test_sandbox_memory TESTGUEST_ELF */
#include <string.h>

#include "fixture.h"
#include "layout.h"
#include "pt.h"
#include "sandbox_abi.h"
#include "snapshot.h"

static struct snapshot *elf;

static void poke(struct sandbox *sb, uint64_t gva, uint64_t v)
{
	struct sb_err err;
	if (!CHECK_I64(call_u64s(sb, "poke", (uint64_t[]){ gva, v }, 2, NULL, &err), 0))
		fprintf(stderr, "  poke 0x%llx: %s\n", (unsigned long long)gva, err.msg);
}

static void test_live(void)
{
	struct sandbox *sb = fixture_sandbox(elf, NULL);
	const struct layout *l = &elf->layout;
	struct sb_err err;
	uint8_t buf[64];
	/* before any call: the PEB as the snapshot holds it */
	gva_t peb = layout_peb_gva(l);
	if (CHECK_I64(sandbox_read_gva(sb, peb, buf, sizeof buf, &err), 0))
		CHECK(memcmp(buf, elf->image + (peb - SB_BASE_ADDRESS), sizeof buf) == 0);
	else
		fprintf(stderr, "  PEB: %s\n", err.msg);
	struct snapshot *s = fixture_snapshot_of(sb);

	/* a word in the heap, and one across the boundary of two heap pages */
	gva_t va = layout_heap_gva(l) + 5 * SB_PAGE_SIZE + 0x100;
	gva_t across = layout_heap_gva(l) + 7 * SB_PAGE_SIZE - 4;
	poke(sb, va, 0x1122334455667788ull);
	poke(sb, across, 0x0102030405060708ull);
	const uint8_t want[12] = { 0, 0, 0, 0, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11 };
	if (CHECK_I64(sandbox_read_gva(sb, va - 4, buf, 12, &err), 0))
		CHECK(memcmp(buf, want, 12) == 0);
	else
		fprintf(stderr, "  heap: %s\n", err.msg);
	const uint8_t want2[8] = { 8, 7, 6, 5, 4, 3, 2, 1 };
	if (CHECK_I64(sandbox_read_gva(sb, across, buf, 8, &err), 0))
		CHECK(memcmp(buf, want2, 8) == 0);
	/* the restore brings the snapshot's bytes back, and so does the read */
	if (fixture_restore(sb, s) && CHECK_I64(sandbox_read_gva(sb, va - 4, buf, 12, &err), 0)) {
		static const uint8_t zero[12];
		CHECK(memcmp(buf, zero, 12) == 0);
	}

	/* the host's entry page: fxrstor64 (48 0f ae) first */
	if (CHECK_I64(sandbox_read_gva(sb, SB_ENTRY_PAGE_GVA, buf, 3, &err), 0))
		CHECK(buf[0] == 0x48 && buf[1] == 0x0f && buf[2] == 0xae);
	else
		fprintf(stderr, "  entry page: %s\n", err.msg);

	/* unmapped, non-canonical, wrapping */
	CHECK_I64(sandbox_read_gva(sb, 0x10, buf, 1, &err), -1);
	CHECK_CONTAINS(err.msg, "VA 0x10 not mapped");
	gva_t end = layout_heap_gva(l) + layout_heap_bytes(l);
	CHECK_I64(sandbox_read_gva(sb, end - 2, buf, 4, &err), -1);
	char msg[64];
	snprintf(msg, sizeof msg, "VA 0x%llx not mapped", (unsigned long long)end);
	CHECK_CONTAINS(err.msg, msg);
	CHECK_I64(sandbox_read_gva(sb, 0x0000800000000000ull, buf, 1, &err), -1);
	CHECK_CONTAINS(err.msg, "non-canonical");
	CHECK_I64(sandbox_read_gva(sb, ~0ull - 1, buf, 4, &err), -1);
	CHECK_CONTAINS(err.msg, "wraps around");
	snap_unref(s);
	sandbox_destroy(sb);
}

static void test_hostile(void)
{
	struct sandbox_config c = fixture_config_in(SANDBOX_MODE_KERNEL);
	struct sandbox *sb = fixture_sandbox(elf, &c);
	const struct layout *l = &elf->layout;
	struct sb_err err;
	uint8_t buf[16];
	/* a heap leaf pointed 8 TiB up: the read names the GPA and stops */
	gva_t va = layout_heap_gva(l) + 3 * SB_PAGE_SIZE;
	uint64_t entry_gva = 0, entry = 0;
	if (!CHECK_I64(call_u64s(sb, "pt_leaf", (uint64_t[]){ va, 0 }, 2, &entry_gva, &err), 0) ||
	    !CHECK_I64(call_u64s(sb, "pt_leaf", (uint64_t[]){ va, 1 }, 2, &entry, &err), 0)) {
		fprintf(stderr, "  pt_leaf: %s\n", err.msg);
		goto out;
	}
	gpa_t far = 0x80000000000ull;
	poke(sb, entry_gva, (entry & ~PT_X86_64_ADDR_MASK) | far);
	CHECK_I64(sandbox_read_gva(sb, va + 8, buf, 8, &err), -1);
	char msg[128];
	snprintf(msg, sizeof msg, "VA 0x%llx maps GPA 0x%llx outside guest memory",
		 (unsigned long long)va + 8, (unsigned long long)far + 8);
	CHECK_CONTAINS(err.msg, msg);
	/* the page before it still reads */
	CHECK_I64(sandbox_read_gva(sb, va - 8, buf, 8, &err), 0);

	/* PML4[2] at a table 512 GiB up (nothing there: not present), PML4[1]
	 * at the PML4 itself (a loop: four reads, then a "page" that is a
	 * table of scratch, which is guest memory) */
	gva_t pml4 = sb_scratch_gpa_to_gva(layout_pt_base_gpa(l));
	poke(sb, pml4 + 16, (1ull << 39) | 0x3);
	poke(sb, pml4 + 8, layout_pt_base_gpa(l) | 0x3);
	CHECK_I64(sandbox_read_gva(sb, 2ull << 39, buf, 8, &err), -1);
	CHECK_CONTAINS(err.msg, "VA 0x10000000000 not mapped");
	gva_t loop_va = 1ull << 39 | 1ull << 30 | 1ull << 21 | 1ull << 12;
	if (CHECK_I64(sandbox_read_gva(sb, loop_va, buf, 8, &err), 0)) {
		/* PML4[1] -> PML4 as PDPT, [1] -> PML4 as PD, [1] -> PML4 as PT,
		 * [1] -> the PML4 page itself: its entry 0 first */
		pt_entry_t e0;
		memcpy(&e0, buf, 8);
		CHECK(e0 & PT_P);
	} else {
		fprintf(stderr, "  loop: %s\n", err.msg);
	}

	/* CR3 moved to nothing: the call fails, the sandbox is poisoned, and
	 * a read through that CR3 finds nothing mapped */
	CHECK(call_u64s(sb, "cr3_garbage", (uint64_t[]){ 0x7FFF0000000ull }, 1, NULL, &err) != 0);
	CHECK_U64(sandbox_status(sb), SANDBOX_POISONED);
	CHECK_I64(sandbox_read_gva(sb, layout_peb_gva(l), buf, 8, &err), -1);
	CHECK_CONTAINS(err.msg, "CR3 0x7fff0000000");
	CHECK_CONTAINS(err.msg, "not mapped");
out:
	sandbox_destroy(sb);
}

int main(int argc, char **argv)
{
	elf = fixture_main(argc, argv, "TESTGUEST_ELF");
	FIXTURE_RUN("MEMORY_ONLY", "live", test_live());
	FIXTURE_RUN("MEMORY_ONLY", "hostile", test_hostile());
	snap_unref(elf);
	return check_done();
}
