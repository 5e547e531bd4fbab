"""The `rekognition` analyzer: labels (and optionally faces, text, moderation) from Amazon
Rekognition, for users who already pay for it and want its labels in their own index.

Images go to Rekognition as bytes: the decoded, upright pixels (EXIF orientation applied, so
its boxes match ours) re-encoded as JPEG, shrunk until they fit the API's 5 MB limit. Sending
pixels rather than an S3 reference works with every bucket (folder, MinIO, S3) and keeps the
analyzer free of storage, as every analyzer is. Videos in a folder (or MinIO) bucket, which
Rekognition cannot read, are analysed from frames: once per shot, on its first frame.

Throttling is retried here with exponential backoff and full jitter (bounded attempts; boto's
own retries are off so the bound is ours). A request Rekognition refuses (a bad image, access
denied, no credentials) raises `AnalysisError`: the item ends `failed` with the reason, at once.
Anything else (a 5xx, a network error, throttling past the bound) is retried by the queue.

A video in an S3 bucket is not sent frame by frame: Rekognition's stored-video label job reads
it from the bucket (see rekognition_video), and its timestamps are folded into our segments.

Version: `rekognition.<rev>.<features>` (what we ask for and how we map it) plus, after `@`,
the model versions Rekognition last reported (LabelModelVersion, TextModelVersion, ...). Each
result records the versions that produced it; the latest seen are kept in the model cache
(`MODELS_DIR/rekognition/model-versions.json`), so when AWS upgrades a model `reindex` redoes
what the old one produced, without a paid probe call."""

from __future__ import annotations

import io
import json
import logging
import os
import random
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from PIL import Image

from mediaquery.analyzers import rekognition_map as rmap
from mediaquery.analyzers import rekognition_video
from mediaquery.analyzers.base import Analyzer
from mediaquery.domain import Findings, LabelFinding, MediaType
from mediaquery.errors import AnalysisError

if TYPE_CHECKING:
    from mediaquery.config import RekognitionSettings, Settings

log = logging.getLogger(__name__)

REVISION = "1"  # our request and mapping code; bump when it changes what is stored
MAX_BYTES = 5 * 1024 * 1024  # Rekognition's limit for image bytes
JPEG_QUALITY = 90
MIN_SIDE = 80  # Rekognition refuses images with a smaller side
MAX_ENLARGED = 4096  # a strip 1 px high is not enlarged past this on its long side
THROTTLED = frozenset({"ProvisionedThroughputExceededException", "ThrottlingException"})
# The response field that names each feature's model version (DetectFaces names none).
MODEL_FIELDS = {
    "labels": "LabelModelVersion",
    "text": "TextModelVersion",
    "moderation": "ModerationModelVersion",
}
INSTALL = "pip install 'mediaquery[aws]'"


class Throttled(Exception):
    """Rekognition kept throttling past the configured attempts (the queue retries later)."""


class RekognitionAnalyzer(Analyzer):
    """Amazon Rekognition's labels, faces, text and moderation labels, in our vocabulary."""

    name: ClassVar[str] = "rekognition"
    media_types: ClassVar[frozenset[MediaType]] = frozenset({MediaType.IMAGE, MediaType.VIDEO})
    per_shot: ClassVar[bool] = True  # each call is billed: once per shot in videos

    settings: RekognitionSettings | None = None
    _client: Any = None

    @classmethod
    def unavailable_reason(cls, model_dir: Any) -> str | None:
        """Without boto3 the analyzer cannot run; say which extra to install."""
        try:
            import boto3  # noqa: F401
        except ImportError:
            return f"boto3 is not installed: {INSTALL}"
        return None

    def configure(self, settings: Settings) -> None:
        """Read the `rekognition` settings section."""
        self.settings = settings.rekognition

    @property
    def _settings(self) -> RekognitionSettings:
        if self.settings is None:  # built without settings (a plugin host): the environment's
            from mediaquery.config import load_settings

            self.settings = load_settings().rekognition
        return self.settings

    @property  # a ClassVar in other analyzers; here it follows the models AWS reports
    def version(self) -> str:  # type: ignore[override]
        """Our revision and features, then the model versions Rekognition last reported."""
        return _version(self._base_version(), self._known_models())

    def _base_version(self) -> str:
        return f"rekognition.{REVISION}.{'+'.join(sorted(set(self._settings.features)))}"

    def _versions_file(self) -> Any:
        return self.model_dir / "rekognition" / "model-versions.json"

    def _known_models(self) -> dict[str, str]:
        """The model versions last seen for the features this analyzer calls."""
        try:
            data = json.loads(self._versions_file().read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        if not isinstance(data, dict):
            return {}
        return {str(k): str(v) for k, v in data.items() if k in self._settings.features}

    def _remember_models(self, models: dict[str, str]) -> None:
        path = self._versions_file()
        try:
            known = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            known = {}
        known = known if isinstance(known, dict) else {}
        if all(known.get(k) == v for k, v in models.items()):
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
        tmp.write_text(json.dumps({**known, **models}, sort_keys=True), encoding="utf-8")
        tmp.replace(path)  # atomic: workers may write at once

    def _load(self) -> None:
        s = self._settings
        import boto3
        from botocore.config import Config
        from botocore.exceptions import BotoCoreError

        config = Config(retries={"total_max_attempts": 1}, user_agent_extra="mediaquery")
        try:
            self._client = boto3.client(
                "rekognition", region_name=s.region, endpoint_url=s.endpoint_url, config=config
            )
        except BotoCoreError as exc:  # no region configured, a malformed endpoint
            raise AnalysisError(
                f"Rekognition client: {exc} (MEDIAQUERY_REKOGNITION__REGION)"
            ) from exc

    def _analyze(self, image: Image.Image) -> Findings:
        s = self._settings
        payload = {"Bytes": encode(image)}
        conf = s.min_confidence
        found: list[LabelFinding] = []
        mod: list[LabelFinding] = []
        extra: dict[str, Any] = {}
        models: dict[str, str] = {}
        features = set(s.features)

        def call(feature: str, op: str, **kw: Any) -> dict[str, Any]:
            answer = self.call(op, Image=payload, **kw)
            field = MODEL_FIELDS.get(feature, "")
            if answer.get(field):
                models[feature] = str(answer[field])
            return answer

        if "labels" in features:
            answer = call("labels", "detect_labels", MinConfidence=conf)
            found += rmap.labels(answer.get("Labels") or [])
        if "faces" in features:
            found += rmap.faces(call("faces", "detect_faces").get("FaceDetails") or [], conf)
        if "text" in features:
            answer = call("text", "detect_text", Filters={"WordFilter": {"MinConfidence": conf}})
            extra["lines"] = rmap.text_lines(answer.get("TextDetections") or [], conf)
            found += rmap.text_label(extra["lines"])
        if "moderation" in features:
            answer = call("moderation", "detect_moderation_labels", MinConfidence=conf)
            mod = rmap.moderation(answer.get("ModerationLabels") or [])
        found = rmap.merged(found)  # Person from labels and from faces is one label
        found += mod
        self._remember_models(models)
        extra["models"] = models
        version = _version(self._base_version(), {**self._known_models(), **models})
        return Findings(analyzer=self.name, version=version, labels=found, extra=extra)

    def label_stored_video(
        self, bucket: str, key: str, version: str
    ) -> list[tuple[int, list[LabelFinding]]]:
        """A video in S3: Rekognition's own video label job (StartLabelDetection, polled), so
        the video is billed per minute rather than per frame sent."""
        s = self._settings
        token = rekognition_video.request_token(bucket, key, version, self._base_version())
        seen, model = rekognition_video.label_video(
            self.call,
            bucket,
            key,
            token=token,
            min_confidence=s.min_confidence,
            first_wait=s.video_poll_seconds,
            timeout=s.video_timeout_seconds,
        )
        if model:
            self._remember_models({"labels": model})
        return seen

    def call(self, op: str, **kw: Any) -> dict[str, Any]:
        """One Rekognition call: throttling retried with backoff and jitter, refusals raised
        as `AnalysisError` (the item fails with the reason)."""
        self.load()
        s = self._settings
        return with_backoff(
            lambda: _request(getattr(self._client, op), op, **kw),
            attempts=s.max_attempts,
            base=s.backoff_seconds,
            what=op,
        )


def _version(base: str, models: dict[str, str]) -> str:
    listed = ",".join(f"{k}-{v}" for k, v in sorted(models.items()))
    return f"{base}@{listed}" if listed else base


def _request(method: Callable[..., dict[str, Any]], op: str, **kw: Any) -> dict[str, Any]:
    from botocore.exceptions import ClientError, NoCredentialsError, NoRegionError

    try:
        return method(**kw)
    except ClientError as exc:
        err = exc.response.get("Error", {})
        code = str(err.get("Code", "Unknown"))
        if code in THROTTLED:
            raise Throttled(f"Rekognition {_op_name(op)}: {code}") from exc
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 400)
        message = f"Rekognition {_op_name(op)}: {code}: {err.get('Message', '')}".rstrip(": ")
        if status >= 500:
            raise RuntimeError(message) from exc  # the service's fault: the queue retries
        raise AnalysisError(message) from exc
    except (NoCredentialsError, NoRegionError) as exc:
        raise AnalysisError(f"Rekognition {_op_name(op)}: {exc}") from exc


def _op_name(op: str) -> str:
    return "".join(part.title() for part in op.split("_"))


def with_backoff(
    fn: Callable[[], dict[str, Any]],
    *,
    attempts: int,
    base: float,
    what: str,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, Any]:
    """Call `fn`, retrying `Throttled` up to `attempts` tries in all; the wait before try n+1 is
    uniform in [0, base * 2**(n-1)] ("full jitter"), capped at 30 s."""
    for attempt in range(1, attempts + 1):
        try:
            return fn()
        except Throttled:
            if attempt == attempts:
                raise
            delay = random.uniform(0, min(30.0, base * 2 ** (attempt - 1)))
            log.info(
                "%s throttled (try %d of %d), retrying in %.2f s", what, attempt, attempts, delay
            )
            sleep(delay)
    raise AssertionError("unreachable")


def encode(image: Image.Image, limit: int = MAX_BYTES) -> bytes:
    """The image as JPEG bytes within `limit`, shrunk (keeping its shape) until it fits, and
    enlarged to Rekognition's smallest side (80 px) when smaller: boxes are relative, so they
    do not change, and an icon is labelled instead of refused."""
    pixels = image.convert("RGB")
    w, h = pixels.size
    if min(w, h) < MIN_SIDE:
        f = min(MIN_SIDE / min(w, h), MAX_ENLARGED / max(w, h))
        pixels = pixels.resize(
            (max(1, round(w * f)), max(1, round(h * f))), Image.Resampling.BICUBIC
        )
    while True:
        buf = io.BytesIO()
        pixels.save(buf, "JPEG", quality=JPEG_QUALITY)
        data = buf.getvalue()
        if len(data) <= limit:
            return data
        # bytes scale with the area: aim a little under the limit
        f = (limit / len(data)) ** 0.5 * 0.9
        w, h = pixels.size
        pixels = pixels.resize((max(1, int(w * f)), max(1, int(h * f))), Image.Resampling.LANCZOS)
