/* results_dir.c — see results_dir.h. */
#include "results_dir.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int results_dir_new(const char *base, char *out, size_t size, char *msg, size_t msg_size)
{
	if (mkdir(base, 0777) != 0 && errno != EEXIST) {
		snprintf(msg, msg_size, "%s: cannot make the results directory: %s", base,
			 strerror(errno));
		return -1;
	}
	time_t now = time(NULL);
	struct tm tm;
	char stamp[32];
	gmtime_r(&now, &tm);
	/* no ':' in the name: it is a path that scp, make and Windows shares
	 * take as it is */
	strftime(stamp, sizeof stamp, "%Y-%m-%dT%H-%M-%SZ", &tm);
	for (unsigned k = 1; k < 100; k++) {
		int n = k == 1 ? snprintf(out, size, "%s/%s", base, stamp)
			       : snprintf(out, size, "%s/%s-%02u", base, stamp, k); /* sorts */
		if (n < 0 || (size_t)n >= size) {
			snprintf(msg, msg_size, "%s: the path is too long", base);
			return -1;
		}
		if (mkdir(out, 0777) == 0)
			return 0;
		if (errno != EEXIST) {
			snprintf(msg, msg_size, "%s: cannot make the run's directory: %s", out,
				 strerror(errno));
			return -1;
		}
	}
	snprintf(msg, msg_size, "%s: 99 runs started in the same second", base);
	return -1;
}

int results_dir_link_latest(const char *base, const char *dir, char *msg, size_t msg_size)
{
	const char *name = strrchr(dir, '/');
	name = name ? name + 1 : dir;
	char tmp[4096], link[4096];
	snprintf(tmp, sizeof tmp, "%s/.latest.%ld", base, (long)getpid());
	snprintf(link, sizeof link, "%s/latest", base);
	unlink(tmp);
	/* relative, so the results directory can be moved or copied whole */
	if (symlink(name, tmp) != 0 || rename(tmp, link) != 0) {
		snprintf(msg, msg_size, "%s: cannot point it at %s: %s (the reports are in %s; "
					"a 'latest' that is not a symbolic link is left for you to move)",
			 link, name, strerror(errno), dir);
		unlink(tmp);
		return -1;
	}
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A run directory's name: what results_dir_new makes (a digit first). */
static int is_run(const char *base, const char *name)
{
	if (name[0] < '0' || name[0] > '9')
		return 0;
	char path[4096];
	struct stat st;
	snprintf(path, sizeof path, "%s/%s/report.json", base, name);
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int results_dir_last_two(const char *base, char *older, char *newer, size_t size, char *msg,
			 size_t msg_size)
{
	DIR *d = opendir(base);
	if (!d) {
		snprintf(msg, msg_size, "%s: %s: no runs to compare (give two reports: 'snapbench "
					"compare A.json B.json')",
			 base, strerror(errno));
		return -1;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = -1;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!is_run(base, e->d_name))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			char **nn = realloc(names, cap * sizeof *nn);
			if (!nn)
				goto out;
			names = nn;
		}
		if (!(names[n] = strdup(e->d_name)))
			goto out;
		n++;
	}
	if (n < 2) {
		snprintf(msg, msg_size, "%s: %zu run%s with a report.json, 2 needed to compare (or "
					"give two reports: 'snapbench compare A.json B.json')",
			 base, n, n == 1 ? "" : "s");
		goto out;
	}
	qsort(names, n, sizeof *names, by_name);
	snprintf(older, size, "%s/%s/report.json", base, names[n - 2]);
	snprintf(newer, size, "%s/%s/report.json", base, names[n - 1]);
	rc = 0;
out:
	if (rc && !msg[0])
		snprintf(msg, msg_size, "%s: out of memory", base);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return rc;
}
