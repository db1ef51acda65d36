/* vcpu.h — one virtual CPU: creation, register access, CPU mode setup.
 *
 * A vCPU is created with the CPUID KVM supports (KVM_GET_SUPPORTED_CPUID,
 * fetched once by kvm_open) so long mode, NX and SSE are visible to the guest,
 * and with its struct kvm_run mapped. It starts in KVM's reset state (real
 * mode, CS base 0xffff0000); vcpu_setup_real_mode() / vcpu_setup_long_mode()
 * put it in a useful one. Running it: run.h. Cancelling it: cancel.h.
 */
#ifndef SNAPBENCH_VMM_VCPU_H
#define SNAPBENCH_VMM_VCPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "cancel.h"
#include "err.h"
#include "vm.h"

struct vcpu {
	struct vm *vm;         /* borrowed: must outlive the vCPU */
	uint32_t id;
	int fd;
	struct kvm_run *run;   /* shared with the kernel, vm->kvm->vcpu_mmap_bytes long */
	struct vcpu_cancel cancel;
	bool exit_pending;     /* the last exit was MMIO or an IN, not yet completed (run.h) */
	bool out_open;         /* the last exit was an OUT, which KVM finishes at the next run */
	uint64_t out_rip;      /* ... at this RIP */
};

/* KVM_CREATE_VCPU, mmap of kvm_run, KVM_SET_CPUID2, KVM_SET_SIGNAL_MASK. */
struct vcpu *vcpu_create(struct vm *vm, uint32_t id, struct sb_err *err);

/* Unmap kvm_run, delete the deadline timer, close the fd, free. NULL allowed. */
void vcpu_destroy(struct vcpu *vcpu);

int vcpu_get_regs(struct vcpu *vcpu, struct kvm_regs *regs, struct sb_err *err);
int vcpu_set_regs(struct vcpu *vcpu, const struct kvm_regs *regs, struct sb_err *err);
int vcpu_get_sregs(struct vcpu *vcpu, struct kvm_sregs *sregs, struct sb_err *err);
int vcpu_set_sregs(struct vcpu *vcpu, const struct kvm_sregs *sregs, struct sb_err *err);

/* The state of a vCPU that has never run, as far as a guest can change it
 * beyond the general and special registers (vcpu_state.c). */
#define VCPU_RESET_MSRS_MAX 320
struct vcpu_fresh {
	bool have_xsave, have_xcrs;
	struct kvm_xsave xsave; /* or, without KVM_GET_XSAVE, fpu */
	struct kvm_fpu fpu;
	struct kvm_xcrs xcrs;
	struct kvm_debugregs dregs;
	struct kvm_vcpu_events events;
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e[VCPU_RESET_MSRS_MAX];
	} msrs;
};

/* Read the fresh state (call before the vCPU first runs). */
int vcpu_capture_fresh(struct vcpu *vcpu, struct vcpu_fresh *f, struct sb_err *err);
/* Put back FPU / SSE / xsave state (one ioctl). */
int vcpu_reset_fpu(struct vcpu *vcpu, const struct vcpu_fresh *f, struct sb_err *err);
/* Put back what only ring-0 code can change: debug registers, XCR0, the
 * MSRs in f (an ioctl each), pending events (through kvm_run when
 * `sync_events`, KVM_CAP_SYNC_REGS having KVM_SYNC_X86_EVENTS; else an
 * ioctl). */
int vcpu_reset_ring0_state(struct vcpu *vcpu, const struct vcpu_fresh *f, bool sync_events,
			   struct sb_err *err);

/* Give the vCPU the CPUID entries KVM supports (done by vcpu_create). */
int vcpu_set_cpuid(struct vcpu *vcpu, struct sb_err *err);

/* Control-register and EFER bits used by the mode setup (Intel SDM vol. 3, §2.5). */
#define X86_CR0_PE (1ull << 0)   /* protection enable */
#define X86_CR0_MP (1ull << 1)   /* monitor coprocessor: WAIT/FWAIT honour TS */
#define X86_CR0_ET (1ull << 4)   /* extension type: always 1 on modern CPUs */
#define X86_CR0_NE (1ull << 5)   /* native x87 error reporting (#MF, not IRQ13) */
#define X86_CR0_WP (1ull << 16)  /* ring-0 writes honour read-only pages (guest CoW needs it) */
#define X86_CR0_PG (1ull << 31)  /* paging */
#define X86_CR4_PAE (1ull << 5)        /* 64-bit page-table entries; required for long mode */
#define X86_CR4_OSFXSR (1ull << 9)     /* OS supports FXSAVE/FXRSTOR: SSE instructions allowed */
#define X86_CR4_OSXMMEXCPT (1ull << 10) /* unmasked SSE exceptions raise #XM, not #UD */
#define X86_EFER_LME (1ull << 8)   /* long mode enable */
#define X86_EFER_LMA (1ull << 10)  /* long mode active (KVM_SET_SREGS wants it set with PG) */
#define X86_EFER_NXE (1ull << 11)  /* execute-disable bit (63) in page-table entries */

/* GDT selectors the long-mode setup loads (a guest that installs its own GDT
 * should use the same layout: 0 null, 1 64-bit code, 2 data, 3-4 TSS). */
#define VCPU_SEL_CODE64 0x08
#define VCPU_SEL_DATA 0x10
#define VCPU_SEL_TSS 0x18

/* Fill `sregs` for 64-bit long mode with paging rooted at `cr3` (a PML4's
 * GPA): flat ring-0 64-bit code and data segments, a 64-bit TSS descriptor in
 * TR (VM entry requires a usable TR). GDTR/IDTR and APIC base are left as they
 * are in `sregs`: with no IDT, any exception ends in a triple fault, which the
 * run loop reports as a shutdown. Pure function: no KVM access. */
void vcpu_sregs_long_mode(struct kvm_sregs *sregs, gpa_t cr3);

/* Get sregs, vcpu_sregs_long_mode(), set sregs. The caller then sets RIP,
 * RSP and RFLAGS with vcpu_set_regs(). */
int vcpu_setup_long_mode(struct vcpu *vcpu, gpa_t cr3, struct sb_err *err);

/* Real mode with every segment base 0 (CS:IP = 0:ip addresses GPA ip), and
 * RIP = `ip`, RFLAGS = 0x2, other general registers 0. For tiny test and
 * calibration guests. */
int vcpu_setup_real_mode(struct vcpu *vcpu, uint16_t ip, struct sb_err *err);

#endif
