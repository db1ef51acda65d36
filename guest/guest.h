/* guest.h — what a guest program written against the snapbench runtime sees.
 *
 * A guest program defines sb_guest_main(), which registers its functions
 * with sb_register(); the runtime does everything else (CPU tables, page
 * faults, the call protocol with the host). Functions take decoded
 * arguments and fill a result; strings and bytes are views into the input
 * buffer, valid until the function returns.
 *
 * The public header of the guest SDK: `meson install` puts it, with the
 * three headers it includes (proto.h, pt.h, addr.h), in include/snapbench/,
 * and a guest written outside the tree includes <snapbench/guest.h> and
 * nothing else (README, "Writing your own guest"). So it includes only
 * headers that are installed with it; internal.h is the runtime's.
 */
#ifndef SNAPBENCH_GUEST_GUEST_H
#define SNAPBENCH_GUEST_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto.h"
#include "pt.h"

#define SB_GUEST_MAX_FUNCTIONS 64
#define SB_GUEST_ERR_MAX 128

struct sb_guest_error {
	uint32_t code; /* enum sb_call_error or the function's own */
	char msg[SB_GUEST_ERR_MAX];
};

/* Returns 0 and fills *ret, or non-zero and fills *err. */
typedef int (*sb_guest_fn)(const struct sb_value *args, struct sb_value *ret,
			   struct sb_guest_error *err);

struct sb_guest_function {
	const char *name;
	unsigned nparams;
	enum sb_type params[SB_CALL_MAX_ARGS];
	enum sb_type ret;
	sb_guest_fn fn;
};

/* Provided by the guest program: register functions, set up state. */
void sb_guest_main(void);

/* Register a function (the struct must outlive the sandbox: static). The
 * name SB_LIST_FUNCTIONS_CALL is the runtime's (it lists the registered
 * functions to the host, proto.h): registering it aborts, as do a name
 * that is empty or longer than SB_NAME_MAX, more than SB_CALL_MAX_ARGS
 * parameters, a parameter type that is SB_T_VOID or no enum sb_type, a
 * result type that is none, or more than SB_GUEST_MAX_FUNCTIONS functions
 * (no call could reach such a function). Of two functions of one name, the
 * first runs. */
void sb_register(const struct sb_guest_function *f);

/* Call a host function by name; returns 0 and fills *ret (views into the
 * input buffer, valid until the next host call), or non-zero with *err. */
int sb_host_call(const char *name, const struct sb_value *args, unsigned nargs,
		 struct sb_value *ret, struct sb_guest_error *err);

/* A log record for the host. */
void sb_log(uint8_t level, const char *msg);
/* One character on the debug console port. */
void sb_debug_char(char c);

/* Stop the sandbox with an abort report; never returns. */
__attribute__((noreturn)) void sb_abort(enum sb_abort_code code, const char *msg);

/* The snapshot generation the host wrote into scratch. */
uint64_t sb_generation(void);

/* The heap region from the PEB, and a bump allocator over it. */
void *sb_heap_base(void);
uint64_t sb_heap_bytes(void);
void *sb_malloc(size_t n);

/* Page tables. Guest code (ring 3) can neither read nor write them: the
 * runtime makes every edit in ring 0, behind a gate (INT3 with a request
 * in the registers) that refuses the runtime's own addresses and pages
 * (guest/ptgate.c).
 * sb_map_pages maps `pages` pages of guest-physical memory at `gpa` to
 * `va` (4 KiB aligned), readable and user-accessible, plus the SB_MAP_*
 * flags; with SB_MAP_UNMAP it unmaps them (`gpa` ignored). PT_E_DENIED:
 * the range touches the runtime's addresses (the guest image, the top two
 * PML4 slots) or a page the runtime keeps to ring 0 (a page table). */
#define SB_MAP_WRITE 1u  /* writable */
#define SB_MAP_EXEC 2u   /* executable (else NX) */
#define SB_MAP_COW 4u    /* copy-on-write (read-only until written) */
#define SB_MAP_UNMAP 8u  /* remove the mappings */
#define SB_MAP_ALL 15u
enum pt_status sb_map_pages(uint64_t va, uint64_t gpa, uint64_t pages, unsigned flags);
/* The present leaf mapping `va` (entry, level, the entry's GPA). */
enum pt_status sb_lookup_page(uint64_t va, struct pt_leaf *out);

/* Address spaces (one page-table root each; guest/ptgate.c, and the design
 * in snapshot/snap_roots.c). Root 0 is the space the runtime started in.
 * sb_address_space_new makes a root whose top-level table is a copy of the
 * current one (every lower table shared: map new things under a top-level
 * slot the current space leaves empty to keep them apart), declares it to
 * the host (a snapshot keeps every declared root) and gives its index.
 * sb_address_space_switch loads root i (PT_E_DENIED: the slot names a page
 * that is no root the runtime may load). Snapshots move the tables, so
 * roots are known by index; sb_address_space_root reads root i's current
 * GPA from the slot the host rewrites at every restore (0: no such root). */
enum pt_status sb_address_space_new(unsigned *index);
enum pt_status sb_address_space_switch(unsigned index);
unsigned sb_address_space_count(void);
unsigned sb_address_space_current(void);
uint64_t sb_address_space_root(unsigned index);

/* Scratch pages handed out so far (allocator word minus its start). */
uint64_t sb_scratch_next_free_gpa(void);

/* Format helpers (no printf in a freestanding guest). */
size_t sb_fmt_u64(char *out, uint64_t v, unsigned base);
void sb_error_set(struct sb_guest_error *err, uint32_t code, const char *msg);

void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

#endif
