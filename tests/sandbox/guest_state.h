/* guest_state.h — everything a guest can observe of a sandbox, read from
 * the host, and a field-by-field comparison (the restore contract in
 * vmm/sandbox.h). */
#ifndef SNAPBENCH_TESTS_SANDBOX_GUEST_STATE_H
#define SNAPBENCH_TESTS_SANDBOX_GUEST_STATE_H

#include <stdbool.h>

#include "sandbox_internal.h"

struct guest_state {
	uint8_t *scratch; /* a copy */
	uint64_t scratch_bytes;
	uint8_t *snap_mem; /* a copy of the snapshot region as the guest sees it */
	uint64_t snap_bytes;
	/* retain (vmm/sandbox.h): the copies the restore kept mapped, each with
	 * the bytes of the snapshot page it copies; the comparison expects
	 * exactly these on top of a fresh sandbox, and checks each is what the
	 * guest's copy-on-write handler would make of a leaf of the fresh
	 * sandbox's tables. */
	unsigned n_retained;
	struct retained_copy {
		uint64_t pt_off, entry, page;
		uint8_t bytes[SB_PAGE_SIZE];
	} *retained;
	struct kvm_sregs sregs; /* what the next entry runs with */
	struct kvm_xsave xsave;
	struct kvm_debugregs dregs;
	struct kvm_xcrs xcrs;
	struct kvm_vcpu_events events;
	unsigned nmsrs;
	uint32_t msr_index[VCPU_RESET_MSRS_MAX];
	uint64_t msr_value[VCPU_RESET_MSRS_MAX];
	uint64_t generation;
	gva_t dispatch_gva, stack_top_gva;
	uint64_t call_rflags;
	enum sandbox_state state;
};

/* Read it all; false (with a message) if KVM refused. */
bool guest_state_read(struct sandbox *sb, struct guest_state *out);
void guest_state_free(struct guest_state *s);

/* Compare `got` with `want` (a fresh sandbox); each difference is a failed
 * check, printed with `what` and where in scratch it is. Returns the
 * number of differences. */
unsigned guest_state_compare(const struct guest_state *got, const struct guest_state *want,
			     const struct layout *l, const char *what);

/* A call both sandboxes make in a comparison: fn(arg) or fn(). */
struct same_call {
	const char *fn;
	unsigned nargs; /* 0 or 1 (a u64) */
	uint64_t arg;
};
/* The calls every comparison makes (heap, generation, FPU, allocator,
 * copy-on-write, the hostile chain's address). */
extern const struct same_call guest_state_default_calls[];
extern const size_t guest_state_n_default_calls;

/* Make `calls` on both: results and error messages must agree. A failed
 * call poisons; both then go back to the snapshot they run from. */
void guest_state_same_calls(struct sandbox *a, struct sandbox *b, const struct same_call *calls,
			    size_t n, const char *what);

/* `sb` was just restored to `s`: compare it with a sandbox freshly created
 * from `s` (same configuration), right after the restore and again after
 * the same `calls` on both. Returns the differences found right after the
 * restore. */
unsigned guest_state_check_like_fresh(struct sandbox *sb, struct snapshot *s,
				      const struct same_call *calls, size_t n, const char *what);

#endif
