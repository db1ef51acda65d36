/* build_info.c — see build_info.h. */
#include "build_info.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

/* Defined by workbench/meson.build from meson's own view of the build. */
#ifndef SB_BUILD_COMPILER
#error "SB_BUILD_COMPILER is set by workbench/meson.build"
#endif

void build_facts_fill(struct build_facts *b)
{
	memset(b, 0, sizeof *b);
	snprintf(b->compiler, sizeof b->compiler, "%s", SB_BUILD_COMPILER);
	snprintf(b->buildtype, sizeof b->buildtype, "%s", SB_BUILD_TYPE);
	snprintf(b->optimization, sizeof b->optimization, "%s", SB_BUILD_OPTIMIZATION);
	snprintf(b->sanitize, sizeof b->sanitize, "%s", SB_BUILD_SANITIZE);
	snprintf(b->c_args, sizeof b->c_args, "%s", SB_BUILD_C_ARGS);
}

/* The first line of a small file, without its newline; false if absent. */
static bool read_line(const char *path, char *buf, size_t bytes)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	bool ok = fgets(buf, (int)bytes, f) != NULL;
	fclose(f);
	if (ok)
		buf[strcspn(buf, "\n")] = '\0';
	return ok && buf[0];
}

void build_module_version(const char *module, char *buf, size_t bytes)
{
	buf[0] = '\0';
	if (!module[0])
		return;
	char path[256];
	snprintf(path, sizeof path, "/sys/module/%s/version", module);
	if (read_line(path, buf, bytes))
		return;
	snprintf(path, sizeof path, "/sys/module/%s/srcversion", module);
	if (read_line(path, buf, bytes))
		return;
	buf[0] = '\0';
	snprintf(path, sizeof path, "/sys/module/%s", module);
	if (access(path, F_OK) == 0)
		snprintf(buf, bytes, "built-in");
}

void build_text_digest(const void *text, size_t bytes, char out[33])
{
	XXH128_canonical_t c;
	XXH128_canonicalFromHash(&c, XXH3_128bits(text, bytes));
	for (size_t i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", c.digest[i]);
}

/* Characters a shell takes literally anywhere in a word. */
static bool plain(const char *w)
{
	if (!*w)
		return false;
	for (const char *p = w; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
			    "_-+=/.,:@%",
			    *p))
			return false;
	return true;
}

/* Bytes of the quoted word (without NUL); writes it when out != NULL. */
static size_t quote(const char *w, char *out)
{
	if (plain(w)) {
		if (out)
			memcpy(out, w, strlen(w));
		return strlen(w);
	}
	size_t n = 0;
#define PUT(c)                      \
	do {                        \
		if (out)            \
			out[n] = (c); \
		n++;                \
	} while (0)
	PUT('\'');
	for (const char *p = w; *p; p++) {
		if (*p == '\'') { /* close, an escaped quote, reopen */
			PUT('\'');
			PUT('\\');
			PUT('\'');
			PUT('\'');
		} else {
			PUT(*p);
		}
	}
	PUT('\'');
#undef PUT
	return n;
}

char *build_shell_join(int argc, char *const argv[])
{
	size_t len = 1;
	for (int i = 0; i < argc; i++)
		len += quote(argv[i], NULL) + 1;
	char *s = malloc(len);
	if (!s)
		return NULL;
	size_t used = 0;
	for (int i = 0; i < argc; i++) {
		if (i)
			s[used++] = ' ';
		used += quote(argv[i], s + used);
	}
	s[used] = '\0';
	return s;
}

char *build_shell_quote(const char *word)
{
	char *const one[] = { (char *)word };
	return build_shell_join(1, one);
}
