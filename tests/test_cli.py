"""The `mediaquery` command, as a user types it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from conftest import jpeg_bytes
from mediaquery.cli import app

RED = jpeg_bytes(np.full((40, 40, 3), (250, 5, 5), np.uint8))
BLUE = jpeg_bytes(np.full((40, 40, 3), (5, 5, 250), np.uint8))


@pytest.fixture
def cli(tmp_path: Path, model_cache: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("MEDIAQUERY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MEDIAQUERY_MODELS_DIR", str(model_cache))
    monkeypatch.setenv("MEDIAQUERY_ANALYZERS", '["mq_test_plugins:ColourAnalyzer"]')
    runner = CliRunner()
    return lambda *args: runner.invoke(app, list(args), catch_exceptions=False)


@pytest.fixture
def photo_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "trip"
    (folder / "day1").mkdir(parents=True)
    (folder / "day1" / "red.jpg").write_bytes(RED)
    (folder / "blue.jpg").write_bytes(BLUE)
    (folder / "notes.txt").write_text("not a picture")
    return folder


def test_ingest_folder_waits_for_analysis_and_reports_bad_files(cli, photo_dir: Path) -> None:
    r = cli("ingest", str(photo_dir))
    assert r.exit_code == 1  # one file was skipped
    assert "notes.txt" in r.output and "Unsupported media type" in r.output
    r = cli("ls", "--json")
    rows = [json.loads(line) for line in r.output.splitlines()]
    assert {x["name"]: x["status"] for x in rows} == {
        "trip/blue.jpg": "done",
        "trip/day1/red.jpg": "done",
    }


def test_ls_label_matches_plurals_and_multi_word_names(
    cli, photo_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEDIAQUERY_ANALYZERS", '["mq_test_plugins:WordsAnalyzer"]')
    cli("ingest", str(photo_dir / "blue.jpg"))
    for typed in ["ferris wheels", "Lady Birds", "german-shepherds", "mice", "leaves"]:
        assert "blue.jpg" in cli("ls", "--json", "--label", typed).output, typed
    assert "blue.jpg" not in cli("ls", "--json", "--label", "wheel").output


def test_ls_filters_show_and_rm(cli, photo_dir: Path) -> None:
    cli(
        "ingest", str(photo_dir / "day1" / "red.jpg"), str(photo_dir / "blue.jpg"), "--prefix", "p/"
    )
    r = cli("ls", "--label", "red")
    assert "p/red.jpg" in r.output and "p/blue.jpg" not in r.output
    assert "p/blue.jpg" in cli("ls", "--prefix", "p/b").output
    shown = json.loads(cli("show", "p/red.jpg").output)
    assert shown["status"] == "done" and shown["labels"][0]["name"] in ("Red", "Colour")
    assert cli("rm", "p/red.jpg").exit_code == 0
    r = cli("show", "p/red.jpg")
    assert r.exit_code == 1 and "not found" in r.output
    assert cli("rm", "p/red.jpg").exit_code == 1


def test_ingest_no_wait_leaves_items_pending(cli, photo_dir: Path) -> None:
    assert cli("ingest", str(photo_dir / "blue.jpg"), "--no-wait").exit_code == 0
    rows = [json.loads(line) for line in cli("ls", "--json").output.splitlines()]
    assert rows == [{"name": "blue.jpg", "type": "image", "status": "pending", "labels": []}]


def test_reconcile_picks_up_files_copied_in(cli, tmp_path: Path) -> None:
    media = tmp_path / "data" / "media"
    media.mkdir(parents=True)
    (media / "dropped.jpg").write_bytes(RED)
    r = cli("reconcile")
    assert r.exit_code == 0 and "created: 1" in r.output
    rows = [json.loads(line) for line in cli("ls", "--json").output.splitlines()]
    assert rows[0]["name"] == "dropped.jpg" and rows[0]["status"] == "pending"


@pytest.mark.slow
def test_ingest_a_video_waits_for_it(cli, tmp_path: Path) -> None:
    from mq_clips import three_scenes

    clip = three_scenes(tmp_path / "movie.mp4")
    r = cli("ingest", str(clip))
    assert r.exit_code == 0, r.output
    assert "analysing" in r.output
    rows = [json.loads(line) for line in cli("ls", "--json", "--type", "video").output.splitlines()]
    assert rows[0]["name"] == "movie.mp4" and rows[0]["status"] == "done"
