"""The web page on a server that needs API keys (Debian's Chromium driven by Playwright, the real
service in its own process): the page asks for a key, keeps it, and everything then works:
the gallery, thumbnails (a cookie), live updates (?api_key= on the event stream), uploads."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest

from conftest import jpeg_bytes
from mediaquery.auth.keys import create_key
from mediaquery.config import load_settings
from mediaquery.context import open_context
from mq_server import Server

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(
        "Debian's Chromium is not installed (apt-get install -y chromium)", allow_module_level=True
    )
sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (test extra)")

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update"]  # fmt: skip
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
TESTS = Path(__file__).resolve().parents[1]
RED = jpeg_bytes(np.full((64, 64, 3), (250, 5, 5), np.uint8))
BLUE = jpeg_bytes(np.full((64, 64, 3), (5, 5, 250), np.uint8))


class KeyedServer(Server):
    """The real service, colour analyzer only, with a read key and a write key."""

    def __init__(self, data_dir: Path, model_cache: Path) -> None:
        super().__init__(data_dir, model_cache, workers=1)
        pythonpath = os.pathsep.join(filter(None, [str(TESTS), os.environ.get("PYTHONPATH")]))
        self.env |= {"MEDIAQUERY_ANALYZERS": '["mq_test_plugins:ColourAnalyzer"]',
                     "PYTHONPATH": pythonpath}  # fmt: skip
        ctx = open_context(load_settings(data_dir=data_dir))
        self.read_key = create_key(ctx.engine, "viewer", ["read"])[1]
        self.write_key = create_key(ctx.engine, "uploader", ["write"])[1]
        ctx.close()

    def upload(self, name: str, data: bytes) -> None:
        r = httpx.put(f"{self.url}/v1/media/{name}", content=data, timeout=30,
                      headers={"X-API-Key": self.write_key})  # fmt: skip
        assert r.status_code in (200, 201), r.text

    def wait_done(self, name: str) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            r = httpx.get(f"{self.url}/v1/media/{name}", headers={"X-API-Key": self.read_key})
            if r.status_code == 200 and r.json()["status"] == "done":
                return
            time.sleep(0.2)
        raise AssertionError(f"{name} not analysed:\n{self.log.read_text()[-3000:]}")


@pytest.fixture
def server(tmp_path: Path, model_cache: Path) -> Iterator[KeyedServer]:
    s = KeyedServer(tmp_path / "data", model_cache)
    s.start()
    s.upload("red.jpg", RED)
    s.wait_done("red.jpg")
    yield s
    s.stop()


@pytest.fixture
def page(server: KeyedServer) -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=server.url)
        context.set_default_timeout(15_000)
        yield context.new_page()
        browser.close()


def enter_key(page: Any, key: str) -> None:
    page.locator("#key-input").fill(key)
    with page.expect_navigation():  # a saved key reloads the page
        page.get_by_role("button", name="Use key").click()


def test_the_page_asks_for_a_key_keeps_it_and_then_works(page: Any, server: KeyedServer) -> None:
    expect = sync_api.expect
    errors: list[str] = []
    page.goto("/")
    dialog = page.locator("#key-dialog")
    expect(dialog).to_be_visible()
    expect(page.locator("#key-text")).to_contain_text("only to people with an API key")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "key-prompt.png"))

    # a read-only key: the gallery, its thumbnail (sent with the cookie) and live updates work
    enter_key(page, server.read_key)
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    expect(dialog).to_be_hidden()
    card = page.locator('#grid li[data-name="red.jpg"]')
    expect(card).to_have_attribute("data-status", "done")
    expect(card.locator(".card-tags")).to_contain_text("Red")
    page.wait_for_function(
        "() => [...document.querySelectorAll('#grid img')].some((i) => i.naturalWidth > 0)"
    )
    server.upload("blue.jpg", BLUE)  # elsewhere: the page hears of it over the event stream
    expect(page.locator('#grid li[data-name="blue.jpg"]')).to_have_attribute(
        "data-status", "done", timeout=60_000
    )
    assert page.evaluate("localStorage.getItem('mediaquery.apiKey')") == server.read_key
    assert errors == []

    # uploading needs scope write: the page says so and asks for a stronger key
    page.set_input_files(
        "#file-input", files=[{"name": "up.jpg", "mimeType": "image/jpeg", "buffer": RED}]
    )
    expect(dialog).to_be_visible()
    expect(page.locator("#key-text")).to_contain_text("needs scope write")
    enter_key(page, server.write_key)
    expect(dialog).to_be_hidden()
    page.set_input_files(
        "#file-input", files=[{"name": "up.jpg", "mimeType": "image/jpeg", "buffer": RED}]
    )
    expect(page.locator('#grid li[data-name="up.jpg"]')).to_have_attribute(
        "data-status", "done", timeout=60_000
    )
    expect(dialog).to_be_hidden()
    page.screenshot(path=str(ARTIFACTS / "key-gallery.png"))
