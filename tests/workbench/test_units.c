/* test_units.c — sizes with units. */
#include "check.h"
#include "units.h"

int main(void)
{
	static const struct {
		const char *in;
		uint64_t want;
	} good[] = {
		{ "0", 0 },           { "4096", 4096 },        { "64K", 64 << 10 },
		{ "64k", 64 << 10 },  { "64KiB", 64 << 10 },   { "8M", 8 << 20 },
		{ "8MB", 8 << 20 },   { "1G", 1ull << 30 },    { "16GiB", 16ull << 30 },
		{ "2T", 2ull << 40 }, { "12B", 12 },
		{ "18446744073709551615", UINT64_MAX },
	};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		uint64_t v = 0;
		struct sb_err err;
		if (!CHECK_I64(units_parse_bytes(good[i].in, &v, &err), 0))
			fprintf(stderr, "  input '%s': %s\n", good[i].in, err.msg);
		CHECK_U64(v, good[i].want);
	}
	static const struct {
		const char *in;
		enum sb_errcode code;
		const char *msg;
	} bad[] = {
		{ "", SB_E_INVAL, "empty" },
		{ "K", SB_E_INVAL, "does not start with a digit" },
		{ "-1", SB_E_INVAL, "does not start with a digit" },
		{ " 4", SB_E_INVAL, "does not start with a digit" },
		{ "64Q", SB_E_INVAL, "unknown unit 'Q'" },
		{ "64 K", SB_E_INVAL, "unknown unit ' K'" },
		{ "1.5M", SB_E_INVAL, "unknown unit '.5M'" },
		{ "18446744073709551616", SB_E_TOO_BIG, "too large" },
		{ "17179869184G", SB_E_TOO_BIG, "too large" },
		{ "16777216T", SB_E_TOO_BIG, "too large" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		uint64_t v = 7;
		struct sb_err err = { 0 };
		CHECK_I64(units_parse_bytes(bad[i].in, &v, &err), -1);
		CHECK_U64(err.code, bad[i].code);
		CHECK_CONTAINS(err.msg, bad[i].msg);
		CHECK_U64(v, 7); /* untouched on error */
	}
	return check_done();
}
