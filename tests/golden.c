/* golden.c — see golden.h. GOLDEN_DIR is set by meson. */
#include "golden.h"

#include <stdlib.h>
#include <string.h>

#include "check.h"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap + 1);
	size_t got;
	while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap) {
			char *nb = realloc(buf, 2 * cap + 1);
			if (!nb) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = nb;
			cap *= 2;
		}
	}
	fclose(f);
	if (buf)
		buf[n] = '\0';
	*len = n;
	return buf;
}

/* Report the first differing line, so a failure says where. */
static void report_diff(const char *name, const char *want, const char *got)
{
	int line = 1;
	const char *w = want, *g = got;
	while (*w && *g && *w == *g) {
		if (*w == '\n')
			line++;
		w++;
		g++;
	}
	const char *we = strchr(w, '\n'), *ge = strchr(g, '\n');
	fprintf(stderr, "golden %s differs at line %d\n  want: %.*s\n  got:  %.*s\n"
		"  (rerun with UPDATE_GOLDENS=1 to accept the new output)\n",
		name, line, we ? (int)(we - w) : (int)strlen(w), w, ge ? (int)(ge - g) : (int)strlen(g), g);
}

bool golden_check(const char *name, const char *actual)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/%s", GOLDEN_DIR, name);
	const char *update = getenv("UPDATE_GOLDENS");
	if (update && strcmp(update, "1") == 0) {
		FILE *f = fopen(path, "wb");
		bool ok = f && fputs(actual, f) >= 0;
		if (f && fclose(f) != 0)
			ok = false;
		return check_true_at(ok, "writing golden file", path, 0);
	}
	size_t len;
	char *want = slurp(path, &len);
	if (!want)
		return check_true_at(false, "golden file exists (run with UPDATE_GOLDENS=1)", path, 0);
	bool same = strcmp(want, actual) == 0;
	if (!same)
		report_diff(name, want, actual);
	free(want);
	return check_true_at(same, "output matches golden file", path, 0);
}

bool golden_check_dump(const char *name, void (*dump)(FILE *f, const void *arg), const void *arg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return check_true_at(false, "open_memstream", name, 0);
	dump(f, arg);
	fclose(f);
	bool ok = golden_check(name, buf ? buf : "");
	free(buf);
	return ok;
}
