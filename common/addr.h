/* addr.h — typed guest addresses, shared by host and guest code.
 * Freestanding: needs only <stdint.h>. */
#ifndef SNAPBENCH_COMMON_ADDR_H
#define SNAPBENCH_COMMON_ADDR_H

#include <stdint.h>

typedef uint64_t gpa_t; /* guest-physical address */
typedef uint64_t gva_t; /* guest-virtual address */

#define SB_PAGE_SIZE 4096ull
#define SB_PAGE_SHIFT 12

static inline uint64_t sb_page_round_up(uint64_t x)
{
	return (x + SB_PAGE_SIZE - 1) & ~(SB_PAGE_SIZE - 1);
}

#endif
