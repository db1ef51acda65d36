/* scenario_check.c — checks of a parsed scenario against the world
 * outside the file: the layout's size rules and the files it names. */
#include "scenario.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "elf_load.h"
#include "guest_elf.h"
#include "layout.h"

/* The embedded test guest's code size, read once (0 if it cannot be). */
static uint64_t embedded_code_bytes;
static void read_embedded(void)
{
	struct elf_image img;
	struct sb_err err;
	if (guest_elf_open(&img, NULL, &err) == 0) {
		embedded_code_bytes = img.span_bytes;
		elf_image_free(&img);
	}
}

/* A size as a scenario file writes it: 64K, 128M, 2G. */
static void fmt_size(char *buf, size_t n, uint64_t bytes)
{
	if (bytes && bytes % (1ull << 30) == 0)
		snprintf(buf, n, "%lluG", (unsigned long long)(bytes >> 30));
	else if (bytes && bytes % (1ull << 20) == 0)
		snprintf(buf, n, "%lluM", (unsigned long long)(bytes >> 20));
	else if (bytes % 1024 == 0)
		snprintf(buf, n, "%lluK", (unsigned long long)(bytes >> 10));
	else
		snprintf(buf, n, "%llu", (unsigned long long)bytes);
}

/* The scratch its heap's page tables need (snapshot/layout.c: the same
 * minimum the runner meets when it builds the snapshot), checked when the
 * file is parsed rather than when the scenario runs. With the embedded
 * guest the minimum is exact; with another guest (not read at parse time)
 * the code counts as one page, a bound the runner completes. */
static int check_scratch_for_heap(const struct scenario *sc, const struct layout_config *lc,
				  struct sb_err *err)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	uint64_t code = SB_PAGE_SIZE;
	if (!sc->cfg.guest[0]) {
		pthread_once(&once, read_embedded);
		if (embedded_code_bytes)
			code = embedded_code_bytes;
	}
	uint64_t min = layout_config_elf_min_scratch_bytes(lc, code, 0);
	if (!min || lc->scratch_bytes >= min)
		return 0;
	char have[32], heap[32];
	fmt_size(have, sizeof have, lc->scratch_bytes);
	fmt_size(heap, sizeof heap, lc->heap_bytes);
	return sb_errf(err, SB_E_TOO_SMALL,
		       "scratch = %s is too small for heap = %s (its page tables take %llu KiB of "
		       "scratch): use scratch = %lluK or more ('snapbench layout --heap %s' shows "
		       "the layout)",
		       have, heap,
		       (unsigned long long)(layout_config_elf_pt_bytes(lc, code, 0) >> 10),
		       (unsigned long long)(min >> 10), heap);
}

static unsigned line_of(const struct scenario *sc, const char *option)
{
	size_t n;
	return sc->set_line[scenario_option_find(option) - scenario_options(&n)];
}

int scenario_check_layout(const struct scenario *sc, unsigned *line, struct sb_err *err)
{
	const struct scenario_config *c = &sc->cfg;
	struct layout_config lc = {
		.heap_bytes = c->heap_bytes,
		.input_bytes = c->input_bytes,
		.output_bytes = c->output_bytes,
		.scratch_bytes = c->scratch_bytes,
	};
	*line = 0;
	if (layout_config_check(&lc, err) == 0 && check_scratch_for_heap(sc, &lc, err) == 0)
		return 0;
	/* The sizes are checked together (the scratch minimum depends on
	 * input and output): point at the one set last. */
	static const char *const sizes[] = { "heap", "scratch", "input", "output" };
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
		if (line_of(sc, sizes[i]) > *line)
			*line = line_of(sc, sizes[i]);
	return -1;
}

static bool has_kind(const struct scenario_step *steps, size_t n, enum scenario_step_kind k)
{
	for (size_t i = 0; i < n; i++)
		if (steps[i].kind == k ||
		    (steps[i].kind == SCENARIO_STEP_REPEAT &&
		     has_kind(steps[i].as.repeat.steps, steps[i].as.repeat.n, k)))
			return true;
	return false;
}

/* A way whose steps are missing would give the scaling table a cell of
 * nothing (no call) or a cycle without its overhead (a restore-per-call
 * that never restores): refused where the file says it. */
int scenario_check_scaling(const struct scenario *sc, unsigned *line, struct sb_err *err)
{
	const char *way = scenario_scaling_name(sc->cfg.scaling);
	*line = line_of(sc, "scaling");
	if (!way[0])
		return 0;
	if (!has_kind(sc->steps, sc->n_steps, SCENARIO_STEP_CALL))
		return sb_errf(err, SB_E_INVAL,
			       "scaling: %s needs a call step (the calls it serves); the scenario "
			       "has none",
			       way);
	if (sc->cfg.scaling == SCENARIO_SCALING_RESTORE_PER_CALL &&
	    !has_kind(sc->steps, sc->n_steps, SCENARIO_STEP_RESTORE))
		return sb_errf(err, SB_E_INVAL,
			       "scaling: restore-per-call needs a restore step (the overhead it "
			       "times before each call); the scenario has none");
	if (sc->cfg.scaling == SCENARIO_SCALING_CREATE_PER_CALL &&
	    !has_kind(sc->steps, sc->n_steps, SCENARIO_STEP_DESTROY))
		return sb_errf(err, SB_E_INVAL,
			       "scaling: create-per-call needs a destroy step (its cycle is create, "
			       "call, destroy, each timed); the scenario has none");
	return 0;
}

static int check_file(const struct scenario *sc, const char *option, const char *path,
		      struct sb_err *err)
{
	if (!path[0])
		return 0; /* none / the embedded guest */
	struct stat st;
	const char *why = NULL;
	if (stat(path, &st) != 0)
		why = strerror(errno);
	else if (!S_ISREG(st.st_mode))
		why = "not a regular file";
	if (!why)
		return 0;
	return sb_errf(err, SB_E_IO, "%s:%u: [%s] %s: '%s': %s", sc->file, line_of(sc, option),
		       sc->section, option, path, why);
}

/* A path that leaves the directory it is resolved in: absolute, or with a
 * ".." component. */
static const char *escapes(const char *path)
{
	if (path[0] == '/')
		return "an absolute path";
	for (const char *p = path; *p;) {
		size_t n = strcspn(p, "/");
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return "a path with '..'";
		p += n;
		p += *p == '/';
	}
	return NULL;
}

/* Whether FILE, resolved as the runner resolves it (relative to the
 * scenario file's directory), is somewhere else once its symbolic links
 * are followed: a scenario's directory may come with a link to a secret,
 * and a map step hands the file to the guest (whose results a failed
 * `== VALUE` prints). A file that does not exist is check_files' to
 * report. */
static bool links_out(const struct scenario *sc, const char *file)
{
	const char *slash = strrchr(sc->file, '/');
	char dir[PATH_MAX], path[PATH_MAX], real_dir[PATH_MAX], real[PATH_MAX];
	snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - sc->file) : 1,
		 slash ? sc->file : ".");
	if (slash == sc->file)
		snprintf(dir, sizeof dir, "/");
	if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, file) >= sizeof path)
		return true;
	if (!realpath(dir, real_dir) || !realpath(path, real))
		return false;
	size_t n = strlen(real_dir);
	if (n == 1) /* "/" */
		return false;
	return strncmp(real, real_dir, n) != 0 || real[n] != '/';
}

static int check_steps_paths(const struct scenario *sc, const struct scenario_step *steps,
			     size_t n, struct sb_err *err)
{
	for (size_t i = 0; i < n; i++) {
		const struct scenario_step *s = &steps[i];
		if (s->kind == SCENARIO_STEP_REPEAT &&
		    check_steps_paths(sc, s->as.repeat.steps, s->as.repeat.n, err))
			return -1;
		if (s->kind == SCENARIO_STEP_MAP) {
			const char *why = escapes(s->as.map.path);
			if (!why && links_out(sc, s->as.map.path))
				why = "a path whose symbolic links lead out of the scenario file's "
				      "directory";
			if (why)
				return sb_errf(err, SB_E_INVAL,
					       "%s:%u: [%s] step '%s': '%s' is %s; map paths are "
					       "relative to the scenario file's directory and stay inside "
					       "it (snapbench run --allow-paths lifts this)",
					       sc->file, s->line, sc->section, s->label, s->as.map.path,
					       why);
			continue;
		}
		if (s->kind != SCENARIO_STEP_SAVE && s->kind != SCENARIO_STEP_LOAD)
			continue;
		const char *why = escapes(s->as.file.path);
		if (why)
			return sb_errf(err, SB_E_INVAL,
				       "%s:%u: [%s] step '%s': '%s' is %s; save and load paths are "
				       "relative to the run's output directory (-o) and stay inside "
				       "it (snapbench run --allow-paths lifts this)",
				       sc->file, s->line, sc->section, s->label, s->as.file.path, why);
	}
	return 0;
}

int scenario_check_paths(const struct scenario *sc, struct sb_err *err)
{
	/* Cores are new files, never replacing one, but where they go is
	 * the file's author's choice all the same. */
	const char *why = escapes(sc->cfg.crashdump);
	if (why)
		return sb_errf(err, SB_E_INVAL,
			       "%s:%u: [%s] crashdump: '%s' is %s; a scenario's crashdump directory "
			       "is relative to the working directory and stays inside it (snapbench "
			       "run --crashdump DIR or --allow-paths lifts this)",
			       sc->file, line_of(sc, "crashdump"), sc->section, sc->cfg.crashdump, why);
	return check_steps_paths(sc, sc->steps, sc->n_steps, err);
}

/* Each map step's file, relative to the scenario file's directory (as
 * the runner resolves it), exists and is a regular file. */
static int check_map_files(const struct scenario *sc, const struct scenario_step *steps, size_t n,
			   struct sb_err *err)
{
	const char *slash = strrchr(sc->file, '/');
	int dir = slash ? (int)(slash - sc->file) : 0;
	for (size_t i = 0; i < n; i++) {
		const struct scenario_step *s = &steps[i];
		if (s->kind == SCENARIO_STEP_REPEAT &&
		    check_map_files(sc, s->as.repeat.steps, s->as.repeat.n, err))
			return -1;
		if (s->kind != SCENARIO_STEP_MAP)
			continue;
		char path[4096];
		const char *f = s->as.map.path;
		int len = dir && f[0] != '/' ? snprintf(path, sizeof path, "%.*s/%s", dir, sc->file, f)
					     : snprintf(path, sizeof path, "%s", f);
		struct stat st;
		const char *why = NULL;
		if (len < 0 || (size_t)len >= sizeof path)
			why = "the path is too long";
		else if (stat(path, &st) != 0)
			why = strerror(errno);
		else if (!S_ISREG(st.st_mode))
			why = "not a regular file";
		if (why)
			return sb_errf(err, SB_E_IO, "%s:%u: [%s] step '%s': '%s': %s", sc->file, s->line,
				       sc->section, s->label, path, why);
	}
	return 0;
}

int scenario_make_crashdump_dir(const struct scenario *sc, struct sb_err *err)
{
	const char *dir = sc->cfg.crashdump;
	struct stat st;
	const char *why = NULL;
	if (!dir[0])
		return 0;
	if (stat(dir, &st) == 0)
		why = S_ISDIR(st.st_mode) ? NULL : "not a directory";
	else if (mkdir(dir, 0777) != 0 && errno != EEXIST)
		why = strerror(errno);
	if (!why)
		return 0;
	return sb_errf(err, SB_E_IO, "%s:%u: [%s] crashdump: '%s': cannot make it: %s", sc->file,
		       line_of(sc, "crashdump"), sc->section, dir, why);
}

int scenario_check_files(const struct scenario *sc, struct sb_err *err)
{
	if (check_file(sc, "guest", sc->cfg.guest, err) ||
	    check_file(sc, "init_data", sc->cfg.init_data, err) ||
	    check_map_files(sc, sc->steps, sc->n_steps, err))
		return -1;
	return 0;
}
