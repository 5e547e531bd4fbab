"""Every command turns errors into the same exit statuses (cli/exits.py), with the message."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from mediaquery.cli import app
from mediaquery.cli.exits import FAILED, USAGE, exit_code
from mediaquery.errors import BadRequest, Conflict, NotFound, TransientError


@pytest.fixture
def cli(tmp_path: Path, model_cache: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("MEDIAQUERY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("MEDIAQUERY_MODELS_DIR", str(model_cache))
    monkeypatch.setenv("MEDIAQUERY_ANALYZERS", '["mq_test_plugins:ColourAnalyzer"]')
    monkeypatch.delenv("MEDIAQUERY_BROKER_URL", raising=False)
    monkeypatch.delenv("MEDIAQUERY_STORAGE_URL", raising=False)
    runner = CliRunner()
    return lambda *args: runner.invoke(app, list(args), catch_exceptions=False)


def test_a_wrong_request_is_a_usage_error_and_a_failure_is_1() -> None:
    assert exit_code(BadRequest("bad value")) == USAGE == 2
    for failure in (NotFound("gone"), Conflict("busy"), TransientError("later")):
        assert exit_code(failure) == FAILED == 1


@pytest.mark.parametrize(
    ("args", "status", "says"),
    [
        (["reindex", "--analyzer", "nonesuch"], 2, "not enabled: nonesuch"),
        (["worker"], 2, "needs a broker: set MEDIAQUERY_BROKER_URL"),
        (["listen", "https://sqs.example/q"], 2, "the bucket is a local folder"),
        (["models", "pull", "nonesuch"], 1, "nonesuch"),
        (["keys", "revoke", "0123456789abcdef"], 1, "0123456789abcdef"),
        (["people", "show", "12345"], 1, "12345"),
        (["show", "nope.jpg"], 1, "not found"),
    ],
)
def test_commands_agree_on_exit_statuses(cli, args: list[str], status: int, says: str) -> None:
    r = cli(*args)
    assert r.exit_code == status, r.output
    assert "error:" in r.output and says in r.output
