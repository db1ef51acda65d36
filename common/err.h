/* err.h — errors returned by host-side library code.
 *
 * Library code never exits or aborts on bad input: it fills a struct sb_err
 * with a code and a message the caller can print, and returns -1 (or NULL).
 * A NULL struct sb_err pointer is allowed and means "caller does not care".
 */
#ifndef SNAPBENCH_COMMON_ERR_H
#define SNAPBENCH_COMMON_ERR_H

#include <stddef.h>

enum sb_errcode {
	SB_OK = 0,
	SB_E_INVAL,      /* bad argument or malformed input */
	SB_E_TOO_BIG,    /* request above a limit */
	SB_E_TOO_SMALL,  /* request below a minimum */
	SB_E_RANGE,      /* address or offset outside what it must lie in */
	SB_E_NOMEM,      /* host allocation failed */
	SB_E_IO,         /* file or device I/O failed */
	SB_E_KVM,        /* a KVM ioctl failed */
	SB_E_GUEST,      /* the guest misbehaved (abort, fault, bad buffer) */
	SB_E_CANCELLED,  /* deadline passed or cancelled */
	SB_E_STATE,      /* operation not allowed in the object's state */
	SB_E_CALL,       /* a guest or host function ran and reported an error */
	SB_E__COUNT
};

#define SB_ERR_MSG_MAX 512

struct sb_err {
	enum sb_errcode code;
	char msg[SB_ERR_MSG_MAX];
};

/* Record an error; always returns -1 so callers can `return sb_errf(...)`. */
int sb_errf(struct sb_err *e, enum sb_errcode code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prefix an existing message with context ("loading x.elf: " + old msg). */
int sb_err_prefix(struct sb_err *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void sb_err_clear(struct sb_err *e);

/* Short name of a code, e.g. "too big". */
const char *sb_errcode_name(enum sb_errcode code);

#endif
