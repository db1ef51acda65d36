/* vmm_test.c — see vmm_test.h. */
#include "vmm_test.h"

#include <stdlib.h>
#include <sys/mman.h>

struct kvm *test_kvm_open_or_skip(void)
{
	check_require_kvm();
	struct sb_err err = { 0 };
	struct kvm *kvm = kvm_open(&err);
	if (kvm)
		return kvm;
	fprintf(stderr, "kvm_open: %s\n", err.msg);
	exit(1);
}

void test_vm_create(struct kvm *kvm, struct test_vm *t, size_t mem_bytes, const uint8_t *code,
		    size_t code_bytes)
{
	struct sb_err err = { 0 };
	t->mem_bytes = mem_bytes;
	t->mem = mmap(NULL, mem_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (t->mem == MAP_FAILED) {
		perror("mmap guest memory");
		exit(1);
	}
	if (code)
		memcpy(t->mem + TEST_CODE_GPA, code, code_bytes);
	t->vm = vm_create(kvm, &err);
	if (!t->vm || vm_set_memslot(t->vm, 0, 0, t->mem, mem_bytes, false, &err) < 0)
		goto fail;
	t->vcpu = vcpu_create(t->vm, 0, &err);
	if (!t->vcpu || vcpu_setup_real_mode(t->vcpu, TEST_CODE_GPA, &err) < 0)
		goto fail;
	return;
fail:
	fprintf(stderr, "test VM set-up failed: %s\n", err.msg);
	exit(1);
}

void test_vm_destroy(struct test_vm *t)
{
	vcpu_destroy(t->vcpu);
	vm_destroy(t->vm);
	munmap(t->mem, t->mem_bytes);
	memset(t, 0, sizeof *t);
}

bool test_run_expect(struct test_vm *t, struct vcpu_exit *exit, enum vcpu_exit_kind kind,
		     const char *file, int line)
{
	struct sb_err err = { 0 };
	int ret = vcpu_run(t->vcpu, exit, &err);
	if (ret < 0)
		fprintf(stderr, "%s:%d: vcpu_run: %s\n", file, line, err.msg);
	bool ok = check_true_at(ret == 0, "vcpu_run() == 0", file, line);
	return check_u64_at(exit->kind, kind, "exit.kind", file, line) && ok;
}

bool test_run_expect_out(struct test_vm *t, uint16_t port, uint8_t size, uint32_t value,
			 const char *file, int line)
{
	struct vcpu_exit exit;
	if (!test_run_expect(t, &exit, VCPU_EXIT_IO, file, line))
		return false;
	bool ok = check_true_at(exit.io.is_out, "exit.io.is_out", file, line);
	ok &= check_u64_at(exit.io.port, port, "exit.io.port", file, line);
	ok &= check_u64_at(exit.io.size, size, "exit.io.size", file, line);
	ok &= check_u64_at(exit.io.count, 1, "exit.io.count", file, line);
	ok &= check_u64_at(exit.io.value, value, "exit.io.value", file, line);
	return ok;
}
