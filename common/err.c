/* err.c — error reporting helpers for host-side library code. */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int sb_errf(struct sb_err *e, enum sb_errcode code, const char *fmt, ...)
{
	if (!e)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	e->code = code;
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	return -1;
}

int sb_err_prefix(struct sb_err *e, const char *fmt, ...)
{
	if (!e)
		return -1;
	char prefix[SB_ERR_MSG_MAX];
	char old[SB_ERR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof prefix, fmt, ap);
	va_end(ap);
	memcpy(old, e->msg, sizeof old);
	/* Truncation of a very long message is acceptable. */
	if (snprintf(e->msg, sizeof e->msg, "%s%s", prefix, old) < 0)
		e->msg[0] = '\0';
	return -1;
}

void sb_err_clear(struct sb_err *e)
{
	if (!e)
		return;
	e->code = SB_OK;
	e->msg[0] = '\0';
}

const char *sb_errcode_name(enum sb_errcode code)
{
	static const char *const names[SB_E__COUNT] = {
		[SB_OK] = "ok",
		[SB_E_INVAL] = "invalid argument",
		[SB_E_TOO_BIG] = "too big",
		[SB_E_TOO_SMALL] = "too small",
		[SB_E_RANGE] = "out of range",
		[SB_E_NOMEM] = "out of memory",
		[SB_E_IO] = "I/O error",
		[SB_E_KVM] = "KVM error",
		[SB_E_GUEST] = "guest error",
		[SB_E_CANCELLED] = "cancelled",
		[SB_E_STATE] = "invalid state",
		[SB_E_CALL] = "function error",
	};
	if ((unsigned)code >= SB_E__COUNT || !names[code])
		return "unknown error";
	return names[code];
}
