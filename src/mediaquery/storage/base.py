"""What the rest of the code needs from a bucket."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable


@dataclass(frozen=True, slots=True)
class StoredObject:
    """One object in the bucket; `version` changes whenever the content may have changed."""

    name: str
    size: int
    version: str


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a bucket listing: its objects and the last key it covered."""

    objects: list[StoredObject]
    last_key: str | None  # None: the listing ended before this page found anything
    truncated: bool  # more pages follow


class Storage(Protocol):
    """A bucket of named objects."""

    @property
    def description(self) -> str:
        """Where the bucket is, for logs and messages."""
        ...

    def check_put(self, name: str) -> None:
        """Raise BadRequest if nothing can be stored under name (before anything is stored)."""
        ...

    def put(self, name: str, src: BinaryIO, max_bytes: int) -> StoredObject:
        """Store src under name atomically; raise PayloadTooLarge past max_bytes."""
        ...

    def open(self, name: str) -> BinaryIO:
        """Open an object for reading (a stream); raise NotFound if it is gone."""
        ...

    def fetch(self, name: str) -> AbstractContextManager[Path]:
        """A local file with the object's content while the context lasts; NotFound if gone."""
        ...

    def iter_range(self, name: str, start: int, end: int) -> Iterator[bytes]:
        """Bytes start..end (inclusive) in chunks; NotFound (raised at once) if gone."""
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


@runtime_checkable
class PagedStorage(Protocol):
    """A remote bucket that is listed in pages, in key order, and can resume a listing."""

    page_size: int  # objects per listing request

    def list_pages(self, start_after: str | None, page_size: int) -> Iterator[Page]:
        """Pages of objects whose keys sort after `start_after`, in key order."""
        ...
