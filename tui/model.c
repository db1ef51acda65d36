/* model.c — loading what the TUI shows: ELF, snapshot file, scenario file
 * or the built-in test guest, into a struct tui_model. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elf_load.h"
#include "guest_elf.h"
#include "snap_file.h"
#include "tui_model.h"

/* What tui_model_load was given. */
enum tui_input_kind {
	TUI_INPUT_BUILTIN,  /* no argument: the embedded test guest's INIT snapshot */
	TUI_INPUT_ELF,      /* a guest ELF: its INIT snapshot */
	TUI_INPUT_SNAPSHOT, /* a snapshot file */
	TUI_INPUT_SCENARIO, /* a scenario file: the first scenario's INIT snapshot + live runs */
};

static void attach_pt(struct tui_model *m)
{
	const struct snapshot *s = m->snap;
	const struct layout *l = &s->layout;
	m->pt_root = layout_pt_base_gpa(l);
	m->pt_mem[0] = (struct pt_region){ SB_BASE_ADDRESS, s->image, layout_snapshot_bytes(l) };
	m->pt_mem[1] = (struct pt_region){ m->pt_root, snap_pt_tail(s), layout_pt_bytes(l) };
	pt_regions_init(&m->pt, &pt_format_x86_64, m->pt_mem, 2, m->pt_root);
}

static void name_chain(struct tui_model *m)
{
	if (m->cmp_a)
		snprintf(m->cmp_a_source, sizeof m->cmp_a_source, "A (generation %llu)",
			 (unsigned long long)m->cmp_a->generation);
	if (m->cmp_b)
		snprintf(m->cmp_b_source, sizeof m->cmp_b_source, "B (generation %llu)",
			 (unsigned long long)m->cmp_b->generation);
}

void tui_model_from_snapshots(struct tui_model *m, struct snapshot *snap, const char *source,
			      struct snapshot *a, struct snapshot *b)
{
	memset(m, 0, sizeof *m);
	m->snap = snap_ref(snap);
	m->cmp_a = a ? snap_ref(a) : NULL;
	m->cmp_b = b ? snap_ref(b) : NULL;
	snprintf(m->source, sizeof m->source, "%s", source);
	name_chain(m);
	attach_pt(m);
}

void tui_model_show_live(struct tui_model *m, struct snapshot *snap, const char *what)
{
	snap_unref(m->cmp_a);
	snap_unref(m->cmp_b);
	m->cmp_a = m->cmp_b = NULL;
	if (m->live) {
		m->cmp_a = m->snap; /* our reference moves over */
		m->cmp_b = snap_ref(snap);
		snprintf(m->cmp_a_source, sizeof m->cmp_a_source, "A = %.250s", m->source);
		snprintf(m->cmp_b_source, sizeof m->cmp_b_source, "B = %.250s", what);
	} else {
		snap_unref(m->snap);
	}
	m->snap = snap_ref(snap);
	m->live = true;
	tui_model_set_origin(m, NULL, NULL); /* the caller says where snap came from */
	/* the bookkeeping words of the sandbox's scratch are not ours to keep */
	free(m->owned_scratch);
	m->owned_scratch = NULL;
	m->scratch = NULL;
	m->scratch_bytes = 0;
	snprintf(m->source, sizeof m->source, "%s", what);
	attach_pt(m);
}

void tui_model_set_origin(struct tui_model *m, struct snapshot *origin, const char *what)
{
	struct snapshot *old = m->origin; /* may be `origin` itself */
	m->origin = origin ? snap_ref(origin) : NULL;
	snap_unref(old);
	snprintf(m->origin_source, sizeof m->origin_source, "%s", origin && what ? what : "");
}

void tui_model_free(struct tui_model *m)
{
	snap_unref(m->origin);
	snap_unref(m->snap);
	snap_unref(m->cmp_a);
	snap_unref(m->cmp_b);
	scenario_set_free(&m->scenarios);
	free(m->owned_scratch);
	memset(m, 0, sizeof *m);
}

int tui_builtin_snapshot(struct snapshot **out, const struct layout_config *cfg, struct sb_err *err)
{
	struct elf_image img;
	if (guest_elf_open(&img, NULL, err))
		return -1;
	struct layout_config def = layout_config_default();
	int rc = snap_from_elf(out, &img, cfg ? cfg : &def, NULL, 0, 0, err);
	elf_image_free(&img);
	return rc;
}

static int elf_snapshot(const char *path, const struct layout_config *cfg, struct snapshot **out,
			struct sb_err *err)
{
	if (!path || !path[0])
		return tui_builtin_snapshot(out, cfg, err);
	struct elf_image img;
	if (guest_elf_open(&img, path, err))
		return -1;
	int rc = snap_from_elf(out, &img, cfg, NULL, 0, 0, err);
	elf_image_free(&img);
	return rc;
}

/* Sniff the first bytes: snapshot magic, ELF magic, else text. */
static enum tui_input_kind sniff(const char *path, struct sb_err *err, int *rc)
{
	char head[8] = { 0 };
	FILE *f = fopen(path, "rb");
	*rc = 0;
	if (!f) {
		*rc = sb_errf(err, SB_E_IO, "%s: cannot open", path);
		return TUI_INPUT_BUILTIN;
	}
	size_t n = fread(head, 1, sizeof head, f);
	fclose(f);
	if (n == 8 && memcmp(head, SNAP_FILE_MAGIC, 8) == 0)
		return TUI_INPUT_SNAPSHOT;
	if (n >= 4 && memcmp(head, "\177ELF", 4) == 0)
		return TUI_INPUT_ELF;
	return TUI_INPUT_SCENARIO;
}

int tui_model_load(struct tui_model *m, const char *path, struct sb_err *err)
{
	memset(m, 0, sizeof *m);
	struct snapshot *s = NULL;
	enum tui_input_kind kind = TUI_INPUT_BUILTIN;
	struct scenario_set set = { 0 };
	int rc = 0;
	if (path)
		kind = sniff(path, err, &rc);
	if (rc)
		return -1;
	struct layout_config cfg = layout_config_default();
	switch (kind) {
	case TUI_INPUT_BUILTIN: rc = tui_builtin_snapshot(&s, &cfg, err); break;
	case TUI_INPUT_ELF: rc = elf_snapshot(path, &cfg, &s, err); break;
	case TUI_INPUT_SNAPSHOT: rc = snap_load(&s, path, SNAP_LOAD_VERIFY, err); break;
	case TUI_INPUT_SCENARIO:
		rc = scenario_set_parse_file(&set, path, err);
		if (rc == 0) {
			const struct scenario_config *c = &set.items[0].cfg;
			cfg = (struct layout_config){ c->heap_bytes, c->input_bytes, c->output_bytes,
						      c->scratch_bytes };
			rc = elf_snapshot(c->guest, &cfg, &s, err);
		}
		break;
	}
	if (rc) {
		scenario_set_free(&set);
		return -1;
	}
	/* A chain to compare: made by hand over the snapshot, no KVM needed.
	 * Not fatal: the dedup view then says there is nothing to compare. */
	struct snapshot *a = NULL, *b = NULL;
	struct sb_err chain_err;
	if (tui_chain_handmade(s, &a, &b, &chain_err))
		a = b = NULL;
	char src[256];
	snprintf(src, sizeof src, "%s", path ? path : "(embedded test guest)");
	tui_model_from_snapshots(m, s, src, a, b);
	m->scenarios = set;
	snap_unref(s);
	snap_unref(a);
	snap_unref(b);
	if (m->cmp_a) {
		snprintf(m->cmp_a_source, sizeof m->cmp_a_source, "A = %s + hand-made CoW edits",
			 kind == TUI_INPUT_SNAPSHOT ? "it" : "INIT");
		snprintf(m->cmp_b_source, sizeof m->cmp_b_source, "B = A + more edits");
	}
	return 0;
}

int tui_model_load_pair(struct tui_model *m, const char *pa, const char *pb, struct sb_err *err)
{
	struct snapshot *a = NULL, *b = NULL;
	if (snap_load(&a, pa, SNAP_LOAD_VERIFY, err))
		return -1;
	if (snap_load(&b, pb, SNAP_LOAD_VERIFY, err)) {
		snap_unref(a);
		return -1;
	}
	tui_model_from_snapshots(m, a, pa, a, b);
	snprintf(m->cmp_a_source, sizeof m->cmp_a_source, "A = %s", pa);
	snprintf(m->cmp_b_source, sizeof m->cmp_b_source, "B = %s", pb);
	snap_unref(a);
	snap_unref(b);
	return 0;
}
