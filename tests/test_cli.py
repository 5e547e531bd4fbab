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


def test_ingest_folder_waits_for_analysis_and_sums_up(cli, photo_dir: Path) -> None:
    (photo_dir / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    r = cli("ingest", str(photo_dir))
    assert r.exit_code == 0, r.output  # files that are no media are skipped, not failures
    assert "skipped notes.txt: not an image or video" in r.output
    assert "skipped .DS_Store: hidden" in r.output
    assert "added 2, skipped 2, failed 0" in r.output
    r = cli("ls", "--json")
    rows = [json.loads(line) for line in r.output.splitlines()]
    # names are the paths relative to the folder given
    assert {x["name"]: x["status"] for x in rows} == {"blue.jpg": "done", "day1/red.jpg": "done"}


def test_ingest_reports_failures_with_reasons_and_exits_1(cli, photo_dir: Path) -> None:
    (photo_dir / "broken.jpg").write_bytes(RED[: len(RED) // 2])
    r = cli("ingest", str(photo_dir), str(photo_dir / "notes.txt"))
    assert r.exit_code == 1
    assert "failed broken.jpg: " in r.output and "truncated" in r.output  # analysis failed
    assert "failed notes.txt: Unsupported media type" in r.output  # named, so not skipped
    assert "added 2, skipped 1, failed 2" in r.output


def test_ingest_of_a_missing_path_is_a_usage_error(cli) -> None:
    r = cli("ingest", "no-such-folder")
    assert r.exit_code == 2 and "does not exist" in r.output


def test_ingest_prefix_replaces_the_folder_name(cli, tmp_path: Path) -> None:
    offline = tmp_path / "offline"
    (offline / "2024").mkdir(parents=True)
    (offline / "2024" / "red.jpg").write_bytes(RED)
    (offline / "blue.jpg").write_bytes(BLUE)
    assert cli("ingest", str(offline), "--prefix", "offline/", "--no-wait").exit_code == 0
    names = [json.loads(line)["name"] for line in cli("ls", "--json").output.splitlines()]
    assert names == ["offline/2024/red.jpg", "offline/blue.jpg"]


def test_ls_with_an_unknown_status_or_type_is_a_usage_error(cli) -> None:
    r = cli("ls", "--status", "bogus")
    assert r.exit_code == 2
    assert all(s in r.output for s in ("pending", "processing", "done", "failed"))
    r = cli("ls", "--type", "gif")
    assert r.exit_code == 2 and "image" in r.output and "video" in r.output
    assert cli("ls", "--status", "DONE").exit_code == 0  # values in any case


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


def test_reconcile_picks_up_files_copied_in_and_analyses_them(cli, tmp_path: Path) -> None:
    media = tmp_path / "data" / "media"
    media.mkdir(parents=True)
    (media / "dropped.jpg").write_bytes(RED)
    (media / "notes.txt").write_text("not a picture")
    r = cli("reconcile")  # no server is running: like ingest, it runs the analysis itself
    assert r.exit_code == 0 and "created: 1" in r.output and "skipped: 1" in r.output
    rows = [json.loads(line) for line in cli("ls", "--json").output.splitlines()]
    assert [(x["name"], x["status"]) for x in rows] == [("dropped.jpg", "done")]
    (media / "later.jpg").write_bytes(BLUE)
    assert cli("reconcile", "--no-wait").exit_code == 0
    rows = [
        json.loads(line) for line in cli("ls", "--json", "--status", "pending").output.splitlines()
    ]
    assert [x["name"] for x in rows] == ["later.jpg"]


@pytest.mark.slow
def test_ingest_a_video_waits_for_it(cli, tmp_path: Path) -> None:
    from mq_clips import three_scenes

    clip = three_scenes(tmp_path / "movie.mp4")
    r = cli("ingest", str(clip))
    assert r.exit_code == 0, r.output
    assert "analysing" in r.output
    rows = [json.loads(line) for line in cli("ls", "--json", "--type", "video").output.splitlines()]
    assert rows[0]["name"] == "movie.mp4" and rows[0]["status"] == "done"


def test_ls_filters_by_time_camera_place_and_orders_by_capture_time(cli, tmp_path: Path) -> None:
    from mq_camera import camera_file, exif_jpeg

    folder = tmp_path / "phone"
    folder.mkdir()
    (folder / "iphone.heic").write_bytes(camera_file("iphone_xs.heic"))
    (folder / "canon.jpg").write_bytes(camera_file("canon_g1x.jpg"))
    (folder / "lisbon.jpg").write_bytes(
        exif_jpeg(taken="2024:06:01 10:00:00", offset="+01:00", lat=38.7223, lon=-9.1393)
    )
    assert cli("ingest", str(folder)).exit_code == 0

    def names(*args: str) -> list[str]:
        r = cli("ls", "--json", *args)
        assert r.exit_code == 0, r.output
        return [json.loads(line)["name"] for line in r.output.splitlines()]

    assert names("--order", "taken") == ["lisbon.jpg", "iphone.heic", "canon.jpg"]
    assert names("--taken-after", "2020-01-01", "--taken-before", "2022-12-31") == ["iphone.heic"]
    assert names("--camera", "POWERSHOT") == ["canon.jpg"]
    assert names("--place", "kherson") == ["iphone.heic"]
    assert names("--country", "pt") == names("--near", "38.7,-9.1", "--radius-km", "20")
    line = json.loads(cli("ls", "--json", "--country", "PT").output)
    assert line["place"]["city"] == "Lisbon" and line["taken_at"] == "2024-06-01T10:00:00+01:00"
    bad = cli("ls", "--taken-after", "last summer")
    assert bad.exit_code == 2 and "ISO 8601" in bad.output
