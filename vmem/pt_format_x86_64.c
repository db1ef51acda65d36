/* pt_format_x86_64.c — the x86-64 4-level format (4 KiB pages, PS at the
 * PD (2 MiB) and PDPT (1 GiB) levels, 48-bit sign-extended VAs, NX). */
#include "pt.h"

const struct pt_format pt_format_x86_64 = {
	.name = "x86-64",
	.levels = 4,
	.bits_per_level = 9,
	.entry_bytes = 8,
	.sign_extend = true,
	.large_level_mask = (1u << 2) | (1u << 3),
	.addr_mask = PT_X86_64_ADDR_MASK,
	.nx = PT_NX,
	.level_names = {"", "PT", "PD", "PDPT", "PML4"},
};
