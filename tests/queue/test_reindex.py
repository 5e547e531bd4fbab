"""Re-analysis after a model change: only stale media are redone, old results are replaced."""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
from fastapi.testclient import TestClient
from sqlalchemy import select

from conftest import jpeg_bytes
from mediaquery.app import create_app
from mediaquery.config import Settings
from mediaquery.context import open_context
from mediaquery.index.query import MediaFilter
from mediaquery.index.tables import analyses, labels
from mediaquery.ingest.reindex import reindex
from mediaquery.ingest.uploads import store_upload
from mediaquery.queue.worker import Worker

RED = jpeg_bytes(np.full((32, 32, 3), (250, 5, 5), np.uint8))
V1, V2 = "mq_test_plugins:ColourAnalyzer", "mq_test_plugins:ColourAnalyzerV2"


def test_model_upgrade_redoes_only_stale_media(make_settings: Callable[..., Settings]) -> None:
    old = open_context(make_settings(analyzers=[V1]))
    for name in ("a.jpg", "b.jpg", "c.jpg"):
        store_upload(old, name, io.BytesIO(RED))
    Worker(old).run(burst=True)
    assert reindex(old, MediaFilter()).names == []  # nothing changed yet
    old.close()

    new = open_context(make_settings(analyzers=[V2]))
    plan = reindex(new, MediaFilter(prefix="a"))
    assert (plan.names, plan.considered) == (["a.jpg"], 1)
    assert reindex(new, MediaFilter()).names == ["b.jpg", "c.jpg"]  # a.jpg already queued
    Worker(new).run(burst=True)
    with new.engine.connect() as conn:
        versions = set(
            conn.execute(
                select(analyses.c.version).where(analyses.c.analyzer == "colour")
            ).scalars()
        )
        label_rows = conn.execute(select(labels.c.name, labels.c.analyzer_version)).all()
    assert versions == {"2"}
    assert sorted(label_rows) == sorted([("Red", "2"), ("Colour", "2")] * 3)  # replaced
    assert reindex(new, MediaFilter()).names == []
    assert reindex(new, MediaFilter(), force=True).names == ["a.jpg", "b.jpg", "c.jpg"]
    new.close()


def test_reindex_api_and_unknown_analyzer(make_settings: Callable[..., Settings]) -> None:
    app = create_app(make_settings(analyzers=[V1]), background=False)
    with TestClient(app) as client:
        client.put("/v1/media/a.jpg", content=RED)
        Worker(app.state.ctx).run(burst=True)
        r = client.post("/v1/reindex", json={"force": True})
        assert r.json() == {"queued": 1, "considered": 1}
        assert client.get("/v1/jobs").json()["jobs"]["queued"] == 1
        r = client.post("/v1/reindex", json={"analyzers": ["nope"]})
        assert r.status_code == 400 and "nope" in r.json()["message"]
