"""Install, check and remove catalogue models: pull (download), import (from disk), verify, rm.

Every path ends the same way: a file whose sha256 matches the catalogue is renamed into
MODEL_DIR/catalogue/<name> and recorded in the manifest; anything else is removed and
reported, so a half-written or wrong file is never installed."""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

from mediaquery.digest import sha256_file
from mediaquery.errors import BadModelFile, ChecksumMismatch, ModelNotInstalled
from mediaquery.models import store
from mediaquery.models.catalogue import CatalogueEntry
from mediaquery.models.download import Progress, check_file, download

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Installed:
    name: str
    path: Path
    sha256: str
    size: int
    source: str
    pinned: str  # "catalogue", or "first-pull" when the catalogue had no sha256
    already: bool = False  # it was installed before: nothing was downloaded


@dataclass(frozen=True, slots=True)
class Verified:
    name: str
    status: str  # "ok", "corrupt" or "missing"
    message: str


def pull(
    model_dir: Path,
    entry: CatalogueEntry,
    *,
    mirror: str | None = None,
    progress: Progress | None = None,
    force: bool = False,
) -> Installed:
    """Download the entry (resuming a partial download), verify it and install it."""
    url = entry.source(mirror)
    with store.locked(model_dir, entry.name):
        current = store.installed_path(model_dir, entry.name)
        if current is not None and not force:
            return _already(model_dir, entry, current)
        part = store.part_file(model_dir, entry.name)
        download(url, part, size=entry.size, progress=progress)
        return _install(model_dir, entry, part, url, remove_source=True)


def import_file(model_dir: Path, entry: CatalogueEntry, source: Path) -> Installed:
    """Install the entry from a file on disk (the same file `pull` downloads, or for an
    archive entry also the member itself), with the same checks."""
    if not source.is_file():
        raise BadModelFile(f"{source}: no such file")
    with store.locked(model_dir, entry.name):
        if entry.member is not None and not zipfile.is_zipfile(source):
            return _install_member_copy(model_dir, entry, source)
        return _install(model_dir, entry, source, f"import:{source}", remove_source=False)


def verify(model_dir: Path, entry: CatalogueEntry) -> Verified:
    """Re-hash the installed file against the catalogue (or the hash pinned at first pull)."""
    path = store.installed_path(model_dir, entry.name)
    if path is None:
        return Verified(entry.name, "missing", "not installed")
    pinned = store.read_manifest(model_dir).get(entry.name, {}).get("sha256")
    expected = entry.installed_sha256 or pinned
    actual = sha256_file(path)
    if expected is None:
        return Verified(entry.name, "ok", f"sha256 {actual} (nothing to compare with)")
    if actual != expected:
        return Verified(
            entry.name,
            "corrupt",
            f"checksum mismatch: expected sha256 {expected}, got sha256 {actual}; "
            f"run `mediaquery models pull {entry.name} --force`",
        )
    return Verified(entry.name, "ok", f"sha256 {actual}")


def remove(model_dir: Path, name: str) -> Path:
    """Delete an installed model (and any partial download); ModelNotInstalled otherwise."""
    with store.locked(model_dir, name):
        path = store.installed_path(model_dir, name)
        part = store.part_file(model_dir, name)
        part.unlink(missing_ok=True)
        if path is None:
            raise ModelNotInstalled(f"Model '{name}' is not installed")
        path.unlink()
        store.forget(model_dir, name)
        return path


def _already(model_dir: Path, entry: CatalogueEntry, path: Path) -> Installed:
    info = {k: str(v) for k, v in store.read_manifest(model_dir).get(entry.name, {}).items()}
    return Installed(
        entry.name,
        path,
        info.get("sha256", ""),
        path.stat().st_size,
        info.get("source", ""),
        info.get("pinned", ""),
        already=True,
    )


def _install(
    model_dir: Path, entry: CatalogueEntry, file: Path, source: str, *, remove_source: bool
) -> Installed:
    earlier = store.read_manifest(model_dir).get(entry.name, {}).get("sha256")
    expected = entry.sha256 or (earlier if entry.member is None else None)
    try:
        digest = check_file(file, entry.name, expected, entry.size)
    except ChecksumMismatch as exc:
        if not remove_source:
            raise
        file.unlink(missing_ok=True)
        raise ChecksumMismatch(f"{exc.message}; the download was removed") from None
    pinned = "catalogue" if entry.sha256 else "first-pull"
    if expected is None:
        log.warning(
            "%s has no sha256 in the catalogue: pinned %s on first pull", entry.name, digest
        )
    target = store.model_file(model_dir, entry.name)
    if entry.member is not None:
        try:
            digest = _extract_member(file, entry, target)
        finally:
            if remove_source:  # the archive was only the way to the member
                file.unlink()
    elif remove_source:
        os.replace(file, target)
    else:
        _copy_checked(file, target, digest, entry.name)
    size = target.stat().st_size
    store.record_install(
        model_dir, entry.name, sha256=digest, size=size, source=source, pinned=pinned
    )
    log.info("installed %s (%d bytes, sha256 %s) from %s", entry.name, size, digest, source)
    return Installed(entry.name, target, digest, size, source, pinned)


def _extract_member(archive: Path, entry: CatalogueEntry, target: Path) -> str:
    member = entry.member
    assert member is not None
    tmp = target.with_name(f"{target.name}.tmp")
    try:
        with zipfile.ZipFile(archive) as zf, zf.open(member.path) as src, open(tmp, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
    except (zipfile.BadZipFile, KeyError) as exc:
        tmp.unlink(missing_ok=True)
        raise BadModelFile(f"{entry.name}: {archive.name} has no member {member.path}") from exc
    try:
        digest = check_file(tmp, f"{entry.name} ({member.path})", member.sha256, member.size)
    except ChecksumMismatch:
        tmp.unlink()
        raise
    os.replace(tmp, target)
    return digest


def _copy_checked(source: Path, target: Path, digest: str, name: str) -> None:
    """Copy, hashing what was written, so a file changed while copying is never installed."""
    tmp = target.with_name(f"{target.name}.tmp")
    written = hashlib.sha256()
    with open(source, "rb") as src, open(tmp, "wb") as dst:
        for chunk in iter(lambda: src.read(1 << 20), b""):
            dst.write(chunk)
            written.update(chunk)
    if written.hexdigest() != digest:
        tmp.unlink()
        raise ChecksumMismatch(f"{name}: {source} changed while it was being copied")
    os.replace(tmp, target)


def _install_member_copy(model_dir: Path, entry: CatalogueEntry, source: Path) -> Installed:
    """An archive entry imported from the extracted member rather than the archive."""
    member = entry.member
    assert member is not None
    digest = check_file(source, f"{entry.name} ({member.path})", member.sha256, member.size)
    target = store.model_file(model_dir, entry.name)
    _copy_checked(source, target, digest, entry.name)
    store.record_install(
        model_dir,
        entry.name,
        sha256=digest,
        size=target.stat().st_size,
        source=f"import:{source}",
        pinned="catalogue",
    )
    return Installed(
        entry.name, target, digest, target.stat().st_size, f"import:{source}", "catalogue"
    )
