/* dump_va.h — `snapbench inspect --dump-va` (dump_va.c). */
#ifndef SNAPBENCH_WORKBENCH_CLI_DUMP_VA_H
#define SNAPBENCH_WORKBENCH_CLI_DUMP_VA_H

#include <stdio.h>

#include "snapshot.h"

/* Parse ADDR (hex, optional 0x) and LEN (a size with units, >= 1 byte) as
 * the option gives them: 0, or -1 with err saying which and why. */
int dump_va_parse(const char *addr, const char *len, gva_t *va, uint64_t *len_bytes,
		  struct sb_err *err);

/* `hexdump -C` of what a sandbox restored from `s` sees at
 * [va, va + len_bytes): rows of 16 bytes labelled with their VA, hex and
 * ASCII, a row equal to the one before shown once as "*", the end VA on
 * the last line. Streams page by page; on an unmapped page, the rows read
 * so far are printed, then -1 with err naming the address. */
int dump_va(FILE *f, const struct snapshot *s, gva_t va, uint64_t len_bytes, struct sb_err *err);

#endif
