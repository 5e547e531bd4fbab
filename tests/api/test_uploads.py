"""Uploads as a client sees them: a multipart upload is all or nothing, and 201 means new."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient

from conftest import jpeg_bytes
from mediaquery.app import create_app
from mediaquery.config import Settings
from mediaquery.context import Context
from mediaquery.ingest.uploads import store_uploads
from mq_server import Server

RED = jpeg_bytes(np.full((40, 60, 3), (250, 5, 5), np.uint8))
BLUE = jpeg_bytes(np.full((40, 60, 3), (5, 5, 250), np.uint8))


@pytest.fixture
def api(make_settings: Callable[..., Settings]) -> Iterator[TestClient]:
    app = create_app(make_settings(analyzers=["mq_test_plugins:ColourAnalyzer"]), background=False)
    with TestClient(app) as c:
        yield c


def _names(api: TestClient) -> list[str]:
    return [x["name"] for x in api.get("/v1/media").json()["items"]]


def _bucket(api: TestClient) -> list[str]:
    media: Path = api.app.state.ctx.settings.media_dir  # type: ignore[attr-defined]
    return sorted(p.relative_to(media).as_posix() for p in media.rglob("*") if p.is_file())


@pytest.mark.parametrize(
    "bad",
    [
        "folder",  # an existing folder of the bucket
        "a.jpg/b.jpg",  # below a file sent in the same upload
        "x" * 300 + ".jpg",  # longer than a file name can be
        "a.jpg",  # twice in one upload
    ],
)
def test_multipart_upload_with_a_later_bad_name_stores_nothing(api: TestClient, bad: str) -> None:
    assert api.put("/v1/media/folder/old.jpg", content=RED).status_code == 201
    files = [("files", (n, RED, "image/jpeg")) for n in ("a.jpg", "b.jpg", bad)]
    r = api.post("/v1/media", files=files)
    assert r.status_code == 400, r.text
    assert r.json()["code"] and bad[:20] in r.json()["message"]
    assert _names(api) == ["folder/old.jpg"]
    assert _bucket(api) == ["folder/old.jpg"]


class _BrokenStream(io.BytesIO):
    """A body that breaks after its first bytes (a client gone, a disk error)."""

    def read(self, size: int | None = -1) -> bytes:
        if self.tell() > 0:
            raise OSError("connection reset while reading the upload")
        return super().read(size)


def test_a_failure_while_storing_rolls_back_what_was_stored(api: TestClient) -> None:
    ctx: Context = api.app.state.ctx  # type: ignore[attr-defined]
    assert api.put("/v1/media/keep.jpg", content=RED).status_code == 201
    uploads = [("keep.jpg", io.BytesIO(BLUE)), ("new.jpg", io.BytesIO(BLUE)),
               ("late.jpg", _BrokenStream(RED))]  # fmt: skip
    with pytest.raises(OSError, match="connection reset"):
        store_uploads(ctx, uploads)
    assert _bucket(api) == ["keep.jpg"]
    assert (ctx.settings.media_dir / "keep.jpg").read_bytes() == RED  # the replaced one is back
    assert _names(api) == ["keep.jpg"]
    assert api.get("/v1/media/keep.jpg").json()["etag"] == hashlib.sha256(RED).hexdigest()


def test_multipart_upload_that_fits_stores_everything(api: TestClient) -> None:
    files = [("files", (n, RED, "image/jpeg")) for n in ("a.jpg", "b.jpg")]
    r = api.post("/v1/media", files=files, data={"prefix": "trip/"})
    assert r.status_code == 201
    assert [x["name"] for x in r.json()["items"]] == ["trip/a.jpg", "trip/b.jpg"]
    assert _bucket(api) == ["trip/a.jpg", "trip/b.jpg"]


@pytest.mark.slow
@pytest.mark.model
def test_concurrent_uploads_of_new_names_answer_201_with_the_watcher_on(
    tmp_path: Path, model_cache: Path
) -> None:
    """The watcher often indexes an uploaded file before the upload does: the answer must
    still say what the client did (created a new name), not what the index saw."""
    server = Server(tmp_path / "data", model_cache, env={"MEDIAQUERY_ANALYZERS": '["labels"]'})
    server.start()
    try:
        names = [f"burst/{i:03d}.jpg" for i in range(60)]

        def put(name: str) -> int:
            data = RED + name.encode()  # distinct content (bytes after the JPEG's end)
            return httpx.put(f"{server.url}/v1/media/{name}", content=data, timeout=60).status_code

        with ThreadPoolExecutor(8) as pool:
            codes = dict(zip(names, pool.map(put, names), strict=True))
        assert {n: c for n, c in codes.items() if c != 201} == {}
        assert put(names[0]) == 200  # an upload over an existing name replaces it
    finally:
        server.stop()
