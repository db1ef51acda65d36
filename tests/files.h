/* files.h — small file helpers shared by the tests. */
#ifndef SNAPBENCH_TESTS_FILES_H
#define SNAPBENCH_TESTS_FILES_H

#include <stddef.h>
#include <stdint.h>

/* The whole file, malloc'ed (free it), its size in *n; NULL if it cannot be
 * opened or read. */
uint8_t *test_slurp(const char *path, size_t *n);

/* The permissions ("r--p", ...) of the host mapping that starts exactly at
 * p, from /proc/self/maps; "?" if there is none. */
void test_mapping_perms(const void *p, char perms[5]);

/* The resident set of this process in bytes (/proc/self/statm); 0 if it
 * cannot be read. */
uint64_t test_rss_bytes(void);

#endif
