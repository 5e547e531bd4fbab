"""Probe and sample videos with PyAV: exact timestamps, upright frames, bounded size and time."""

from __future__ import annotations

import io
import logging
import time
from bisect import bisect_right
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
from av.container import InputContainer
from av.stream import Disposition
from av.video.frame import VideoFrame
from av.video.stream import VideoStream
from PIL import Image

from mediaquery.errors import AnalysisError

log = logging.getLogger(__name__)

POSTER_SIDE = 320
# A file whose first frames all fail to decode is treated as undecodable after this many
# packets, so a broken file cannot make `probe` read gigabytes.
PROBE_PACKETS = 500
# Jumping to a keyframe flushes the decoder's frame-thread pipeline; only worth it when it
# skips at least this much video.
MIN_SEEK_SKIP_MS = 1000
_TURNS = {
    90: Image.Transpose.ROTATE_270,  # PIL turns counter-clockwise: 270 ccw is 90 clockwise
    180: Image.Transpose.ROTATE_180,
    270: Image.Transpose.ROTATE_90,
}


@dataclass(frozen=True, slots=True)
class VideoInfo:
    """What the container says about the video; width and height are upright."""

    duration_ms: int | None
    fps: float | None
    width: int
    height: int
    codec: str
    rotation: int  # degrees clockwise that turn the stored frames upright: 0, 90, 180 or 270
    has_video: bool
    frames_hint: int | None


@dataclass(frozen=True, slots=True)
class Frame:
    """One sampled frame: its presentation time and upright RGB pixels."""

    ts_ms: int
    image: Image.Image


@dataclass(slots=True)
class SampleStats:
    """How sampling went; filled in while iterating."""

    frames_decoded: int = 0
    frames_sampled: int = 0
    errors_skipped: int = 0
    seeks: int = 0
    stopped_by_budget: bool = False
    last_ts_ms: int | None = None
    decode_s: float = 0.0  # time spent decoding and converting, not in the consumer


def upright(image: Image.Image, rotation: int) -> Image.Image:
    """Turn `image` clockwise by `rotation` degrees (multiples of 90; others are ignored)."""
    turn = _TURNS.get(rotation % 360)
    return image.transpose(turn) if turn is not None else image


def clockwise(display_rotation: float) -> int:
    """FFmpeg's display-matrix angle (counter-clockwise) as clockwise degrees: 0/90/180/270."""
    return int(round(-display_rotation / 90.0)) % 4 * 90


def probe(path: Path | str) -> VideoInfo:
    """Read the container header and the first frame; raise AnalysisError if unusable."""
    with _open(path) as container:
        stream = _video_stream(container)
        first = _first_frame(container, stream)
        rotation = _rotation(first, stream)
        width, height = _display_size(first.width, first.height, stream)
        if rotation in (90, 270):
            width, height = height, width
        rate = stream.average_rate or stream.guessed_rate
        return VideoInfo(
            duration_ms=_duration_ms(container, stream),
            fps=float(rate) if rate else None,
            width=width,
            height=height,
            codec=stream.codec_context.name,
            rotation=rotation,
            has_video=True,
            frames_hint=stream.frames or None,
        )


def sample_frames(
    path: Path | str,
    interval_ms: int = 1000,
    start_ms: int = 0,
    end_ms: int | None = None,
    budget_s: float | None = None,
    max_side: int = 1280,
) -> FrameSampler:
    """Frames at `start_ms + k * interval_ms` (first at or after each point); see FrameSampler."""
    return FrameSampler(Path(path), interval_ms, start_ms, end_ms, budget_s, max_side)


def poster_jpeg(path: Path | str, at_ms: int | None = None) -> bytes:
    """A small JPEG (longer side 320) of the frame at `at_ms`, default 10% in."""
    if at_ms is None:
        duration = probe(path).duration_ms
        at_ms = duration // 10 if duration else 0
    frame = _first_sample(path, at_ms)
    if frame is None and at_ms > 0:  # the header promised more video than the file has
        frame = _first_sample(path, 0)
    if frame is None:
        raise AnalysisError("Video has no decodable frame for a poster")
    buf = io.BytesIO()
    frame.image.save(buf, "JPEG", quality=80)
    return buf.getvalue()


def _first_sample(path: Path | str, at_ms: int) -> Frame | None:
    sampler = sample_frames(path, interval_ms=1, start_ms=at_ms, max_side=POSTER_SIDE)
    try:
        return next(sampler, None)
    finally:
        sampler.close()


@dataclass(eq=False)
class FrameSampler:
    """An iterator of Frames; `stats` says what was decoded, skipped and why it stopped.

    Packets or frames that fail to decode are counted and skipped; the end of the readable
    data ends the iteration, whatever the header claims. With a keyframe index (MP4, MKV with
    cues) it seeks over stretches that no sampling point needs.
    """

    path: Path
    interval_ms: int = 1000
    start_ms: int = 0
    end_ms: int | None = None
    budget_s: float | None = None
    max_side: int = 1280
    stats: SampleStats = field(default_factory=SampleStats, init=False)

    def __post_init__(self) -> None:
        if self.interval_ms <= 0 or self.max_side <= 0:
            raise ValueError("interval_ms and max_side must be positive")
        self.start_ms = max(0, self.start_ms)
        self._gen = self._run()

    def __iter__(self) -> FrameSampler:
        return self

    def __next__(self) -> Frame:
        return next(self._gen)

    def close(self) -> None:
        """Stop early and release the file."""
        self._gen.close()

    def _run(self) -> Generator[Frame, None, None]:
        self._started = resumed = time.monotonic()
        stats = self.stats
        with _open(self.path) as container:
            stream = _video_stream(container)
            stream.thread_type = "AUTO"  # slice+frame threads; the count follows the cores
            self._origin = stream.start_time or 0
            self._scale = float(stream.time_base or Fraction(1, 1000)) * 1000.0  # pts to ms
            keyframes = _keyframes_ms(stream, self._origin, self._scale)
            self._target = self.start_ms
            jump = self._target > 0
            while True:
                if jump and _seek(container, stream, self._target, self._origin, self._scale):
                    stats.seeks += 1
                elif jump:
                    keyframes = []  # seeking fails here: decode straight on from now on
                jump = False
                for ts, frame in self._frames(container, stream):
                    stats.last_ts_ms = ts
                    if self.end_ms is not None and ts >= self.end_ms:
                        return
                    if ts < self._target:
                        continue
                    image = self._image(frame, stream)
                    stats.frames_sampled += 1
                    stats.decode_s += time.monotonic() - resumed
                    yield Frame(ts, image)
                    resumed = time.monotonic()
                    # The next point on the grid after this frame (a VFR gap can skip several).
                    self._target += ((ts - self._target) // self.interval_ms + 1) * self.interval_ms
                    key = _keyframe_before(keyframes, self._target)
                    if key is not None and key - ts >= MIN_SEEK_SKIP_MS:
                        jump = True
                        break
                if not jump:
                    stats.decode_s += time.monotonic() - resumed
                    return

    def _frames(
        self, container: InputContainer, stream: VideoStream
    ) -> Iterator[tuple[int, VideoFrame]]:
        """(ms, frame) for decoded frames; corrupt packets and frames are counted, skipped."""
        stats, codec = self.stats, stream.codec_context
        skipping = False
        try:
            for packet in container.demux(stream):
                # Checked per packet, not per frame: a run of undecodable packets counts too.
                if self.budget_s is not None and time.monotonic() - self._started > self.budget_s:
                    stats.stopped_by_budget = True
                    return
                # A frame no other frame refers to, shown before the next sampling point, is
                # never needed: tell the decoder to drop such frames (B-frames: about half of
                # x264's output) until the packets reach the sampling point.
                skip = packet.pts is not None and self._ms(packet.pts) < self._target
                if skip != skipping:
                    codec.skip_frame = "NONREF" if skip else "DEFAULT"
                    skipping = skip
                try:
                    frames = stream.decode(packet)
                except av.FFmpegError:
                    stats.errors_skipped += 1
                    continue
                for frame in frames:
                    stats.frames_decoded += 1
                    if frame.pts is None or frame.is_corrupt:
                        stats.errors_skipped += 1
                        continue
                    yield self._ms(frame.pts), frame
        except av.FFmpegError as exc:
            # The container cannot be read past here (truncated, garbage): keep what we have.
            stats.errors_skipped += 1
            log.info("video %s unreadable after %s ms: %s", self.path, stats.last_ts_ms, exc)

    def _ms(self, pts: int) -> int:
        return int(round((pts - self._origin) * self._scale))

    def _image(self, frame: VideoFrame, stream: VideoStream) -> Image.Image:
        w, h = _display_size(frame.width, frame.height, stream)
        scale = min(1.0, self.max_side / max(w, h))
        size = (max(2, round(w * scale)), max(2, round(h * scale)))
        # swscale converts and shrinks in one pass; an 8K frame never exists as full RGB.
        image: Image.Image = frame.to_image(width=size[0], height=size[1])
        return upright(image, _rotation(frame, stream))


def _open(path: Path | str) -> InputContainer:
    p = Path(path)
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise AnalysisError(f"Video file cannot be read: {exc}") from exc
    if size == 0:
        raise AnalysisError("Video file is empty (zero length)")
    try:
        return av.open(str(p), mode="r", metadata_errors="ignore")
    except (av.FFmpegError, OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise AnalysisError(
            f"Not a decodable video (unknown format, damaged or truncated): {reason}"
        ) from exc


def _video_stream(container: InputContainer) -> VideoStream:
    # Cover art in audio files is a one-picture "video" stream; it does not make a video.
    streams = [s for s in container.streams.video if not s.disposition & Disposition.attached_pic]
    if not streams:
        kinds = sorted({s.type for s in container.streams})
        has = f"only {', '.join(kinds)}" if kinds else "no streams"
        raise AnalysisError(f"No video stream in the file ({has})")
    return streams[0]


def _first_frame(container: InputContainer, stream: VideoStream) -> VideoFrame:
    try:
        for n, packet in enumerate(container.demux(stream)):
            if n > PROBE_PACKETS:
                break
            try:
                for frame in stream.decode(packet):
                    if frame.pts is not None:
                        return frame
            except av.FFmpegError:
                continue
    except av.FFmpegError as exc:
        raise AnalysisError(f"Video is damaged: no frame could be decoded ({exc})") from exc
    raise AnalysisError("Video has no decodable frame (zero length or damaged)")


def _rotation(frame: VideoFrame, stream: VideoStream) -> int:
    if frame.rotation:
        return clockwise(frame.rotation)
    tag = stream.metadata.get("rotate")  # the pre-display-matrix tag is already clockwise
    try:
        return int(round(float(tag) / 90.0)) % 4 * 90 if tag else 0
    except ValueError:
        return 0


def _display_size(width: int, height: int, stream: VideoStream) -> tuple[int, int]:
    sar = stream.sample_aspect_ratio
    if sar and sar > 0 and sar != 1:  # anamorphic pixels: widen (or narrow) to the shown shape
        return max(1, round(width * sar)), height
    return width, height


def _duration_ms(container: InputContainer, stream: VideoStream) -> int | None:
    # 0 is "unknown" too: a frame was decoded, so the video is not empty.
    if stream.duration and stream.time_base:
        return int(round(stream.duration * stream.time_base * 1000)) or None
    if container.duration:
        return int(container.duration // 1000) or None  # AV_TIME_BASE is microseconds
    return None


def _keyframes_ms(stream: VideoStream, origin: int, scale: float) -> list[int]:
    """Keyframe times from the container's index (empty when there is none)."""
    return [
        int((e.timestamp - origin) * scale)
        for e in stream.index_entries
        if e.is_keyframe and not e.is_discard
    ]


def _keyframe_before(keyframes: list[int], ts: int) -> int | None:
    i = bisect_right(keyframes, ts)
    return keyframes[i - 1] if i else None


def _seek(
    container: InputContainer, stream: VideoStream, ms: int, origin: int, scale: float
) -> bool:
    """Seek to the keyframe at or before `ms`; False if the container cannot seek."""
    try:
        container.seek(origin + int(ms / scale), stream=stream, backward=True)
        return True
    except av.FFmpegError as exc:
        log.info("seek in %s failed: %s", container.name, exc)
        return False
