"""When, where and with what: phone and camera formats, capture metadata, places, filters,
order by capture time and time/place facets, through the /v1 API."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update

from mediaquery.app import create_app
from mediaquery.config import Settings
from mediaquery.index.db import write_tx
from mediaquery.index.tables import analyses, media
from mediaquery.queue.worker import Worker
from mq_camera import camera_file, dng_bytes, exif_jpeg, located_video


@pytest.fixture
def make_api(make_settings: Callable[..., Settings]) -> Iterator[Callable[..., TestClient]]:
    clients: list[TestClient] = []

    def factory(**overrides: object) -> TestClient:
        settings = make_settings(analyzers=["mq_test_plugins:ColourAnalyzer"], **overrides)
        client = TestClient(create_app(settings, background=False))
        clients.append(client.__enter__())
        return client

    yield factory
    for c in clients:
        c.__exit__(None, None, None)


def _drain(client: TestClient) -> None:
    app: FastAPI = client.app  # type: ignore[assignment]
    Worker(app.state.ctx).run(burst=True)


def _put(client: TestClient, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        assert client.put(f"/v1/media/{name}", content=data).status_code == 201, name
    _drain(client)


def _names(client: TestClient, **params: object) -> list[str]:
    r = client.get("/v1/media", params=params)
    assert r.status_code == 200, r.text
    return [x["name"] for x in r.json()["items"]]


@pytest.fixture
def library(make_api: Callable[..., TestClient], tmp_path: Path) -> TestClient:
    api = make_api()
    _put(api, {
        "phone/iphone.heic": camera_file("iphone_xs.heic"),
        "phone/xiaomi.heic": camera_file("xiaomi.heic"),
        "cam/sony.heic": camera_file("sony_a7s3.heic"),
        "cam/canon.jpg": camera_file("canon_g1x.jpg"),
        "cam/raw.dng": dng_bytes(tmp_path),
        "misc/rotated.avif": camera_file("rotated.avif"),
        "trip/lisbon.jpg": exif_jpeg(taken="2024:06:01 10:00:00", offset="+01:00",
                                     make="FUJIFILM", model="X100V", lat=38.7223, lon=-9.1393),
        "trip/porto.jpg": exif_jpeg(taken="2024:06:03 18:00:00", offset="+01:00",
                                    make="FUJIFILM", model="X100V", lat=41.1496, lon=-8.611),
    })  # fmt: skip
    return api


def test_heic_avif_and_dng_are_analysed_upright_with_thumbnails(library: TestClient) -> None:
    for name, content_type, size in [
        ("phone/iphone.heic", "image/heic", (1025, 900)),
        ("misc/rotated.avif", "image/avif", (640, 427)),  # stored 427x640, turned by irot
        ("cam/raw.dng", "image/x-adobe-dng", (96, 64)),
    ]:
        item = library.get(f"/v1/media/{name}").json()
        assert (item["status"], item["error"], item["content_type"]) == ("done", None, content_type)
        assert (item["width"], item["height"]) == size, name
        assert "colour" in [a["analyzer"] for a in item["analyses"]], name
        thumb = library.get(f"/v1/media/{name}/thumbnail")
        assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg", name


def test_items_carry_time_camera_location_and_place(library: TestClient) -> None:
    item = library.get("/v1/media/phone/iphone.heic").json()
    assert item["taken_at"] == "2021-07-06T16:08:14.164000+03:00"
    assert item["camera"]["model"] == "iPhone XS"
    assert item["location"]["lat"] == pytest.approx(46.7547, abs=1e-4)
    assert item["place"]["city"] == "Nova Kakhovka" and item["place"]["country_code"] == "UA"
    canon = library.get("/v1/media/cam/canon.jpg").json()
    assert canon["taken_at"] == "2013-12-17T14:04:24"
    assert canon["location"] is None and canon["place"] is None
    avif = library.get("/v1/media/misc/rotated.avif").json()
    assert [avif[k] for k in ("taken_at", "camera", "location", "place")] == [None] * 4
    listed = library.get("/v1/media", params={"prefix": "trip/"}).json()["items"]
    assert [x["place"]["city"] for x in listed] == ["Lisbon", "Porto"]
    assert library.get("/api/trip/lisbon.jpg").json().keys() == {"name", "type", "labels"}


def test_a_damaged_photo_fails_with_a_reason_but_keeps_its_time_camera_and_place(
    make_api: Callable[..., TestClient],
) -> None:
    # A real Pixel 6 file whose pixel data was cut short (an interrupted copy looks the same):
    # it cannot be analysed, yet it stays findable by when, where and with what.
    api = make_api()
    _put(api, {"phone/pixel.jpg": camera_file("pixel_6.jpg")})
    item = api.get("/v1/media/phone/pixel.jpg").json()
    assert item["status"] == "failed" and "truncated" in item["error"]
    assert item["taken_at"] is not None and item["taken_at"].endswith("+08:00")
    assert item["camera"]["make"] == "Google" and item["place"] is not None
    assert _names(api, country=item["place"]["country_code"]) == ["phone/pixel.jpg"]


def test_filters_by_time_camera_place_country_and_distance(library: TestClient) -> None:
    # the DNG's 10:20:30 has no offset: taken as UTC
    day = ["cam/raw.dng", "trip/lisbon.jpg"]
    assert _names(library, taken_after="2024-06-01", taken_before="2024-06-01") == day
    # 10:00+01:00 is 09:00 UTC
    assert _names(library, taken_after="2024-06-01T09:00:00Z", taken_before="2024-06-02") == day
    assert _names(library, taken_after="2024-06-01T10:00:00+01:00", prefix="trip/") == [
        "trip/lisbon.jpg",
        "trip/porto.jpg",
    ]
    assert _names(library, taken_after="2024-06-01T09:00:01+00:00", prefix="trip/") == [
        "trip/porto.jpg"
    ]
    assert _names(library, taken_before="2014-01-01") == ["cam/canon.jpg"]
    assert _names(library, camera="iphone") == ["phone/iphone.heic"]
    assert _names(library, camera="fujifilm x100") == ["trip/lisbon.jpg", "trip/porto.jpg"]
    assert _names(library, camera="24-70MM") == ["cam/sony.heic"]  # the lens counts too
    assert _names(library, place="PORTUGAL") == ["trip/lisbon.jpg", "trip/porto.jpg"]
    assert _names(library, place="lisbon") == ["trip/lisbon.jpg"]
    assert _names(library, place="Kherson") == ["phone/iphone.heic"]
    assert _names(library, country="ru") == ["phone/xiaomi.heic"]
    assert _names(library, near="38.70,-9.14", radius_km=5) == ["trip/lisbon.jpg"]
    assert _names(library, near="40,-9", radius_km=300) == ["trip/lisbon.jpg", "trip/porto.jpg"]
    assert _names(library, place="lisbon", camera="iphone") == []


def test_order_taken_newest_first_then_undated_by_name_with_paging(library: TestClient) -> None:
    # the DNG's time (2024-06-01 10:20:30, no offset) is later than Lisbon's 09:00 UTC
    expected = [
        "trip/porto.jpg", "cam/raw.dng", "trip/lisbon.jpg", "phone/xiaomi.heic",
        "phone/iphone.heic", "cam/sony.heic", "cam/canon.jpg", "misc/rotated.avif",
    ]  # fmt: skip
    assert _names(library, order="taken") == expected
    seen, cursor = [], None
    while True:
        params = {"order": "Taken", "limit": 3, **({"cursor": cursor} if cursor else {})}
        page = library.get("/v1/media", params=params).json()
        seen += [x["name"] for x in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == expected


def test_time_and_place_facets(library: TestClient) -> None:
    years = library.get("/v1/facets/time").json()["years"]
    by_year = {y["year"]: y for y in years}
    assert by_year[2024] == {"year": 2024, "count": 3, "months": [{"month": "2024-06", "count": 3}]}
    assert by_year[2023]["months"] == [{"month": "2023-04", "count": 1}]
    assert set(by_year) == {2024, 2023, 2021, 2020, 2013}
    assert [y["year"] for y in years] == sorted(by_year, reverse=True)
    places = library.get("/v1/facets/places").json()
    countries = {c["country_code"]: (c["country"], c["count"]) for c in places["countries"]}
    assert countries == {
        "PT": ("Portugal", 2),
        "UA": ("Ukraine", 1),
        "RU": ("Russian Federation", 1),
    }
    assert places["countries"][0]["country_code"] == "PT"
    assert {"city": "Porto", "region": "Porto", "country_code": "PT", "count": 1} in places[
        "cities"
    ]
    cameras = library.get("/v1/facets/cameras").json()["cameras"]
    assert cameras[0] == {"make": "FUJIFILM", "model": "X100V", "count": 2}
    assert {"make": "Apple", "model": "iPhone XS", "count": 1} in cameras and len(cameras) == 6
    only_pt = library.get("/v1/facets/time", params={"country": "PT"}).json()
    assert only_pt == {"years": [{"year": 2024, "count": 2,
                                  "months": [{"month": "2024-06", "count": 2}]}],
                       "sampled": False, "counted_media": None}  # fmt: skip
    # what the timeline asks when a month is picked: from the kept counts, exact
    june = {"taken_after": "2024-06-01", "taken_before": "2024-06-30"}
    in_june = library.get("/v1/facets/places", params=june).json()
    assert [(c["country_code"], c["count"]) for c in in_june["countries"]] == [("PT", 2)]
    cams = library.get("/v1/facets/cameras", params={**june, "camera": "x100"}).json()
    assert cams == {"cameras": [{"make": "FUJIFILM", "model": "X100V", "count": 2}],
                    "sampled": False, "counted_media": None}  # fmt: skip
    labelled = library.get("/v1/facets/time", params={"label": "nothing-carries-this"}).json()
    assert labelled == {"years": [], "sampled": False, "counted_media": None}


@pytest.mark.parametrize(
    "params",
    [
        {"taken_after": "yesterday"},
        {"taken_before": "2024-13-01"},
        {"near": "91,0"},
        {"near": "north"},
        {"radius_km": "5"},
        {"near": "1,1", "radius_km": "-1"},
        {"country": "PRT"},
        {"order": "when"},
    ],
)
def test_bad_metadata_filters_answer_400_json(library: TestClient, params: dict) -> None:
    r = library.get("/v1/media", params=params)
    assert r.status_code in (400, 422) and r.headers["content-type"].startswith(
        "application/json"
    ), r.text


def test_store_location_off_keeps_no_coordinates_and_no_place(
    make_api: Callable[..., TestClient],
) -> None:
    api = make_api()
    api.app.state.ctx.settings.metadata.store_location = False  # type: ignore[attr-defined]
    original = camera_file("iphone_xs.heic")
    _put(api, {"p.heic": original})
    item = api.get("/v1/media/p.heic").json()
    assert item["taken_at"] and item["camera"]["make"] == "Apple"
    assert item["location"] is None and item["place"] is None
    assert _names(api, country="UA") == [] and _names(api, place="kherson") == []
    assert api.get("/v1/media/p.heic/file").content == original  # never modified


def test_reindex_fills_metadata_of_media_analysed_before_it_existed(
    make_api: Callable[..., TestClient],
) -> None:
    api = make_api()
    _put(api, {"old.heic": camera_file("xiaomi.heic")})
    engine = api.app.state.ctx.engine  # type: ignore[attr-defined]
    with write_tx(engine) as conn:  # as an index migrated from 0009 holds it
        conn.execute(update(media).values(meta=None, taken_at=None, country_code=None))
        conn.execute(analyses.delete().where(analyses.c.analyzer == "metadata"))
    assert api.get("/v1/media/old.heic").json()["taken_at"] is None
    r = api.post("/v1/reindex", json={})
    assert r.json()["queued"] == 1
    _drain(api)
    item = api.get("/v1/media/old.heic").json()
    assert item["taken_at"] == "2023-04-27T19:44:18.732000"
    assert [a["analyzer"] for a in item["analyses"]] == ["colour"]
    assert _names(api, country="RU") == ["old.heic"]
    assert api.post("/v1/reindex", json={}).json()["queued"] == 0  # current: nothing to do


def test_video_time_and_location_from_its_container(
    make_api: Callable[..., TestClient], tmp_path: Path
) -> None:
    api = make_api()
    _put(api, {"clip.mp4": located_video(tmp_path)})
    item = api.get("/v1/media/clip.mp4").json()
    assert item["taken_at"] == "2024-06-01T10:20:30+00:00"
    assert item["location"] == {"lat": 38.7223, "lon": -9.1393, "alt": 12.0}
    assert item["place"]["country_code"] == "PT" and item["video"]["duration_ms"] == 1000


def test_filters_matching_many_are_tested_per_item_with_the_same_answer(
    library: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SQLite walks the name order and tests each item when a time range or place matches
    # more than SELECTIVE media; with SELECTIVE at 1 these small ones take that path too
    queries = [
        {"taken_after": "2016-01-01"},
        {"taken_before": "2024-06-02", "prefix": "trip/"},
        {"place": "portugal"},
        {"place": "porto", "taken_after": "2024-06-02"},
        {"near": "40,-9", "radius_km": 300},
    ]
    before = [_names(library, **q) for q in queries]
    monkeypatch.setattr("mediaquery.index.query.SELECTIVE", 1)
    # a time range alone is chosen by the kept month counts: at 0 every one is "many"
    monkeypatch.setattr("mediaquery.index.metadata.SORTED_RANGE", 0)
    assert [_names(library, **q) for q in queries] == before
    assert before[2] == ["trip/lisbon.jpg", "trip/porto.jpg"] and before[3] == ["trip/porto.jpg"]


def _pages(client: TestClient, **params: object) -> list[list[str]]:
    pages, cursor = [], None
    while True:
        r = client.get("/v1/media", params={**params, "limit": 2, "cursor": cursor}).json()
        pages.append([x["name"] for x in r["items"]])
        cursor = r["next_cursor"]
        if cursor is None:
            return pages


def test_a_time_range_alone_pages_alike_from_its_index_or_tested_per_item(
    library: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SQLite reads a range with few matches (by the kept month counts) from its index and
    # sorts a page of ids; one with many is tested per item in name order: the same pages
    ranges = [
        {"taken_after": "2016-01-01"},
        {"taken_after": "2019-05-01", "taken_before": "2024-06-02"},
    ]
    by_index = [_pages(library, **q) for q in ranges]
    monkeypatch.setattr("mediaquery.index.metadata.SORTED_RANGE", 0)
    assert [_pages(library, **q) for q in ranges] == by_index
    every = [n for page in by_index[0] for n in page]
    assert len(by_index[0]) >= 3 and every == sorted(every)
    within = [n for page in by_index[1] for n in page]
    assert "trip/lisbon.jpg" in within and "trip/porto.jpg" not in within
    assert set(within) < set(every)


def test_place_and_camera_facets_of_many_matches_are_sampled(library: TestClient) -> None:
    from mediaquery.index.meta_facets import camera_facets, place_facets
    from mediaquery.index.query import MediaFilter

    engine = library.app.state.ctx.engine  # type: ignore[attr-defined]
    everything = MediaFilter()
    with engine.connect() as conn:
        assert place_facets(conn, everything, counts=False)["sampled"] is False
        few = place_facets(conn, everything, sample=2, counts=False)
        cams = camera_facets(conn, everything, sample=3, counts=False)
    assert few["sampled"] and few["counted_media"] == 2
    assert sum(c["count"] for c in few["countries"]) == 2
    assert cams["sampled"] and sum(c["count"] for c in cams["cameras"]) == 3
    r = library.get("/v1/facets/places").json()
    assert (r["sampled"], r["counted_media"]) == (False, None)
