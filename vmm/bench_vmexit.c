/* bench_vmexit — print this machine's basic KVM costs:
 * bare exit round trip, KVM_CREATE_VM and KVM_CREATE_VCPU times.
 *
 * usage: bench_vmexit [exits (default 10000)] [create iterations (default 100)]
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "vmm.h"

static void print_cost(const char *what, const struct vmm_cost_ns *c)
{
	printf("%-24s median %9.3f us  mean %9.3f us  min %9.3f us  max %10.3f us  (n=%" PRIu32 ")\n",
	       what, c->median_ns / 1e3, c->mean_ns / 1e3, c->min_ns / 1e3, c->max_ns / 1e3,
	       c->samples);
}

int main(int argc, char **argv)
{
	uint32_t exits = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 0) : 10000;
	uint32_t iterations = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 0) : 100;
	struct sb_err err = { 0 };

	struct kvm *kvm = kvm_open(&err);
	if (!kvm) {
		fprintf(stderr, "bench_vmexit: %s\n", err.msg);
		return 1;
	}
	struct vmm_cost_ns exit_cost, vm_cost, vcpu_cost;
	if (vmm_measure_exit_roundtrip_ns(kvm, exits, &exit_cost, &err) < 0 ||
	    vmm_measure_create_ns(kvm, iterations, &vm_cost, &vcpu_cost, &err) < 0) {
		fprintf(stderr, "bench_vmexit: %s\n", err.msg);
		kvm_close(kvm);
		return 1;
	}
	print_cost("exit round trip (OUT)", &exit_cost);
	print_cost("KVM_CREATE_VM", &vm_cost);
	print_cost("KVM_CREATE_VCPU", &vcpu_cost);
	kvm_close(kvm);
	return 0;
}
