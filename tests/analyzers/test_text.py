"""The `text` analyzer reads drawn text back exactly, in reading order, where it was drawn."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from mediaquery.analyzers import text as text_module
from mediaquery.analyzers.text import TextAnalyzer
from mediaquery.domain import Box
from mq_geometry import iou

skimage_data = pytest.importorskip("skimage.data")
pytestmark = pytest.mark.model

TITLE = "MEDIA QUERY 2026"
SENTENCE = "The quick brown fox jumps over the lazy dog."
Rect = tuple[float, float, float, float]


def photo(name: str) -> Image.Image:
    loader: Callable[[], np.ndarray] = getattr(skimage_data, name)
    return Image.fromarray(loader()).convert("RGB")


def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    # Pillow's bundled scalable font (Aileron), so the test needs no system fonts.
    return ImageFont.load_default(size=size)


def write(img: Image.Image, xy: tuple[int, int], words: str, size: int, **kw: Any) -> Rect:
    """Draw `words` and return where the ink is (pixels)."""
    draw = ImageDraw.Draw(img)
    draw.text(xy, words, font=font(size), fill=kw.get("fill", "black"))
    left, top, right, bottom = draw.textbbox(xy, words, font=font(size))
    return (left, top, right, bottom)


def texts(lines: object) -> list[str]:
    assert isinstance(lines, list)
    return [" ".join(str(line["text"]).split()) for line in lines]


@pytest.fixture(scope="module")
def analyzer(tmp_path_factory: pytest.TempPathFactory) -> TextAnalyzer:
    return TextAnalyzer(tmp_path_factory.mktemp("models"), threads=1)


@pytest.fixture
def recogniser_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Counts RapidOCR recogniser runs (one per batch of detected regions)."""
    from rapidocr.ch_ppocr_rec import TextRecognizer

    calls: list[int] = []
    real = TextRecognizer.__call__

    def counting(self: TextRecognizer, args: Any) -> Any:
        calls.append(1)
        return real(self, args)

    monkeypatch.setattr(TextRecognizer, "__call__", counting)
    yield calls


def test_reads_a_title_and_a_sentence_where_they_were_drawn(analyzer: TextAnalyzer) -> None:
    img = Image.new("RGB", (640, 480), "white")
    drawn = [write(img, (40, 60), TITLE, 48), write(img, (40, 220), SENTENCE, 24)]
    findings = analyzer.analyze(img)
    assert findings.analyzer == "text" and findings.version == TextAnalyzer.version
    lines = findings.extra["lines"]
    assert texts(lines) == [TITLE, SENTENCE]
    assert isinstance(lines, list)
    for line, ink in zip(lines, drawn, strict=True):
        assert 80 <= line["confidence"] <= 100
        assert iou(Box(**line["box"]), img.size, ink) > 0.5
    (label,) = findings.labels
    assert label.name == "Text" and label.category == "Text"
    assert label.confidence == max(line["confidence"] for line in lines)
    assert [b.top for b in label.boxes] == [line["box"]["top"] for line in lines]


def test_reads_a_caption_on_a_photo(analyzer: TextAnalyzer) -> None:
    img = photo("astronaut")
    ImageDraw.Draw(img).rectangle((20, 440, 492, 492), fill="white")
    ink = write(img, (30, 448), "GRAND OPENING 2026", 30)
    lines = analyzer.analyze(img).extra["lines"]
    assert texts(lines) == ["GRAND OPENING 2026"]
    assert isinstance(lines, list)
    assert iou(Box(**lines[0]["box"]), img.size, ink) > 0.5


def test_lines_come_in_reading_order(analyzer: TextAnalyzer) -> None:
    img = Image.new("RGB", (800, 500), "white")
    # Drawn bottom first, then right before left: the order must not depend on drawing.
    write(img, (60, 360), "BOTTOM LINE", 36)
    write(img, (520, 100), "RIGHT SIDE", 36)
    write(img, (60, 104), "LEFT SIDE", 36)  # a little lower, but the same row
    write(img, (60, 230), "MIDDLE ROW", 36)
    lines = analyzer.analyze(img).extra["lines"]
    assert texts(lines) == ["LEFT SIDE", "RIGHT SIDE", "MIDDLE ROW", "BOTTOM LINE"]


@pytest.mark.parametrize("name", ["coffee", "astronaut", "chelsea", "camera"])
def test_photos_without_text_have_no_lines(analyzer: TextAnalyzer, name: str) -> None:
    # coffee: the cup seen from above is read as one huge "8" (0.95); a line needs 2 characters.
    findings = analyzer.analyze(photo(name))
    assert findings.labels == []
    assert findings.extra == {"lines": []}


def test_no_recogniser_run_without_text_regions(
    analyzer: TextAnalyzer, recogniser_calls: list[int]
) -> None:
    analyzer.analyze(photo("astronaut"))
    assert recogniser_calls == []  # the detector found nothing: one model pass only
    img = Image.new("RGB", (640, 480), "white")
    write(img, (40, 60), TITLE, 48)
    analyzer.analyze(img)
    assert len(recogniser_calls) == 1


def test_uses_bundled_models_and_downloads_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    from rapidocr.utils.download_file import DownloadFile

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("rapidocr tried to download a file")

    monkeypatch.setattr(DownloadFile, "run", refuse)
    engine = text_module._engine.__wrapped__(1)  # a fresh engine, not the cached one
    img = Image.new("RGB", (640, 480), "white")
    write(img, (40, 60), TITLE, 48)
    result = engine(np.ascontiguousarray(np.asarray(img)[:, :, ::-1]))
    assert result.txts == (TITLE,)
    assert text_module.models_dir().is_dir()


def test_large_image_is_shrunk_and_still_read(analyzer: TextAnalyzer) -> None:
    img = Image.new("RGB", (4000, 1200), "white")
    ink = write(img, (200, 400), TITLE, 240)
    lines = analyzer.analyze(img).extra["lines"]
    assert texts(lines) == [TITLE]
    assert isinstance(lines, list)
    assert iou(Box(**lines[0]["box"]), img.size, ink) > 0.5


@pytest.mark.parametrize(
    "size", [(1, 4000), (4000, 1), (1, 1), (3, 3), (15, 600), (20, 4000), (8000, 10)]
)
def test_degenerate_images_have_no_lines(analyzer: TextAnalyzer, size: tuple[int, int]) -> None:
    findings = analyzer.analyze(Image.new("RGB", size, "white"))
    assert findings.labels == []
    assert findings.extra == {"lines": []}
