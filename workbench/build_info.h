/* build_info.h — what a report records so that a run can be traced and
 * redone: how snapbench was built, the KVM module's version, the digest of
 * a scenario file, and a command line quoted for a POSIX shell. */
#ifndef SNAPBENCH_WORKBENCH_BUILD_INFO_H
#define SNAPBENCH_WORKBENCH_BUILD_INFO_H

#include <stddef.h>

#include "results.h"

/* Compiler, build type, optimisation level, sanitizers and extra C flags
 * as meson configured this build (compiled in: see workbench/meson.build). */
void build_facts_fill(struct build_facts *b);

/* /sys/module/MODULE/version, else .../srcversion, else "built-in" when
 * the module exists without either (built into the kernel), else "". */
void build_module_version(const char *module, char *buf, size_t bytes);

/* XXH3-128 of `bytes` bytes as 32 lower-case hex digits and a NUL. */
void build_text_digest(const void *text, size_t bytes, char out[33]);

/* The arguments joined by spaces, each quoted for a POSIX shell when it
 * needs it ('it'\''s'); malloc'd, NULL when out of memory. */
char *build_shell_join(int argc, char *const argv[]);
/* One word quoted the same way, malloc'd (NULL: out of memory). */
char *build_shell_quote(const char *word);

#endif
