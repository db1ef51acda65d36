/* runner_support.c — machine facts and other helpers of the runner
 * (calibration: runner_calibration.c). */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "build_info.h"
#include "guest_fns.h"
#include "runner.h"
#include "runner_internal.h"
#include "sandbox.h"
#include "vmm.h"

int runner_read_file(const char *path, uint8_t **out, size_t *n, struct sb_err *err)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return sb_errf(err, SB_E_IO, "%s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
		fclose(f);
		return sb_errf(err, SB_E_IO, "%s: not a regular file", path);
	}
	uint8_t *buf = malloc(st.st_size ? (size_t)st.st_size : 1);
	size_t got = buf ? fread(buf, 1, (size_t)st.st_size, f) : 0;
	fclose(f);
	if (!buf || got != (size_t)st.st_size) {
		free(buf);
		return sb_errf(err, SB_E_IO, "%s: cannot read it", path);
	}
	*out = buf;
	*n = got;
	return 0;
}

struct sandbox_config runner_sandbox_config(const struct scenario *sc)
{
	struct sandbox_config cfg = sandbox_config_default();
	cfg.deadline_ns = sc->cfg.deadline_ns;
	cfg.mode = sc->cfg.mode == SCENARIO_MODE_KERNEL ? SANDBOX_MODE_KERNEL : SANDBOX_MODE_USER;
	cfg.restore_strategy = scenario_strategy(sc);
	cfg.retain_max_pages = (uint32_t)sc->cfg.retain_max_pages;
	cfg.full_snapshots = sc->cfg.snapshots == 1;
	cfg.crashdump_dir = sc->cfg.crashdump[0] ? sc->cfg.crashdump : NULL;
	return cfg;
}

/* ---- a guest's duplicate function names, once per guest file -------------- */

#define LISTED_MAX 32

static pthread_mutex_t listed_lock = PTHREAD_MUTEX_INITIALIZER;
static char listed[LISTED_MAX][256];
static unsigned n_listed;

/* True the first time `path` is seen; past LISTED_MAX paths (or one too
 * long to keep) false: a warning missed rather than a create per scenario. */
static bool first_listing(const char *path)
{
	bool first = strlen(path) < sizeof listed[0];
	pthread_mutex_lock(&listed_lock);
	for (unsigned i = 0; i < n_listed && first; i++)
		first = strcmp(listed[i], path) != 0;
	if (first && n_listed < LISTED_MAX)
		snprintf(listed[n_listed++], sizeof listed[0], "%s", path);
	else
		first = false;
	pthread_mutex_unlock(&listed_lock);
	return first;
}

void runner_warn_duplicates(struct sandbox *sb, const char *path)
{
	if (!path || !path[0] || !first_listing(path)) /* the embedded guest has none */
		return;
	struct sb_err err;
	struct guest_fn_sig *fs = NULL;
	size_t n = 0;
	int rc = guest_fns_list(sb, &fs, &n, &err);
	if (rc) /* another runtime, or garbage: the listing is for display only */
		return;
	size_t dups = guest_fns_duplicates(fs, n);
	for (size_t i = 0, told = 0; i < n && told < 8; i++) {
		if (!fs[i].dup_of)
			continue;
		fprintf(stderr,
			"snapbench: warning: %s registers '%.64s' twice (functions %u and %zu): "
			"only the first runs; rename one (snapbench inspect %s --functions lists them)\n",
			path, fs[i].name, fs[i].dup_of, i + 1, path);
		if (++told == 8 && dups > told)
			fprintf(stderr, "snapbench: warning: %s: %zu more duplicate names\n", path,
				dups - told);
	}
	free(fs);
}

uint64_t runner_rss_bytes(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	unsigned long size = 0, rss = 0;
	if (f) {
		if (fscanf(f, "%lu %lu", &size, &rss) != 2)
			rss = 0;
		fclose(f);
	}
	return (uint64_t)rss * (uint64_t)sysconf(_SC_PAGESIZE);
}

void runner_machine_facts(struct machine_facts *m)
{
	memset(m, 0, sizeof *m);
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[512];
	while (f && fgets(line, sizeof line, f)) {
		if (strncmp(line, "model name", 10) == 0) {
			char *v = strchr(line, ':');
			if (v) {
				v += v[1] == ' ' ? 2 : 1;
				v[strcspn(v, "\n")] = '\0';
				snprintf(m->cpu, sizeof m->cpu, "%s", v);
			}
			break;
		}
	}
	if (f)
		fclose(f);
	struct utsname u;
	if (uname(&u) == 0)
		snprintf(m->kernel, sizeof m->kernel, "%.32s %.90s", u.sysname, u.release);
	static const char *const modules[] = { "kvm_pvm", "kvm_intel", "kvm_amd" };
	for (size_t i = 0; i < sizeof modules / sizeof modules[0]; i++) {
		char path[64];
		snprintf(path, sizeof path, "/sys/module/%s", modules[i]);
		if (access(path, F_OK) == 0) {
			snprintf(m->hypervisor, sizeof m->hypervisor, "%s", modules[i]);
			build_module_version(modules[i], m->hypervisor_version,
					     sizeof m->hypervisor_version);
			break;
		}
	}
	long cpus = sysconf(_SC_NPROCESSORS_ONLN), pages = sysconf(_SC_PHYS_PAGES);
	m->cpus = cpus > 0 ? (unsigned)cpus : 0;
	m->mem_bytes = pages > 0 ? (uint64_t)pages * (uint64_t)sysconf(_SC_PAGESIZE) : 0;
}
