"""How pure and complete people are, on real photos of people seen several times.

Run: python benchmarks/people_eval.py [--folder DIR]

DIR holds one sub-folder per real identity (`DIR/alice/*.jpg`, `DIR/bob/*.jpg`); a photo's
identity is its folder. Without --folder it uses the test photos (tests/mq_faces.py: the
`face_recognition` source package's photos of two people, one of them extended with derived
variants). Each photo goes through the `people` and `faces` analyzers; the faces are then grouped
both ways the service groups them: incrementally as they arrive (`people.cluster.assign`, on a
real SQLite index) and all at once (`cluster`, as `people recluster` does). Prints, per way:
- purity: of the faces placed in people, the share that are in a person whose majority
  identity is theirs (1.0: no person mixes identities);
- completeness: per identity, the share of its faces in its largest person (1.0: one person
  each), averaged;
- left out: faces in no person (waiting for more like them).
Only the largest face of each photo counts (a photo's identity is its main subject).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from mediaquery.analyzers.faces import EXTRA_KEY, FacesAnalyzer  # noqa: E402
from mediaquery.analyzers.people import PeopleAnalyzer  # noqa: E402
from mediaquery.people.cluster import cluster  # noqa: E402

BOX = {"left": 0.0, "top": 0.0, "width": 1.0, "height": 1.0}


def photos(folder: Path | None) -> list[tuple[str, Image.Image]]:
    """(identity, image) pairs."""
    if folder is None:
        from mq_faces import BIDEN, OBAMA

        return [(n.split("/")[0], im) for n, im in {**OBAMA, **BIDEN}.items()]
    return [
        (p.parent.name, Image.open(p).convert("RGB"))
        for p in sorted(folder.glob("*/*"))
        if p.suffix.lower() in {".jpg", ".jpeg", ".png", ".webp"}
    ]


def embed(pairs: list[tuple[str, Image.Image]]) -> tuple[list[str], np.ndarray, float]:
    models = Path(tempfile.mkdtemp())
    people, faces = PeopleAnalyzer(models), FacesAnalyzer(models)
    who, vecs, t0 = [], [], time.perf_counter()
    for identity, image in pairs:
        people.analyze(image)
        found = faces.analyze(image).extra[EXTRA_KEY]
        if isinstance(found, list) and found:
            main = max(found, key=lambda f: f["box"]["width"] * f["box"]["height"])
            who.append(identity)
            vecs.append(main["embedding"])
    per = (time.perf_counter() - t0) / max(1, len(pairs))
    return who, np.asarray(vecs, dtype=np.float32).reshape(-1, 128), per


def incremental(vecs: np.ndarray) -> list[int]:
    """Person per face when faces arrive one by one (the worker's way), on a real index."""
    from sqlalchemy import insert

    from mediaquery.index.db import make_engine, migrate, write_tx
    from mediaquery.index.people import to_blob
    from mediaquery.index.tables import faces, media
    from mediaquery.people.cluster import assign

    with tempfile.TemporaryDirectory() as d:
        engine = make_engine(f"sqlite:///{d}/index.db")
        migrate(engine)
        ids = []
        for i, v in enumerate(vecs):
            with write_tx(engine) as conn:
                conn.execute(insert(media).values(
                    id=i + 1, name=f"{i}.jpg", type="image", content_type="image/jpeg", size=1,
                    etag="e", status="done", created_at=0.0, updated_at=0.0,
                ))  # fmt: skip
                fid = conn.execute(
                    insert(faces).values(media_id=i + 1, analyzer="faces", box=BOX, score=1.0,
                                         embedding=to_blob(v), created_at=0.0)
                    .returning(faces.c.id)
                ).scalar_one()  # fmt: skip
                ids.append(int(fid))
                assign(conn, [int(fid)])
        with engine.connect() as conn:
            from sqlalchemy import select

            person = {
                int(r.id): r.person_id for r in conn.execute(select(faces.c.id, faces.c.person_id))
            }
        engine.dispose()
    return [int(person[i]) if person[i] is not None else -1 for i in ids]


def report(name: str, who: list[str], labels: list[int]) -> None:
    placed = [(w, c) for w, c in zip(who, labels, strict=True) if c >= 0]
    clusters: dict[int, Counter[str]] = {}
    for w, c in placed:
        clusters.setdefault(c, Counter())[w] += 1
    pure = sum(cnt.most_common(1)[0][1] for cnt in clusters.values())
    purity = pure / len(placed) if placed else 0.0
    complete = []
    for identity in sorted(set(who)):
        per = Counter(c for w, c in placed if w == identity)
        total = sum(1 for w in who if w == identity)
        complete.append(per.most_common(1)[0][1] / total if per else 0.0)
    print(f"{name}: {len(clusters)} people for {len(set(who))} identities, purity "
          f"{purity:.2f}, completeness {np.mean(complete):.2f}, left out "
          f"{len(who) - len(placed)} of {len(who)} faces")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--folder", type=Path)
    args = ap.parse_args()
    pairs = photos(args.folder)
    who, vecs, per = embed(pairs)
    print(f"{len(pairs)} photos, {len(who)} with a face; people + faces {per * 1000:.0f} ms/photo")
    report("incremental (as ingested)", who, incremental(vecs))
    report("recluster (all at once)", who, cluster(vecs))


if __name__ == "__main__":
    main()
