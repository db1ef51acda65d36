/* check.h — tiny assertion helpers for table-driven tests.
 *
 * Checks never abort: a failed check prints file:line and what differed,
 * counts a failure, and the test goes on. main() ends with
 * `return check_done();`, which prints "N passed, N failed" and returns
 * the exit status (0 if nothing failed).
 */
#ifndef SNAPBENCH_TESTS_CHECK_H
#define SNAPBENCH_TESTS_CHECK_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

extern unsigned check_passed, check_failed;

bool check_true_at(bool ok, const char *expr, const char *file, int line);
bool check_u64_at(uint64_t got, uint64_t want, const char *expr, const char *file, int line);
bool check_i64_at(int64_t got, int64_t want, const char *expr, const char *file, int line);
bool check_str_at(const char *got, const char *want, const char *expr, const char *file, int line);
/* Substring check: `hay` must contain `needle`. */
bool check_contains_at(const char *hay, const char *needle, const char *expr, const char *file,
		       int line);

#define CHECK(e) check_true_at((e), #e, __FILE__, __LINE__)
#define CHECK_U64(got, want) check_u64_at((uint64_t)(got), (uint64_t)(want), #got, __FILE__, __LINE__)
#define CHECK_I64(got, want) check_i64_at((int64_t)(got), (int64_t)(want), #got, __FILE__, __LINE__)
#define CHECK_STR(got, want) check_str_at((got), (want), #got, __FILE__, __LINE__)
#define CHECK_CONTAINS(hay, needle) check_contains_at((hay), (needle), #hay, __FILE__, __LINE__)

/* Prints the closing "N passed, N failed" line; returns 0 or 1. */
int check_done(void);

/* Exit status meson reads as "skipped". */
#define CHECK_SKIP 77

/* KVM tests call this first: exit CHECK_SKIP, saying why, when /dev/kvm
 * does not exist. Any other problem with KVM is left to fail the test. */
void check_require_kvm(void);

#endif
