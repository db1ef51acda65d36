/* asm_consts.h — numbers the assembly fast paths use, as plain literals
 * (the C headers cannot be included in assembly). fault.c checks every one
 * against its C definition at compile time. */
#ifndef SNAPBENCH_GUEST_ASM_CONSTS_H
#define SNAPBENCH_GUEST_ASM_CONSTS_H

#define ASM_PT_ADDR_MASK 0x000FFFFFFFFFF000      /* PT_X86_64_ADDR_MASK */
#define ASM_PT_COW_BITS_MASK 0xE03               /* P, RW, AVL (bits 9-11) */
#define ASM_PT_COW_BITS 0x201                    /* P set, RW clear, AVL == bit 9 */
#define ASM_PT_KEEP_MASK 0xFFF00000000001FD      /* all but address, RW and AVL */
#define ASM_PT_RW 0x2
#define ASM_SCRATCH_GVA_MINUS_GPA 0xFFFFFFEFFFFFF000 /* SB_SCRATCH_GVA_MINUS_GPA */
#define ASM_ALLOC_WORD_GVA 0xFFFFFFFFFFFFEFF0    /* sb_scratch_top_gva(SB_SCRATCH_TOP_ALLOCATOR) */
#define ASM_LAST_PAGE_GPA 0xFFFFEB000            /* last page below the top pages */
#define ASM_RT_FLAGS_GVA 0xFFFFFF0000000800      /* SB_RT_FLAGS_GVA */
#define ASM_INIT_HOST_COPY 2                     /* SB_INIT_HOST_COPY */
#define ASM_UNDO_LOG_GVA 0xFFFFFFFFFFFFC000      /* sb_undo_log_gva() */
#define ASM_UNDO_ENTRIES 254                     /* SB_PT_UNDO_ENTRIES */
#define ASM_PORT_COPY_PAGE 0xE5                  /* SB_PORT_COPY_PAGE */
#define ASM_PORT_DONE 0xE0                       /* SB_PORT_DONE */
#define ASM_UNDO_OVERFLOW 8                      /* offsetof(struct sb_pt_undo_log, overflow) */
#define ASM_UNDO_E 32                            /* offsetof(struct sb_pt_undo_log, e) */
#define ASM_UNDO_ENTRY_SHIFT 4                   /* sizeof(struct sb_pt_undo_entry) == 1 << 4 */
#define ASM_UNDO_OLD 8                           /* offsetof(struct sb_pt_undo_entry, old) */
#define ASM_SEL_UDATA 0x2b                       /* SB_SEL_UDATA */
#define ASM_SEL_UCODE 0x33                       /* SB_SEL_UCODE */
#define ASM_USER_RFLAGS 0x3202                   /* IOPL 3 (OUT to the host), IF, bit 1 */

#endif
