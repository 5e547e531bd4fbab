"""The head fitting of scripts/fit_label_heads.py: what it writes scores as it was fitted."""

from __future__ import annotations

import base64
import importlib
import json
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from mediaquery.analyzers.label_heads import DEFAULT_MIN, STAT_NAMES, Heads


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


def test_a_fold_with_fewer_photos_than_inputs_gets_the_full_fit(fit: ModuleType) -> None:
    # The fit in the span of the photos must give the weights a Newton fit on every input
    # gives (the quick path every cross-validation fold takes).
    rng = np.random.default_rng(11)
    x = np.hstack([rng.normal(size=(40, 90)), np.full((40, 1), 10.0)])
    y = (x[:, 0] - x[:, 5] > 0).astype(float)
    quick = fit.fit_logistic(x, y, penalty=10.0)
    full = fit._newton(x, y, 10.0, 50)
    np.testing.assert_allclose(quick, full, atol=1e-8)
    assert fit.average_precision(x @ quick, y) > 0.95


def test_the_threshold_is_the_lowest_score_at_the_target_precision(
    fit: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fit, "TARGET_PRECISION", 0.92)
    y = np.array([1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 0], dtype=float)
    scores = np.linspace(1.0, 0.0, len(y))[None]  # ranked as listed
    t = fit.pick_threshold(scores, y)
    returned = scores[0] >= t
    assert y[returned].mean() >= fit.TARGET_PRECISION
    # 12 of 13 right (92.3 %); down to the next positive it would be 13 of 15
    assert returned.sum() == 13
    monkeypatch.setattr(fit, "TARGET_PRECISION", 0.85)
    assert (scores[0] >= fit.pick_threshold(scores, y)).sum() == 15  # 13 of 15: 86.7 %


def test_the_written_heads_answer_at_run_time_as_fitted(
    fit: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """End to end on a made-up calibration half: sky shows in the peaks of some channels
    somewhere in the photo (max-pooled), not in their average; the written file reads every
    input."""
    rng = np.random.default_rng(3)
    n = 80
    sky = rng.random(n) < 0.4
    peak = rng.random((n, 1280)) * 2
    peak[:, :200] += np.where(sky, 3.0, 0.0)[:, None]
    photos = [{"id": f"p{i}.jpg", "split": "calibration", "words": ["sky"] if s else []}
              for i, s in enumerate(sky)]  # fmt: skip
    (tmp_path / "manifest.json").write_text(json.dumps({"photos": photos}))
    (tmp_path / "words.json").write_text(json.dumps({"sky": "scenes"}))
    outputs = {"features": rng.random((n, 1280)), "features_max": peak}
    stats = rng.random((n, len(STAT_NAMES)))
    np.savez(tmp_path / "f.npz", keys=np.array([p["id"] for p in photos]), stats=stats,
             probs=np.full((n, 1000), 1e-3), **outputs)  # fmt: skip
    out = tmp_path / "heads.json"
    assert fit.main(["fit", "--manifest", str(tmp_path / "manifest.json"),
                     "--features", str(tmp_path / "f.npz"), "--out", str(out),
                     "--held-out"]) == 0  # fmt: skip
    # chosen on one half and scored on the other, the head still finds sky
    assert "scored on the other (3x2): recall 100 %, precision 100 %" in capsys.readouterr().out
    heads = Heads.from_dict(json.loads(out.read_text()))
    assert heads.names == ("Sky",) and heads.inputs == ("features", "features_max")
    assert heads.transform == "sqrt-l2"
    found = heads.confidences(outputs, stats)[:, 0] >= DEFAULT_MIN
    assert (found & sky).sum() >= 0.9 * sky.sum()
    assert (found & ~sky).sum() <= 0.1 * found.sum()


def test_person_gets_a_joined_head_and_only_refits_one_word(
    fit: ModuleType, tmp_path: Path
) -> None:
    """Person, which `people` answers, gets a head that adds to the taxonomy's Person and
    yields to Animal; ``--only person`` refits it and leaves the other heads as they were."""
    rng = np.random.default_rng(5)
    n = 80
    sky, person = rng.random(n) < 0.4, rng.random(n) < 0.4
    peak = rng.random((n, 1280)) * 2
    peak[:, :200] += np.where(sky, 3.0, 0.0)[:, None]
    peak[:, 200:400] += np.where(person, 3.0, 0.0)[:, None]
    photos = [{"id": f"p{i}.jpg", "split": "calibration",
               "words": ["sky"] * bool(s) + ["person"] * bool(p)}
              for i, (s, p) in enumerate(zip(sky, person, strict=True))]  # fmt: skip
    (tmp_path / "manifest.json").write_text(json.dumps({"photos": photos}))
    (tmp_path / "words.json").write_text(json.dumps({"sky": "scenes", "person": "people"}))
    outputs = {"features": rng.random((n, 1280)), "features_max": peak}
    np.savez(tmp_path / "f.npz", keys=np.array([p["id"] for p in photos]),
             stats=rng.random((n, len(STAT_NAMES))), probs=np.full((n, 1000), 1e-3),
             **outputs)  # fmt: skip
    out = tmp_path / "heads.json"
    args = ["fit", "--manifest", str(tmp_path / "manifest.json"),
            "--features", str(tmp_path / "f.npz"), "--out", str(out)]  # fmt: skip
    assert fit.main(args) == 0
    first = json.loads(out.read_text())
    heads = {h["word"]: h for h in first["heads"]}
    assert heads["person"]["label"] == "Person" and heads["person"]["mode"] == "max"
    assert heads["person"]["unless"] == ["Animal"]
    assert "unless" not in heads["sky"]
    assert heads["person"]["cv_precision"] >= fit.JOINED_HEADS["person"][0]
    del first["heads"][[h["word"] for h in first["heads"]].index("person")]
    out.write_text(json.dumps(first))  # as if person had never been fitted
    assert fit.main([*args, "--only", "person"]) == 0
    again = json.loads(out.read_text())
    assert [h["word"] for h in again["heads"]] == ["person", "sky"]
    assert again["heads"][1] == heads["sky"] and again["heads"][0] == heads["person"]


def test_choice_variants_reuse_each_fit_and_restrict_the_modes(fit: ModuleType) -> None:
    # compare_head_choices.py scores other choices on the same fits: each fit runs once, and
    # a variant's modes option keeps the choice to those modes.
    sys.path.insert(0, str(Path(__file__).parents[2] / "scripts"))
    try:
        compare = importlib.import_module("compare_head_choices")
    finally:
        sys.path.pop(0)
    calls = []

    def counted(x: np.ndarray, y: np.ndarray, penalty: float) -> np.ndarray:
        calls.append(penalty)
        return fit.out_of_fold(x, y, penalty)

    once = compare.memoised(counted)
    rng = np.random.default_rng(3)
    x = np.hstack([rng.normal(size=(50, 20)), np.full((50, 1), 10.0)])
    y = (x[:, 0] > 0.5).astype(float)
    np.testing.assert_array_equal(once(x, y, 10.0), once(x.copy(), y, 10.0))
    assert calls == [10.0]
    tax = np.zeros(50, dtype=bool)
    chosen = fit.choose(x, y, tax, tax, modes=("taxonomy", "max"))
    assert chosen["mode"] in ("taxonomy", "max")


def test_the_ceiling_finds_a_separable_word_and_not_a_random_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """label_ceiling.py: with hindsight, a word the embedding separates is found whole at 90 %
    precision, and a word it does not see is barely found, whatever the threshold."""
    sys.path.insert(0, str(Path(__file__).parents[2] / "scripts"))
    try:
        ceiling = importlib.import_module("label_ceiling")
    finally:
        sys.path.pop(0)
    rng = np.random.default_rng(5)
    n = 60
    sky, sea = rng.random(n) < 0.4, rng.random(n) < 0.3
    avg = rng.random((n, 1280))
    avg[:, :50] += np.where(sky, 2.0, 0.0)[:, None]  # sky shows; sea does not
    words = [["sky"] * bool(s) + ["sea"] * bool(t) for s, t in zip(sky, sea, strict=True)]
    photos = [{"id": f"p{i}.jpg", "split": "calibration", "words": w} for i, w in enumerate(words)]
    (tmp_path / "manifest.json").write_text(json.dumps({"photos": photos}))
    (tmp_path / "words.json").write_text(json.dumps({"sky": "scenes", "sea": "scenes"}))
    np.savez(tmp_path / "f.npz", keys=np.array([p["id"] for p in photos]),
             stats=rng.random((n, len(STAT_NAMES))), probs=np.full((n, 1000), 1e-3),
             features=avg, features_max=rng.random((n, 1280)))  # fmt: skip
    assert ceiling.main(["--manifest", str(tmp_path / "manifest.json"), "--features",
                         str(tmp_path / "f.npz"), "--folds", "2,5",
                         "--inputs", "features,features_max"]) == 0  # fmt: skip
    rows = {line.split()[0]: line.split()[1:] for line in capsys.readouterr().out.splitlines()}
    assert rows["sky"][2:] == ["100", "100"]  # positives, taxonomy, 2 folds, 5 folds
    assert all(int(r) < 50 for r in rows["sea"][2:])
    # its fold counts are its own: fit_label_heads' settings are as they were
    assert (ceiling.heads.FOLDS, ceiling.heads.REPEATS) == (5, 4)
