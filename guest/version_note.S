/* version_note.S — the guest ABI version this guest was built for
 * (common/guest_abi.h), as an ELF note (name "snapbench", type 1). The host
 * refuses a guest whose note names another version, and warns about a
 * guest without one (snapshot/elf_load.h). In the runtime library, which a
 * guest links whole (the SDK's link flags say --whole-archive), so every
 * guest carries it without referring to it. */
#include "guest_abi.h"

	.section .note.snapbench, "a", @note
	.balign 4
	.long 2f - 1f /* name size, with the NUL */
	.long 4f - 3f /* descriptor size, with the NUL */
	.long 1       /* ELF_NOTE_SNAPBENCH_VERSION */
1:	.asciz "snapbench"
2:	.balign 4
3:	.asciz SB_GUEST_ABI_VERSION
4:	.balign 4

	.section .note.GNU-stack, "", @progbits
