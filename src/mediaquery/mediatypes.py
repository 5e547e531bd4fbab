"""Media type from the content's magic bytes, never from the file name."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from mediaquery.domain import MediaType

# Enough for a TIFF-based camera RAW's first directory (DNGVersion is one of its last tags).
SNIFF_BYTES = 4096


@dataclass(frozen=True, slots=True)
class Sniffed:
    type: MediaType
    content_type: str


UNKNOWN = Sniffed(MediaType.UNKNOWN, "application/octet-stream")

_QUICKTIME_BRANDS = {b"qt  "}
_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}

# Camera RAW files that are no TIFF at the start: (offset, magic, content type).
_RAW_MAGIC = [
    (0, b"FUJIFILMCCD-RAW", "image/x-fuji-raf"),
    (0, b"IIRO", "image/x-olympus-orf"),
    (0, b"IIRS", "image/x-olympus-orf"),
    (0, b"MMOR", "image/x-olympus-orf"),
    (0, b"IIU\x00", "image/x-panasonic-rw2"),
]
# Content types that decode.py hands to LibRaw (rawpy) rather than Pillow.
RAW_TYPES = frozenset(
    {
        "image/x-adobe-dng",
        "image/x-canon-cr2",
        "image/x-canon-cr3",
        "image/x-raw",
        *(t for _, _, t in _RAW_MAGIC),
    }
)
_DNG_VERSION, _NEW_SUBFILE_TYPE = 0xC612, 0x00FE


def sniff(head: bytes) -> Sniffed:
    """Guess the media type from the first bytes of a file (at least SNIFF_BYTES if available)."""
    if head.startswith(b"\xff\xd8\xff"):
        return Sniffed(MediaType.IMAGE, "image/jpeg")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Sniffed(MediaType.IMAGE, "image/png")
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return Sniffed(MediaType.IMAGE, "image/gif")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return Sniffed(MediaType.IMAGE, "image/webp")
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return Sniffed(MediaType.VIDEO, "video/x-msvideo")
    if head[:2] == b"BM" and len(head) >= 26:
        return Sniffed(MediaType.IMAGE, "image/bmp")
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return _sniff_tiff(head)
    raw = _sniff_raw(head)
    if raw is not None:
        return raw
    if head[4:8] == b"ftyp":
        return _sniff_iso_bmff(head)
    if head[:4] == b"\x1a\x45\xdf\xa3":
        webm = b"webm" in head[:SNIFF_BYTES]
        return Sniffed(MediaType.VIDEO, "video/webm" if webm else "video/x-matroska")
    return UNKNOWN


def _sniff_iso_bmff(head: bytes) -> Sniffed:
    # HEIF/AVIF stills share the container with MP4: the major brand, then the compatible ones.
    size = int.from_bytes(head[:4], "big")
    brand, compatible = head[8:12], head[16 : min(max(size, 16), SNIFF_BYTES)]
    if brand in (b"avif", b"avis") or (brand in _HEIF_BRANDS and b"avif" in compatible):
        return Sniffed(MediaType.IMAGE, "image/avif")
    if brand in _HEIF_BRANDS:
        return Sniffed(MediaType.IMAGE, "image/heic" if brand != b"mif1" else "image/heif")
    if brand == b"crx ":
        return Sniffed(MediaType.IMAGE, "image/x-canon-cr3")
    if brand in _QUICKTIME_BRANDS:
        return Sniffed(MediaType.VIDEO, "video/quicktime")
    return Sniffed(MediaType.VIDEO, "video/mp4")


def _sniff_raw(head: bytes) -> Sniffed | None:
    for offset, magic, content_type in _RAW_MAGIC:
        if head[offset : offset + len(magic)] == magic:
            return Sniffed(MediaType.IMAGE, content_type)
    return None


def _sniff_tiff(head: bytes) -> Sniffed:
    """A TIFF, or a camera RAW built on TIFF: DNG, Canon CR2, or a file whose first image is
    a reduced-resolution preview (Nikon NEF, Sony ARW, Pentax PEF ...)."""
    if head[8:10] == b"CR":
        return Sniffed(MediaType.IMAGE, "image/x-canon-cr2")
    tags = _first_ifd(head)
    if _DNG_VERSION in tags:
        return Sniffed(MediaType.IMAGE, "image/x-adobe-dng")
    if tags.get(_NEW_SUBFILE_TYPE) == 1:
        return Sniffed(MediaType.IMAGE, "image/x-raw")
    return Sniffed(MediaType.IMAGE, "image/tiff")


def _first_ifd(head: bytes) -> dict[int, int]:
    """Tag -> first value of the first TIFF directory, as far as `head` holds it."""
    order: Literal["little", "big"] = "little" if head[:2] == b"II" else "big"
    at = int.from_bytes(head[4:8], order)
    if at + 2 > len(head):
        return {}
    count = int.from_bytes(head[at : at + 2], order)
    tags = {}
    for i in range(count):
        entry = head[at + 2 + 12 * i : at + 14 + 12 * i]
        if len(entry) < 12:
            break
        kind = int.from_bytes(entry[2:4], order)
        width = 2 if kind == 3 else 4  # SHORT values sit left-aligned in the value field
        tags[int.from_bytes(entry[:2], order)] = int.from_bytes(entry[8 : 8 + width], order)
    return tags
