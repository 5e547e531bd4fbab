"""Errors of the model catalogue: unknown names, failed downloads, wrong checksums."""

from __future__ import annotations

from mediaquery.errors import BadRequest, MediaQueryError, NotFound


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
