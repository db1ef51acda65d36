/* guest_fns.h — the functions a guest registered at init, as it lists them
 * (the reserved call SB_LIST_FUNCTIONS_CALL, common/proto.h), for
 * `snapbench inspect --functions`.
 *
 * The list is the guest's word: it may lie, repeat names or send garbage.
 * It is decoded with every length checked against the bytes received, and
 * used for display only (names with bytes outside printable ASCII are
 * printed with '?' for them).
 */
#ifndef SNAPBENCH_WORKBENCH_GUEST_FNS_H
#define SNAPBENCH_WORKBENCH_GUEST_FNS_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "proto.h"

struct sandbox;

struct guest_fn_sig {
	char name[SB_NAME_MAX + 1]; /* printable: other bytes are '?' */
	uint8_t ret;                /* enum sb_type as the guest says it (may be unknown) */
	unsigned nparams;           /* <= SB_CALL_MAX_ARGS */
	uint8_t params[SB_CALL_MAX_ARGS];
	/* 0, or 1 + the index of an earlier function of the same name (the
	 * same bytes): the guest's dispatcher runs the first, never this one.
	 * Found here, on the host: the runtime does not look (comparing every
	 * pair in ring 0 cost milliseconds of emulated code per create). */
	unsigned dup_of;
};

/* Decode a list (the bytes the reserved call returned). *out is malloc'd.
 * Errors name what is wrong and where ("function 3: name runs past the
 * end (byte 57 of 60)"). */
int guest_fns_decode(const uint8_t *p, size_t len, struct guest_fn_sig **out, size_t *n,
		     struct sb_err *err);
/* How many functions of `fs` are registered again under an earlier's name. */
size_t guest_fns_duplicates(const struct guest_fn_sig *fs, size_t n);
/* Ask a ready sandbox for its guest's list and decode it. A guest without
 * the reserved call (another runtime) fails with a message that says so. */
int guest_fns_list(struct sandbox *sb, struct guest_fn_sig **out, size_t *n, struct sb_err *err);
/* "add(i64, i64) -> i64"; an unknown type prints as "type#N". A duplicate
 * (dup_of) gets "  (registered twice: only the first runs)" added. */
void guest_fn_format(const struct guest_fn_sig *f, char *buf, size_t bytes);

#endif
