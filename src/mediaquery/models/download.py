"""Resumable HTTP downloads into a `.part` file, and sha256 checks.

A download appends to `<file>.part`; an interrupted one is resumed with a Range request (a
server that ignores Range sends the whole file again, and we start over). Nothing here
decides what a finished file means: the caller verifies it and renames it into place."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path

import httpx

from mediaquery.digest import sha256_file
from mediaquery.errors import ChecksumMismatch, DownloadError

log = logging.getLogger(__name__)

# done bytes, total bytes (None when unknown)
Progress = Callable[[int, int | None], None]
USER_AGENT = "mediaquery-models/1"


def check_file(path: Path, what: str, sha256: str | None, size: int | None) -> str:
    """Return the file's sha256; ChecksumMismatch (naming both values) when it differs."""
    actual_size = path.stat().st_size
    if size is not None and actual_size != size:
        raise ChecksumMismatch(
            f"{what}: size mismatch: expected {size} bytes, got {actual_size} bytes"
        )
    actual = sha256_file(path)
    if sha256 is not None and actual != sha256:
        raise ChecksumMismatch(
            f"{what}: checksum mismatch: expected sha256 {sha256}, got sha256 {actual}"
        )
    return actual


def download(
    url: str,
    part: Path,
    *,
    size: int | None = None,
    progress: Progress | None = None,
    attempts: int = 3,
    timeout: float = 30.0,
) -> None:
    """Fetch `url` into `part`, resuming what is there; retries dropped connections.

    DownloadError on a network failure (the partial file stays, so a later call resumes)
    or an HTTP error status."""
    part.parent.mkdir(parents=True, exist_ok=True)
    for attempt in range(1, attempts + 1):
        before = _size(part)
        try:
            _fetch(url, part, size, progress, timeout)
            return
        except httpx.TransportError as exc:
            have = _size(part)
            why = str(exc) or type(exc).__name__
            if have == 0:
                raise DownloadError(f"Download of {url} failed: {why}") from exc
            if attempt == attempts or have <= before:  # retry only while it gets somewhere
                raise DownloadError(
                    f"Download of {url} failed after {have} bytes: {why}; "
                    "run the same command again to resume"
                ) from exc
            log.warning("download of %s interrupted at %d bytes (%s); resuming", url, have, why)


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else 0


def _fetch(
    url: str, part: Path, size: int | None, progress: Progress | None, timeout: float
) -> None:
    offset = _size(part)
    if size is not None and offset > size:
        part.unlink()  # longer than the real file: cannot be a prefix of it
        offset = 0
    if size is not None and offset == size:
        return  # complete: the caller verifies it
    # identity: Range offsets count the bytes on the wire, so they must be the file's bytes
    headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    with (
        httpx.Client(follow_redirects=True, timeout=timeout) as client,
        client.stream("GET", url, headers=headers) as response,
    ):
        if response.status_code == 416 and offset:
            return  # nothing left to fetch: the caller's check decides
        _raise_for_status(url, response)
        if offset and not _resumes_at(response, offset):
            log.info("%s does not resume at byte %d: downloading it again", url, offset)
            offset = 0
        total = size if size is not None else _total(response, offset)
        if progress:
            progress(offset, total)
        with open(part, "ab" if offset else "wb") as fh:
            for chunk in response.iter_raw():  # as it arrives: a dropped line loses nothing
                fh.write(chunk)
                offset += len(chunk)
                if progress:
                    progress(offset, total)


def _raise_for_status(url: str, response: httpx.Response) -> None:
    if response.status_code < 400:
        return
    reason = response.reason_phrase or ""
    raise DownloadError(f"Download of {url} failed: HTTP {response.status_code} {reason}".strip())


def _resumes_at(response: httpx.Response, offset: int) -> bool:
    """True when the server answered the Range request with the bytes from `offset` on."""
    if response.status_code != 206:
        return False
    match = re.match(r"bytes (\d+)-", response.headers.get("content-range", ""))
    return match is not None and int(match.group(1)) == offset


def _total(response: httpx.Response, offset: int) -> int | None:
    length = response.headers.get("content-length")
    if length is None or not length.isdigit():
        return None
    return int(length) + (offset if response.status_code == 206 else 0)
