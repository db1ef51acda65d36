/* testguest_redteam.c — more of the test guest as an attacker, for
 * tests/sandbox/test_sandbox_redteam.c: state a restore might leave behind
 * that the scribbler (testguest_hostile.c) does not reach. Linked into its
 * own ELF, build/guest/testguest_redteam, with the test guest's functions.
 *
 *   rt_in(mode, port)        an IN the host refuses (it poisons the
 *                            sandbox), left for KVM to complete at the next
 *                            entry: mode 0 plain `inb`, 1 `insb` (one byte
 *                            to a scratch free page), 2 `rep insb` with
 *                            RCX = 1, 3 `rep insb` of two pages. If KVM completes it after a restore,
 *                            the guest resumes after the instruction, in
 *                            code that answers any call with RT_HIJACKED.
 *   rt_mmio(mode, gpa)       maps `gpa` (no memory there) at RT_MMIO_VA and
 *                            reads it: mode 0 one 8-byte load, 1 an 8-byte
 *                            load across two MMIO pages (two fragments), 2
 *                            `rep movsq` of 4 words, 3 `rep movsq` of 4096.
 *   rt_msr(idx, val, write)  ring 0 only: optionally WRMSR, then RDMSR.
 *   rt_cpuid(leaf)           CPUID from the calling ring (EAX | EBX << 32).
 *   rt_movss_done(x)         return x, ending with MOV SS just before the
 *                            OUT to the done port (an interrupt shadow).
 *   rt_tf_done(x)            return x, with TF set across the done OUT.
 *   rt_set_input_sp(sp, fn)  move the input stack pointer to `sp` and
 *                            call host function `fn` (no arguments): its
 *                            reply is written wherever we said.
 *   rt_copy_page(src, dst)   SB_PORT_COPY_PAGE from the calling ring.
 *   rt_read_input(off)       the input-buffer word at byte offset `off`.
 *   rt_read_scratch(off)     the scratch word at byte offset `off`.
 */
#include "arch.h"
#include "internal.h"

#define RT_HIJACKED 0x4841434B4544ull /* "HACKED" */
#define RT_MMIO_VA 0x0000200000000000ull

/* ---- IN left pending --------------------------------------------------- */

/* Where the guest resumes if KVM completes the refused IN at a later
 * entry: answer whatever call the host made with RT_HIJACKED. */
__attribute__((noreturn, used)) void rt_landing(void)
{
	struct sb_value v = { .type = SB_T_U64, .as.u64 = RT_HIJACKED };
	struct sb_writer w;
	sb_stack_reset(sb_rt.output, sb_rt.output_bytes);
	sb_stack_begin(&w, sb_rt.output, sb_rt.output_bytes);
	sb_encode_result(&w, &v);
	sb_stack_end(&w, sb_rt.output, sb_rt.output_bytes);
	outb(SB_PORT_DONE, 0);
	halt_forever();
}

void rt_in_plain(uint64_t port);
void rt_ins_one(uint64_t dst, uint64_t port);
void rt_ins_rep(uint64_t dst, uint64_t port, uint64_t count);
__asm__(".text\n"
	"rt_in_plain:\n\t"
	"movl %edi, %edx\n\t"
	"inb %dx, %al\n\t"
	"jmp rt_land\n"
	"rt_ins_one:\n\t"
	"movl %esi, %edx\n\t"
	"insb\n\t"
	"jmp rt_land\n"
	"rt_ins_rep:\n\t"
	"movq %rdx, %rcx\n\t"
	"movl %esi, %edx\n\t"
	"rep insb\n\t"
	"jmp rt_land\n"
	"rt_land:\n\t"
	"andq $-16, %rsp\n\t"
	"call rt_landing\n\t"
	"ud2\n");

static int fn_rt_in(const struct sb_value *args, struct sb_value *ret, struct sb_guest_error *err)
{
	(void)err;
	uint64_t mode = args[0].as.u64, port = args[1].as.u64 & 0xFF;
	/* A free scratch page (the host zeroes it on a restore). */
	uint64_t dst = (uint64_t)(uintptr_t)sb_scratch_ptr(sb_scratch_alloc_page());
	if (mode == 0)
		rt_in_plain(port);
	else if (mode == 1)
		rt_ins_one(dst, port);
	else if (mode == 2)
		rt_ins_rep(dst, port, 1);
	else { /* two pages' worth: more elements than the host completes one by one */
		sb_scratch_alloc_page();
		sb_scratch_alloc_page();
		rt_ins_rep(dst, port, 2 * SB_PAGE_SIZE);
	}
	ret->as.u64 = 0; /* not reached: the host refuses IN */
	return 0;
}

/* ---- MMIO -------------------------------------------------------------- */

static int fn_rt_mmio(const struct sb_value *args, struct sb_value *ret, struct sb_guest_error *err)
{
	uint64_t mode = args[0].as.u64, gpa = args[1].as.u64;
	/* Through the runtime's page-table gate: ring 3 cannot edit tables. */
	enum pt_status st = sb_map_pages(RT_MMIO_VA, gpa, 2, SB_MAP_WRITE);
	if (st != PT_OK) {
		sb_error_set(err, SB_CALL_E_BAD_ARGUMENTS, pt_strerror(st));
		return -1;
	}
	static uint64_t sink[4096];
	uint64_t v = 0;
	volatile uint8_t *p = (volatile uint8_t *)(uintptr_t)RT_MMIO_VA;
	if (mode == 0) {
		v = *(volatile uint64_t *)p;
	} else if (mode == 1) {
		v = *(volatile uint64_t *)(p + SB_PAGE_SIZE - 4);
	} else {
		uint64_t n = mode == 2 ? 4 : 1024;
		uint64_t *dst = sink;
		const volatile uint8_t *src = p;
		__asm__ volatile("rep movsq" : "+D"(dst), "+S"(src), "+c"(n) : : "memory");
		v = sink[0];
	}
	ret->as.u64 = v;
	return 0;
}

/* ---- ring-0 state ---------------------------------------------------------- */

static int fn_rt_msr(const struct sb_value *args, struct sb_value *ret, struct sb_guest_error *err)
{
	(void)err;
	uint32_t idx = (uint32_t)args[0].as.u64;
	uint64_t val = args[1].as.u64;
	if (args[2].as.u64)
		__asm__ volatile("wrmsr" : : "c"(idx), "a"((uint32_t)val), "d"((uint32_t)(val >> 32)));
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(idx));
	ret->as.u64 = (uint64_t)hi << 32 | lo;
	return 0;
}

static int fn_rt_cpuid(const struct sb_value *args, struct sb_value *ret, struct sb_guest_error *err)
{
	(void)err;
	uint32_t a = (uint32_t)args[0].as.u64, b, c = 0, d;
	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	ret->as.u64 = (uint64_t)b << 32 | a;
	return 0;
}

/* ---- ending a call oddly -------------------------------------------------- */

static void push_result(uint64_t x)
{
	struct sb_value v = { .type = SB_T_U64, .as.u64 = x };
	struct sb_writer w;
	sb_stack_begin(&w, sb_rt.output, sb_rt.output_bytes);
	sb_encode_result(&w, &v);
	sb_stack_end(&w, sb_rt.output, sb_rt.output_bytes);
}

static int fn_rt_movss_done(const struct sb_value *args, struct sb_value *ret,
			    struct sb_guest_error *err)
{
	(void)ret;
	(void)err;
	push_result(args[0].as.u64);
	__asm__ volatile("mov %%ss, %%eax\n\t"
			 "mov %%eax, %%ss\n\t"
			 "outb %%al, %0\n\t"
			 :
			 : "i"(SB_PORT_DONE)
			 : "rax", "memory");
	halt_forever();
	return 0;
}

static int fn_rt_tf_done(const struct sb_value *args, struct sb_value *ret,
			 struct sb_guest_error *err)
{
	(void)ret;
	(void)err;
	push_result(args[0].as.u64);
	__asm__ volatile("pushfq\n\t"
			 "orq $0x100, (%%rsp)\n\t"
			 "popfq\n\t"
			 "outb %%al, %0\n\t"
			 :
			 : "i"(SB_PORT_DONE)
			 : "rax", "memory", "cc");
	halt_forever();
	return 0;
}

/* ---- the host writing for us ------------------------------------------------ */

static int fn_rt_set_input_sp(const struct sb_value *args, struct sb_value *ret,
			      struct sb_guest_error *err)
{
	uint64_t sp = args[0].as.u64;
	char name[SB_NAME_MAX + 1];
	uint32_t n = args[1].as.buf.len < SB_NAME_MAX ? args[1].as.buf.len : SB_NAME_MAX;
	memcpy(name, args[1].as.buf.ptr, n);
	name[n] = '\0';
	*(volatile uint64_t *)sb_rt.input = sp;
	struct sb_value r;
	int rc = sb_host_call(name, 0, 0, &r, err);
	ret->as.u64 = rc ? 0 : r.as.u64;
	return rc;
}

static int fn_rt_copy_page(const struct sb_value *args, struct sb_value *ret,
			   struct sb_guest_error *err)
{
	(void)err;
	__asm__ volatile("outb %%al, %2"
			 :
			 : "D"(args[0].as.u64), "S"(args[1].as.u64), "i"(SB_PORT_COPY_PAGE)
			 : "rax", "memory");
	ret->as.u64 = 0;
	return 0;
}

static int fn_rt_read_input(const struct sb_value *args, struct sb_value *ret,
			    struct sb_guest_error *err)
{
	uint64_t off = args[0].as.u64;
	if (off > sb_rt.input_bytes - 8) {
		sb_error_set(err, SB_CALL_E_BAD_ARGUMENTS, "offset outside the input buffer");
		return -1;
	}
	ret->as.u64 = *(volatile uint64_t *)(sb_rt.input + off);
	return 0;
}

static int fn_rt_read_scratch(const struct sb_value *args, struct sb_value *ret,
			      struct sb_guest_error *err)
{
	(void)err;
	uint64_t size = *(volatile uint64_t *)(uintptr_t)sb_scratch_top_gva(SB_SCRATCH_TOP_SIZE);
	uint64_t off = args[0].as.u64;
	if (off > size - 8) {
		sb_error_set(err, SB_CALL_E_BAD_ARGUMENTS, "offset outside scratch");
		return -1;
	}
	ret->as.u64 = *(volatile uint64_t *)(uintptr_t)(sb_scratch_base_gva(size) + off);
	return 0;
}

/* ==== second pass (tests/sandbox/test_sandbox_redteam2.c) ==================
 *
 *   rt2_segs(sel, mask)      load `sel` into DS (mask 1), ES (2), FS (4), GS (8)
 *                            from the calling ring; return the four selectors
 *                            (DS | ES << 16 | FS << 32 | GS << 48).
 *   rt2_zero_page(gpa)       SB_PORT_ZERO_PAGE from the calling ring.
 *   rt2_gate(op, va, gpa, pages, flags)
 *                            a raw INT3 from the calling ring: op 0 = MAP
 *                            (returns RAX, the status), 1 = LOOKUP (returns
 *                            RDX, the leaf entry; RAX != 0 -> call error),
 *                            else RAX = op as given (returns RAX).
 *   rt2_int3()               a plain INT3 (a real breakpoint).
 *   rt2_msr_scan(first, n)   ring 0: for each MSR in [first, first + n) that
 *                            RDMSR reads without #GP, flip one bit at a time
 *                            (low to high) until a WRMSR sticks; returns
 *                            bytes: (index, old, new) triples of u64.
 *   rt2_rdmsr_safe(idx)      ring 0: RDMSR, a call error on #GP.
 *   rt2_xcr0(xcr0, ymm)      ring 0: CR4.OSXSAVE on, XSETBV(xcr0), then with
 *                            ymm != 0 set YMM0 to all ones; returns XGETBV(0).
 *   rt2_dr(dr0, dr7)         ring 0: returns the old DR7, then DR0 = dr0 and
 *                            DR7 = dr7 (GD = bit 13).
 *   rt2_cr(n)                ring 0: CR0 (0), CR4 (4), EFER (8).
 *   rt2_sidt()               SIDT from the calling ring: the IDT base.
 *   rt2_poke(gva, value)     a u64 store from the calling ring.
 */

/* #GP in ring 0 while rt2 code runs RDMSR / WRMSR (two bytes each): skip
 * the instruction, set ESI to 1. Installed in the IDT by msr_fixup_install. */
void rt2_gp_fixup(void);
__asm__(".text\n"
	"rt2_gp_fixup:\n\t"
	"movl $1, %esi\n\t"
	"addq $2, 8(%rsp)\n\t"
	"addq $8, %rsp\n\t"
	"iretq\n");

struct __attribute__((packed)) rt2_idt_gate {
	uint16_t lo, sel;
	uint8_t ist, type;
	uint16_t mid;
	uint32_t hi, zero;
};

static void msr_fixup_install(void)
{
	struct desc_ptr idtr;
	__asm__ volatile("sidt %0" : "=m"(idtr));
	struct rt2_idt_gate *g = (struct rt2_idt_gate *)(uintptr_t)idtr.base + 13;
	uint64_t h = (uint64_t)(uintptr_t)rt2_gp_fixup;
	if (g->lo == (uint16_t)h && g->mid == (uint16_t)(h >> 16) && g->hi == (uint32_t)(h >> 32))
		return;
	g->lo = (uint16_t)h;
	g->mid = (uint16_t)(h >> 16);
	g->hi = (uint32_t)(h >> 32);
}

static int rdmsr_safe(uint32_t idx, uint64_t *v)
{
	uint32_t lo = 0, hi = 0;
	uint64_t fault = 0;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi), "+S"(fault) : "c"(idx) : "memory");
	*v = (uint64_t)hi << 32 | lo;
	return fault ? -1 : 0;
}

static int wrmsr_safe(uint32_t idx, uint64_t v)
{
	uint64_t fault = 0;
	__asm__ volatile("wrmsr"
			 : "+S"(fault)
			 : "c"(idx), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))
			 : "memory");
	return fault ? -1 : 0;
}

static bool ring0(void)
{
	uint16_t cs;
	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	return (cs & 3) == 0;
}

static int need_ring0(struct sb_guest_error *err)
{
	if (ring0())
		return 0;
	sb_error_set(err, SB_CALL_E_BAD_ARGUMENTS, "ring 0 only");
	return -1;
}

static int fn_rt2_segs(const struct sb_value *args, struct sb_value *ret,
		       struct sb_guest_error *err)
{
	(void)err;
	uint16_t sel = (uint16_t)args[0].as.u64;
	uint64_t mask = args[1].as.u64;
	if (mask & 1)
		__asm__ volatile("mov %0, %%ds" : : "r"(sel));
	if (mask & 2)
		__asm__ volatile("mov %0, %%es" : : "r"(sel));
	if (mask & 4)
		__asm__ volatile("mov %0, %%fs" : : "r"(sel));
	if (mask & 8)
		__asm__ volatile("mov %0, %%gs" : : "r"(sel));
	uint16_t ds, es, fs, gs;
	__asm__ volatile("mov %%ds, %0\n\tmov %%es, %1\n\tmov %%fs, %2\n\tmov %%gs, %3"
			 : "=r"(ds), "=r"(es), "=r"(fs), "=r"(gs));
	ret->as.u64 = ds | (uint64_t)es << 16 | (uint64_t)fs << 32 | (uint64_t)gs << 48;
	return 0;
}

static int fn_rt2_zero_page(const struct sb_value *args, struct sb_value *ret,
			    struct sb_guest_error *err)
{
	(void)err;
	__asm__ volatile("outb %%al, %1" : : "S"(args[0].as.u64), "i"(SB_PORT_ZERO_PAGE), "a"(0)
			 : "memory");
	ret->as.u64 = 0;
	return 0;
}

static int fn_rt2_gate(const struct sb_value *args, struct sb_value *ret,
		       struct sb_guest_error *err)
{
	uint64_t op = args[0].as.u64;
	uint64_t rax = op == 0 ? SB_PT_GATE_MAP : op == 1 ? SB_PT_GATE_LOOKUP : op;
	uint64_t rdi = args[1].as.u64, rsi = args[2].as.u64, rdx = args[3].as.u64,
		 rcx = args[4].as.u64;
	__asm__ volatile("int3"
			 : "+a"(rax), "+D"(rdi), "+S"(rsi), "+d"(rdx), "+c"(rcx)
			 :
			 : "memory", "cc");
	if (op == 1) {
		if (rax != PT_OK) {
			sb_error_set(err, SB_CALL_E_BAD_ARGUMENTS, pt_strerror((enum pt_status)rax));
			return -1;
		}
		ret->as.u64 = rdx;
		return 0;
	}
	ret->as.u64 = rax;
	return 0;
}

static int fn_rt2_int3(const struct sb_value *args, struct sb_value *ret,
		       struct sb_guest_error *err)
{
	(void)args;
	(void)err;
	__asm__ volatile("xorl %%eax, %%eax\n\tint3" : : : "rax", "memory");
	ret->as.u64 = 0;
	return 0;
}

#define RT2_SCAN_MAX 64
static uint64_t rt2_scan_out[RT2_SCAN_MAX * 3];

static bool msr_skipped(uint32_t i)
{
	return i == 0x10 || i == 0x11 || i == 0x12 || i == 0x1b || i == 0x6e0 ||
	       (i >= 0x4b564d00 && i <= 0x4b564d0f) || i == 0xC0000080 || i == 0xC0000100 ||
	       i == 0xC0000101;
}

static int fn_rt2_msr_scan(const struct sb_value *args, struct sb_value *ret,
			   struct sb_guest_error *err)
{
	if (need_ring0(err))
		return -1;
	msr_fixup_install();
	uint32_t first = (uint32_t)args[0].as.u64, n = (uint32_t)args[1].as.u64;
	unsigned found = 0;
	for (uint32_t k = 0; k < n && found < RT2_SCAN_MAX; k++) {
		uint32_t idx = first + k;
		uint64_t v, r;
		if (msr_skipped(idx) || rdmsr_safe(idx, &v))
			continue;
		for (unsigned bit = 0; bit < 64; bit++) {
			if (wrmsr_safe(idx, v ^ (1ull << bit)))
				continue;
			if (rdmsr_safe(idx, &r) == 0 && r != v) {
				rt2_scan_out[found * 3] = idx;
				rt2_scan_out[found * 3 + 1] = v;
				rt2_scan_out[found * 3 + 2] = r;
				found++;
				break;
			}
		}
	}
	ret->as.buf.ptr = (const uint8_t *)rt2_scan_out;
	ret->as.buf.len = found * 24;
	return 0;
}

static int fn_rt2_rdmsr_safe(const struct sb_value *args, struct sb_value *ret,
			     struct sb_guest_error *err)
{
	if (need_ring0(err))
		return -1;
	msr_fixup_install();
	uint64_t v;
	if (rdmsr_safe((uint32_t)args[0].as.u64, &v)) {
		sb_error_set(err, SB_CALL_E_BAD_ARGUMENTS, "#GP");
		return -1;
	}
	ret->as.u64 = v;
	return 0;
}

static int fn_rt2_xcr0(const struct sb_value *args, struct sb_value *ret,
		       struct sb_guest_error *err)
{
	if (need_ring0(err))
		return -1;
	uint64_t cr4;
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	cr4 |= 1ull << 18;
	__asm__ volatile("mov %0, %%cr4" : : "r"(cr4));
	uint64_t x = args[0].as.u64;
	__asm__ volatile("xsetbv" : : "c"(0), "a"((uint32_t)x), "d"((uint32_t)(x >> 32)));
	if (args[1].as.u64)
		__asm__ volatile("vpcmpeqd %%ymm0, %%ymm0, %%ymm0" : : : "memory");
	uint32_t lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	ret->as.u64 = (uint64_t)hi << 32 | lo;
	return 0;
}

static int fn_rt2_dr(const struct sb_value *args, struct sb_value *ret,
		     struct sb_guest_error *err)
{
	if (need_ring0(err))
		return -1;
	uint64_t old;
	__asm__ volatile("mov %%dr7, %0" : "=r"(old));
	__asm__ volatile("mov %0, %%dr0" : : "r"(args[0].as.u64));
	__asm__ volatile("mov %0, %%dr7" : : "r"(args[1].as.u64));
	ret->as.u64 = old;
	return 0;
}

static int fn_rt2_cr(const struct sb_value *args, struct sb_value *ret,
		     struct sb_guest_error *err)
{
	if (need_ring0(err))
		return -1;
	uint64_t v = 0;
	if (args[0].as.u64 == 0)
		__asm__ volatile("mov %%cr0, %0" : "=r"(v));
	else if (args[0].as.u64 == 4)
		__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	else {
		uint32_t lo, hi;
		__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(0xC0000080));
		v = (uint64_t)hi << 32 | lo;
	}
	ret->as.u64 = v;
	return 0;
}

static int fn_rt2_sidt(const struct sb_value *args, struct sb_value *ret,
		       struct sb_guest_error *err)
{
	(void)args;
	(void)err;
	struct desc_ptr idtr;
	__asm__ volatile("sidt %0" : "=m"(idtr));
	ret->as.u64 = idtr.base;
	return 0;
}

/* Write `value` at `gva` from the calling ring (what a copy-on-write fault
 * does on the way is the host's business). */
static int fn_rt2_poke(const struct sb_value *args, struct sb_value *ret,
		       struct sb_guest_error *err)
{
	(void)err;
	*(volatile uint64_t *)(uintptr_t)args[0].as.u64 = args[1].as.u64;
	ret->as.u64 = 0;
	return 0;
}

static const struct sb_guest_function defs2[] = {
	{ "rt2_poke", 2, { SB_T_U64, SB_T_U64 }, SB_T_U64, fn_rt2_poke },
	{ "rt2_segs", 2, { SB_T_U64, SB_T_U64 }, SB_T_U64, fn_rt2_segs },
	{ "rt2_zero_page", 1, { SB_T_U64 }, SB_T_U64, fn_rt2_zero_page },
	{ "rt2_gate", 5, { SB_T_U64, SB_T_U64, SB_T_U64, SB_T_U64, SB_T_U64 }, SB_T_U64, fn_rt2_gate },
	{ "rt2_int3", 0, { SB_T_VOID }, SB_T_U64, fn_rt2_int3 },
	{ "rt2_msr_scan", 2, { SB_T_U64, SB_T_U64 }, SB_T_BYTES, fn_rt2_msr_scan },
	{ "rt2_rdmsr_safe", 1, { SB_T_U64 }, SB_T_U64, fn_rt2_rdmsr_safe },
	{ "rt2_xcr0", 2, { SB_T_U64, SB_T_U64 }, SB_T_U64, fn_rt2_xcr0 },
	{ "rt2_dr", 2, { SB_T_U64, SB_T_U64 }, SB_T_U64, fn_rt2_dr },
	{ "rt2_cr", 1, { SB_T_U64 }, SB_T_U64, fn_rt2_cr },
	{ "rt2_sidt", 0, { SB_T_VOID }, SB_T_U64, fn_rt2_sidt },
};

#define U SB_T_U64
static const struct sb_guest_function defs[] = {
	{ "rt_in", 2, { U, U }, U, fn_rt_in },
	{ "rt_mmio", 2, { U, U }, U, fn_rt_mmio },
	{ "rt_msr", 3, { U, U, U }, U, fn_rt_msr },
	{ "rt_cpuid", 1, { U }, U, fn_rt_cpuid },
	{ "rt_movss_done", 1, { U }, U, fn_rt_movss_done },
	{ "rt_tf_done", 1, { U }, U, fn_rt_tf_done },
	{ "rt_set_input_sp", 2, { U, SB_T_STRING }, U, fn_rt_set_input_sp },
	{ "rt_copy_page", 2, { U, U }, U, fn_rt_copy_page },
	{ "rt_read_input", 1, { U }, U, fn_rt_read_input },
	{ "rt_read_scratch", 1, { U }, U, fn_rt_read_scratch },
};

/* Built with -Dsb_guest_main=sb_testguest_main (guest/meson.build): the
 * test guest's functions, then these. */
void sb_testguest_main(void);
#undef sb_guest_main
void sb_guest_main(void)
{
	sb_testguest_main();
	for (unsigned i = 0; i < sizeof defs / sizeof defs[0]; i++)
		sb_register(&defs[i]);
	for (unsigned i = 0; i < sizeof defs2 / sizeof defs2[0]; i++)
		sb_register(&defs2[i]);
}
