/* snap_sregs.c — the special registers of a snapshot from somewhere else,
 * checked against what this VMM runs a sandbox in before KVM sees them.
 *
 * vmm/vcpu.c (vcpu_sregs_long_mode) starts every sandbox in 64-bit long
 * mode: CR0 PE MP ET NE WP PG, CR4 PAE OSFXSR OSXMMEXCPT, EFER LME LMA NXE,
 * a 64-bit code segment, flat data segments, a busy 64-bit TSS. The guest
 * runtime then loads its own GDT, TSS and IDT, may drop to ring 3 and may
 * turn on a few more features from ring 0 (CR4.OSXSAVE, EFER.SCE...). A
 * snapshot of such a guest keeps all of that; a file whose registers are
 * anything else was not written by a sandbox, and KVM would refuse it
 * ("KVM_SET_SREGS failed: Invalid argument") or fail the next entry
 * ("KVM_RUN failed"), naming nothing. So each rule below is one of: what
 * long mode requires, what the VMM's page tables need (NX), what KVM or a
 * VM entry refuses anyway, or a state the VMM never creates (a pending
 * interrupt without an interrupt controller).
 */
#include <string.h>

#include "pt.h"
#include "snapshot.h"

/* CR0 */
#define CR0_PE (1ull << 0)
#define CR0_MP (1ull << 1)
#define CR0_EM (1ull << 2)
#define CR0_TS (1ull << 3)
#define CR0_ET (1ull << 4)
#define CR0_NE (1ull << 5)
#define CR0_WP (1ull << 16)
#define CR0_AM (1ull << 18)
#define CR0_NW (1ull << 29)
#define CR0_CD (1ull << 30)
#define CR0_PG (1ull << 31)
#define CR0_KNOWN (CR0_PE | CR0_MP | CR0_EM | CR0_TS | CR0_ET | CR0_NE | CR0_WP | CR0_AM | \
		   CR0_NW | CR0_CD | CR0_PG)
/* CR4: the features a sandbox's ring-0 code may have turned on. */
#define CR4_PAE (1ull << 5)
#define CR4_LA57 (1ull << 12)
#define CR4_ALLOWED                                                                            \
	((1ull << 0) /* VME */ | (1ull << 1) /* PVI */ | (1ull << 2) /* TSD */ |               \
	 (1ull << 3) /* DE */ | (1ull << 4) /* PSE */ | CR4_PAE | (1ull << 6) /* MCE */ |      \
	 (1ull << 7) /* PGE */ | (1ull << 8) /* PCE */ | (1ull << 9) /* OSFXSR */ |            \
	 (1ull << 10) /* OSXMMEXCPT */ | (1ull << 11) /* UMIP */ | (1ull << 16) /* FSGSBASE */ | \
	 (1ull << 17) /* PCIDE */ | (1ull << 18) /* OSXSAVE */ | (1ull << 20) /* SMEP */ |      \
	 (1ull << 21) /* SMAP */ | (1ull << 22) /* PKE */)
/* EFER */
#define EFER_SCE (1ull << 0)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define EFER_NXE (1ull << 11)
#define EFER_ALLOWED (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)
/* CR3: the page-table root's address bits (52-bit physical addresses). */
#define CR3_ADDR 0x000FFFFFFFFFF000ull
#define CR3_HIGH_RESERVED 0x7FF0000000000000ull /* bits 52-62; 63 is PCID no-flush */
/* IA32_APIC_BASE: BSP (8), x2APIC (10), enable (11), base (12-51). */
#define APIC_BASE_RESERVED (0xFFF00000000002FFull)
#define APIC_BASE_X2APIC (1ull << 10)
#define APIC_BASE_EN (1ull << 11)

#define REG(name, value, fmt, ...)                                                             \
	sb_errf(err, SB_E_INVAL, "special register " name " is 0x%llx, " fmt,                   \
		(unsigned long long)(value), ##__VA_ARGS__)

static bool canonical(uint64_t va)
{
	return pt_va_canonical(&pt_format_x86_64, va);
}

static bool usable(const struct kvm_segment *g)
{
	return g->present && !g->unusable;
}

/* "cs: selector 0x..., type 0x..., ..." for messages. */
static int seg_err(struct sb_err *err, const char *name, const struct kvm_segment *g,
		   const char *must)
{
	return sb_errf(err, SB_E_INVAL,
		       "special register %s is selector 0x%x type 0x%x s %u dpl %u present %u "
		       "l %u db %u unusable %u base 0x%llx, %s",
		       name, g->selector, g->type, g->s, g->dpl, g->present, g->l, g->db,
		       g->unusable, (unsigned long long)g->base, must);
}

static int check_control(const struct kvm_sregs *r, const struct layout *l, struct sb_err *err)
{
	if (r->cr0 & ~CR0_KNOWN)
		return REG("cr0", r->cr0, "must have no bit set outside PE MP EM TS ET NE WP AM NW "
			   "CD PG (reserved bits 0x%llx set)",
			   (unsigned long long)(r->cr0 & ~CR0_KNOWN));
	if ((r->cr0 & (CR0_PE | CR0_PG)) != (CR0_PE | CR0_PG))
		return REG("cr0", r->cr0, "must have PE (bit 0) and PG (bit 31) set: a sandbox runs "
			   "in protected mode with paging (long mode)");
	if ((r->cr0 & CR0_NW) && !(r->cr0 & CR0_CD))
		return REG("cr0", r->cr0, "must not have NW (bit 29) set without CD (bit 30)");
	if (r->cr0 & CR0_EM)
		return REG("cr0", r->cr0, "must have EM (bit 2) clear: with it every x87/SSE "
			   "instruction faults, and the VMM never sets it");
	if (r->cr4 & ~CR4_ALLOWED)
		return REG("cr4", r->cr4, "must have no bit set outside VME PVI TSD DE PSE PAE MCE "
			   "PGE PCE OSFXSR OSXMMEXCPT UMIP FSGSBASE PCIDE OSXSAVE SMEP SMAP PKE "
			   "(0x%llx set%s)",
			   (unsigned long long)(r->cr4 & ~CR4_ALLOWED),
			   (r->cr4 & CR4_LA57) ? "; LA57: the page tables are 4-level" : "");
	if (!(r->cr4 & CR4_PAE))
		return REG("cr4", r->cr4, "must have PAE (bit 5) set: long mode needs it");
	if (r->efer & ~EFER_ALLOWED)
		return REG("efer", r->efer, "must have no bit set outside SCE LME LMA NXE (0x%llx "
			   "set)", (unsigned long long)(r->efer & ~EFER_ALLOWED));
	if ((r->efer & (EFER_LME | EFER_LMA | EFER_NXE)) != (EFER_LME | EFER_LMA | EFER_NXE))
		return REG("efer", r->efer, "must have LME (bit 8), LMA (bit 10) and NXE (bit 11) "
			   "set: long mode, and the sandbox's page tables use the NX bit");
	if (r->cr8 > 15)
		return REG("cr8", r->cr8, "must be at most 15 (a task priority)");
	/* Replaced by the page-table copy's GPA when a sandbox loads the
	 * registers (sandbox_load_sregs), but it must still be guest memory:
	 * the snapshot region or scratch. */
	uint64_t root = r->cr3 & CR3_ADDR;
	uint64_t snap_end = SB_BASE_ADDRESS + l->snapshot_bytes;
	uint64_t scratch = layout_scratch_base_gpa(l);
	bool in_snap = root >= SB_BASE_ADDRESS && root < snap_end;
	bool in_scratch = root >= scratch && root - scratch < l->config.scratch_bytes;
	if ((r->cr3 & CR3_HIGH_RESERVED) || !(in_snap || in_scratch))
		return REG("cr3", r->cr3, "must point into guest memory: the snapshot region "
			   "[0x%llx, 0x%llx) or scratch [0x%llx, 0x%llx), no bit 52-62 set",
			   (unsigned long long)SB_BASE_ADDRESS, (unsigned long long)snap_end,
			   (unsigned long long)scratch,
			   (unsigned long long)(scratch + l->config.scratch_bytes));
	if (r->apic_base & APIC_BASE_RESERVED)
		return REG("apic_base", r->apic_base, "must have no reserved bit set (0x%llx)",
			   (unsigned long long)(r->apic_base & APIC_BASE_RESERVED));
	if ((r->apic_base & APIC_BASE_X2APIC) && !(r->apic_base & APIC_BASE_EN))
		return REG("apic_base", r->apic_base, "must not enable x2APIC (bit 10) without "
			   "the APIC (bit 11)");
	for (size_t i = 0; i < 4; i++)
		if (r->interrupt_bitmap[i])
			return sb_errf(err, SB_E_INVAL,
				       "special register interrupt_bitmap word %zu is 0x%llx, must be "
				       "0: the VMM has no interrupt controller, so no interrupt is "
				       "ever pending",
				       i, (unsigned long long)r->interrupt_bitmap[i]);
	return 0;
}

/* A selector that names a GDT entry must lie inside the GDT. */
static int check_selector(const char *name, const struct kvm_segment *g,
			  const struct kvm_dtable *gdt, struct sb_err *err)
{
	if (g->selector & 4)
		return seg_err(err, name, g, "must select from the GDT (TI, bit 2, clear): a "
			       "sandbox has no LDT");
	if ((g->selector & ~7u) && (uint32_t)(g->selector | 7u) > gdt->limit)
		return seg_err(err, name, g, "must select an entry inside the GDT");
	return 0;
}

static int check_segments(const struct kvm_sregs *r, struct sb_err *err)
{
	if (!canonical(r->gdt.base))
		return REG("gdt.base", r->gdt.base, "must be a canonical address");
	if (!canonical(r->idt.base))
		return REG("idt.base", r->idt.base, "must be a canonical address");
	const struct kvm_segment *cs = &r->cs, *ss = &r->ss;
	if (!usable(cs) || !cs->s || !(cs->type & 8))
		return seg_err(err, "cs", cs, "must be a present code segment");
	if (!cs->l || cs->db)
		return seg_err(err, "cs", cs, "must be a 64-bit code segment (l 1, db 0)");
	if (cs->dpl != 0 && cs->dpl != 3)
		return seg_err(err, "cs", cs, "must be ring 0 or ring 3 (dpl 0 or 3)");
	if ((cs->selector & 3) != cs->dpl)
		return seg_err(err, "cs", cs, "must have its selector's RPL equal to its dpl");
	if (check_selector("cs", cs, &r->gdt, err))
		return -1;
	if (ss->dpl != cs->dpl)
		return seg_err(err, "ss", ss, "must have the dpl of cs (the privilege level)");
	if (cs->dpl == 3 && !usable(ss))
		return seg_err(err, "ss", ss, "must be a present segment in ring 3");
	if (usable(ss) && (!ss->s || (ss->type & 0xa) != 0x2 || (ss->selector & 3) != ss->dpl))
		return seg_err(err, "ss", ss, "must be a writable data segment with RPL = dpl");
	if (usable(ss) && check_selector("ss", ss, &r->gdt, err))
		return -1;
	const struct kvm_segment *data[] = { &r->ds, &r->es, &r->fs, &r->gs };
	const char *names[] = { "ds", "es", "fs", "gs" };
	for (size_t i = 0; i < 4; i++) {
		if (usable(data[i]) && !data[i]->s)
			return seg_err(err, names[i], data[i],
				       "must be a code or data segment (s 1) or unusable");
		if (i >= 2 && !canonical(data[i]->base))
			return seg_err(err, names[i], data[i], "must have a canonical base");
	}
	const struct kvm_segment *tr = &r->tr;
	if (!usable(tr) || tr->s || tr->type != 0xb || tr->limit < 0x67)
		return seg_err(err, "tr", tr, "must be a present busy 64-bit TSS (s 0, type 0xb, "
			       "limit at least 0x67)");
	if (!canonical(tr->base))
		return seg_err(err, "tr", tr, "must have a canonical base");
	if (check_selector("tr", tr, &r->gdt, err))
		return -1;
	const struct kvm_segment *ldt = &r->ldt;
	if (usable(ldt) && (ldt->s || ldt->type != 0x2 || !canonical(ldt->base)))
		return seg_err(err, "ldt", ldt, "must be an LDT (s 0, type 0x2, canonical base) "
			       "or unusable");
	return 0;
}

int snap_sregs_check(const struct snapshot *s, struct sb_err *err)
{
	if (s->entry_kind == SNAP_ENTRY_INIT && s->stack_top_gva != layout_exn_stack_top_gva(&s->layout))
		return sb_errf(err, SB_E_INVAL,
			       "stack top 0x%llx, must be the exception stack's top 0x%llx for an "
			       "INIT snapshot",
			       (unsigned long long)s->stack_top_gva,
			       (unsigned long long)layout_exn_stack_top_gva(&s->layout));
	if (!s->has_sregs)
		return 0;
	if (check_control(&s->sregs, &s->layout, err) || check_segments(&s->sregs, err))
		return -1;
	return 0;
}
