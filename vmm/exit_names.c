/* exit_names.c — names of KVM exit reasons and related codes, for messages. */
#include <linux/kvm.h>
#include <stddef.h>

#include "run.h"

#define NAME(x) [x] = #x

static const char *const exit_names[] = {
	NAME(KVM_EXIT_UNKNOWN),
	NAME(KVM_EXIT_EXCEPTION),
	NAME(KVM_EXIT_IO),
	NAME(KVM_EXIT_HYPERCALL),
	NAME(KVM_EXIT_DEBUG),
	NAME(KVM_EXIT_HLT),
	NAME(KVM_EXIT_MMIO),
	NAME(KVM_EXIT_IRQ_WINDOW_OPEN),
	NAME(KVM_EXIT_SHUTDOWN),
	NAME(KVM_EXIT_FAIL_ENTRY),
	NAME(KVM_EXIT_INTR),
	NAME(KVM_EXIT_SET_TPR),
	NAME(KVM_EXIT_TPR_ACCESS),
	NAME(KVM_EXIT_S390_SIEIC),
	NAME(KVM_EXIT_S390_RESET),
	NAME(KVM_EXIT_DCR),
	NAME(KVM_EXIT_NMI),
	NAME(KVM_EXIT_INTERNAL_ERROR),
	NAME(KVM_EXIT_OSI),
	NAME(KVM_EXIT_PAPR_HCALL),
	NAME(KVM_EXIT_S390_UCONTROL),
	NAME(KVM_EXIT_WATCHDOG),
	NAME(KVM_EXIT_S390_TSCH),
	NAME(KVM_EXIT_EPR),
	NAME(KVM_EXIT_SYSTEM_EVENT),
	NAME(KVM_EXIT_S390_STSI),
	NAME(KVM_EXIT_IOAPIC_EOI),
	NAME(KVM_EXIT_HYPERV),
	NAME(KVM_EXIT_ARM_NISV),
	NAME(KVM_EXIT_X86_RDMSR),
	NAME(KVM_EXIT_X86_WRMSR),
	NAME(KVM_EXIT_DIRTY_RING_FULL),
	NAME(KVM_EXIT_AP_RESET_HOLD),
	NAME(KVM_EXIT_X86_BUS_LOCK),
	NAME(KVM_EXIT_XEN),
	NAME(KVM_EXIT_RISCV_SBI),
	NAME(KVM_EXIT_RISCV_CSR),
	NAME(KVM_EXIT_NOTIFY),
#ifdef KVM_EXIT_LOONGARCH_IOCSR
	NAME(KVM_EXIT_LOONGARCH_IOCSR),
#endif
#ifdef KVM_EXIT_MEMORY_FAULT
	NAME(KVM_EXIT_MEMORY_FAULT),
#endif
};

const char *kvm_exit_reason_name(uint32_t reason)
{
	if (reason < sizeof exit_names / sizeof exit_names[0] && exit_names[reason])
		return exit_names[reason];
	return "KVM_EXIT_<unknown>";
}

static const char *const internal_names[] = {
	[KVM_INTERNAL_ERROR_EMULATION] = "emulation failure",
	[KVM_INTERNAL_ERROR_SIMUL_EX] = "exception while delivering an exception",
	[KVM_INTERNAL_ERROR_DELIVERY_EV] = "event delivery caused an exit KVM cannot handle",
	[KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON] = "unexpected hardware exit reason",
};

const char *kvm_internal_error_name(uint32_t suberror)
{
	if (suberror < sizeof internal_names / sizeof internal_names[0] && internal_names[suberror])
		return internal_names[suberror];
	return "unknown suberror";
}

const char *vcpu_cancel_reason_name(enum vcpu_cancel_reason why)
{
	switch (why) {
	case VCPU_CANCEL_NONE:
		return "none";
	case VCPU_CANCEL_REQUESTED:
		return "requested";
	case VCPU_CANCEL_DEADLINE:
		return "deadline";
	}
	return "unknown";
}
