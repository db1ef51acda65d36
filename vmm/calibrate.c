/* calibrate.c — exit round-trip and creation timings (see calibrate.h). */
#include "calibrate.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "run.h"

#define CAL_GUEST_GPA 0x1000
#define CAL_PORT 0x10
#define CAL_WARMUP_EXITS 100

/* Real-mode guest at CAL_GUEST_GPA:
 *   1000: e6 10    out  0x10, al     ; exit to the host
 *   1002: eb fc    jmp  0x1000       ; rel8 = -4
 */
static const uint8_t cal_guest[] = { 0xe6, CAL_PORT, 0xeb, 0xfc };

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

void vmm_cost_from_samples(uint64_t *s, uint32_t n, struct vmm_cost_ns *out)
{
	memset(out, 0, sizeof *out);
	if (n == 0)
		return;
	qsort(s, n, sizeof s[0], cmp_u64);
	uint64_t sum = 0;
	for (uint32_t i = 0; i < n; i++)
		sum += s[i];
	out->samples = n;
	out->min_ns = s[0];
	out->max_ns = s[n - 1];
	out->mean_ns = sum / n;
	out->median_ns = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static int run_one_out(struct vcpu *vcpu, struct sb_err *err)
{
	struct vcpu_exit exit;
	if (vcpu_run(vcpu, &exit, err) < 0)
		return -1;
	if (exit.kind != VCPU_EXIT_IO || exit.io.port != CAL_PORT)
		return sb_errf(err, SB_E_GUEST, "calibration guest: unexpected exit %s",
			       kvm_exit_reason_name(exit.reason));
	return 0;
}

int vmm_measure_exit_roundtrip_ns(struct kvm *kvm, uint32_t exits, struct vmm_cost_ns *out,
				  struct sb_err *err)
{
	if (exits == 0)
		return sb_errf(err, SB_E_INVAL, "exit round trip: need at least one exit");
	uint64_t *samples = calloc(exits, sizeof *samples);
	if (!samples)
		return sb_errf(err, SB_E_NOMEM, "allocating %u samples", exits);
	int ret = vmm_sample_exit_roundtrip_ns(kvm, exits, samples, err);
	if (ret == 0)
		vmm_cost_from_samples(samples, exits, out);
	free(samples);
	return ret;
}

int vmm_sample_exit_roundtrip_ns(struct kvm *kvm, uint32_t exits, uint64_t *samples,
				 struct sb_err *err)
{
	int ret = -1;
	if (exits == 0)
		return sb_errf(err, SB_E_INVAL, "exit round trip: need at least one exit");

	void *mem = mmap(NULL, SB_PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			 -1, 0);
	if (mem == MAP_FAILED) {
		sb_errf(err, SB_E_NOMEM, "mmap of the calibration guest page failed");
		goto err_out;
	}
	memcpy(mem, cal_guest, sizeof cal_guest);

	struct vm *vm = vm_create(kvm, err);
	if (!vm)
		goto err_mem;
	if (vm_set_memslot(vm, 0, CAL_GUEST_GPA, mem, SB_PAGE_SIZE, true, err) < 0)
		goto err_vm;
	struct vcpu *vcpu = vcpu_create(vm, 0, err);
	if (!vcpu)
		goto err_vm;
	if (vcpu_setup_real_mode(vcpu, CAL_GUEST_GPA, err) < 0)
		goto err_vcpu;

	for (uint32_t i = 0; i < CAL_WARMUP_EXITS; i++)
		if (run_one_out(vcpu, err) < 0)
			goto err_vcpu;
	for (uint32_t i = 0; i < exits; i++) {
		uint64_t t0 = vmm_now_ns();
		if (run_one_out(vcpu, err) < 0)
			goto err_vcpu;
		samples[i] = vmm_now_ns() - t0;
	}
	ret = 0;

err_vcpu:
	vcpu_destroy(vcpu);
err_vm:
	vm_destroy(vm);
err_mem:
	munmap(mem, SB_PAGE_SIZE);
err_out:
	if (ret < 0)
		sb_err_prefix(err, "measuring the exit round trip: ");
	return ret;
}

int vmm_measure_create_ns(struct kvm *kvm, uint32_t iterations, struct vmm_cost_ns *create_vm,
			  struct vmm_cost_ns *create_vcpu, struct sb_err *err)
{
	int ret = -1;
	if (iterations == 0)
		return sb_errf(err, SB_E_INVAL, "create timing: need at least one iteration");
	uint64_t *vm_ns = calloc(iterations, sizeof *vm_ns);
	if (!vm_ns)
		return sb_errf(err, SB_E_NOMEM, "allocating %u samples", iterations);
	uint64_t *vcpu_ns = calloc(iterations, sizeof *vcpu_ns);
	if (!vcpu_ns) {
		sb_errf(err, SB_E_NOMEM, "allocating %u samples", iterations);
		goto err_vm_ns;
	}

	for (uint32_t i = 0; i < iterations; i++) {
		uint64_t t0 = vmm_now_ns();
		int vm_fd = KVM_IOCTL(kvm->fd, KVM_CREATE_VM, 0, err);
		uint64_t t1 = vmm_now_ns();
		if (vm_fd < 0)
			goto err_vcpu_ns;
		int vcpu_fd = KVM_IOCTL(vm_fd, KVM_CREATE_VCPU, 0, err);
		uint64_t t2 = vmm_now_ns();
		if (vcpu_fd < 0) {
			close(vm_fd);
			goto err_vcpu_ns;
		}
		close(vcpu_fd);
		close(vm_fd);
		vm_ns[i] = t1 - t0;
		vcpu_ns[i] = t2 - t1;
	}
	vmm_cost_from_samples(vm_ns, iterations, create_vm);
	vmm_cost_from_samples(vcpu_ns, iterations, create_vcpu);
	ret = 0;

err_vcpu_ns:
	free(vcpu_ns);
err_vm_ns:
	free(vm_ns);
	return ret;
}
