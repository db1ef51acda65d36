/* core_elf.c — an ELF core file from notes and pages (core_elf.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include <elf.h>

#include "core_elf.h"

/* Pages per pwritev (IOV_MAX is 1024 on Linux). */
#define CORE_IOV_MAX 256u

void core_note_add(struct core_notes *b, const char *name, uint32_t type, const void *desc,
		     size_t desc_len)
{
	size_t name_len = strlen(name) + 1;
	size_t need = 12 + ((name_len + 3) & ~3ul) + ((desc_len + 3) & ~3ul);
	if (b->len + need > b->cap) {
		size_t cap = (b->len + need) * 2;
		uint8_t *n = realloc(b->p, cap);
		if (!n) {
			b->nomem = true;
			return;
		}
		b->p = n;
		b->cap = cap;
	}
	uint8_t *q = b->p + b->len;
	memset(q, 0, need);
	uint32_t hdr[3] = { (uint32_t)name_len, (uint32_t)desc_len, type };
	memcpy(q, hdr, sizeof hdr);
	memcpy(q + 12, name, name_len);
	memcpy(q + 12 + ((name_len + 3) & ~3ul), desc, desc_len);
	b->len += need;
}

static bool page_zero(const uint8_t *p)
{
	static const uint8_t zero[256];
	for (size_t i = 0; i < SB_PAGE_SIZE; i += sizeof zero)
		if (memcmp(p + i, zero, sizeof zero))
			return false;
	return true;
}

static int write_all(int fd, const void *p, size_t len, uint64_t off)
{
	const uint8_t *q = p;
	while (len) {
		ssize_t w = pwrite(fd, q, len, (off_t)off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		q += w;
		len -= (size_t)w;
		off += (uint64_t)w;
	}
	return 0;
}

/* n pages (an iovec each) at `off`, short writes continued. */
static int write_pages(int fd, struct iovec *iov, size_t n, uint64_t off)
{
	while (n) {
		ssize_t w = pwritev(fd, iov, (int)n, (off_t)off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		off += (uint64_t)w;
		while (n && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n && w) {
			iov->iov_base = (uint8_t *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

static int write_core_fd(int fd, const struct core_image *m, const struct core_notes *notes)
{
	size_t nph = 1 + m->nsegs;
	uint64_t notes_off = sizeof(Elf64_Ehdr) + nph * sizeof(Elf64_Phdr);
	uint64_t data_off = (notes_off + notes->len + SB_PAGE_SIZE - 1) & ~(SB_PAGE_SIZE - 1);
	Elf64_Ehdr eh = { .e_type = ET_CORE, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
			  .e_phoff = sizeof eh, .e_ehsize = sizeof eh,
			  .e_phentsize = sizeof(Elf64_Phdr), .e_phnum = (Elf64_Half)nph };
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_ident[EI_OSABI] = ELFOSABI_NONE;
	Elf64_Phdr *ph = calloc(nph, sizeof *ph);
	if (!ph)
		return -1;
	ph[0] = (Elf64_Phdr){ .p_type = PT_NOTE, .p_offset = notes_off, .p_filesz = notes->len,
			      .p_align = 4 };
	uint64_t off = data_off;
	for (size_t i = 0; i < m->nsegs; i++) {
		uint64_t bytes = m->segs[i].pages * SB_PAGE_SIZE;
		ph[1 + i] = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = m->segs[i].flags,
					  .p_offset = off, .p_vaddr = m->segs[i].va,
					  .p_filesz = bytes, .p_memsz = bytes,
					  .p_align = SB_PAGE_SIZE };
		off += bytes;
	}
	int rc = write_all(fd, &eh, sizeof eh, 0) || write_all(fd, ph, nph * sizeof *ph, sizeof eh) ||
		 write_all(fd, notes->p, notes->len, notes_off);
	free(ph);
	/* Zero pages stay holes: the file is sparse, its size set at the end.
	 * Runs of non-zero pages go out in one pwritev each (a page per
	 * syscall made a 90 MB core take half a second). */
	struct iovec iov[CORE_IOV_MAX];
	size_t n = 0, run_first = 0;
	for (size_t i = 0; !rc && i <= m->npages; i++) {
		bool data = i < m->npages && m->pages[i] && !page_zero(m->pages[i]);
		if (n && (!data || n == CORE_IOV_MAX)) {
			rc = write_pages(fd, iov, n, data_off + run_first * SB_PAGE_SIZE);
			n = 0;
		}
		if (data) {
			if (!n)
				run_first = i;
			iov[n++] = (struct iovec){ (void *)m->pages[i], SB_PAGE_SIZE };
		}
	}
	if (!rc && ftruncate(fd, (off_t)off))
		rc = -1;
	return rc;
}

/* Write the core into a new file beside `path` and link it there: a
 * reader never sees half a core, and link() never replaces a file. */
int core_write_file(const char *path, const struct core_image *m, const struct core_notes *notes,
		    struct sb_err *err)
{
	char tmp[4096];
	const char *slash = strrchr(path, '/');
	int dir_len = slash ? (int)(slash - path) + 1 : 0;
	if (snprintf(tmp, sizeof tmp, "%.*s.snapbench-core-XXXXXX", dir_len, path) >= (int)sizeof tmp)
		return sb_errf(err, SB_E_INVAL, "core file name too long: %s", path);
	int fd = mkstemp(tmp);
	if (fd < 0)
		return sb_errf(err, SB_E_IO, "cannot create a file beside %s: %s", path,
			       strerror(errno));
	int rc = write_core_fd(fd, m, notes);
	int saved = errno;
	if (close(fd) && !rc) {
		rc = -1;
		saved = errno;
	}
	if (rc) {
		unlink(tmp);
		return sb_errf(err, SB_E_IO, "writing %s: %s", tmp, strerror(saved));
	}
	if (link(tmp, path)) {
		saved = errno;
		unlink(tmp);
		return sb_errf(err, saved == EEXIST ? SB_E_STATE : SB_E_IO, "%s: %s%s", path,
			       strerror(saved), saved == EEXIST ? " (not replaced)" : "");
	}
	unlink(tmp);
	return 0;
}
