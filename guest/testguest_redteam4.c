/* testguest_redteam4.c — the fourth red-team pass, for
 * tests/sandbox/test_sandbox_redteam4.c: the retain and rewind restore
 * strategies. Linked into its own ELF, build/guest/testguest_redteam4, with
 * the test guest's and the first three red-team passes' functions
 * (registered through -Wl,--wrap=sb_guest_main, guest/meson.build: see the
 * bottom of this file).
 *
 *   rt4_top_copy(k)      ring 3: move the allocator word to the last page
 *                        the allocator may hand out, then write page k of
 *                        rt4_pages (copy-on-write): the copy lands at the
 *                        top of the free area. Returns the copy's GPA as
 *                        the allocator word says (word before the write).
 *   rt4_touch(mask)      ring 3: write one byte in each page k of rt4_pages
 *                        whose bit k is set (each a copy-on-write fault the
 *                        first time); returns how many pages it wrote.
 *   rt4_arm_replay(mode) ring 3: patch the first bytes of the runtime's
 *                        rewind entry (sb_runtime_rewind; the code region is
 *                        copy-on-write, so this edits the page tables) to
 *                        jump to rt4_replay, and remember `mode`:
 *                          1: call host function "rt4_note"(mode) and end
 *                             the replay as the runtime does (OUT DONE)
 *                          2: loop forever (until the host's deadline)
 *                          3: log a record, then end the replay
 *   rt4_alloc_word()     the allocator word.
 */
#include "arch.h"
#include "internal.h"

#define RT4_PAGES 8
static volatile uint8_t rt4_pages[RT4_PAGES][SB_PAGE_SIZE]
	__attribute__((aligned(SB_PAGE_SIZE))) = { [0][0] = 1 };

static volatile uint64_t rt4_mode;

static volatile uint64_t *rt4_top_word(uint64_t k)
{
	return (volatile uint64_t *)(uintptr_t)sb_scratch_top_gva(k);
}

static int fn_rt4_top_copy(const struct sb_value *args, struct sb_value *ret,
			   struct sb_guest_error *err)
{
	(void)err;
	uint64_t size = *rt4_top_word(SB_SCRATCH_TOP_SIZE);
	gpa_t base = sb_scratch_base_gpa(size);
	gpa_t limit = base + size - SB_SCRATCH_TOP_PAGES * SB_PAGE_SIZE;
	*rt4_top_word(SB_SCRATCH_TOP_ALLOCATOR) = limit - SB_PAGE_SIZE;
	rt4_pages[args[0].as.u64 % RT4_PAGES][8] = 0x5a;
	ret->as.u64 = limit - SB_PAGE_SIZE;
	return 0;
}

static int fn_rt4_touch(const struct sb_value *args, struct sb_value *ret,
			struct sb_guest_error *err)
{
	(void)err;
	uint64_t n = 0;
	for (unsigned k = 0; k < RT4_PAGES; k++)
		if (args[0].as.u64 >> k & 1) {
			rt4_pages[k][16] = (uint8_t)(k + 1);
			n++;
		}
	ret->as.u64 = n;
	return 0;
}

static int fn_rt4_alloc_word(const struct sb_value *args, struct sb_value *ret,
			     struct sb_guest_error *err)
{
	(void)args;
	(void)err;
	ret->as.u64 = *rt4_top_word(SB_SCRATCH_TOP_ALLOCATOR);
	return 0;
}

/* Ring 0, on the restore stack, with the guest's tables as the last call
 * left them: entered from the patched sb_runtime_rewind. */
__attribute__((noreturn, used)) void rt4_replay(void)
{
	uint64_t mode = rt4_mode;
	if (mode == 1) {
		struct sb_value a = { .type = SB_T_U64, .as.u64 = mode }, r;
		struct sb_guest_error e;
		sb_host_call("rt4_note", &a, 1, &r, &e);
	} else if (mode == 2) {
		for (;;)
			__asm__ volatile("" ::: "memory");
	} else if (mode == 3) {
		sb_log(1, "rt4: logged from the replay, during sandbox_restore");
	}
	outb(SB_PORT_DONE, 0);
	halt_forever();
}

void sb_runtime_rewind(void);

static int fn_rt4_arm_replay(const struct sb_value *args, struct sb_value *ret,
			     struct sb_guest_error *err)
{
	(void)err;
	rt4_mode = args[0].as.u64;
	uint64_t target = (uint64_t)(uintptr_t)rt4_replay;
	volatile uint8_t *p = (volatile uint8_t *)(uintptr_t)sb_runtime_rewind;
	/* movabs $target, %rax; jmp *%rax */
	p[0] = 0x48;
	p[1] = 0xB8;
	for (int i = 0; i < 8; i++)
		p[2 + i] = (uint8_t)(target >> (8 * i));
	p[10] = 0xFF;
	p[11] = 0xE0;
	ret->as.u64 = target;
	return 0;
}

#define U SB_T_U64
static const struct sb_guest_function defs4[] = {
	{ "rt4_top_copy", 1, { U }, U, fn_rt4_top_copy },
	{ "rt4_touch", 1, { U }, U, fn_rt4_touch },
	{ "rt4_alloc_word", 0, { SB_T_VOID }, U, fn_rt4_alloc_word },
	{ "rt4_arm_replay", 1, { U }, U, fn_rt4_arm_replay },
};

/* Registration: this ELF compiles testguest_redteam3.c with
 * -D__wrap_sb_guest_main=rt3_wrap_sb_guest_main (guest/meson.build), so the
 * runtime's call to sb_guest_main (wrapped by -Wl,--wrap=sb_guest_main)
 * lands here; the first three passes register first. */
#undef __wrap_sb_guest_main
void rt3_wrap_sb_guest_main(void);
void __wrap_sb_guest_main(void);
void __wrap_sb_guest_main(void)
{
	rt3_wrap_sb_guest_main();
	for (unsigned i = 0; i < sizeof defs4 / sizeof defs4[0]; i++)
		sb_register(&defs4[i]);
}
