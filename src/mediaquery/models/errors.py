"""The model catalogue's errors, declared in `mediaquery.errors`; importable from here too,
for code written against the earlier layout."""

from mediaquery.errors import (
    BadModelFile,
    ChecksumMismatch,
    DownloadError,
    ModelNotInstalled,
    UnknownModel,
)

__all__ = ["BadModelFile", "ChecksumMismatch", "DownloadError", "ModelNotInstalled", "UnknownModel"]
