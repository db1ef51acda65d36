/* testguest.c — the guest the tests and the workbench run by default.
 *
 * Each function exercises one part of the runtime: the call protocol
 * (echo, add, fneg, f32_bits), copy-on-write (touch_pages, fill_heap), snapshot
 * generations (read_generation), guest->host calls (call_host), logging
 * (log_message), cancellation (spin) and every fault kind the host must
 * turn into a typed error.
 */
#include "arch.h"
#include "internal.h"

#define FN(n, r, ...) \
	static int fn_##n(const struct sb_value *args, struct sb_value *ret, \
			  struct sb_guest_error *err)

FN(echo, bytes)
{
	(void)err;
	ret->as.buf = args[0].as.buf;
	return 0;
}

FN(add, i64)
{
	(void)err;
	ret->as.i64 = args[0].as.i64 + args[1].as.i64;
	return 0;
}

/* Floating-point values travel as bits: guests here are built without
 * SSE (our nested KVM raises #UD on SSE instructions, see guest/meson.build),
 * so these only move and flip bits. */
FN(fneg, f64)
{
	(void)err;
	uint64_t bits;
	memcpy(&bits, &args[0].as.f64, 8);
	bits ^= 1ull << 63;
	memcpy(&ret->as.f64, &bits, 8);
	return 0;
}

FN(f32_bits, u32)
{
	(void)err;
	memcpy(&ret->as.u32, &args[0].as.f32, 4);
	return 0;
}

/* Dirty n distinct heap pages; return a checksum read back from them. */
FN(touch_pages, u64)
{
	uint64_t n = args[0].as.u64;
	uint8_t *heap = sb_heap_base();
	if (n > sb_heap_bytes() / SB_PAGE_SIZE) {
		sb_error_set(err, SB_CALL_E_BAD_ARGUMENTS, "more pages than the heap has");
		return -1;
	}
	for (uint64_t i = 0; i < n; i++)
		*(volatile uint64_t *)(heap + i * SB_PAGE_SIZE) = (i + 1) * 0x9E3779B97F4A7C15ull;
	uint64_t sum = 0;
	for (uint64_t i = 0; i < n; i++)
		sum += *(volatile uint64_t *)(heap + i * SB_PAGE_SIZE);
	ret->as.u64 = sum;
	return 0;
}

/* Add to the first word of n distinct heap pages; return their sum. Unlike
 * touch_pages, a page's content after the call differs from the snapshot's
 * whatever it was, as a real request's writes would: a restore cannot find
 * the page unchanged and skip it (restore-strategy benchmarks). */
FN(bump_pages, u64)
{
	uint64_t n = args[0].as.u64;
	uint8_t *heap = sb_heap_base();
	if (n > sb_heap_bytes() / SB_PAGE_SIZE) {
		sb_error_set(err, SB_CALL_E_BAD_ARGUMENTS, "more pages than the heap has");
		return -1;
	}
	uint64_t sum = 0;
	for (uint64_t i = 0; i < n; i++) {
		volatile uint64_t *w = (volatile uint64_t *)(heap + i * SB_PAGE_SIZE);
		*w += (i + 1) * 0x9E3779B97F4A7C15ull;
		sum += *w;
	}
	ret->as.u64 = sum;
	return 0;
}

/* Fill the first `bytes` of the heap with a pattern; return a checksum. */
FN(fill_heap, u64)
{
	uint64_t bytes = args[0].as.u64;
	if (bytes > sb_heap_bytes()) {
		sb_error_set(err, SB_CALL_E_BAD_ARGUMENTS, "more bytes than the heap has");
		return -1;
	}
	uint8_t *heap = sb_heap_base();
	memset(heap, 0x5A, bytes);
	uint64_t sum = 0;
	for (uint64_t i = 0; i < bytes; i += SB_PAGE_SIZE)
		sum += heap[i];
	ret->as.u64 = sum;
	return 0;
}

/* A checksum of the first n heap pages, reading only (no CoW faults). */
FN(heap_sum, u64)
{
	uint64_t n = args[0].as.u64;
	if (n > sb_heap_bytes() / SB_PAGE_SIZE) {
		sb_error_set(err, SB_CALL_E_BAD_ARGUMENTS, "more pages than the heap has");
		return -1;
	}
	const volatile uint64_t *w = sb_heap_base();
	uint64_t h = 1469598103934665603ull;
	for (uint64_t i = 0; i < n * SB_PAGE_SIZE / 8; i++)
		h = (h ^ w[i]) * 1099511628211ull;
	ret->as.u64 = h;
	return 0;
}

/* Map the first heap page a second time, at `va` (an alias: one physical
 * page at two addresses). Returns the word read through the new address.
 * Both the lookup and the edit go through the runtime's page-table gate:
 * guest code cannot touch the tables itself (guest/ptgate.c). */
FN(alias_heap_page, u64)
{
	gva_t va = args[0].as.u64;
	struct pt_leaf leaf;
	if (sb_lookup_page((gva_t)(uintptr_t)sb_heap_base(), &leaf) != PT_OK) {
		sb_error_set(err, SB_CALL_E_FAILED, "heap page not mapped");
		return -1;
	}
	struct pt_kind k = pt_entry_kind(&pt_format_x86_64, leaf.entry);
	unsigned flags = (k.writable ? SB_MAP_WRITE : 0) | (k.executable ? SB_MAP_EXEC : 0) |
			 (k.tag == PT_KIND_COW ? SB_MAP_COW : 0);
	if ((va & (SB_PAGE_SIZE - 1)) ||
	    sb_map_pages(va, leaf.entry & PT_X86_64_ADDR_MASK, 1, flags) != PT_OK) {
		sb_error_set(err, SB_CALL_E_BAD_ARGUMENTS, "cannot map the alias there");
		return -1;
	}
	ret->as.u64 = *(volatile uint64_t *)(uintptr_t)va;
	return 0;
}

/* Map `pages` pages of guest-physical memory at `gpa` (an extra region the
 * host mapped) read-only at `va`, through the page-table gate. */
FN(map_gpa, u64)
{
	enum pt_status st = sb_map_pages(args[1].as.u64, args[0].as.u64, args[2].as.u64, 0);
	if (st != PT_OK) {
		sb_error_set(err, SB_CALL_E_BAD_ARGUMENTS, pt_strerror(st));
		return -1;
	}
	ret->as.u64 = args[2].as.u64;
	return 0;
}

/* Read one word at any address (faults like any access would). */
FN(peek, u64)
{
	(void)err;
	ret->as.u64 = *(volatile uint64_t *)(uintptr_t)args[0].as.u64;
	return 0;
}

/* The x87 control word: set it (if `set` is non-zero), return it. For the
 * test that a restore resets FPU state. */
FN(fpu_control, u64)
{
	(void)err;
	uint16_t cw = (uint16_t)args[0].as.u64;
	if (cw)
		__asm__ volatile("fldcw %0" : : "m"(cw));
	__asm__ volatile("fnstcw %0" : "=m"(cw));
	ret->as.u64 = cw;
	return 0;
}

/* The SSE state ring 3 can change: returns MXCSR << 32 | the low 32 bits
 * of XMM0 as they were; with x != 0, then sets XMM0 to x and MXCSR's
 * rounding control to x's bits 13-14 (the rest of MXCSR at its default). */
FN(sse_state, u64)
{
	(void)err;
	uint64_t x = args[0].as.u64;
	uint32_t mxcsr, lo;
	__asm__ volatile("stmxcsr %0\n\tmovd %%xmm0, %1" : "=m"(mxcsr), "=r"(lo));
	if (x) {
		uint32_t m = 0x1f80u | ((uint32_t)x & 0x6000u);
		/* xmm0 is not the compiler's: the guest is built without SSE */
		__asm__ volatile("ldmxcsr %0\n\tmovq %1, %%xmm0" : : "m"(m), "r"(x));
	}
	ret->as.u64 = (uint64_t)mxcsr << 32 | lo;
	return 0;
}

FN(read_generation, u64)
{
	(void)args;
	(void)err;
	ret->as.u64 = sb_generation();
	return 0;
}

/* Pages the scratch allocator has handed out so far (its word, as a GPA). */
FN(scratch_next_free, u64)
{
	(void)args;
	(void)err;
	ret->as.u64 = sb_scratch_next_free_gpa();
	return 0;
}

/* call_host(name, x): call host function `name` with one i64, return its i64. */
FN(call_host, i64)
{
	char name[SB_NAME_MAX + 1];
	uint32_t n = args[0].as.buf.len;
	if (n > SB_NAME_MAX) {
		sb_error_set(err, SB_CALL_E_BAD_ARGUMENTS, "host function name too long");
		return -1;
	}
	memcpy(name, args[0].as.buf.ptr, n);
	name[n] = '\0';
	struct sb_value arg = args[1];
	struct sb_value r;
	int rc = sb_host_call(name, &arg, 1, &r, err);
	/* Our arguments must outlive the host call (guest.h), whatever it replied. */
	if (args[0].as.buf.len != n || memcmp(args[0].as.buf.ptr, name, n) != 0) {
		sb_error_set(err, SB_CALL_E_FAILED, "the host call's reply overwrote our arguments");
		return -1;
	}
	if (rc != 0)
		return -1;
	if (r.type != SB_T_I64) {
		sb_error_set(err, SB_CALL_E_HOST, "host function did not return an i64");
		return -1;
	}
	ret->as.i64 = r.as.i64;
	return 0;
}

FN(log_message, void)
{
	(void)ret;
	(void)err;
	char msg[256];
	uint32_t n = args[0].as.buf.len < 255 ? args[0].as.buf.len : 255;
	memcpy(msg, args[0].as.buf.ptr, n);
	msg[n] = '\0';
	sb_log(3, msg);
	return 0;
}

/* n bare exits: OUTs to the debug port, which the host answers at once.
 * Used to measure one exit round trip in a real sandbox (long mode). */
FN(debug_exits, u64)
{
	(void)err;
	uint64_t n = args[0].as.u64;
	for (uint64_t i = 0; i < n; i++)
		outb(SB_PORT_DEBUG_CHAR, 0);
	ret->as.u64 = n;
	return 0;
}

FN(spin, void)
{
	(void)args;
	(void)ret;
	(void)err;
	for (;;)
		__asm__ volatile("pause");
	return 0;
}

FN(write_peb, void)
{
	(void)args;
	(void)ret;
	(void)err;
	*(volatile uint64_t *)(uintptr_t)sb_rt.peb = 1;
	return 0;
}

FN(null_deref, i64)
{
	(void)args;
	(void)err;
	ret->as.i64 = *(volatile int64_t *)(uintptr_t)args[0].as.u64;
	return 0;
}

FN(divide, i64)
{
	(void)err;
	volatile int64_t d = args[1].as.i64;
	ret->as.i64 = args[0].as.i64 / d;
	return 0;
}

static __attribute__((noinline)) uint64_t recurse(uint64_t depth)
{
	volatile uint8_t frame[512];
	frame[0] = (uint8_t)depth;
	if (depth == UINT64_MAX) /* never: the stack runs out long before */
		return 0;
	return recurse(depth + 1) + frame[0];
}

FN(stack_overflow, u64)
{
	(void)args;
	(void)err;
	ret->as.u64 = recurse(0);
	return 0;
}

FN(exhaust_scratch, void)
{
	(void)args;
	(void)ret;
	(void)err;
	for (;;)
		sb_scratch_alloc_page(); /* aborts when scratch runs out */
	return 0;
}

/* A hostile guest: leave a broken output buffer and report "done".
 * mode 0: stack pointer = value; 1: a record whose back-pointer = value;
 * 2: a well-framed record of `value` garbage bytes; 3: host call with a
 * corrupt stack pointer; 4: OUT to an unknown port. */
FN(corrupt_output, void)
{
	(void)ret;
	(void)err;
	uint64_t mode = args[0].as.u64, value = args[1].as.u64;
	uint8_t *out = sb_rt.output;
	uint64_t sp = 8;
	switch (mode) {
	case 0:
		memcpy(out, &value, 8);
		break;
	case 1:
		memset(out + 8, 0x02, 8);
		memcpy(out + 16, &value, 8);
		sp = 24;
		memcpy(out, &sp, 8);
		break;
	case 2: {
		uint64_t n = value < 256 ? value : 256;
		memset(out + 8, 0xEE, n);
		memcpy(out + 8 + n, &sp, 8);
		sp = 8 + n + 8;
		memcpy(out, &sp, 8);
		break;
	}
	case 3:
		memcpy(out, &value, 8);
		outb(SB_PORT_HOST_CALL, 0);
		break;
	default:
		outb(0x99, 0x42);
		break;
	}
	outb(SB_PORT_DONE, 0);
	for (;;)
		__asm__ volatile("hlt");
	return 0;
}

#define T(x) SB_T_##x
#define DEF(n, r, ...)                                                        \
	static const struct sb_guest_function def_##n = {                     \
		#n, sizeof((enum sb_type[]){ __VA_ARGS__ }) / sizeof(enum sb_type) - 1, \
		{ __VA_ARGS__ }, T(r), fn_##n }

/* The parameter list ends with a VOID sentinel that is not counted. */
DEF(echo, BYTES, T(BYTES), T(VOID));
DEF(add, I64, T(I64), T(I64), T(VOID));
DEF(fneg, F64, T(F64), T(VOID));
DEF(f32_bits, U32, T(F32), T(VOID));
DEF(touch_pages, U64, T(U64), T(VOID));
DEF(bump_pages, U64, T(U64), T(VOID));
DEF(fill_heap, U64, T(U64), T(VOID));
DEF(read_generation, U64, T(VOID));
DEF(heap_sum, U64, T(U64), T(VOID));
DEF(alias_heap_page, U64, T(U64), T(VOID));
DEF(peek, U64, T(U64), T(VOID));
DEF(map_gpa, U64, T(U64), T(U64), T(U64), T(VOID));
DEF(fpu_control, U64, T(U64), T(VOID));
DEF(sse_state, U64, T(U64), T(VOID));
DEF(scratch_next_free, U64, T(VOID));
DEF(call_host, I64, T(STRING), T(I64), T(VOID));
DEF(log_message, VOID, T(STRING), T(VOID));
DEF(debug_exits, U64, T(U64), T(VOID));
DEF(spin, VOID, T(VOID));
DEF(write_peb, VOID, T(VOID));
DEF(null_deref, I64, T(U64), T(VOID));
DEF(divide, I64, T(I64), T(I64), T(VOID));
DEF(stack_overflow, U64, T(VOID));
DEF(exhaust_scratch, VOID, T(VOID));
DEF(corrupt_output, VOID, T(U64), T(U64), T(VOID));

void testguest_register_hostile(void); /* testguest_hostile.c */
void testguest_register_hostcalls(void); /* testguest_hostcalls.c */

void sb_guest_main(void)
{
	static const struct sb_guest_function *const all[] = {
		&def_echo, &def_add, &def_fneg, &def_f32_bits, &def_touch_pages, &def_bump_pages, &def_fill_heap,
		&def_read_generation, &def_heap_sum, &def_alias_heap_page, &def_peek, &def_fpu_control, &def_sse_state, &def_map_gpa,
		&def_scratch_next_free, &def_call_host,
		&def_log_message, &def_debug_exits, &def_spin, &def_write_peb, &def_null_deref,
		&def_divide, &def_stack_overflow, &def_exhaust_scratch, &def_corrupt_output,
	};
	for (unsigned i = 0; i < sizeof all / sizeof all[0]; i++)
		sb_register(all[i]);
	testguest_register_hostile();
#ifdef SB_TESTGUEST_HOSTCALLS /* the embedded guest only: the red-team guests are full */
	testguest_register_hostcalls();
#endif
}
