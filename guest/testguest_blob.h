/* testguest_blob.h — the test guest ELF, linked into the host. */
#ifndef SNAPBENCH_GUEST_TESTGUEST_BLOB_H
#define SNAPBENCH_GUEST_TESTGUEST_BLOB_H

#include <stddef.h>

extern const unsigned char sb_testguest_elf[];
extern const unsigned char sb_testguest_elf_end[];

static inline size_t sb_testguest_elf_bytes(void)
{
	return (size_t)(sb_testguest_elf_end - sb_testguest_elf);
}

#endif
