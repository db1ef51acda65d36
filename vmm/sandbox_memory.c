/* sandbox_memory.c — a live sandbox's memory by guest-virtual address.
 *
 * The translation is the guest's own: the vCPU's current CR3 (what the
 * next guest instruction would translate through; right after a restore or
 * create, the restored snapshot's root, waiting in kvm_run), over the
 * memory the sandbox maps into KVM — the snapshot region (its shared image,
 * or under host-cow the sandbox's private copy), scratch, the host's entry
 * page and the extra read-only regions. The guest wrote those tables, ring
 * 0 included, so they are read like a snapshot file's: vmem's lookup, each
 * page's GPA used only inside one of those regions (vmem/pt_read.c). */
#include "pt_host.h"
#include "sandbox_abi.h"
#include "sandbox_internal.h"

int sandbox_read_gva(struct sandbox *sb, gva_t va, void *buf, size_t len, struct sb_err *err)
{
	/* A poisoned sandbox is read as it stopped (that is what a post-mortem
	 * wants); a broken one may be half-way through a host step. */
	if (sb->state == SANDBOX_BROKEN)
		return sb_errf(err, SB_E_STATE, "read_gva: sandbox is broken (%s)", sb->reason);
	struct kvm_sregs sregs;
	const struct kvm_run *run = sb->vcpu->run;
	if (run->kvm_dirty_regs & KVM_SYNC_X86_SREGS)
		sregs = run->s.regs.sregs;
	else if (vcpu_get_sregs(sb->vcpu, &sregs, err))
		return sb_err_prefix(err, "read_gva: ");
	const struct layout *l = mgr_layout(&sb->mem);
	struct pt_region regions[3 + SNAP_MAX_EXTRA] = {
		{ SB_BASE_ADDRESS, mgr_snapshot_mem(&sb->mem), layout_snapshot_bytes(l) },
		{ layout_scratch_base_gpa(l), sb->mem.scratch, sb->mem.scratch_bytes },
		{ SB_ENTRY_PAGE_GPA, sb->flush_page, SB_PAGE_SIZE },
	};
	size_t n = 3;
	for (size_t i = 0; i < sb->n_extra && n < sizeof regions / sizeof regions[0]; i++)
		regions[n++] = (struct pt_region){ sb->extra[i].gpa, sb->extra[i].host,
						   sb->extra[i].bytes };
	gpa_t root = sregs.cr3 & PT_X86_64_ADDR_MASK;
	struct pt_regions rr;
	pt_regions_init(&rr, &pt_format_x86_64, regions, n, root);
	if (pt_regions_read_va(&rr, root, va, buf, len, NULL, NULL, err))
		return sb_err_prefix(err, "read_gva (CR3 0x%llx): ", (unsigned long long)root);
	return 0;
}
