"""Media names: relative, `/`-separated paths that are safe as file names and object keys."""

from __future__ import annotations

import unicodedata

from mediaquery.errors import InvalidName

MAX_NAME_BYTES = 1024
MAX_SEGMENT_BYTES = 255  # a file name's limit on common file systems (NAME_MAX)


def validate_name(name: str) -> str:
    """Return the name if it is a safe media name, else raise InvalidName with the reason."""
    if not name:
        raise InvalidName("Media name is empty")
    if len(name.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES:
        raise InvalidName(f"Media name is longer than {MAX_NAME_BYTES} bytes")
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in name):
        raise InvalidName("Media name contains NUL or control characters")
    if name.startswith("/") or "\\" in name or (len(name) > 1 and name[1] == ":"):
        raise InvalidName("Media name must be a relative path with '/' separators")
    for part in name.split("/"):
        if part in ("", ".", ".."):
            raise InvalidName("Media name must not contain empty, '.' or '..' path segments")
        if part.startswith("."):
            raise InvalidName("Path segments starting with '.' are reserved for temporary files")
        if len(part.encode("utf-8")) > MAX_SEGMENT_BYTES:
            raise InvalidName(
                f"Each '/'-separated part of a media name is at most {MAX_SEGMENT_BYTES} bytes; "
                f"{part[:40]}… has {len(part.encode('utf-8'))}"
            )
    return name


def is_valid_name(name: str) -> bool:
    """True when validate_name accepts the name."""
    try:
        validate_name(name)
    except InvalidName:
        return False
    return True
