"""Stream an object from a remote bucket to an HTTP client, answering single Range requests."""

from __future__ import annotations

from urllib.parse import quote

from starlette.responses import Response, StreamingResponse

from mediaquery.errors import Conflict
from mediaquery.storage.base import Storage


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive byte range a `Range` header asks for; None for the whole object.

    Only one range is served (like S3 itself); several ranges, other units or a malformed
    header get the whole object, as HTTP allows. An unsatisfiable range raises ValueError."""
    if not header or not header.startswith("bytes=") or "," in header:
        return None
    first, sep, last = header[6:].strip().partition("-")
    if not sep or not (first.isdigit() or last.isdigit()):
        return None
    if not first:  # the last N bytes
        if int(last) == 0 or size == 0:
            raise ValueError("empty suffix range")
        return max(0, size - int(last)), size - 1
    start = int(first)
    end = int(last) if last.isdigit() else size - 1
    if start >= size:
        raise ValueError("range starts past the end")
    if end < start:
        return None
    return start, min(end, size - 1)


def stream_object(
    storage: Storage,
    name: str,
    content_type: str | None,
    range_header: str | None,
    headers: dict[str, str],
) -> Response:
    """200 with the whole object, 206 with the asked range, or 416; Conflict when it is gone."""
    stored = storage.stat(name)
    if stored is None:
        raise Conflict(f"{name} is indexed but its file is gone")
    size = stored.size
    filename = name.rsplit("/", 1)[-1]
    quoted = quote(filename)
    disposition = (
        f'inline; filename="{filename}"'
        if quoted == filename
        else f"inline; filename*=utf-8''{quoted}"
    )
    headers = {**headers, "Accept-Ranges": "bytes", "Content-Disposition": disposition}
    try:
        wanted = parse_range(range_header, size)
    except ValueError:
        return Response(status_code=416, headers={**headers, "Content-Range": f"bytes */{size}"})
    start, end = wanted if wanted else (0, size - 1)
    headers["Content-Length"] = str(end - start + 1)
    status = 200
    if wanted:
        status = 206
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    if size == 0:
        return Response(b"", status_code=200, headers=headers, media_type=content_type)
    chunks = storage.iter_range(name, start, end)
    return StreamingResponse(chunks, status_code=status, headers=headers, media_type=content_type)
