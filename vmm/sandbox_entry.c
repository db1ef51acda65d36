/* sandbox_entry.c — the host's entry page (common/sandbox_abi.h).
 *
 * A restore must leave the x87 / SSE state fresh. KVM_SET_XSAVE does that
 * in one vCPU ioctl, and on our machines every vCPU ioctl costs ~5-6 us
 * (more than the rest of a light restore together). Ring-3 code can change
 * nothing of the FPU but the x87 and SSE registers and MXCSR while CR4 has
 * neither OSXSAVE nor PKE (no AVX, no XSAVE, no WRPKRU: #UD), and FXRSTOR
 * reloads exactly those. So after a light restore (no ring-0 code ran) the
 * next call enters at the host's entry page instead of the dispatch entry:
 *
 *     fxrstor64 fresh(%rip)   ; the fresh x87/SSE image, read by KVM_GET_XSAVE
 *     jmp *%r11               ; the dispatch entry, set by the host
 *
 * The page is host memory behind a read-only slot at GPA 0, mapped user
 * R-X at SB_ENTRY_PAGE_GVA by the tables the host builds for every
 * snapshot: no guest can write it, and its FXRSTOR runs before the guest's
 * first instruction, so the guest never sees the previous run's FPU state.
 * It is used only when the tables the guest runs on map that address to
 * GPA 0 (a snapshot file's tables might not) and CR4 allows it; otherwise,
 * and after a full restore, KVM_SET_XSAVE. The stub costs the next call
 * ~0.1 us, natively in ring 3.
 */
#include <string.h>
#include <sys/mman.h>

#include "pt_host.h"
#include "sandbox_internal.h"

#define ENTRY_IMAGE_OFFSET 0x100 /* FXRSTOR wants 16-byte alignment */
#define X86_CR4_OSXSAVE (1ull << 18)
#define X86_CR4_PKE (1ull << 22)

int sandbox_entry_page_init(struct sandbox *sb, struct sb_err *err)
{
	uint8_t *p = mmap(NULL, SB_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);
	if (p == MAP_FAILED)
		return sb_errf(err, SB_E_NOMEM, "cannot map the entry page");
	sb->flush_page = p;
	return 0;
}

int sandbox_entry_page_fill(struct sandbox *sb, struct sb_err *err)
{
	uint8_t *p = sb->flush_page;
	int32_t disp = ENTRY_IMAGE_OFFSET - 8; /* from the end of the 8-byte FXRSTOR */
	const uint8_t code[] = {
		0x48, 0x0f, 0xae, 0x0d, (uint8_t)disp, (uint8_t)(disp >> 8), (uint8_t)(disp >> 16),
		(uint8_t)(disp >> 24), /* fxrstor64 disp32(%rip) */
		0x41, 0xff, 0xe3,      /* jmp *%r11 */
	};
	memcpy(p, code, sizeof code);
	/* The legacy region of KVM's fresh xsave is an FXSAVE image (the
	 * fresh kvm_fpu without KVM_GET_XSAVE: no stub then). */
	sb->entry_stub = sb->fresh.have_xsave;
	if (sb->entry_stub)
		memcpy(p + ENTRY_IMAGE_OFFSET, sb->fresh.xsave.region, 512);
	if (mprotect(p, SB_PAGE_SIZE, PROT_READ))
		return sb_errf(err, SB_E_NOMEM, "cannot make the entry page read-only");
	return 0;
}

/* Do the tables the guest runs on (the snapshot's, as the host put them
 * in the page-table area) map the entry page as ours, executable from
 * ring 3? Remembered per snapshot and table source. */
static bool tables_map_entry_page(struct sandbox *sb, const struct snapshot *snap)
{
	const uint8_t *tables = sb->mem.snap_mem ? sb->mem.pt_tail : snap_pt_tail(snap);
	if (sb->entry_checked_snap == snap && sb->entry_checked_tables == tables)
		return sb->entry_checked_ok;
	const struct layout *l = &snap->layout;
	struct pt_region r = { layout_pt_base_gpa(l), tables, layout_pt_bytes(l) };
	struct pt_regions rr;
	pt_regions_init(&rr, &pt_format_x86_64, &r, 1, r.gpa);
	struct pt_walk w;
	struct pt_mapping m;
	/* In the root the sandbox starts in (several address spaces). */
	bool ok = pt_walk_begin_at(&w, &rr.pt, snap_cur_root(snap), SB_ENTRY_PAGE_GVA,
				   SB_PAGE_SIZE) == PT_OK &&
		  pt_walk_next(&w, &m) && m.len_bytes == SB_PAGE_SIZE &&
		  m.phys == SB_ENTRY_PAGE_GPA && m.user && m.kind.executable;
	sb->entry_checked_snap = snap;
	sb->entry_checked_tables = tables;
	sb->entry_checked_ok = ok;
	return ok;
}

bool sandbox_entry_usable(struct sandbox *sb, const struct snapshot *snap, uint64_t cr4)
{
	return sb->entry_stub && !(cr4 & (X86_CR4_OSXSAVE | X86_CR4_PKE)) &&
	       tables_map_entry_page(sb, snap);
}
