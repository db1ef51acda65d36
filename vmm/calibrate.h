/* calibrate.h — this machine's own unit of cost.
 *
 * Costs on nested KVM (DESIGN §7) are far from bare-metal folklore, so the
 * workbench measures them here rather than assuming: one guest exit round
 * trip (guest → host user space → guest) is the unit other latencies are
 * expressed in; VM and vCPU creation bound sandbox creation.
 */
#ifndef SNAPBENCH_VMM_CALIBRATE_H
#define SNAPBENCH_VMM_CALIBRATE_H

#include <stdint.h>

#include "err.h"
#include "kvm.h"

struct vmm_cost_ns {
	uint64_t median_ns;
	uint64_t mean_ns;
	uint64_t min_ns;
	uint64_t max_ns;
	uint32_t samples;
};

/* Build a throwaway VM whose real-mode guest loops `out 0x10, al; jmp`, and
 * time `exits` vcpu_run() calls after a short warm-up; each call is one round
 * trip guest → host user space → guest. */
int vmm_measure_exit_roundtrip_ns(struct kvm *kvm, uint32_t exits, struct vmm_cost_ns *out,
				  struct sb_err *err);
/* The same, keeping each round trip: samples_ns[exits], in run order. */
int vmm_sample_exit_roundtrip_ns(struct kvm *kvm, uint32_t exits, uint64_t *samples_ns,
				 struct sb_err *err);

/* Time the KVM_CREATE_VM ioctl and, in each VM, the KVM_CREATE_VCPU ioctl
 * (ioctls only: no mmap, no CPUID), `iterations` times each. */
int vmm_measure_create_ns(struct kvm *kvm, uint32_t iterations, struct vmm_cost_ns *create_vm,
			  struct vmm_cost_ns *create_vcpu, struct sb_err *err);

/* Summarise `n` samples (sorts them in place). */
void vmm_cost_from_samples(uint64_t *samples_ns, uint32_t n, struct vmm_cost_ns *out);

#endif
