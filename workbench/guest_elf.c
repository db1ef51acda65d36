/* guest_elf.c — see guest_elf.h. */
#include "guest_elf.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "guest_abi.h"
#include "testguest_blob.h"

#define WARNED_MAX 32

static pthread_mutex_t warned_lock = PTHREAD_MUTEX_INITIALIZER;
static char warned[WARNED_MAX][256];
static unsigned n_warned;

/* True the first time `path` is seen (past WARNED_MAX paths: every time,
 * a warning too many rather than one missing). */
static bool first_warning(const char *path)
{
	bool first = true;
	pthread_mutex_lock(&warned_lock);
	for (unsigned i = 0; i < n_warned && first; i++)
		first = strcmp(warned[i], path) != 0;
	if (first && n_warned < WARNED_MAX && strlen(path) < sizeof warned[0])
		snprintf(warned[n_warned++], sizeof warned[0], "%s", path);
	pthread_mutex_unlock(&warned_lock);
	return first;
}

int guest_elf_open(struct elf_image *img, const char *path, struct sb_err *err)
{
	if (!path || !path[0])
		return elf_image_from_memory(img, sb_testguest_elf, sb_testguest_elf_bytes(),
					     "(embedded test guest)", err);
	if (elf_image_open(img, path, err))
		return -1;
	if (!img->has_version_note && first_warning(path))
		fprintf(stderr,
			"snapbench: warning: %s carries no snapbench guest ABI note: nothing "
			"checks that it was built for this snapbench (guest ABI %s); build it "
			"against the SDK (pkg-config snapbench-guest), whose runtime adds the note\n",
			path, SB_GUEST_ABI_VERSION);
	return 0;
}
