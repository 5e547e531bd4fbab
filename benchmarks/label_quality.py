"""Label quality on real photos: do everyday words find the right photos?

Run: python benchmarks/label_quality.py [--split test|calibration|all] [--photos DIR]
         [--analyzers labels,people] [--min-confidence 25] [--json OUT]

Fetches the photos of benchmarks/label_eval/manifest.json (or reads them from --photos), starts
a real `mediaquery serve` on a temporary data folder on loopback (models from
MEDIAQUERY_MODELS_DIR), uploads the chosen split, waits until every photo is analysed, then asks
`GET /v1/media?label=WORD` for every word of the vocabulary and prints recall and precision per
word, per category and overall, and a reliability table (how often a label at a given confidence
names a word the photo really shows). Tune on the calibration half; report the test half.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent / "label_eval"))
from fetch import DEFAULT_CACHE, fetch, load_manifest, load_words, select  # noqa: E402
from images import _wait_healthy, free_port  # noqa: E402
from score import WordScore, macro, per_category, reliability, score_word  # noqa: E402
from score import __doc__ as RULES  # noqa: E402


def start_server(data_dir: Path, analyzers: list[str] | None, workers: int) -> tuple[Any, str]:
    """`mediaquery serve` in its own process group on a free loopback port."""
    port = free_port()
    env = {
        "MEDIAQUERY_MODELS_DIR": str(DEFAULT_CACHE / "models"),  # built once, kept between runs
        **os.environ,
        "MEDIAQUERY_LOG_LEVEL": "WARNING",
        "MEDIAQUERY_QUEUE__WORKERS": str(workers),
    }
    if analyzers:
        env["MEDIAQUERY_ANALYZERS"] = json.dumps(analyzers)
    cmd = [sys.executable, "-m", "mediaquery", "serve", "--data-dir", str(data_dir)]
    cmd += ["--host", "127.0.0.1", "--port", str(port)]
    log = (data_dir.parent / f"{data_dir.name}.log").open("wb")
    proc = subprocess.Popen(
        cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    _wait_healthy(url)
    return proc, url


def stop_server(proc: Any) -> None:
    """Ctrl-C the service; kill its group if it does not stop."""
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)


def pages(client: httpx.Client, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Every item of a filtered media listing, following next_cursor."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**params, "limit": 500, **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/media", params=query).raise_for_status().json()
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return items


def upload_and_wait(
    client: httpx.Client, files: dict[str, Path], timeout: float, proc: Any
) -> float:
    """Upload every photo, wait until each is done or failed; return the seconds it took."""
    t0 = time.perf_counter()
    with ThreadPoolExecutor(4) as pool:
        for r in pool.map(lambda n: client.put(f"/v1/media/{n}", content=files[n].read_bytes()),
                          sorted(files)):  # fmt: skip
            r.raise_for_status()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited ({proc.returncode}) before analysis finished")
        finished = [i for s in ("done", "failed") for i in pages(client, {"status": s})]
        if len(finished) >= len(files):
            failed = [i["name"] for i in finished if i["status"] == "failed"]
            if failed:
                print(f"failed to analyse: {failed}", file=sys.stderr)
            return time.perf_counter() - t0
        time.sleep(1)
    raise SystemExit("analysis did not finish in time")


def collect(
    client: httpx.Client, names: list[str], words: dict[str, str], min_confidence: float | None
) -> tuple[dict[str, set[str]], dict[str, list[dict[str, Any]]]]:
    """What each word query returns, and every stored label of every photo."""
    extra = {} if min_confidence is None else {"min_confidence": min_confidence}
    answers = {w: {i["name"] for i in pages(client, {"label": w, **extra})} for w in words}
    labels = {}
    for name in names:
        item = client.get(f"/v1/media/{name}", params={"min_confidence": 0}).json()
        labels[name] = [
            {k: lab[k] for k in ("name", "confidence", "aliases", "parents", "analyzer")}
            for lab in item["labels"]
        ]
    return answers, labels


def _pct(x: float | None) -> str:
    return "   -" if x is None else f"{100 * x:3.0f}%"


def report(scores: list[WordScore], rel: list[dict[str, Any]], split: str, n: int) -> None:
    """Print the per-word table, the per-category and overall macro figures, reliability."""
    print(f"\nsplit: {split}   photos: {n}\n")
    print(f"{'word':<14}{'category':<11}{'pos':>5}{'ret':>5}{'tp':>5}  recall  precision")
    for s in scores:
        if s.positives or s.returned:
            print(f"{s.word:<14}{s.category:<11}{s.positives:5d}{s.returned:5d}"
                  f"{s.true_positives:5d}   {_pct(s.recall)}     {_pct(s.precision)}")  # fmt: skip
    print(f"\n{'category':<11}{'words':>6}  recall  precision")
    for cat, m in per_category(scores).items():
        if m["words"]:
            print(f"{cat:<11}{m['words']:6d}   {_pct(m['recall'])}     {_pct(m['precision'])}")
    overall = macro(scores)
    print(f"{'overall':<11}{overall['words']:6d}   {_pct(overall['recall'])}     "
          f"{_pct(overall['precision'])}   (macro over words with positives)")  # fmt: skip
    print(f"words that return nothing: {', '.join(overall['nothing_returned']) or '-'}")
    alarms = [f"{s.word}({s.returned})" for s in scores if not s.positives and s.returned]
    print(f"words without positives that return photos: {', '.join(alarms) or '-'}")
    print("\nreliability: labels naming a vocabulary word, by confidence")
    for row in rel:
        total = row["right"] + row["wrong"]
        print(f"  {row['low']:3.0f}-{row['high']:3.0f}: {total:5d} labels, "
              f"{_pct(row['share_right'])} right")  # fmt: skip
    right = sum(row["right"] for row in rel)
    given = sum(row["right"] + row["wrong"] for row in rel)
    share = f"{100 * right / given:.1f} %" if given else "-"
    print(f"  at or above the default minimum: {given} labels, {share} right")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--split", choices=["test", "calibration", "all"], default="test")
    ap.add_argument("--photos", type=Path, help="folder holding the photos (default: fetch)")
    ap.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="fetch's package cache")
    ap.add_argument("--analyzers", help="comma-separated analyzers (default: the service's)")
    ap.add_argument("--min-confidence", type=float, help="min_confidence for the word queries")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=1800, help="seconds to wait for analysis")
    ap.add_argument("--json", type=Path, help="write the raw results here")
    args = ap.parse_args()

    words = load_words()
    photos = select(load_manifest(), args.split)
    if args.photos:
        files = {p["id"]: args.photos / p["id"] for p in photos}
    else:
        files = fetch(photos, args.cache / "photos", args.cache)
    analyzers = args.analyzers.split(",") if args.analyzers else None
    tmp = Path(tempfile.mkdtemp(prefix="mq-label-quality-"))
    data_dir = tmp / "data"
    proc, url = start_server(data_dir, analyzers, args.workers)
    try:
        with httpx.Client(base_url=url, timeout=120) as client:
            seconds = upload_and_wait(client, files, args.timeout, proc)
            answers, labels = collect(client, sorted(files), words, args.min_confidence)
    finally:
        if proc.poll() is not None:  # it died on its own: show why
            print((tmp / "data.log").read_text()[-3000:], file=sys.stderr)
        stop_server(proc)
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"analysed {len(files)} photos in {seconds:.0f} s ({len(files) / seconds:.1f} images/s)")
    scores = [score_word(w, c, photos, answers[w]) for w, c in words.items()]
    rel = reliability(photos, labels, words)
    report(scores, rel, args.split, len(photos))
    print("\n" + (RULES or "").strip())
    if args.json:
        out = {
            "split": args.split,
            "min_confidence": args.min_confidence,
            "analyzers": analyzers,
            "words": [s.as_dict() for s in scores],
            "categories": per_category(scores),
            "overall": macro(scores),
            "reliability": rel,
            "labels": labels,
            "photos": {p["id"]: {"words": p["words"], "maybe": p["maybe"]} for p in photos},
        }
        args.json.write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
