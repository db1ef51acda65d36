/* sandbox.h — the public API of a snapbench sandbox: one VM, one vCPU,
 * running a guest from a snapshot.
 *
 *   snap_from_elf(&snap, ...)           build a snapshot (snapshot/snapshot.h)
 *   sandbox_create(&sb, snap, &cfg, &e) VM + vCPU + memory; runs the guest's
 *                                       init if the snapshot is fresh
 *   sandbox_call(sb, "add", args, 2, &ret, &e)
 *   sandbox_cancel(sb)                  from any thread
 *   sandbox_destroy(sb)
 *
 * Errors come back as struct sb_err (never exit/abort). A guest function
 * that reports an error gives SB_E_CALL and leaves the sandbox usable.
 * Everything else that goes wrong inside the guest — an abort, an
 * unhandled exception, a memory-access violation, a malformed buffer, a
 * cancelled or timed-out call — gives SB_E_GUEST / SB_E_CANCELLED and
 * POISONS the sandbox: it refuses calls until restored or destroyed.
 *
 * A sandbox is used by one thread at a time; only sandbox_cancel may be
 * called concurrently.
 */
#ifndef SNAPBENCH_VMM_SANDBOX_H
#define SNAPBENCH_VMM_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "proto.h"
#include "snapshot.h"

struct sandbox;

/* A host function the guest may call. Fill *ret (strings/bytes may point at
 * memory that stays valid until the function returns) and return 0, or
 * write a message into errmsg and return non-zero. */
typedef int (*sandbox_host_fn)(void *ctx, const struct sb_value *args, unsigned nargs,
			       struct sb_value *ret, char *errmsg, size_t errmsg_bytes);

struct sandbox_host_fn_def {
	const char *name;
	enum sb_type ret;
	unsigned nparams;
	enum sb_type params[SB_CALL_MAX_ARGS];
	sandbox_host_fn fn;
	void *ctx;
};

#define SANDBOX_MAX_HOST_FNS 32
#define SANDBOX_DEFAULT_DEADLINE_NS 1000000000ull /* 1 s */

/* Where guest calls run. On our machines (KVM on the kvm_pvm hypervisor)
 * ring-3 code runs natively but every exit from it costs ~58 us, while
 * ring-0 code is emulated instruction by instruction (~0.3 us each) with
 * ~8 us exits; see guest/runtime.c. */
enum sandbox_guest_mode {
	SANDBOX_MODE_USER,   /* ring 3 */
	SANDBOX_MODE_KERNEL, /* ring 0 */
};

/* How restore makes the sandbox its snapshot again (sandbox_snapshot.c).
 * Every strategy keeps the contract of sandbox_restore; they differ in
 * where the cost lands.
 *
 *  rewrite   the snapshot's pages are mapped read-only, writable data
 *            copy-on-write: the guest's first write to a page faults and
 *            the page is copied into scratch and remapped (a page-table
 *            edit). Restore resets the scratch pages the guest wrote and,
 *            when the page tables changed, rewrites them from the snapshot
 *            and drops KVM's shadow tables (a memory-slot change).
 *  host-cow  the sandbox maps a private, writable copy of the snapshot
 *            (the host copies the snapshot's non-zero pages once per
 *            sandbox and snapshot; its zero pages come from the kernel's
 *            copy-on-write). Writable data is mapped writable in place, so a
 *            write takes no guest fault and edits no page table. Restore
 *            copies back the snapshot pages KVM logged dirty, as it resets
 *            scratch. Pages the snapshot shares between several addresses
 *            (the zero page of a live snapshot's untouched heap, aliases)
 *            stay copy-on-write as under rewrite.
 *  retain    as rewrite, but the copies the guest's copy-on-write handler
 *            made stay mapped: a restore that finds the page tables written
 *            keeps every leaf that is exactly such a copy of one of the
 *            snapshot's copy-on-write pages (up to retain_max_pages; past
 *            it, copies are unmapped as under rewrite and counted), and from
 *            then on gives the copy its snapshot page's content back
 *            instead of unmapping it. The next call writes it without a
 *            fault; the restore that first keeps a copy is full, later ones
 *            light. The contract below holds except for what the kept
 *            copies change: those leaves, the scratch pages behind them
 *            (holding their snapshot pages' bytes) and the allocator word.
 *  rewind    as rewrite, but when the guest wrote its page tables it first
 *            replays its own undo log in ring 0 (the project's first
 *            design). The host trusts none of it and restores as under
 *            rewrite, flush included (sandbox_rewind.c says why): the
 *            strategy measures what the replay costs.
 */
enum sandbox_restore_strategy {
	SANDBOX_RESTORE_REWRITE,
	SANDBOX_RESTORE_HOST_COW,
	SANDBOX_RESTORE_RETAIN,
	SANDBOX_RESTORE_REWIND,
	SANDBOX_RESTORE__COUNT
};
#define SANDBOX_RETAIN_DEFAULT_PAGES 4096
#define SANDBOX_RESTORE_DEFAULT SANDBOX_RESTORE_REWRITE

/* "rewrite", "host-cow", "retain", "rewind"; "?" for anything else. */
const char *sandbox_restore_strategy_name(enum sandbox_restore_strategy s);
/* The strategy named `name`: 0, or -1 if there is none by that name. */
int sandbox_restore_strategy_parse(const char *name, enum sandbox_restore_strategy *out);

struct sandbox_config {
	uint64_t deadline_ns; /* per call (and for init); 0 = no deadline */
	enum sandbox_guest_mode mode;
	enum sandbox_restore_strategy restore_strategy;
	/* retain: most copies kept (0 = SANDBOX_RETAIN_DEFAULT_PAGES). */
	uint32_t retain_max_pages;
	/* The guest's copy-on-write handler copies pages itself instead of
	 * asking the host (SB_PORT_COPY_PAGE); slower on our machines. */
	bool guest_copies_pages;
	/* sandbox_snapshot walks and copies everything the guest maps, as
	 * when the sandbox runs from an ELF or a file's snapshot, instead of
	 * sharing what did not change with the live snapshot it runs from
	 * (incremental snapshots: snapshot/snap_incr.c). For comparisons. */
	bool full_snapshots;
	const struct sandbox_host_fn_def *host_fns;
	unsigned n_host_fns;
	/* Guest log records and debug characters; NULL = dropped. */
	void (*on_log)(void *ctx, uint8_t level, const char *msg, size_t len);
	void (*on_debug_char)(void *ctx, char c);
	void *callback_ctx;
	/* Write an ELF core file (sandbox_write_core) into this directory
	 * whenever a call (or the guest's initialisation) ends in a guest
	 * fault, an abort or a cancellation; the error message then says
	 * "core written to PATH" or "core not written: why". NULL = none. The
	 * string must outlive the sandbox. At most SANDBOX_CRASHDUMP_MAX_FILES
	 * per sandbox (a benchmark of a faulting call would fill the disk). */
	const char *crashdump_dir;
	/* If set, cores left for all the sandboxes sharing it (a benchmark
	 * that creates a sandbox per iteration): each core written takes one;
	 * at 0 no more are written ("core not written: ..."). */
	_Atomic unsigned *crashdump_budget;
	/* Most bytes of guest memory a core holds (0 = SANDBOX_CORE_MAX_BYTES). */
	uint64_t crashdump_max_bytes;
};

/* Defaults: 1 s deadline, no host functions, logs dropped. */
struct sandbox_config sandbox_config_default(void);

enum sandbox_state {
	SANDBOX_READY,    /* calls allowed */
	SANDBOX_POISONED, /* a call failed inside the guest; restore or destroy */
	SANDBOX_BROKEN,   /* a host-side step failed half-way; destroy only */
};

const char *sandbox_state_name(enum sandbox_state s);

/* Create a sandbox running `snap` (a reference is taken). A fresh (INIT)
 * snapshot runs the guest's initialisation before this returns. */
int sandbox_create(struct sandbox **out, struct snapshot *snap, const struct sandbox_config *cfg,
		   struct sb_err *err);
void sandbox_destroy(struct sandbox *sb);

/* Register (or replace) a host function by name. */
int sandbox_register_host_fn(struct sandbox *sb, const struct sandbox_host_fn_def *def,
			     struct sb_err *err);

/* The configuration the sandbox was created with (its deadline as then,
 * whatever sandbox_set_deadline set since). */
struct sandbox_config sandbox_created_config(const struct sandbox *sb);

/* Put back the host-side state a user can change after create, as a
 * create leaves it (the sandbox pool, sandbox_pool.h, calls it before the
 * restore that makes a returned sandbox clean): host functions (the
 * configuration's, nothing registered since), the deadline, extra regions
 * (their memory slots are deleted), crash-dump counters and the last
 * failure's state, the last call's exit and fault counts, a pending
 * cancel. Guest-visible state is sandbox_restore's; call it next (the
 * sandbox may still be poisoned). A broken sandbox is refused, and a slot
 * that cannot be deleted breaks it: destroy it then. */
int sandbox_reset_host_state(struct sandbox *sb, struct sb_err *err);

/* Call a guest function. On success *ret holds the result; strings and
 * bytes point into the sandbox's output buffer, valid until the next call. */
int sandbox_call(struct sandbox *sb, const char *name, const struct sb_value *args, unsigned nargs,
		 struct sb_value *ret, struct sb_err *err);

/* Extra read-only memory for the guest: `bytes` of host memory at `host`
 * appear at guest-physical `gpa` (page aligned, inside
 * [SANDBOX_EXTRA_GPA_MIN, SANDBOX_EXTRA_GPA_END): above the largest
 * snapshot region, below the largest scratch region). The guest maps the
 * pages it wants; a snapshot freezes those pages into its image. The
 * memory must stay valid until the sandbox is destroyed. */
#define SANDBOX_EXTRA_GPA_MIN (16ull << 30)
#define SANDBOX_EXTRA_GPA_END (48ull << 30)
int sandbox_map_region(struct sandbox *sb, gpa_t gpa, const void *host, uint64_t bytes,
		       struct sb_err *err);

/* Snapshot the sandbox between calls: a CALL snapshot numbered one past
 * the sandbox's generation (the sandbox's generation advances too). */
int sandbox_snapshot(struct sandbox *sb, struct snapshot **out, struct sb_err *err);

/* Make the sandbox what `snap` was. Clears poisoning. A failure half-way
 * leaves the sandbox broken (destroy only).
 *
 * The contract: after sandbox_restore(sb, S) returns 0, everything the
 * guest can observe equals what a sandbox freshly created from S observes,
 * whatever the guest did before, from ring 3 or ring 0, through the
 * runtime or not: every byte of scratch (I/O buffers, call and exception
 * stacks, free pages, bookkeeping words, page-table area, undo log, runtime
 * state), the page tables and the translations the vCPU uses, general,
 * special, FPU / SSE / xsave state, debug registers, XCR0, the MSRs guest
 * ring-0 code can write (kernel GS base, syscall / sysenter entries,
 * TSC_AUX, PAT, ...; FS / GS base travel with the special registers),
 * pending events, and the generation word. The same holds for a restore of
 * another snapshot, of a snapshot taken in another sandbox, and after
 * poisoning, cancellation or an undo-log overflow; and for
 * sandbox_create from S.
 *
 * The host decides what to reset; nothing the guest wrote is trusted for
 * it: the pages come from KVM's dirty log of scratch and the host's own
 * writes (snapshot/mgr.h). One piece of work is left for the next call's
 * entry, and only after a light restore: the x87/SSE registers are reloaded
 * by the host's entry page before the guest's first instruction
 * (sandbox_entry.c), which costs that call ~0.1-0.15 us here instead of a
 * ~5 us ioctl in the restore; the first call after a restore shows it (the
 * reports' post-restore penalty). Nothing else is deferred. See
 * sandbox_snapshot.c for the mechanism and its costs. */
int sandbox_restore(struct sandbox *sb, struct snapshot *snap, struct sb_err *err);

/* Read what the guest sees at [va, va + len) into buf, between calls:
 * translated through the vCPU's current CR3 (after a create or restore,
 * the snapshot's root; after a call, whatever root the guest left), page
 * by page, over the memory the sandbox maps (snapshot region or its
 * host-cow copy, scratch, the entry page, extra regions). The tables are
 * the guest's and may be hostile: they never make this read host memory
 * outside those regions. Permissions are not checked (ring 0 could read
 * it). Each call costs one KVM_GET_SREGS (~13 us here): read in large
 * pieces. Allowed on a poisoned sandbox (post-mortem), not on a broken one.
 * 0, or -1 with err naming the address ("VA 0x... not mapped", "VA 0x...
 * maps GPA 0x... outside guest memory"); buf is then partly written. */
int sandbox_read_gva(struct sandbox *sb, gva_t va, void *buf, size_t len, struct sb_err *err);

/* What the last successful restore did (page statistics). */
struct sandbox_restore_info {
	bool same_snapshot;  /* restored the snapshot it already ran from */
	bool full;           /* page tables rewritten, KVM's shadow tables dropped,
				ring-0 state reset (the guest wrote page tables or
				the exception stack, or calls run in ring 0, or the
				last call did not end cleanly, or another snapshot) */
	uint64_t pages_reset; /* scratch pages rewritten (and, host-cow, snapshot
				 pages copied back) */
	uint64_t bytes_copied; /* bytes the restore wrote into guest memory */
	/* host-cow: snapshot pages the guest writes in place, with no fault;
	 * retain: copies kept mapped (both kept across restores); 0 under
	 * rewrite. */
	uint64_t pages_retained;
	/* retain: copies this restore unmapped because retain_max_pages was
	 * reached. */
	uint64_t retain_dropped;
};
struct sandbox_restore_info sandbox_last_restore(const struct sandbox *sb);

/* Generation of the snapshot last restored (or created from), or taken. */
uint64_t sandbox_generation(const struct sandbox *sb);

/* Stop the running (or next) call; it fails with SB_E_CANCELLED and the
 * sandbox is poisoned. Any thread, any time. */
void sandbox_cancel(struct sandbox *sb);

/* Deadline for each following call, ns; 0 = none. */
void sandbox_set_deadline(struct sandbox *sb, uint64_t deadline_ns);

enum sandbox_state sandbox_status(const struct sandbox *sb);
/* Why the sandbox is poisoned or broken ("" when ready). */
const char *sandbox_status_reason(const struct sandbox *sb);

/* What the sandbox runs from, and its scratch memory (for tests, stats). */
struct snapshot *sandbox_current_snapshot(const struct sandbox *sb);
/* Scratch pages the guest has taken since the last reset (CoW copies,
 * page tables, stack). */
uint64_t sandbox_scratch_pages_used(const struct sandbox *sb);
/* VM exits taken by the last call (1 for a call with no host calls). */
uint64_t sandbox_last_call_exits(const struct sandbox *sb);
/* Copy-on-write faults the last call took: pages the guest's fault handler
 * asked the host to copy (SB_PORT_COPY_PAGE). Always 0 when the guest
 * copies pages itself (sandbox_config.guest_copies_pages). */
uint64_t sandbox_last_call_cow_faults(const struct sandbox *sb);
enum sandbox_restore_strategy sandbox_restore_strategy(const struct sandbox *sb);

/* Crash dumps (vmm/crashdump.c). After a call failed inside the guest (a
 * fault, an abort, a cancellation: the sandbox is poisoned) and before it
 * is restored, write an ELF core file of the guest at `path` that
 * `gdb GUEST.elf path` opens: the faulting registers as NT_PRSTATUS, every
 * page the guest's page tables map, by virtual address, as PT_LOAD
 * segments (snapshot memory, copy-on-write copies, scratch, extra
 * regions: what the guest saw), an NT_AUXV that tells gdb where the guest
 * image was loaded, and a "SNAPBENCH" note saying what failed and where
 * the registers come from. For a fault or an abort raised by the guest's
 * exception handler the registers are those of the exception frame on the
 * exception stack (guest-written memory, like everything in the core);
 * for a cancellation and any other failure, the vCPU's. At most
 * crashdump_max_bytes (default SANDBOX_CORE_MAX_BYTES) of mapped memory
 * are written (zero pages as holes); past that only the pages at the
 * faulting RIP and stack are, and the note counts what was left out. The
 * file (mode 0600) is written beside `path` and linked into place; an
 * existing file is never replaced (SB_E_STATE, "not replaced").
 * SB_E_STATE too when no failed call is there to dump. */
#define SANDBOX_CORE_MAX_BYTES (256ull << 20)
#define SANDBOX_CRASHDUMP_MAX_FILES 16
int sandbox_write_core(struct sandbox *sb, const char *path, struct sb_err *err);

#endif
