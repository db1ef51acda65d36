/* host_fns.c — the built-in host functions (host_fns.h). They run on the
 * sandbox's thread, between the guest's exit and its re-entry: whatever
 * they cost is in the round trip. */
#include "host_fns.h"

#include <stdio.h>
#include <string.h>
#include <stdint.h>
#include <time.h>

#include "vmm.h"

const char *host_fn_name(enum host_fn_id id)
{
	static const char *const names[HOST_FN__COUNT] = {
		[HOST_FN_ECHO] = "echo", [HOST_FN_ADD] = "add",
		[HOST_FN_SLEEP_NS] = "sleep_ns", [HOST_FN_FAIL] = "fail",
	};
	return (unsigned)id < HOST_FN__COUNT ? names[id] : "?";
}

static void tick(void *ctx)
{
	const struct host_fn_ctx *f = ctx;
	struct host_fns_clock *c = f->clock;
	if (!c)
		return;
	uint64_t now = vmm_now_ns();
	if (c->last_ns && c->on_round_trip)
		c->on_round_trip(c->ctx, c->last, now - c->last_ns);
	c->last_ns = now;
	c->last = f->id;
}

static int fn_echo(void *ctx, const struct sb_value *args, unsigned nargs, struct sb_value *ret,
		   char *errmsg, size_t errmsg_bytes)
{
	(void)nargs;
	(void)errmsg;
	(void)errmsg_bytes;
	tick(ctx);
	/* a view into the guest's output buffer, encoded before it changes */
	ret->as.buf = args[0].as.buf;
	return 0;
}

static int fn_add(void *ctx, const struct sb_value *args, unsigned nargs, struct sb_value *ret,
		  char *errmsg, size_t errmsg_bytes)
{
	(void)nargs;
	(void)errmsg;
	(void)errmsg_bytes;
	tick(ctx);
	ret->as.i64 = (int64_t)((uint64_t)args[0].as.i64 + (uint64_t)args[1].as.i64);
	return 0;
}

static int fn_sleep_ns(void *ctx, const struct sb_value *args, unsigned nargs,
		       struct sb_value *ret, char *errmsg, size_t errmsg_bytes)
{
	(void)nargs;
	(void)ret;
	tick(ctx);
	uint64_t ns = args[0].as.u64;
	/* the guest chooses ns: a sleep no deadline can interrupt is capped */
	if (ns > HOST_FNS_SLEEP_MAX_NS) {
		snprintf(errmsg, errmsg_bytes, "sleep_ns(%llu): at most %llu ns",
			 (unsigned long long)ns, HOST_FNS_SLEEP_MAX_NS);
		return -1;
	}
	struct timespec ts = { (time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull) };
	while (ns && nanosleep(&ts, &ts) != 0)
		; /* interrupted (a cancel's kick): sleep the rest */
	return 0;
}

static int fn_fail(void *ctx, const struct sb_value *args, unsigned nargs, struct sb_value *ret,
		   char *errmsg, size_t errmsg_bytes)
{
	(void)args;
	(void)nargs;
	(void)ret;
	tick(ctx);
	snprintf(errmsg, errmsg_bytes, "%s", HOST_FNS_FAIL_MSG);
	return -1;
}

void host_fns_builtin(struct sandbox_host_fn_def out[HOST_FN__COUNT], struct host_fns_clock *clock)
{
	static const struct host_fn_ctx untimed[HOST_FN__COUNT] = {
		{ HOST_FN_ECHO, NULL }, { HOST_FN_ADD, NULL },
		{ HOST_FN_SLEEP_NS, NULL }, { HOST_FN_FAIL, NULL },
	};
	static const sandbox_host_fn fns[HOST_FN__COUNT] = {
		[HOST_FN_ECHO] = fn_echo, [HOST_FN_ADD] = fn_add,
		[HOST_FN_SLEEP_NS] = fn_sleep_ns, [HOST_FN_FAIL] = fn_fail,
	};
	for (unsigned i = 0; i < HOST_FN__COUNT; i++) {
		void *ctx = (void *)(uintptr_t)&untimed[i];
		if (clock) {
			clock->fns[i] = (struct host_fn_ctx){ (enum host_fn_id)i, clock };
			ctx = &clock->fns[i];
		}
		out[i] = (struct sandbox_host_fn_def){ .name = host_fn_name((enum host_fn_id)i),
						       .fn = fns[i], .ctx = ctx };
	}
	out[HOST_FN_ECHO].ret = SB_T_BYTES;
	out[HOST_FN_ECHO].nparams = 1;
	out[HOST_FN_ECHO].params[0] = SB_T_BYTES;
	out[HOST_FN_ADD].ret = SB_T_I64;
	out[HOST_FN_ADD].nparams = 2;
	out[HOST_FN_ADD].params[0] = out[HOST_FN_ADD].params[1] = SB_T_I64;
	out[HOST_FN_SLEEP_NS].ret = SB_T_VOID;
	out[HOST_FN_SLEEP_NS].nparams = 1;
	out[HOST_FN_SLEEP_NS].params[0] = SB_T_U64;
	out[HOST_FN_FAIL].ret = SB_T_VOID;
	out[HOST_FN_FAIL].nparams = 0;
}
