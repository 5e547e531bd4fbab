"""An S3-compatible bucket as the storage: uploads, reads, deletes, thumbnails and analysis.

No MinIO can be installed here: moto's S3 server (`moto.server.ThreadedMotoServer`, real HTTP
on 127.0.0.1, see tests/mq_s3.py) is the bucket, reached with boto3 exactly like MinIO or AWS."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image

import mq_s3
from conftest import jpeg_bytes
from mediaquery.app import create_app
from mediaquery.config import Settings
from mediaquery.context import open_context
from mediaquery.errors import NotFound, PayloadTooLarge
from mediaquery.ingest.watcher import watch_bucket
from mediaquery.queue.worker import Worker
from mediaquery.storage.local import LocalStorage
from mediaquery.storage.open import StorageSettingError, open_storage
from mediaquery.storage.s3 import PART_SIZE, S3Storage

RED = jpeg_bytes(np.full((48, 64, 3), (250, 5, 5), np.uint8))
BLUE = jpeg_bytes(np.full((48, 64, 3), (5, 5, 250), np.uint8))
COLOUR = ["mq_test_plugins:ColourAnalyzer"]


@pytest.fixture
def bucket(monkeypatch: pytest.MonkeyPatch) -> str:
    mq_s3.use_credentials(monkeypatch)
    return mq_s3.new_bucket()


@pytest.fixture
def s3_settings(make_settings: Callable[..., Settings], bucket: str) -> Settings:
    return make_settings(storage_url=mq_s3.storage_url(bucket, "media"), analyzers=COLOUR)


@pytest.fixture
def app(s3_settings: Settings) -> FastAPI:
    return create_app(s3_settings, background=False)


def labels(client: TestClient, name: str) -> list[str]:
    item = client.get(f"/v1/media/{name}").json()
    assert item["status"] == "done", item
    return [x["name"] for x in item["labels"]]


def test_upload_read_replace_and_delete_through_the_api(
    client: TestClient, drain: Callable[[], int], bucket: str, s3_settings: Settings
) -> None:
    r = client.put("/v1/media/pets/red.jpg", content=RED)
    assert r.status_code == 201 and r.json()["status"] == "pending"
    assert mq_s3.keys(bucket) == ["media/pets/red.jpg"]
    assert not s3_settings.media_dir.exists() or not any(s3_settings.media_dir.iterdir())
    drain()
    assert "Red" in labels(client, "pets/red.jpg")

    got = client.get("/v1/media/pets/red.jpg/file")
    assert got.status_code == 200 and got.content == RED
    assert got.headers["content-type"] == "image/jpeg"
    assert got.headers["accept-ranges"] == "bytes"
    part = client.get("/v1/media/pets/red.jpg/file", headers={"Range": "bytes=2-9"})
    assert part.status_code == 206 and part.content == RED[2:10]
    assert part.headers["content-range"] == f"bytes 2-9/{len(RED)}"
    tail = client.get("/v1/media/pets/red.jpg/file", headers={"Range": "bytes=-4"})
    assert tail.status_code == 206 and tail.content == RED[-4:]
    past = client.get("/v1/media/pets/red.jpg/file", headers={"Range": f"bytes={len(RED)}-"})
    assert past.status_code == 416 and past.headers["content-range"] == f"bytes */{len(RED)}"
    thumb = client.get("/v1/media/pets/red.jpg/thumbnail")
    assert thumb.status_code == 200 and Image.open(io.BytesIO(thumb.content)).format == "JPEG"

    r = client.put("/v1/media/pets/red.jpg", content=BLUE)
    assert r.status_code == 200
    drain()
    assert "Blue" in labels(client, "pets/red.jpg")
    assert client.get("/v1/media/pets/red.jpg/file").content == BLUE

    assert client.delete("/v1/media/pets/red.jpg").status_code == 204
    assert mq_s3.keys(bucket) == []
    assert client.get("/v1/media/pets/red.jpg").status_code == 404
    assert client.delete("/v1/media/pets/red.jpg").status_code == 404
    assert list(s3_settings.data_dir.joinpath("tmp").glob("*")) == []  # fetched copies are gone


def test_multipart_form_upload_with_spaces_and_unicode(
    client: TestClient, drain: Callable[[], int], bucket: str
) -> None:
    files = [("files", ("a b ü.jpg", RED, "image/jpeg")), ("files", ("été.jpg", BLUE, "x/y"))]
    r = client.post("/v1/media", files=files, data={"prefix": "trip 1/"})
    assert r.status_code == 201
    assert sorted(mq_s3.keys(bucket)) == ["media/trip 1/a b ü.jpg", "media/trip 1/été.jpg"]
    drain()
    assert "Red" in labels(client, "trip 1/a b ü.jpg")
    got = client.get("/v1/media/trip 1/été.jpg/file")
    assert (
        got.content == BLUE
        and "filename*=utf-8''%C3%A9t%C3%A9.jpg" in got.headers["content-disposition"]
    )


def test_too_large_uploads_get_413_and_leave_nothing(
    make_settings: Callable[..., Settings], bucket: str
) -> None:
    s = make_settings(storage_url=mq_s3.storage_url(bucket), analyzers=COLOUR)
    s.max_upload_bytes = 1000
    with TestClient(create_app(s, background=False)) as c:
        r = c.put("/v1/media/big.jpg", content=RED + b"\0" * 1000)
        assert r.status_code == 413 and r.json()["code"] == "PayloadTooLarge"
    assert mq_s3.keys(bucket) == []


def test_large_objects_go_up_in_parts_bounded_by_the_limit(
    s3_settings: Settings, bucket: str
) -> None:
    storage = open_storage(s3_settings)
    assert isinstance(storage, S3Storage)
    big = RED + bytes(2 * PART_SIZE + 12345)  # three parts
    stored = storage.put("big.jpg", io.BytesIO(big), max_bytes=len(big))
    assert stored.size == len(big) and stored.version.endswith("-3")  # a multipart ETag
    assert storage.stat("big.jpg") == stored
    assert b"".join(storage.iter_range("big.jpg", 0, len(big) - 1)) == big
    with pytest.raises(PayloadTooLarge):
        storage.put("bigger.jpg", io.BytesIO(big), max_bytes=PART_SIZE + 10)
    assert mq_s3.keys(bucket) == ["media/big.jpg"]
    assert mq_s3.client().list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []


def test_fetch_streams_to_a_temporary_file_that_is_removed(s3_settings: Settings) -> None:
    storage = open_storage(s3_settings)
    storage.put("deep/x.jpg", io.BytesIO(RED), max_bytes=10_000)
    with storage.fetch("deep/x.jpg") as path:
        assert path.read_bytes() == RED and path.suffix == ".jpg"
        assert path.parent == s3_settings.data_dir / "tmp"
    assert not path.exists()
    with pytest.raises(NotFound), storage.fetch("nope.jpg"):
        pass
    assert list((s3_settings.data_dir / "tmp").iterdir()) == []
    assert storage.stat("nope.jpg") is None and storage.delete("nope.jpg") is False


def test_a_missing_bucket_is_a_clear_503_not_a_crash(
    make_settings: Callable[..., Settings], monkeypatch: pytest.MonkeyPatch
) -> None:
    mq_s3.use_credentials(monkeypatch)
    s = make_settings(storage_url=mq_s3.storage_url("no-such-bucket-here"), analyzers=COLOUR)
    with TestClient(create_app(s, background=False)) as c:
        r = c.put("/v1/media/a.jpg", content=RED)
    assert r.status_code == 503 and "NoSuchBucket" in r.json()["message"]


def test_storage_url_choices(make_settings: Callable[..., Settings], tmp_path: Path) -> None:
    assert isinstance(open_storage(make_settings()), LocalStorage)
    folder = open_storage(make_settings(storage_url=f"file://{tmp_path}/elsewhere"))
    assert isinstance(folder, LocalStorage) and folder.root == tmp_path / "elsewhere"
    s3 = open_storage(make_settings(storage_url="s3://bkt/a/b/?region=eu-west-1"))
    assert isinstance(s3, S3Storage) and (s3.bucket, s3.prefix) == ("bkt", "a/b/")
    assert s3.client.meta.region_name == "eu-west-1"
    for bad in ("ftp://x/y", "s3:///nobucket", "s3://bkt?endpoint=http://x"):
        with pytest.raises(StorageSettingError):
            open_storage(make_settings(storage_url=bad))


def test_the_watcher_is_off_for_a_bucket(
    s3_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    import threading

    ctx = open_context(s3_settings)
    with caplog.at_level(logging.INFO, logger="mediaquery.ingest.watcher"):
        watch_bucket(ctx, threading.Event())  # returns at once instead of watching
    ctx.close()
    assert "not watching s3://" in caplog.text


@pytest.mark.slow
@pytest.mark.model
def test_real_labels_analyzer_on_a_photo_from_the_bucket(
    make_settings: Callable[..., Settings], bucket: str, photos: dict[str, bytes]
) -> None:
    s = make_settings(storage_url=mq_s3.storage_url(bucket), analyzers=["labels"])
    application = create_app(s, background=False)
    with TestClient(application) as c:
        assert c.put("/v1/media/cat.jpg", content=photos["cat.jpg"]).status_code == 201
        Worker(application.state.ctx).run(burst=True)
        found = labels(c, "cat.jpg")
    assert "Cat" in found and "Animal" in found


def colour_clip(path: Path) -> bytes:
    """4 s: red for two seconds, then blue."""
    from mq_clips import SIZE, encode

    red, blue = Image.new("RGB", SIZE, (250, 5, 5)), Image.new("RGB", SIZE, (5, 5, 250))
    return encode(path, [red] * 20 + [blue] * 20).read_bytes()


@pytest.mark.slow
def test_a_video_is_analysed_from_the_bucket(
    client: TestClient, app: FastAPI, bucket: str, s3_settings: Settings, tmp_path: Path
) -> None:
    s3_settings.video.chunk_seconds = 2  # two chunks, each fetched from the bucket
    clip = colour_clip(tmp_path / "clip.mp4")
    assert client.put("/v1/media/clips/colours.mp4", content=clip).status_code == 201
    Worker(app.state.ctx).run(burst=True)
    item = client.get("/v1/media/clips/colours.mp4").json()
    assert item["status"] == "done" and item["video"]["duration_ms"] == 4000
    spans = {x["name"]: [(s["start_ms"], s["end_ms"]) for s in x["segments"]]
             for x in item["labels"]}  # fmt: skip
    assert spans["Red"][0][0] == 0 and spans["Red"][-1][1] <= 3000
    assert spans["Blue"][0][0] >= 1000
    poster = client.get("/v1/media/clips/colours.mp4/poster")
    assert poster.status_code == 200 and poster.headers["content-type"] == "image/jpeg"
    assert list((s3_settings.data_dir / "tmp").iterdir()) == []


@pytest.mark.slow
def test_worker_processes_read_from_the_bucket(
    make_settings: Callable[..., Settings], bucket: str
) -> None:
    import time

    s = make_settings(storage_url=mq_s3.storage_url(bucket), analyzers=COLOUR, workers=1)
    with TestClient(create_app(s)) as c:  # spawned workers: credentials from the environment
        assert c.put("/v1/media/w.jpg", content=BLUE).status_code == 201
        deadline = time.monotonic() + 60
        while c.get("/v1/media/w.jpg").json()["status"] != "done":
            assert time.monotonic() < deadline, c.get("/v1/media/w.jpg").json()
            time.sleep(0.1)
        assert "Blue" in labels(c, "w.jpg")
