/* test_elf_load.c — the guest ELF loader on the real test guest and on
 * broken copies of it. Usage: test_elf_load TESTGUEST_ELF */
#include <elf.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "files.h"
#include "elf_load.h"
#include "guest_abi.h"

static uint8_t *orig;
static size_t orig_bytes;

static Elf64_Ehdr *ehdr(uint8_t *b) { return (Elf64_Ehdr *)b; }
static Elf64_Phdr *phdr(uint8_t *b, unsigned i)
{
	return (Elf64_Phdr *)(b + ehdr(b)->e_phoff + i * ehdr(b)->e_phentsize);
}
/* Index of the nth PT_LOAD program header. */
static unsigned nth_load(uint8_t *b, unsigned n)
{
	for (unsigned i = 0; i < ehdr(b)->e_phnum; i++)
		if (phdr(b, i)->p_type == PT_LOAD && n-- == 0)
			return i;
	return 0;
}

static void test_good(const char *path)
{
	struct elf_image img;
	struct sb_err err;
	if (!CHECK_I64(elf_image_open(&img, path, &err), 0)) {
		fprintf(stderr, "  %s\n", err.msg);
		return;
	}
	CHECK(img.nsegments >= 2);
	CHECK_U64(img.base_vaddr % SB_PAGE_SIZE, 0);
	CHECK_U64(img.span_bytes % SB_PAGE_SIZE, 0);
	CHECK(img.entry_vaddr >= img.base_vaddr && img.entry_vaddr < img.base_vaddr + img.span_bytes);
	CHECK(img.rela_count > 32); /* at least the exception stub table */
	CHECK(img.has_version_note);
	CHECK_STR(img.version, SB_GUEST_ABI_VERSION);
	CHECK_I64(elf_image_check_version(&img, img.version, &err), 0);
	CHECK_I64(elf_image_check_version(&img, "0.0.0-other", &err), -1);
	CHECK_CONTAINS(err.msg, "built for snapbench guest ABI " SB_GUEST_ABI_VERSION ",");
	CHECK_CONTAINS(err.msg, "this snapbench runs ABI 0.0.0-other");

	/* Load at 0x1000: every relocated slot = load + addend - base, and the
	 * file bytes of each segment are where they belong. */
	const gva_t load = 0x1000;
	uint8_t *dst = calloc(1, img.span_bytes);
	CHECK_I64(elf_image_load(&img, dst, img.span_bytes, load, &err), 0);
	unsigned bad = 0;
	for (uint64_t i = 0; i < img.rela_count; i++) {
		Elf64_Rela r;
		memcpy(&r, img.bytes + img.rela_offset + i * sizeof r, sizeof r);
		uint64_t v;
		memcpy(&v, dst + (r.r_offset - img.base_vaddr), 8);
		if (v != load + (uint64_t)r.r_addend - img.base_vaddr)
			bad++;
		if (v < load || v >= load + img.span_bytes)
			bad++; /* the test guest points only into itself */
	}
	CHECK_U64(bad, 0);
	for (unsigned i = 0; i < img.nsegments; i++) {
		const struct elf_segment *s = &img.segments[i];
		uint8_t *at = dst + (s->vaddr - img.base_vaddr);
		CHECK(memcmp(at, img.bytes + s->file_offset, 16 < s->file_bytes ? 16 : s->file_bytes) == 0 ||
		      img.rela_count); /* first bytes may be relocated; checked above */
		for (uint64_t b = s->file_bytes; b < s->mem_bytes; b++)
			if (at[b])
				bad++;
	}
	CHECK_U64(bad, 0); /* .bss zero */
	CHECK_I64(elf_image_load(&img, dst, img.span_bytes - 1, load, &err), -1);
	CHECK_U64(err.code, SB_E_TOO_SMALL);
	free(dst);
	elf_image_free(&img);
}

typedef void (*mutate_fn)(uint8_t *b, size_t *n);

static void m_text(uint8_t *b, size_t *n) { memcpy(b, "hello, not an elf", 17); *n = 17; }
static void m_class32(uint8_t *b, size_t *n) { (void)n; b[EI_CLASS] = ELFCLASS32; }
static void m_bigendian(uint8_t *b, size_t *n) { (void)n; b[EI_DATA] = ELFDATA2MSB; }
static void m_machine(uint8_t *b, size_t *n) { (void)n; ehdr(b)->e_machine = EM_AARCH64; }
static void m_type_rel(uint8_t *b, size_t *n) { (void)n; ehdr(b)->e_type = ET_REL; }
/* Cut the file one byte before the end of its last loadable segment. */
static void m_truncated(uint8_t *b, size_t *n)
{
	uint64_t end = 0;
	for (unsigned i = 0; i < ehdr(b)->e_phnum; i++) {
		Elf64_Phdr *p = phdr(b, i);
		if (p->p_type == PT_LOAD && p->p_offset + p->p_filesz > end)
			end = p->p_offset + p->p_filesz;
	}
	*n = end - 1;
}
static void m_empty(uint8_t *b, size_t *n) { (void)b; *n = 0; }
static void m_overlap(uint8_t *b, size_t *n)
{
	(void)n;
	phdr(b, nth_load(b, 1))->p_vaddr = phdr(b, nth_load(b, 0))->p_vaddr;
}
static void m_filesz(uint8_t *b, size_t *n)
{
	(void)n;
	Elf64_Phdr *p = phdr(b, nth_load(b, 1));
	p->p_filesz = p->p_memsz + 1;
}
static void m_entry(uint8_t *b, size_t *n) { (void)n; ehdr(b)->e_entry = 0x7f0000000000ull; }
static void m_no_load(uint8_t *b, size_t *n)
{
	(void)n;
	for (unsigned i = 0; i < ehdr(b)->e_phnum; i++)
		if (phdr(b, i)->p_type == PT_LOAD)
			phdr(b, i)->p_type = PT_NULL;
}
static void m_interp(uint8_t *b, size_t *n) { (void)n; phdr(b, nth_load(b, 0))->p_type = PT_INTERP; }
static uint64_t rela_at; /* file offset of the first RELA entry */
static void m_reloc_type(uint8_t *b, size_t *n)
{
	(void)n;
	Elf64_Rela *r = (Elf64_Rela *)(b + rela_at);
	r->r_info = ELF64_R_INFO(0, R_X86_64_GLOB_DAT);
}
static void m_reloc_target(uint8_t *b, size_t *n)
{
	(void)n;
	((Elf64_Rela *)(b + rela_at))->r_offset = 0x7f0000000000ull;
}

static void test_bad(const char *path)
{
	struct elf_image img;
	struct sb_err err;
	CHECK_I64(elf_image_open(&img, "/nonexistent/guest.elf", &err), -1);
	CHECK_U64(err.code, SB_E_IO);
	CHECK_CONTAINS(err.msg, "/nonexistent/guest.elf: No such file");
	CHECK_I64(elf_image_open(&img, "/", &err), -1);
	CHECK_CONTAINS(err.msg, "not a regular file");

	if (!CHECK_I64(elf_image_open(&img, path, &err), 0))
		return;
	rela_at = img.rela_offset;
	elf_image_free(&img);

	static const struct {
		const char *what;
		mutate_fn fn;
		const char *msg;
	} cases[] = {
		{ "text file", m_text, "not an ELF file" },
		{ "empty", m_empty, "empty file" },
		{ "32-bit", m_class32, "32-bit ELF" },
		{ "big-endian", m_bigendian, "big-endian" },
		{ "aarch64", m_machine, "machine is 183, not x86-64" },
		{ "relocatable object", m_type_rel, "not an executable" },
		{ "truncated", m_truncated, "truncated?" },
		{ "overlapping segments", m_overlap, "segments overlap" },
		{ "file size > memory size", m_filesz, "is larger than its memory size" },
		{ "entry outside", m_entry, "entry point 0x7f0000000000 is outside" },
		{ "no PT_LOAD", m_no_load, "no loadable segment" },
		{ "interpreter", m_interp, "program interpreter" },
		{ "GLOB_DAT relocation", m_reloc_type, "R_X86_64_GLOB_DAT (6)" },
		{ "relocation outside", m_reloc_target, "outside every loadable segment" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		uint8_t *b = malloc(orig_bytes);
		memcpy(b, orig, orig_bytes);
		size_t n = orig_bytes;
		cases[i].fn(b, &n);
		struct sb_err e = { 0 };
		int rc = elf_image_from_memory(&img, b, n, "guest.elf", &e);
		if (!CHECK_I64(rc, -1) || !CHECK_CONTAINS(e.msg, cases[i].msg) ||
		    !CHECK_CONTAINS(e.msg, "guest.elf"))
			fprintf(stderr, "  case: %s\n", cases[i].what);
		if (rc == 0)
			elf_image_free(&img);
		CHECK(img.bytes == NULL); /* nothing left allocated on error */
		free(b);
	}
}

/* A minimal non-PIE executable, built here: one R+X PT_LOAD covering the
 * whole file, linked at `vaddr`, its entry just past the headers. */
struct mini_exec {
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	uint8_t code[16];
};

static void mini_exec_init(struct mini_exec *x, uint16_t type, uint64_t vaddr)
{
	memset(x, 0, sizeof *x);
	memcpy(x->eh.e_ident, ELFMAG, SELFMAG);
	x->eh.e_ident[EI_CLASS] = ELFCLASS64;
	x->eh.e_ident[EI_DATA] = ELFDATA2LSB;
	x->eh.e_ident[EI_VERSION] = EV_CURRENT;
	x->eh.e_type = type;
	x->eh.e_machine = EM_X86_64;
	x->eh.e_version = EV_CURRENT;
	x->eh.e_entry = vaddr + offsetof(struct mini_exec, code);
	x->eh.e_phoff = offsetof(struct mini_exec, ph);
	x->eh.e_ehsize = sizeof x->eh;
	x->eh.e_phentsize = sizeof x->ph;
	x->eh.e_phnum = 1;
	x->ph.p_type = PT_LOAD;
	x->ph.p_flags = PF_R | PF_X;
	x->ph.p_vaddr = x->ph.p_paddr = vaddr;
	x->ph.p_filesz = x->ph.p_memsz = sizeof *x;
	x->ph.p_align = SB_PAGE_SIZE;
	x->code[0] = 0xF4; /* hlt */
}

/* ET_EXEC has no relocations for its absolute addresses: it loads only at
 * the address it was linked at. A static PIE (ET_DYN) loads anywhere. */
static void test_exec_link_address(void)
{
	const gva_t load = 0x1000;
	struct mini_exec x;
	struct elf_image img;
	struct sb_err err = { 0 };
	uint8_t *dst = calloc(1, 2 * SB_PAGE_SIZE);

	mini_exec_init(&x, ET_EXEC, 0x400000);
	if (CHECK_I64(elf_image_from_memory(&img, &x, sizeof x, "nonpie.elf", &err), 0)) {
		CHECK_I64(elf_image_load(&img, dst, 2 * SB_PAGE_SIZE, load, &err), -1);
		CHECK_U64(err.code, SB_E_INVAL);
		CHECK_CONTAINS(err.msg, "nonpie.elf");
		CHECK_CONTAINS(err.msg, "ET_EXEC");
		CHECK_CONTAINS(err.msg, "0x400000");
		CHECK_CONTAINS(err.msg, "at 0x1000");
		CHECK_U64(dst[offsetof(struct mini_exec, code)], 0); /* nothing copied */
		elf_image_free(&img);
	}
	/* Linked at the load address: loads, bytes in place. */
	mini_exec_init(&x, ET_EXEC, load);
	if (CHECK_I64(elf_image_from_memory(&img, &x, sizeof x, "exec1000.elf", &err), 0)) {
		CHECK_I64(elf_image_load(&img, dst, 2 * SB_PAGE_SIZE, load, &err), 0);
		CHECK_U64(dst[offsetof(struct mini_exec, code)], 0xF4);
		CHECK_U64(elf_image_entry(&img, load), load + offsetof(struct mini_exec, code));
		elf_image_free(&img);
	}
	/* The same bytes as ET_DYN at 0x400000 move to the load address. */
	memset(dst, 0, 2 * SB_PAGE_SIZE);
	mini_exec_init(&x, ET_DYN, 0x400000);
	if (CHECK_I64(elf_image_from_memory(&img, &x, sizeof x, "pie.elf", &err), 0)) {
		CHECK_I64(elf_image_load(&img, dst, 2 * SB_PAGE_SIZE, load, &err), 0);
		CHECK_U64(dst[offsetof(struct mini_exec, code)], 0xF4);
		elf_image_free(&img);
	}
	free(dst);
}

/* A minimal static PIE with notes: one PT_LOAD over the whole file and a
 * PT_NOTE over the notes, which note_add appends. */
struct note_elf {
	uint8_t b[1024];
	size_t n;
};

static void note_elf_init(struct note_elf *x)
{
	memset(x, 0, sizeof *x);
	struct mini_exec m;
	mini_exec_init(&m, ET_DYN, 0);
	Elf64_Phdr note = { .p_type = PT_NOTE, .p_flags = PF_R, .p_align = 4 };
	m.eh.e_phnum = 2;
	memcpy(x->b, &m.eh, sizeof m.eh);
	memcpy(x->b + sizeof m.eh, &m.ph, sizeof m.ph);
	memcpy(x->b + sizeof m.eh + sizeof m.ph, &note, sizeof note);
	x->n = sizeof m.eh + 2 * sizeof m.ph;
	memcpy(x->b + x->n, m.code, sizeof m.code);
	ehdr(x->b)->e_entry = x->n;
	x->n += sizeof m.code;
	phdr(x->b, 0)->p_filesz = phdr(x->b, 0)->p_memsz = x->n;
	phdr(x->b, 1)->p_offset = phdr(x->b, 1)->p_vaddr = x->n;
}

/* Append a note: `desc` is desc_bytes long (a NUL only if it holds one). */
static void note_add(struct note_elf *x, const char *name, uint32_t type, const char *desc,
		     uint32_t desc_bytes)
{
	Elf64_Nhdr nh = { (uint32_t)strlen(name) + 1, desc_bytes, type };
	memcpy(x->b + x->n, &nh, sizeof nh);
	x->n += sizeof nh;
	memcpy(x->b + x->n, name, nh.n_namesz);
	x->n += (nh.n_namesz + 3) & ~3u;
	memcpy(x->b + x->n, desc, desc_bytes);
	x->n += (desc_bytes + 3) & ~3u;
	phdr(x->b, 1)->p_filesz = phdr(x->b, 1)->p_memsz = x->n - phdr(x->b, 1)->p_offset;
	phdr(x->b, 0)->p_filesz = phdr(x->b, 0)->p_memsz = x->n;
}

static int note_open(struct note_elf *x, struct elf_image *img, struct sb_err *err)
{
	int rc = elf_image_from_memory(img, x->b, x->n, "g.elf", err);
	if (rc == 0)
		elf_image_free(img);
	return rc;
}

#define SNOTE(x, desc) note_add(x, "snapbench", 1, desc, sizeof desc)

/* The guest ABI note: a guest built for another ABI is refused when it is
 * opened, naming both versions; a guest without a note is accepted and
 * says so (has_version_note) for the caller's warning. */
static void test_version_note(void)
{
	struct note_elf x;
	struct elf_image img;
	struct sb_err err = { 0 };

	note_elf_init(&x);
	CHECK_I64(note_open(&x, &img, &err), 0);
	CHECK(!img.has_version_note);
	CHECK_STR(img.version, "");

	note_elf_init(&x);
	SNOTE(&x, SB_GUEST_ABI_VERSION);
	CHECK_I64(note_open(&x, &img, &err), 0);
	CHECK(img.has_version_note);
	CHECK_STR(img.version, SB_GUEST_ABI_VERSION);

	note_elf_init(&x);
	SNOTE(&x, "9.9.9");
	CHECK_I64(note_open(&x, &img, &err), -1);
	CHECK_U64(err.code, SB_E_INVAL);
	CHECK_CONTAINS(err.msg, "g.elf: built for snapbench guest ABI 9.9.9, this snapbench runs "
				"ABI " SB_GUEST_ABI_VERSION "; rebuild the guest against this "
				"snapbench's SDK");
	CHECK(img.bytes == NULL);

	/* Not NUL-terminated inside its descriptor: the descriptor's bytes. */
	note_elf_init(&x);
	note_add(&x, "snapbench", 1, "9.9.9", 5);
	CHECK_I64(note_open(&x, &img, &err), -1);
	CHECK_CONTAINS(err.msg, "guest ABI 9.9.9,");

	/* An empty version is a version, and not ours. */
	note_elf_init(&x);
	note_add(&x, "snapbench", 1, "", 0);
	CHECK_I64(note_open(&x, &img, &err), -1);
	CHECK_CONTAINS(err.msg, "guest ABI \"\",");

	/* The guest's bytes reach the terminal only as printable ASCII. */
	note_elf_init(&x);
	SNOTE(&x, "1\033[2J\n");
	CHECK_I64(note_open(&x, &img, &err), -1);
	CHECK_CONTAINS(err.msg, "guest ABI 1?[2J?,");
	CHECK(strchr(err.msg, '\033') == NULL && strchr(err.msg, '\n') == NULL);

	char longv[100];
	memset(longv, '7', sizeof longv);
	note_elf_init(&x);
	note_add(&x, "snapbench", 1, longv, sizeof longv);
	CHECK_I64(note_open(&x, &img, &err), -1);
	CHECK_CONTAINS(err.msg, "version note longer than 63 bytes");

	/* Two notes must agree, whichever comes first. */
	note_elf_init(&x);
	SNOTE(&x, SB_GUEST_ABI_VERSION);
	SNOTE(&x, "9.9.9");
	CHECK_I64(note_open(&x, &img, &err), -1);
	CHECK_CONTAINS(err.msg, "two snapbench version notes that disagree");
	note_elf_init(&x);
	SNOTE(&x, "9.9.9");
	SNOTE(&x, SB_GUEST_ABI_VERSION);
	CHECK_I64(note_open(&x, &img, &err), -1);
	CHECK_CONTAINS(err.msg, "(ABI 9.9.9 and " SB_GUEST_ABI_VERSION ")");
	note_elf_init(&x);
	SNOTE(&x, SB_GUEST_ABI_VERSION);
	SNOTE(&x, SB_GUEST_ABI_VERSION);
	CHECK_I64(note_open(&x, &img, &err), 0);

	/* A note whose descriptor size runs past the segment hides what
	 * follows it: refused, not read as "no note" (which only warns). */
	note_elf_init(&x);
	note_add(&x, "GNU", 1, "abcd", 4);
	SNOTE(&x, "9.9.9");
	((Elf64_Nhdr *)(x.b + phdr(x.b, 1)->p_offset))->n_descsz = 0xffffffff;
	CHECK_I64(note_open(&x, &img, &err), -1);
	CHECK_CONTAINS(err.msg, "g.elf: malformed ELF note at byte 0 of its note segment");
	note_elf_init(&x);
	SNOTE(&x, SB_GUEST_ABI_VERSION);
	note_add(&x, "snapbench", 1, "9.9.9", 5);
	((Elf64_Nhdr *)(x.b + phdr(x.b, 1)->p_offset + 28))->n_namesz = 64;
	CHECK_I64(note_open(&x, &img, &err), -1);
	CHECK_CONTAINS(err.msg, "malformed ELF note at byte 28 of its note segment (its sizes run "
				"past the segment's 60 bytes)");
	/* Fewer bytes than a note header after the last note: padding. */
	note_elf_init(&x);
	SNOTE(&x, SB_GUEST_ABI_VERSION);
	x.n += 8;
	phdr(x.b, 1)->p_filesz = phdr(x.b, 1)->p_memsz = x.n - phdr(x.b, 1)->p_offset;
	phdr(x.b, 0)->p_filesz = phdr(x.b, 0)->p_memsz = x.n;
	CHECK_I64(note_open(&x, &img, &err), 0);
	CHECK(img.has_version_note);

	/* Other owners' notes and other types are not ours: no note. */
	note_elf_init(&x);
	note_add(&x, "snapbenc", 1, "9.9.9", 6);
	note_add(&x, "snapbench", 2, "9.9.9", 6);
	note_add(&x, "GNU", 1, "9.9.9", 6);
	CHECK_I64(note_open(&x, &img, &err), 0);
	CHECK(!img.has_version_note);

	/* The real test guest with its note's version changed in place. */
	uint8_t *b = malloc(orig_bytes);
	memcpy(b, orig, orig_bytes);
	uint8_t *v = NULL;
	for (unsigned i = 0; i < ehdr(b)->e_phnum && !v; i++) {
		Elf64_Phdr *ph = phdr(b, i);
		uint8_t *p = b + ph->p_offset;
		if (ph->p_type == PT_NOTE && ph->p_filesz >= sizeof(Elf64_Nhdr) + 12 &&
		    memcmp(p + sizeof(Elf64_Nhdr), "snapbench", 10) == 0)
			v = p + sizeof(Elf64_Nhdr) + 12;
	}
	if (CHECK(v != NULL) && CHECK_STR((char *)v, SB_GUEST_ABI_VERSION)) {
		v[0] = '0';
		CHECK_I64(elf_image_from_memory(&img, b, orig_bytes, "testguest", &err), -1);
		CHECK_CONTAINS(err.msg, "testguest: built for snapbench guest ABI 0");
	}
	free(b);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s TESTGUEST_ELF\n", argv[0]);
		return 2;
	}
	orig = test_slurp(argv[1], &orig_bytes);
	if (!CHECK(orig != NULL))
		return check_done();
	test_good(argv[1]);
	test_bad(argv[1]);
	test_exec_link_address();
	test_version_note();
	free(orig);
	return check_done();
}
