"""What each backend can do beyond the basics, asked through the Storage protocol."""

from __future__ import annotations

from pathlib import Path

from mediaquery.storage.base import Storage
from mediaquery.storage.local import LocalStorage
from mediaquery.storage.s3 import S3Storage


def test_a_folder_serves_files_and_is_watched(tmp_path: Path) -> None:
    storage: Storage = LocalStorage(tmp_path / "media")
    path = storage.local_path("trip/a.jpg")
    assert path == (tmp_path / "media" / "trip" / "a.jpg").resolve()
    folder = storage.folder()
    assert folder is not None and folder.relative(path) == "trip/a.jpg"
    assert storage.event_source() is None
    assert storage.pages() is None
    assert storage.location("trip/a.jpg") is None


def test_an_s3_bucket_streams_notifies_and_lists_in_pages(tmp_path: Path) -> None:
    # no request is made: the client is never called
    storage: Storage = S3Storage(None, "photos", "library", tmp_path, page_size=7)
    assert storage.local_path("trip/a.jpg") is None
    assert storage.folder() is None
    source = storage.event_source()
    assert source is not None and source.bucket == "photos"
    assert source.name_of("library/trip/a.jpg") == "trip/a.jpg"
    assert source.name_of("elsewhere/a.jpg") is None
    pages = storage.pages()
    assert pages is not None and pages.page_size == 7
    assert storage.location("trip/a.jpg") == ("photos", "library/trip/a.jpg")
