/* entry.S — the two ways the host starts the guest, and a stack switch.
 *
 *   sb_guest_entry     ELF entry point. The host sets RDI = PEB GVA, RSI =
 *                      SB_INIT_* flags and RSP = top of the exception
 *                      stack; runs init once.
 *   sb_guest_dispatch  Reported to the host at init. The host sets RSP to
 *                      the main stack top reported at init; runs one call.
 * Neither returns: the guest ends each run with `out` to SB_PORT_DONE.
 */
#include "asm_consts.h"

#ifdef SB_GUEST_SDK
/* The SDK's linker script (snapbench-guest.ld) discards .eh_frame, where
 * this file's CFI goes by default: gdb on an SDK guest's core then unwound
 * past sb_guest_dispatch by guesswork (frames at 0x9 and 0x0). The SDK's
 * archive puts it in .debug_frame too, as the C files' is with -g; the
 * in-tree guests keep theirs as it was. */
	.cfi_sections .eh_frame, .debug_frame
#endif

	.text
	.globl sb_guest_entry
	.type sb_guest_entry, @function
sb_guest_entry:
	.cfi_startproc
	.cfi_undefined rip /* the outermost frame: a debugger's backtrace ends here */
	andq $-16, %rsp
	xorl %ebp, %ebp
	call sb_runtime_init
	ud2
	.cfi_endproc

	.globl sb_guest_dispatch
	.type sb_guest_dispatch, @function
sb_guest_dispatch:
	.cfi_startproc
	.cfi_undefined rip /* as above: gdb on a crash dump showed junk frames past it */
	andq $-16, %rsp
	xorl %ebp, %ebp
	call sb_runtime_dispatch
	ud2
	.cfi_endproc

/* void sb_call_on_stack(uint64_t stack_top, void (*fn)(void *), void *arg)
 * Switch to a new stack and call fn(arg); fn must not return. */
	.globl sb_call_on_stack
	.type sb_call_on_stack, @function
sb_call_on_stack:
	.cfi_startproc
	.cfi_undefined rip /* a new stack: nothing above fn's frame */
	movq %rdi, %rsp
	andq $-16, %rsp
	movq %rdx, %rdi    /* arg */
	xorl %ebp, %ebp
	call *%rsi         /* fn */
	ud2
	.cfi_endproc

/* void sb_enter_user(uint64_t rip, uint64_t rsp): iretq into ring 3 with
 * interrupts enabled (no interrupt source exists; the hypervisor runs user
 * mode with IF set). Selectors: see internal.h. */
	.globl sb_enter_user
	.type sb_enter_user, @function
sb_enter_user:
	movl $ASM_SEL_UDATA, %eax
	movl %eax, %ds
	movl %eax, %es
	pushq $ASM_SEL_UDATA   /* SS */
	pushq %rsi             /* RSP */
	pushq $ASM_USER_RFLAGS /* RFLAGS */
	pushq $ASM_SEL_UCODE   /* CS */
	pushq %rdi         /* RIP */
	iretq

/* Ring 3: the end of init. */
	.globl sb_user_done
	.type sb_user_done, @function
sb_user_done:
	movb $0, %al
	outb %al, $ASM_PORT_DONE
	ud2

	.section .note.GNU-stack, "", @progbits
