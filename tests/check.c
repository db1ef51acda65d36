/* check.c — see check.h. */
#include "check.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

unsigned check_passed, check_failed;

static bool record(bool ok)
{
	if (ok)
		check_passed++;
	else
		check_failed++;
	return ok;
}

bool check_true_at(bool ok, const char *expr, const char *file, int line)
{
	if (!ok)
		fprintf(stderr, "%s:%d: check failed: %s\n", file, line, expr);
	return record(ok);
}

bool check_u64_at(uint64_t got, uint64_t want, const char *expr, const char *file, int line)
{
	if (got != want)
		fprintf(stderr, "%s:%d: %s = 0x%" PRIx64 " (%" PRIu64 "), want 0x%" PRIx64 " (%" PRIu64 ")\n",
			file, line, expr, got, got, want, want);
	return record(got == want);
}

bool check_i64_at(int64_t got, int64_t want, const char *expr, const char *file, int line)
{
	if (got != want)
		fprintf(stderr, "%s:%d: %s = %" PRId64 ", want %" PRId64 "\n", file, line, expr, got, want);
	return record(got == want);
}

bool check_str_at(const char *got, const char *want, const char *expr, const char *file, int line)
{
	bool ok = got && want && strcmp(got, want) == 0;
	if (!ok)
		fprintf(stderr, "%s:%d: %s = \"%s\", want \"%s\"\n", file, line, expr,
			got ? got : "(null)", want ? want : "(null)");
	return record(ok);
}

bool check_contains_at(const char *hay, const char *needle, const char *expr, const char *file,
		       int line)
{
	bool ok = hay && needle && strstr(hay, needle);
	if (!ok)
		fprintf(stderr, "%s:%d: %s = \"%s\" does not contain \"%s\"\n", file, line, expr,
			hay ? hay : "(null)", needle ? needle : "(null)");
	return record(ok);
}

int check_done(void)
{
	printf("%u passed, %u failed\n", check_passed, check_failed);
	return check_failed ? 1 : 0;
}

void check_require_kvm(void)
{
	if (access("/dev/kvm", F_OK) != 0 && errno == ENOENT) {
		printf("skipped: /dev/kvm does not exist\n");
		exit(CHECK_SKIP);
	}
}
