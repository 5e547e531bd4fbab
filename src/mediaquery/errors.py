"""One error hierarchy: each error knows its HTTP status and a stable code.

Every error class of the package is declared here; the API renders them in one place
(`api/error_render.py`) and the CLI maps them to exit statuses in one place (`cli/exits.py`)."""

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


# --- analyzers and models --------------------------------------------------------------------


class UnknownAnalyzer(MediaQueryError):
    status = 400
    code = "UnknownAnalyzer"


class UnknownModel(NotFound):
    code = "UnknownModel"


class ModelNotInstalled(MediaQueryError):
    status = 409
    code = "ModelNotInstalled"


class DownloadError(MediaQueryError):
    """The source could not be reached or answered with an error; a partial file is kept."""

    status = 502
    code = "DownloadFailed"


class ChecksumMismatch(MediaQueryError):
    """A file's sha256 (or size) differs from the catalogue's; nothing is installed."""

    status = 422
    code = "ChecksumMismatch"


class BadModelFile(BadRequest):
    code = "BadModelFile"


# --- storage and features that need a model or a setting -------------------------------------


class StorageSettingError(MediaQueryError):
    """MEDIAQUERY_STORAGE_URL cannot be used."""

    status = 400
    code = "InvalidStorageUrl"


class EventsOff(MediaQueryError):
    """POST /v1/events/s3 while no MEDIAQUERY_S3_EVENTS_TOKEN is set."""

    status = 404
    code = "S3EventsOff"


class SearchUnavailable(MediaQueryError):
    """Search needs the CLIP text encoder and vocabulary: not installed, or an unusable export."""

    status = 503
    code = "SearchUnavailable"


class FacesUnavailable(MediaQueryError):
    """Face search needs the face models, and they are not installed."""

    status = 503
    code = "FacesUnavailable"
