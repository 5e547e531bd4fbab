"""Raw EfficientNet-Lite0 throughput on ONNX Runtime, plus preprocessing cost.

Run: python benchmarks/raw_inference.py [--images 64] [--cache-dir DIR]
"""

from __future__ import annotations

import argparse
import io
import multiprocessing as mp
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from mediaquery.runtime.efficientnet import ensure_model, preprocess
from mediaquery.runtime.onnx import OnnxModel

DEFAULT_CACHE = Path(tempfile.gettempdir()) / "mediaquery-bench"
_barrier: Any = None


def _time_session(path: Path, threads: int, images: list[np.ndarray], batch: int = 1) -> float:
    """Seconds to classify ``images``, ``batch`` per model call, after a warm-up."""
    model = OnnxModel(path, threads=threads)
    model.run({"pixels": np.stack(images[:batch])})
    if _barrier is not None:
        # Start all processes together so the slowest one measures the shared wall time.
        _barrier.wait()
    start = time.perf_counter()
    for i in range(0, len(images), batch):
        model.run({"pixels": np.stack(images[i : i + batch])})
    return time.perf_counter() - start


def _init_worker(barrier: Any) -> None:
    global _barrier
    _barrier = barrier


def raw_inference_seconds(
    images: list[np.ndarray],
    processes: int = 2,
    threads: int = 1,
    model_path: Path | None = None,
    batch: int = 1,
) -> float:
    """Wall seconds to classify ``images``, ``batch`` per call, split over ``processes``."""
    path = model_path or ensure_model(DEFAULT_CACHE)
    if processes == 1:
        return _time_session(path, threads, images, batch)
    chunks = [images[i::processes] for i in range(processes)]
    # spawn, not fork: onnxruntime thread pools must not be inherited across fork.
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(processes)
    with ctx.Pool(processes, initializer=_init_worker, initargs=(barrier,)) as pool:
        jobs = [(path, threads, chunk, batch) for chunk in chunks]
        elapsed = pool.starmap(_time_session, jobs, 1)
    return max(elapsed)


def sample_images(count: int, seed: int = 0) -> list[np.ndarray]:
    """``count`` preprocessed crops of scikit-image's bundled photographs."""
    from skimage import data

    photos = [
        Image.fromarray(f()) for f in (data.chelsea, data.coffee, data.rocket, data.astronaut)
    ]
    rng = np.random.default_rng(seed)
    images = []
    for i in range(count):
        photo = photos[i % len(photos)]
        w, h = photo.size
        cw, ch = int(w * rng.uniform(0.6, 1.0)), int(h * rng.uniform(0.6, 1.0))
        left, top = int(rng.integers(0, w - cw + 1)), int(rng.integers(0, h - ch + 1))
        images.append(preprocess(photo.crop((left, top, left + cw, top + ch))))
    return images


def _jpeg_bytes(size: tuple[int, int]) -> bytes:
    from skimage import data

    buffer = io.BytesIO()
    Image.fromarray(data.chelsea()).resize(size, Image.Resampling.BICUBIC).save(
        buffer, "JPEG", quality=90
    )
    return buffer.getvalue()


def preprocess_ms(size: tuple[int, int], repeat: int, draft: bool = False) -> tuple[float, float]:
    """(decode + preprocess, preprocess only) milliseconds per JPEG of ``size``."""
    payload = _jpeg_bytes(size)

    def decode() -> Image.Image:
        image = Image.open(io.BytesIO(payload))
        if draft:
            # Let libjpeg decode at 1/2..1/8 scale; still >= 256 on the shorter side.
            image.draft("RGB", (256, 256))
        image.load()
        return image

    decoded = decode()
    start = time.perf_counter()
    for _ in range(repeat):
        preprocess(decode())
    total = (time.perf_counter() - start) / repeat
    start = time.perf_counter()
    for _ in range(repeat):
        preprocess(decoded)
    only = (time.perf_counter() - start) / repeat
    return total * 1000, only * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--images", type=int, default=64)
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE)
    args = parser.parse_args()

    path = ensure_model(args.cache_dir)
    images = sample_images(args.images)
    n = len(images)

    seconds = raw_inference_seconds(images, processes=1, threads=2, model_path=path)
    print(
        f"(a) 1 session x 2 threads, batch 1: {seconds / n * 1000:6.2f} ms/image, "
        f"{n / seconds:6.1f} images/s"
    )
    for batch in (1, 4):
        seconds = raw_inference_seconds(images, 2, 1, path, batch)
        print(
            f"(b) 2 processes x 1 thread, batch {batch}: {seconds / n * 1000:6.2f} ms/image, "
            f"{n / seconds:6.1f} images/s "
            f"({seconds / (n / 2) * 1000:.2f} ms per image in each process)"
        )

    total, only = preprocess_ms((640, 480), repeat=100)
    print(f"preprocess 640x480 JPEG: {total:.2f} ms decode+preprocess, {only:.2f} ms preprocess")
    total, only = preprocess_ms((4000, 3000), repeat=10, draft=True)
    print(
        f"preprocess 4000x3000 JPEG with draft: {total:.2f} ms decode+preprocess, "
        f"{only:.2f} ms preprocess"
    )
    total, only = preprocess_ms((4000, 3000), repeat=5)
    print(
        f"preprocess 4000x3000 JPEG, full decode: {total:.2f} ms decode+preprocess, "
        f"{only:.2f} ms preprocess"
    )


if __name__ == "__main__":
    main()
