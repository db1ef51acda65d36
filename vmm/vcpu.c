/* vcpu.c — vCPU creation, registers, CPU mode setup (see vcpu.h). */
#include "vcpu.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct vcpu *vcpu_create(struct vm *vm, uint32_t id, struct sb_err *err)
{
	struct vcpu *vcpu = calloc(1, sizeof *vcpu);
	if (!vcpu) {
		sb_errf(err, SB_E_NOMEM, "allocating struct vcpu");
		return NULL;
	}
	vcpu->vm = vm;
	vcpu->id = id;

	vcpu->fd = KVM_IOCTL(vm->fd, KVM_CREATE_VCPU, id, err);
	if (vcpu->fd < 0)
		goto err_free;

	void *run = mmap(NULL, vm->kvm->vcpu_mmap_bytes, PROT_READ | PROT_WRITE, MAP_SHARED,
			 vcpu->fd, 0);
	if (run == MAP_FAILED) {
		sb_errf(err, SB_E_KVM, "mmap of kvm_run (%zu bytes) failed: %s",
			vm->kvm->vcpu_mmap_bytes, kvm_strerror(errno));
		goto err_close;
	}
	vcpu->run = run;

	if (vcpu_set_cpuid(vcpu, err) < 0)
		goto err_unmap;
	if (vcpu_cancel_init(vcpu, err) < 0)
		goto err_unmap;
	return vcpu;

err_unmap:
	munmap(vcpu->run, vm->kvm->vcpu_mmap_bytes);
err_close:
	close(vcpu->fd);
err_free:
	free(vcpu);
	return NULL;
}

void vcpu_destroy(struct vcpu *vcpu)
{
	if (!vcpu)
		return;
	vcpu_cancel_fini(vcpu);
	munmap(vcpu->run, vcpu->vm->kvm->vcpu_mmap_bytes);
	close(vcpu->fd);
	free(vcpu);
}

int vcpu_set_cpuid(struct vcpu *vcpu, struct sb_err *err)
{
	return KVM_IOCTL(vcpu->fd, KVM_SET_CPUID2, vcpu->vm->kvm->cpuid, err) < 0 ? -1 : 0;
}

/* The const casts below are for the ioctl's void * argument; KVM_SET_* only
 * reads it. */
int vcpu_get_regs(struct vcpu *vcpu, struct kvm_regs *regs, struct sb_err *err)
{
	return KVM_IOCTL(vcpu->fd, KVM_GET_REGS, regs, err) < 0 ? -1 : 0;
}

int vcpu_set_regs(struct vcpu *vcpu, const struct kvm_regs *regs, struct sb_err *err)
{
	return KVM_IOCTL(vcpu->fd, KVM_SET_REGS, regs, err) < 0 ? -1 : 0;
}

int vcpu_get_sregs(struct vcpu *vcpu, struct kvm_sregs *sregs, struct sb_err *err)
{
	return KVM_IOCTL(vcpu->fd, KVM_GET_SREGS, sregs, err) < 0 ? -1 : 0;
}

int vcpu_set_sregs(struct vcpu *vcpu, const struct kvm_sregs *sregs, struct sb_err *err)
{
	return KVM_IOCTL(vcpu->fd, KVM_SET_SREGS, sregs, err) < 0 ? -1 : 0;
}

/* A flat segment: base 0, limit 4 GiB (ignored in 64-bit mode except for
 * data-segment checks), ring 0, present, code/data (S=1), 4 KiB granularity. */
static struct kvm_segment flat_segment(uint16_t selector, uint8_t type, bool code64)
{
	return (struct kvm_segment){
		.base = 0,
		.limit = 0xffffffff,
		.selector = selector,
		.type = type,
		.present = 1,
		.dpl = 0,
		.db = code64 ? 0 : 1, /* L=1 requires D=0 */
		.s = 1,
		.l = code64 ? 1 : 0,
		.g = 1,
	};
}

void vcpu_sregs_long_mode(struct kvm_sregs *s, gpa_t cr3)
{
	/* Type 0xb: code, execute/read, accessed. Type 0x3: data, read/write, accessed. */
	s->cs = flat_segment(VCPU_SEL_CODE64, 0xb, true);
	s->ds = s->es = s->fs = s->gs = s->ss = flat_segment(VCPU_SEL_DATA, 0x3, false);

	/* TR: a 64-bit busy TSS (type 0xb, S=0) of the architectural minimum
	 * size; its base only matters once the guest takes an interrupt with an
	 * IST stack or a privilege change, which a guest with its own GDT sets
	 * up itself. LDT: present but empty (type 2), never used. */
	s->tr = (struct kvm_segment){
		.selector = VCPU_SEL_TSS, .limit = 0x67, .type = 0xb, .present = 1,
	};
	s->ldt = (struct kvm_segment){ .limit = 0xffff, .type = 0x2, .present = 1 };

	s->cr0 = X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE | X86_CR0_WP | X86_CR0_PG;
	s->cr3 = cr3;
	s->cr4 = X86_CR4_PAE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;
	s->efer = X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE;
	s->cr2 = 0;
	s->cr8 = 0;
}

int vcpu_setup_long_mode(struct vcpu *vcpu, gpa_t cr3, struct sb_err *err)
{
	struct kvm_sregs sregs;
	if (vcpu_get_sregs(vcpu, &sregs, err) < 0)
		return -1;
	vcpu_sregs_long_mode(&sregs, cr3);
	if (vcpu_set_sregs(vcpu, &sregs, err) < 0)
		return sb_err_prefix(err, "entering long mode (CR3 0x%llx): ",
				     (unsigned long long)cr3);
	return 0;
}

int vcpu_setup_real_mode(struct vcpu *vcpu, uint16_t ip, struct sb_err *err)
{
	struct kvm_sregs sregs;
	if (vcpu_get_sregs(vcpu, &sregs, err) < 0)
		return -1;
	struct kvm_segment *segs[] = { &sregs.cs, &sregs.ds, &sregs.es,
				       &sregs.fs, &sregs.gs, &sregs.ss };
	for (size_t i = 0; i < sizeof segs / sizeof segs[0]; i++) {
		segs[i]->base = 0;
		segs[i]->selector = 0;
	}
	if (vcpu_set_sregs(vcpu, &sregs, err) < 0)
		return -1;

	struct kvm_regs regs;
	memset(&regs, 0, sizeof regs);
	regs.rip = ip;
	regs.rflags = 0x2; /* bit 1 is reserved and always 1 */
	return vcpu_set_regs(vcpu, &regs, err);
}
