/* pt_format_i686.c — the i686 2-level (non-PAE) format: 4-byte entries,
 * 1024 entries per table, a directory entry spans 4 MiB (PS = 4 MiB page,
 * CR4.PSE assumed), 32-bit VAs, no NX.  CoW uses the same AVL bit 9. */
#include "pt.h"

const struct pt_format pt_format_i686 = {
	.name = "i686",
	.levels = 2,
	.bits_per_level = 10,
	.entry_bytes = 4,
	.sign_extend = false,
	.large_level_mask = 1u << 2,
	.addr_mask = PT_I686_ADDR_MASK,
	.nx = 0,
	.level_names = {"", "PT", "PD", "", ""},
};
