"""The video pipeline on clips the tests encode: sampling, shots, segments, text, bad input."""

from __future__ import annotations

import importlib.util
import io
import struct
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import replace
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from mediaquery.analyzers.base import Analyzer
from mediaquery.domain import Findings, LabelFinding
from mediaquery.errors import AnalysisError
from mediaquery.video.analyze import VideoResult, analyze_video, merge_results
from mediaquery.video.decode import clockwise, poster_jpeg, probe, sample_frames, upright
from mediaquery.video.segments import LabelSegment, aggregate, merge_segments, timestamps
from mediaquery.video.shots import ShotDetector

skimage_data = pytest.importorskip("skimage.data")

SIZE = (640, 360)
FPS = 10
TITLE = "MEDIA QUERY VIDEO"
CUTS = [0, 4000, 7000]  # cat 4 s, coffee 3 s, text 3 s


def photo(name: str) -> Image.Image:
    return Image.fromarray(getattr(skimage_data, name)()).convert("RGB").resize(SIZE)


def title_card() -> Image.Image:
    card = Image.new("RGB", SIZE, "white")
    font = ImageFont.load_default(size=60)
    ImageDraw.Draw(card).text((SIZE[0] // 2, SIZE[1] // 2), TITLE, "black", font, anchor="mm")
    return card


def encode(
    path: Path,
    frames: Iterable[Image.Image | np.ndarray],
    fps: int = FPS,
    preset: str = "veryfast",
    rotation: float | None = None,
    **container_options: str,
) -> Path:
    """Write H.264 in MP4 with x264 (`veryfast` has B-frames); keyframes every 2 s."""
    with av.open(str(path), "w", options=container_options) as out:
        stream = out.add_stream("libx264", rate=fps, options={"preset": preset, "g": str(2 * fps)})
        stream.pix_fmt = "yuv420p"
        if rotation is not None:
            stream.set_display_rotation(rotation)
        for pts, pixels in enumerate(frames):
            if isinstance(pixels, Image.Image):
                frame = av.VideoFrame.from_image(pixels)
            else:
                frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            if pts == 0:
                stream.width, stream.height = frame.width, frame.height
            frame.pts = pts
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    return path


def gradient_frames(n: int, size: tuple[int, int] = (320, 180)) -> Iterator[np.ndarray]:
    """Moving noise-free content that still costs bytes (for byte-level damage tests)."""
    yy, xx = np.mgrid[0 : size[1], 0 : size[0]]
    for i in range(n):
        red = (xx * 3 + i * 7) % 256
        green = (yy * 5 + i * 3) % 256
        blue = ((xx ^ yy) + i * 11) % 256
        yield np.stack([red, green, blue], axis=-1).astype(np.uint8)


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """10 s at 10 fps: the cat (4 s), a cup of coffee (3 s), a title card (3 s)."""
    scenes = [(photo("chelsea"), 4), (photo("coffee"), 3), (title_card(), 3)]
    frames = [image for image, seconds in scenes for _ in range(seconds * FPS)]
    return encode(tmp_path_factory.mktemp("video") / "clip.mp4", frames)


class Painted(Analyzer):
    """A fake analyzer: labels by mean brightness, one caption line; records its calls."""

    name = "painted"
    version = "1"

    def __init__(self, fail: bool = False) -> None:
        super().__init__(Path("."))
        self.batches: list[int] = []
        self.fail = fail

    def analyze_batch(self, images: Any) -> list[Findings]:
        self.batches.append(len(images))
        if self.fail:
            raise RuntimeError("analyzer broke")
        return super().analyze_batch(images)

    def _analyze(self, image: Image.Image) -> Findings:
        level = int(np.asarray(image.convert("L")).mean()) // 32
        line = {"text": f"level {level}", "confidence": 90.0, "box": {"left": 0.0}}
        labels = [LabelFinding(f"Level{level}", 80.0), LabelFinding("Faint", 5.0)]
        return Findings(self.name, self.version, labels, extra={"lines": [line]})


def spans(segments: list[LabelSegment], name: str) -> list[tuple[int, int]]:
    return [(s.start_ms, s.end_ms) for s in segments if s.name == name]


# --- decoding ---------------------------------------------------------------------------------


def test_probe_reads_the_header(clip: Path) -> None:
    info = probe(clip)
    assert (info.duration_ms, info.fps, info.width, info.height) == (10000, 10.0, 640, 360)
    assert (info.codec, info.rotation, info.has_video, info.frames_hint) == ("h264", 0, True, 100)


def test_samples_are_the_first_frames_at_or_after_each_point(clip: Path) -> None:
    sampler = sample_frames(clip)
    got = {f.ts_ms: np.asarray(f.image) for f in sampler}
    assert list(got) == list(range(0, 10000, 1000))
    assert sampler.stats.frames_sampled == 10 and not sampler.stats.stopped_by_budget
    # Seeking and dropping unneeded B-frames must not change which pixels come back.
    assert sampler.stats.frames_decoded < 100
    with av.open(str(clip)) as container:
        stream = container.streams.video[0]
        every = {
            round(float(f.time) * 1000): np.asarray(f.to_image()) for f in container.decode(stream)
        }
    for ts, pixels in got.items():
        assert np.array_equal(pixels, every[ts])


def test_start_end_and_interval(clip: Path) -> None:
    frames = list(sample_frames(clip, interval_ms=1500, start_ms=2500, end_ms=8000, max_side=320))
    assert [f.ts_ms for f in frames] == [2500, 4000, 5500, 7000]
    assert {f.image.size for f in frames} == {(320, 180)} and frames[0].image.mode == "RGB"


def test_variable_frame_rate_uses_timestamps(tmp_path: Path) -> None:
    times = [0, 100, 150, 1900, 2000, 2050, 5000, 5100]
    path = tmp_path / "vfr.mp4"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=10, options={"preset": "ultrafast"})
        stream.width, stream.height, stream.pix_fmt = 160, 96, "yuv420p"
        stream.codec_context.time_base = stream.time_base = Fraction(1, 1000)
        for t in times:
            frame = av.VideoFrame.from_ndarray(np.full((96, 160, 3), t % 256, np.uint8))
            frame.pts, frame.time_base = t, Fraction(1, 1000)
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    # A gap yields the next frame once and skips the sampling points it covers.
    assert [f.ts_ms for f in sample_frames(path)] == [0, 1900, 2000, 5000]
    assert [f.ts_ms for f in sample_frames(path, 500, start_ms=1000)] == [1900, 2000, 5000]


def test_budget_stops_sampling_and_says_so(clip: Path) -> None:
    sampler = sample_frames(clip, budget_s=0.0)
    assert list(sampler) == [] and sampler.stats.stopped_by_budget
    result = analyze_video(clip, [Painted()], [], budget_s=0.0)
    assert result.frames_analyzed == 0 and result.stats.stopped_by_budget
    assert result.shots == [] and result.segments == []


def test_poster_is_a_small_jpeg(clip: Path) -> None:
    for at_ms in (None, 5500, 60_000):  # 10% in, mid-coffee, past the end (first frame)
        data = poster_jpeg(clip, at_ms)
        assert data[:3] == b"\xff\xd8\xff"
        with Image.open(io.BytesIO(data)) as image:
            assert image.size == (320, 180)


# --- rotation -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("cw", "rgb_at_top_left"), [(0, 255), (90, 255), (180, 0), (270, 0)])
def test_upright_turns_clockwise(cw: int, rgb_at_top_left: int) -> None:
    stored = np.zeros((2, 4, 3), np.uint8)
    stored[:, :2] = 255  # left half white
    image = upright(Image.fromarray(stored), cw)
    assert image.size == ((4, 2) if cw in (0, 180) else (2, 4))
    assert np.asarray(image)[0, 0, 0] == rgb_at_top_left
    # FFmpeg's display matrix angle is counter-clockwise; phones write -90 for portrait.
    assert clockwise(-cw) == cw % 360 and clockwise(360 - cw) == cw % 360


def test_phone_video_rotation_is_applied(tmp_path: Path) -> None:
    stored = np.zeros((32, 64, 3), np.uint8)
    stored[:, :32] = 255  # as stored: left half white; shown turned 90° clockwise
    path = encode(tmp_path / "portrait.mp4", [stored] * 3, preset="ultrafast", rotation=-90)
    info = probe(path)
    assert (info.rotation, info.width, info.height) == (90, 32, 64)
    pixels = np.asarray(next(iter(sample_frames(path))).image.convert("L"), dtype=float)
    assert pixels.shape == (64, 32)
    assert pixels[:28].mean() > 200 and pixels[36:].mean() < 50  # the left side is now on top


# --- shots and segments -------------------------------------------------------------------------


def test_shot_detector_finds_the_cuts(clip: Path) -> None:
    detector = ShotDetector()
    starts = [
        f.ts_ms for f in sample_frames(clip, interval_ms=500) if detector.is_new_shot(f.image)
    ]
    assert starts == CUTS


def test_aggregate_merges_bridges_and_clips() -> None:
    cat, dog = LabelFinding("Cat", 90.0, ("Animal",)), LabelFinding("Dog", 40.0)
    observations: list[tuple[int, list[LabelFinding]]] = [
        (0, [cat]),
        (1000, [cat, replace(cat, confidence=70.0), dog]),  # twice in one sample: its best
        (2000, []),
        (3000, [replace(cat, confidence=60.0)]),  # one missed sample: bridged
        (6000, [cat]),  # two missed: a new segment
        (9500, [dog]),
    ]
    segments = aggregate(observations, 1000, duration_ms=10000)
    assert spans(segments, "Cat") == [(0, 4000), (6000, 7000)]
    assert spans(segments, "Dog") == [(1000, 2000), (9500, 10000)]
    first = segments[0]
    assert (first.name, first.parents, first.max_confidence, first.samples) == (
        "Cat",
        ("Animal",),
        90.0,
        3,
    )
    assert first.mean_confidence == pytest.approx(80.0)
    assert spans(aggregate(observations, 1000, gap_ms=0), "Cat") == [
        (0, 2000),
        (3000, 4000),
        (6000, 7000),
    ]
    assert spans(aggregate(observations, 1000, gap_ms=3000), "Cat") == [(0, 7000)]
    rows = timestamps(observations)
    assert rows[:2] == [
        {"ts_ms": 0, "name": "Cat", "confidence": 90.0},
        {"ts_ms": 1000, "name": "Cat", "confidence": 90.0},
    ]
    assert merge_segments(segments, 1500) == segments


def test_cheap_per_sample_expensive_per_shot(clip: Path) -> None:
    cheap, expensive = Painted(), Painted()
    seen: list[float] = []
    result = analyze_video(clip, [cheap], [expensive], progress=seen.append, min_confidence=25)
    assert result.frames_analyzed == 10 and sum(cheap.batches) == 10
    assert max(cheap.batches) <= 8
    assert expensive.batches == [1, 1, 1]  # once per shot
    assert [(s["start_ms"], s["end_ms"]) for s in result.shots] == [
        (0, 4000),
        (4000, 7000),
        (7000, 10000),
    ]
    assert seen == sorted(seen) and seen[-1] == 100.0 and len(seen) >= 10
    assert not [s for s in result.segments if s.name == "Faint"]  # below min_confidence
    # The title card's label and caption hold over its whole shot.
    white = [s for s in result.segments if s.name == "Level7"]
    assert [(s.start_ms, s.end_ms, s.samples) for s in white] == [(7000, 10000, 3)]
    assert {(t["text"], t["start_ms"], t["end_ms"]) for t in result.text} >= {
        ("level 7", 7000, 10000)
    }


def test_chunks_merge_into_the_whole(clip: Path) -> None:
    def run(start_ms: int = 0, end_ms: int | None = None) -> VideoResult:
        return analyze_video(clip, [Painted()], [Painted()], start_ms=start_ms, end_ms=end_ms)

    whole = run()
    parts = [run(end_ms=3000), run(3000, 6000), run(6000)]
    merged = merge_results(parts[::-1], 1000)
    assert merged.segments == whole.segments
    assert merged.shots == whole.shots and merged.text == whole.text
    assert merged.timestamps == whole.timestamps and merged.frames_analyzed == 10
    # A chunk past the real end (the header promised more) adds nothing.
    beyond = merge_results([*parts, run(10000, 13000)], 1000)
    assert beyond.shots == whole.shots and beyond.stats.covered_ms == 10000


@pytest.mark.parametrize("which", ["cheap", "expensive"])
def test_an_analyzer_error_stops_the_threads(clip: Path, which: str) -> None:
    broken, fine = [Painted(fail=True)], [Painted()]
    cheap, expensive = (broken, fine) if which == "cheap" else (fine, broken)
    with pytest.raises(RuntimeError, match="analyzer broke"):
        analyze_video(clip, cheap, expensive)
    names = {t.name.split("_")[0] for t in threading.enumerate()}
    assert not names & {"video-decode", "video-expensive"}


# --- the real models ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def analyzed(clip: Path, model_cache: Path) -> VideoResult:
    from mediaquery.analyzers.imagenet import LabelsAnalyzer

    expensive: list[Analyzer] = []
    try:
        from mediaquery.analyzers.text import TextAnalyzer

        if importlib.util.find_spec("rapidocr") is not None:  # imported only when first used
            expensive.append(TextAnalyzer(model_cache))
    except ImportError:
        pass
    return analyze_video(clip, [LabelsAnalyzer(model_cache)], expensive)


@pytest.mark.model
def test_labels_follow_the_scenes(analyzed: VideoResult) -> None:
    cat = spans(analyzed.segments, "Cat")
    assert len(cat) == 1 and cat[0][0] <= 1000 and 3000 <= cat[0][1] <= 5000, cat
    assert all(end <= 7000 for _, end in cat)
    drink = spans(analyzed.segments, "Espresso") + spans(analyzed.segments, "Coffee")
    assert drink and all(3000 <= start and end <= 8000 for start, end in drink), drink
    assert any(start <= 5000 and end >= 6000 for start, end in drink)
    assert [s["start_ms"] for s in analyzed.shots] == CUTS
    assert {"ts_ms": 0, "name": "Cat"}.items() <= next(
        r for r in analyzed.timestamps if r["name"] == "Cat"
    ).items()


@pytest.mark.model
def test_text_is_read_with_its_time_range(analyzed: VideoResult) -> None:
    if "text" not in analyzed.stats.analyze_s:
        pytest.skip("the text analyzer is not importable")
    found = [t for t in analyzed.text if " ".join(t["text"].upper().split()) == TITLE]
    assert found, analyzed.text
    assert all(7000 <= t["start_ms"] < t["end_ms"] <= 10000 for t in found)


# --- bad input ------------------------------------------------------------------------------------


@pytest.mark.timeout(60)
def test_empty_and_junk_files(tmp_path: Path) -> None:
    (tmp_path / "empty.mp4").write_bytes(b"")
    (tmp_path / "junk.mp4").write_bytes(b"not a video " * 100)
    with pytest.raises(AnalysisError, match="empty"):
        probe(tmp_path / "empty.mp4")
    with pytest.raises(AnalysisError, match="Not a decodable video"):
        analyze_video(tmp_path / "junk.mp4", [Painted()], [])


@pytest.mark.timeout(60)
def test_audio_only_mp4(tmp_path: Path) -> None:
    path = tmp_path / "audio.mp4"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("aac", rate=44100)
        for i in range(20):
            frame = av.AudioFrame.from_ndarray(
                np.zeros((1, 1024), np.float32), format="fltp", layout="mono"
            )
            frame.sample_rate, frame.pts = 44100, i * 1024
            out.mux(stream.encode(frame))
        out.mux(stream.encode())
    with pytest.raises(AnalysisError, match=r"No video stream .*only audio"):
        probe(path)
    with pytest.raises(AnalysisError, match="No video stream"):
        list(sample_frames(path))


@pytest.mark.timeout(60)
def test_truncated_mp4(tmp_path: Path) -> None:
    # Index at the end (the muxer's default): half a file has no index and cannot be read.
    full = encode(tmp_path / "full.mp4", gradient_frames(100), preset="ultrafast").read_bytes()
    (tmp_path / "half.mp4").write_bytes(full[: len(full) // 2])
    with pytest.raises(AnalysisError, match="Not a decodable video"):
        analyze_video(tmp_path / "half.mp4", [Painted()], [])
    # Index first ("faststart"): the first half of the frames is there; we get those.
    fast = encode(
        tmp_path / "fast.mp4", gradient_frames(100), preset="ultrafast", movflags="faststart"
    )
    (tmp_path / "fast-half.mp4").write_bytes(fast.read_bytes()[: fast.stat().st_size // 2])
    result = analyze_video(tmp_path / "fast-half.mp4", [Painted()], [])
    assert 2 <= result.frames_analyzed <= 8 and result.stats.covered_ms < 10000


def mp4_boxes(buf: bytearray, start: int, end: int) -> Iterator[tuple[str, int, int]]:
    """(type, body start, end) of the MP4 boxes in buf[start:end]."""
    i = start
    while i + 8 <= end:
        size, kind = struct.unpack(">I4s", buf[i : i + 8])
        body = i + 8
        if size == 1:
            size, body = struct.unpack(">Q", buf[i + 8 : i + 16])[0], i + 16
        size = size or end - i
        yield kind.decode("latin-1"), body, i + size
        i += size


@pytest.mark.timeout(60)
def test_header_claiming_ten_hours(tmp_path: Path) -> None:
    # Matroska keeps the duration in its header only (MP4 demuxing trusts the sample table).
    path = encode(tmp_path / "long.mkv", gradient_frames(10), preset="ultrafast")
    data = bytearray(path.read_bytes())
    at = data.find(b"\x44\x89\x88")  # EBML Duration element: 8-byte float, in milliseconds
    assert struct.unpack(">d", data[at + 3 : at + 11]) == (1000.0,)
    data[at + 3 : at + 11] = struct.pack(">d", 10 * 3600 * 1000.0)
    path.write_bytes(bytes(data))
    assert probe(path).duration_ms == 36_000_000
    seen: list[float] = []
    started = time.monotonic()
    result = analyze_video(path, [Painted()], [Painted()], progress=seen.append)
    assert time.monotonic() - started < 30
    assert result.frames_analyzed == 1 and result.stats.covered_ms == 1000
    assert result.shots == [{"start_ms": 0, "end_ms": 1000}] and seen == [0.0, 100.0]
    assert poster_jpeg(path)[:2] == b"\xff\xd8"  # 10% of 10 h is past the end: first frame


@pytest.mark.timeout(60)
def test_corrupt_bytes_mid_stream_are_skipped(tmp_path: Path) -> None:
    path = encode(tmp_path / "damaged.mp4", gradient_frames(100), preset="ultrafast")
    buf = bytearray(path.read_bytes())
    _, body, stop = next(b for b in mp4_boxes(buf, 0, len(buf)) if b[0] == "mdat")
    middle = (body + stop) // 2
    buf[middle : middle + 3000] = (
        np.random.default_rng(1).integers(0, 256, 3000, np.uint8).tobytes()
    )
    path.write_bytes(bytes(buf))
    sampler = sample_frames(path)
    stamps = [f.ts_ms for f in sampler]
    assert len(stamps) >= 8 and stamps[-1] == 9000, stamps
    assert sampler.stats.errors_skipped > 0


@pytest.mark.slow
@pytest.mark.timeout(60)
def test_8k_frames_are_downscaled(tmp_path: Path) -> None:
    big = np.zeros((4320, 7680, 3), np.uint8)
    big[:, 3840:] = 255
    path = encode(tmp_path / "8k.mp4", [big, big], preset="ultrafast")
    info = probe(path)
    assert (info.width, info.height) == (7680, 4320)
    started = time.monotonic()
    frames = list(sample_frames(path, interval_ms=50))
    assert time.monotonic() - started < 20
    assert [f.image.size for f in frames] == [(1280, 720), (1280, 720)]
    assert np.asarray(frames[0].image)[:, 700:].mean() > 250
