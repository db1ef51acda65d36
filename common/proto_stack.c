/* proto_stack.c — record stacks in the I/O buffers (see proto.h).
 * Freestanding: no libc. Every offset read from the buffer is checked. */
#include "proto.h"

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;
	__builtin_memcpy(&v, p, 8);
	return v;
}

static void wr64(uint8_t *p, uint64_t v)
{
	__builtin_memcpy(p, &v, 8);
}

void sb_stack_reset(uint8_t *buf, uint64_t buf_bytes)
{
	if (buf_bytes >= SB_STACK_EMPTY)
		wr64(buf, SB_STACK_EMPTY);
}

int64_t sb_stack_used(const uint8_t *buf, uint64_t buf_bytes)
{
	if (buf_bytes < SB_STACK_EMPTY)
		return SB_PROTO_CORRUPT;
	uint64_t sp = rd64(buf);
	if (sp < SB_STACK_EMPTY || sp > buf_bytes)
		return SB_PROTO_CORRUPT;
	return (int64_t)sp;
}

int sb_stack_reserve(uint8_t *buf, uint64_t buf_bytes, uint64_t *max_len, uint8_t **out)
{
	int64_t sp = sb_stack_used(buf, buf_bytes);
	if (sp < 0)
		return (int)sp;
	uint64_t room = buf_bytes - (uint64_t)sp;
	if (room < 8)
		return SB_PROTO_FULL;
	*max_len = room - 8;
	*out = buf + sp;
	return SB_PROTO_OK;
}

int sb_stack_commit(uint8_t *buf, uint64_t buf_bytes, uint64_t len)
{
	int64_t sp = sb_stack_used(buf, buf_bytes);
	if (sp < 0)
		return (int)sp;
	uint64_t room = buf_bytes - (uint64_t)sp;
	if (room < 8 || len > room - 8)
		return SB_PROTO_FULL;
	wr64(buf + sp + len, (uint64_t)sp);
	wr64(buf, (uint64_t)sp + len + 8);
	return SB_PROTO_OK;
}

int sb_stack_push(uint8_t *buf, uint64_t buf_bytes, const void *payload, uint64_t len)
{
	uint64_t max_len = 0;
	uint8_t *dst = 0;
	int rc = sb_stack_reserve(buf, buf_bytes, &max_len, &dst);
	if (rc)
		return rc;
	if (len > max_len)
		return SB_PROTO_FULL;
	if (len)
		__builtin_memcpy(dst, payload, len);
	return sb_stack_commit(buf, buf_bytes, len);
}

int sb_stack_peek(const uint8_t *buf, uint64_t buf_bytes, const uint8_t **payload, uint64_t *len)
{
	int64_t sp = sb_stack_used(buf, buf_bytes);
	if (sp < 0)
		return (int)sp;
	if ((uint64_t)sp == SB_STACK_EMPTY)
		return SB_PROTO_EMPTY;
	if ((uint64_t)sp < SB_STACK_EMPTY + 8)
		return SB_PROTO_CORRUPT;
	uint64_t end = (uint64_t)sp - 8; /* the back-pointer's position */
	uint64_t start = rd64(buf + end);
	if (start < SB_STACK_EMPTY || start > end)
		return SB_PROTO_CORRUPT;
	*payload = buf + start;
	*len = end - start;
	return SB_PROTO_OK;
}

int sb_stack_pop(uint8_t *buf, uint64_t buf_bytes, const uint8_t **payload, uint64_t *len)
{
	int rc = sb_stack_peek(buf, buf_bytes, payload, len);
	if (rc == SB_PROTO_OK)
		wr64(buf, (uint64_t)(*payload - buf));
	return rc;
}

void sb_stack_begin(struct sb_writer *w, uint8_t *buf, uint64_t buf_bytes)
{
	uint64_t room = 0;
	uint8_t *at = 0;
	sb_writer_init(w, at, 0);
	if (sb_stack_reserve(buf, buf_bytes, &room, &at) == SB_PROTO_OK)
		sb_writer_init(w, at, room);
	else
		w->overflow = true;
}

int sb_stack_end(const struct sb_writer *w, uint8_t *buf, uint64_t buf_bytes)
{
	int64_t n = sb_writer_finish(w);
	if (n < 0)
		return sb_stack_used(buf, buf_bytes) < 0 ? SB_PROTO_CORRUPT : SB_PROTO_FULL;
	return sb_stack_commit(buf, buf_bytes, (uint64_t)n);
}
