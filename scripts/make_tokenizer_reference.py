"""Write tests/data/clip_tokenizer_reference.json: open_clip's own token ids for real texts.

The test ``tests/analyzers/test_clip_tokenizer.py`` checks mediaquery's CLIP tokenizer against
every text of this file, without open_clip. The texts are what the tokenizer meets in use or
close to it: every prompt of the shipped zero-shot vocabulary, every ImageNet and COCO label
name and alias of the shipped taxonomy, the label evaluation's words, and every non-empty line
of README.md (prose with punctuation, code, numbers, arrows and dashes). Two steps, as open_clip
needs torch and ftfy, which are no project dependencies:

    # 1. the texts (project venv)
    PYTHONPATH=src python scripts/make_tokenizer_reference.py texts --out /tmp/texts.json
    # 2. the ids, with open_clip 3.3.0's SimpleTokenizer in a scratch venv
    python3 -m venv /tmp/torchvenv
    /tmp/torchvenv/bin/pip install torch==2.13.0 ftfy==6.3.1 regex
    /tmp/torchvenv/bin/pip install --no-deps open_clip_torch==3.3.0
    /tmp/torchvenv/bin/python scripts/make_tokenizer_reference.py ids --texts /tmp/texts.json

Step 2 loads open_clip's ``tokenizer.py`` on its own (the package's ``__init__`` needs
torchvision), with the vocabulary that ships beside it: the file mediaquery's catalogue
installs as ``clip-bpe-vocab``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import sysconfig
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "tests/data/clip_tokenizer_reference.json"
DATA = REPO / "src/mediaquery/analyzers/data"


def texts() -> list[str]:
    """The texts, each once, in a stable order."""
    from mediaquery.analyzers.zero_shot import load_vocabulary

    found: list[str] = list(load_vocabulary().prompts())
    for entry in json.loads((DATA / "imagenet_taxonomy.json").read_text())["classes"]:
        found += [entry["name"], *entry["aliases"]]
    for entry in json.loads((DATA / "coco_labels.json").read_text())["classes"]:
        found += [entry["coco"], entry["label"]]
    found += list(json.loads((REPO / "benchmarks/label_eval/words.json").read_text()))
    found += [ln.strip() for ln in (REPO / "README.md").read_text().splitlines() if ln.strip()]
    return list(dict.fromkeys(found))


def open_clip_tokenizer() -> Any:
    path = Path(sysconfig.get_paths()["purelib"]) / "open_clip" / "tokenizer.py"
    spec = importlib.util.spec_from_file_location("open_clip_tokenizer", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"open_clip is not installed here ({path})")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.SimpleTokenizer()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    steps = parser.add_subparsers(dest="step", required=True)
    steps.add_parser("texts").add_argument("--out", type=Path, required=True)
    ids = steps.add_parser("ids")
    ids.add_argument("--texts", type=Path, required=True)
    ids.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    if args.step == "texts":
        found = texts()
        args.out.write_text(json.dumps(found, ensure_ascii=False, indent=0))
        print(f"{len(found)} texts -> {args.out}")
        return
    tokenizer = open_clip_tokenizer()
    rows = [[text, tokenizer.encode(text)] for text in json.loads(args.texts.read_text())]
    body = {
        "made_by": "scripts/make_tokenizer_reference.py with open_clip_torch 3.3.0",
        "texts": rows,
    }
    args.out.write_text(json.dumps(body, ensure_ascii=False, separators=(",", ":")) + "\n")
    print(f"{len(rows)} texts -> {args.out} ({args.out.stat().st_size} bytes)")


if __name__ == "__main__":
    sys.exit(main())
