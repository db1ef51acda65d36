/* kvm.h — the ioctl layer: two tiers of ioctl wrappers and the /dev/kvm handle.
 *
 * Tier 1, kvm_ioctl_raw(): the ioctl, nothing else. Returns the ioctl's
 * result (>= 0) or -errno. Used on hot paths that handle errors themselves.
 *
 * Tier 2, KVM_IOCTL(): the same call, but a failure also fills a struct
 * sb_err (code SB_E_KVM) with the name of the ioctl, taken from the request
 * macro itself by stringification, and the errno text:
 *     "KVM_SET_USER_MEMORY_REGION failed: Invalid argument"
 * It returns the same value as tier 1. Neither tier aborts or prints.
 */
#ifndef SNAPBENCH_VMM_KVM_H
#define SNAPBENCH_VMM_KVM_H

#include <linux/kvm.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

#define KVM_DEV_PATH "/dev/kvm"
#define KVM_EXPECTED_API_VERSION 12

/* Upper bound on CPUID entries we ask KVM for (the kernel's own limit is 256). */
#define KVM_CPUID_MAX_ENTRIES 256

/* Returns the ioctl's result (>= 0) or -errno. */
int kvm_ioctl_raw(int fd, unsigned long request, void *arg);

/* Tier-2 implementation; call it through KVM_IOCTL() so `name` is the macro's
 * spelling. Returns the ioctl's result (>= 0) or -errno, filling `err`. */
int kvm_ioctl_named(int fd, unsigned long request, const char *name, void *arg,
		    struct sb_err *err);

/* `request` must be written as the KVM_* macro name (it is stringified
 * before expansion). `arg` may be a pointer or an integer argument. */
#define KVM_IOCTL(fd, request, arg, err) \
	kvm_ioctl_named((fd), (request), #request, (void *)(uintptr_t)(arg), (err))

/* Text for an errno value that never allocates ("Invalid argument"). */
const char *kvm_strerror(int errnum);

/* An open /dev/kvm with what every VM needs from the system fd. */
struct kvm {
	int fd;
	size_t vcpu_mmap_bytes;     /* KVM_GET_VCPU_MMAP_SIZE: size of struct kvm_run's mapping */
	struct kvm_cpuid2 *cpuid;   /* KVM_GET_SUPPORTED_CPUID, fetched once, given to every vCPU */
};

/* Open /dev/kvm, check API version 12 and the required capabilities
 * (KVM_CAP_USER_MEMORY, KVM_CAP_READONLY_MEM, KVM_CAP_IMMEDIATE_EXIT), read
 * the vCPU mapping size and the supported CPUID. Returns NULL on failure:
 * SB_E_IO when /dev/kvm is missing or cannot be opened (callers such as tests
 * treat that as "no KVM here"), SB_E_KVM when it is there but unusable. */
struct kvm *kvm_open(struct sb_err *err);

/* Close the fd and free the handle. NULL is allowed. Every VM created from
 * it must be destroyed first. */
void kvm_close(struct kvm *kvm);

/* KVM_CHECK_EXTENSION on the system fd: > 0 supported (value is cap
 * specific), 0 not supported, -errno on failure. */
int kvm_check_cap(const struct kvm *kvm, long cap);

#endif
