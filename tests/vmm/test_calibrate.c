/* test_calibrate.c — statistics of vmm_cost_from_samples (table) and a real
 * exit round-trip and creation measurement with plausible results. */
#include "vmm_test.h"

static void check_stats(void)
{
	static const struct {
		uint64_t s[5];
		uint32_t n;
		uint64_t median, mean, min, max;
	} cases[] = {
		{ { 7 }, 1, 7, 7, 7, 7 },
		{ { 5, 1, 3 }, 3, 3, 3, 1, 5 },
		{ { 10, 1, 3, 2 }, 4, 2, 4, 1, 10 },      /* median (2+3)/2 rounds down */
		{ { 4, 4, 4, 4, 100 }, 5, 4, 23, 4, 100 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		uint64_t s[5];
		memcpy(s, cases[i].s, sizeof s);
		struct vmm_cost_ns c;
		vmm_cost_from_samples(s, cases[i].n, &c);
		CHECK_U64(c.samples, cases[i].n);
		CHECK_U64(c.median_ns, cases[i].median);
		CHECK_U64(c.mean_ns, cases[i].mean);
		CHECK_U64(c.min_ns, cases[i].min);
		CHECK_U64(c.max_ns, cases[i].max);
	}
}

int main(void)
{
	check_stats();
	struct kvm *kvm = test_kvm_open_or_skip();
	struct sb_err err = { 0 };
	struct vmm_cost_ns rt, vm, vcpu;

	if (!CHECK(vmm_measure_exit_roundtrip_ns(kvm, 2000, &rt, &err) == 0))
		fprintf(stderr, "%s\n", err.msg);
	CHECK_U64(rt.samples, 2000);
	CHECK(rt.min_ns > 0 && rt.min_ns <= rt.median_ns && rt.median_ns <= rt.max_ns);
	CHECK(rt.median_ns < 10000000); /* 10 ms: anything slower is broken, not slow */
	printf("exit round trip: median %.3f us, mean %.3f us\n", rt.median_ns / 1e3,
	       rt.mean_ns / 1e3);

	if (!CHECK(vmm_measure_create_ns(kvm, 10, &vm, &vcpu, &err) == 0))
		fprintf(stderr, "%s\n", err.msg);
	CHECK(vm.median_ns > 0 && vcpu.median_ns > 0);

	CHECK_I64(vmm_measure_exit_roundtrip_ns(kvm, 0, &rt, &err), -1);
	CHECK_U64(err.code, SB_E_INVAL);

	kvm_close(kvm);
	return check_done();
}
