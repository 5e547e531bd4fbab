"""Scoring for the label benchmark: per-word recall and precision, macro figures per category,
and a reliability table of label confidence against the ground truth.

Rules (also printed in the benchmark's output):
- For each word, the photos whose `maybe` list holds it are left out of that word's scoring.
- recall = true positives / positives; a word that returns nothing has recall 0.
- precision = true positives / returned; undefined when nothing is returned.
- Macro recall averages the words with at least one positive in the split; macro precision
  averages those of them whose precision is defined (nothing returned: excluded, recall 0).
- Words without positives that still return photos are listed as false alarms.
- Reliability: every stored label whose name or an alias equals a vocabulary word (any case) is
  right when the photo's `words` hold that word, wrong when neither `words` nor `maybe` do.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

BINS = ((25.0, 40.0), (40.0, 60.0), (60.0, 80.0), (80.0, 100.01))


@dataclass
class WordScore:
    word: str
    category: str
    positives: int
    returned: int
    true_positives: int
    false_positives: list[str]
    missed: list[str]

    @property
    def recall(self) -> float | None:
        """Share of the photos showing the word that come back (None without positives)."""
        return self.true_positives / self.positives if self.positives else None

    @property
    def precision(self) -> float | None:
        """Share of the returned photos that show the word (None when nothing comes back)."""
        return self.true_positives / self.returned if self.returned else None

    def as_dict(self) -> dict[str, Any]:
        """JSON form, with recall and precision."""
        return {**asdict(self), "recall": self.recall, "precision": self.precision}


def score_word(
    word: str, category: str, photos: Iterable[Mapping[str, Any]], returned: set[str]
) -> WordScore:
    """Score one word's query answer against the photos of the split."""
    scored = [p for p in photos if word not in p.get("maybe", [])]
    positive = {p["id"] for p in scored if word in p["words"]}
    eligible = {p["id"] for p in scored}
    answered = returned & eligible
    return WordScore(
        word=word,
        category=category,
        positives=len(positive),
        returned=len(answered),
        true_positives=len(answered & positive),
        false_positives=sorted(answered - positive),
        missed=sorted(positive - answered),
    )


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def macro(scores: Iterable[WordScore]) -> dict[str, Any]:
    """Macro recall and precision over the words that have positives."""
    with_pos = [s for s in scores if s.positives]
    recalls = [s.recall for s in with_pos if s.recall is not None]
    precisions = [s.precision for s in with_pos if s.precision is not None]
    return {
        "words": len(with_pos),
        "recall": _mean(recalls),
        "precision": _mean(precisions),
        "nothing_returned": sorted(s.word for s in with_pos if not s.returned),
    }


def per_category(scores: list[WordScore]) -> dict[str, dict[str, Any]]:
    """Macro figures per category, in first-seen order."""
    cats: dict[str, list[WordScore]] = {}
    for s in scores:
        cats.setdefault(s.category, []).append(s)
    return {c: macro(v) for c, v in cats.items()}


def label_words(label: Mapping[str, Any], vocabulary: Mapping[str, str]) -> set[str]:
    """Vocabulary words a stored label stands for: its name or an alias, any case."""
    names = [label["name"], *label.get("aliases", [])]
    return {n.lower() for n in names if n.lower() in vocabulary}


def reliability(
    photos: Iterable[Mapping[str, Any]],
    labels: Mapping[str, list[Mapping[str, Any]]],
    vocabulary: Mapping[str, str],
) -> list[dict[str, Any]]:
    """Per confidence bin: labels that map to a word, how many are right, and the share."""
    rows = [{"low": lo, "high": min(hi, 100.0), "right": 0, "wrong": 0} for lo, hi in BINS]
    for photo in photos:
        for label in labels.get(photo["id"], []):
            for word in label_words(label, vocabulary):
                if word in photo.get("maybe", []):
                    continue
                for row, (lo, hi) in zip(rows, BINS, strict=True):
                    if lo <= label["confidence"] < hi:
                        row["right" if word in photo["words"] else "wrong"] += 1
    for row in rows:
        total = row["right"] + row["wrong"]
        row["share_right"] = row["right"] / total if total else None
    return rows
