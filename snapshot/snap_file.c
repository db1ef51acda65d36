/* snap_file.c — snapshot files: save atomically, load by mapping the image
 * read-only straight from the file (format in snap_file.h). */
#include "snap_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <xxhash.h>

#include "proto.h" /* enum sb_type, SB_CALL_MAX_ARGS */
#include "snapshot_internal.h"

#define HDR_FIXED_BYTES 792u /* everything up to the host-function list */
#define HOST_FN_BYTES 274u
#define HDR_SUM_BYTES 16u    /* version 2: the header checksum ends the header */
#define ROOTS_BYTES (8u + 8u * SNAP_MAX_ROOTS) /* version 3: the address spaces */
#define HDR_MAX_BYTES \
	(HDR_FIXED_BYTES + SNAP_MAX_HOST_FNS * HOST_FN_BYTES + ROOTS_BYTES + HDR_SUM_BYTES)
#define MAGIC_BYTES 8u

_Static_assert(sizeof SNAP_FILE_MAGIC == MAGIC_BYTES + 1, "magic is 8 bytes");
_Static_assert(sizeof((struct snapshot *)0)->source == 256, "source field is 256 bytes");
_Static_assert(sizeof((struct snap_host_fn *)0)->name == 256, "host function name is 256 bytes");
_Static_assert(sizeof((struct snap_host_fn *)0)->params == SB_CALL_MAX_ARGS, "16 parameters");
_Static_assert(sizeof((struct kvm_sregs *)0)->interrupt_bitmap == 32, "256-bit bitmap");

/* The fields that are not stored in struct snapshot as-is. */
struct file_hdr {
	char magic[MAGIC_BYTES];
	uint32_t version, header_bytes;
	uint64_t image_offset, image_bytes;
	uint32_t init_data_flags, entry_kind, has_sregs, n_host_fns;
};

/* --- one field list for both directions ---------------------------------- */

/* Encodes host integers as little-endian bytes (writing) or decodes them
 * (reading); never touches bytes outside [p, p + len). */
struct codec {
	uint8_t *p;
	size_t off, len;
	bool writing, overrun;
};

/* v points to an unsigned integer of n (1, 2, 4 or 8) bytes. */
static void field(struct codec *c, void *v, unsigned n)
{
	if (c->overrun || n > c->len - c->off) {
		c->overrun = true;
		return;
	}
	uint8_t *b = c->p + c->off;
	c->off += n;
	uint64_t x = 0;
	if (c->writing) {
		switch (n) {
		case 1: x = *(uint8_t *)v; break;
		case 2: x = *(uint16_t *)v; break;
		case 4: x = *(uint32_t *)v; break;
		default: x = *(uint64_t *)v; break;
		}
		for (unsigned i = 0; i < n; i++)
			b[i] = (uint8_t)(x >> (8 * i));
		return;
	}
	for (unsigned i = 0; i < n; i++)
		x |= (uint64_t)b[i] << (8 * i);
	switch (n) {
	case 1: *(uint8_t *)v = (uint8_t)x; break;
	case 2: *(uint16_t *)v = (uint16_t)x; break;
	case 4: *(uint32_t *)v = (uint32_t)x; break;
	default: *(uint64_t *)v = x; break;
	}
}

static void bytes(struct codec *c, void *v, size_t n)
{
	if (c->overrun || n > c->len - c->off) {
		c->overrun = true;
		return;
	}
	if (c->writing)
		memcpy(c->p + c->off, v, n);
	else
		memcpy(v, c->p + c->off, n);
	c->off += n;
}

/* Reserved bytes: written as zero, ignored on reading. */
static void pad(struct codec *c, size_t n)
{
	uint8_t zero[8] = { 0 };
	bytes(c, zero, n);
}

#define F(c, x) field((c), &(x), sizeof(x))

static void segment(struct codec *c, struct kvm_segment *g)
{
	F(c, g->base), F(c, g->limit), F(c, g->selector), F(c, g->type), F(c, g->present);
	F(c, g->dpl), F(c, g->db), F(c, g->s), F(c, g->l), F(c, g->g), F(c, g->avl);
	F(c, g->unusable), pad(c, 1);
}

static void dtable(struct codec *c, struct kvm_dtable *d)
{
	F(c, d->base), F(c, d->limit), pad(c, 6);
}

/* Bytes [0, HDR_FIXED_BYTES): the offsets in snap_file.h follow this order. */
static void fixed_fields(struct codec *c, struct file_hdr *h, struct snapshot *s)
{
	struct layout *l = &s->layout;
	struct snap_stats *st = &s->stats;
	struct kvm_sregs *r = &s->sregs;
	bytes(c, h->magic, MAGIC_BYTES);
	F(c, h->version), F(c, h->header_bytes), F(c, h->image_offset), F(c, h->image_bytes);
	F(c, l->config.heap_bytes), F(c, l->config.input_bytes), F(c, l->config.output_bytes);
	F(c, l->config.scratch_bytes), F(c, l->code_bytes), F(c, l->init_data_bytes);
	F(c, h->init_data_flags), F(c, h->entry_kind), F(c, l->pt_bytes), F(c, l->code_offset);
	F(c, l->peb_offset), F(c, l->heap_offset), F(c, l->init_data_offset);
	F(c, l->snapshot_bytes), F(c, s->entry_gva), F(c, s->stack_top_gva), F(c, s->generation);
	snap_digest_ready(s);
	bytes(c, s->digest, sizeof s->digest);
	F(c, st->pages_mapped), F(c, st->pages_copied), F(c, st->pages_aliased);
	F(c, st->pt_pages), F(c, st->zero_pages);
	F(c, h->has_sregs), F(c, h->n_host_fns);
	struct kvm_segment *segs[] = { &r->cs, &r->ds, &r->es, &r->fs, &r->gs, &r->ss, &r->tr, &r->ldt };
	for (size_t i = 0; i < sizeof segs / sizeof segs[0]; i++)
		segment(c, segs[i]);
	dtable(c, &r->gdt), dtable(c, &r->idt);
	F(c, r->cr0), F(c, r->cr2), F(c, r->cr3), F(c, r->cr4), F(c, r->cr8);
	F(c, r->efer), F(c, r->apic_base);
	for (size_t i = 0; i < 4; i++)
		F(c, r->interrupt_bitmap[i]);
	bytes(c, s->source, sizeof s->source);
}

static void host_fn_fields(struct codec *c, struct snap_host_fn *f)
{
	bytes(c, f->name, sizeof f->name);
	F(c, f->ret), F(c, f->nparams);
	bytes(c, f->params, sizeof f->params);
}

/* Version 3: root count, current root, then SNAP_MAX_ROOTS root GPAs
 * (unused ones zero). */
static void roots_fields(struct codec *c, struct snapshot *s)
{
	F(c, s->nroots), F(c, s->cur_root);
	for (unsigned i = 0; i < SNAP_MAX_ROOTS; i++)
		F(c, s->roots[i]);
}

static uint64_t header_bytes_for(uint32_t version, uint64_t n_host_fns)
{
	return HDR_FIXED_BYTES + n_host_fns * HOST_FN_BYTES + (version >= 3 ? ROOTS_BYTES : 0) +
	       (version >= 2 ? HDR_SUM_BYTES : 0);
}

void snap_file_header_sum(const uint8_t *hdr, size_t bytes, uint8_t out[16])
{
	XXH128_canonical_t c;
	XXH128_canonicalFromHash(&c, XXH3_128bits(hdr, bytes));
	memcpy(out, c.digest, 16);
}

/* --- saving --------------------------------------------------------------- */

static int write_all(int fd, const uint8_t *p, uint64_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n > (1u << 30) ? (1u << 30) : n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w == 0)
				errno = EIO;
			return -1;
		}
		p += w;
		n -= (uint64_t)w;
	}
	return 0;
}

/* The header and its zero padding up to the image offset. */
static int encode_header(const struct snapshot *src, uint32_t version, uint8_t **out,
			 uint64_t *out_bytes, const char *path, struct sb_err *err)
{
	if (version < SNAP_FILE_VERSION_MIN || version > SNAP_FILE_VERSION)
		return sb_errf(err, SB_E_INVAL, "%s: not saved: format version %u (this build writes "
			       "%u to %u)", path, version, SNAP_FILE_VERSION_MIN, SNAP_FILE_VERSION);
	if (src->n_host_fns > SNAP_MAX_HOST_FNS)
		return sb_errf(err, SB_E_INVAL, "%s: not saved: %u host functions (at most %u)", path,
			       src->n_host_fns, SNAP_MAX_HOST_FNS);
	bool terminated = memchr(src->source, '\0', sizeof src->source) != NULL;
	for (unsigned i = 0; i < src->n_host_fns; i++)
		terminated &= memchr(src->host_fns[i].name, '\0', SNAP_HOST_FN_NAME_MAX + 1) != NULL;
	if (!terminated)
		return sb_errf(err, SB_E_INVAL, "%s: not saved: a string is not NUL-terminated", path);
	/* Before version 3 a file has root 0 only: refused rather than dropped. */
	if (version < 3 && (src->nroots > 1 || src->cur_root))
		return sb_errf(err, SB_E_INVAL, "%s: not saved: the snapshot has %u address spaces; "
			       "format version %u holds one (version 3 holds them all)", path,
			       src->nroots, version);
	struct snapshot s = *src; /* the codec wants non-const fields */
	for (unsigned i = s.nroots; i < SNAP_MAX_ROOTS; i++)
		s.roots[i] = 0; /* unused: written as zero */
	struct file_hdr h = {
		.version = version,
		.header_bytes = (uint32_t)header_bytes_for(version, s.n_host_fns),
		.image_bytes = layout_image_bytes(&s.layout),
		.init_data_flags = s.layout.init_data_flags,
		.entry_kind = s.entry_kind,
		.has_sregs = s.has_sregs,
		.n_host_fns = s.n_host_fns,
	};
	memcpy(h.magic, SNAP_FILE_MAGIC, MAGIC_BYTES);
	h.image_offset = sb_page_round_up(h.header_bytes);
	uint8_t *buf = calloc(1, h.image_offset);
	if (!buf)
		return sb_errf(err, SB_E_NOMEM, "%s: not saved: cannot allocate the header", path);
	struct codec c = { .p = buf, .len = h.header_bytes, .writing = true };
	fixed_fields(&c, &h, &s);
	for (unsigned i = 0; i < s.n_host_fns; i++)
		host_fn_fields(&c, &s.host_fns[i]);
	if (version >= 3)
		roots_fields(&c, &s);
	if (version >= 2 && !c.overrun && c.off + HDR_SUM_BYTES <= h.header_bytes) {
		uint8_t sum[HDR_SUM_BYTES];
		snap_file_header_sum(buf, c.off, sum);
		bytes(&c, sum, sizeof sum);
	}
	if (c.overrun || c.off != h.header_bytes) { /* the field list and the sizes disagree */
		free(buf);
		return sb_errf(err, SB_E_INVAL, "%s: not saved: header encoding is %zu bytes, not %u",
			       path, c.off, h.header_bytes);
	}
	*out = buf;
	*out_bytes = h.image_offset;
	return 0;
}

int snap_save(const struct snapshot *s, const char *path, struct sb_err *err)
{
	return snap_save_version(s, path, SNAP_FILE_VERSION, err);
}

/* The directory of path, for O_TMPFILE and the final fsync. */
static void dir_of(const char *path, char dir[PATH_MAX])
{
	snprintf(dir, PATH_MAX, ".");
	const char *slash = strrchr(path, '/');
	if (slash)
		snprintf(dir, PATH_MAX, "%.*s", (int)(slash == path ? 1 : slash - path), path);
}

/* Give the unnamed file fd the name tmp ("PATH.tmp-XXXXXX", unique): only
 * now, written and synced, does it appear in the directory, for the one
 * rename that follows. linkat cannot replace a file, hence the temporary
 * name and the rename over path. */
static int link_unnamed(int fd, const char *path, char tmp[PATH_MAX])
{
	char proc[64];
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
	static unsigned counter;
	unsigned seed = (unsigned)getpid() * 2654435761u ^ (unsigned)time(NULL);
	for (int tries = 0; tries < 100; tries++) {
		unsigned r = (seed + __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED) * 40503u) &
			     0xffffffu;
		snprintf(tmp, PATH_MAX, "%s.tmp-%06x", path, r);
		if (linkat(AT_FDCWD, proc, AT_FDCWD, tmp, AT_SYMLINK_FOLLOW) == 0)
			return 0;
		/* No /proc: the same by the descriptor (needs CAP_DAC_READ_SEARCH). */
		if (errno == ENOENT && linkat(fd, "", AT_FDCWD, tmp, AT_EMPTY_PATH) == 0)
			return 0;
		if (errno != EEXIST)
			break;
	}
	tmp[0] = '\0';
	return -1;
}

int snap_save_version(const struct snapshot *s, const char *path, unsigned version,
		      struct sb_err *err)
{
	uint8_t *hdr = NULL;
	uint64_t hdr_bytes = 0;
	if (encode_header(s, version, &hdr, &hdr_bytes, path, err))
		return -1;
	char tmp[PATH_MAX] = "", dir[PATH_MAX];
	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp-XXXXXX", path) >= sizeof tmp) {
		free(hdr);
		return sb_errf(err, SB_E_INVAL, "%s: not saved: path too long", path);
	}
	dir_of(path, dir);
	/* An unnamed file first: a save killed before the rename leaves
	 * nothing behind (a named temporary file of up to the whole image
	 * would stay forever). A file system without O_TMPFILE gets the named
	 * temporary file, removed on every failure this process lives through. */
	const char *step = "creating a temporary file";
	bool named = false, linked = false;
	int fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
	if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL)) {
		fd = mkstemp(tmp);
		named = fd >= 0;
	}
	if (!named)
		tmp[0] = '\0'; /* until link_unnamed names it */
	if (fd < 0)
		goto fail;
	step = "writing the header";
	if (write_all(fd, hdr, hdr_bytes))
		goto fail;
	step = "writing the image";
	if (write_all(fd, s->image, layout_image_bytes(&s->layout)))
		goto fail;
	step = "syncing";
	if (fsync(fd))
		goto fail;
	if (!named) {
		step = "naming the temporary file";
		if (link_unnamed(fd, path, tmp))
			goto fail;
		linked = true;
	}
	step = "closing";
	int rc = close(fd);
	fd = -1;
	if (rc)
		goto fail;
	step = "renaming the temporary file over it";
	if (rename(tmp, path))
		goto fail;
	free(hdr);
	/* Make the rename durable; a directory that cannot be synced is not an error. */
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
fail:;
	int e = errno;
	if (fd >= 0)
		close(fd);
	if (named || linked)
		unlink(tmp);
	free(hdr);
	return sb_errf(err, SB_E_IO, "%s: not saved: %s (%s%s): %s", path, step,
		       tmp[0] ? "" : "in ", tmp[0] ? tmp : dir, strerror(e));
}

/* --- loading -------------------------------------------------------------- */

static bool nul_terminated(const char *s, size_t n)
{
	return memchr(s, '\0', n) != NULL;
}

/* Magic, version and sizes; fills *h and the snapshot's stored fields. */
static int decode_header(struct file_hdr *h, struct snapshot *s, uint8_t *buf, size_t got,
			 uint64_t file_bytes, const char *path, struct sb_err *err)
{
	size_t m = got < MAGIC_BYTES ? got : MAGIC_BYTES;
	if (memcmp(buf, SNAP_FILE_MAGIC, m) != 0)
		return sb_errf(err, SB_E_INVAL, "%s: not a snapbench snapshot (bad magic)", path);
	if (got < 16)
		return sb_errf(err, SB_E_INVAL, "%s: truncated header: file is %llu bytes", path,
			       (unsigned long long)file_bytes);
	struct codec c = { .p = buf, .len = got };
	fixed_fields(&c, h, s); /* may overrun; only version is trusted until checked */
	uint32_t version = (uint32_t)buf[8] | (uint32_t)buf[9] << 8 | (uint32_t)buf[10] << 16 |
			   (uint32_t)buf[11] << 24;
	if (version < SNAP_FILE_VERSION_MIN || version > SNAP_FILE_VERSION)
		return sb_errf(err, SB_E_INVAL,
			       "%s: snapshot file format version %u, this build reads versions %u to %u",
			       path, version, SNAP_FILE_VERSION_MIN, SNAP_FILE_VERSION);
	if (c.overrun)
		return sb_errf(err, SB_E_INVAL,
			       "%s: truncated header: file is %llu bytes, the header is at least %u",
			       path, (unsigned long long)file_bytes, HDR_FIXED_BYTES);
	if (h->n_host_fns > SNAP_MAX_HOST_FNS)
		return sb_errf(err, SB_E_INVAL, "%s: %u host functions (at most %u)", path,
			       h->n_host_fns, SNAP_MAX_HOST_FNS);
	uint64_t want = header_bytes_for(version, h->n_host_fns);
	if (h->header_bytes != want)
		return sb_errf(err, SB_E_INVAL,
			       "%s: header size %u bytes, expected %llu for %u host functions", path,
			       h->header_bytes, (unsigned long long)want, h->n_host_fns);
	if (file_bytes < want)
		return sb_errf(err, SB_E_INVAL,
			       "%s: truncated header: file is %llu bytes, the header is %llu", path,
			       (unsigned long long)file_bytes, (unsigned long long)want);
	for (unsigned i = 0; i < h->n_host_fns; i++)
		host_fn_fields(&c, &s->host_fns[i]);
	if (version >= 3)
		roots_fields(&c, s);
	if (c.overrun)
		return sb_errf(err, SB_E_INVAL, "%s: truncated header while reading it", path);
	if (version >= 2) { /* before any field is believed */
		uint8_t want_sum[HDR_SUM_BYTES];
		snap_file_header_sum(buf, c.off, want_sum);
		if (memcmp(want_sum, buf + c.off, HDR_SUM_BYTES) != 0)
			return sb_errf(err, SB_E_INVAL,
				       "%s: header checksum mismatch: a header field (layout, entry, "
				       "generation, digest, registers, source or host functions) was "
				       "changed or is corrupt",
				       path);
	}
	if (h->image_offset != sb_page_round_up(want))
		return sb_errf(err, SB_E_INVAL, "%s: image offset %llu, expected %llu", path,
			       (unsigned long long)h->image_offset,
			       (unsigned long long)sb_page_round_up(want));
	return 0;
}

/* The layout must be the one its configuration and sizes produce. */
static int check_layout(const struct layout *l, bool init, const char *path, struct sb_err *err)
{
	struct layout ref;
	if (layout_config_check(&l->config, err) ||
	    layout_init(&ref, &l->config, l->code_bytes, l->init_data_bytes, l->init_data_flags, err))
		return sb_err_prefix(err, "%s: layout: ", path);
	if (l->init_data_flags != ref.init_data_flags)
		return sb_errf(err, SB_E_INVAL, "%s: layout: init data flags 0x%x are invalid", path,
			       l->init_data_flags);
	if (l->code_offset != ref.code_offset || l->peb_offset != ref.peb_offset ||
	    l->heap_offset != ref.heap_offset || l->init_data_offset != ref.init_data_offset)
		return sb_errf(err, SB_E_INVAL,
			       "%s: layout: offsets code %llu PEB %llu heap %llu init data %llu do "
			       "not match the sizes (expected %llu %llu %llu %llu)",
			       path, (unsigned long long)l->code_offset,
			       (unsigned long long)l->peb_offset, (unsigned long long)l->heap_offset,
			       (unsigned long long)l->init_data_offset,
			       (unsigned long long)ref.code_offset, (unsigned long long)ref.peb_offset,
			       (unsigned long long)ref.heap_offset,
			       (unsigned long long)ref.init_data_offset);
	/* A snapshot of a running sandbox may be compacted (another size). */
	if (init && l->snapshot_bytes != ref.snapshot_bytes)
		return sb_errf(err, SB_E_INVAL,
			       "%s: layout: snapshot size %llu bytes, the layout gives %llu", path,
			       (unsigned long long)l->snapshot_bytes,
			       (unsigned long long)ref.snapshot_bytes);
	if (layout_set_snapshot_bytes(&ref, l->snapshot_bytes, err) ||
	    layout_set_pt_bytes(&ref, l->pt_bytes, err))
		return sb_err_prefix(err, "%s: layout: ", path);
	return 0;
}

static int check_fields(const struct file_hdr *h, struct snapshot *s, const char *path,
			struct sb_err *err)
{
	if (h->entry_kind != SNAP_ENTRY_INIT && h->entry_kind != SNAP_ENTRY_CALL)
		return sb_errf(err, SB_E_INVAL, "%s: unknown entry kind %u", path, h->entry_kind);
	if (h->has_sregs > 1)
		return sb_errf(err, SB_E_INVAL, "%s: has-sregs flag is %u, not 0 or 1", path,
			       h->has_sregs);
	if (!nul_terminated(s->source, sizeof s->source))
		return sb_errf(err, SB_E_INVAL, "%s: source string is not NUL-terminated", path);
	for (unsigned i = 0; i < h->n_host_fns; i++) {
		const struct snap_host_fn *f = &s->host_fns[i];
		if (!nul_terminated(f->name, sizeof f->name))
			return sb_errf(err, SB_E_INVAL,
				       "%s: host function %u: name is not NUL-terminated", path, i);
		if (f->nparams > SB_CALL_MAX_ARGS)
			return sb_errf(err, SB_E_INVAL, "%s: host function %s: %u parameters (at most %u)",
				       path, f->name, f->nparams, SB_CALL_MAX_ARGS);
		for (unsigned k = 0; k <= f->nparams; k++) { /* k == nparams: the return type */
			unsigned t = k < f->nparams ? f->params[k] : f->ret;
			if (t >= SB_T__COUNT)
				return sb_errf(err, SB_E_INVAL, "%s: host function %s: unknown type %u",
					       path, f->name, t);
		}
	}
	s->layout.init_data_flags = h->init_data_flags;
	s->entry_kind = (enum snap_entry_kind)h->entry_kind;
	s->has_sregs = h->has_sregs;
	s->n_host_fns = h->n_host_fns;
	const struct layout *l = &s->layout;
	if (check_layout(l, s->entry_kind == SNAP_ENTRY_INIT, path, err))
		return -1;
	if (h->version < 3) { /* one address space, at the page-table copy */
		s->nroots = 1;
		s->cur_root = 0;
		s->roots[0] = layout_pt_base_gpa(l);
	}
	if (snap_roots_check(s, err))
		return sb_err_prefix(err, "%s: address spaces: ", path);
	if (s->entry_kind == SNAP_ENTRY_INIT && s->nroots > 1)
		return sb_errf(err, SB_E_INVAL, "%s: a snapshot from an ELF with %u address spaces",
			       path, s->nroots);
	if (h->image_bytes != layout_image_bytes(l))
		return sb_errf(err, SB_E_INVAL,
			       "%s: image size %llu bytes does not match the layout's %llu "
			       "(snapshot %llu + page tables %llu)",
			       path, (unsigned long long)h->image_bytes,
			       (unsigned long long)layout_image_bytes(l),
			       (unsigned long long)l->snapshot_bytes, (unsigned long long)l->pt_bytes);
	gva_t e = s->entry_gva;
	if (s->entry_kind == SNAP_ENTRY_INIT &&
	    (e < SB_BASE_ADDRESS || e - SB_BASE_ADDRESS >= l->snapshot_bytes))
		return sb_errf(err, SB_E_RANGE,
			       "%s: entry point 0x%llx is outside the snapshot [0x%llx, 0x%llx)", path,
			       (unsigned long long)e, (unsigned long long)SB_BASE_ADDRESS,
			       (unsigned long long)(SB_BASE_ADDRESS + l->snapshot_bytes));
	if (e == 0)
		return sb_errf(err, SB_E_RANGE, "%s: entry point is zero", path);
	if (!pt_va_canonical(&pt_format_x86_64, e))
		return sb_errf(err, SB_E_RANGE, "%s: entry point 0x%llx is not a canonical address",
			       path, (unsigned long long)e);
	if (!pt_va_canonical(&pt_format_x86_64, s->stack_top_gva))
		return sb_errf(err, SB_E_RANGE, "%s: stack top 0x%llx is not a canonical address",
			       path, (unsigned long long)s->stack_top_gva);
	return 0;
}

static int read_at(int fd, uint8_t *p, size_t n, size_t *got)
{
	*got = 0;
	while (*got < n) {
		ssize_t r = pread(fd, p + *got, n - *got, (off_t)*got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		*got += (size_t)r;
	}
	return 0;
}

int snap_load(struct snapshot **out, const char *path, enum snap_load_mode mode,
	      struct sb_err *err)
{
	*out = NULL;
	struct snapshot *s = NULL;
	uint8_t *buf = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return sb_errf(err, SB_E_IO, "%s: cannot open: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st)) {
		sb_errf(err, SB_E_IO, "%s: cannot stat: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		sb_errf(err, SB_E_INVAL, "%s: not a regular file", path);
		goto fail;
	}
	uint64_t file_bytes = (uint64_t)st.st_size;
	size_t got;
	s = calloc(1, sizeof *s);
	buf = calloc(1, HDR_MAX_BYTES);
	if (!s || !buf) {
		sb_errf(err, SB_E_NOMEM, "%s: cannot allocate a snapshot", path);
		goto fail;
	}
	if (read_at(fd, buf, HDR_MAX_BYTES, &got)) {
		sb_errf(err, SB_E_IO, "%s: reading the header: %s", path, strerror(errno));
		goto fail;
	}
	struct file_hdr h;
	if (decode_header(&h, s, buf, got, file_bytes, path, err) || check_fields(&h, s, path, err))
		goto fail;
	if (snap_sregs_check(s, err)) { /* a valid checksum proves nothing about them */
		sb_err_prefix(err, "%s: ", path);
		goto fail;
	}
	uint64_t want = h.image_offset + h.image_bytes; /* both bounded: no wrap */
	if (file_bytes != want) {
		sb_errf(err, SB_E_INVAL, "%s: %s image: file is %llu bytes, header says %llu", path,
			file_bytes < want ? "truncated" : "trailing bytes after the",
			(unsigned long long)file_bytes, (unsigned long long)want);
		goto fail;
	}
	void *p = mmap(NULL, h.image_bytes, PROT_READ, MAP_PRIVATE, fd, (off_t)h.image_offset);
	if (p == MAP_FAILED) {
		/* Only ENOMEM is the host running out of memory (or address
		 * space); EACCES, ENODEV (a file system that cannot map files)
		 * and the rest are about the file: an I/O error to the caller. */
		int e = errno;
		sb_errf(err, e == ENOMEM ? SB_E_NOMEM : SB_E_IO,
			"%s: cannot map the %llu-byte image: %s", path,
			(unsigned long long)h.image_bytes, strerror(e));
		goto fail;
	}
	s->image = p;
	s->map_bytes = h.image_bytes; /* a page multiple, as snap_alloc would map */
	snprintf(s->file, sizeof s->file, "%s", path);
	s->refs = 1;
	s->zero_page = UINT64_MAX;
	if (mode == SNAP_LOAD_VERIFY) {
		uint8_t d[16];
		snap_compute_digest(s, d);
		if (memcmp(d, s->digest, sizeof d) != 0) {
			sb_errf(err, SB_E_INVAL, "%s: digest mismatch: the image or layout is corrupt",
				path);
			goto fail;
		}
	}
	free(buf);
	close(fd);
	*out = s;
	return 0;
fail:
	free(buf);
	if (s && s->image)
		snap_unref(s);
	else
		free(s);
	close(fd);
	return -1;
}
