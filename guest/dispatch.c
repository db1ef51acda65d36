/* dispatch.c — run one call: pop it from the input buffer, find the
 * function, check the argument types, run it, push the result or an error
 * onto the output buffer, and tell the host we are done. */
#include "arch.h"
#include "internal.h"

static const struct sb_guest_function *find(const char *name, uint32_t len)
{
	for (unsigned i = 0; i < sb_rt.nfunctions; i++) {
		const struct sb_guest_function *f = sb_rt.functions[i];
		if (strlen(f->name) == len && memcmp(f->name, name, len) == 0)
			return f;
	}
	return 0;
}

/* A function no call could reach aborts the create instead of being
 * registered in silence: a call record's name is at most SB_NAME_MAX bytes,
 * its arguments at most SB_CALL_MAX_ARGS, each of a value type. (Two functions of one name,
 * of which only the first runs, are not looked for: comparing every pair
 * costs milliseconds of ring-0 code, which our machines emulate.) */
static __attribute__((noreturn)) void register_abort(const char *name, size_t len, const char *why)
{
	const char *parts[5] = { "cannot register '", name, "': ", why, 0 };
	if (len > 64)
		parts[1] = "(a long name)";
	sb_abort_parts(SB_ABORT_GUEST_PANIC, SB_ABORT_NO_VECTOR, parts);
}

void sb_register(const struct sb_guest_function *f)
{
	size_t len = strlen(f->name);
	if (sb_rt.nfunctions >= SB_GUEST_MAX_FUNCTIONS)
		sb_abort(SB_ABORT_GUEST_PANIC, "too many guest functions registered");
	/* the dispatcher answers this name itself: such a function could never run */
	if (len == sizeof SB_LIST_FUNCTIONS_CALL - 1 &&
	    memcmp(f->name, SB_LIST_FUNCTIONS_CALL, sizeof SB_LIST_FUNCTIONS_CALL - 1) == 0)
		sb_abort(SB_ABORT_GUEST_PANIC, "'" SB_LIST_FUNCTIONS_CALL "' is a reserved name");
	if (len == 0 || len > SB_NAME_MAX)
		register_abort(f->name, len, "a name is 1 to 255 bytes (SB_NAME_MAX)");
	if (f->nparams > SB_CALL_MAX_ARGS)
		register_abort(f->name, len, "more than 16 parameters (SB_CALL_MAX_ARGS)");
	/* a result of no type failed every call as "result does not fit" */
	if ((unsigned)f->ret >= SB_T__COUNT)
		register_abort(f->name, len, "its result type is no enum sb_type");
	for (unsigned i = 0; i < f->nparams; i++)
		if (f->params[i] == SB_T_VOID || (unsigned)f->params[i] >= SB_T__COUNT)
			register_abort(f->name, len, "a parameter type is void or no enum sb_type");
	sb_rt.functions[sb_rt.nfunctions++] = f;
}

static bool check_args(const struct sb_guest_function *f, const struct sb_record *rec,
		       const struct sb_value *args, struct sb_guest_error *err)
{
	if (rec->as.call.nargs != f->nparams) {
		sb_error_set(err, SB_CALL_E_BAD_ARGUMENTS, "wrong number of arguments");
		return false;
	}
	for (unsigned i = 0; i < f->nparams; i++) {
		if (args[i].type != f->params[i]) {
			sb_error_set(err, SB_CALL_E_BAD_ARGUMENTS, "argument of the wrong type");
			return false;
		}
	}
	return true;
}

struct reply {
	bool ok;
	const struct sb_value *value;
	const struct sb_guest_error *err;
};

static void encode_reply(struct sb_writer *w, const struct reply *r)
{
	if (r->ok)
		sb_encode_result(w, r->value);
	else
		sb_encode_error(w, r->err->code, r->err->msg, (uint32_t)strlen(r->err->msg));
}

static __attribute__((noreturn)) void finish(const struct reply *r)
{
	struct sb_writer w;
	sb_stack_begin(&w, sb_rt.output, sb_rt.output_bytes);
	encode_reply(&w, r);
	int rc = sb_stack_end(&w, sb_rt.output, sb_rt.output_bytes);
	if (rc != SB_PROTO_OK)
		sb_abort(SB_ABORT_BAD_CALL, rc == SB_PROTO_FULL ? "result does not fit the output buffer"
							 : "output buffer stack pointer corrupt");
	outb(SB_PORT_DONE, 0);
	halt_forever();
}

/* The reserved call SB_LIST_FUNCTIONS_CALL (proto.h): every registered
 * function's name and signature as one bytes result, written straight
 * into the output buffer (a list of 64 signatures is too big for the call
 * stack, and a static buffer would grow every guest's .bss). The host only
 * displays it: the guest may say anything here. */
static __attribute__((noreturn)) void list_functions(void)
{
	uint8_t *p;
	uint64_t room;
	struct sb_guest_error err = { SB_CALL_E_FAILED, "function list does not fit the output buffer" };
	struct reply r = { false, 0, &err };
	if (sb_stack_reserve(sb_rt.output, sb_rt.output_bytes, &room, &p) != SB_PROTO_OK || room < 8)
		finish(&r);
	/* RESULT, bytes, u32 length (filled below), then the list */
	uint64_t n = 6;
	p[0] = SB_REC_RESULT;
	p[1] = SB_T_BYTES;
	p[n++] = SB_LIST_FUNCTIONS_VERSION;
	p[n++] = (uint8_t)sb_rt.nfunctions;
	for (unsigned i = 0; i < sb_rt.nfunctions; i++) {
		const struct sb_guest_function *f = sb_rt.functions[i];
		size_t len = strlen(f->name);
		unsigned np = f->nparams < SB_CALL_MAX_ARGS ? f->nparams : SB_CALL_MAX_ARGS;
		if (len > SB_NAME_MAX)
			len = SB_NAME_MAX;
		if (n + 3 + len + np > room)
			finish(&r);
		p[n++] = (uint8_t)len;
		memcpy(p + n, f->name, len);
		n += len;
		p[n++] = (uint8_t)f->ret;
		p[n++] = (uint8_t)np;
		for (unsigned k = 0; k < np; k++)
			p[n++] = (uint8_t)f->params[k];
	}
	uint32_t blen = (uint32_t)(n - 6);
	memcpy(p + 2, &blen, 4);
	if (sb_stack_commit(sb_rt.output, sb_rt.output_bytes, n) != SB_PROTO_OK)
		finish(&r);
	outb(SB_PORT_DONE, 0);
	halt_forever();
}

__attribute__((noreturn)) void sb_runtime_dispatch(void)
{
	if (sb_undo_log()->pending)
		sb_runtime_rewind(); /* the host entered in ring 0 on the restore stack */
	struct sb_value args[SB_CALL_MAX_ARGS];
	struct sb_record rec;
	struct sb_guest_error err = { 0, "" };
	struct sb_value ret = { .type = SB_T_VOID };
	struct reply r = { false, &ret, &err };
	const uint8_t *p;
	uint64_t len;

	/* Peek, not pop: the call stays on the input stack, so host-call
	 * replies are pushed above it and never overwrite the string and
	 * bytes arguments, which point into it (valid until fn returns). */
	int rc = sb_stack_peek(sb_rt.input, sb_rt.input_bytes, &p, &len);
	if (rc == SB_PROTO_OK)
		rc = sb_decode_record(p, len, &rec, args, SB_CALL_MAX_ARGS);
	if (rc != SB_PROTO_OK || rec.kind != SB_REC_CALL) {
		sb_error_set(&err, SB_CALL_E_BAD_ARGUMENTS,
			     rc != SB_PROTO_OK ? sb_proto_strerror(rc) : "input record is not a call");
		finish(&r);
	}
	if (rec.as.call.name_len == sizeof SB_LIST_FUNCTIONS_CALL - 1 &&
	    memcmp(rec.as.call.name, SB_LIST_FUNCTIONS_CALL, rec.as.call.name_len) == 0)
		list_functions();
	const struct sb_guest_function *f = find(rec.as.call.name, rec.as.call.name_len);
	if (!f) {
		sb_error_set(&err, SB_CALL_E_NO_SUCH_FUNCTION, "no such guest function");
		finish(&r);
	}
	if (!check_args(f, &rec, args, &err))
		finish(&r);
	ret.type = f->ret;
	if (f->fn(args, &ret, &err) != 0) {
		if (!err.code)
			err.code = SB_CALL_E_FAILED;
		finish(&r);
	}
	if (ret.type != f->ret) {
		sb_error_set(&err, SB_CALL_E_FAILED, "function returned a value of the wrong type");
		finish(&r);
	}
	r.ok = true;
	finish(&r);
}
