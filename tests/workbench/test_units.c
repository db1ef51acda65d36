/* test_units.c — sizes with units; latencies and expectation values
 * printed with theirs. */
#include "check.h"
#include "scenario.h"
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
	/* one formatter for latencies: ns below 1 us, then 3 significant
	 * digits (the histogram's precision) */
	static const struct {
		double ns;
		const char *want;
	} fmt[] = {
		{ 0, "0 ns" },           { 303, "303 ns" },          { 999.4, "999 ns" },
		{ 999.6, "1.00 us" },    { 1234, "1.23 us" },        { 12345, "12.3 us" },
		{ 123456, "123 us" },    { 999400, "999 us" },       { 999600, "1.00 ms" },
		{ 17626936, "17.6 ms" }, { 12500000, "12.5 ms" },    { 2.5e9, "2.50 s" },
		{ 1.2e12, "1200 s" },    { -35168, "-35.2 us" },
	};
	for (size_t i = 0; i < sizeof fmt / sizeof fmt[0]; i++) {
		char buf[32];
		units_fmt_ns(buf, sizeof buf, fmt[i].ns);
		CHECK_STR(buf, fmt[i].want);
	}
	/* an expectation's value: latencies with a unit, averages with theirs,
	 * counts plain */
	static const struct {
		enum scenario_metric m;
		double v;
		const char *want;
	} met[] = {
		{ SCENARIO_METRIC_P50, 303, "303 ns" },
		{ SCENARIO_METRIC_P99_9, 100000, "100 us" },
		{ SCENARIO_METRIC_COUNT, 1000, "1000" },
		{ SCENARIO_METRIC_FULL_RESTORES, 20, "20" },
		{ SCENARIO_METRIC_SCRATCH_PAGES, 3, "3 pages/call" },
		{ SCENARIO_METRIC_PAGES_RESET, 3.16, "3.160 pages/restore" },
		{ SCENARIO_METRIC_COW_FAULTS, 0, "0 faults/call" },
		{ SCENARIO_METRIC_BYTES_COPIED, 4096, "4096 bytes/restore" },
		{ SCENARIO_METRIC_EXITS, 1.5, "1.500 exits/call" },
	};
	for (size_t i = 0; i < sizeof met / sizeof met[0]; i++) {
		char buf[48];
		scenario_metric_fmt(buf, sizeof buf, met[i].m, met[i].v);
		CHECK_STR(buf, met[i].want);
	}
	return check_done();
}
