"""Small, real analyzers used as plugins by the tests (loaded by 'module:Class' path)."""

from __future__ import annotations

import os
import signal
import time

import numpy as np
from PIL import Image

from mediaquery.analyzers.base import Analyzer
from mediaquery.domain import Findings, LabelFinding

COLOURS = {"Red": (255, 0, 0), "Green": (0, 255, 0), "Blue": (0, 0, 255)}


class ColourAnalyzer(Analyzer):
    """Labels the dominant primary colour of an image; confidence is its share of pixels."""

    name = "colour"
    version = "1"

    def _analyze(self, image: Image.Image) -> Findings:
        arr = np.asarray(image.convert("RGB").resize((32, 32)), dtype=np.int32)
        labels = []
        for label, rgb in COLOURS.items():
            close = np.abs(arr - np.array(rgb)).sum(axis=2) < 120
            share = float(close.mean()) * 100
            if share > 0:
                labels.append(LabelFinding(label, share, ("Colour",), (label.lower() + "ish",)))
        if labels:
            labels.append(LabelFinding("Colour", max(x.confidence for x in labels)))
        return Findings(self.name, self.version, labels)


class BrokenAnalyzer(Analyzer):
    """Always fails with an unexpected error, like a model runtime crash."""

    name = "broken"
    version = "1"
    calls = 0

    def _analyze(self, image: Image.Image) -> Findings:
        BrokenAnalyzer.calls += 1
        raise RuntimeError("model runtime exploded")


class ColourAnalyzerV2(ColourAnalyzer):
    """The colour analyzer after a 'model upgrade': same name, new version."""

    version = "2"


class PickyAnalyzer(ColourAnalyzer):
    """Crashes on mostly-blue images only, like a model that chokes on one input."""

    name = "picky"

    def _analyze(self, image: Image.Image) -> Findings:
        findings = super()._analyze(image)
        if any(x.name == "Blue" and x.confidence > 50 for x in findings.labels):
            raise ValueError("cannot handle blue")
        return findings


class FlagRedAnalyzer(Analyzer):
    """Flags mostly-red images with a moderation label (there is no real nudity in the tests)."""

    name = "flagred"
    version = "1"

    def _analyze(self, image: Image.Image) -> Findings:
        arr = np.asarray(image.convert("RGB").resize((16, 16)), dtype=np.int32)
        red = float((np.abs(arr - np.array((255, 0, 0))).sum(axis=2) < 120).mean()) * 100
        if red < 50:
            return Findings(self.name, self.version, [])
        flagged = [
            LabelFinding("Revealing Clothes", red, ("Suggestive",), category="Moderation"),
            LabelFinding("Suggestive", red, category="Moderation"),
        ]
        return Findings(self.name, self.version, flagged)


class SlowColourAnalyzer(ColourAnalyzer):
    """The colour analyzer taking MQ_TEST_ANALYZE_SECONDS (default 0.5) per image, so a test
    can catch a worker in the middle of a job."""

    name = "slowcolour"

    def _analyze(self, image: Image.Image) -> Findings:
        time.sleep(float(os.environ.get("MQ_TEST_ANALYZE_SECONDS", "0.5")))
        return super()._analyze(image)


class CrashingAnalyzer(ColourAnalyzer):
    """Kills its own process on mostly-green images, like a decoder that segfaults."""

    name = "crashing"

    def _analyze(self, image: Image.Image) -> Findings:
        findings = super()._analyze(image)
        if any(x.name == "Green" and x.confidence > 50 for x in findings.labels):
            os.kill(os.getpid(), signal.SIGKILL)
        return findings


class NeedsModelAnalyzer(ColourAnalyzer):
    """The colour analyzer, needing the catalogue model "tiny-model" (tests install it or not)."""

    name = "needsmodel"
    requires = ("tiny-model",)

    def _load(self) -> None:
        from mediaquery.models.store import installed_path

        self.model_path = installed_path(self.model_dir, "tiny-model")
        assert self.model_path is not None  # load() never runs us without the model


class WordsAnalyzer(Analyzer):
    """Labels every image with a few multi-word names and irregular plurals (query words)."""

    name = "words"
    version = "1"
    LABELS = (
        LabelFinding("Ferris Wheel", 80, ("Ride",)),
        LabelFinding("Ladybug", 70, ("Insect",), ("Ladybird", "Lady Beetle")),
        LabelFinding("German Shepherd", 60, ("Dog",), ("Alsatian",)),
        LabelFinding("Mouse", 50),
        LabelFinding("Leaf", 40),
    )

    def _analyze(self, image: Image.Image) -> Findings:
        return Findings(self.name, self.version, list(self.LABELS))
