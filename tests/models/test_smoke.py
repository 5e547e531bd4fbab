"""`models verify --smoke`: an installed model runs once on the bundled photo."""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
from pathlib import Path

import numpy as np
import pytest
from onnx import TensorProto, helper, numpy_helper

from mediaquery.errors import BadModelFile
from mediaquery.models import catalogue, install
from mediaquery.models.catalogue import TensorSpec
from mediaquery.models.smoke import photo, smoke
from mq_models import tiny_entry


def text_encoder_like() -> bytes:
    """Token ids as int32 (the catalogue says int64) → a [1,512] embedding."""
    ids = helper.make_tensor_value_info("input_ids", TensorProto.INT32, [1, 77])
    out = helper.make_tensor_value_info("text_embeds", TensorProto.FLOAT, [1, 512])
    weight = numpy_helper.from_array(np.ones((77, 512), np.float32), "w")
    nodes = [helper.make_node("Cast", ["input_ids"], ["f"], to=TensorProto.FLOAT),
             helper.make_node("MatMul", ["f", "w"], ["text_embeds"])]  # fmt: skip
    graph = helper.make_graph(nodes, "text", [ids], [out], initializer=[weight])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    return model.SerializeToString()


def install_bytes(model_dir: Path, tmp_path: Path, entry, data: bytes):
    entry = dataclasses.replace(entry, sha256=hashlib.sha256(data).hexdigest(), size=len(data))
    (tmp_path / "file").write_bytes(data)
    install.import_file(model_dir, entry, tmp_path / "file")
    return entry


def test_the_bundled_photo_is_a_real_photo() -> None:
    img = photo()
    assert img.mode == "RGB" and img.size == (451, 300)


def test_smoke_feeds_the_types_the_model_declares(model_dir, tmp_path) -> None:
    real = catalogue.CATALOGUE["clip-vit-b32-text"]
    entry = install_bytes(model_dir, tmp_path, tiny_entry(
        inputs=real.inputs, output_shape=real.output_shape), text_encoder_like())  # fmt: skip
    assert "text_embeds [1, 512]" in smoke(model_dir, entry)


def test_smoke_fails_clearly_when_the_output_is_not_what_the_catalogue_says(model_dir, tmp_path):
    entry = install_bytes(model_dir, tmp_path, tiny_entry(
        inputs=(TensorSpec("input_ids", (1, 77), "int64"),), output_shape=(1, 84, 8400)),
        text_encoder_like())  # fmt: skip
    with pytest.raises(BadModelFile, match=r"expected an output of shape \(1, 84, 8400\)"):
        smoke(model_dir, entry)


def test_smoke_of_a_vocabulary_reads_it(model_dir, tmp_path) -> None:
    vocab = catalogue.CATALOGUE["clip-bpe-vocab"]
    lines = ['"bpe_simple_vocab_16e6.txt#version: 0.2'] + [f"a{i} b{i}" for i in range(49_000)]
    good = gzip.compress("\n".join(lines).encode())
    member = catalogue.ArchiveMember(vocab.member.path, len(good), hashlib.sha256(good).hexdigest())
    entry = tiny_entry(name="clip-bpe-vocab", format="bpe-vocab", member=member, inputs=())
    (tmp_path / "vocab.txt.gz").write_bytes(good)
    install.import_file(model_dir, entry, tmp_path / "vocab.txt.gz")
    assert "49000 merges" in smoke(model_dir, entry)
    (model_dir / "catalogue" / "clip-bpe-vocab").write_bytes(gzip.compress(b"hello"))
    with pytest.raises(BadModelFile, match="not CLIP's BPE vocabulary"):
        smoke(model_dir, entry)


def test_smoke_of_a_file_that_is_no_tflite_model_fails_clearly(model_dir, tmp_path) -> None:
    # Without ai-edge-litert it says so; with it, the interpreter refuses the bytes.
    entry = install_bytes(
        model_dir, tmp_path, tiny_entry(format="tflite", inputs=()), b"not a model"
    )
    with pytest.raises(BadModelFile, match="tiny-model: (cannot run here|the model does not run)"):
        smoke(model_dir, entry)
