/* units.h — sizes with units on the command line and in scenario files. */
#ifndef SNAPBENCH_WORKBENCH_UNITS_H
#define SNAPBENCH_WORKBENCH_UNITS_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

/* Parse "4096", "64K", "64k", "64KiB", "8M", "1G" (binary units: K = 2^10).
 * Rejects empty input, junk after the unit, negative numbers and overflow. */
int units_parse_bytes(const char *s, uint64_t *out, struct sb_err *err);

/* Nanoseconds with a unit, three significant digits past 1 us (the
 * latency histogram's precision): "303 ns", "1.23 us", "12.3 us",
 * "124 ms", "2.50 s"; negative values keep their sign (units_fmt.c). */
void units_fmt_ns(char *buf, size_t bytes, double ns);

#endif
