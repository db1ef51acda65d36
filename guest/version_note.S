/* version_note.S — the snapbench version this guest was built for, as an
 * ELF note (name "snapbench", type 1). The host refuses a guest whose note
 * names another version (snapshot/elf_load.h). */
	.section .note.snapbench, "a", @note
	.balign 4
	.long 2f - 1f /* name size, with the NUL */
	.long 4f - 3f /* descriptor size, with the NUL */
	.long 1       /* ELF_NOTE_SNAPBENCH_VERSION */
1:	.asciz "snapbench"
2:	.balign 4
3:	.asciz SNAPBENCH_VERSION
4:	.balign 4

	.section .note.GNU-stack, "", @progbits
