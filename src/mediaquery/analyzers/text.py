"""The `text` analyzer: lines of text read by RapidOCR (PP-OCR detector and recogniser).

RapidOCR runs its models with onnxruntime itself; we only point it at the models shipped in
its wheel, so it never downloads anything. The recogniser runs only on regions the detector
finds: a photo without text costs one detector pass.
"""

from __future__ import annotations

import threading
from dataclasses import asdict
from functools import cache
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from PIL import Image

from mediaquery.analyzers.base import Analyzer
from mediaquery.domain import Box, Findings, LabelFinding

CATEGORY = "Text"
DET_MODEL = "PP-OCRv6_det_small.onnx"
REC_MODEL = "PP-OCRv6_rec_small.onnx"
# The detector sees the image shrunk to this longest side ("max": small images are never
# enlarged, which would only cost time); recognition reads crops of the full image. It is
# the analyzer's main cost: on 640x480 photos without text 243 ms of CPU at 640 (what
# RapidOCR's usual 960 gives them), 162 ms at 512, 113 ms at 480. Of 90 lines drawn on
# 640x480 photos, 512 reads 14 of 15 12-px lines and every larger one (640: all of them).
# 960 keeps small print in large photos readable and still meets 4 images/s with every
# analyzer on 640x480 photos (4.2 measured; 5.2 at 512).
DET_SIDE = 960
# The cheap path for photos without text: the detector first sees the image at GATE_SIDE
# (a quarter of the pixels, ~54 ms instead of ~180), and only when it finds a text region
# there does the full pass run. On the 295 photos of the label evaluation set it lets 86
# through and keeps every line of 28 of the 29 photos with text (it drops '川川家训' misread
# on the Brandenburg Gate); at 400 px it dropped real lines of 4 photos.
GATE_SIDE = 480
MAX_SIDE = 2000  # larger images are shrunk to this first (RapidOCR's default bound)
MIN_SCORE = 0.8  # recogniser score below which a line is mostly noise
# Round and odd shapes come back as one letter or digit ("8" on a wine glass, "A" on a tower),
# scoring up to 0.95; a line needs MIN_CHARS letters or digits to count. Derived by
# scripts/calibrate_text.py on the calibration photos (kept apart from the photos the tests
# check): at 2 it keeps all 25 lines read on photos with text and 1 of the 4 read on photos
# without (a frieze read as 4 CJK characters); 1 keeps all 4, 5 loses 4 real lines.
MIN_CHARS = 2
MIN_SIDE_PX = 16  # no legible line fits in fewer pixels, and RapidOCR fails on 1-pixel sides
REDUCE = Image.Resampling.BILINEAR
_build_lock = threading.Lock()


def models_dir() -> Path:
    """The models folder inside the installed rapidocr package."""
    import rapidocr

    return Path(rapidocr.__file__).parent / "models"


@cache
def _engine(threads: int) -> Any:
    # One engine per process: loading the two models takes about a second.
    from rapidocr import RapidOCR  # heavy import (omegaconf, onnxruntime): only when used

    folder = models_dir()
    params: dict[str, Any] = {
        "Global.use_cls": False,  # images arrive upright (EXIF applied); skip the 180° check
        "Global.text_score": MIN_SCORE,
        "Global.max_side_len": MAX_SIDE,
        "Global.log_level": "error",  # "no text found" is a normal outcome, not a warning
        "Det.model_path": str(folder / DET_MODEL),
        "Det.limit_type": "max",
        "Det.limit_side_len": DET_SIDE,
        "Rec.model_path": str(folder / REC_MODEL),  # its character list is in the model
        "EngineConfig.onnxruntime.intra_op_num_threads": threads,
        "EngineConfig.onnxruntime.inter_op_num_threads": 1,
    }
    for key in ("Det.model_path", "Rec.model_path"):
        if not Path(params[key]).is_file():
            raise RuntimeError(f"rapidocr does not ship {params[key]}")
    with _build_lock:
        return RapidOCR(params=params)


class TextAnalyzer(Analyzer):
    """Printed text: each line with its confidence and box, and a "Text" label."""

    name: ClassVar[str] = "text"
    version: ClassVar[str] = "ppocrv6-small.3"  # .3: a 480 px detector pass first (cheap path)
    per_shot: ClassVar[bool] = True
    # Small print needs pixels, but never more than MAX_SIDE on the long side, which is all
    # the analyzer reads: a JPEG whose short side reaches twice this decodes at a reduced
    # scale (DCT scaling, 1/2 or less) that keeps the long side above MAX_SIDE for any
    # landscape or portrait photo (4:3 or longer), so a 12-megapixel photo decodes at 3 MP.
    min_side: ClassVar[int | None] = 1500

    def _load(self) -> None:
        self.engine = _engine(self.threads)

    def _unload(self) -> None:
        del self.engine
        _engine.cache_clear()

    def _analyze(self, image: Image.Image) -> Findings:
        lines = self.read_lines(image)
        labels = []
        if lines:
            best = max(float(line["confidence"]) for line in lines)
            boxes = tuple(Box(**line["box"]) for line in lines)
            labels.append(
                LabelFinding(name="Text", confidence=best, category=CATEGORY, boxes=boxes)
            )
        return Findings(
            analyzer=self.name, version=self.version, labels=labels, extra={"lines": lines}
        )

    def read_lines(self, image: Image.Image) -> list[dict[str, Any]]:
        """Lines of text in reading order: text, confidence (0-100), box (relative)."""
        with self.in_use():
            return self._read_lines(image)

    def _read_lines(self, image: Image.Image) -> list[dict[str, Any]]:
        w, h = image.size
        pixels = image if image.mode == "RGB" else image.convert("RGB")  # no needless copy
        if max(w, h) > MAX_SIDE:
            # Shrink here, keeping the aspect ratio: RapidOCR would round both sides to
            # multiples of 32 (and fail on a side that rounds to 0).
            f = MAX_SIDE / max(w, h)
            pixels = pixels.resize((max(1, round(w * f)), max(1, round(h * f))), REDUCE)
        if min(pixels.size) < MIN_SIDE_PX:
            return []
        # RapidOCR reads numpy arrays as BGR (OpenCV's order), as its models were trained.
        bgr = np.ascontiguousarray(np.asarray(pixels)[:, :, ::-1])
        if not _may_hold_text(self.engine, bgr):
            return []
        result = self.engine(bgr)
        if result.txts is None or result.boxes is None:
            return []
        found = []
        for text, score, quad in zip(result.txts, result.scores, result.boxes, strict=True):
            clean = " ".join(str(text).split())
            if float(score) < MIN_SCORE or sum(c.isalnum() for c in clean) < MIN_CHARS:
                continue
            found.append(
                (clean, float(score), _box(np.asarray(quad, dtype=np.float64), *pixels.size))
            )
        return [
            {"text": text, "confidence": round(100.0 * score, 2), "box": asdict(box)}
            for text, score, box in _reading_order(found)
        ]


def _may_hold_text(engine: Any, bgr: np.ndarray) -> bool:
    """Whether the detector, on the image shrunk to GATE_SIDE, finds any text region.

    Runs the engine's own detector session and post-processing at the smaller size; if this
    RapidOCR lays its detector out differently, every image takes the full pass."""
    from rapidocr.ch_ppocr_det.utils import DetPreProcess

    det = getattr(engine, "text_det", None)
    if det is None or not hasattr(det, "session") or not hasattr(det, "postprocess_op"):
        return True
    if max(bgr.shape[:2]) <= GATE_SIDE:
        return True  # the full pass costs no more than the gate
    prepared = DetPreProcess(GATE_SIDE, "max", det.mean, det.std)(bgr)
    if prepared is None:
        return True
    boxes, _ = det.postprocess_op(det.session(prepared), bgr.shape[:2])
    return len(boxes) > 0


def _box(quad: np.ndarray, w: int, h: int) -> Box:
    """Axis-aligned box (relative) around a detector quadrilateral in pixels."""
    x0, y0 = (float(v) for v in np.clip(quad.min(axis=0), 0, (w, h)))
    x1, y1 = (float(v) for v in np.clip(quad.max(axis=0), 0, (w, h)))
    return Box(left=x0 / w, top=y0 / h, width=(x1 - x0) / w, height=(y1 - y0) / h)


def _reading_order(lines: list[tuple[str, float, Box]]) -> list[tuple[str, float, Box]]:
    """Top to bottom; lines whose vertical middles share a row go left to right."""
    rows: list[list[tuple[str, float, Box]]] = []
    for line in sorted(lines, key=lambda x: x[2].top + x[2].height / 2):
        box = line[2]
        middle = box.top + box.height / 2
        if rows:
            last = rows[-1][0][2]
            # Same row when this line's middle falls inside the row's first line.
            if last.top <= middle <= last.top + last.height:
                rows[-1].append(line)
                continue
        rows.append([line])
    return [line for row in rows for line in sorted(row, key=lambda x: x[2].left)]
