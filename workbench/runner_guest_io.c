/* runner_guest_io.c — the steps that give a scenario's guest the world
 * outside it (scenario.h): `map FILE at GPA`, `cancel after TIME`, the
 * result a call must return (`== VALUE`), and the rows of the built-in
 * host functions (host_fns.h). runner_worker.c calls these around its
 * steps; nothing here is timed but what the worker times. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "runner_internal.h"
#include "sandbox.h"
#include "units.h"
#include "vmm.h"

/* ---- map FILE at GPA ---------------------------------------------------------- */

/* FILE relative to the scenario file's directory (scenario.h). */
static int map_path(const struct worker *w, const char *f, char *path, size_t cap,
		    struct sb_err *err)
{
	const char *sf = w->sc->file, *slash = strrchr(sf, '/');
	int dir = f[0] == '/' || !slash ? 0 : (int)(slash - sf);
	int n = dir ? snprintf(path, cap, "%.*s/%s", dir, sf, f) : snprintf(path, cap, "%s", f);
	if (n < 0 || (size_t)n >= cap)
		return sb_errf(err, SB_E_TOO_BIG, "file name '%.40s...' is longer than %zu bytes", f,
			       cap - 1);
	return 0;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

int runner_map_prepare(struct worker *w, const struct scenario_step *s, struct mapped_file *m)
{
	char path[PATH_MAX];
	*m = (struct mapped_file){ .gpa = s->as.map.gpa };
	if (map_path(w, s->as.map.path, path, sizeof path, &w->err))
		return -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return sb_errf(&w->err, SB_E_IO, "'%s': %s", path, strerror(errno));
	struct stat st;
	const char *why = NULL;
	if (fstat(fd, &st) != 0)
		why = strerror(errno);
	else if (!S_ISREG(st.st_mode))
		why = "not a regular file";
	else if (st.st_size == 0)
		why = "empty (nothing to map)";
	else if ((uint64_t)st.st_size > SANDBOX_EXTRA_GPA_END - m->gpa)
		why = "larger than the room above its address (the extra window ends at 48G)";
	if (why) {
		close(fd);
		return sb_errf(&w->err, SB_E_IO, "'%s': %s", path, why);
	}
	/* Whole pages, the tail of the last one zero. A copy, not a mapping
	 * of the file: a file truncated while mapped would turn the host's
	 * reads of it (a snapshot freezing its pages) into SIGBUS. */
	m->bytes = ((uint64_t)st.st_size + SB_PAGE_SIZE - 1) & ~(SB_PAGE_SIZE - 1);
	uint8_t *p = mmap(NULL, m->bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		int e = errno;
		close(fd);
		return sb_errf(&w->err, SB_E_NOMEM, "'%s': %llu bytes: %s", path,
			       (unsigned long long)m->bytes, strerror(e));
	}
	/* Read through a bounce buffer and copy only pages that are not all
	 * zero: the others stay untouched (no host memory), so a sparse file
	 * of 30 GiB (the window is 32) costs its data, not 30 GiB of RAM. */
	enum { BOUNCE = 1 << 20 };
	uint8_t *bounce = malloc(BOUNCE);
	uint64_t got = 0, want = (uint64_t)st.st_size;
	while (bounce && got < want) {
		ssize_t r = read(fd, bounce, want - got > BOUNCE ? BOUNCE : want - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			int e = r < 0 ? errno : 0;
			free(bounce);
			close(fd);
			munmap(p, m->bytes);
			return sb_errf(&w->err, SB_E_IO, "'%s': read %llu of %llu bytes%s%s", path,
				       (unsigned long long)got, (unsigned long long)want,
				       e ? ": " : " (it shrank)", e ? strerror(e) : "");
		}
		/* a short read only moves the pieces checked together: what is
		 * skipped is zero in the file and in the copy alike */
		for (size_t at = 0; at < (size_t)r; at += SB_PAGE_SIZE) {
			size_t n = (size_t)r - at < SB_PAGE_SIZE ? (size_t)r - at : SB_PAGE_SIZE;
			if (!all_zero(bounce + at, n))
				memcpy(p + got + at, bounce + at, n);
		}
		got += (uint64_t)r;
	}
	free(bounce);
	close(fd);
	if (got < want) {
		munmap(p, m->bytes);
		return sb_errf(&w->err, SB_E_NOMEM, "'%s': out of memory for a read buffer", path);
	}
	/* read-only from here: the guest's memory slot is, and so is ours */
	mprotect(p, m->bytes, PROT_READ);
	m->host = p;
	return 0;
}

int runner_map_keep(struct worker *w, struct mapped_file *m)
{
	if (w->n_maps == w->cap_maps) {
		size_t cap = w->cap_maps ? 2 * w->cap_maps : 4;
		struct mapped_file *p = realloc(w->maps, cap * sizeof *p);
		if (!p) {
			/* the sandbox uses it: it goes when the sandbox does */
			return sb_errf(&w->err, SB_E_NOMEM, "out of memory keeping a mapped file");
		}
		w->maps = p;
		w->cap_maps = cap;
	}
	w->maps[w->n_maps++] = *m;
	m->host = NULL;
	return 0;
}

void runner_map_drop(struct mapped_file *m)
{
	if (m->host)
		munmap(m->host, m->bytes);
	m->host = NULL;
}

void runner_sandbox_destroy(struct worker *w)
{
	sandbox_destroy(w->sb);
	w->sb = NULL;
	/* only now: the sandbox's memory slots pointed at them */
	for (size_t i = 0; i < w->n_maps; i++)
		runner_map_drop(&w->maps[i]);
	w->n_maps = 0;
}

/* ---- cancel after TIME ---------------------------------------------------------- */

struct canceller {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct sandbox *sb;
	uint64_t due_ns; /* 0: not armed yet */
	bool done;       /* the call returned: stop */
	bool fired;
};

static void *canceller_main(void *arg)
{
	struct canceller *c = arg;
	pthread_mutex_lock(&c->lock);
	while (!c->done) {
		uint64_t now = vmm_now_ns();
		if (c->due_ns && now >= c->due_ns) {
			sandbox_cancel(c->sb);
			c->fired = true;
			break;
		}
		if (!c->due_ns) {
			pthread_cond_wait(&c->cond, &c->lock);
			continue;
		}
		struct timespec ts = { (time_t)(c->due_ns / 1000000000ull),
				       (long)(c->due_ns % 1000000000ull) };
		pthread_cond_timedwait(&c->cond, &c->lock, &ts);
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

int runner_cancelled_call(struct worker *w, const struct scenario_step *s, uint64_t after_ns,
			  uint64_t *ns)
{
	struct canceller c = { .sb = w->sb };
	pthread_condattr_t ca;
	pthread_t t;
	/* the due time is vmm_now_ns()'s clock */
	if (pthread_condattr_init(&ca) || pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) ||
	    pthread_cond_init(&c.cond, &ca))
		return sb_errf(&w->err, SB_E_NOMEM, "cannot make the canceller's condition");
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&c.lock, NULL);
	if (pthread_create(&t, NULL, canceller_main, &c)) {
		pthread_cond_destroy(&c.cond);
		pthread_mutex_destroy(&c.lock);
		return sb_errf(&w->err, SB_E_NOMEM, "cannot start the canceller thread");
	}
	struct sb_value ret;
	/* timed from here: arming the canceller (a lock and a signal, ~1 us)
	 * is inside, the thread's creation is not */
	uint64_t t0 = vmm_now_ns();
	pthread_mutex_lock(&c.lock);
	c.due_ns = t0 + after_ns;
	pthread_cond_signal(&c.cond);
	pthread_mutex_unlock(&c.lock);
	int rc = sandbox_call(w->sb, s->as.call.name, s->as.call.args, s->as.call.nargs, &ret,
			      &w->err);
	*ns = vmm_now_ns() - t0;
	pthread_mutex_lock(&c.lock);
	c.done = true;
	pthread_cond_signal(&c.cond);
	pthread_mutex_unlock(&c.lock);
	pthread_join(t, NULL);
	pthread_cond_destroy(&c.cond);
	pthread_mutex_destroy(&c.lock);
	char took[32];
	units_fmt_ns(took, sizeof took, (double)*ns);
	if (rc && w->err.code == SB_E_CANCELLED)
		return 0;
	if (rc)
		return sb_err_prefix(&w->err, "the call to be cancelled failed otherwise (after %s): ",
				     took);
	/* it returned first; a cancel that fired meanwhile would be left
	 * pending for the next call: the scenario stops here either way */
	return sb_errf(&w->err, SB_E_STATE,
		       "call '%s' returned after %s, before it was cancelled%s: cancel a longer "
		       "call (spin) or cancel sooner",
		       s->as.call.name, took, c.fired ? " (the cancel came too late)" : "");
}

/* ---- == VALUE ------------------------------------------------------------------- */

static bool is_int(enum sb_type t)
{
	return t == SB_T_I32 || t == SB_T_I64 || t == SB_T_U32 || t == SB_T_U64;
}

/* An integer value as a sign and a magnitude, to compare across types. */
static void int_parts(const struct sb_value *v, bool *neg, uint64_t *mag)
{
	int64_t i = v->type == SB_T_I32 ? v->as.i32 : v->type == SB_T_I64 ? v->as.i64 : 0;
	uint64_t u = v->type == SB_T_U32 ? v->as.u32 : v->type == SB_T_U64 ? v->as.u64 : 0;
	if (v->type == SB_T_I32 || v->type == SB_T_I64) {
		*neg = i < 0;
		*mag = i < 0 ? 0 - (uint64_t)i : (uint64_t)i;
	} else {
		*neg = false;
		*mag = u;
	}
}

static bool values_match(const struct sb_value *want, bool any_int, const struct sb_value *got)
{
	if (any_int && is_int(got->type)) {
		bool wn, gn;
		uint64_t wm, gm;
		int_parts(want, &wn, &wm);
		int_parts(got, &gn, &gm);
		return wn == gn && wm == gm;
	}
	bool bufs = (want->type == SB_T_STRING || want->type == SB_T_BYTES) &&
		    (got->type == SB_T_STRING || got->type == SB_T_BYTES);
	if (want->type != got->type && !bufs)
		return false;
	switch (got->type) {
	case SB_T_VOID: return true;
	case SB_T_I32: return want->as.i32 == got->as.i32;
	case SB_T_I64: return want->as.i64 == got->as.i64;
	case SB_T_U32: return want->as.u32 == got->as.u32;
	case SB_T_U64: return want->as.u64 == got->as.u64;
	/* bit for bit: the guest moves floats as bits (no SSE), and a NaN the
	 * scenario cannot write is then never "equal" by accident */
	case SB_T_F32: return memcmp(&want->as.f32, &got->as.f32, 4) == 0;
	case SB_T_F64: return memcmp(&want->as.f64, &got->as.f64, 8) == 0;
	case SB_T_BOOL: return want->as.b == got->as.b;
	case SB_T_STRING:
	case SB_T_BYTES:
		return want->as.buf.len == got->as.buf.len &&
		       (!got->as.buf.len || memcmp(want->as.buf.ptr, got->as.buf.ptr, got->as.buf.len) == 0);
	default: return false;
	}
}

/* A value as a literal would write it, cut short past ~40 bytes. */
void runner_format_value(const struct sb_value *v, char *buf, size_t bytes)
{
	size_t at = 0;
#define PUT(...)                                                                        \
	do {                                                                            \
		int w_ = snprintf(buf + at, at < bytes ? bytes - at : 0, __VA_ARGS__); \
		at += w_ > 0 ? (size_t)w_ : 0;                                          \
	} while (0)
	if (!bytes)
		return;
	buf[0] = '\0';
	switch (v->type) {
	case SB_T_VOID: PUT("nothing (void)"); break;
	case SB_T_I32: PUT("%" PRId32 " (i32)", v->as.i32); break;
	case SB_T_I64: PUT("%" PRId64 " (i64)", v->as.i64); break;
	case SB_T_U32: PUT("%" PRIu32 " (u32)", v->as.u32); break;
	case SB_T_U64: PUT("%" PRIu64 " (u64)", v->as.u64); break;
	case SB_T_F32: PUT("%.9g (f32)", (double)v->as.f32); break;
	case SB_T_F64: PUT("%.17g (f64)", v->as.f64); break;
	case SB_T_BOOL: PUT("%s (bool)", v->as.b ? "true" : "false"); break;
	case SB_T_STRING: {
		PUT("\"");
		uint32_t n = v->as.buf.len < 40 ? v->as.buf.len : 40;
		for (uint32_t i = 0; i < n; i++) {
			uint8_t c = v->as.buf.ptr[i];
			if (c == '"' || c == '\\')
				PUT("\\%c", c);
			else if (c >= 0x20 && c < 0x7f)
				PUT("%c", c);
			else
				PUT("\\x%02x", c);
		}
		PUT("\"%s (string, %" PRIu32 " bytes)", v->as.buf.len > n ? "..." : "", v->as.buf.len);
		break;
	}
	case SB_T_BYTES: {
		PUT("x\"");
		uint32_t n = v->as.buf.len < 20 ? v->as.buf.len : 20;
		for (uint32_t i = 0; i < n; i++)
			PUT("%02x", v->as.buf.ptr[i]);
		PUT("\"%s (bytes, %" PRIu32 ")", v->as.buf.len > n ? "..." : "", v->as.buf.len);
		break;
	}
	default: PUT("a value of type %u", (unsigned)v->type); break;
	}
#undef PUT
}

int runner_check_result(struct worker *w, const struct scenario_step *s, const struct sb_value *got)
{
	if (!s->as.call.has_expect ||
	    values_match(&s->as.call.expect, s->as.call.expect_any_int, got))
		return 0;
	char want[160], have[160];
	runner_format_value(&s->as.call.expect, want, sizeof want);
	runner_format_value(got, have, sizeof have);
	return sb_errf(&w->err, SB_E_STATE, "returned %s, expected %s", have, want);
}

/* ---- the built-in host functions' rows ---------------------------------------- */

static void on_round_trip(void *ctx, enum host_fn_id fn, uint64_t ns)
{
	struct worker *w = ctx;
	if (!w->recording || w->host_rows[fn] == SIZE_MAX)
		return;
	struct step_record rec = { .ns = ns };
	runner_account(&w->stats[w->host_rows[fn]], SCENARIO_STEP_HOST_CALL, &rec);
	if (w->live) /* the call step's own report shows it */
		runner_live_account(w->live, w->host_rows[fn], SCENARIO_STEP_HOST_CALL, &rec);
}

void runner_host_fns_init(struct worker *w)
{
	for (unsigned i = 0; i < HOST_FN__COUNT; i++) {
		char label[RESULTS_LABEL_MAX];
		runner_host_row_label((enum host_fn_id)i, label, sizeof label);
		w->host_rows[i] = SIZE_MAX;
		for (size_t k = 0; k < w->n_stats; k++)
			if (w->stats[k].kind == SCENARIO_STEP_HOST_CALL &&
			    strcmp(w->stats[k].step, label) == 0)
				w->host_rows[i] = k;
	}
	w->clock = (struct host_fns_clock){ .on_round_trip = on_round_trip, .ctx = w };
	host_fns_builtin(w->host_fns, &w->clock);
}

void runner_host_row_label(enum host_fn_id fn, char *buf, size_t bytes)
{
	snprintf(buf, bytes, "host call %s", host_fn_name(fn));
}
