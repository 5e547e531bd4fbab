"""What the rest of the code needs from a bucket.

Backends differ in what else they can do; each difference is a capability every `Storage`
answers (a narrower object, or None), so callers ask for it instead of testing for a class:

- `local_path(name)`: a file on this machine to serve as is (else stream the object);
- `folder()`: a local folder whose file changes are the bucket's changes (ingest.watcher);
- `event_source()`: the bucket as S3 event notifications name it (POST /v1/events/s3);
- `pages()`: a listing in resumable, key-ordered pages (ingest.paged_reconcile);
- `location(name)`: (bucket, key) where a cloud service reads the object itself.

A new backend implements `Storage` (returning None for what it cannot do) and is opened in
`storage/open.py`; nothing else changes."""

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


class WatchedFolder(Protocol):
    """A local folder whose files are the bucket's objects; watching it sees every change."""

    root: Path

    def relative(self, path: Path) -> str | None:
        """The `/`-separated path of `path` below the folder, or None if it is outside."""
        ...


class EventSource(Protocol):
    """A bucket that announces its changes as S3 event notifications."""

    bucket: str

    def name_of(self, key: str) -> str | None:
        """The media name of a key, or None for keys outside the prefix or no valid name."""
        ...


@runtime_checkable
class PagedStorage(Protocol):
    """A remote bucket that is listed in pages, in key order, and can resume a listing."""

    page_size: int  # objects per listing request

    def list_pages(self, start_after: str | None, page_size: int) -> Iterator[Page]:
        """Pages of objects whose keys sort after `start_after`, in key order."""
        ...


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

    # capabilities: None where the backend cannot

    def local_path(self, name: str) -> Path | None:
        """The object's file on this machine, to serve as is; None for a remote bucket."""
        ...

    def folder(self) -> WatchedFolder | None:
        """The folder to watch for the bucket's changes; None when the bucket is no folder."""
        ...

    def event_source(self) -> EventSource | None:
        """The bucket as its S3 event notifications name it; None when it sends none."""
        ...

    def pages(self) -> PagedStorage | None:
        """A resumable listing in pages; None when `list()` is walked whole."""
        ...

    def location(self, name: str) -> tuple[str, str] | None:
        """(bucket, key) where a cloud service (Rekognition) reads the object; None if none can."""
        ...
