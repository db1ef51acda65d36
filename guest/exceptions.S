/* exceptions.S — entry stubs for CPU exceptions 0-31.
 *
 * Every vector runs on IST1 (the exception stack in scratch). A stub pushes
 * a zero error code when the CPU pushes none, then the vector, then every
 * general register, and calls sb_exception(struct sb_frame *). When it
 * returns, the registers are restored and the faulting instruction is
 * retried (iretq). With 15 registers + vector + error code + the CPU's five
 * words, RSP is 16-byte aligned at the call. Vector 3 (#BP) doubles as the
 * page-table gate guest code raises with INT3 (ptgate.c): it takes the
 * same path, and sb_exception hands it on.
 */
#include "asm_consts.h"

	.text

.macro STUB vec, has_err
	.globl sb_isr_\vec
sb_isr_\vec:
	.if \has_err == 0
	pushq $0
	.endif
	pushq $\vec
	jmp sb_isr_common
.endm

STUB 0, 0
STUB 1, 0
STUB 2, 0
STUB 3, 0
STUB 4, 0
STUB 5, 0
STUB 6, 0
STUB 7, 0
STUB 8, 1
STUB 9, 0
STUB 10, 1
STUB 11, 1
STUB 12, 1
STUB 13, 1
STUB 15, 0
STUB 16, 0
STUB 17, 1
STUB 18, 0
STUB 19, 0
STUB 20, 0
STUB 21, 1
STUB 22, 0
STUB 23, 0
STUB 24, 0
STUB 25, 0
STUB 26, 0
STUB 27, 0
STUB 28, 0
STUB 29, 1
STUB 30, 1
STUB 31, 0

/* #PF: the copy-on-write fast path. On our machines every instruction a
 * ring-0 handler runs is emulated by the hypervisor (~0.5 us each), so the
 * common case -- a write to a present copy-on-write page, with the host
 * doing the copy -- is handled here in about sixty instructions: walk the
 * four levels, check the CoW mark, take a page from the allocator, ask the
 * host to copy (SB_PORT_COPY_PAGE), log the old entry in the undo log,
 * write the new entry, invlpg, iretq. Anything else (not present, not a
 * write, a large page, guest copies, a full allocator) goes to the general
 * handler in C. */
.macro WALK_LEVEL shift
	leaq (%rsi,%rcx), %rcx          /* table GPA -> its scratch GVA */
	movq %rdx, %rax
	shrq $\shift, %rax
	andl $511, %eax
	movq (%rcx,%rax,8), %rcx        /* the entry */
	testb $1, %cl                   /* present? */
	jz 8f
	testb $0x80, %cl                /* a large page: not ours to handle */
	jnz 8f
	andq %rdi, %rcx                 /* next table's GPA */
.endm

	.globl sb_isr_14
sb_isr_14:
	testb $1, (%rsp)                /* error code: present */
	jz 9f
	testb $2, (%rsp)                /* and a write */
	jz 9f
	pushq %rax
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %r8
	movabsq $ASM_RT_FLAGS_GVA, %rax
	testb $ASM_INIT_HOST_COPY, (%rax)
	jz 8f
	movq %cr2, %rdx                 /* rdx = faulting VA */
	movq %cr3, %rcx
	movabsq $ASM_PT_ADDR_MASK, %rdi /* rdi = address mask */
	andq %rdi, %rcx
	movabsq $ASM_SCRATCH_GVA_MINUS_GPA, %rsi /* rsi = scratch GVA - GPA */
	WALK_LEVEL 39
	WALK_LEVEL 30
	WALK_LEVEL 21
	leaq (%rsi,%rcx), %rcx
	movq %rdx, %rax
	shrq $12, %rax
	andl $511, %eax
	leaq (%rcx,%rax,8), %rcx        /* rcx = the leaf entry's GVA */
	movq (%rcx), %rax               /* rax = the leaf entry */
	movl %eax, %r8d
	andl $ASM_PT_COW_BITS_MASK, %r8d
	cmpl $ASM_PT_COW_BITS, %r8d     /* present, read-only, CoW-marked? */
	jne 8f
	movq %rax, %r8
	andq %rdi, %r8                  /* r8 = source page GPA */
	movabsq $ASM_ALLOC_WORD_GVA, %rsi
	movl $4096, %edi
	lock xaddq %rdi, (%rsi)         /* rdi = the new page's GPA */
	movabsq $ASM_LAST_PAGE_GPA, %rsi
	cmpq %rsi, %rdi
	ja 7f                           /* scratch exhausted: let C abort */
	movq %rdi, %rsi                 /* rsi = destination */
	movq %r8, %rdi                  /* rdi = source */
	outb %al, $ASM_PORT_COPY_PAGE
	/* undo log: e[count] = { entry GPA, old entry }, count++ */
	movabsq $ASM_UNDO_LOG_GVA, %rdi
	movq (%rdi), %r8
	cmpq $ASM_UNDO_ENTRIES, %r8
	jae 6f
	shlq $ASM_UNDO_ENTRY_SHIFT, %r8
	leaq ASM_UNDO_E(%rdi,%r8), %r8  /* &e[count] */
	movabsq $ASM_SCRATCH_GVA_MINUS_GPA, %rdi
	negq %rdi
	addq %rcx, %rdi                 /* the entry's GPA */
	movq %rdi, (%r8)
	movq %rax, ASM_UNDO_OLD(%r8)
	movabsq $ASM_UNDO_LOG_GVA, %rdi
	incq (%rdi)
	jmp 5f
6:	movabsq $ASM_UNDO_LOG_GVA, %rdi
	movq $1, ASM_UNDO_OVERFLOW(%rdi) /* overflow */
5:	/* new entry: the old flags without RW/AVL, the copy's address, RW */
	movabsq $ASM_PT_KEEP_MASK, %rdi
	andq %rdi, %rax
	orq %rsi, %rax
	orq $ASM_PT_RW, %rax
	movq %rax, (%rcx)
	invlpg (%rdx)
	popq %r8
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rax
	addq $8, %rsp                   /* the error code */
	iretq
7:	/* give the page back so the C path reports exhaustion cleanly */
	movabsq $ASM_ALLOC_WORD_GVA, %rsi
	lock subq $4096, (%rsi)
8:	popq %r8
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rax
9:	pushq $14
	jmp sb_isr_common

sb_isr_common:
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	movq %rsp, %rdi
	cld
	call sb_exception
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
	addq $16, %rsp
	iretq

/* Stub addresses, indexed by vector (RELATIVE relocations in a PIE). */
	.section .data.rel.ro, "aw"
	.balign 8
	.globl sb_isr_table
sb_isr_table:
	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad sb_isr_\v
	.endr

	.section .note.GNU-stack, "", @progbits
