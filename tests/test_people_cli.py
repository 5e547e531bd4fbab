"""`mediaquery people ...` and `mediaquery ls --person`, as a user types them, on real photos."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import jpeg_bytes
from mediaquery.cli import app
from mediaquery.runtime.dlib_faces import available
from mq_faces import BIDEN, OBAMA

pytestmark = [
    pytest.mark.model,
    pytest.mark.slow,
    pytest.mark.skipif(available() is not None, reason=str(available())),
]


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str | None):
    monkeypatch.setenv("MEDIAQUERY_DATA_DIR", str(tmp_path / "data"))
    if database_url:
        monkeypatch.setenv("MEDIAQUERY_DATABASE_URL", database_url)
    monkeypatch.setenv("MEDIAQUERY_ANALYZERS", '["people", "faces"]')
    runner = CliRunner()
    return lambda *args: runner.invoke(app, list(args), catch_exceptions=False)


def _lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def test_people_are_listed_named_found_reclustered_and_forgotten(cli, tmp_path: Path) -> None:
    folder = tmp_path / "photos"
    for name, image in {**OBAMA, **BIDEN}.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(jpeg_bytes(image))
    assert cli("ingest", str(folder)).exit_code == 0
    people = _lines(cli("people", "ls", "--json").output)
    assert len(people) == 2
    first = people[0]["id"]
    shown = cli("people", "show", str(first)).output.splitlines()[1:]
    photos = {line.split("\t")[0] for line in shown}
    who = "obama/" if photos <= set(OBAMA) else "biden/"
    assert cli("people", "name", str(first), "Alice").exit_code == 0

    found = {x["name"] for x in _lines(cli("ls", "--person", "alice", "--json").output)}
    assert found == photos and all(n.startswith(who) for n in found)
    assert cli("people", "recluster").exit_code == 0
    assert {x["name"] for x in _lines(cli("ls", "--person", "ALICE", "--json").output)} == found

    assert cli("people", "show", "999999").exit_code == 1
    assert cli("people", "forget").exit_code == 2
    r = cli("people", "forget", "--all")
    assert r.exit_code == 0 and "deleted" in r.output
    assert _lines(cli("people", "ls", "--json").output) == []
    assert _lines(cli("ls", "--person", "alice", "--json").output) == []
