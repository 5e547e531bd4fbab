"""The People view in a real browser (Debian's Chromium via Playwright) against the real
service on real photos: people listed with faces and counts, named in place, picked to filter
the gallery, merged; face boxes in the detail view carry the person's name."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from conftest import jpeg_bytes
from mediaquery.runtime.dlib_faces import available
from mq_faces import BIDEN, OBAMA
from mq_server import Server

pytestmark = [
    pytest.mark.slow,
    pytest.mark.model,
    pytest.mark.skipif(available() is not None, reason=str(available())),
]
CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip("Debian's Chromium is not installed", allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (test extra)")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
UI_TIMEOUT_MS = 15_000


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, model_cache: Path, _module_database: str | None
) -> Iterator[Server]:
    env = {"MEDIAQUERY_ANALYZERS": '["people", "faces"]'}
    if _module_database:
        env["MEDIAQUERY_DATABASE_URL"] = _module_database
    s = Server(tmp_path_factory.mktemp("people") / "data", model_cache, workers=1, env=env)
    s.start()
    photos = {**OBAMA, **BIDEN}
    for name, image in photos.items():
        s.put(name, jpeg_bytes(image))
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        if all((s.item(n) or {}).get("status") == "done" for n in photos):
            break
        time.sleep(0.5)
    yield s
    s.stop()


@pytest.fixture
def page(server: Server) -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1440, "height": 900},
                                      base_url=server.url)  # fmt: skip
        context.set_default_timeout(UI_TIMEOUT_MS)
        tab = context.new_page()
        errors: list[str] = []
        tab.on("pageerror", lambda exc: errors.append(str(exc)))
        yield tab
        assert errors == []
        browser.close()


def _person_of(server: Server, name: str) -> int:
    faces = (server.item(name) or {}).get("faces") or []
    assert faces and faces[0]["person"], faces
    return int(faces[0]["person"]["id"])


def test_people_are_named_picked_and_merged_in_place(page: Any, server: Server) -> None:
    obama, biden = _person_of(server, "obama/1.jpg"), _person_of(server, "biden/1.jpg")
    page.goto("/")
    rows = page.locator("#people-list li.person")
    rows.first.wait_for()
    assert rows.count() == 2
    row = page.locator(f'#people-list li[data-person="{obama}"]')
    assert row.locator("img").get_attribute("src") == f"/v1/people/{obama}/thumbnail"

    row.locator(".person-rename").click()  # name in place
    field = page.locator(".person-name-input")
    field.fill("Barack")
    field.press("Enter")
    named = page.locator(f'#people-list li[data-person="{obama}"] .person-name')
    named.filter(has_text="Barack").wait_for()

    named.click()  # pick: the gallery shows their photos
    page.wait_for_url("**/?person=Barack")
    page.locator('#grid li[data-name="obama/1.jpg"]').wait_for()
    shown = set(page.locator("#grid li").evaluate_all("els => els.map(e => e.dataset.name)"))
    assert len(shown & set(OBAMA)) >= 4 and not shown & set(BIDEN)

    page.goto("/media/obama/1.jpg?person=Barack")  # the detail view names the face
    page.locator(".box.names .box-tag", has_text="Barack").wait_for()

    page.goto("/")
    page.locator(f'#people-list li[data-person="{biden}"] select.person-merge').select_option(
        str(obama)
    )
    page.wait_for_function("document.querySelectorAll('#people-list li.person').length === 1")
    r = httpx.get(f"{server.url}/v1/people/{biden}")
    assert r.status_code == 404
