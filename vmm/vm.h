/* vm.h — one KVM virtual machine: its fd and its memory slots.
 *
 * A VM has no irqchip, no PIT, no devices: memory slots and one vCPU
 * (vcpu.h). Slots are tracked here so guest-physical addresses can be turned
 * into host pointers (vm_gpa2hva) without asking the kernel.
 */
#ifndef SNAPBENCH_VMM_VM_H
#define SNAPBENCH_VMM_VM_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "err.h"
#include "kvm.h"

/* Slot numbers accepted by vm_set_memslot: 0 .. VM_MAX_MEMSLOTS-1. */
#define VM_MAX_MEMSLOTS 32

struct vm_memslot {
	bool used;
	bool readonly;
	bool log_dirty;
	gpa_t gpa;
	void *hva;
	uint64_t bytes;
};

struct vm {
	struct kvm *kvm; /* borrowed: must outlive the VM */
	int fd;
	/* KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2 is on: see vm_get_dirty_log. */
	bool manual_dirty;
	struct vm_memslot slots[VM_MAX_MEMSLOTS];
};

/* KVM_CREATE_VM (default machine type). NULL + err on failure. */
struct vm *vm_create(struct kvm *kvm, struct sb_err *err);

/* Close the VM fd and free it (vCPUs must be destroyed first). The memory
 * behind the slots belongs to the caller and is not unmapped. NULL allowed. */
void vm_destroy(struct vm *vm);

/* Map `bytes` of host memory at `hva` into the guest at `gpa` as slot `slot`
 * (KVM_SET_USER_MEMORY_REGION). `readonly` maps it with KVM_MEM_READONLY:
 * guest reads hit memory, guest writes exit to user space as MMIO.
 * Replacing a used slot is allowed only by deleting it first (KVM forbids
 * changing a slot's address or size in place). Alignment and overlap are
 * checked by KVM; its refusal comes back as "KVM_SET_USER_MEMORY_REGION
 * failed: ...". Not a hot-path operation (15–240 µs here, DESIGN §7). */
int vm_set_memslot(struct vm *vm, uint32_t slot, gpa_t gpa, void *hva, uint64_t bytes,
		   bool readonly, struct sb_err *err);

/* The same, writable, with KVM's dirty log on (KVM_MEM_LOG_DIRTY_PAGES):
 * vm_get_dirty_log then says which pages the guest wrote. */
int vm_set_memslot_logged(struct vm *vm, uint32_t slot, gpa_t gpa, void *hva, uint64_t bytes,
			  struct sb_err *err);

/* The pages of a logged slot in KVM's dirty log: bit i of bitmap[i / 64]
 * for page i; the bitmap must hold one bit per page of the slot, rounded up
 * to 64 (KVM_GET_DIRTY_LOG: ~1 us here, a VM ioctl). Writes the host makes
 * through its own mapping are not in the log.
 *  - With vm->manual_dirty (KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2, Linux 5.8+):
 *    a page enters the log at the guest's first write to it and stays
 *    there, writable, until vm_clear_dirty_log takes it out and
 *    write-protects it again. So a page not in the log was not written
 *    since it was last cleared (or the slot added).
 *  - Without: the log names the pages written since the last call, and KVM
 *    write-protects them again at once.
 * A write-protected page's next write costs the guest a fault into KVM
 * (~4-7 us here). */
int vm_get_dirty_log(struct vm *vm, uint32_t slot, uint64_t *bitmap, struct sb_err *err);
/* Take the pages set in `bitmap` (same shape) out of the log and
 * write-protect them (KVM_CLEAR_DIRTY_LOG). A no-op without manual_dirty. */
int vm_clear_dirty_log(struct vm *vm, uint32_t slot, uint64_t *bitmap, struct sb_err *err);

/* Delete slot `slot` (a KVM_SET_USER_MEMORY_REGION of size 0). */
int vm_delete_memslot(struct vm *vm, uint32_t slot, struct sb_err *err);

/* Host pointer for [gpa, gpa+bytes) if it lies inside one slot, else NULL. */
void *vm_gpa2hva(const struct vm *vm, gpa_t gpa, uint64_t bytes);

#endif
