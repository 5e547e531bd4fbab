"""SHA-256 of files and streams, read in chunks (models, media content, weights)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import BinaryIO

CHUNK = 1 << 20


def sha256_stream(fh: BinaryIO, head: bytes = b"") -> str:
    """The hex sha256 of `head` followed by the rest of an open stream."""
    digest = hashlib.sha256(head)
    while chunk := fh.read(CHUNK):
        digest.update(chunk)
    return digest.hexdigest()


def sha256_file(path: Path) -> str:
    """The hex sha256 of a file."""
    with open(path, "rb") as fh:
        return sha256_stream(fh)
