"""The head fitting of scripts/fit_label_heads.py: what it writes scores as it was fitted."""

from __future__ import annotations

import base64
import importlib
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from mediaquery.analyzers.label_heads import STAT_NAMES, Heads


@pytest.fixture(scope="module")
def fit() -> ModuleType:
    sys.path.insert(0, str(Path(__file__).parents[2] / "scripts"))
    try:
        return importlib.import_module("fit_label_heads")
    finally:
        sys.path.pop(0)


def test_a_head_separates_what_it_was_fitted_on(fit: ModuleType) -> None:
    rng = np.random.default_rng(7)
    raw = rng.normal(size=(60, 1280 + len(STAT_NAMES)))
    y = (raw[:, 3] + 0.5 * raw[:, -2] > 0).astype(float)  # one feature and one statistic
    design = fit.Design(raw, len(STAT_NAMES), 4.0)
    w = fit.fit_logistic(design(raw), y, penalty=3.0)
    score = design(raw) @ w
    assert fit.average_precision(score, y) > 0.95
    # The weights folded back onto raw inputs give the very same scores at run time.
    coef, bias = design.fold(w)
    weights = base64.b64encode(coef.astype("<f4").tobytes()).decode()
    heads = Heads.from_dict({"stats": list(STAT_NAMES), "heads": [
        {"label": "Sky", "mode": "replace", "weights": weights, "bias": bias, "slope": 1.0,
         "threshold": 0.0}]})  # fmt: skip
    runtime = raw[:, :1280] @ heads.weights[:1280, 0] + raw[:, 1280:] @ heads.weights[1280:, 0]
    np.testing.assert_allclose(runtime + heads.bias[0], score, atol=1e-3)


def test_the_threshold_is_the_lowest_score_at_the_target_precision(fit: ModuleType) -> None:
    y = np.array([1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 0], dtype=float)
    scores = np.linspace(1.0, 0.0, len(y))[None]  # ranked as listed
    t = fit.pick_threshold(scores, y)
    returned = scores[0] >= t
    assert y[returned].mean() >= fit.TARGET_PRECISION
    # 12 of 13 right (92.3 %); down to the next positive it would be 13 of 15
    assert returned.sum() == 13
