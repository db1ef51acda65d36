/* test_crashdump.c — ELF core files of failed calls (vmm/crashdump.c):
 * a null dereference in ring 3 and ring 0, a cancelled spin, a sandbox
 * running from a CALL snapshot and one created from it, the explicit API's
 * refusals, and hostile guests (page tables that loop and alias past the
 * size cap, an exception frame and IST the guest rewrote).
 *
 * Usage: test_crashdump TESTGUEST_ELF
 *        test_crashdump TESTGUEST_ELF --cores DIR
 *   The second form only writes DIR/null_deref.core, DIR/from_snapshot.core
 *   (a null dereference in a sandbox created from a CALL snapshot) and
 *   DIR/spin.core (cancelled), and prints "null_deref rip 0x...", for
 *   test_crashdump_gdb.sh, which opens them in gdb.
 * CRASHDUMP_TESTS=a,b runs only the named sections. */
#include <elf.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/procfs.h>
#include <sys/stat.h>
#include <sys/user.h>
#include <time.h>
#include <unistd.h>

#include "fixture.h"
#include "pt.h"

static struct snapshot *snap;
static const char *guest_path;
static char dir[] = "/tmp/snapbench-crashdump-XXXXXX";

/* ---- the guest ELF's symbols ------------------------------------------ */

/* st_value and st_size of the function `name` in the guest ELF. */
static bool guest_symbol(const char *name, uint64_t *value, uint64_t *size)
{
	bool found = false;
	elf_version(EV_CURRENT);
	int fd = open(guest_path, O_RDONLY);
	Elf *e = fd >= 0 ? elf_begin(fd, ELF_C_READ, NULL) : NULL;
	Elf_Scn *scn = NULL;
	while (e && !found && (scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB)
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		for (size_t i = 0; d && i < sh.sh_size / sh.sh_entsize && !found; i++) {
			GElf_Sym s;
			const char *n;
			if (gelf_getsym(d, (int)i, &s) && (n = elf_strptr(e, sh.sh_link, s.st_name)) &&
			    strcmp(n, name) == 0) {
				*value = s.st_value;
				*size = s.st_size;
				found = true;
			}
		}
	}
	if (e)
		elf_end(e);
	if (fd >= 0)
		close(fd);
	return found;
}

/* The guest image is loaded at SB_BASE_ADDRESS; its lowest PT_LOAD is at
 * 0 (a static PIE), so its addresses are the link's plus this. */
#define LOAD_BIAS SB_BASE_ADDRESS

static bool rip_in_function(uint64_t rip, const char *fn)
{
	uint64_t v, sz;
	if (!CHECK(guest_symbol(fn, &v, &sz)))
		return false;
	bool ok = CHECK(rip >= v + LOAD_BIAS && rip < v + LOAD_BIAS + sz);
	if (!ok)
		fprintf(stderr, "  rip 0x%llx not in %s [0x%llx, +%llu)\n", (unsigned long long)rip,
			fn, (unsigned long long)(v + LOAD_BIAS), (unsigned long long)sz);
	return ok;
}

/* ---- reading a core ------------------------------------------------------ */

struct core {
	uint8_t *p;
	size_t len;
	const Elf64_Ehdr *eh;
	const Elf64_Phdr *ph;
	/* Copies: a note's descriptor is only 4-byte aligned in the file. */
	const struct elf_prstatus *st; /* &prstatus once found */
	struct elf_prstatus prstatus;
	uint64_t auxv[64];
	size_t auxv_words;
	uint8_t fpregs[512]; /* NT_FPREGSET, FXSAVE layout */
	bool have_fpregs;
	const char *text; /* the SNAPBENCH note */
};

static void core_free(struct core *c)
{
	if (c->p)
		munmap(c->p, c->len);
	memset(c, 0, sizeof *c);
}

/* Map and check the structure: ELF core, program headers and notes inside
 * the file, one PT_NOTE first with NT_PRSTATUS. */
static bool core_open(struct core *c, const char *path)
{
	memset(c, 0, sizeof *c);
	int fd = open(path, O_RDONLY);
	struct stat st;
	if (!CHECK(fd >= 0) || !CHECK(fstat(fd, &st) == 0) || !CHECK(st.st_size > 64)) {
		fprintf(stderr, "  core %s\n", path);
		if (fd >= 0)
			close(fd);
		return false;
	}
	c->len = (size_t)st.st_size;
	c->p = mmap(NULL, c->len, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (!CHECK(c->p != MAP_FAILED)) {
		c->p = NULL;
		return false;
	}
	c->eh = (const Elf64_Ehdr *)c->p;
	if (!CHECK(memcmp(c->eh->e_ident, ELFMAG, SELFMAG) == 0) ||
	    !CHECK_U64(c->eh->e_type, ET_CORE) || !CHECK_U64(c->eh->e_machine, EM_X86_64) ||
	    !CHECK_U64(c->eh->e_phentsize, sizeof(Elf64_Phdr)) || !CHECK(c->eh->e_phnum >= 1) ||
	    !CHECK(c->eh->e_phoff + (uint64_t)c->eh->e_phnum * sizeof(Elf64_Phdr) <= c->len))
		return false;
	c->ph = (const Elf64_Phdr *)(c->p + c->eh->e_phoff);
	const Elf64_Phdr *n = &c->ph[0];
	if (!CHECK_U64(n->p_type, PT_NOTE) || !CHECK(n->p_offset + n->p_filesz <= c->len))
		return false;
	for (uint64_t off = 0; off + 12 <= n->p_filesz;) {
		const uint32_t *h = (const uint32_t *)(c->p + n->p_offset + off);
		uint64_t name_off = off + 12, desc_off = name_off + ((h[0] + 3) & ~3u);
		if (!CHECK(desc_off + h[1] <= n->p_filesz))
			return false;
		const char *name = (const char *)(c->p + n->p_offset + name_off);
		const uint8_t *desc = c->p + n->p_offset + desc_off;
		if (strcmp(name, "CORE") == 0 && h[2] == NT_PRSTATUS &&
		    CHECK_U64(h[1], sizeof(struct elf_prstatus))) {
			memcpy(&c->prstatus, desc, sizeof c->prstatus);
			c->st = &c->prstatus;
		}
		if (strcmp(name, "CORE") == 0 && h[2] == NT_FPREGSET &&
		    CHECK_U64(h[1], sizeof c->fpregs)) {
			memcpy(c->fpregs, desc, sizeof c->fpregs);
			c->have_fpregs = true;
		}
		if (strcmp(name, "CORE") == 0 && h[2] == NT_AUXV && CHECK(h[1] <= sizeof c->auxv)) {
			memcpy(c->auxv, desc, h[1]);
			c->auxv_words = h[1] / 8;
		}
		if (strcmp(name, "SNAPBENCH") == 0 && h[1] > 0 && desc[h[1] - 1] == '\0')
			c->text = (const char *)desc;
		off = desc_off + ((h[1] + 3) & ~3u);
	}
	for (unsigned i = 1; i < c->eh->e_phnum; i++)
		if (!CHECK_U64(c->ph[i].p_type, PT_LOAD) ||
		    !CHECK(c->ph[i].p_offset + c->ph[i].p_filesz <= c->len) ||
		    !CHECK_U64(c->ph[i].p_offset % SB_PAGE_SIZE, 0))
			return false;
	return CHECK(c->st != NULL) && CHECK(c->text != NULL);
}

static const struct user_regs_struct *core_regs(const struct core *c)
{
	return (const struct user_regs_struct *)&c->st->pr_reg;
}

/* The PT_LOAD holding `va`, or NULL. */
static const Elf64_Phdr *core_seg(const struct core *c, uint64_t va)
{
	for (unsigned i = 1; i < c->eh->e_phnum; i++)
		if (va >= c->ph[i].p_vaddr && va - c->ph[i].p_vaddr < c->ph[i].p_memsz)
			return &c->ph[i];
	return NULL;
}

static uint64_t auxv_get(const struct core *c, uint64_t type)
{
	for (size_t i = 0; i + 1 < c->auxv_words; i += 2)
		if (c->auxv[i] == type)
			return c->auxv[i + 1];
	return 0;
}

/* The path in a "core written to PATH)" message. */
static bool core_path_from(const char *msg, char *path, size_t size)
{
	const char *p = strstr(msg, "core written to ");
	if (!CHECK(p != NULL)) {
		fprintf(stderr, "  message: %s\n", msg);
		return false;
	}
	p += strlen("core written to ");
	const char *end = strrchr(p, ')');
	if (!CHECK(end != NULL) || !CHECK((size_t)(end - p) < size))
		return false;
	memcpy(path, p, (size_t)(end - p));
	path[end - p] = '\0';
	return CHECK(strncmp(path, dir, strlen(dir)) == 0);
}

/* A core of a fault in `fn` must show: the faulting RIP (as the guest's
 * message reports it) inside fn, a code segment holding it, executable,
 * with the guest ELF's bytes; the stack at RSP, writable; AT_ENTRY the
 * image's entry. */
static void check_fault_core(const struct core *c, const char *fn, uint64_t want_rip, int signo)
{
	const struct user_regs_struct *r = core_regs(c);
	CHECK_U64(c->st->pr_cursig, signo);
	if (want_rip)
		CHECK_U64(r->rip, want_rip);
	rip_in_function(r->rip, fn);
	const Elf64_Phdr *code = core_seg(c, r->rip), *stack = core_seg(c, r->rsp);
	if (CHECK(code != NULL)) {
		/* (writable too under host-cow: the code region is RWX, its
		 * writable pages mapped writable in place) */
		CHECK(code->p_flags & PF_X);
		/* The bytes at RIP are the guest ELF's (the text segment's file
		 * offsets equal its addresses in this link). */
		uint8_t want[16];
		int fd = open(guest_path, O_RDONLY);
		CHECK(pread(fd, want, sizeof want, (off_t)(r->rip - LOAD_BIAS)) == sizeof want);
		close(fd);
		CHECK(memcmp(c->p + code->p_offset + (r->rip - code->p_vaddr), want, sizeof want) == 0);
	}
	if (CHECK(stack != NULL))
		CHECK(stack->p_flags & PF_W);
	uint64_t v, sz;
	if (CHECK(guest_symbol("sb_guest_entry", &v, &sz)))
		CHECK_U64(auxv_get(c, AT_ENTRY), v + LOAD_BIAS);
}

/* "at rip 0x..." in a fault message (the guest's own report). */
static uint64_t msg_rip(const char *msg)
{
	const char *p = strstr(msg, "at rip 0x");
	return p ? strtoull(p + strlen("at rip 0x"), NULL, 16) : 0;
}

static struct sandbox_config dump_config(enum sandbox_guest_mode mode)
{
	struct sandbox_config cfg = fixture_config_in(mode);
	cfg.crashdump_dir = dir;
	return cfg;
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* ---- the sections --------------------------------------------------------- */

static void null_deref_in(struct sandbox *sb, const char *what)
{
	struct sb_err err = { 0 };
	uint64_t r;
	fprintf(stderr, "  %s\n", what);
	if (!CHECK_I64(call_u64_1(sb, "null_deref", 0, &r, &err), -1) ||
	    !CHECK_U64(err.code, SB_E_GUEST) || !CHECK_CONTAINS(err.msg, "page fault"))
		return;
	char path[4096];
	struct core c;
	if (core_path_from(err.msg, path, sizeof path) && core_open(&c, path)) {
		check_fault_core(&c, "fn_null_deref", msg_rip(err.msg), SIGSEGV);
		CHECK_CONTAINS(c.text, "exception frame");
		CHECK_CONTAINS(c.text, "page fault");
		core_free(&c);
	}
	CHECK_CONTAINS(sandbox_status_reason(sb), "core written to");
	/* Explicitly, again: a second file; the same name is not replaced. */
	char again[4200];
	snprintf(again, sizeof again, "%s.again", path);
	CHECK_I64(sandbox_write_core(sb, again, &err), 0);
	CHECK_I64(sandbox_write_core(sb, again, &err), -1);
	CHECK_CONTAINS(err.msg, "not replaced");
	if (core_open(&c, again)) {
		check_fault_core(&c, "fn_null_deref", 0, SIGSEGV);
		core_free(&c);
	}
}

static void test_null_deref(enum sandbox_guest_mode mode)
{
	struct sandbox_config cfg = dump_config(mode);
	struct sandbox *sb = fixture_sandbox(snap, &cfg);
	struct snapshot *s = fixture_snapshot_of(sb);
	null_deref_in(sb, mode == SANDBOX_MODE_USER ? "ring 3" : "ring 0");
	/* After a restore there is nothing to dump. */
	struct sb_err err;
	if (s && fixture_restore(sb, s)) {
		CHECK_I64(sandbox_write_core(sb, "/nonexistent/x.core", &err), -1);
		CHECK_U64(err.code, SB_E_STATE);
	}
	snap_unref(s);
	sandbox_destroy(sb);
}

/* The x87 and SSE registers the call left: NT_FPREGSET (ring 3: x87
 * instructions are not emulated in ring 0 here). */
static void test_fpu(void)
{
	struct sandbox_config cfg = dump_config(SANDBOX_MODE_USER);
	struct sandbox *sb = fixture_sandbox(snap, &cfg);
	struct sb_err err = { 0 };
	uint64_t r, x = 0x1234567800006000ull; /* MXCSR rounding bits 13-14 set */
	if (CHECK_I64(call_u64_1(sb, "fpu_control", 0x27f, &r, &err), 0) &&
	    CHECK_I64(call_u64_1(sb, "sse_state", x, &r, &err), 0) &&
	    CHECK_I64(call_u64_1(sb, "null_deref", 0, &r, &err), -1)) {
		char path[4096];
		struct core c;
		if (core_path_from(err.msg, path, sizeof path) && core_open(&c, path) &&
		    CHECK(c.have_fpregs)) {
			uint16_t fcw;
			uint32_t mxcsr;
			uint64_t xmm0;
			memcpy(&fcw, c.fpregs, sizeof fcw);
			memcpy(&mxcsr, c.fpregs + 24, sizeof mxcsr);
			memcpy(&xmm0, c.fpregs + 160, sizeof xmm0);
			CHECK_U64(fcw, 0x27f);
			CHECK_U64(mxcsr, 0x1f80 | 0x6000);
			CHECK_U64(xmm0, x);
			core_free(&c);
		}
	}
	sandbox_destroy(sb);
}

/* A core for a cancelled call: the vCPU's registers, in the spin loop. */
static void test_cancel(void)
{
	struct sandbox_config cfg = dump_config(SANDBOX_MODE_USER);
	cfg.deadline_ns = 50ull * 1000000;
	struct sandbox *sb = fixture_sandbox(snap, &cfg);
	struct sb_err err = { 0 };
	if (CHECK_I64(call_void(sb, "spin", &err), -1) && CHECK_U64(err.code, SB_E_CANCELLED)) {
		char path[4096];
		struct core c;
		if (core_path_from(err.msg, path, sizeof path) && core_open(&c, path)) {
			CHECK_U64(c.st->pr_cursig, SIGINT);
			rip_in_function(core_regs(&c)->rip, "fn_spin");
			CHECK(core_seg(&c, core_regs(&c)->rip) != NULL);
			CHECK(core_seg(&c, core_regs(&c)->rsp) != NULL);
			CHECK_CONTAINS(c.text, "registers: the vCPU's");
			core_free(&c);
		}
	}
	sandbox_destroy(sb);
	/* Ring 0 with interrupts off: only the host's deadline ends it. */
	cfg = dump_config(SANDBOX_MODE_KERNEL);
	cfg.deadline_ns = 200ull * 1000000;
	sb = fixture_sandbox(snap, &cfg);
	if (CHECK_I64(call_void(sb, "spin_cli", &err), -1) && CHECK_U64(err.code, SB_E_CANCELLED)) {
		char path[4096];
		struct core c;
		if (core_path_from(err.msg, path, sizeof path) && core_open(&c, path)) {
			CHECK_U64(c.st->pr_cursig, SIGINT);
			rip_in_function(core_regs(&c)->rip, "fn_spin_cli");
			CHECK_U64(core_regs(&c)->eflags & 0x200, 0); /* IF clear */
			core_free(&c);
		}
	}
	sandbox_destroy(sb);
}

/* Sandboxes running from a CALL snapshot: the one that took it (after a
 * restore) and one created from it. */
static void test_from_snapshot(void)
{
	struct sandbox_config cfg = dump_config(SANDBOX_MODE_USER);
	struct snapshot *s = NULL;
	struct sandbox *sb = fixture_sandbox_at_snapshot(snap, &cfg, &s);
	if (CHECK(s != NULL)) {
		null_deref_in(sb, "restored from a CALL snapshot");
		struct sandbox *sb2 = fixture_sandbox(s, &cfg);
		null_deref_in(sb2, "created from a CALL snapshot");
		sandbox_destroy(sb2);
		snap_unref(s);
	}
	sandbox_destroy(sb);
}

/* A directory that cannot take the core: the call's own error stays, with
 * why there is no core. */
static void test_unwritable(void)
{
	struct sandbox_config cfg = dump_config(SANDBOX_MODE_USER);
	cfg.crashdump_dir = "/nonexistent/snapbench-cores";
	struct sandbox *sb = fixture_sandbox(snap, &cfg);
	struct sb_err err = { 0 };
	uint64_t r;
	if (CHECK_I64(call_u64_1(sb, "null_deref", 0, &r, &err), -1)) {
		CHECK_U64(err.code, SB_E_GUEST);
		CHECK_CONTAINS(err.msg, "page fault (vector 14)");
		CHECK_CONTAINS(err.msg, "(core not written: ");
		CHECK_CONTAINS(err.msg, "/nonexistent/snapbench-cores");
	}
	sandbox_destroy(sb);
}

/* A benchmark of a faulting call writes SANDBOX_CRASHDUMP_MAX_FILES cores
 * per sandbox, then says it stopped. */
static void test_max_files(void)
{
	struct sandbox_config cfg = dump_config(SANDBOX_MODE_USER);
	struct sandbox *sb = fixture_sandbox(snap, &cfg);
	struct snapshot *s = fixture_snapshot_of(sb);
	struct sb_err err = { 0 };
	uint64_t r;
	unsigned written = 0;
	for (unsigned i = 0; s && i <= SANDBOX_CRASHDUMP_MAX_FILES; i++) {
		if (!CHECK_I64(call_u64_1(sb, "null_deref", 0, &r, &err), -1) ||
		    !fixture_restore(sb, s))
			break;
		written += strstr(err.msg, "(core written to ") != NULL;
	}
	CHECK_U64(written, SANDBOX_CRASHDUMP_MAX_FILES);
	CHECK_CONTAINS(err.msg, "(core not written: this sandbox wrote 16 already)");
	snap_unref(s);
	sandbox_destroy(sb);
}

static int poke(struct sandbox *sb, uint64_t addr, uint64_t v)
{
	uint64_t a[2] = { addr, v };
	struct sb_err err;
	int rc = call_u64s(sb, "poke", a, 2, NULL, &err);
	if (rc)
		fprintf(stderr, "  poke 0x%llx: %s\n", (unsigned long long)addr, err.msg);
	return rc;
}

static uint64_t peek(struct sandbox *sb, uint64_t addr)
{
	uint64_t v = 0;
	struct sb_err err;
	if (call_u64_1(sb, "peek", addr, &v, &err))
		fprintf(stderr, "  peek 0x%llx: %s\n", (unsigned long long)addr, err.msg);
	return v;
}

/* Ring 0 rewrites its tables, then dereferences NULL; the core must come
 * in bounded time, keep RIP's page and the stack, and say what it left out.
 *   alias:   PML4 entries 64-71 point back at the root (loops), entries
 *            1-63 and PDPT entries 1-31 alias the image's tables: ~300 000
 *            mapped pages against a cap of 1024 pages.
 *   outside: PDPT entries 64-511 are 1 GiB pages at GPAs no memory backs,
 *            seen through 64 PML4 entries: 7.5 G pages a page-by-page
 *            writer would check one by one, under the default cap. */
static void hostile_tables(bool alias)
{
	struct sandbox_config cfg = dump_config(SANDBOX_MODE_KERNEL);
	if (alias)
		cfg.crashdump_max_bytes = 4ull << 20;
	struct sandbox *sb = fixture_sandbox(snap, &cfg);
	uint64_t root = peek(sb, SB_SCRATCH_END_GVA - SB_SCRATCH_TOP_PT_GPA);
	uint64_t root_gva = root + SB_SCRATCH_GVA_MINUS_GPA;
	uint64_t pml4_0 = peek(sb, root_gva);
	uint64_t pdpt_gva = (pml4_0 & PT_X86_64_ADDR_MASK) + SB_SCRATCH_GVA_MINUS_GPA;
	uint64_t pdpt_0 = peek(sb, pdpt_gva);
	bool ok = CHECK(pml4_0 & PT_P) && CHECK(pdpt_0 & PT_P);
	for (unsigned i = 1; alias && ok && i < 32; i++)
		ok = CHECK_I64(poke(sb, pdpt_gva + 8 * i, pdpt_0), 0);
	for (unsigned i = 64; !alias && ok && i < 512; i++)
		ok = CHECK_I64(poke(sb, pdpt_gva + 8 * i, (1ull << 40) | PT_PS | 0x27), 0);
	for (unsigned i = 1; ok && i < 64; i++)
		ok = CHECK_I64(poke(sb, root_gva + 8 * i, pml4_0), 0);
	for (unsigned i = 64; alias && ok && i < 72; i++)
		ok = CHECK_I64(poke(sb, root_gva + 8 * i, root | 0x27), 0);
	struct sb_err err = { 0 };
	uint64_t r;
	double t0 = now_s();
	if (ok && CHECK_I64(call_u64_1(sb, "null_deref", 0, &r, &err), -1)) {
		double took = now_s() - t0;
		fprintf(stderr, "  %s: failed call and core in %.3f s\n", alias ? "alias" : "outside",
			took);
		CHECK(took < 10);
		char path[4096];
		struct core c;
		if (core_path_from(err.msg, path, sizeof path) && core_open(&c, path)) {
			check_fault_core(&c, "fn_null_deref", msg_rip(err.msg), SIGSEGV);
			if (alias) {
				CHECK_CONTAINS(c.text, "past the cap of 1024 pages");
				CHECK(c.len < (8ull << 20));
			} else {
				/* and the host's entry page, at GPA 0 */
				CHECK_CONTAINS(c.text, "left out: 7516192769 pages mapped at GPAs "
						       "outside guest memory");
			}
			core_free(&c);
		}
	}
	sandbox_destroy(sb);
}

/* Memory-access violations KVM reports (not guest faults): ring 0 points
 * an untouched heap page somewhere no guest fault catches, and
 *   read:  at a GPA no memory backs (32 GiB): the core's RIP is fn_peek's
 *          load, mov (%rax),%rax, as the read left it: the run loop then
 *          completes the read, which moves RIP, so the registers must be
 *          taken first;
 *   write: writable, at its read-only snapshot page: KVM has finished the
 *          store when it exits, so RIP is the instruction after
 *          fn_poke's mov %rdx,(%rax), and RAX the address written.
 * (Under host-cow the snapshot slot is the sandbox's writable copy: the
 * write case is no violation there.) */
static void memory_violation(bool write)
{
	struct sandbox_config cfg = dump_config(SANDBOX_MODE_KERNEL);
	if (write && cfg.restore_strategy == SANDBOX_RESTORE_HOST_COW) {
		fprintf(stderr, "  (host-cow: the snapshot memory is writable; nothing to test)\n");
		return;
	}
	struct sandbox *sb = fixture_sandbox(snap, &cfg);
	uint64_t va = layout_heap_gva(&snap->layout) + (64u << 10), where, entry;
	struct sb_err err = { 0 };
	uint64_t a0[2] = { va, 0 }, a1[2] = { va, 1 };
	uint64_t leaf = 0;
	if (CHECK_I64(call_u64s(sb, "pt_leaf", a0, 2, &where, &err), 0) &&
	    CHECK_I64(call_u64s(sb, "pt_leaf", a1, 2, &entry, &err), 0))
		leaf = write ? (entry & ~PT_AVL_MASK) | PT_RW
			     : (entry & ~PT_X86_64_ADDR_MASK) | (32ull << 30);
	if (leaf && CHECK_I64(poke(sb, where, leaf), 0)) {
		uint64_t a[2] = { va, 1 };
		int rc = write ? call_u64s(sb, "poke", a, 2, NULL, &err) : call_u64s(sb, "peek", a, 1, NULL, &err);
		char path[4096];
		struct core c;
		if (CHECK_I64(rc, -1) && CHECK_CONTAINS(err.msg, "memory-access violation") &&
		    core_path_from(err.msg, path, sizeof path) && core_open(&c, path)) {
			const struct user_regs_struct *r = core_regs(&c);
			CHECK_U64(c.st->pr_cursig, SIGSEGV);
			rip_in_function(r->rip, write ? "fn_poke" : "fn_peek");
			CHECK_CONTAINS(c.text, "registers: the vCPU's");
			const Elf64_Phdr *code = core_seg(&c, r->rip);
			if (CHECK(code != NULL)) {
				const uint8_t *insn = c.p + code->p_offset + (r->rip - code->p_vaddr);
				static const uint8_t load[3] = { 0x48, 0x8b, 0x00 }; /* mov (%rax),%rax */
				static const uint8_t after_store[2] = { 0x31, 0xc0 }; /* xor %eax,%eax */
				if (write) {
					CHECK(memcmp(insn, after_store, sizeof after_store) == 0);
					CHECK_U64(r->rax, va);
				} else {
					CHECK(memcmp(insn, load, sizeof load) == 0);
				}
			}
			core_free(&c);
		}
	}
	sandbox_destroy(sb);
}

/* The guest rewrites the ELF header its image carries (the code region is
 * copy-on-write, ring 3 may): program headers far past the page, then a
 * count that does not fit it. The core is written without NT_AUXV, saying
 * why; with a bias that is nonsense but in bounds, with it. */
static void test_hostile_header(void)
{
	static const struct {
		unsigned off;
		uint64_t v;
		bool auxv;
	} cases[] = {
		{ 32, 0xFFFFFFFFFFFF0000ull, false }, /* e_phoff */
		{ 56, 0x0038FFFFull, false },	      /* e_phnum 0xFFFF: past the page */
		{ 24, 0xFFFFFFFFFFFFFFF0ull, true },  /* e_entry: AT_ENTRY follows it */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct sandbox_config cfg = dump_config(SANDBOX_MODE_USER);
		struct sandbox *sb = fixture_sandbox(snap, &cfg);
		uint64_t old = peek(sb, SB_BASE_ADDRESS + cases[i].off), r;
		uint64_t v = cases[i].off == 56 ? (old & ~0xFFFFFFFFull) | cases[i].v : cases[i].v;
		struct sb_err err = { 0 };
		if (CHECK_I64(poke(sb, SB_BASE_ADDRESS + cases[i].off, v), 0) &&
		    CHECK_I64(call_u64_1(sb, "null_deref", 0, &r, &err), -1)) {
			char path[4096];
			struct core c;
			if (core_path_from(err.msg, path, sizeof path) && core_open(&c, path)) {
				rip_in_function(core_regs(&c)->rip, "fn_null_deref");
				CHECK_U64(c.auxv_words != 0, cases[i].auxv);
				if (!cases[i].auxv)
					CHECK_CONTAINS(c.text, "no ELF header at GVA 0x1000");
				else
					CHECK_U64(auxv_get(&c, AT_ENTRY), cases[i].v + LOAD_BIAS);
				core_free(&c);
			}
		}
		sandbox_destroy(sb);
	}
}

/* Ring 0 writes garbage where the exception frame lies and moves IST1
 * elsewhere, then faults: the frame read is stale garbage (RIP and RSP
 * near the top of the address space), and the core is written all the
 * same, with those registers. */
static void test_hostile_frame(void)
{
	struct sandbox_config cfg = dump_config(SANDBOX_MODE_KERNEL);
	struct sandbox *sb = fixture_sandbox(snap, &cfg);
	gva_t frame = SB_SCRATCH_END_GVA - SB_SCRATCH_TOP_EXN_STACK - 22 * 8;
	const uint64_t rip = 0xFFFFFFFFFFFFFFF8ull, rsp = 0xFFFFFFFFFFFFFFF0ull;
	/* guest/cpu.c: the TSS at 640 in the runtime page, IST1 at 36 in it. */
	const gva_t ist1 = 0xFFFFFF0000000000ull + 640 + 36;
	bool ok = CHECK_I64(poke(sb, frame + 17 * 8, rip), 0) &&
		  CHECK_I64(poke(sb, frame + 20 * 8, rsp), 0) &&
		  CHECK_I64(poke(sb, frame + 15 * 8, 1234), 0) &&
		  CHECK_I64(poke(sb, ist1, SB_SCRATCH_END_GVA - SB_PAGE_SIZE - 0x200), 0);
	struct sb_err err = { 0 };
	uint64_t r;
	if (ok && CHECK_I64(call_u64_1(sb, "null_deref", 0, &r, &err), -1)) {
		char path[4096];
		struct core c;
		if (core_path_from(err.msg, path, sizeof path) && core_open(&c, path)) {
			CHECK_U64(core_regs(&c)->rip, rip);
			CHECK_U64(core_regs(&c)->rsp, rsp);
			CHECK_CONTAINS(c.text, "exception frame");
			CHECK_CONTAINS(c.text, "vector 1234");
			core_free(&c);
		}
	}
	sandbox_destroy(sb);
	/* And CR3 pointing at nothing: a triple fault; the walk finds no
	 * memory, the registers are the vCPU's. */
	sb = fixture_sandbox(snap, &cfg);
	if (CHECK_I64(call_u64_1(sb, "cr3_garbage", 0x5000000, &r, &err), -1)) {
		char path[4096];
		struct core c;
		if (core_path_from(err.msg, path, sizeof path) && core_open(&c, path)) {
			CHECK_U64(c.eh->e_phnum, 1);
			CHECK_CONTAINS(c.text, "registers: the vCPU's");
			core_free(&c);
		}
	}
	sandbox_destroy(sb);
}

/* A 64 MiB heap, 16 MiB of it written (4096 copy-on-write copies in
 * scratch): the core holds every page by address, the written ones with
 * their bytes, the untouched heap as holes; how long it takes is printed. */
static void test_big_heap(void)
{
	struct layout_config lc = layout_config_default();
	lc.heap_bytes = 64ull << 20;
	lc.scratch_bytes = 24ull << 20;
	struct snapshot *big = fixture_snapshot(guest_path, &lc);
	struct sandbox_config cfg = dump_config(SANDBOX_MODE_USER);
	cfg.deadline_ns = 0;
	struct sandbox *sb = fixture_sandbox(big, &cfg);
	struct sb_err err = { 0 };
	uint64_t r;
	char path[4200];
	snprintf(path, sizeof path, "%s/big.core", dir);
	if (CHECK_I64(call_u64_1(sb, "fill_heap", 16ull << 20, &r, &err), 0) &&
	    CHECK_I64(call_u64_1(sb, "null_deref", 0, &r, &err), -1)) {
		double t0 = now_s();
		CHECK_I64(sandbox_write_core(sb, path, &err), 0);
		double took = now_s() - t0;
		struct core c;
		struct stat st;
		if (core_open(&c, path) && CHECK(stat(path, &st) == 0)) {
			fprintf(stderr, "  64 MiB heap, 16 MiB written: core of %zu bytes (%llu on disk) "
				"in %.1f ms\n", c.len, (unsigned long long)st.st_blocks * 512,
				took * 1e3);
			uint64_t heap = layout_heap_gva(&big->layout);
			const Elf64_Phdr *h = core_seg(&c, heap), *end = core_seg(&c, heap + lc.heap_bytes - 1);
			/* The written heap reads 0x5A in the core, the rest zero. */
			if (CHECK(h != NULL) && CHECK(end != NULL)) {
				CHECK_U64(c.p[h->p_offset + (heap - h->p_vaddr)], 0x5A);
				CHECK_U64(c.p[h->p_offset + (heap - h->p_vaddr) + (16ull << 20) - 1], 0x5A);
				CHECK_U64(c.p[end->p_offset + (heap + lc.heap_bytes - 1 - end->p_vaddr)], 0);
			}
			/* the copies twice: at the heap and in the scratch window */
			CHECK((uint64_t)st.st_blocks * 512 < 40ull << 20);
			core_free(&c);
		}
	}
	sandbox_destroy(sb);
	snap_unref(big);
}

/* --cores DIR: the cores the gdb script opens, at fixed names. */
static int write_cores_for_gdb(const char *out)
{
	struct sandbox_config cfg = fixture_config();
	struct sandbox *sb = fixture_sandbox(snap, &cfg);
	struct sb_err err = { 0 };
	uint64_t r;
	char path[4096];
	int rc = 1;
	snprintf(path, sizeof path, "%s/null_deref.core", out);
	if (call_u64_1(sb, "null_deref", 0, &r, &err) == 0)
		fprintf(stderr, "null_deref did not fail\n");
	else if (sandbox_write_core(sb, path, &err))
		fprintf(stderr, "%s\n", err.msg);
	else
		rc = 0;
	printf("null_deref rip 0x%llx\n", (unsigned long long)msg_rip(err.msg));
	sandbox_destroy(sb);
	/* A sandbox created from a CALL snapshot (the image rebuilt, pages
	 * deduplicated and moved: only the addresses stay). */
	struct snapshot *s = NULL;
	sb = fixture_sandbox_at_snapshot(snap, &cfg, &s);
	sandbox_destroy(sb);
	snprintf(path, sizeof path, "%s/from_snapshot.core", out);
	if (!s)
		rc = 1;
	if (s && (sb = fixture_sandbox(s, &cfg))) {
		if (call_u64_1(sb, "null_deref", 0, &r, &err) == 0 || sandbox_write_core(sb, path, &err)) {
			fprintf(stderr, "from a snapshot: %s\n", err.msg);
			rc = 1;
		}
		sandbox_destroy(sb);
		snap_unref(s);
	}
	cfg.deadline_ns = 50ull * 1000000;
	sb = fixture_sandbox(snap, &cfg);
	snprintf(path, sizeof path, "%s/spin.core", out);
	if (call_void(sb, "spin", &err) == 0 || sandbox_write_core(sb, path, &err)) {
		fprintf(stderr, "spin: %s\n", err.msg);
		rc = 1;
	}
	sandbox_destroy(sb);
	return rc;
}

static void remove_dir(void)
{
	char cmd[256];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

int main(int argc, char **argv)
{
	snap = fixture_main(argc, argv, "TESTGUEST_ELF");
	guest_path = argv[1];
	if (argc == 4 && strcmp(argv[2], "--cores") == 0)
		return write_cores_for_gdb(argv[3]);
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	FIXTURE_RUN("CRASHDUMP_TESTS", "null_deref", test_null_deref(SANDBOX_MODE_USER);
		    test_null_deref(SANDBOX_MODE_KERNEL));
	FIXTURE_RUN("CRASHDUMP_TESTS", "fpu", test_fpu());
	FIXTURE_RUN("CRASHDUMP_TESTS", "cancel", test_cancel());
	FIXTURE_RUN("CRASHDUMP_TESTS", "snapshot", test_from_snapshot());
	FIXTURE_RUN("CRASHDUMP_TESTS", "unwritable", test_unwritable());
	FIXTURE_RUN("CRASHDUMP_TESTS", "max_files", test_max_files());
	FIXTURE_RUN("CRASHDUMP_TESTS", "big_heap", test_big_heap());
	FIXTURE_RUN("CRASHDUMP_TESTS", "hostile_alias", hostile_tables(true));
	FIXTURE_RUN("CRASHDUMP_TESTS", "hostile_outside", hostile_tables(false));
	FIXTURE_RUN("CRASHDUMP_TESTS", "hostile_frame", test_hostile_frame());
	FIXTURE_RUN("CRASHDUMP_TESTS", "hostile_header", test_hostile_header());
	FIXTURE_RUN("CRASHDUMP_TESTS", "violation_read", memory_violation(false));
	FIXTURE_RUN("CRASHDUMP_TESTS", "violation_write", memory_violation(true));
	if (getenv("CRASHDUMP_KEEP"))
		fprintf(stderr, "cores kept in %s\n", dir);
	else
		remove_dir();
	snap_unref(snap);
	return check_done();
}
