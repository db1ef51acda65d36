/* host_fns.h — the built-in host functions the workbench gives a sandbox
 * when a scenario asks (option host_functions = builtin), so a scenario
 * can measure guest -> host calls without host code of its own:
 *
 *   echo(bytes) -> bytes     its argument back
 *   add(i64, i64) -> i64     the sum (wrapping, as the guest's add)
 *   sleep_ns(u64) -> void    sleeps that long, at most HOST_FNS_SLEEP_MAX_NS
 *                            (a cancel or a deadline takes effect when a host
 *                            function returns: the kick interrupts KVM_RUN
 *                            only, so the cap bounds how late)
 *   fail() -> void           always fails: the guest gets an SB_CALL_E_HOST
 *                            error with the message HOST_FNS_FAIL_MSG
 *
 * Timing a host call. What a guest pays per host call is the whole round
 * trip: its OUT exit, the host finding and running the function and
 * encoding the reply, KVM_RUN entering the guest again, and the guest
 * decoding the reply and making its next request. A timer around the
 * function alone would see none of the exits; timing the guest call and
 * dividing would mix in the call's own entry and exit. So each built-in
 * function notes the host's clock at its entry, and the time from one
 * entry to the next within the same guest call is one round trip,
 * charged to the earlier function (whose work and reply it holds). A
 * guest call making N host calls gives N - 1 round trips; one making one
 * gives none (its row is the call's). host_fns_clock_reset() starts a
 * new guest call.
 */
#ifndef SNAPBENCH_WORKBENCH_HOST_FNS_H
#define SNAPBENCH_WORKBENCH_HOST_FNS_H

#include <stdint.h>

#include "sandbox.h"

enum host_fn_id {
	HOST_FN_ECHO,
	HOST_FN_ADD,
	HOST_FN_SLEEP_NS,
	HOST_FN_FAIL,
	HOST_FN__COUNT
};

#define HOST_FNS_SLEEP_MAX_NS 1000000000ull /* 1 s */
#define HOST_FNS_FAIL_MSG "fail(): the built-in host function that always fails"

/* "echo", "add", "sleep_ns", "fail". */
const char *host_fn_name(enum host_fn_id id);

struct host_fns_clock;

/* Each function's context: its id and the clock it ticks (NULL: none). */
struct host_fn_ctx {
	enum host_fn_id id;
	struct host_fns_clock *clock;
};

/* Round trips of one sandbox's host calls (one thread: the sandbox's). */
struct host_fns_clock {
	uint64_t last_ns;          /* entry of the previous host call of this guest call; 0: none */
	enum host_fn_id last;
	/* each round trip, charged to the earlier call's function; NULL = not timed */
	void (*on_round_trip)(void *ctx, enum host_fn_id fn, uint64_t ns);
	void *ctx;
	struct host_fn_ctx fns[HOST_FN__COUNT]; /* host_fns_builtin() fills them */
};

/* Before each guest call: its first host call has no round trip before it. */
static inline void host_fns_clock_reset(struct host_fns_clock *c)
{
	c->last_ns = 0;
}

/* The definitions, for sandbox_config.host_fns (clock may be NULL: not
 * timed; else it must outlive the sandbox). */
void host_fns_builtin(struct sandbox_host_fn_def out[HOST_FN__COUNT], struct host_fns_clock *clock);

#endif
