/* guest_elf.h — opening the guest ELF that a command runs or shows.
 *
 * One place for what `run`, `inspect` and the TUI do with a guest path: no
 * path is the embedded test guest; a file is opened and checked by
 * snapshot/elf_load.h, which refuses a guest built for another guest ABI;
 * and a guest without the ABI note is accepted with a warning on stderr,
 * printed once per path for the whole process (a scenario file names its
 * guest in every section; the TUI opens it again for its live run).
 */
#ifndef SNAPBENCH_WORKBENCH_GUEST_ELF_H
#define SNAPBENCH_WORKBENCH_GUEST_ELF_H

#include "elf_load.h"
#include "err.h"

/* Open `path` (NULL or "": the embedded test guest). */
int guest_elf_open(struct elf_image *img, const char *path, struct sb_err *err);

#endif
