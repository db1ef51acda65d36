/* test_layout_dump.c — the layout text dump against golden files, its width,
 * and the human-readable size formatter.
 *
 * Goldens live in tests/golden/layout_*.txt; regenerate with UPDATE_GOLDENS=1
 * and review the diff.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "golden.h"
#include "layout.h"

#define KiB (1ull << 10)
#define MiB (1ull << 20)
#define GiB (1ull << 30)
#define PG 4096ull

static void dump(FILE *f, const void *arg)
{
	layout_dump(f, arg);
}

/* No line wider than 100 columns, and the text ends with a newline. */
static void check_width(const struct layout *l)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!CHECK(f != NULL))
		return;
	layout_dump(f, l);
	fclose(f);
	size_t col = 0, widest = 0;
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '\n') {
			widest = col > widest ? col : widest;
			col = 0;
		} else {
			col++;
		}
	}
	CHECK(widest <= 100);
	CHECK(len > 0 && buf[len - 1] == '\n');
	free(buf);
}

struct dump_case {
	const char *golden;
	struct layout_config c;
	uint64_t code, init;
	unsigned flags;
	uint64_t pt;
};

static void test_goldens(void)
{
	static const struct dump_case cases[] = {
		{ "layout_default.txt", { 128 * KiB, 16 * KiB, 16 * KiB, 288 * KiB }, 8192, 0, 0, 0 },
		{ "layout_default_pt.txt", { 128 * KiB, 16 * KiB, 16 * KiB, 288 * KiB }, 8192, 0, 0, 4 * PG },
		{ "layout_small_init_rwx.txt", { PG, 5000, 3000, 33 * PG }, 0x1801, 300,
		  LAYOUT_F_READ | LAYOUT_F_WRITE | LAYOUT_F_EXEC, PG },
		{ "layout_large.txt", { 8 * GiB, MiB, MiB, 16 * GiB }, 3 * MiB + 5, 100 * MiB, 0, 8 * MiB },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct dump_case *t = &cases[i];
		struct layout l;
		struct sb_err e = { 0 };
		if (!CHECK(layout_init(&l, &t->c, t->code, t->init, t->flags, &e) == 0) ||
		    (t->pt && !CHECK(layout_set_pt_bytes(&l, t->pt, &e) == 0))) {
			fprintf(stderr, "  %s: %s\n", t->golden, e.msg);
			continue;
		}
		golden_check_dump(t->golden, dump, &l);
		check_width(&l);
	}
}

static void test_human(void)
{
	static const struct {
		uint64_t bytes;
		const char *want;
	} cases[] = {
		{ 0, "0 B" },
		{ 1, "1 B" },
		{ 1023, "1023 B" },
		{ 1024, "1 KiB" },
		{ 1536, "1.5 KiB" },
		{ 1024 + 1023, "1.9 KiB" },   /* truncated, never "2.0" */
		{ 100 * 1024 + 512, "~100 KiB" },
		{ 1024 * 1024 - 1, "~1023 KiB" }, /* stays below the next unit */
		{ 128 * KiB, "128 KiB" },
		{ 288 * KiB, "288 KiB" },
		{ 3 * MiB + 5, "3.0 MiB" },
		{ 16 * GiB, "16 GiB" },
		{ 16 * GiB - PG, "15.9 GiB" },
		{ 1ull << 40, "1 TiB" },
		{ UINT64_MAX, "15.9 EiB" },
	};
	char buf[16];
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		CHECK_STR(layout_human_bytes(cases[i].bytes, buf, sizeof buf), cases[i].want);
	/* a short buffer truncates, never overflows */
	char tiny[4];
	CHECK_STR(layout_human_bytes(128 * KiB, tiny, sizeof tiny), "128");
}

int main(void)
{
	test_goldens();
	test_human();
	return check_done();
}
