/* elf_load.c — see elf_load.h. libelf parses the headers and hands us
 * bounds-checked chunks; every number the file supplies is checked before
 * it is used as an offset. */
#include "elf_load.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest_abi.h"

#define PAGE SB_PAGE_SIZE

static const char *reloc_name(uint64_t type)
{
	switch (type) {
	case R_X86_64_NONE: return "R_X86_64_NONE";
	case R_X86_64_64: return "R_X86_64_64";
	case R_X86_64_PC32: return "R_X86_64_PC32";
	case R_X86_64_GOT32: return "R_X86_64_GOT32";
	case R_X86_64_PLT32: return "R_X86_64_PLT32";
	case R_X86_64_COPY: return "R_X86_64_COPY";
	case R_X86_64_GLOB_DAT: return "R_X86_64_GLOB_DAT";
	case R_X86_64_JUMP_SLOT: return "R_X86_64_JUMP_SLOT";
	case R_X86_64_RELATIVE: return "R_X86_64_RELATIVE";
	case R_X86_64_GOTPCREL: return "R_X86_64_GOTPCREL";
	case R_X86_64_32: return "R_X86_64_32";
	case R_X86_64_32S: return "R_X86_64_32S";
	case R_X86_64_DTPMOD64: return "R_X86_64_DTPMOD64";
	case R_X86_64_DTPOFF64: return "R_X86_64_DTPOFF64";
	case R_X86_64_TPOFF64: return "R_X86_64_TPOFF64";
	case R_X86_64_IRELATIVE: return "R_X86_64_IRELATIVE";
	default: return "unknown";
	}
}

static uint64_t round_up(uint64_t x)
{
	return (x + PAGE - 1) & ~(PAGE - 1);
}

/* The PT_LOAD segment whose file-backed part holds [vaddr, vaddr+n). */
static const struct elf_segment *seg_for_file_range(const struct elf_image *img, uint64_t vaddr,
						    uint64_t n)
{
	for (unsigned i = 0; i < img->nsegments; i++) {
		const struct elf_segment *s = &img->segments[i];
		if (vaddr >= s->vaddr && vaddr - s->vaddr <= s->file_bytes &&
		    n <= s->file_bytes - (vaddr - s->vaddr))
			return s;
	}
	return NULL;
}

/* Is [vaddr, vaddr+n) inside the memory of one PT_LOAD segment? */
static bool in_segment_memory(const struct elf_image *img, uint64_t vaddr, uint64_t n)
{
	for (unsigned i = 0; i < img->nsegments; i++) {
		const struct elf_segment *s = &img->segments[i];
		if (vaddr >= s->vaddr && vaddr - s->vaddr <= s->mem_bytes &&
		    n <= s->mem_bytes - (vaddr - s->vaddr))
			return true;
	}
	return false;
}

static int check_segment(const struct elf_image *img, unsigned idx, const GElf_Phdr *ph,
			 struct sb_err *err)
{
	const char *f = img->name;
	if (ph->p_filesz > ph->p_memsz)
		return sb_errf(err, SB_E_INVAL,
			       "%s: segment %u: file size 0x%lx is larger than its memory size 0x%lx",
			       f, idx, (unsigned long)ph->p_filesz, (unsigned long)ph->p_memsz);
	if (ph->p_offset > img->file_bytes || ph->p_filesz > img->file_bytes - ph->p_offset)
		return sb_errf(err, SB_E_INVAL,
			       "%s: segment %u (offset 0x%lx, 0x%lx bytes) extends past the end of "
			       "the file (0x%lx bytes): truncated?",
			       f, idx, (unsigned long)ph->p_offset, (unsigned long)ph->p_filesz,
			       (unsigned long)img->file_bytes);
	if (ph->p_vaddr + ph->p_memsz < ph->p_vaddr || ph->p_vaddr + ph->p_memsz > (1ull << 47))
		return sb_errf(err, SB_E_INVAL, "%s: segment %u (vaddr 0x%lx, 0x%lx bytes) is outside "
			       "the lower half of the address space", f, idx,
			       (unsigned long)ph->p_vaddr, (unsigned long)ph->p_memsz);
	return 0;
}

static int sort_and_check_overlap(struct elf_image *img, struct sb_err *err)
{
	/* Insertion sort by vaddr: at most ELF_MAX_SEGMENTS entries. */
	for (unsigned i = 1; i < img->nsegments; i++) {
		struct elf_segment s = img->segments[i];
		unsigned j = i;
		while (j > 0 && img->segments[j - 1].vaddr > s.vaddr) {
			img->segments[j] = img->segments[j - 1];
			j--;
		}
		img->segments[j] = s;
	}
	for (unsigned i = 1; i < img->nsegments; i++) {
		const struct elf_segment *a = &img->segments[i - 1], *b = &img->segments[i];
		if (a->vaddr + a->mem_bytes > b->vaddr)
			return sb_errf(err, SB_E_INVAL,
				       "%s: loadable segments overlap: [0x%lx, 0x%lx) and [0x%lx, 0x%lx)",
				       img->name, (unsigned long)a->vaddr,
				       (unsigned long)(a->vaddr + a->mem_bytes), (unsigned long)b->vaddr,
				       (unsigned long)(b->vaddr + b->mem_bytes));
	}
	return 0;
}

/* The note's descriptor as text for messages: up to its NUL or its end,
 * printable ASCII kept, anything else '?' (the guest chose these bytes). */
static int note_version(const struct elf_image *img, const char *desc, size_t desc_bytes,
			char out[ELF_VERSION_MAX], struct sb_err *err)
{
	size_t len = strnlen(desc, desc_bytes);
	if (len >= ELF_VERSION_MAX)
		return sb_errf(err, SB_E_INVAL, "%s: version note longer than %d bytes",
			       img->name, ELF_VERSION_MAX - 1);
	for (size_t i = 0; i < len; i++)
		out[i] = desc[i] >= 0x20 && desc[i] < 0x7f ? desc[i] : '?';
	out[len] = '\0';
	return 0;
}

static int read_notes(struct elf_image *img, Elf *elf, const GElf_Phdr *ph, struct sb_err *err)
{
	if (ph->p_offset > img->file_bytes || ph->p_filesz > img->file_bytes - ph->p_offset)
		return sb_errf(err, SB_E_INVAL, "%s: note segment extends past the end of the file",
			       img->name);
	Elf_Data *d = elf_getdata_rawchunk(elf, (int64_t)ph->p_offset, ph->p_filesz, ELF_T_NHDR);
	if (!d)
		return sb_errf(err, SB_E_INVAL, "%s: unreadable note segment: %s", img->name,
			       elf_errmsg(-1));
	size_t off = 0, next, name_off, desc_off;
	GElf_Nhdr nh;
	for (; (next = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0; off = next) {
		const char *name = (const char *)d->d_buf + name_off;
		if (nh.n_type != ELF_NOTE_SNAPBENCH_VERSION ||
		    nh.n_namesz != sizeof ELF_NOTE_SNAPBENCH_NAME ||
		    memcmp(name, ELF_NOTE_SNAPBENCH_NAME, sizeof ELF_NOTE_SNAPBENCH_NAME) != 0)
			continue;
		char v[ELF_VERSION_MAX];
		if (note_version(img, (const char *)d->d_buf + desc_off, nh.n_descsz, v, err))
			return -1;
		/* Two notes (in one PT_NOTE or two) must agree: checking only
		 * the last would let a guest show the host the version it wants
		 * while carrying another. */
		if (img->has_version_note && strcmp(v, img->version) != 0)
			return sb_errf(err, SB_E_INVAL,
				       "%s: carries two snapbench version notes that disagree "
				       "(ABI %s and %s)", img->name, img->version, v);
		memcpy(img->version, v, sizeof v);
		img->has_version_note = true;
	}
	/* gelf_getnote stops at a note whose sizes run past the segment: the
	 * notes after it, ours among them maybe, are unread. Accepting that as
	 * "no note" would let a guest hide its version behind one bad size. */
	if (d->d_size - off >= sizeof(Elf64_Nhdr))
		return sb_errf(err, SB_E_INVAL,
			       "%s: malformed ELF note at byte %zu of its note segment (its "
			       "sizes run past the segment's %zu bytes)",
			       img->name, off, (size_t)d->d_size);
	return 0;
}

/* Find the RELA table through PT_DYNAMIC and check every entry now, so a
 * bad guest fails at open time, not halfway through a load. */
static int read_dynamic(struct elf_image *img, Elf *elf, const GElf_Phdr *ph, struct sb_err *err)
{
	const char *f = img->name;
	if (ph->p_offset > img->file_bytes || ph->p_filesz > img->file_bytes - ph->p_offset)
		return sb_errf(err, SB_E_INVAL, "%s: dynamic segment extends past the end of the file",
			       f);
	Elf_Data *d = elf_getdata_rawchunk(elf, (int64_t)ph->p_offset, ph->p_filesz, ELF_T_DYN);
	if (!d)
		return sb_errf(err, SB_E_INVAL, "%s: unreadable dynamic segment: %s", f,
			       elf_errmsg(-1));
	uint64_t rela = 0, relasz = 0, relaent = sizeof(Elf64_Rela), jmprel = 0, pltrelsz = 0;
	bool has_rel = false;
	GElf_Dyn dyn;
	for (int i = 0; gelf_getdyn(d, i, &dyn) && dyn.d_tag != DT_NULL; i++) {
		switch (dyn.d_tag) {
		case DT_RELA: rela = dyn.d_un.d_ptr; break;
		case DT_RELASZ: relasz = dyn.d_un.d_val; break;
		case DT_RELAENT: relaent = dyn.d_un.d_val; break;
		case DT_JMPREL: jmprel = dyn.d_un.d_ptr; break;
		case DT_PLTRELSZ: pltrelsz = dyn.d_un.d_val; break;
		case DT_REL:
		case DT_RELSZ: has_rel = has_rel || dyn.d_un.d_val != 0; break;
		case DT_NEEDED:
			return sb_errf(err, SB_E_INVAL, "%s: needs shared libraries; link it static", f);
		default: break;
		}
	}
	if (has_rel)
		return sb_errf(err, SB_E_INVAL,
			       "%s: has REL relocations (without addends); only RELA is supported", f);
	if (relaent != sizeof(Elf64_Rela))
		return sb_errf(err, SB_E_INVAL, "%s: DT_RELAENT is %lu, want %zu", f,
			       (unsigned long)relaent, sizeof(Elf64_Rela));
	if (pltrelsz) {
		const struct elf_segment *s = seg_for_file_range(img, jmprel, sizeof(Elf64_Rela));
		uint64_t type = 0;
		if (s) {
			Elf64_Rela r;
			memcpy(&r, img->bytes + s->file_offset + (jmprel - s->vaddr), sizeof r);
			type = ELF64_R_TYPE(r.r_info);
		}
		return sb_errf(err, SB_E_INVAL,
			       "%s: relocation type %s (%lu) is not supported (only R_X86_64_RELATIVE)",
			       f, reloc_name(type), (unsigned long)type);
	}
	if (!relasz)
		return 0;
	const struct elf_segment *s = seg_for_file_range(img, rela, relasz);
	if (!s || relasz % sizeof(Elf64_Rela))
		return sb_errf(err, SB_E_INVAL,
			       "%s: relocation table (vaddr 0x%lx, %lu bytes) is not inside the file",
			       f, (unsigned long)rela, (unsigned long)relasz);
	img->rela_offset = s->file_offset + (rela - s->vaddr);
	img->rela_count = relasz / sizeof(Elf64_Rela);
	for (uint64_t i = 0; i < img->rela_count; i++) {
		Elf64_Rela r;
		memcpy(&r, img->bytes + img->rela_offset + i * sizeof r, sizeof r);
		uint64_t type = ELF64_R_TYPE(r.r_info);
		if (type != R_X86_64_RELATIVE)
			return sb_errf(err, SB_E_INVAL,
				       "%s: relocation %lu has type %s (%lu); only R_X86_64_RELATIVE "
				       "is supported",
				       f, (unsigned long)i, reloc_name(type), (unsigned long)type);
		if (!in_segment_memory(img, r.r_offset, 8))
			return sb_errf(err, SB_E_INVAL,
				       "%s: relocation %lu patches 0x%lx, outside every loadable segment",
				       f, (unsigned long)i, (unsigned long)r.r_offset);
	}
	return 0;
}

static int parse(struct elf_image *img, Elf *elf, struct sb_err *err)
{
	const char *f = img->name;
	if (elf_kind(elf) != ELF_K_ELF)
		return sb_errf(err, SB_E_INVAL, "%s: not an ELF file", f);
	if (gelf_getclass(elf) != ELFCLASS64)
		return sb_errf(err, SB_E_INVAL, "%s: is a 32-bit ELF; the guest must be ELF64", f);
	GElf_Ehdr eh;
	if (!gelf_getehdr(elf, &eh))
		return sb_errf(err, SB_E_INVAL, "%s: unreadable ELF header: %s", f, elf_errmsg(-1));
	if (eh.e_ident[EI_DATA] != ELFDATA2LSB)
		return sb_errf(err, SB_E_INVAL, "%s: is big-endian; the guest must be little-endian", f);
	if (eh.e_machine != EM_X86_64)
		return sb_errf(err, SB_E_INVAL, "%s: machine is %u, not x86-64 (%u)", f,
			       (unsigned)eh.e_machine, (unsigned)EM_X86_64);
	if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN)
		return sb_errf(err, SB_E_INVAL,
			       "%s: ELF type %u is not an executable (ET_EXEC or static-PIE ET_DYN)",
			       f, (unsigned)eh.e_type);
	size_t nph;
	if (elf_getphdrnum(elf, &nph) != 0)
		return sb_errf(err, SB_E_INVAL, "%s: unreadable program headers: %s", f,
			       elf_errmsg(-1));

	GElf_Phdr dyn_ph = { 0 };
	bool has_dyn = false;
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(elf, (int)i, &ph))
			return sb_errf(err, SB_E_INVAL, "%s: program header %zu unreadable: %s", f, i,
				       elf_errmsg(-1));
		switch (ph.p_type) {
		case PT_LOAD:
			if (ph.p_memsz == 0)
				break;
			if (img->nsegments == ELF_MAX_SEGMENTS)
				return sb_errf(err, SB_E_TOO_BIG, "%s: more than %d loadable segments",
					       f, ELF_MAX_SEGMENTS);
			if (check_segment(img, (unsigned)i, &ph, err))
				return -1;
			img->segments[img->nsegments++] = (struct elf_segment){
				ph.p_vaddr, ph.p_offset, ph.p_filesz, ph.p_memsz, ph.p_flags
			};
			break;
		case PT_INTERP:
			return sb_errf(err, SB_E_INVAL,
				       "%s: asks for a program interpreter; link it static", f);
		case PT_DYNAMIC:
			dyn_ph = ph;
			has_dyn = true;
			break;
		case PT_NOTE:
			if (read_notes(img, elf, &ph, err))
				return -1;
			break;
		default: break;
		}
	}
	if (img->nsegments == 0)
		return sb_errf(err, SB_E_INVAL, "%s: has no loadable segment", f);
	if (sort_and_check_overlap(img, err))
		return -1;
	const struct elf_segment *last = &img->segments[img->nsegments - 1];
	img->base_vaddr = img->segments[0].vaddr & ~(PAGE - 1);
	img->span_bytes = round_up(last->vaddr + last->mem_bytes) - img->base_vaddr;
	img->entry_vaddr = eh.e_entry;
	img->elf_type = eh.e_type;
	if (!in_segment_memory(img, eh.e_entry, 1))
		return sb_errf(err, SB_E_INVAL,
			       "%s: entry point 0x%lx is outside every loadable segment", f,
			       (unsigned long)eh.e_entry);
	if (has_dyn && read_dynamic(img, elf, &dyn_ph, err))
		return -1;
	return elf_image_check_version(img, SB_GUEST_ABI_VERSION, err);
}

int elf_image_from_memory(struct elf_image *img, const void *bytes, size_t n, const char *name,
			  struct sb_err *err)
{
	memset(img, 0, sizeof *img);
	snprintf(img->name, sizeof img->name, "%s", name);
	if (n == 0)
		return sb_errf(err, SB_E_INVAL, "%s: empty file, not an ELF", img->name);
	img->bytes = malloc(n);
	if (!img->bytes)
		return sb_errf(err, SB_E_NOMEM, "%s: cannot allocate %zu bytes", img->name, n);
	memcpy(img->bytes, bytes, n);
	img->file_bytes = n;

	elf_version(EV_CURRENT);
	Elf *elf = elf_memory((char *)img->bytes, n);
	int rc;
	if (!elf)
		rc = sb_errf(err, SB_E_INVAL, "%s: not an ELF file (%s)", img->name, elf_errmsg(-1));
	else
		rc = parse(img, elf, err);
	if (elf)
		elf_end(elf);
	if (rc) {
		free(img->bytes);
		img->bytes = NULL;
	}
	return rc;
}

int elf_image_open(struct elf_image *img, const char *path, struct sb_err *err)
{
	memset(img, 0, sizeof *img);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return sb_errf(err, SB_E_IO, "%s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fd, &st) != 0) {
		int e = errno;
		close(fd);
		return sb_errf(err, SB_E_IO, "%s: %s", path, strerror(e));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return sb_errf(err, SB_E_INVAL, "%s: not a regular file", path);
	}
	size_t n = (size_t)st.st_size;
	uint8_t *buf = malloc(n ? n : 1);
	if (!buf) {
		close(fd);
		return sb_errf(err, SB_E_NOMEM, "%s: cannot allocate %zu bytes", path, n);
	}
	size_t got = 0;
	while (got < n) {
		ssize_t r = read(fd, buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			int e = r < 0 ? errno : EIO;
			free(buf);
			close(fd);
			return sb_errf(err, SB_E_IO, "%s: read failed: %s", path, strerror(e));
		}
		got += (size_t)r;
	}
	close(fd);
	int rc = elf_image_from_memory(img, buf, n, path, err);
	free(buf);
	return rc;
}

void elf_image_free(struct elf_image *img)
{
	free(img->bytes);
	img->bytes = NULL;
}

int elf_image_check_version(const struct elf_image *img, const char *host_abi,
			    struct sb_err *err)
{
	if (img->has_version_note && strcmp(img->version, host_abi) != 0)
		return sb_errf(err, SB_E_INVAL,
			       "%s: built for snapbench guest ABI %s%s%s, this snapbench runs ABI %s; "
			       "rebuild the guest against this snapbench's SDK (pkg-config "
			       "snapbench-guest)",
			       img->name, img->version[0] ? "" : "\"", img->version,
			       img->version[0] ? "" : "\"", host_abi);
	return 0;
}

int elf_image_load(const struct elf_image *img, uint8_t *dst, uint64_t dst_bytes, gva_t load_addr,
		   struct sb_err *err)
{
	/* A non-PIE executable has its link address baked into every absolute
	 * pointer and has no relocations to move them: loaded anywhere else it
	 * would run with wrong addresses. Compare pages, as the load does: the
	 * lowest PT_LOAD page is what lands at load_addr. */
	if (img->elf_type == ET_EXEC && img->base_vaddr != load_addr)
		return sb_errf(err, SB_E_INVAL,
			       "%s: non-PIE executable (ET_EXEC) linked at 0x%lx (lowest PT_LOAD "
			       "vaddr 0x%lx) cannot be loaded at 0x%lx, where the layout puts the "
			       "code; link it as a static PIE (-static-pie) or at 0x%lx",
			       img->name, (unsigned long)img->base_vaddr,
			       (unsigned long)img->segments[0].vaddr, (unsigned long)load_addr,
			       (unsigned long)load_addr);
	if (dst_bytes < img->span_bytes)
		return sb_errf(err, SB_E_TOO_SMALL, "%s: needs 0x%lx bytes to load, given 0x%lx",
			       img->name, (unsigned long)img->span_bytes, (unsigned long)dst_bytes);
	for (unsigned i = 0; i < img->nsegments; i++) {
		const struct elf_segment *s = &img->segments[i];
		/* Only the bytes the file carries: the rest of the segment (its
		 * .bss) is zero already (dst comes zero-filled) and stays
		 * untouched, so a fresh anonymous mapping keeps no page for it. */
		uint8_t *at = dst + (s->vaddr - img->base_vaddr);
		memcpy(at, img->bytes + s->file_offset, s->file_bytes);
	}
	uint64_t delta = load_addr - img->base_vaddr;
	for (uint64_t i = 0; i < img->rela_count; i++) {
		Elf64_Rela r;
		memcpy(&r, img->bytes + img->rela_offset + i * sizeof r, sizeof r);
		uint64_t v = delta + (uint64_t)r.r_addend;
		memcpy(dst + (r.r_offset - img->base_vaddr), &v, sizeof v);
	}
	return 0;
}

static void mark_pages(uint64_t *bits, uint64_t npages, uint64_t off, uint64_t n)
{
	if (n == 0)
		return;
	for (uint64_t p = off / PAGE; p <= (off + n - 1) / PAGE && p < npages; p++)
		bits[p / 64] |= 1ull << (p % 64);
}

void elf_image_written_pages(const struct elf_image *img, uint64_t *bits, uint64_t npages)
{
	for (unsigned i = 0; i < img->nsegments; i++) {
		const struct elf_segment *s = &img->segments[i];
		mark_pages(bits, npages, s->vaddr - img->base_vaddr, s->file_bytes);
	}
	for (uint64_t i = 0; i < img->rela_count; i++) {
		Elf64_Rela r;
		memcpy(&r, img->bytes + img->rela_offset + i * sizeof r, sizeof r);
		mark_pages(bits, npages, r.r_offset - img->base_vaddr, 8);
	}
}
