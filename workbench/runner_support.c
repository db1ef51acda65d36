/* runner_support.c — calibration, machine facts and other helpers of the
 * runner. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

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

static double memset_gib_per_s(void)
{
	const size_t bytes = 64 << 20;
	uint8_t *buf = malloc(bytes);
	if (!buf)
		return 0;
	memset(buf, 1, bytes); /* fault the pages in first */
	uint64_t best = UINT64_MAX;
	for (int i = 0; i < 5; i++) {
		uint64_t t0 = vmm_now_ns();
		memset(buf, i, bytes);
		__asm__ volatile("" : : "r"(buf) : "memory");
		uint64_t d = vmm_now_ns() - t0;
		if (d < best)
			best = d;
	}
	free(buf);
	return best ? (double)bytes / (double)best * 1e9 / (double)(1ull << 30) : 0;
}

int runner_calibrate(struct calibration *cal, struct sb_err *err)
{
	struct kvm *kvm = kvm_open(err);
	if (!kvm)
		return -1;
	struct vmm_cost_ns c;
	int rc = vmm_measure_exit_roundtrip_ns(kvm, 5000, &c, err);
	kvm_close(kvm);
	if (rc)
		return -1;
	cal->exit_real_mode_ns = c.median_ns;
	cal->memset_gib_per_s = memset_gib_per_s();
	return 0;
}

struct sandbox_config runner_sandbox_config(const struct scenario *sc)
{
	struct sandbox_config cfg = sandbox_config_default();
	cfg.deadline_ns = sc->cfg.deadline_ns;
	cfg.mode = sc->cfg.mode == SCENARIO_MODE_KERNEL ? SANDBOX_MODE_KERNEL : SANDBOX_MODE_USER;
	cfg.restore_strategy = scenario_strategy(sc);
	cfg.retain_max_pages = (uint32_t)sc->cfg.retain_max_pages;
	return cfg;
}

void runner_calibrate_sandbox(struct snapshot *base, const struct scenario *sc,
			      struct calibration *cal)
{
	struct sandbox_config cfg = runner_sandbox_config(sc);
	cfg.deadline_ns = sandbox_config_default().deadline_ns;
	struct sandbox *sb;
	struct sb_err err;
	cal->exit_sandbox_ns = 0;
	if (sandbox_create(&sb, base, &cfg, &err))
		return;
	/* median over rounds of (100 exits - 0 exits) / 100 */
	uint64_t samples[21];
	unsigned n = 0;
	struct sb_value k0 = { .type = SB_T_U64, .as.u64 = 0 }, k100 = { .type = SB_T_U64, .as.u64 = 100 };
	struct sb_value ret;
	for (unsigned i = 0; i < 21; i++) {
		uint64_t t0 = vmm_now_ns();
		if (sandbox_call(sb, "debug_exits", &k0, 1, &ret, &err))
			break;
		uint64_t t1 = vmm_now_ns();
		if (sandbox_call(sb, "debug_exits", &k100, 1, &ret, &err))
			break;
		uint64_t t2 = vmm_now_ns();
		int64_t d = (int64_t)(t2 - t1) - (int64_t)(t1 - t0);
		samples[n++] = d > 0 ? (uint64_t)d / 100 : 0;
	}
	sandbox_destroy(sb);
	if (n == 21) {
		struct vmm_cost_ns c;
		vmm_cost_from_samples(samples, n, &c);
		cal->exit_sandbox_ns = c.median_ns;
	}
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
			break;
		}
	}
	long cpus = sysconf(_SC_NPROCESSORS_ONLN), pages = sysconf(_SC_PHYS_PAGES);
	m->cpus = cpus > 0 ? (unsigned)cpus : 0;
	m->mem_bytes = pages > 0 ? (uint64_t)pages * (uint64_t)sysconf(_SC_PAGESIZE) : 0;
}
