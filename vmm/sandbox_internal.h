/* sandbox_internal.h — the sandbox's parts, shared by its source files. */
#ifndef SNAPBENCH_VMM_SANDBOX_INTERNAL_H
#define SNAPBENCH_VMM_SANDBOX_INTERNAL_H

#include "mgr.h"
#include "sandbox.h"
#include "vmm.h"

#define SANDBOX_SLOT_SNAPSHOT 0
#define SANDBOX_SLOT_SCRATCH 1

/* The abort stream arrives one byte per exit (proto.h). */
struct abort_stream {
	unsigned got; /* bytes so far, 0 = none started */
	uint8_t code, vector;
	size_t len;
	char msg[SB_ABORT_MSG_MAX + 1];
};

struct sandbox {
	struct kvm *kvm; /* process-wide, not owned */
	struct vm *vm;
	struct vcpu *vcpu;
	struct mem_mgr mem;
	struct sandbox_config cfg;
	struct sandbox_host_fn_def host_fns[SANDBOX_MAX_HOST_FNS];
	unsigned n_host_fns;
	gva_t dispatch_gva;
	gva_t stack_top_gva;
	enum sandbox_state state;
	char reason[SB_ERR_MSG_MAX];
	struct abort_stream abort;
	uint64_t exits;
};

/* The process-wide /dev/kvm handle, opened on first use. */
struct kvm *sandbox_kvm(struct sb_err *err);

/* Run the vCPU until the guest reports SB_PORT_DONE, serving host calls,
 * logs and debug characters on the way. On failure the sandbox is poisoned
 * and err says why. */
int sandbox_run_until_done(struct sandbox *sb, struct sb_err *err);

/* Record a failure: poison (or break) the sandbox, keep the reason; -1. */
int sandbox_fail(struct sandbox *sb, enum sandbox_state state, struct sb_err *err);

#endif
