"""Media type from the content's magic bytes, never from the file name."""

from __future__ import annotations

from dataclasses import dataclass

from mediaquery.domain import MediaType

SNIFF_BYTES = 64


@dataclass(frozen=True, slots=True)
class Sniffed:
    type: MediaType
    content_type: str


UNKNOWN = Sniffed(MediaType.UNKNOWN, "application/octet-stream")

_QUICKTIME_BRANDS = {b"qt  "}


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
        return Sniffed(MediaType.IMAGE, "image/tiff")
    if head[4:8] == b"ftyp":
        return _sniff_iso_bmff(head[8:12])
    if head[:4] == b"\x1a\x45\xdf\xa3":
        webm = b"webm" in head[:SNIFF_BYTES]
        return Sniffed(MediaType.VIDEO, "video/webm" if webm else "video/x-matroska")
    return UNKNOWN


def _sniff_iso_bmff(brand: bytes) -> Sniffed:
    # HEIF/AVIF stills share the container with MP4; we have no decoder for them yet.
    if brand in (b"heic", b"heix", b"mif1", b"msf1", b"avif", b"avis"):
        return UNKNOWN
    if brand in _QUICKTIME_BRANDS:
        return Sniffed(MediaType.VIDEO, "video/quicktime")
    return Sniffed(MediaType.VIDEO, "video/mp4")
