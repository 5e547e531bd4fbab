"""An S3-compatible bucket (AWS S3, MinIO, ...) as the storage: objects are keys under a prefix.

Nothing is ever held whole in memory: uploads go up in parts, reads stream, and analysis gets
a temporary local copy (`fetch`) that is removed afterwards. The object's ETag is its version."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO, cast

from botocore.exceptions import BotoCoreError, ClientError

from mediaquery.errors import BadRequest, NotFound, PayloadTooLarge, TransientError
from mediaquery.mediatypes import SNIFF_BYTES, sniff
from mediaquery.names import is_valid_name, validate_name
from mediaquery.storage.base import Page, StoredObject

CHUNK = 1024 * 1024
PART_SIZE = 8 * 1024 * 1024  # S3 wants parts of at least 5 MiB (but the last)
MISSING = ("NoSuchKey", "404", "NotFound")
MAX_KEY_BYTES = 1024


class S3Storage:
    """Objects are the keys `prefix + name` of one bucket; `client` is a boto3 S3 client."""

    def __init__(
        self, client: Any, bucket: str, prefix: str, tmp_dir: Path, page_size: int = 1000
    ) -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.tmp_dir = tmp_dir
        self.page_size = page_size

    @property
    def description(self) -> str:
        """The bucket and prefix as an s3:// address."""
        return f"s3://{self.bucket}/{self.prefix}"

    def key(self, name: str) -> str:
        """The object key of a media name."""
        return self.prefix + validate_name(name)

    def location(self, name: str) -> tuple[str, str]:
        """(bucket, key) of a media item, for services that read it from S3 themselves."""
        return self.bucket, self.key(name)

    def local_path(self, name: str) -> None:
        """Objects are streamed from the bucket."""
        return None

    def folder(self) -> None:
        """No folder to watch: the bucket sends event notifications."""
        return None

    def event_source(self) -> S3Storage:
        """The bucket's notifications name keys of this bucket."""
        return self

    def pages(self) -> S3Storage:
        """Listed in pages of `page_size` keys, resumable after any key."""
        return self

    def name_of(self, key: str) -> str | None:
        """The media name of a key, or None for keys outside the prefix or not valid as names."""
        if not key.startswith(self.prefix):
            return None
        name = key[len(self.prefix) :]
        return name if is_valid_name(name) else None

    @contextmanager
    def _errors(self, name: str) -> Iterator[None]:
        """S3 failures as our errors: a missing key is NotFound, the rest is worth a retry."""
        try:
            yield
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = str(error.get("Code", ""))
            if code in MISSING:
                raise NotFound(f"Media file ({name}) not found") from exc
            message = error.get("Message") or code
            raise TransientError(f"S3 bucket {self.bucket}: {code}: {message}") from exc
        except BotoCoreError as exc:
            raise TransientError(f"S3 bucket {self.bucket} is unreachable: {exc}") from exc

    def check_put(self, name: str) -> None:
        """Keys hold at most 1024 bytes, the prefix included."""
        if len(self.key(name).encode()) > MAX_KEY_BYTES:
            raise BadRequest(f"Media name ({name}) is too long for a key of {self.description}")

    def put(self, name: str, src: BinaryIO, max_bytes: int) -> StoredObject:
        """Upload src (one request, or parts of 8 MiB); nothing is stored past max_bytes."""
        key = self.key(name)
        first = _read_part(src, PART_SIZE, max_bytes, 0)
        content_type = sniff(first[:SNIFF_BYTES]).content_type or "application/octet-stream"
        with self._errors(name):
            if len(first) < PART_SIZE:
                done = self.client.put_object(
                    Bucket=self.bucket, Key=key, Body=first, ContentType=content_type
                )
                return StoredObject(name, len(first), _etag(done["ETag"]))
            return self._put_parts(name, key, src, first, content_type, max_bytes)

    def _put_parts(
        self, name: str, key: str, src: BinaryIO, first: bytes, content_type: str, max_bytes: int
    ) -> StoredObject:
        upload = self.client.create_multipart_upload(
            Bucket=self.bucket, Key=key, ContentType=content_type
        )
        upload_id = upload["UploadId"]
        parts: list[dict[str, Any]] = []
        size, data = 0, first
        try:
            while data:
                number = len(parts) + 1
                sent = self.client.upload_part(
                    Bucket=self.bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=data
                )
                parts.append({"ETag": sent["ETag"], "PartNumber": number})
                size += len(data)
                data = _read_part(src, PART_SIZE, max_bytes, size)
            done = self.client.complete_multipart_upload(
                Bucket=self.bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
            )
        except BaseException:
            try:
                self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
            except (ClientError, BotoCoreError):
                pass  # the bucket's lifecycle rules clean up what an abort could not
            raise
        return StoredObject(name, size, _etag(done["ETag"]))

    def open(self, name: str) -> BinaryIO:
        """The object's body as a stream (read it in chunks)."""
        with self._errors(name):
            got = self.client.get_object(Bucket=self.bucket, Key=self.key(name))
        return cast(BinaryIO, got["Body"])

    @contextmanager
    def fetch(self, name: str) -> Iterator[Path]:
        """Stream the object into a temporary file, chunk by chunk; removed afterwards."""
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        suffix = PurePosixPath(name).suffix[:16]
        fd, tmp = tempfile.mkstemp(prefix=".fetch-", suffix=suffix, dir=self.tmp_dir)
        path = Path(tmp)
        try:
            with os.fdopen(fd, "wb") as out, self.open(name) as body, self._errors(name):
                while chunk := body.read(CHUNK):
                    out.write(chunk)
            yield path
        finally:
            path.unlink(missing_ok=True)

    def iter_range(self, name: str, start: int, end: int) -> Iterator[bytes]:
        """Bytes start..end (inclusive) with one ranged GET, a chunk at a time."""
        with self._errors(name):
            got = self.client.get_object(
                Bucket=self.bucket, Key=self.key(name), Range=f"bytes={start}-{end}"
            )
        body = got["Body"]

        def chunks() -> Iterator[bytes]:
            with body:
                yield from body.iter_chunks(CHUNK)

        return chunks()

    def stat(self, name: str) -> StoredObject | None:
        """Size and ETag from a HEAD request, or None when the key does not exist."""
        try:
            with self._errors(name):
                head = self.client.head_object(Bucket=self.bucket, Key=self.key(name))
        except NotFound:
            return None
        return StoredObject(name, int(head["ContentLength"]), _etag(head["ETag"]))

    def delete(self, name: str) -> bool:
        """Delete the key; False if it did not exist (S3 itself does not say)."""
        if self.stat(name) is None:
            return False
        with self._errors(name):
            self.client.delete_object(Bucket=self.bucket, Key=self.key(name))
        return True

    def list(self) -> Iterator[StoredObject]:
        """Every object under the prefix, in key order."""
        for page in self.list_pages(None, self.page_size):
            yield from page.objects

    def list_pages(self, start_after: str | None, page_size: int) -> Iterator[Page]:
        """ListObjectsV2 pages after the key `prefix + start_after`, following continuations."""
        args: dict[str, Any] = {"Bucket": self.bucket, "Prefix": self.prefix, "MaxKeys": page_size}
        if start_after:
            args["StartAfter"] = self.prefix + start_after
        while True:
            with self._errors(self.prefix):
                listed = self.client.list_objects_v2(**args)
            contents = listed.get("Contents", [])
            objects = [
                StoredObject(name, int(item["Size"]), _etag(item["ETag"]))
                for item in contents
                if (name := self.name_of(item["Key"])) is not None
            ]
            last = contents[-1]["Key"][len(self.prefix) :] if contents else None
            truncated = bool(listed.get("IsTruncated")) and bool(contents)
            yield Page(objects, last, truncated)
            if not truncated:
                return
            args["ContinuationToken"] = listed["NextContinuationToken"]


def _etag(raw: str) -> str:
    return raw.strip('"')


def _read_part(src: BinaryIO, size: int, max_bytes: int, before: int) -> bytes:
    """Read up to `size` bytes (fewer only at the end); PayloadTooLarge past max_bytes in all."""
    chunks, got = [], 0
    while got < size and (chunk := src.read(min(CHUNK, size - got))):
        chunks.append(chunk)
        got += len(chunk)
        if before + got > max_bytes:
            raise PayloadTooLarge(f"Upload is larger than the limit of {max_bytes} bytes")
    return b"".join(chunks)
