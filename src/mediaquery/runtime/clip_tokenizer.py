"""CLIP's text tokenizer: byte-level BPE over the 49,408-entry vocabulary of OpenAI CLIP.

The merge list is CLIP's ``bpe_simple_vocab_16e6.txt.gz`` (the catalogue model
``clip-bpe-vocab``). Text is cleaned like CLIP does (HTML entities, the parts of ftfy's
clean-up that matter for typed queries, whitespace), lower-cased, split into words with
CLIP's pattern, and each word's UTF-8 bytes are merged pair by pair in rank order. A
sequence is ``<|startoftext|>`` + tokens + ``<|endoftext|>``, cut to the context length with
the end token kept, and padded with 0.

Not covered: ftfy's repair of mojibake (text decoded with the wrong charset); queries typed
by people do not carry it.
"""

from __future__ import annotations

import gzip
import html
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import regex

CONTEXT_LENGTH = 77
START = "<|startoftext|>"
END = "<|endoftext|>"
END_OF_WORD = "</w>"
# CLIP keeps 49152 - 256 - 2 merges of the file (its first line is a version comment).
MERGES = 49152 - 256 - 2
START_ID, END_ID = 49406, 49407

_WORDS = regex.compile(
    r"""<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""",
    regex.IGNORECASE,
)
_SPACES = regex.compile(r"\s+")
# What ftfy (which CLIP runs first) changes in ordinary typed text.
_QUOTES = str.maketrans(
    {"\u02bc": "'", "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'",
     "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"'}
)  # fmt: skip
_LIGATURES = str.maketrans(
    {"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl",
     "\ufb05": "ſt", "\ufb06": "st", "\u0132": "IJ", "\u0133": "ij", "\u0149": "ʼn",
     "\u01c4": "DŽ", "\u01c5": "Dž", "\u01c6": "dž", "\u01c7": "LJ", "\u01c8": "Lj",
     "\u01c9": "lj", "\u01ca": "NJ", "\u01cb": "Nj", "\u01cc": "nj", "\u01f1": "DZ",
     "\u01f2": "Dz", "\u01f3": "dz"}
)  # fmt: skip
_WIDE = regex.compile(r"[\u3000\uff01-\uff5e\uff61-\uffee]")  # full- and half-width forms
_CONTROL = regex.compile(
    "[\x00-\x08\x0b\x0e-\x1f\x7f\u206a-\u206f\ufeff\ufff9-\ufffc\U0001d173-\U0001d17a"
    "\U000e0000-\U000e007f]"
)


def byte_alphabet() -> dict[int, str]:
    """A printable character for each byte value (GPT-2/CLIP's reversible byte mapping).

    Bytes that are already visible Latin-1 characters stand for themselves; the others
    (controls, space, soft hyphen, ...) take the code points from 256 upwards, in order.
    """
    visible = [*range(ord("!"), ord("~") + 1), *range(0xA1, 0xAC + 1), *range(0xAE, 0xFF + 1)]
    table = {b: chr(b) for b in visible}
    spare = 256
    for b in range(256):
        if b not in table:
            table[b] = chr(spare)
            spare += 1
    return table


def clean(text: str) -> str:
    """CLIP's text clean-up: entities, ftfy's typographic fixes, whitespace, lower case."""
    text = html.unescape(html.unescape(text))
    text = text.translate(_QUOTES).translate(_LIGATURES)
    text = _WIDE.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)
    text = unicodedata.normalize("NFC", _CONTROL.sub("", text))
    return _SPACES.sub(" ", text).strip().lower()


class ClipTokenizer:
    """Text → CLIP token ids; `encode` for one text, `__call__` for a padded batch."""

    def __init__(self, merges: Sequence[tuple[str, str]]) -> None:
        alphabet = list(byte_alphabet().values())
        vocab = [*alphabet, *(c + END_OF_WORD for c in alphabet), *("".join(m) for m in merges)]
        vocab += [START, END]
        self.ids: dict[str, int] = {token: i for i, token in enumerate(vocab)}
        self.ranks: dict[tuple[str, str], int] = {pair: i for i, pair in enumerate(merges)}
        self._bytes = byte_alphabet()
        self._cache: dict[str, tuple[int, ...]] = {START: (START_ID,), END: (END_ID,)}
        self._lock = threading.Lock()
        if self.ids.get(START) != START_ID or self.ids.get(END) != END_ID:
            raise ValueError(f"a CLIP vocabulary has {MERGES} merges; this one has {len(merges)}")

    @classmethod
    def from_file(cls, path: Path) -> ClipTokenizer:
        """Read CLIP's gzip'd merge list (``bpe_simple_vocab_16e6.txt.gz``)."""
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            lines = fh.read().split("\n")
        merges = [line.split() for line in lines[1 : MERGES + 1]]
        if len(merges) != MERGES or any(len(m) != 2 for m in merges):
            raise ValueError(f"{path} is not CLIP's BPE merge list")
        return cls([(a, b) for a, b in merges])

    def encode(self, text: str) -> list[int]:
        """Token ids of a text, without start and end tokens."""
        out: list[int] = []
        for word in _WORDS.findall(clean(text)):
            out.extend(self._word_ids(word))
        return out

    def __call__(
        self, texts: str | Iterable[str], context_length: int = CONTEXT_LENGTH
    ) -> np.ndarray:
        """int64 [N, context_length]: start, tokens, end (kept when cut), zero padding."""
        if isinstance(texts, str):
            texts = [texts]
        rows = []
        for text in texts:
            ids = [START_ID, *self.encode(text)][: context_length - 1] + [END_ID]
            rows.append(ids + [0] * (context_length - len(ids)))
        return np.asarray(rows, dtype=np.int64).reshape(-1, context_length)

    def _word_ids(self, word: str) -> tuple[int, ...]:
        cached = self._cache.get(word)
        if cached is None:
            symbols = "".join(self._bytes[b] for b in word.encode("utf-8"))
            cached = tuple(self.ids[p] for p in self._merge(symbols))
            with self._lock:  # a bounded cache: words repeat, but not unboundedly
                if len(self._cache) > 100_000:
                    self._cache = {START: (START_ID,), END: (END_ID,)}
                self._cache[word] = cached
        return cached

    def _merge(self, symbols: str) -> list[str]:
        """Merge adjacent symbols, the lowest-ranked pair first, until no pair has a rank."""
        parts = [*symbols[:-1], symbols[-1] + END_OF_WORD]
        while len(parts) > 1:
            pairs = list(zip(parts, parts[1:], strict=False))
            best = min(pairs, key=lambda pair: self.ranks.get(pair, MERGES))
            if best not in self.ranks:
                break
            merged: list[str] = []
            i = 0
            while i < len(parts):
                if i + 1 < len(parts) and (parts[i], parts[i + 1]) == best:
                    merged.append(parts[i] + parts[i + 1])
                    i += 2
                else:
                    merged.append(parts[i])
                    i += 1
            parts = merged
        return parts
