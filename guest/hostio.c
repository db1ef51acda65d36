/* hostio.c — everything the guest says to the host: abort stream, debug
 * characters, log records and host function calls (see proto.h). */
#include "arch.h"
#include "internal.h"

__attribute__((noreturn)) void sb_abort_parts(enum sb_abort_code code, uint8_t vector,
					      const char *const *parts)
{
	outb(SB_PORT_ABORT, (uint8_t)code);
	outb(SB_PORT_ABORT, vector);
	for (; *parts; parts++)
		for (const char *c = *parts; *c; c++)
			outb(SB_PORT_ABORT, (uint8_t)*c);
	outb(SB_PORT_ABORT, SB_ABORT_END);
	halt_forever();
}

__attribute__((noreturn)) void sb_abort(enum sb_abort_code code, const char *msg)
{
	const char *parts[2] = { msg, 0 };
	sb_abort_parts(code, SB_ABORT_NO_VECTOR, parts);
}

void sb_debug_char(char c)
{
	outb(SB_PORT_DEBUG_CHAR, (uint8_t)c);
}

void sb_log(uint8_t level, const char *msg)
{
	struct sb_writer w;
	sb_stack_begin(&w, sb_rt.output, sb_rt.output_bytes);
	sb_encode_log(&w, level, msg, (uint32_t)strlen(msg));
	if (sb_stack_end(&w, sb_rt.output, sb_rt.output_bytes) == SB_PROTO_OK)
		outb(SB_PORT_LOG, 0);
}

int sb_host_call(const char *name, const struct sb_value *args, unsigned nargs,
		 struct sb_value *ret, struct sb_guest_error *err)
{
	struct sb_writer w;
	sb_stack_begin(&w, sb_rt.output, sb_rt.output_bytes);
	sb_encode_call(&w, name, (uint32_t)strlen(name), args, nargs);
	if (sb_stack_end(&w, sb_rt.output, sb_rt.output_bytes) != SB_PROTO_OK) {
		sb_error_set(err, SB_CALL_E_BAD_ARGUMENTS, "host call does not fit the output buffer");
		return -1;
	}
	outb(SB_PORT_HOST_CALL, 0);

	const uint8_t *p;
	uint64_t len;
	struct sb_record rec;
	if (sb_stack_pop(sb_rt.input, sb_rt.input_bytes, &p, &len) != SB_PROTO_OK ||
	    sb_decode_record(p, len, &rec, 0, 0) != SB_PROTO_OK) {
		sb_error_set(err, SB_CALL_E_HOST, "host sent no valid reply");
		return -1;
	}
	if (rec.kind == SB_REC_RESULT) {
		*ret = rec.as.result;
		return 0;
	}
	if (rec.kind == SB_REC_ERROR) {
		uint32_t n = rec.as.error.msg_len;
		if (n >= sizeof err->msg)
			n = sizeof err->msg - 1;
		err->code = rec.as.error.code;
		memcpy(err->msg, rec.as.error.msg, n);
		err->msg[n] = '\0';
		return -1;
	}
	sb_error_set(err, SB_CALL_E_HOST, "host reply is neither a result nor an error");
	return -1;
}
