/* runner_calibration.c — the machine's units of cost (struct calibration,
 * results.h): the sandbox exit before and after each scenario, the
 * real-mode exit and memset before and after the run, the timer's own
 * cost; every sample of before and after pooled, its median, quartiles and
 * a warning when the spread or the drift makes the ratios doubtful. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest_elf.h"
#include "runner_internal.h"
#include "sandbox.h"
#include "vmm.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* The value at percentile p of sorted s[n] (nearest rank, the lower of
 * two for an even median: the sample itself, never an average). */
static uint64_t at_pct(const uint64_t *s, size_t n, unsigned p)
{
	if (n == 0)
		return 0;
	size_t rank = (n * p + 99) / 100; /* ceil(n * p / 100), 1-based */
	return s[rank ? rank - 1 : 0];
}

static uint64_t median_of(const uint64_t *s, size_t n)
{
	uint64_t *c = malloc((n ? n : 1) * sizeof *c);
	if (!c)
		return 0;
	memcpy(c, s, n * sizeof *c);
	qsort(c, n, sizeof *c, cmp_u64);
	uint64_t m = at_pct(c, n, 50);
	free(c);
	return m;
}

/* Pool two sets: median and quartiles of all of them. */
static void pool(const uint64_t *a, size_t na, const uint64_t *b, size_t nb, uint64_t *p25,
		 uint64_t *p50, uint64_t *p75)
{
	*p25 = *p50 = *p75 = 0;
	uint64_t *all = malloc((na + nb ? na + nb : 1) * sizeof *all);
	if (!all)
		return;
	memcpy(all, a, na * sizeof *all);
	if (nb)
		memcpy(all + na, b, nb * sizeof *all);
	qsort(all, na + nb, sizeof *all, cmp_u64);
	*p25 = at_pct(all, na + nb, 25);
	*p50 = at_pct(all, na + nb, 50);
	*p75 = at_pct(all, na + nb, 75);
	free(all);
}

/* ---- the sandbox exit --------------------------------------------------------- */

/* One measurement in a sandbox of `snap`; false (nothing recorded) when
 * its guest has no debug_exits or a call fails. `guest`: the guest file
 * `snap` was made of, whose duplicate function names the same sandbox
 * lists first (once per file: runner_warn_duplicates). */
static bool sample_exits(struct snapshot *snap, const struct scenario *sc, const char *guest,
			 struct exit_samples *out)
{
	out->n = 0;
	struct sandbox_config cfg = runner_sandbox_config(sc);
	cfg.deadline_ns = sandbox_config_default().deadline_ns;
	cfg.crashdump_dir = NULL; /* a guest without debug_exits is not a crash */
	struct sandbox *sb;
	struct sb_err err;
	if (sandbox_create(&sb, snap, &cfg, &err))
		return false;
	runner_warn_duplicates(sb, guest);
	/* per round: (K exits - 0 exits) / K, both in one call each, so the
	 * call's own cost cancels. K = 10: one measurement (101 rounds) took
	 * 36-48 ms at ~27-35 us an exit on our machines, before and after
	 * ~0.09 s a scenario; K = 20 took 60-82 ms and did not narrow the
	 * spread, which there comes from the machine (whole shifts of the
	 * exit cost between 26 and 35 us), not from the clock */
	const uint64_t k = CALIBRATION_SANDBOX_EXITS;
	struct sb_value k0 = { .type = SB_T_U64, .as.u64 = 0 }, kk = { .type = SB_T_U64, .as.u64 = k };
	struct sb_value ret;
	/* one round unrecorded: the first calls of a sandbox fault pages in */
	bool ok = sandbox_call(sb, "debug_exits", &k0, 1, &ret, &err) == 0 &&
		  sandbox_call(sb, "debug_exits", &kk, 1, &ret, &err) == 0;
	for (unsigned i = 0; ok && i < CALIBRATION_SANDBOX_ROUNDS; i++) {
		uint64_t t0 = vmm_now_ns();
		if (sandbox_call(sb, "debug_exits", &k0, 1, &ret, &err))
			break;
		uint64_t t1 = vmm_now_ns();
		if (sandbox_call(sb, "debug_exits", &kk, 1, &ret, &err))
			break;
		uint64_t t2 = vmm_now_ns();
		int64_t d = (int64_t)(t2 - t1) - (int64_t)(t1 - t0);
		out->ns[out->n++] = d > 0 ? (uint64_t)d / k : 0;
	}
	sandbox_destroy(sb);
	if (out->n != CALIBRATION_SANDBOX_ROUNDS)
		out->n = 0;
	return out->n != 0;
}

/* The sandbox exit is the machine's, not the guest's: a guest of the
 * user's own (the SDK's guests have no debug_exits) is calibrated in a
 * sandbox of the embedded test guest with the same sandbox settings (ring,
 * strategy), its default layout. Without it, every ratio to the sandbox
 * exit read "-" for such a guest and the calibration 0 us. */
void runner_sample_sandbox_exit(struct snapshot *base, const struct scenario *sc,
				struct exit_samples *out)
{
	if (sample_exits(base, sc, sc->cfg.guest, out))
		return;
	struct elf_image img;
	struct layout_config lc = layout_config_default();
	struct snapshot *own = NULL;
	struct sb_err err;
	if (guest_elf_open(&img, NULL, &err))
		return;
	int rc = snap_from_elf(&own, &img, &lc, NULL, 0, 0, &err);
	elf_image_free(&img);
	if (rc == 0) {
		sample_exits(own, sc, NULL, out);
		snap_unref(own);
	}
}

void runner_calibration_sandbox(struct calibration *cal, const struct exit_samples *before,
				const struct exit_samples *after)
{
	cal->exit_sandbox_ns = cal->exit_sandbox_p25_ns = cal->exit_sandbox_p75_ns = 0;
	cal->exit_sandbox_before_ns = cal->exit_sandbox_after_ns = 0;
	size_t nb = before ? before->n : 0, na = after ? after->n : 0;
	cal->exit_sandbox_samples = nb + na;
	if (nb + na == 0)
		return;
	pool(nb ? before->ns : NULL, nb, na ? after->ns : NULL, na, &cal->exit_sandbox_p25_ns,
	     &cal->exit_sandbox_ns, &cal->exit_sandbox_p75_ns);
	if (nb)
		cal->exit_sandbox_before_ns = median_of(before->ns, nb);
	if (na)
		cal->exit_sandbox_after_ns = median_of(after->ns, na);
	runner_calibration_warn(cal);
}

/* ---- the real-mode exit, memset, the timer (once per run) ----------------------- */

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

int runner_calibrate(struct run_calibration *rc, struct sb_err *err)
{
	struct kvm *kvm = kvm_open(err);
	if (!kvm)
		return -1;
	int r = vmm_sample_exit_roundtrip_ns(kvm, CALIBRATION_REAL_MODE_EXITS, rc->real_mode_ns, err);
	kvm_close(kvm);
	if (r)
		return -1;
	rc->memset_gib_per_s = memset_gib_per_s();
	return 0;
}

uint64_t runner_timer_overhead_ns(void)
{
	enum { N = 10001 };
	uint64_t *d = malloc(N * sizeof *d);
	if (!d)
		return 0;
	for (unsigned i = 0; i < 100; i++) /* warm the path up */
		(void)vmm_now_ns();
	for (unsigned i = 0; i < N; i++) {
		uint64_t t0 = vmm_now_ns();
		uint64_t t1 = vmm_now_ns();
		d[i] = t1 - t0;
	}
	uint64_t m = median_of(d, N);
	free(d);
	return m;
}

void runner_calibration_run(struct calibration *cal, const struct run_calibration *before,
			    const struct run_calibration *after, uint64_t timer_overhead_ns)
{
	uint64_t p25, p75;
	pool(before->real_mode_ns, CALIBRATION_REAL_MODE_EXITS, after ? after->real_mode_ns : NULL,
	     after ? CALIBRATION_REAL_MODE_EXITS : 0, &p25, &cal->exit_real_mode_ns, &p75);
	cal->exit_real_mode_before_ns = median_of(before->real_mode_ns, CALIBRATION_REAL_MODE_EXITS);
	cal->exit_real_mode_after_ns =
		after ? median_of(after->real_mode_ns, CALIBRATION_REAL_MODE_EXITS) : 0;
	cal->memset_gib_per_s = before->memset_gib_per_s;
	if (after && after->memset_gib_per_s > cal->memset_gib_per_s)
		cal->memset_gib_per_s = after->memset_gib_per_s;
	cal->timer_overhead_ns = timer_overhead_ns;
	runner_calibration_warn(cal);
}

/* ---- the warning -------------------------------------------------------------- */

/* |a - b| in percent of m (0 when a value is missing). */
static double drift_pct(uint64_t a, uint64_t b, uint64_t m)
{
	if (!a || !b || !m)
		return 0;
	return (double)(a > b ? a - b : b - a) * 100.0 / (double)m;
}

void runner_calibration_warn(struct calibration *cal)
{
	char *w = cal->warning;
	size_t cap = sizeof cal->warning, used = 0;
	w[0] = '\0';
#define ADD(...)                                                                             \
	do {                                                                                 \
		if (used < cap)                                                              \
			used += (size_t)snprintf(w + used, cap - used, "%s", used ? "; " : ""); \
		if (used < cap)                                                              \
			used += (size_t)snprintf(w + used, cap - used, __VA_ARGS__);         \
	} while (0)
	uint64_t m = cal->exit_sandbox_ns;
	if (m) {
		double iqr = (double)(cal->exit_sandbox_p75_ns - cal->exit_sandbox_p25_ns) * 100.0 /
			     (double)m;
		if (iqr > CALIBRATION_IQR_WARN_PCT)
			ADD("sandbox exit spread: IQR %.3f..%.3f us is %.1f%% of its median %.3f us "
			    "(bound %d%%)",
			    (double)cal->exit_sandbox_p25_ns / 1e3, (double)cal->exit_sandbox_p75_ns / 1e3,
			    iqr, (double)m / 1e3, CALIBRATION_IQR_WARN_PCT);
		double d = drift_pct(cal->exit_sandbox_before_ns, cal->exit_sandbox_after_ns, m);
		if (d > CALIBRATION_DRIFT_WARN_PCT)
			ADD("sandbox exit drift: %.3f us before, %.3f us after, %.1f%% of the median "
			    "(bound %d%%)",
			    (double)cal->exit_sandbox_before_ns / 1e3,
			    (double)cal->exit_sandbox_after_ns / 1e3, d, CALIBRATION_DRIFT_WARN_PCT);
	}
	double d = drift_pct(cal->exit_real_mode_before_ns, cal->exit_real_mode_after_ns,
			     cal->exit_real_mode_ns);
	if (d > CALIBRATION_DRIFT_WARN_PCT)
		ADD("real-mode exit drift: %.3f us before the run, %.3f us after, %.1f%% of the "
		    "median (bound %d%%)",
		    (double)cal->exit_real_mode_before_ns / 1e3,
		    (double)cal->exit_real_mode_after_ns / 1e3, d, CALIBRATION_DRIFT_WARN_PCT);
#undef ADD
}
