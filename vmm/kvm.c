/* kvm.c — ioctl wrappers and the /dev/kvm handle (see kvm.h). */
#include "kvm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* KVM_GET_SUPPORTED_CPUID encodes sizeof(struct kvm_cpuid2) — the 8-byte
 * header without the flexible entry array — in its ioctl number. Bindings that
 * encode the size of a header-plus-entries struct get ENOTTY/EINVAL (DESIGN §7).
 * With the kernel's own header the number is right; keep it that way. */
_Static_assert(sizeof(struct kvm_cpuid2) == 8, "kvm_cpuid2 header is 8 bytes");
_Static_assert(_IOC_SIZE(KVM_GET_SUPPORTED_CPUID) == sizeof(struct kvm_cpuid2),
	       "KVM_GET_SUPPORTED_CPUID must encode the header size");

int kvm_ioctl_raw(int fd, unsigned long request, void *arg)
{
	int ret = ioctl(fd, request, arg);
	return ret < 0 ? -errno : ret;
}

const char *kvm_strerror(int errnum)
{
	/* strerrordesc_np returns a static string: no locale lookup, no
	 * allocation, thread-safe — usable on the run path. */
	const char *s = strerrordesc_np(errnum);
	return s ? s : "Unknown error";
}

int kvm_ioctl_named(int fd, unsigned long request, const char *name, void *arg,
		    struct sb_err *err)
{
	int ret = kvm_ioctl_raw(fd, request, arg);
	if (ret < 0)
		sb_errf(err, SB_E_KVM, "%s failed: %s", name, kvm_strerror(-ret));
	return ret;
}

int kvm_check_cap(const struct kvm *kvm, long cap)
{
	return kvm_ioctl_raw(kvm->fd, KVM_CHECK_EXTENSION, (void *)cap);
}

static const struct {
	long cap;
	const char *name;
} required_caps[] = {
	{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
	{ KVM_CAP_READONLY_MEM, "KVM_CAP_READONLY_MEM" },
	{ KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT" },
};

static int check_required(struct kvm *kvm, struct sb_err *err)
{
	int ret = KVM_IOCTL(kvm->fd, KVM_GET_API_VERSION, 0, err);
	if (ret < 0)
		return -1;
	if (ret != KVM_EXPECTED_API_VERSION)
		return sb_errf(err, SB_E_KVM, "%s: KVM API version %d, need %d", KVM_DEV_PATH,
			       ret, KVM_EXPECTED_API_VERSION);

	for (size_t i = 0; i < sizeof required_caps / sizeof required_caps[0]; i++) {
		ret = KVM_IOCTL(kvm->fd, KVM_CHECK_EXTENSION, required_caps[i].cap, err);
		if (ret < 0)
			return -1;
		if (ret == 0)
			return sb_errf(err, SB_E_KVM, "%s: required capability %s is missing",
				       KVM_DEV_PATH, required_caps[i].name);
	}

	ret = KVM_IOCTL(kvm->fd, KVM_GET_VCPU_MMAP_SIZE, 0, err);
	if (ret < 0)
		return -1;
	if ((size_t)ret < sizeof(struct kvm_run))
		return sb_errf(err, SB_E_KVM, "KVM_GET_VCPU_MMAP_SIZE returned %d bytes, less than "
			       "struct kvm_run (%zu bytes)", ret, sizeof(struct kvm_run));
	kvm->vcpu_mmap_bytes = (size_t)ret;
	return 0;
}

static int fetch_supported_cpuid(struct kvm *kvm, struct sb_err *err)
{
	size_t bytes = sizeof(struct kvm_cpuid2) +
		       KVM_CPUID_MAX_ENTRIES * sizeof(struct kvm_cpuid_entry2);
	kvm->cpuid = calloc(1, bytes);
	if (!kvm->cpuid)
		return sb_errf(err, SB_E_NOMEM, "allocating %zu bytes for CPUID entries", bytes);
	kvm->cpuid->nent = KVM_CPUID_MAX_ENTRIES;
	if (KVM_IOCTL(kvm->fd, KVM_GET_SUPPORTED_CPUID, kvm->cpuid, err) < 0)
		return -1; /* kvm->cpuid is freed by the caller's ladder */
	return 0;
}

struct kvm *kvm_open(struct sb_err *err)
{
	struct kvm *kvm = calloc(1, sizeof *kvm);
	if (!kvm) {
		sb_errf(err, SB_E_NOMEM, "allocating struct kvm");
		return NULL;
	}

	kvm->fd = open(KVM_DEV_PATH, O_RDWR | O_CLOEXEC);
	if (kvm->fd < 0) {
		int e = errno;
		if (e == ENOENT)
			sb_errf(err, SB_E_IO, "%s not found: KVM is not available on this machine",
				KVM_DEV_PATH);
		else
			sb_errf(err, SB_E_IO, "cannot open %s: %s%s", KVM_DEV_PATH, kvm_strerror(e),
				e == EACCES ? " (add the user to the kvm group)" : "");
		goto err_free;
	}
	if (check_required(kvm, err) < 0)
		goto err_close;
	if (fetch_supported_cpuid(kvm, err) < 0)
		goto err_cpuid;
	return kvm;

err_cpuid:
	free(kvm->cpuid);
err_close:
	close(kvm->fd);
err_free:
	free(kvm);
	return NULL;
}

void kvm_close(struct kvm *kvm)
{
	if (!kvm)
		return;
	free(kvm->cpuid);
	close(kvm->fd);
	free(kvm);
}
