"""What the rest of the code needs from a bucket."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol


@dataclass(frozen=True, slots=True)
class StoredObject:
    """One object in the bucket; `version` changes whenever the content may have changed."""

    name: str
    size: int
    version: str


class Storage(Protocol):
    """A bucket of named objects."""

    def put(self, name: str, src: BinaryIO, max_bytes: int) -> StoredObject:
        """Store src under name atomically; raise PayloadTooLarge past max_bytes."""
        ...

    def open(self, name: str) -> BinaryIO:
        """Open an object for reading; raise NotFound if it is gone."""
        ...

    def local_path(self, name: str) -> Path | None:
        """A local file holding the object, when the storage has one."""
        ...

    def stat(self, name: str) -> StoredObject | None:
        """The object's size and version, or None when it does not exist."""
        ...

    def delete(self, name: str) -> bool:
        """Remove the object; False if it did not exist."""
        ...

    def list(self) -> Iterator[StoredObject]:
        """Every object in the bucket."""
        ...
