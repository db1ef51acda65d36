/* guest_abi.h — the version of the host <-> guest ABI, written once.
 *
 * Every guest linked with the runtime carries it in an ELF note (name
 * "snapbench", type 1, guest/version_note.S), and the host refuses a guest
 * whose note names another version (snapshot/elf_load.h). It is not the
 * tool's version: a guest built against an installed SDK keeps running on
 * any later snapbench until the ABI itself changes.
 *
 * The ABI is what both sides assume of each other: the memory layout and
 * bookkeeping words (sandbox_abi.h), the protocol's ports, records and
 * encodings (proto.h), the entry point's arguments and the SB_INIT_* flags,
 * the page-table gate's requests and the GDT selectors. Change any of them
 * incompatibly and bump this number.
 *
 * A macro and nothing else: version_note.S includes this file too.
 */
#ifndef SNAPBENCH_COMMON_GUEST_ABI_H
#define SNAPBENCH_COMMON_GUEST_ABI_H

#define SB_GUEST_ABI_VERSION "1"

#endif
