"""Build the storage that `MEDIAQUERY_STORAGE_URL` names: the local folder or an S3 bucket."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, unquote, urlsplit

from mediaquery.config import Settings
from mediaquery.errors import StorageSettingError
from mediaquery.storage.base import Storage
from mediaquery.storage.local import LocalStorage

if TYPE_CHECKING:
    from mediaquery.storage.s3 import S3Storage

S3_OPTIONS = {"endpoint_url", "region", "addressing_style"}


def open_storage(settings: Settings) -> Storage:
    """LocalStorage on DATA_DIR/media by default; S3Storage for an s3:// URL."""
    url = settings.storage_url
    if not url:
        return LocalStorage(settings.media_dir)
    parts = urlsplit(url)
    if parts.scheme == "s3":
        return open_s3(url, settings.data_dir / "tmp")
    if parts.scheme == "file":
        return LocalStorage(Path(unquote(parts.path)))
    raise StorageSettingError(
        f"MEDIAQUERY_STORAGE_URL must be s3://bucket[/prefix]?endpoint_url=...&region=... "
        f"or file:///folder, not {url!r}"
    )


def open_s3(url: str, tmp_dir: Path) -> S3Storage:
    """An S3Storage for `s3://bucket[/prefix]?endpoint_url=...&region=...&addressing_style=...`.

    Credentials come from boto3's usual chain (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY,
    AWS_PROFILE, instance roles). With an endpoint_url (MinIO and other S3-compatible servers)
    path-style addressing is the default, since such servers rarely have per-bucket host names.
    """
    import boto3
    from botocore.config import Config

    from mediaquery.storage.s3 import S3Storage

    parts = urlsplit(url)
    bucket = parts.netloc
    if not bucket:
        raise StorageSettingError(f"MEDIAQUERY_STORAGE_URL names no bucket: {url!r}")
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    unknown = sorted(set(query) - S3_OPTIONS)
    if unknown:
        raise StorageSettingError(
            f"MEDIAQUERY_STORAGE_URL has unknown options {unknown}; known: {sorted(S3_OPTIONS)}"
        )
    endpoint = query.get("endpoint_url")
    style = query.get("addressing_style", "path" if endpoint else "auto")
    if style not in ("path", "virtual", "auto"):
        raise StorageSettingError("addressing_style must be path, virtual or auto")
    config = Config(s3={"addressing_style": style}, retries={"max_attempts": 5, "mode": "standard"})
    client = boto3.client(
        "s3", endpoint_url=endpoint, region_name=query.get("region"), config=config
    )
    return S3Storage(client, bucket, unquote(parts.path), tmp_dir)
