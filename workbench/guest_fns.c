/* guest_fns.c — the guest's list of its functions (guest_fns.h): decoded
 * from untrusted bytes, every length checked before it is used. */
#include "guest_fns.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox.h"

int guest_fns_decode(const uint8_t *p, size_t len, struct guest_fn_sig **out, size_t *n,
		     struct sb_err *err)
{
	*out = NULL;
	*n = 0;
	if (len < 2)
		return sb_errf(err, SB_E_GUEST, "guest function list: %zu bytes, less than its header",
			       len);
	if (p[0] != SB_LIST_FUNCTIONS_VERSION)
		return sb_errf(err, SB_E_GUEST, "guest function list: version %u, this host reads %u",
			       p[0], SB_LIST_FUNCTIONS_VERSION);
	unsigned count = p[1];
	struct guest_fn_sig *fs = calloc(count ? count : 1, sizeof *fs);
	if (!fs)
		return sb_errf(err, SB_E_NOMEM, "out of memory");
	/* each name's bytes as received: two names that differ only in bytes
	 * printed as '?' are two functions, not a duplicate */
	size_t name_at[256];
	size_t at = 2;
	for (unsigned i = 0; i < count; i++) {
		struct guest_fn_sig *f = &fs[i];
		const char *what = NULL;
		if (len - at < 1) {
			what = "name length";
			goto truncated;
		}
		size_t nl = p[at++];
		if (nl == 0 || len - at < nl) {
			what = nl ? "name" : "empty name";
			goto truncated;
		}
		for (size_t k = 0; k < nl; k++) {
			uint8_t c = p[at + k];
			f->name[k] = c >= 0x20 && c < 0x7f ? (char)c : '?';
		}
		f->name[nl] = '\0';
		name_at[i] = at - 1; /* its length byte */
		for (unsigned k = 0; k < i && !f->dup_of; k++)
			if (p[name_at[k]] == nl && memcmp(p + name_at[k] + 1, p + at, nl) == 0)
				f->dup_of = k + 1;
		at += nl;
		if (len - at < 2) {
			what = "signature";
			goto truncated;
		}
		f->ret = p[at++];
		f->nparams = p[at++];
		if (f->nparams > SB_CALL_MAX_ARGS) {
			sb_errf(err, SB_E_GUEST,
				"guest function list: function %u ('%.64s') has %u parameters, at most %d",
				i + 1, f->name, f->nparams, SB_CALL_MAX_ARGS);
			free(fs);
			return -1;
		}
		if (len - at < f->nparams) {
			what = "parameter types";
			goto truncated;
		}
		memcpy(f->params, p + at, f->nparams);
		at += f->nparams;
		continue;
truncated:
		free(fs);
		return sb_errf(err, SB_E_GUEST,
			       "guest function list: function %u of %u: its %s runs past the end (byte "
			       "%zu of %zu)",
			       i + 1, count, what, at, len);
	}
	if (at != len) {
		free(fs);
		return sb_errf(err, SB_E_GUEST,
			       "guest function list: %zu bytes after its %u functions", len - at, count);
	}
	*out = fs;
	*n = count;
	return 0;
}

size_t guest_fns_duplicates(const struct guest_fn_sig *fs, size_t n)
{
	size_t dups = 0;
	for (size_t i = 0; i < n; i++)
		dups += fs[i].dup_of != 0;
	return dups;
}

int guest_fns_list(struct sandbox *sb, struct guest_fn_sig **out, size_t *n, struct sb_err *err)
{
	struct sb_value ret;
	*out = NULL;
	*n = 0;
	if (sandbox_call(sb, SB_LIST_FUNCTIONS_CALL, NULL, 0, &ret, err)) {
		if (err->code != SB_E_CALL || !strstr(err->msg, "no such"))
			return -1;
		char why[SB_ERR_MSG_MAX];
		snprintf(why, sizeof why, "%s", err->msg); /* err is the output too */
		return sb_errf(err, SB_E_CALL,
			       "the guest does not list its functions (its runtime has no '%s' "
			       "call): %.200s",
			       SB_LIST_FUNCTIONS_CALL, why);
	}
	if (ret.type != SB_T_BYTES)
		return sb_errf(err, SB_E_GUEST, "guest function list: the guest returned %s, not bytes",
			       sb_type_name(ret.type));
	return guest_fns_decode(ret.as.buf.ptr, ret.as.buf.len, out, n, err);
}

static const char *type_name(uint8_t t, char *buf, size_t bytes)
{
	if (t < SB_T__COUNT)
		return sb_type_name((enum sb_type)t);
	snprintf(buf, bytes, "type#%u", t);
	return buf;
}

void guest_fn_format(const struct guest_fn_sig *f, char *buf, size_t bytes)
{
	char t[16];
	size_t at = 0;
	int w = snprintf(buf, bytes, "%s(", f->name);
	for (unsigned i = 0; w >= 0 && i < f->nparams; i++) {
		at += (size_t)w;
		if (at >= bytes)
			return;
		w = snprintf(buf + at, bytes - at, "%s%s", i ? ", " : "", type_name(f->params[i], t, sizeof t));
	}
	if (w < 0)
		return;
	at += (size_t)w;
	if (at >= bytes)
		return;
	w = snprintf(buf + at, bytes - at, ") -> %s", type_name(f->ret, t, sizeof t));
	if (w < 0 || !f->dup_of)
		return;
	at += (size_t)w;
	if (at < bytes)
		snprintf(buf + at, bytes - at, "  (registered twice: only the first runs)");
}
