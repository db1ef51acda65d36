/* proto_codec.c — encoding and decoding of protocol records (see proto.h).
 * Freestanding: no libc. Decoding checks every length against the record. */
#include "proto.h"

const char *sb_proto_strerror(int status)
{
	switch (status) {
	case SB_PROTO_OK: return "ok";
	case SB_PROTO_EMPTY: return "buffer is empty";
	case SB_PROTO_FULL: return "buffer is full";
	case SB_PROTO_CORRUPT: return "buffer stack pointer or back-pointer out of bounds";
	case SB_PROTO_MALFORMED: return "malformed record";
	case SB_PROTO_TOO_MANY: return "too many arguments";
	default: return "unknown protocol status";
	}
}

const char *sb_type_name(enum sb_type t)
{
	static const char *const names[SB_T__COUNT] = {
		[SB_T_VOID] = "void", [SB_T_I32] = "i32",   [SB_T_I64] = "i64",
		[SB_T_U32] = "u32",   [SB_T_U64] = "u64",   [SB_T_F32] = "f32",
		[SB_T_F64] = "f64",   [SB_T_BOOL] = "bool", [SB_T_STRING] = "string",
		[SB_T_BYTES] = "bytes",
	};
	return (unsigned)t < SB_T__COUNT ? names[t] : "?";
}

/* ---- writer ---- */

void sb_writer_init(struct sb_writer *w, uint8_t *p, uint64_t cap)
{
	w->p = p;
	w->cap = cap;
	w->len = 0;
	w->overflow = false;
}

int64_t sb_writer_finish(const struct sb_writer *w)
{
	return w->overflow ? SB_PROTO_FULL : (int64_t)w->len;
}

static void put(struct sb_writer *w, const void *src, uint64_t n)
{
	if (w->overflow || n > w->cap - w->len) {
		w->overflow = true;
		return;
	}
	if (n)
		__builtin_memcpy(w->p + w->len, src, n);
	w->len += n;
}

static void put8(struct sb_writer *w, uint8_t v) { put(w, &v, 1); }
static void put16(struct sb_writer *w, uint16_t v) { put(w, &v, 2); }
static void put32(struct sb_writer *w, uint32_t v) { put(w, &v, 4); }
static void put64(struct sb_writer *w, uint64_t v) { put(w, &v, 8); }

void sb_encode_value(struct sb_writer *w, const struct sb_value *v)
{
	put8(w, (uint8_t)v->type);
	switch (v->type) {
	case SB_T_VOID: break;
	case SB_T_I32: put(w, &v->as.i32, 4); break;
	case SB_T_U32: put(w, &v->as.u32, 4); break;
	case SB_T_F32: put(w, &v->as.f32, 4); break;
	case SB_T_I64: put(w, &v->as.i64, 8); break;
	case SB_T_U64: put(w, &v->as.u64, 8); break;
	case SB_T_F64: put(w, &v->as.f64, 8); break;
	case SB_T_BOOL: put8(w, v->as.b ? 1 : 0); break;
	case SB_T_STRING:
	case SB_T_BYTES:
		put32(w, v->as.buf.len);
		put(w, v->as.buf.ptr, v->as.buf.len);
		break;
	default: w->overflow = true; break; /* unknown type: refuse to encode */
	}
}

void sb_encode_call(struct sb_writer *w, const char *name, uint32_t name_len,
		    const struct sb_value *args, unsigned nargs)
{
	if (name_len > SB_NAME_MAX || nargs > SB_CALL_MAX_ARGS) {
		w->overflow = true;
		return;
	}
	put8(w, SB_REC_CALL);
	put8(w, (uint8_t)nargs);
	put16(w, (uint16_t)name_len);
	put(w, name, name_len);
	for (unsigned i = 0; i < nargs; i++)
		sb_encode_value(w, &args[i]);
}

void sb_encode_result(struct sb_writer *w, const struct sb_value *v)
{
	put8(w, SB_REC_RESULT);
	sb_encode_value(w, v);
}

void sb_encode_error(struct sb_writer *w, uint32_t code, const char *msg, uint32_t msg_len)
{
	put8(w, SB_REC_ERROR);
	put32(w, code);
	put32(w, msg_len);
	put(w, msg, msg_len);
}

void sb_encode_log(struct sb_writer *w, uint8_t level, const char *msg, uint32_t msg_len)
{
	put8(w, SB_REC_LOG);
	put8(w, level);
	put32(w, msg_len);
	put(w, msg, msg_len);
}

void sb_encode_init(struct sb_writer *w, uint64_t dispatch_gva, uint64_t stack_top_gva)
{
	put8(w, SB_REC_INIT);
	put64(w, dispatch_gva);
	put64(w, stack_top_gva);
}

/* ---- reader ---- */

struct rd {
	const uint8_t *p;
	uint64_t len, pos;
	bool bad;
};

static const uint8_t *take(struct rd *r, uint64_t n)
{
	if (r->bad || n > r->len - r->pos) {
		r->bad = true;
		return 0;
	}
	const uint8_t *at = r->p + r->pos;
	r->pos += n;
	return at;
}

static uint8_t get8(struct rd *r)
{
	const uint8_t *p = take(r, 1);
	return p ? *p : 0;
}

static uint16_t get16(struct rd *r)
{
	uint16_t v = 0;
	const uint8_t *p = take(r, 2);
	if (p)
		__builtin_memcpy(&v, p, 2);
	return v;
}

static uint32_t get32(struct rd *r)
{
	uint32_t v = 0;
	const uint8_t *p = take(r, 4);
	if (p)
		__builtin_memcpy(&v, p, 4);
	return v;
}

static uint64_t get64(struct rd *r)
{
	uint64_t v = 0;
	const uint8_t *p = take(r, 8);
	if (p)
		__builtin_memcpy(&v, p, 8);
	return v;
}

static void get_value(struct rd *r, struct sb_value *v)
{
	uint8_t t = get8(r);
	const uint8_t *p;
	v->type = (enum sb_type)t;
	switch (t) {
	case SB_T_VOID: break;
	case SB_T_I32:
	case SB_T_U32:
	case SB_T_F32:
		if ((p = take(r, 4)))
			__builtin_memcpy(&v->as, p, 4);
		break;
	case SB_T_I64:
	case SB_T_U64:
	case SB_T_F64:
		if ((p = take(r, 8)))
			__builtin_memcpy(&v->as, p, 8);
		break;
	case SB_T_BOOL: {
		uint8_t b = get8(r);
		if (b > 1)
			r->bad = true;
		v->as.b = b == 1;
		break;
	}
	case SB_T_STRING:
	case SB_T_BYTES:
		v->as.buf.len = get32(r);
		v->as.buf.ptr = take(r, v->as.buf.len);
		break;
	default: r->bad = true; break;
	}
}

int sb_decode_record(const uint8_t *p, uint64_t len, struct sb_record *out,
		     struct sb_value *args, unsigned max_args)
{
	struct rd r = { p, len, 0, false };
	uint8_t kind = get8(&r);
	out->kind = (enum sb_record_kind)kind;
	switch (kind) {
	case SB_REC_CALL: {
		unsigned nargs = get8(&r);
		uint16_t name_len = get16(&r);
		out->as.call.name = (const char *)take(&r, name_len);
		out->as.call.name_len = name_len;
		out->as.call.nargs = nargs;
		if (!r.bad && nargs > max_args)
			return SB_PROTO_TOO_MANY;
		for (unsigned i = 0; i < nargs && !r.bad; i++)
			get_value(&r, &args[i]);
		break;
	}
	case SB_REC_RESULT: get_value(&r, &out->as.result); break;
	case SB_REC_ERROR:
		out->as.error.code = get32(&r);
		out->as.error.msg_len = get32(&r);
		out->as.error.msg = (const char *)take(&r, out->as.error.msg_len);
		break;
	case SB_REC_LOG:
		out->as.log.level = get8(&r);
		out->as.log.msg_len = get32(&r);
		out->as.log.msg = (const char *)take(&r, out->as.log.msg_len);
		break;
	case SB_REC_INIT:
		out->as.init.dispatch_gva = get64(&r);
		out->as.init.stack_top_gva = get64(&r);
		break;
	default: return SB_PROTO_MALFORMED;
	}
	if (r.bad || r.pos != r.len)
		return SB_PROTO_MALFORMED;
	return SB_PROTO_OK;
}
