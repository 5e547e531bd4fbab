"""GET /v1/models, analyzers whose model is missing, and what start-up downloads (nothing,
unless models.auto_pull says so)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient

from conftest import jpeg_bytes
from mediaquery.app import create_app
from mediaquery.config import Settings
from mediaquery.models import install, store
from mediaquery.queue.worker import Worker
from mq_models import TINY_SHA, FileServer

COLOUR = "mq_test_plugins:ColourAnalyzer"
NEEDS = "mq_test_plugins:NeedsModelAnalyzer"
RED = jpeg_bytes(np.full((48, 48, 3), (250, 5, 5), np.uint8))


def settings_for(make_settings: Callable[..., Settings], model_dir: Path, server: FileServer,
                 **kw: object) -> Settings:  # fmt: skip
    return make_settings(analyzers=[COLOUR, NEEDS], models_dir=model_dir,
                         models={"mirror": server.url, **kw})  # fmt: skip


def test_models_endpoint_shows_catalogue_builtins_and_unavailable_analyzers(
    make_settings, model_dir, file_server, tiny
) -> None:
    app = create_app(settings_for(make_settings, model_dir, file_server), background=False)
    with TestClient(app) as client:
        body = client.get("/v1/models").json()
        models = {m["name"]: m for m in body["models"]}
        assert {"clip-vit-b32-image", "clip-vit-b32-text", "clip-bpe-vocab", "yolov8n-coco",
                "tiny-model", "nudenet-320n", "efficientnet-lite0"} <= set(models)  # fmt: skip
        yolo = models["yolov8n-coco"]
        assert yolo["kind"] == "catalogue" and yolo["licence"] == "AGPL-3.0"
        assert yolo["installed"] is False and yolo["sha256"] and yolo["size"] == 12_823_574
        assert yolo["source"] == f"{file_server.url}/yolov8n-coco/yolov8n.onnx"  # the mirror
        assert models["clip-bpe-vocab"]["archive_member"].endswith("bpe_simple_vocab_16e6.txt.gz")
        assert models["nudenet-320n"]["kind"] == "builtin" and models["nudenet-320n"]["installed"]
        assert len(models["nudenet-320n"]["sha256"]) == 64
        assert models["tiny-model"]["used_by"] == ["needsmodel"]
        [missing] = body["unavailable"]
        assert missing["name"] == "needsmodel" and missing["requires"] == ["tiny-model"]
        assert "mediaquery models pull tiny-model" in missing["reason"]
        assert {a["name"]: a["available"] for a in body["analyzers"]} == {
            "colour": True, "needsmodel": False,
        }  # fmt: skip

        install.pull(model_dir, tiny, mirror=file_server.url)
        body = client.get("/v1/models").json()
        tiny_row = next(m for m in body["models"] if m["name"] == "tiny-model")
        assert tiny_row["installed"] and tiny_row["installed_sha256"] == TINY_SHA
        assert body["unavailable"] == []


def test_missing_model_is_recorded_in_provenance_and_the_item_still_ends_done(
    make_settings, model_dir, file_server, tiny, caplog
) -> None:
    app = create_app(settings_for(make_settings, model_dir, file_server), background=False)
    with TestClient(app) as client:
        assert client.put("/v1/media/red.jpg", content=RED).status_code == 201
        with caplog.at_level(logging.WARNING):
            Worker(app.state.ctx).run(burst=True)
        assert "analyzer needsmodel is unavailable and will be skipped" in caplog.text  # start
        item = client.get("/v1/media/red.jpg").json()
        assert item["status"] == "done" and item["error"] is None
        assert "Red" in [x["name"] for x in item["labels"]]  # the other analyzer ran
        runs = {a["analyzer"]: a for a in item["analyses"]}
        assert runs["colour"]["status"] == "done" and runs["colour"]["reason"] is None
        assert runs["needsmodel"]["status"] == "unavailable"
        assert "tiny-model not installed" in runs["needsmodel"]["reason"]

        # installing the model, then `reindex`, runs what was skipped
        install.pull(model_dir, tiny, mirror=file_server.url)
        assert client.post("/v1/reindex", json={}).json() == {"queued": 1, "considered": 1}
        Worker(app.state.ctx).run(burst=True)
        runs = {a["analyzer"]: a for a in client.get("/v1/media/red.jpg").json()["analyses"]}
        assert runs["needsmodel"]["status"] == "done" and runs["needsmodel"]["reason"] is None
        assert runs["colour"]["status"] == "done"


def test_start_up_downloads_nothing_unless_auto_pull_is_on(
    make_settings, model_dir, file_server, tiny
) -> None:
    s = settings_for(make_settings, model_dir, file_server)
    with TestClient(create_app(s)) as client:  # lifespan: start-up runs
        assert client.get("/healthz").status_code == 200
        time.sleep(0.3)
    assert file_server.requests == []
    assert store.installed_path(model_dir, "tiny-model") is None

    s = settings_for(make_settings, model_dir, file_server, auto_pull=True)
    with TestClient(create_app(s)) as client:
        deadline = time.monotonic() + 20
        while store.installed_path(model_dir, "tiny-model") is None:
            assert time.monotonic() < deadline, "auto_pull did not install the model"
            time.sleep(0.05)
        models = {m["name"]: m for m in client.get("/v1/models").json()["models"]}
        assert models["tiny-model"]["installed_sha256"] == TINY_SHA
    assert [r["path"] for r in file_server.requests] == ["/tiny-model/tiny.onnx"]
