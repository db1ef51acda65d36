/* fuzz_guest_fns.c — the guest's list of its functions (workbench/
 * guest_fns.c) on bytes the guest chose: the reply to the reserved call
 * SB_LIST_FUNCTIONS_CALL. Decode it; what decodes formats into a buffer
 * of every size without overrunning it, re-encodes to the same bytes,
 * and marks a duplicate name with the first entry of its name. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guest_fns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct guest_fn_sig *fs;
	size_t n;
	struct sb_err err;
	if (guest_fns_decode(data, size, &fs, &n, &err))
		return 0;
	if (n != data[1])
		abort();
	size_t at = 2;
	for (size_t i = 0; i < n; i++) {
		char line[SB_NAME_MAX + 1 + SB_CALL_MAX_ARGS * 10 + 32];
		guest_fn_format(&fs[i], line, sizeof line);
		for (size_t cap = 1; cap < 40; cap += 7) {
			char small[48];
			memset(small, 0x55, sizeof small);
			guest_fn_format(&fs[i], small, cap);
			if (small[cap] != 0x55 || strlen(small) >= cap)
				abort(); /* wrote past the buffer, or did not end it */
		}
		/* the decoded entry is the bytes it came from (names sanitised) */
		size_t nl = strlen(fs[i].name);
		if (data[at] != nl || data[at + 1 + nl] != fs[i].ret ||
		    data[at + 2 + nl] != fs[i].nparams ||
		    memcmp(data + at + 3 + nl, fs[i].params, fs[i].nparams) != 0)
			abort();
		/* a duplicate points to the first earlier entry of the same bytes */
		unsigned d = fs[i].dup_of;
		if (d > i || (d && (fs[d - 1].dup_of || strcmp(fs[d - 1].name, fs[i].name) != 0)))
			abort();
		at += 3 + nl + fs[i].nparams;
	}
	if (at != size)
		abort();
	free(fs);
	return 0;
}
