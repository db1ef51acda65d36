/* vm.c — VM creation, memory slots (see vm.h). */
#include "vm.h"

#include <sys/ioctl.h>

#include <stdlib.h>
#include <unistd.h>

struct vm *vm_create(struct kvm *kvm, struct sb_err *err)
{
	struct vm *vm = calloc(1, sizeof *vm);
	if (!vm) {
		sb_errf(err, SB_E_NOMEM, "allocating struct vm");
		return NULL;
	}
	vm->kvm = kvm;
	/* No KVM_SET_TSS_ADDR: it reserves three pages of guest-physical space
	 * below 4 GiB that a large snapshot region would overlap, and only VMX
	 * without unrestricted-guest support needs it for real mode. */
	vm->fd = KVM_IOCTL(kvm->fd, KVM_CREATE_VM, 0, err);
	if (vm->fd < 0)
		goto err_free;
	/* Pages leave the dirty log only when vm_clear_dirty_log says so. Not
	 * INITIALLY_SET: a new slot starts write-protected with no bit set. */
	struct kvm_enable_cap cap = { .cap = KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2,
				      .args = { KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE } };
	vm->manual_dirty = ioctl(vm->fd, KVM_CHECK_EXTENSION, KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2) > 0 &&
			   ioctl(vm->fd, KVM_ENABLE_CAP, &cap) == 0;
	return vm;

err_free:
	free(vm);
	return NULL;
}

void vm_destroy(struct vm *vm)
{
	if (!vm)
		return;
	close(vm->fd);
	free(vm);
}

static int set_region(struct vm *vm, uint32_t slot, gpa_t gpa, void *hva, uint64_t bytes,
		      uint32_t flags, struct sb_err *err)
{
	struct kvm_userspace_memory_region region = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = bytes,
		.userspace_addr = (uint64_t)(uintptr_t)hva,
	};
	return KVM_IOCTL(vm->fd, KVM_SET_USER_MEMORY_REGION, &region, err) < 0 ? -1 : 0;
}

static int add_slot(struct vm *vm, uint32_t slot, gpa_t gpa, void *hva, uint64_t bytes,
		    uint32_t flags, struct sb_err *err)
{
	if (slot >= VM_MAX_MEMSLOTS)
		return sb_errf(err, SB_E_RANGE, "memslot %u: slots are 0..%u", slot,
			       VM_MAX_MEMSLOTS - 1);
	if (bytes == 0)
		return sb_errf(err, SB_E_INVAL, "memslot %u: size 0 (use vm_delete_memslot)", slot);
	if (vm->slots[slot].used)
		return sb_errf(err, SB_E_STATE, "memslot %u is in use; delete it first", slot);
	if (set_region(vm, slot, gpa, hva, bytes, flags, err) < 0)
		return sb_err_prefix(err, "memslot %u (GPA 0x%llx, %llu bytes): ", slot,
				     (unsigned long long)gpa, (unsigned long long)bytes);
	vm->slots[slot] = (struct vm_memslot){
		.used = true,
		.readonly = (flags & KVM_MEM_READONLY) != 0,
		.log_dirty = (flags & KVM_MEM_LOG_DIRTY_PAGES) != 0,
		.gpa = gpa,
		.hva = hva,
		.bytes = bytes,
	};
	return 0;
}

int vm_set_memslot(struct vm *vm, uint32_t slot, gpa_t gpa, void *hva, uint64_t bytes,
		   bool readonly, struct sb_err *err)
{
	return add_slot(vm, slot, gpa, hva, bytes, readonly ? KVM_MEM_READONLY : 0, err);
}

int vm_set_memslot_logged(struct vm *vm, uint32_t slot, gpa_t gpa, void *hva, uint64_t bytes,
			  struct sb_err *err)
{
	return add_slot(vm, slot, gpa, hva, bytes, KVM_MEM_LOG_DIRTY_PAGES, err);
}

int vm_get_dirty_log(struct vm *vm, uint32_t slot, uint64_t *bitmap, struct sb_err *err)
{
	if (slot >= VM_MAX_MEMSLOTS || !vm->slots[slot].used || !vm->slots[slot].log_dirty)
		return sb_errf(err, SB_E_STATE, "memslot %u has no dirty log", slot);
	struct kvm_dirty_log log = { .slot = slot, .dirty_bitmap = bitmap };
	if (KVM_IOCTL(vm->fd, KVM_GET_DIRTY_LOG, &log, err) < 0)
		return sb_err_prefix(err, "memslot %u: ", slot);
	return 0;
}

int vm_clear_dirty_log(struct vm *vm, uint32_t slot, uint64_t *bitmap, struct sb_err *err)
{
	if (!vm->manual_dirty)
		return 0;
	if (slot >= VM_MAX_MEMSLOTS || !vm->slots[slot].used || !vm->slots[slot].log_dirty)
		return sb_errf(err, SB_E_STATE, "memslot %u has no dirty log", slot);
	struct kvm_clear_dirty_log log = { .slot = slot, .first_page = 0,
					   .num_pages = (uint32_t)(vm->slots[slot].bytes / 4096),
					   .dirty_bitmap = bitmap };
	if (KVM_IOCTL(vm->fd, KVM_CLEAR_DIRTY_LOG, &log, err) < 0)
		return sb_err_prefix(err, "memslot %u: ", slot);
	return 0;
}

int vm_delete_memslot(struct vm *vm, uint32_t slot, struct sb_err *err)
{
	if (slot >= VM_MAX_MEMSLOTS || !vm->slots[slot].used)
		return sb_errf(err, SB_E_STATE, "memslot %u is not in use", slot);
	/* KVM deletes a slot when its size is 0; the address must be the old one. */
	if (set_region(vm, slot, vm->slots[slot].gpa, NULL, 0, 0, err) < 0)
		return sb_err_prefix(err, "deleting memslot %u: ", slot);
	vm->slots[slot] = (struct vm_memslot){ 0 };
	return 0;
}

void *vm_gpa2hva(const struct vm *vm, gpa_t gpa, uint64_t bytes)
{
	for (uint32_t i = 0; i < VM_MAX_MEMSLOTS; i++) {
		const struct vm_memslot *s = &vm->slots[i];
		if (!s->used || gpa < s->gpa)
			continue;
		uint64_t off = gpa - s->gpa;
		if (off <= s->bytes && bytes <= s->bytes - off)
			return (char *)s->hva + off;
	}
	return NULL;
}
