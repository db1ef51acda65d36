/* freestanding_main.c — proves the vmem core links and runs with no libc:
 * built with the guest's flags, linked -nostdlib -static against
 * vmem_freestanding_lib, entered at _start, exits through the raw syscall
 * with 0 if map + walk round-trip over a static table pool. */
#include "pt.h"

#define POOL_TABLES 8
#define POOL_GPA 0x200000ull

static uint64_t pool[POOL_TABLES][512] __attribute__((aligned(4096)));
static unsigned pool_used = 1; /* table 0 = root */

static pt_entry_t rd(void *ctx, gpa_t gpa, unsigned n)
{
	(void)ctx;
	if (n != 8 || gpa < POOL_GPA || gpa - POOL_GPA >= sizeof pool)
		return 0;
	return pool[(gpa - POOL_GPA) / 4096][(gpa % 4096) / 8];
}

static enum pt_status wr(void *ctx, gpa_t gpa, unsigned n, pt_entry_t e)
{
	(void)ctx;
	if (n != 8 || gpa < POOL_GPA || gpa - POOL_GPA >= sizeof pool)
		return PT_E_INVAL;
	pool[(gpa - POOL_GPA) / 4096][(gpa % 4096) / 8] = e;
	return PT_OK;
}

static enum pt_status alloc(void *ctx, gpa_t *t)
{
	(void)ctx;
	if (pool_used == POOL_TABLES)
		return PT_E_NOMEM;
	*t = POOL_GPA + 4096ull * pool_used++;
	return PT_OK;
}

static gpa_t root(void *ctx)
{
	(void)ctx;
	return POOL_GPA;
}

static const struct pt_ops ops = {rd, wr, alloc, root};

static int run(void)
{
	struct pt pt = {&pt_format_x86_64, &ops, 0};
	struct pt_mapping m = {0x5000, 0xFFFFFFFFFFFF0000ull, 0x3000, {PT_KIND_COW, 1, 0, 0}, 0};
	if (pt_map(&pt, &m) != PT_OK)
		return 1;
	struct pt_walk w;
	struct pt_mapping got;
	unsigned n = 0;
	pt_walk_begin_all(&w, &pt, POOL_GPA);
	while (pt_walk_next(&w, &got)) {
		if (got.virt != m.virt + n * 4096ull || got.phys != m.phys + n * 4096ull ||
		    got.kind.tag != PT_KIND_COW)
			return 2;
		n++;
	}
	return n == 3 && pt_walk_status(&w) == PT_OK && pool_used == 4 ? 0 : 3;
}

__attribute__((noreturn)) void _start(void)
{
	long code = run();
	__asm__ volatile("syscall" : : "a"(60L), "D"(code) : "rcx", "r11", "memory");
	__builtin_unreachable();
}
