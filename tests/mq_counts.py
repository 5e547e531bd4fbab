"""Helpers for the tests of kept counts (labels, metadata): concurrent writers, and migrating
an index down and up again so a migration fills counts from the rows already there."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from mediaquery.domain import MediaType, Status
from mediaquery.index import repo
from mediaquery.index.db import MIGRATIONS, write_tx


def run_writers(write: Callable[[int], None], writers: int = 4) -> list[BaseException]:
    """Run write(0) ... write(writers - 1) in threads at once; the errors they raised."""
    errors: list[BaseException] = []

    def run(w: int) -> None:
        try:
            write(w)
        except BaseException as exc:  # returned to the test
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def migrate_again(engine: Engine, down_to: str) -> None:
    """Downgrade to revision `down_to`, then upgrade to the newest."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, down_to)
        command.upgrade(cfg, "head")


def replace_then_delete(
    engine: Engine, replaced: str, deleted: str, every: Iterable[str], check: Callable[[], None]
) -> None:
    """Give `replaced` new content (waiting for analysis), delete `deleted`, then `every`
    media: `check` after the first two steps."""
    with write_tx(engine) as conn:
        repo.upsert_media(conn, name=replaced, type=MediaType.IMAGE, content_type="image/jpeg",
                          size=1, etag="replaced", version="v", status=Status.PENDING)  # fmt: skip
    check()
    with write_tx(engine) as conn:
        assert repo.delete_media(conn, deleted)
    check()
    with write_tx(engine) as conn:
        for name in every:
            repo.delete_media(conn, name)


def churn(engine: Engine, save: Callable[[str, int, str], None]) -> list[BaseException]:
    """Writers at once, each saving and deleting three media of its own in turn:
    save(name, step, etag) with step w + i of writer w; the errors they raised."""

    def writer(w: int) -> None:
        for i in range(10):
            name = f"w{w}/{i % 3}.jpg"
            if i % 4 == 3:
                with write_tx(engine) as conn:
                    repo.delete_media(conn, name)
                continue
            save(name, w + i, str(i))

    return run_writers(writer)
