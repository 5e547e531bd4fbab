"""A local folder as the bucket: every file below it (any depth) is an object."""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from mediaquery.errors import BadRequest, NotFound, PayloadTooLarge
from mediaquery.names import is_valid_name, validate_name
from mediaquery.storage.base import StoredObject

CHUNK = 1024 * 1024


class LocalStorage:
    """Objects are files under `root`; uploads land in a hidden temp folder, then move in."""

    def __init__(self, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        # Resolved once: the watcher reports absolute, resolved paths whatever the folder was
        # called (relative like ./mediaquery-data, or through a symlink).
        self.root = root.resolve()
        self._given = Path(os.path.abspath(root))
        self.tmp = self.root / ".mediaquery-tmp"
        try:
            self._name_max = os.pathconf(self.root, "PC_NAME_MAX")
        except (OSError, ValueError):
            self._name_max = 255

    @property
    def description(self) -> str:
        """The bucket folder."""
        return str(self.root)

    def path(self, name: str) -> Path:
        """The file path of an object name."""
        return self.root.joinpath(*validate_name(name).split("/"))

    def relative(self, path: Path) -> str | None:
        """The `/`-separated path of `path` below the bucket folder, or None if it is outside.

        `path` may be relative to the working folder, or reach the folder through the name it
        was configured with or through a symlink to it."""
        absolute = Path(os.path.abspath(path))
        for base in (self.root, self._given):
            if absolute.is_relative_to(base) and absolute != base:
                return absolute.relative_to(base).as_posix()
        # a symlink on the way: resolve the parent only (the file itself may be gone, or be a
        # symlink that points out of the bucket, which is still an object in it)
        resolved = absolute.parent.resolve() / absolute.name
        if resolved.is_relative_to(self.root) and resolved != self.root:
            return resolved.relative_to(self.root).as_posix()
        return None

    def local_path(self, name: str) -> Path:
        """The object's file (it may be gone: the caller checks)."""
        return self.path(name)

    def folder(self) -> LocalStorage:
        """This folder is watched for changes."""
        return self

    def event_source(self) -> None:
        """A folder sends no S3 event notifications."""
        return None

    def pages(self) -> None:
        """A folder is walked whole."""
        return None

    def location(self, name: str) -> None:
        """No cloud service reads a local folder."""
        return None

    def name_of(self, path: Path) -> str | None:
        """The object name of a path inside the bucket, or None for ignored paths."""
        rel = self.relative(path)
        return rel if rel is not None and is_valid_name(rel) else None

    def check_put(self, name: str) -> None:
        """A folder in the name's place, a file in a parent's place, or a segment longer than
        the file system allows would make `put` fail."""
        dest = self.path(name)
        too_long = [p for p in name.split("/") if len(os.fsencode(p)) > self._name_max]
        if too_long:
            raise BadRequest(
                f"Media name ({name}) has a path segment longer than {self._name_max} bytes, "
                f"the longest file name the bucket folder takes"
            )
        if dest.is_dir():
            raise BadRequest(f"Media name ({name}) is a folder in the bucket")
        for parent in dest.relative_to(self.root).parents:
            if parent.parts and (self.root / parent).is_file():
                raise BadRequest(f"A parent of media name ({name}) is itself a media file")

    def put(self, name: str, src: BinaryIO, max_bytes: int) -> StoredObject:
        """Copy src to a temp file (bounded by max_bytes), then rename it into place."""
        dest = self.path(name)
        self.tmp.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=self.tmp)
        try:
            with os.fdopen(fd, "wb") as out:
                written = 0
                while chunk := src.read(CHUNK):
                    written += len(chunk)
                    if written > max_bytes:
                        raise PayloadTooLarge(
                            f"Upload is larger than the limit of {max_bytes} bytes"
                        )
                    out.write(chunk)
            self.check_put(name)
            _make_parents(self.root, dest)
            os.replace(tmp_name, dest)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        stored = self.stat(name)
        assert stored is not None
        return stored

    def open(self, name: str) -> BinaryIO:
        """Open the object's file for reading."""
        try:
            return self.path(name).open("rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            raise NotFound(f"Media file ({name}) not found") from exc

    @contextmanager
    def fetch(self, name: str) -> Iterator[Path]:
        """The object's own file (nothing is copied)."""
        path = self.path(name)
        if not path.is_file():
            raise NotFound(f"Media file ({name}) not found")
        yield path

    def iter_range(self, name: str, start: int, end: int) -> Iterator[bytes]:
        """Bytes start..end (inclusive) of the file, a chunk at a time."""
        fh = self.open(name)
        fh.seek(start)

        def chunks() -> Iterator[bytes]:
            with fh:
                left = end - start + 1
                while left > 0 and (chunk := fh.read(min(CHUNK, left))):
                    left -= len(chunk)
                    yield chunk

        return chunks()

    def stat(self, name: str) -> StoredObject | None:
        """Size and a version made of size and modification time in ns."""
        try:
            st = self.path(name).stat()
        except (FileNotFoundError, NotADirectoryError):
            return None
        if not _is_file(st.st_mode):
            return None
        return StoredObject(name, st.st_size, f"{st.st_size}-{st.st_mtime_ns}")

    def delete(self, name: str) -> bool:
        """Remove the file and any folders it leaves empty."""
        path = self.path(name)
        try:
            path.unlink()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return False
        _prune_empty(self.root, path.parent)
        return True

    def list(self) -> Iterator[StoredObject]:
        """Walk the bucket, skipping hidden and invalid names."""
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for fname in sorted(filenames):
                name = self.name_of(Path(dirpath) / fname)
                if name is not None:
                    stored = self.stat(name)
                    if stored is not None:
                        yield stored


def _is_file(mode: int) -> bool:
    return stat.S_ISREG(mode)


def _make_parents(root: Path, dest: Path) -> None:
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError) as exc:
        raise BadRequest("A parent of this media name is itself a media file") from exc


def _prune_empty(root: Path, folder: Path) -> None:
    while folder != root and root in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent
