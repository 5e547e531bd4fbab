"""Analyse a video: sample frames, run analyzers per sample or per shot, aggregate over time."""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Generator, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from mediaquery.analyzers.base import Analyzer
from mediaquery.domain import Findings, LabelFinding
from mediaquery.video.decode import Frame, FrameSampler, VideoInfo, probe, sample_frames
from mediaquery.video.segments import (
    LabelSegment,
    aggregate,
    merge_segments,
    merge_slack,
    timestamps,
)
from mediaquery.video.shots import ShotDetector, distance

BATCH = 8  # frames per analyze_batch call: amortises model calls, bounds memory
# Shots whose first frame waits for the expensive analyzers; more make sampling wait (memory).
MAX_PENDING_SHOTS = 4
_stats_lock = threading.Lock()


@dataclass(slots=True)
class VideoStats:
    """Where the time went and what was covered: [start_ms, covered_ms) of the video."""

    start_ms: int = 0
    covered_ms: int = 0
    frames_decoded: int = 0
    errors_skipped: int = 0
    seeks: int = 0
    stopped_by_budget: bool = False
    decode_s: float = 0.0  # decoder thread's busy time, mostly hidden behind the analyzers
    wait_s: float = 0.0  # time the analyzers waited for decoded frames
    analyze_s: dict[str, float] = field(default_factory=dict)
    wall_s: float = 0.0


@dataclass(slots=True)
class VideoResult:
    """Everything found in a video (or one time chunk of it); see `merge_results`."""

    info: VideoInfo
    segments: list[LabelSegment]
    timestamps: list[dict[str, Any]]
    text: list[dict[str, Any]]  # text, confidence, box, start_ms, end_ms
    shots: list[dict[str, int]]  # start_ms, end_ms
    frames_analyzed: int
    stats: VideoStats
    # Shot signatures of the first and last sample, so chunk results can rejoin split shots.
    edges: tuple[list[float], list[float]] | None = None
    # Per analyzer, the sum of its L2-normalised embeddings over every sample (a shot's counts
    # for each of its samples): normalised again, the video's embedding. Sums merge by adding.
    embeddings: dict[str, list[float]] = field(default_factory=dict)
    # Faces found on each shot's first frame (box, score, embedding), each with the shot's
    # start_ms and end_ms: the index groups them into people, who get time segments.
    faces: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True)
class _Shot:
    start_ms: int
    findings: list[Findings] = field(default_factory=list)  # expensive, on its first frame


@dataclass(slots=True)
class _Sample:
    ts_ms: int
    shot: int
    findings: list[Findings] = field(default_factory=list)  # from the cheap analyzers


def analyze_video(
    path: Path | str,
    cheap: Sequence[Analyzer],
    expensive: Sequence[Analyzer],
    *,
    interval_ms: int = 1000,
    start_ms: int = 0,
    end_ms: int | None = None,
    budget_s: float | None = None,
    progress: Callable[[float], None] | None = None,
    min_confidence: float = 25.0,
) -> VideoResult:
    """Run `cheap` analyzers on every sample and `expensive` ones once per shot.

    Expensive findings count for every sample of their shot. For chunked runs, start chunks
    on multiples of `interval_ms` so the sampling grids line up, then `merge_results`.
    """
    started = time.perf_counter()
    info = probe(path)
    stats = VideoStats(start_ms=start_ms)
    limit = min(x for x in (info.duration_ms, end_ms, 2**62) if x is not None)
    sampler = sample_frames(path, interval_ms, start_ms, end_ms, budget_s)
    scan = _scan(sampler, cheap, expensive, stats, lambda f: _report(progress, f, start_ms, limit))
    for name in ("frames_decoded", "errors_skipped", "seeks", "stopped_by_budget", "decode_s"):
        setattr(stats, name, getattr(sampler.stats, name))
    last = scan.samples[-1].ts_ms + interval_ms if scan.samples else start_ms
    stats.covered_ms = min(limit, last)
    if progress is not None:
        progress(100.0)
    stats.wall_s = time.perf_counter() - started
    return _result(info, scan, stats, interval_ms, min_confidence)


@dataclass(slots=True)
class _Scan:
    """What one pass over the sampled frames found."""

    shots: list[_Shot] = field(default_factory=list)
    samples: list[_Sample] = field(default_factory=list)
    first_sig: list[float] = field(default_factory=list)  # shot signature of the first sample
    last_sig: list[float] = field(default_factory=list)  # ... and of the last


def _scan(
    sampler: FrameSampler,
    cheap: Sequence[Analyzer],
    expensive: Sequence[Analyzer],
    stats: VideoStats,
    on_frame: Callable[[Frame], None],
) -> _Scan:
    """Cut the frames into shots and run the analyzers: cheap ones on each sample (in
    batches), expensive ones on each shot's first frame."""
    scan = _Scan()
    detector = ShotDetector()
    batch: list[tuple[_Sample, Image.Image]] = []
    frames = _prefetched(sampler, BATCH, stats)
    # Expensive analyzers run in their own thread, beside the cheap ones and the decoder:
    # onnxruntime and OpenCV release the GIL, so a second core is used even at 1 thread each.
    pool = ThreadPoolExecutor(1, thread_name_prefix="video-expensive")
    pending: deque[tuple[_Shot, Future[list[list[Findings]]]]] = deque()
    try:
        for frame in frames:
            if detector.is_new_shot(frame.image):
                scan.shots.append(_Shot(frame.ts_ms))
                if expensive:
                    job = pool.submit(_run, expensive, [frame.image], stats)
                    pending.append((scan.shots[-1], job))
                _collect(pending, MAX_PENDING_SHOTS)
            if not scan.first_sig and detector.previous is not None:
                scan.first_sig = detector.previous.tolist()
            sample = _Sample(frame.ts_ms, len(scan.shots) - 1)
            scan.samples.append(sample)
            batch.append((sample, frame.image))
            if len(batch) >= BATCH:
                _run_batch(cheap, batch, stats)
            on_frame(frame)
        _run_batch(cheap, batch, stats)
        _collect(pending, 0)
    finally:
        frames.close()  # stops the decoder thread, also when an analyzer raised
        pool.shutdown(cancel_futures=True)
    scan.last_sig = detector.previous.tolist() if detector.previous is not None else []
    return scan


def _result(
    info: VideoInfo, scan: _Scan, stats: VideoStats, interval_ms: int, min_confidence: float
) -> VideoResult:
    """The scan's findings over time: label segments and timestamps, text, shots."""
    shots, samples = scan.shots, scan.samples
    observations = [
        (sample.ts_ms, _labels(sample.findings + shots[sample.shot].findings, min_confidence))
        for sample in samples
    ]
    ends = [shot.start_ms for shot in shots[1:]] + [stats.covered_ms] if shots else []
    shot_ranges = [
        {"start_ms": shot.start_ms, "end_ms": end} for shot, end in zip(shots, ends, strict=True)
    ]
    return VideoResult(
        info=info,
        segments=aggregate(observations, interval_ms, duration_ms=stats.covered_ms),
        timestamps=timestamps(observations),
        text=_text(samples, shots, shot_ranges, interval_ms),
        shots=shot_ranges,
        frames_analyzed=len(samples),
        stats=stats,
        edges=(scan.first_sig, scan.last_sig) if samples else None,
        embeddings=_embedding_sums(
            f for sample in samples for f in sample.findings + shots[sample.shot].findings
        ),
        faces=_faces(shots, shot_ranges),
    )


def merge_results(parts: Sequence[VideoResult], interval_ms: int) -> VideoResult:
    """Join the results of consecutive time chunks of one video into one result."""
    if not parts:
        raise ValueError("merge_results needs at least one part")
    parts = sorted(parts, key=lambda p: p.stats.start_ms)
    slack = merge_slack(interval_ms, None)
    shots: list[dict[str, int]] = []
    text: list[dict[str, Any]] = []
    for prev, part in zip([None, *parts[:-1]], parts, strict=True):
        ranges = [dict(r) for r in part.shots]
        lines = [dict(t) for t in part.text]
        if shots and ranges and prev is not None and _same_shot(prev, part):
            # One shot split by the chunk border: rejoin it and the text lines it showed.
            border, joined = ranges[0]["start_ms"], ranges.pop(0)
            ends = {t["text"]: t for t in text if t["end_ms"] == shots[-1]["end_ms"]}
            shots[-1]["end_ms"] = joined["end_ms"]
            for line in list(lines):
                before = ends.get(line["text"]) if line["start_ms"] == border else None
                if before is not None:
                    before["end_ms"] = line["end_ms"]
                    if line["confidence"] > before["confidence"]:
                        before["confidence"], before["box"] = line["confidence"], line.get("box")
                    lines.remove(line)
        shots.extend(ranges)
        text.extend(lines)
    # Chunks past the real end (a header that promised more) cover nothing: they don't count.
    covered = max((p.stats.covered_ms for p in parts if p.frames_analyzed), default=None)
    stats = VideoStats(
        start_ms=parts[0].stats.start_ms, covered_ms=covered or parts[0].stats.start_ms
    )
    for p in parts:
        for name in ("frames_decoded", "errors_skipped", "seeks", "decode_s", "wait_s", "wall_s"):
            setattr(stats, name, getattr(stats, name) + getattr(p.stats, name))
        stats.stopped_by_budget |= p.stats.stopped_by_budget
        for name, secs in p.stats.analyze_s.items():
            stats.analyze_s[name] = stats.analyze_s.get(name, 0.0) + secs
    edged = [p.edges for p in parts if p.edges]
    return VideoResult(
        info=parts[0].info,
        segments=merge_segments([s for p in parts for s in p.segments], slack),
        timestamps=sorted(
            (row for p in parts for row in p.timestamps),
            key=lambda r: (r["ts_ms"], -r["confidence"], r["name"]),
        ),
        text=sorted(text, key=lambda e: (e["start_ms"], e["text"])),
        shots=shots,
        frames_analyzed=sum(p.frames_analyzed for p in parts),
        stats=stats,
        edges=(edged[0][0], edged[-1][1]) if edged else None,
        embeddings=_add_sums([p.embeddings for p in parts]),
        faces=[f for p in parts for f in p.faces],
    )


def _embedding_sums(findings: Iterable[Findings]) -> dict[str, list[float]]:
    sums: dict[str, np.ndarray] = {}
    for f in findings:
        if f.embedding:
            vec = np.asarray(f.embedding, dtype=np.float64)
            norm = float(np.linalg.norm(vec))
            if norm > 0:
                sums[f.analyzer] = sums.get(f.analyzer, 0.0) + vec / norm
    return {name: vec.tolist() for name, vec in sums.items()}


def _add_sums(parts: Sequence[dict[str, list[float]]]) -> dict[str, list[float]]:
    total: dict[str, np.ndarray] = {}
    for part in parts:
        for name, vec in part.items():
            total[name] = total.get(name, 0.0) + np.asarray(vec, dtype=np.float64)
    return {name: vec.tolist() for name, vec in total.items()}


def _prefetched(
    sampler: FrameSampler, depth: int, stats: VideoStats
) -> Generator[Frame, None, None]:
    """The sampler's frames, decoded ahead in a thread while the analyzers work.

    PyAV and onnxruntime both release the GIL, so on two cores decoding mostly overlaps
    analysis. The sampler is iterated and closed only by the thread (generators are not
    thread-safe); its errors are re-raised here.
    """
    frames: queue.Queue[Frame | BaseException | None] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: Frame | BaseException | None) -> bool:
        while not stop.is_set():
            try:
                frames.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work() -> None:
        try:
            for frame in sampler:
                if not put(frame):
                    return
            put(None)
        except BaseException as exc:  # handed to the consumer as is
            put(exc)
        finally:
            sampler.close()

    thread = threading.Thread(target=work, name="video-decode", daemon=True)
    thread.start()
    try:
        while True:
            t = time.perf_counter()
            item = frames.get()
            stats.wait_s += time.perf_counter() - t
            if item is None:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join()


def _run(
    analyzers: Sequence[Analyzer], images: list[Image.Image], stats: VideoStats
) -> list[list[Findings]]:
    """Findings per image, from each analyzer in turn; times each analyzer."""
    out: list[list[Findings]] = [[] for _ in images]
    for analyzer in analyzers:
        t = time.perf_counter()
        for found, findings in zip(out, analyzer.analyze_batch(images), strict=True):
            found.append(findings)
        with _stats_lock:  # cheap and expensive analyzers report from different threads
            spent = stats.analyze_s.get(analyzer.name, 0.0) + time.perf_counter() - t
            stats.analyze_s[analyzer.name] = spent
    return out


def _collect(pending: deque[tuple[_Shot, Future[list[list[Findings]]]]], keep: int) -> None:
    """Wait for the oldest expensive jobs until at most `keep` are outstanding."""
    while len(pending) > keep:
        shot, job = pending.popleft()
        shot.findings = job.result()[0]


def _run_batch(
    cheap: Sequence[Analyzer], batch: list[tuple[_Sample, Image.Image]], stats: VideoStats
) -> None:
    if batch:
        for (sample, _), findings in zip(
            batch, _run(cheap, [im for _, im in batch], stats), strict=True
        ):
            sample.findings = findings
        batch.clear()  # drop the pixels as soon as every cheap analyzer has seen them


def _labels(findings: list[Findings], min_confidence: float) -> list[LabelFinding]:
    return [label for f in findings for label in f.labels if label.confidence >= min_confidence]


def _report(progress: Callable[[float], None] | None, frame: Frame, start: int, limit: int) -> None:
    if progress is not None and limit > start:
        progress(max(0.0, min(99.9, 100.0 * (frame.ts_ms - start) / (limit - start))))


def _text(
    samples: list[_Sample], shots: list[_Shot], ranges: list[dict[str, int]], interval_ms: int
) -> list[dict[str, Any]]:
    """Text lines per shot, each with the time range of the samples that read it."""
    found: dict[tuple[int, str], dict[str, Any]] = {}
    for sample in samples:
        shot_end = ranges[sample.shot]["end_ms"]
        for findings in sample.findings + shots[sample.shot].findings:
            lines = findings.extra.get("lines")
            if not isinstance(lines, list):
                continue
            for line in lines:
                text = " ".join(str(line.get("text", "")).split()) if isinstance(line, dict) else ""
                if not text:
                    continue
                end = min(shot_end, sample.ts_ms + interval_ms)
                entry = found.setdefault((sample.shot, text), {"text": text, "confidence": -1.0})
                entry["start_ms"] = min(entry.get("start_ms", sample.ts_ms), sample.ts_ms)
                entry["end_ms"] = max(entry.get("end_ms", end), end)
                if float(line.get("confidence", 0.0)) > entry["confidence"]:
                    entry["confidence"] = float(line.get("confidence", 0.0))
                    entry["box"] = line.get("box")
    return sorted(found.values(), key=lambda e: (e["start_ms"], e["text"]))


def _faces(shots: list[_Shot], ranges: list[dict[str, int]]) -> list[dict[str, Any]]:
    """Each face found in a shot, with the shot's time range."""
    out = []
    for shot, span in zip(shots, ranges, strict=True):
        for findings in shot.findings:
            found = findings.extra.get("faces")
            if isinstance(found, list):
                out += [
                    {**face, "start_ms": span["start_ms"], "end_ms": span["end_ms"]}
                    for face in found
                    if isinstance(face, dict)
                ]
    return out


def _same_shot(a: VideoResult, b: VideoResult) -> bool:
    """Whether the last sample of `a` and the first of `b` look like one continuing shot."""
    if not (a.edges and b.edges and a.edges[1] and b.edges[0]):
        return False
    return distance(np.asarray(a.edges[1]), np.asarray(b.edges[0])) <= ShotDetector().threshold
