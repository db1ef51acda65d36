/* proto.h — the host <-> guest protocol, shared by both sides.
 *
 * Freestanding: needs only <stdint.h>, <stdbool.h>, <stddef.h>. The same
 * sources are compiled into the host library and into the guest runtime.
 *
 * 1. Exits. The guest talks to the host with `out` to these ports:
 *
 *    SB_PORT_DONE        the call (or init) finished; its result record is
 *                        on top of the output buffer.
 *    SB_PORT_HOST_CALL   a CALL record for a host function is on top of the
 *                        output buffer; the host pops it, runs the function,
 *                        pushes a RESULT or ERROR record onto the input
 *                        buffer and resumes the guest.
 *    SB_PORT_LOG         a LOG record is on top of the output buffer.
 *    SB_PORT_ABORT       one byte of the abort stream (see below).
 *    SB_PORT_DEBUG_CHAR  one character for the debug console.
 *    SB_PORT_COPY_PAGE   copy one 4 KiB page for the guest: RDI = source
 *                        GPA (any guest memory), RSI = destination GPA (in
 *                        scratch), both page aligned. Used by the guest's
 *                        copy-on-write handler when the host asks for it
 *                        (SB_INIT_HOST_COPY): where guest ring-0 code is
 *                        emulated, one exit is far cheaper than copying
 *                        4 KiB an instruction at a time.
 *    SB_PORT_ZERO_PAGE   zero one 4 KiB scratch page: RSI = its GPA, page
 *                        aligned. Used by the runtime (always: it runs
 *                        before the flags can be read) before it turns a
 *                        free page into a page table (an emulated
 *                        `rep stosq` costs ~0.3 ms).
 *
 *    Abort stream: byte 0 = enum sb_abort_code, byte 1 = exception vector
 *    or SB_ABORT_NO_VECTOR, then the message bytes, then SB_ABORT_END.
 *    The host caps the message at SB_ABORT_MSG_MAX bytes. The stream needs
 *    no memory in the guest, so it works even when the guest's buffers or
 *    stack are gone.
 *
 * 2. Buffers. The input (host -> guest) and output (guest -> host) buffers
 *    are stacks of records. The first 8 bytes of a buffer hold the stack
 *    pointer: the offset, from the buffer's start, of the first free byte
 *    (empty = 8). Each record is its payload followed by an 8-byte
 *    back-pointer holding the offset of the payload's start:
 *
 *        [sp][payload0][off0][payload1][off1] ...free...
 *
 *    Everything the other side wrote is untrusted: sb_stack_pop checks
 *    every offset and length against the buffer before returning a view.
 *
 * 3. Records (little-endian, unaligned):
 *
 *    CALL    u8 kind=1, u8 nargs, u16 name_len, name bytes, nargs values
 *    RESULT  u8 kind=2, one value (type SB_T_VOID for none)
 *    ERROR   u8 kind=3, u32 code, u32 msg_len, msg bytes
 *    LOG     u8 kind=4, u8 level, u32 msg_len, msg bytes
 *    INIT    u8 kind=5, u64 dispatch_gva, u64 stack_top_gva
 *
 *    value:  u8 type, then i32/u32/f32: 4 bytes; i64/u64/f64: 8 bytes;
 *            bool: 1 byte (0 or 1); string/bytes: u32 len + bytes;
 *            void: nothing.
 *
 * Decoding never copies: strings and bytes are views into the record.
 *
 * 4. The reserved call SB_LIST_FUNCTIONS_CALL (no arguments) returns the
 *    functions the guest registered at init as one bytes value:
 *        u8 version = SB_LIST_FUNCTIONS_VERSION, u8 count, then per function
 *        u8 name_len, name bytes, u8 return type, u8 nparams, nparams types
 *    (`snapbench inspect --functions`). It is the guest's word: the host
 *    decodes it with bounds checks and uses it for display only.
 */
#define SB_LIST_FUNCTIONS_CALL "__sb_functions"
#define SB_LIST_FUNCTIONS_VERSION 1
#ifndef SNAPBENCH_COMMON_PROTO_H
#define SNAPBENCH_COMMON_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sb_port {
	SB_PORT_DONE = 0xE0,
	SB_PORT_HOST_CALL = 0xE1,
	SB_PORT_LOG = 0xE2,
	SB_PORT_ABORT = 0xE3,
	SB_PORT_DEBUG_CHAR = 0xE4,
	SB_PORT_COPY_PAGE = 0xE5,
	SB_PORT_ZERO_PAGE = 0xE6,
};

/* Flags the host passes to the guest entry point (second argument, RSI). */
#define SB_INIT_USER_MODE 1ull /* drop to ring 3 after init; calls run there */
#define SB_INIT_HOST_COPY 2ull /* copy-on-write copies through SB_PORT_COPY_PAGE */

enum sb_abort_code {
	SB_ABORT_UNKNOWN = 0,
	SB_ABORT_EXCEPTION = 1,     /* unhandled CPU exception; byte 1 is the vector */
	SB_ABORT_OUT_OF_MEMORY = 2, /* scratch allocator exhausted */
	SB_ABORT_BAD_CALL = 3,      /* malformed call record in the input buffer */
	SB_ABORT_STACK_OVERFLOW = 4,
	SB_ABORT_GUEST_PANIC = 5,   /* the guest gave up on its own */
};
#define SB_ABORT_NO_VECTOR 0xFFu
#define SB_ABORT_END 0x00u
#define SB_ABORT_MSG_MAX 256

enum sb_record_kind {
	SB_REC_CALL = 1,
	SB_REC_RESULT = 2,
	SB_REC_ERROR = 3,
	SB_REC_LOG = 4,
	SB_REC_INIT = 5,
};

enum sb_type {
	SB_T_VOID = 0,
	SB_T_I32 = 1,
	SB_T_I64 = 2,
	SB_T_U32 = 3,
	SB_T_U64 = 4,
	SB_T_F32 = 5,
	SB_T_F64 = 6,
	SB_T_BOOL = 7,
	SB_T_STRING = 8,
	SB_T_BYTES = 9,
	SB_T__COUNT
};

/* Error codes a guest function may return in an ERROR record. */
enum sb_call_error {
	SB_CALL_E_NO_SUCH_FUNCTION = 1,
	SB_CALL_E_BAD_ARGUMENTS = 2,
	SB_CALL_E_FAILED = 3, /* the function ran and reported failure */
	SB_CALL_E_HOST = 4,   /* a host function failed */
};

enum sb_proto_status {
	SB_PROTO_OK = 0,
	SB_PROTO_EMPTY = -1,     /* pop from an empty stack */
	SB_PROTO_FULL = -2,      /* push or encode does not fit */
	SB_PROTO_CORRUPT = -3,   /* stack pointer or back-pointer out of bounds */
	SB_PROTO_MALFORMED = -4, /* record truncated, unknown kind/type, trailing bytes */
	SB_PROTO_TOO_MANY = -5,  /* more arguments than the caller has room for */
};

const char *sb_proto_strerror(int status);
const char *sb_type_name(enum sb_type t);

/* Empty stack pointer value: just past the 8-byte header. */
#define SB_STACK_EMPTY 8u
#define SB_CALL_MAX_ARGS 16
#define SB_NAME_MAX 255

struct sb_value {
	enum sb_type type;
	union {
		int32_t i32;
		int64_t i64;
		uint32_t u32;
		uint64_t u64;
		float f32;
		double f64;
		bool b;
		struct {
			const uint8_t *ptr;
			uint32_t len;
		} buf; /* string (not NUL-terminated) or bytes */
	} as;
};

/* ---- stacks in the I/O buffers ------------------------------------------ */

/* A writer over caller memory; any overflow makes the final length fail. */
struct sb_writer {
	uint8_t *p;
	uint64_t cap;
	uint64_t len;
	bool overflow;
};



/* Make the buffer an empty stack. buf_bytes must be >= 8. */
void sb_stack_reset(uint8_t *buf, uint64_t buf_bytes);
/* Push a record. Fails with SB_PROTO_FULL or SB_PROTO_CORRUPT (bad sp). */
int sb_stack_push(uint8_t *buf, uint64_t buf_bytes, const void *payload, uint64_t len);
/* Reserve room for a record of up to max_len bytes: returns a pointer the
 * caller encodes into, then sb_stack_commit(len) finishes the push. This
 * avoids encoding into a temporary and copying. */
int sb_stack_reserve(uint8_t *buf, uint64_t buf_bytes, uint64_t *max_len, uint8_t **out);
int sb_stack_commit(uint8_t *buf, uint64_t buf_bytes, uint64_t len);
/* Encode a record in place on top of the stack:
 *     struct sb_writer w;
 *     sb_stack_begin(&w, buf, bytes);      (a corrupt stack gives a writer
 *     sb_encode_result(&w, &v);             that accepts nothing)
 *     rc = sb_stack_end(&w, buf, bytes);   SB_PROTO_OK, _FULL or _CORRUPT */
void sb_stack_begin(struct sb_writer *w, uint8_t *buf, uint64_t buf_bytes);
int sb_stack_end(const struct sb_writer *w, uint8_t *buf, uint64_t buf_bytes);
/* Pop the top record: *payload points into buf, valid until the next push. */
int sb_stack_pop(uint8_t *buf, uint64_t buf_bytes, const uint8_t **payload, uint64_t *len);
/* The top record, left on the stack: *payload stays valid across pushes. */
int sb_stack_peek(const uint8_t *buf, uint64_t buf_bytes, const uint8_t **payload, uint64_t *len);
/* Number of bytes in use (sp), or a negative status if corrupt. */
int64_t sb_stack_used(const uint8_t *buf, uint64_t buf_bytes);

/* ---- encoding ------------------------------------------------------------ */

void sb_writer_init(struct sb_writer *w, uint8_t *p, uint64_t cap);
/* Returns the encoded length, or SB_PROTO_FULL if anything overflowed. */
int64_t sb_writer_finish(const struct sb_writer *w);

void sb_encode_call(struct sb_writer *w, const char *name, uint32_t name_len,
		    const struct sb_value *args, unsigned nargs);
void sb_encode_result(struct sb_writer *w, const struct sb_value *v);
void sb_encode_error(struct sb_writer *w, uint32_t code, const char *msg, uint32_t msg_len);
void sb_encode_log(struct sb_writer *w, uint8_t level, const char *msg, uint32_t msg_len);
void sb_encode_init(struct sb_writer *w, uint64_t dispatch_gva, uint64_t stack_top_gva);
void sb_encode_value(struct sb_writer *w, const struct sb_value *v);

/* ---- decoding (views into the record; nothing copied) ------------------- */

struct sb_call_view {
	const char *name; /* not NUL-terminated */
	uint32_t name_len;
	unsigned nargs;
};

struct sb_record {
	enum sb_record_kind kind;
	union {
		struct sb_call_view call; /* args decoded into the caller's array */
		struct sb_value result;
		struct {
			uint32_t code;
			const char *msg;
			uint32_t msg_len;
		} error;
		struct {
			uint8_t level;
			const char *msg;
			uint32_t msg_len;
		} log;
		struct {
			uint64_t dispatch_gva;
			uint64_t stack_top_gva;
		} init;
	} as;
};

/* Decode one whole record (trailing bytes are an error). For a CALL, the
 * arguments go to args[0..max_args). */
int sb_decode_record(const uint8_t *p, uint64_t len, struct sb_record *out,
		     struct sb_value *args, unsigned max_args);

#endif
