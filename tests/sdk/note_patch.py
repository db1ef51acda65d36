#!/usr/bin/env python3
"""note_patch.py IN OUT MODE: copy the guest ELF IN to OUT with its
snapbench ABI note changed. MODE "drop": the note's type becomes 0x99, so
the host sees no snapbench note; MODE "version=V": the descriptor becomes
V (it must fit the note's padded descriptor, with its NUL)."""
import struct
import sys

src, dst, mode = sys.argv[1:4]
b = bytearray(open(src, "rb").read())
phoff, = struct.unpack_from("<Q", b, 0x20)
phentsize, phnum = struct.unpack_from("<HH", b, 0x36)
for i in range(phnum):
    p = phoff + i * phentsize
    p_type, = struct.unpack_from("<I", b, p)
    if p_type != 4:  # PT_NOTE
        continue
    off, = struct.unpack_from("<Q", b, p + 8)
    size, = struct.unpack_from("<Q", b, p + 32)
    at = off
    while at + 12 <= off + size:
        namesz, descsz, ntype = struct.unpack_from("<III", b, at)
        name = b[at + 12:at + 12 + namesz]
        desc = at + 12 + ((namesz + 3) & ~3)
        if name == b"snapbench\0" and ntype == 1:
            if mode == "drop":
                struct.pack_into("<I", b, at + 8, 0x99)
            else:
                v = mode.split("=", 1)[1].encode() + b"\0"
                room = (descsz + 3) & ~3
                assert len(v) <= room, "version does not fit the note"
                b[desc:desc + room] = v.ljust(room, b"\0")
                struct.pack_into("<I", b, at + 4, len(v))
            open(dst, "wb").write(b)
            sys.exit(0)
        at = desc + ((descsz + 3) & ~3)
sys.exit("no snapbench note in " + src)
