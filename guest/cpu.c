/* cpu.c — the guest's own GDT, TSS and IDT.
 *
 * They live in one page at SB_RT_PAGE_GVA, backed by a scratch page, so
 * building them writes nothing in the (copy-on-write) snapshot region: no
 * page fault can happen before the IDT is loaded. Every exception vector
 * runs on IST1, the exception stack at the top of scratch, in ring 0; one
 * vector, SB_VEC_PT_GATE (3: INT3), is a gate ring 3 may raise (page-table
 * edits, ptgate.c). The page is supervisor-only, and so is its
 * backing scratch page in the scratch window (sb_map_fresh_page).
 *
 * Guest code runs in ring 3 (see runtime.c for why); the user segments sit
 * where Linux puts them (user data 0x2b, user code 0x33), the selectors the
 * hypervisor on our machines runs user mode with.
 */
#include "arch.h"
#include "internal.h"

extern const uint64_t sb_isr_table[32];


struct __attribute__((packed)) tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
	/* I/O permission bitmap for ports 0-255, all allowed (0 bits), and
	 * the terminating byte: ring-3 code reports to the host with OUT. */
	uint8_t iomap[32];
	uint8_t iomap_end;
};

struct __attribute__((packed)) idt_gate {
	uint16_t offset_lo;
	uint16_t selector;
	uint8_t ist;
	uint8_t type_attr; /* 0x8E: present, DPL 0, 64-bit interrupt gate; 0xEE: DPL 3 */
	uint16_t offset_mid;
	uint32_t offset_hi;
	uint32_t reserved;
};

/* Offsets inside the runtime page. */
#define IDT_OFFSET 0
#define IDT_ENTRIES 32
#define GDT_OFFSET 512
#define GDT_ENTRIES 9 /* null, kcode, kdata, -, ucode32, udata, ucode64, TSS (two) */
#define TSS_OFFSET 640

/* Flat descriptors with the accessed bit pre-set, so the CPU never writes
 * them back. Code: present, execute/read, L=1 (64-bit) or D=1 (32-bit).
 * Data: read/write. DPL 0 for the kernel, 3 for user (bits 45-46). */
#define GDT_CODE64 0x00AF9B000000FFFFull
#define GDT_DATA 0x00CF93000000FFFFull
#define GDT_USER_CODE32 0x00CFFB000000FFFFull
#define GDT_USER_DATA 0x00CFF3000000FFFFull
#define GDT_USER_CODE64 0x00AFFB000000FFFFull

static void gdt_set_tss(uint64_t *gdt, uint64_t base, uint32_t limit)
{
	unsigned i = SB_SEL_TSS / 8;
	gdt[i] = (limit & 0xFFFFull) | ((base & 0xFFFFFFull) << 16) | (0x89ull << 40) |
		 (((uint64_t)(limit >> 16) & 0xF) << 48) | (((base >> 24) & 0xFF) << 56);
	gdt[i + 1] = base >> 32;
}

static void reload_segments(void)
{
	__asm__ volatile("pushq %[cs]\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "movl %[ds], %%eax\n\t"
			 "movl %%eax, %%ds\n\t"
			 "movl %%eax, %%es\n\t"
			 "movl %%eax, %%ss\n\t"
			 "movl %%eax, %%fs\n\t"
			 "movl %%eax, %%gs\n\t"
			 :
			 : [cs] "i"(SB_SEL_KCODE), [ds] "i"(SB_SEL_KDATA)
			 : "rax", "memory");
}

void sb_cpu_init(void)
{
	sb_map_fresh_page(SB_RT_PAGE_GVA, false);
	uint8_t *page = (uint8_t *)SB_RT_PAGE_GVA;
	struct idt_gate *idt = (struct idt_gate *)(page + IDT_OFFSET);
	uint64_t *gdt = (uint64_t *)(page + GDT_OFFSET);
	struct tss64 *tss = (struct tss64 *)(page + TSS_OFFSET);

	tss->ist[0] = sb_exn_stack_top_gva();
	tss->rsp[0] = sb_exn_stack_top_gva(); /* unused while every gate has IST1 */
	tss->iomap_base = __builtin_offsetof(struct tss64, iomap);
	tss->iomap_end = 0xFF;

	gdt[0] = 0;
	gdt[SB_SEL_KCODE / 8] = GDT_CODE64;
	gdt[SB_SEL_KDATA / 8] = GDT_DATA;
	gdt[SB_SEL_UCODE32 / 8] = GDT_USER_CODE32;
	gdt[SB_SEL_UDATA / 8] = GDT_USER_DATA;
	gdt[SB_SEL_UCODE / 8] = GDT_USER_CODE64;
	gdt_set_tss(gdt, (uint64_t)(uintptr_t)tss, sizeof *tss - 1);

	for (unsigned v = 0; v < IDT_ENTRIES; v++) {
		uint64_t h = sb_isr_table[v];
		idt[v] = (struct idt_gate){
			.offset_lo = (uint16_t)h,
			.selector = SB_SEL_KCODE,
			.ist = 1,
			/* Only the page-table gate (INT3) may be raised from ring 3
			 * (INT3 / INT n check the gate's DPL; a DPL 0 gate is a #GP). */
			.type_attr = v == SB_VEC_PT_GATE ? 0xEE : 0x8E,
			.offset_mid = (uint16_t)(h >> 16),
			.offset_hi = (uint32_t)(h >> 32),
		};
	}

	struct desc_ptr gdtr = { GDT_ENTRIES * 8 - 1, (uint64_t)(uintptr_t)gdt };
	struct desc_ptr idtr = { IDT_ENTRIES * 16 - 1, (uint64_t)(uintptr_t)idt };
	lgdt(&gdtr);
	reload_segments();
	ltr(SB_SEL_TSS);
	lidt(&idtr);
}
