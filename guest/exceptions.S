/* exceptions.S — entry stubs for CPU exceptions 0-31.
 *
 * Every vector runs on IST1 (the exception stack in scratch). A stub pushes
 * a zero error code when the CPU pushes none, then the vector, then every
 * general register, and calls sb_exception(struct sb_frame *). When it
 * returns, the registers are restored and the faulting instruction is
 * retried (iretq). With 15 registers + vector + error code + the CPU's five
 * words, RSP is 16-byte aligned at the call.
 */
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
STUB 14, 1
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
