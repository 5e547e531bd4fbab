"""Read files out of a Qt resource bundle (.rcc), as GCompris ships its activities' photos.

Format (Qt's rcc, versions 1-3): a "qres" header with the offsets of the tree, the data and the
names; tree entries are directories (child count, first child) or files (data offset);
zlib-compressed files carry Qt's 4-byte length prefix.
"""

from __future__ import annotations

import struct
import zlib

_DIRECTORY, _ZLIB, _ZSTD = 0x02, 0x01, 0x04


def read_rcc(data: bytes) -> dict[str, bytes]:
    """Every file of the bundle, keyed by its resource path (e.g. "/gcompris/src/x.webp")."""
    if data[:4] != b"qres":
        raise ValueError("not a Qt resource bundle")
    version, tree, payload, names = struct.unpack(">IIII", data[4:20])
    entry = 14 if version == 1 else 22

    def name_at(offset: int) -> str:
        (length,) = struct.unpack(">H", data[names + offset : names + offset + 2])
        start = names + offset + 6
        return data[start : start + 2 * length].decode("utf-16-be")

    out: dict[str, bytes] = {}
    stack = [(0, "")]
    while stack:
        index, path = stack.pop()
        base = tree + index * entry
        name_offset, flags = struct.unpack(">IH", data[base : base + 6])
        if index:
            path = f"{path}/{name_at(name_offset)}"
        if flags & _DIRECTORY:
            count, first = struct.unpack(">II", data[base + 6 : base + 14])
            stack += [(first + i, path) for i in range(count)]
            continue
        (offset,) = struct.unpack(">I", data[base + 10 : base + 14])
        (size,) = struct.unpack(">I", data[payload + offset : payload + offset + 4])
        blob = data[payload + offset + 4 : payload + offset + 4 + size]
        if flags & _ZSTD:
            continue  # not used by the bundles this set reads
        out[path] = zlib.decompress(blob[4:]) if flags & _ZLIB else blob
    return out
