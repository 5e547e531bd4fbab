"""The web page in a real browser (Debian's Chromium driven by Playwright) against the real
service (`mediaquery serve` in its own process, real models): upload, live status, filters in
the URL, the photo and video detail views, delete. Screenshots land in test-artifacts/."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from PIL import Image, ImageDraw, ImageFont

from mq_server import Server as BaseServer

pytestmark = [pytest.mark.slow, pytest.mark.model]

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(
        "Debian's Chromium is not installed (apt-get install -y chromium); the browser tests "
        "drive /usr/bin/chromium, never a Playwright-downloaded browser",
        allow_module_level=True,
    )
sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright (test extra)")

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
ANALYSIS_TIMEOUT = 240.0  # first use builds the models in the session's cache
UI_TIMEOUT_MS = 15_000
VIDEO = "clips/three-scenes.mp4"
# where the face is in skimage's astronaut (512x512): x 175-272, y 65-178
ASTRONAUT_FACE = (175, 65, 272, 178)


class Server(BaseServer):
    """The real service with one analysis worker, and a way to wait for analysis."""

    def __init__(self, data_dir: Path, model_cache: Path) -> None:
        super().__init__(data_dir, model_cache, workers=1)

    def wait_done(self, *names: str) -> None:
        deadline = time.monotonic() + ANALYSIS_TIMEOUT
        while time.monotonic() < deadline:
            items = [self.item(n) for n in names]
            if all(x and x["status"] in ("done", "failed") for x in items):
                assert all(x and x["status"] == "done" for x in items), items
                return
            time.sleep(0.3)
        raise AssertionError(f"not analysed in time: {names}\n{self.log.read_text()[-4000:]}")


def invoice_png() -> bytes:
    """Black text on white, big enough for the OCR analyzer."""
    img = Image.new("RGB", (640, 240), "white")
    ImageDraw.Draw(img).text((40, 90), "INVOICE 4711", "black", ImageFont.load_default(size=48))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, model_cache: Path) -> Iterator[Server]:
    s = Server(tmp_path_factory.mktemp("web") / "data", model_cache)
    s.start()
    yield s
    s.stop()


@pytest.fixture(scope="module")
def seeded(
    server: Server, photos: dict[str, bytes], tmp_path_factory: pytest.TempPathFactory
) -> Server:
    """Media the tests look at, uploaded over HTTP and analysed (the cat comes via the page)."""
    from mq_clips import three_scenes

    clip = three_scenes(tmp_path_factory.mktemp("clip") / "clip.mp4").read_bytes()
    media = {"astronaut.jpg": photos["astronaut.jpg"], "coffee.jpg": photos["coffee.jpg"],
             "invoice.png": invoice_png(), VIDEO: clip}  # fmt: skip
    for name, data in media.items():
        if server.item(name) is None:
            server.put(name, data)
    server.wait_done(*media)
    return server


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


class Tab:
    """A page plus every console error and uncaught exception seen on it."""

    def __init__(self, browser: Any, base: str, viewport: dict[str, int]) -> None:
        self.context = browser.new_context(viewport=viewport, base_url=base)
        self.context.set_default_timeout(UI_TIMEOUT_MS)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))

    def _console(self, msg: Any) -> None:
        if msg.type == "error":
            self.errors.append(f"console: {msg.text} at {msg.location}")

    def assert_clean(self) -> None:
        assert self.errors == []

    def card(self, name: str) -> Any:
        return self.page.locator(f'#grid li[data-name="{name}"]')

    def screenshot(self, filename: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.wait_for_function(
            "[...document.images].every((i) => i.complete)", timeout=UI_TIMEOUT_MS
        )
        self.page.screenshot(path=str(ARTIFACTS / filename))


@pytest.fixture
def tab(browser: Any, server: Server) -> Iterator[Tab]:
    t = Tab(browser, server.url, DESKTOP)
    yield t
    t.context.close()


def test_upload_through_the_page_and_watch_it_finish(
    tab: Tab, server: Server, photos: dict[str, bytes]
) -> None:
    page = tab.page
    page.goto("/")
    if server.item("cat.jpg") is None:
        sync_api.expect(page.locator("#empty")).to_contain_text("Drop photos or videos here")
    page.evaluate(WATCH_STATUSES)
    broken = photos["coffee.jpg"][:300]  # a JPEG header and no pixels: analysis fails
    page.set_input_files(
        "#file-input",
        files=[
            {"name": "cat.jpg", "mimeType": "image/jpeg", "buffer": photos["cat.jpg"]},
            {"name": "rocket.jpg", "mimeType": "image/jpeg", "buffer": photos["rocket.jpg"]},
            {"name": "broken.jpg", "mimeType": "image/jpeg", "buffer": broken},
        ],
    )
    # each file has its own row with a progress bar, and a card at once
    sync_api.expect(page.locator("#upload-list li")).to_have_count(3)
    sync_api.expect(
        page.locator('#upload-list li[data-name="cat.jpg"] [role=progressbar]')
    ).to_have_count(1)
    sync_api.expect(tab.card("cat.jpg")).to_be_visible()
    # analysis ends without a reload: the card turns done, the upload row says so
    sync_api.expect(tab.card("cat.jpg")).to_have_attribute(
        "data-status", "done", timeout=ANALYSIS_TIMEOUT * 1000
    )
    sync_api.expect(page.locator('#upload-list li[data-name="cat.jpg"]')).to_contain_text(
        "Analysed"
    )
    sync_api.expect(tab.card("cat.jpg").locator(".badge")).to_have_count(0)
    sync_api.expect(tab.card("cat.jpg").locator(".card-tags")).to_contain_text("Cat")
    # its label is in the sidebar's facets
    sync_api.expect(page.locator('#facet-list .facet[data-label="Cat"]')).to_be_visible()
    # the broken one ends failed, with the reason on the card and in the upload row
    failed = tab.card("broken.jpg")
    sync_api.expect(failed).to_have_attribute("data-status", "failed")
    sync_api.expect(failed.locator(".badge.failed")).to_have_text("Failed")
    reason = (server.item("broken.jpg") or {})["error"]
    assert reason and failed.locator(".badge").get_attribute("title") == reason
    sync_api.expect(failed.locator(".card-error")).to_have_text(reason)
    sync_api.expect(page.locator('#upload-list li[data-name="broken.jpg"]')).to_contain_text(reason)
    # all of it in the same document, card by card: queued first, then done
    seen = page.evaluate("window.__statuses")
    assert seen["cat.jpg"][0] == "pending" and seen["cat.jpg"][-1] == "done", seen
    assert "Cat" in [x["name"] for x in (server.item("cat.jpg") or {})["labels"]]
    tab.assert_clean()


# Records, per card, every status it showed (cards are replaced when their item changes).
WATCH_STATUSES = """() => {
    window.__statuses = {};
    const note = (li) => {
        const seen = (window.__statuses[li.dataset.name] ??= []);
        if (seen.at(-1) !== li.dataset.status) seen.push(li.dataset.status);
    };
    new MutationObserver((records) => records.forEach((r) => r.addedNodes.forEach((n) => {
        if (n.nodeType === 1 && n.matches("li.card")) note(n);
    }))).observe(document.getElementById("grid"), {childList: true});
}"""


def test_filters_live_in_the_url(tab: Tab, seeded: Server, photos: dict[str, bytes]) -> None:
    if seeded.item("cat.jpg") is None:  # when run on its own
        seeded.put("cat.jpg", photos["cat.jpg"])
        seeded.wait_done("cat.jpg")
    page = tab.page
    page.goto("/")
    sync_api.expect(tab.card("coffee.jpg")).to_be_visible()
    sync_api.expect(page.locator('#facet-list .facet[data-label="Face"]')).to_be_visible()

    page.locator('#facet-list .facet[data-label="Cat"]').click()
    wait_query(page, "?label=Cat")
    sync_api.expect(tab.card("cat.jpg")).to_be_visible()
    sync_api.expect(tab.card("coffee.jpg")).to_have_count(0)
    sync_api.expect(tab.card("astronaut.jpg")).to_have_count(0)
    # the facets narrow to what the matching media carry
    sync_api.expect(page.locator('#facet-list .facet[data-label="Face"]')).to_have_count(0)
    sync_api.expect(page.locator('#facet-list .facet[data-label="Cat"]')).to_have_attribute(
        "aria-pressed", "true"
    )
    sync_api.expect(page.locator("#gallery-title")).to_have_text("Cat")

    page.reload()
    sync_api.expect(page.locator("#label-chips .chip")).to_have_text("Cat")
    sync_api.expect(tab.card("cat.jpg")).to_be_visible()
    sync_api.expect(tab.card("coffee.jpg")).to_have_count(0)

    # combined with the media type: only the video shows a cat too
    page.locator('.segmented label:has(input[value="video"])').click()
    wait_query(page, "?label=Cat&type=video")
    sync_api.expect(tab.card(VIDEO)).to_be_visible()
    sync_api.expect(tab.card("cat.jpg")).to_have_count(0)
    page.go_back()  # popstate: back to label=Cat only
    wait_query(page, "?label=Cat")
    sync_api.expect(tab.card("cat.jpg")).to_be_visible()
    sync_api.expect(page.locator('.segmented input[value=""]')).to_be_checked()

    # a label typed in any case, completed from the facets
    page.locator("#reset-filters").click()
    wait_query(page, "")
    sync_api.expect(page.locator('#label-options option[value="Cat"]')).to_have_count(1)
    page.locator("#f-label").fill("cat")
    page.locator("#f-label").press("Enter")
    wait_query(page, "?label=Cat")
    sync_api.expect(tab.card("cat.jpg")).to_be_visible()
    page.locator("#label-chips").get_by_role("button", name="Remove label Cat").click()
    wait_query(page, "")
    # a plural typed: the label box completes it to the label it finds (/v1/labels/words)
    page.locator("#f-label").fill("cats")
    page.locator("#f-label").press("Enter")
    wait_query(page, "?label=Cat")
    sync_api.expect(page.locator("#label-chips .chip")).to_have_text("Cat")
    page.locator("#label-chips").get_by_role("button", name="Remove label Cat").click()
    wait_query(page, "")

    # a dominant colour (chelsea the cat is brown; the invoice black on white)
    page.locator("#f-color").select_option("brown")
    wait_query(page, "?color=brown")
    sync_api.expect(tab.card("cat.jpg")).to_be_visible()
    sync_api.expect(tab.card("invoice.png")).to_have_count(0)
    page.locator("#f-color").select_option("")
    wait_query(page, "")

    # text found in the image, typed in the search box
    page.locator("#f-text").fill("invoice")
    wait_query(page, "?text=invoice")
    sync_api.expect(tab.card("invoice.png")).to_be_visible()
    sync_api.expect(page.locator("#grid li")).to_have_count(1)
    page.reload()
    sync_api.expect(page.locator("#f-text")).to_have_value("invoice")
    sync_api.expect(page.locator("#grid li")).to_have_count(1)
    sync_api.expect(tab.card("invoice.png")).to_be_visible()

    # a shared link with the API's parameter names, and nothing matching
    page.goto("/?label=Cat&text=invoice")
    sync_api.expect(page.locator("#empty")).to_contain_text("Nothing matches")
    tab.assert_clean()


def test_photo_detail_draws_the_face_where_it_is(tab: Tab, seeded: Server) -> None:
    page = tab.page
    page.goto("/")
    link = tab.card("astronaut.jpg").locator("a")
    link.focus()
    page.keyboard.press("Enter")  # a real link: the keyboard opens it
    wait_query(page, "", "/media/astronaut.jpg")
    detail = page.locator("#detail")
    sync_api.expect(detail).to_be_visible()
    face = detail.locator('.box[data-group="Face"]')
    sync_api.expect(face).to_be_visible()
    page.wait_for_function("document.querySelector('#detail .photo').complete")
    x0, y0, x1, y1 = face_in_pixels(page)
    fx0, fy0, fx1, fy1 = ASTRONAUT_FACE
    inter = max(0, min(x1, fx1) - max(x0, fx0)) * max(0, min(y1, fy1) - max(y0, fy0))
    union = (x1 - x0) * (y1 - y0) + (fx1 - fx0) * (fy1 - fy0) - inter
    assert inter / union > 0.6, (x0, y0, x1, y1)

    # labels with confidence bars and parents; the box toggles per label
    sync_api.expect(detail.locator('.label-row[data-label="Face"] [role=meter]')).to_be_visible()
    sync_api.expect(detail.locator('.label-row[data-label="Face"] .parents')).to_have_text("Person")
    sync_api.expect(detail.locator(".meta")).to_contain_text("512 × 512")
    # dominant colours as swatches, each a link to every item of that colour
    sync_api.expect(detail.locator('.color-link[href="/?color=black"]')).to_be_visible()
    tab.screenshot("photo-detail.png")
    toggle = detail.locator('.toggle[data-group="Face"]')
    toggle.click()
    sync_api.expect(toggle).to_have_attribute("aria-pressed", "false")
    sync_api.expect(face).to_be_hidden()
    toggle.click()
    sync_api.expect(face).to_be_visible()

    detail.locator("#find-similar").click()
    sync_api.expect(detail.locator("#similar-section .similar-item").first).to_be_visible()

    page.keyboard.press("Escape")
    sync_api.expect(detail).to_be_hidden()
    wait_query(page, "")

    page.goto("/media/invoice.png")  # a deep link opens the detail at once
    sync_api.expect(detail.locator(".text-lines")).to_contain_text("INVOICE 4711")
    sync_api.expect(detail.locator('.box[data-group="Text"]')).to_have_count(1)
    detail.locator('.label-row[data-label="Text"] a').click()  # all media with this label
    wait_query(page, "?label=Text")
    sync_api.expect(detail).to_be_hidden()
    sync_api.expect(tab.card("invoice.png")).to_be_visible()
    sync_api.expect(tab.card("astronaut.jpg")).to_have_count(0)
    tab.assert_clean()


def wait_query(page: Any, query: str, path: str = "/") -> None:
    """Wait until the address is `path` with exactly these query parameters (in order)."""
    want = (path, parse_qsl(query.removeprefix("?")))
    page.wait_for_url(lambda url: (urlsplit(url).path, parse_qsl(urlsplit(url).query)) == want)


def test_moderation_results_stay_blurred_until_asked(tab: Tab, seeded: Server) -> None:
    """No sample photo is flagged, so the item's moderation findings are added on the way."""
    import json

    box = {"left": 0.3, "top": 0.5, "width": 0.3, "height": 0.3}
    flagged = [
        {"name": "Suggestive", "confidence": 71.0, "parents": [], "boxes": [box],
         "analyzer": "moderation", "analyzer_version": "1"},
    ]  # fmt: skip

    def add_moderation(route: Any) -> None:
        response = route.fetch()
        body = {**response.json(), "moderation": flagged}
        route.fulfill(response=response, body=json.dumps(body))

    page = tab.page
    page.route("**/v1/media/astronaut.jpg", add_moderation)
    page.goto("/media/astronaut.jpg")
    detail = page.locator("#detail")
    results = detail.locator(".moderation-list")
    sync_api.expect(results).to_have_class("moderation-list blurred")
    sync_api.expect(detail.locator(".frame")).to_have_class("frame sensitive")
    sync_api.expect(detail.locator('.box[data-group="Moderation"]')).to_be_hidden()
    detail.get_by_role("button", name="Show 1 moderation result").click()
    sync_api.expect(results).to_have_class("moderation-list")
    sync_api.expect(results).to_contain_text("Suggestive")
    detail.locator(".reveal").click()
    sync_api.expect(detail.locator(".frame")).to_have_class("frame")
    detail.locator('.toggle[data-group="Moderation"]').click()
    sync_api.expect(detail.locator('.box[data-group="Moderation"]')).to_be_visible()
    tab.assert_clean()


def face_in_pixels(page: Any) -> tuple[float, float, float, float]:
    """The face box's client rect relative to the photo's, in the photo's 512 px."""
    r = page.evaluate(
        """() => {
            const img = document.querySelector('#detail .photo').getBoundingClientRect();
            const box = document.querySelector('#detail .box[data-group="Face"]')
                .getBoundingClientRect();
            const sx = 512 / img.width, sy = 512 / img.height;
            return [(box.left - img.left) * sx, (box.top - img.top) * sy,
                    (box.right - img.left) * sx, (box.bottom - img.top) * sy];
        }"""
    )
    return r[0], r[1], r[2], r[3]


def test_video_timeline_seeks_the_player(tab: Tab, seeded: Server) -> None:
    page = tab.page
    page.goto(f"/media/{VIDEO}")
    detail = page.locator("#detail")
    video = detail.locator("video.player")
    sync_api.expect(video).to_be_visible()
    page.wait_for_function("document.querySelector('#detail video').readyState >= 1")
    assert abs(page.evaluate("document.querySelector('#detail video').duration") - 10) < 0.5
    cat = detail.locator('.tl-row[data-label="Cat"] .tl-seg').first
    assert int(cat.get_attribute("data-start") or -1) == 0
    assert 3000 <= int(cat.get_attribute("data-end") or 0) <= 5000
    later = detail.locator(".tl-seg:not([data-start='0'])").first
    start_ms = int(later.get_attribute("data-start") or 0)
    assert 3000 <= start_ms <= 8000, later.get_attribute("data-label")
    later.click()
    page.wait_for_function(
        f"Math.abs(document.querySelector('#detail video').currentTime - {start_ms / 1000}) < 0.3"
    )
    sync_api.expect(detail.locator(".text-lines")).to_contain_text("MEDIA QUERY VIDEO")
    page.wait_for_function("document.querySelector('#detail video').readyState >= 2")
    tab.screenshot("video-detail.png")
    cat.click()
    page.wait_for_function("document.querySelector('#detail video').currentTime < 0.3")
    tab.assert_clean()


def test_delete_asks_first(tab: Tab, server: Server, photos: dict[str, bytes]) -> None:
    page = tab.page
    page.goto("/?prefix=trash/")
    sync_api.expect(page.locator("#empty")).to_contain_text("Nothing matches")
    # looking at a folder, uploads go into it
    file = {"name": "rocket.jpg", "mimeType": "image/jpeg", "buffer": photos["rocket.jpg"]}
    page.set_input_files("#file-input", files=[file])
    card = tab.card("trash/rocket.jpg")
    sync_api.expect(card).to_have_attribute("data-status", "done", timeout=ANALYSIS_TIMEOUT * 1000)
    card.locator("a").click()
    wait_query(page, "?prefix=trash/", "/media/trash/rocket.jpg")
    detail, confirm = page.locator("#detail"), page.locator("#confirm")
    detail.locator("#delete-item").click()
    sync_api.expect(confirm).to_be_visible()
    sync_api.expect(confirm).to_contain_text("trash/rocket.jpg")
    confirm.get_by_role("button", name="Cancel").click()
    sync_api.expect(confirm).to_be_hidden()
    sync_api.expect(detail).to_be_visible()
    assert server.item("trash/rocket.jpg") is not None
    detail.locator("#delete-item").click()
    confirm.get_by_role("button", name="Delete").click()
    sync_api.expect(detail).to_be_hidden()
    wait_query(page, "?prefix=trash/")
    sync_api.expect(card).to_have_count(0)
    sync_api.expect(page.locator("#empty")).to_contain_text("Nothing matches")
    assert server.item("trash/rocket.jpg") is None
    tab.assert_clean()


def test_gallery_on_desktop_and_phone(browser: Any, seeded: Server) -> None:
    desktop = Tab(browser, seeded.url, DESKTOP)
    try:
        desktop.page.goto("/")
        sync_api.expect(desktop.card("astronaut.jpg")).to_be_visible()
        desktop.screenshot("gallery.png")
        desktop.assert_clean()
    finally:
        desktop.context.close()
    phone = Tab(browser, seeded.url, PHONE)
    try:
        page = phone.page
        page.goto("/")
        sync_api.expect(phone.card("astronaut.jpg")).to_be_visible()
        columns = page.evaluate(
            "getComputedStyle(document.getElementById('grid')).gridTemplateColumns.split(' ')"
        )
        assert len(columns) == 2
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        sync_api.expect(page.locator("#sidebar")).to_be_hidden()
        phone.screenshot("gallery-phone.png")
        page.locator("#filters-toggle").click()
        sync_api.expect(page.locator("#sidebar")).to_be_visible()
        phone.assert_clean()
    finally:
        phone.context.close()


def test_api_docs_render_offline(tab: Tab) -> None:
    """Swagger UI comes from a wheel, not a CDN (which this machine cannot reach)."""
    tab.page.goto("/docs")
    tab.page.wait_for_selector(".opblock")
    assert tab.page.locator(".opblock").count() >= 15
    assert tab.page.get_by_text("/api/{name}").count() >= 1
    tab.assert_clean()


def test_timeline_places_cameras_and_where_a_photo_was_taken(tab: Tab, server: Server) -> None:
    from mq_camera import camera_file, exif_jpeg

    media = {
        "trips/lisbon.jpg": exif_jpeg(taken="2024:06:01 10:00:00", offset="+01:00",
                                      make="FUJIFILM", model="X100V", lat=38.7223, lon=-9.1393),
        "trips/porto.jpg": exif_jpeg(taken="2024:06:03 18:00:00", offset="+01:00",
                                     make="FUJIFILM", model="X100V", lat=41.1496, lon=-8.611),
        "trips/iphone.heic": camera_file("iphone_xs.heic"),
    }  # fmt: skip
    for name, data in media.items():
        if server.item(name) is None:
            server.put(name, data)
    server.wait_done(*media)
    requested: list[str] = []
    page = tab.page
    page.on("request", lambda r: requested.append(r.url))
    page.goto("/?prefix=trips/")
    places = page.locator("#place-list .facet")
    sync_api.expect(page.locator('#place-list .facet[data-place="Lisbon"]')).to_contain_text("1")
    sync_api.expect(places).to_have_count(3)
    fuji = page.locator('#camera-list .facet[data-camera="FUJIFILM X100V"]')
    sync_api.expect(fuji.locator(".facet-count")).to_have_text("2")
    sync_api.expect(page.locator("#year-jumps a")).to_have_text(["2024", "2021"])

    # a month of the timeline: that month's media, newest capture first
    page.locator('#timeline-list .facet[data-month="2024-06"]').click()
    wait_query(page, "?prefix=trips/&taken_after=2024-06-01&taken_before=2024-06-30&order=taken")
    sync_api.expect(page.locator("#grid li")).to_have_count(2)
    assert page.locator("#grid li").evaluate_all("(els) => els.map((e) => e.dataset.name)") == [
        "trips/porto.jpg",
        "trips/lisbon.jpg",
    ]
    sync_api.expect(page.locator("#f-order")).to_have_value("taken")

    # a place, then a camera, from the sidebar
    page.goto("/?prefix=trips/")
    page.locator('#place-list .facet[data-place="Nova Kakhovka"]').click()
    wait_query(page, "?prefix=trips/&place=Nova+Kakhovka")
    sync_api.expect(page.locator("#grid li")).to_have_count(1)
    page.goto("/?prefix=trips/")
    fuji.click()
    wait_query(page, "?prefix=trips/&camera=FUJIFILM+X100V")
    sync_api.expect(page.locator("#grid li")).to_have_count(2)

    # the detail view: time with its offset, camera, place and a link out to a map
    page.goto("/media/trips/iphone.heic")
    meta = page.locator("#detail .meta")
    sync_api.expect(meta).to_contain_text("2021-07-06 16:08:14 (UTC+03:00)")
    sync_api.expect(meta).to_contain_text("Apple iPhone XS")
    sync_api.expect(meta).to_contain_text("Nova Kakhovka, Kherson, Ukraine")
    link = meta.locator("a.map-link")
    href = link.get_attribute("href") or ""
    assert href.startswith("https://www.openstreetmap.org/?mlat=46.7547") and "mlon=33.336" in href
    outside = [u for u in requested if not u.startswith(server.url)]
    assert outside == []  # no map tiles, nothing fetched from elsewhere
    tab.assert_clean()
