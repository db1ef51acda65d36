/* fuzz_proto.c — the host <-> guest I/O buffer protocol (common/proto*.c)
 * on bytes the guest wrote: the input is an I/O buffer as the host finds
 * it after an exit (stack pointer, records, back-pointers). Pop and decode
 * every record as the host does; push onto what is left; and every record
 * that decodes encodes back to the same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

#define MAX_BUF (1u << 16)

static void check_round_trip(const uint8_t *p, uint64_t len, const struct sb_record *rec,
			     const struct sb_value *args)
{
	static uint8_t out[MAX_BUF];
	struct sb_writer w;
	sb_writer_init(&w, out, sizeof out);
	switch (rec->kind) {
	case SB_REC_CALL:
		/* The wire's u16 name length can say more than the encoder
		 * writes (SB_NAME_MAX): such a name finds no function. */
		if (rec->as.call.name_len > SB_NAME_MAX)
			return;
		sb_encode_call(&w, rec->as.call.name, rec->as.call.name_len, args, rec->as.call.nargs);
		break;
	case SB_REC_RESULT: sb_encode_result(&w, &rec->as.result); break;
	case SB_REC_ERROR:
		sb_encode_error(&w, rec->as.error.code, rec->as.error.msg, rec->as.error.msg_len);
		break;
	case SB_REC_LOG:
		sb_encode_log(&w, rec->as.log.level, rec->as.log.msg, rec->as.log.msg_len);
		break;
	case SB_REC_INIT:
		sb_encode_init(&w, rec->as.init.dispatch_gva, rec->as.init.stack_top_gva);
		break;
	default: abort(); /* decode accepted an unknown kind */
	}
	int64_t n = sb_writer_finish(&w);
	if (n < 0 || (uint64_t)n != len || memcmp(out, p, len) != 0)
		abort();
}

static void decode(const uint8_t *p, uint64_t len)
{
	struct sb_record rec;
	struct sb_value args[SB_CALL_MAX_ARGS];
	if (sb_decode_record(p, len, &rec, args, SB_CALL_MAX_ARGS) == SB_PROTO_OK)
		check_round_trip(p, len, &rec, args);
	/* Fewer argument slots than the record carries: refused, not overrun. */
	struct sb_value one[1];
	sb_decode_record(p, len, &rec, one, 1);
	sb_decode_record(p, len, &rec, NULL, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > MAX_BUF)
		return 0;
	/* The whole input as one record. */
	decode(data, size);

	/* The whole input as an I/O buffer: an exact-size copy, so ASan sees
	 * any access past the buffer's end. */
	uint8_t *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	sb_stack_used(buf, size);
	for (unsigned i = 0; i < 4096; i++) {
		const uint8_t *payload;
		uint64_t len;
		if (sb_stack_peek(buf, size, &payload, &len) != SB_PROTO_OK)
			break;
		if (payload < buf || len > size || payload + len > buf + size)
			abort(); /* a view outside the buffer */
		if (sb_stack_pop(buf, size, &payload, &len) != SB_PROTO_OK)
			abort(); /* peek said yes */
		decode(payload, len);
	}
	/* The host answers on whatever is left: push, encode in place, pop. */
	static const uint8_t rec[] = { SB_REC_RESULT, SB_T_I64, 1, 2, 3, 4, 5, 6, 7, 8 };
	if (sb_stack_push(buf, size, rec, sizeof rec) == SB_PROTO_OK) {
		const uint8_t *payload;
		uint64_t len;
		if (sb_stack_pop(buf, size, &payload, &len) != SB_PROTO_OK || len != sizeof rec ||
		    memcmp(payload, rec, sizeof rec) != 0)
			abort();
	}
	struct sb_writer w;
	sb_stack_begin(&w, buf, size);
	struct sb_value v = { .type = SB_T_STRING };
	v.as.buf.ptr = (const uint8_t *)"answer";
	v.as.buf.len = 6;
	sb_encode_result(&w, &v);
	sb_stack_end(&w, buf, size);
	free(buf);
	return 0;
}
