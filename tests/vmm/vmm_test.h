/* vmm_test.h — shared set-up for the KVM tests: open /dev/kvm or skip, and a
 * one-vCPU VM with guest RAM at GPA 0 running hand-assembled code. */
#ifndef SNAPBENCH_TESTS_VMM_TEST_H
#define SNAPBENCH_TESTS_VMM_TEST_H

#include <stddef.h>
#include <stdint.h>

#include "check.h"
#include "vmm.h"

/* Guest code is copied here and real mode starts here (CS:IP = 0:0x1000). */
#define TEST_CODE_GPA 0x1000

struct test_vm {
	struct vm *vm;
	struct vcpu *vcpu;
	uint8_t *mem;       /* guest RAM, slot 0 at GPA 0 */
	size_t mem_bytes;
};

/* kvm_open(), or print why and exit(CHECK_SKIP) when /dev/kvm is missing or
 * cannot be opened. Any other failure is a test failure (exit 1). */
struct kvm *test_kvm_open_or_skip(void);

/* VM + slot 0 (mem_bytes of RAM at GPA 0) + vCPU 0 in real mode at
 * TEST_CODE_GPA with `code` copied there. Exits 1 on failure. */
void test_vm_create(struct kvm *kvm, struct test_vm *t, size_t mem_bytes, const uint8_t *code,
		    size_t code_bytes);
void test_vm_destroy(struct test_vm *t);

/* Run once; CHECKs that it returned 0 with an exit of `kind`. */
bool test_run_expect(struct test_vm *t, struct vcpu_exit *exit, enum vcpu_exit_kind kind,
		     const char *file, int line);
#define RUN_EXPECT(t, exit, kind) test_run_expect((t), (exit), (kind), __FILE__, __LINE__)

/* Run once; CHECKs that an OUT of `size` bytes with `value` to `port` came out. */
bool test_run_expect_out(struct test_vm *t, uint16_t port, uint8_t size, uint32_t value,
			 const char *file, int line);
#define RUN_EXPECT_OUT(t, port, size, value) \
	test_run_expect_out((t), (port), (size), (value), __FILE__, __LINE__)

#endif
