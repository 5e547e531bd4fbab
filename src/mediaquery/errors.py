"""One error hierarchy: each error knows its HTTP status and a stable code."""

from __future__ import annotations


class MediaQueryError(Exception):
    """Base error; `status` is the HTTP status, `code` a stable machine-readable name."""

    status: int = 500
    code: str = "InternalError"
    headers: dict[str, str] | None = None  # extra response headers (e.g. WWW-Authenticate)

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(MediaQueryError):
    status = 400
    code = "BadRequest"


class InvalidName(BadRequest):
    code = "InvalidName"


class InvalidCursor(BadRequest):
    code = "InvalidCursor"


class NotFound(MediaQueryError):
    status = 404
    code = "NotFoundError"


class Unauthorized(MediaQueryError):
    status = 401
    code = "Unauthorized"
    headers = {"WWW-Authenticate": 'Bearer realm="mediaquery"'}


class Forbidden(MediaQueryError):
    status = 403
    code = "Forbidden"


class Conflict(MediaQueryError):
    status = 409
    code = "Conflict"


class PayloadTooLarge(MediaQueryError):
    status = 413
    code = "PayloadTooLarge"


class UnsupportedMediaType(MediaQueryError):
    status = 415
    code = "UnsupportedMediaType"


class AnalysisError(MediaQueryError):
    """The media could not be analysed; the item ends `failed` with this message."""

    status = 422
    code = "AnalysisFailed"


class TransientError(MediaQueryError):
    """A failure worth retrying (a busy database, a storage hiccup)."""

    status = 503
    code = "Unavailable"
    headers = {"Retry-After": "1"}


class Overloaded(TransientError):
    """Too many requests at once: try again in a moment."""

    code = "Overloaded"
