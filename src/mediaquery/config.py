"""Settings: one pydantic-settings object, read from MEDIAQUERY_* environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class LabelSettings(BaseModel):
    """Confidence thresholds (0-100) for labels."""

    floor: float = Field(
        5.0, ge=0, le=100, description="Labels below this confidence are not stored."
    )
    default_min_confidence: float = Field(
        25.0,
        ge=0,
        le=100,
        description="Labels at or above this confidence are listed and matched unless a query "
        "asks for another `min_confidence`.",
    )

    def threshold(self, asked: float | None) -> float:
        """The confidence a query asked for, or the default one."""
        return self.default_min_confidence if asked is None else asked


class QueueSettings(BaseModel):
    """The embedded job queue."""

    workers: int = Field(2, ge=0, description="Worker processes that run analysis jobs.")
    max_attempts: int = Field(3, ge=1, description="Tries before a job is given up as failed.")
    batch_size: int = Field(
        4, ge=1, le=64, description="Jobs a worker takes at once (one model call per batch)."
    )
    retry_delay: float = Field(2.0, ge=0, description="Seconds before the first retry; doubles.")
    lease_seconds: float = Field(
        120.0, gt=0, description="A running job whose worker stops renewing this is run again."
    )
    poll_interval: float = Field(0.2, gt=0, description="Seconds an idle worker waits to poll.")


class VideoSettings(BaseModel):
    """Video analysis."""

    sample_interval_ms: int = Field(1000, ge=40, description="Sample one frame this often (ms).")
    chunk_seconds: float = Field(
        120.0, gt=0, description="Videos are split into chunks this long: checkpoints and fan-out."
    )
    budget_seconds: float = Field(
        1800.0, gt=0, description="Decoding time budget per chunk; past it, what was read is kept."
    )


class WebhookSettings(BaseModel):
    """One endpoint that receives completion events."""

    url: str
    secret: str = Field(description="Shared secret for the HMAC-SHA256 signature (not empty)")
    max_attempts: int = Field(5, ge=1, description="Tries per event before it is skipped")
    retry_delay: float = Field(1.0, ge=0, description="Seconds before the first retry; doubles")
    timeout: float = Field(10.0, gt=0, description="Seconds to wait for the endpoint")

    @field_validator("secret")
    @classmethod
    def _secret_set(cls, value: str) -> str:
        if not value.strip():
            raise ValueError(
                "a webhook needs a secret to sign its deliveries with: set a long random one "
                '(e.g. `openssl rand -hex 32`) as "secret" in MEDIAQUERY_WEBHOOKS'
            )
        return value


class CelerySettings(BaseModel):
    """Celery workers (scale-out); used when `broker_url` is set."""

    image_queue: str = Field("mediaquery.images", description="Queue for image jobs.")
    video_queue: str = Field(
        "mediaquery.videos", description="Queue for video jobs, so long videos never starve photos."
    )
    visibility_timeout: float = Field(
        21600.0,
        gt=0,
        description="Redis: seconds before an unacknowledged job is delivered again; longer "
        "than the longest job.",
    )
    concurrency: int = Field(1, ge=1, description="Processes per `mediaquery worker`.")


class AuthSettings(BaseModel):
    """API keys (`mediaquery keys create`)."""

    required: bool | None = Field(
        None,
        description="Require an API key; default: whenever the server listens beyond loopback "
        "or a key exists.",
    )


class ApiSettings(BaseModel):
    """How the server shares the index among requests when many arrive at once."""

    db_slots: int = Field(
        8,
        ge=1,
        le=256,
        description="Requests that use the index at once; the database pool and the thread "
        "pool are sized from it.",
    )
    queue_seconds: float = Field(
        1.0,
        ge=0,
        le=60,
        description="How long a request waits for a slot before it is answered 503 with "
        "Retry-After.",
    )


class ModelSettings(BaseModel):
    """The catalogue of downloadable models (`mediaquery models`)."""

    auto_pull: bool = Field(
        False, description="Download catalogue models an enabled analyzer needs at start-up."
    )
    mirror: str | None = Field(
        None, description="Base URL that replaces every catalogue source (an internal mirror)."
    )
    idle_unload_seconds: float = Field(
        300,
        ge=0,
        description="Free an analyzer's models after this many seconds unused (0: never); "
        "the next use loads them again.",
    )


RekognitionFeature = Literal["labels", "faces", "text", "moderation"]


def _labels_only() -> list[RekognitionFeature]:
    return ["labels"]


class MetadataSettings(BaseModel):
    """Capture time, camera and place read from each file (never written back)."""

    store_location: bool = Field(
        True, description="Store GPS coordinates and the place found from them (personal data)."
    )


class RekognitionSettings(BaseModel):
    """The `rekognition` analyzer (Amazon Rekognition; `pip install 'mediaquery[aws]'`)."""

    region: str | None = Field(None, description="AWS region; default: boto3's chain.")
    endpoint_url: str | None = Field(
        None, description="Another Rekognition endpoint (a VPC endpoint, a test server)."
    )
    min_confidence: float = Field(
        50.0, ge=0, le=100, description="Findings below this confidence are not asked for."
    )
    features: list[RekognitionFeature] = Field(
        default_factory=_labels_only,
        description="APIs to call per image (each billed): labels, faces, text, moderation.",
    )
    max_attempts: int = Field(
        6, ge=1, description="Tries of a throttled call (exponential backoff with jitter)."
    )
    backoff_seconds: float = Field(
        0.5, ge=0, description="Longest wait before the first retry of a throttled call; doubles."
    )
    video_poll_seconds: float = Field(
        5.0, ge=0, description="Videos in S3: first wait between polls of a label job; doubles."
    )
    video_timeout_seconds: float = Field(
        3600.0, gt=0, description="Videos in S3: a label job still running after this is retried."
    )


class Settings(BaseSettings):
    """All options of mediaquery. Environment variables use the MEDIAQUERY_ prefix and `__`
    between section and field, e.g. MEDIAQUERY_QUEUE__WORKERS=4."""

    model_config = SettingsConfigDict(
        env_prefix="MEDIAQUERY_", env_nested_delimiter="__", extra="ignore"
    )

    data_dir: Path = Field(
        Path("./mediaquery-data"), description="Holds the bucket folder, index and model cache."
    )
    host: str = Field("127.0.0.1", description="Address the server listens on.")
    port: int = Field(8000, ge=0, le=65535, description="Port the server listens on.")
    database_url: str | None = Field(
        None, description="SQLAlchemy URL of the index; default: SQLite at DATA_DIR/index.db."
    )
    storage_url: str | None = Field(
        None,
        description="Bucket: s3://bucket[/prefix]?endpoint_url=...&region=...; default: the "
        "local folder DATA_DIR/media.",
    )
    broker_url: str | None = Field(
        None,
        description="Celery broker (redis:// or amqp://); when set, `serve` only enqueues and "
        "`mediaquery worker` runs the jobs.",
    )
    allowed_hosts: list[str] = Field(
        default_factory=list,
        description="Host names (besides loopback ones, IP addresses and `host`) that requests "
        'may address, e.g. ["photos.example.com"]; ["*"] accepts any.',
    )
    allowed_origins: list[str] = Field(
        default_factory=list,
        description="Web origins (besides the server's own pages) whose pages may upload, "
        'delete or change anything, e.g. ["https://app.example.com"].',
    )
    s3_events_token: str | None = Field(
        None, description="Bearer token that POST /v1/events/s3 requires (unset: endpoint off)."
    )
    max_upload_bytes: int = Field(
        200 * 1024 * 1024, gt=0, description="Largest accepted upload; larger ones get 413."
    )
    max_image_pixels: int = Field(
        80_000_000, gt=0, description="Images declaring more pixels fail as decompression bombs."
    )
    models_dir: Path | None = Field(
        None, description="Model cache folder; default: DATA_DIR/models."
    )
    watch: bool = Field(True, description="Watch the bucket folder for changes while serving.")
    reconcile_on_start: bool = Field(True, description="Scan the bucket folder at start-up.")
    analyzers: list[str] = Field(
        default_factory=lambda: ["labels", "people", "text", "moderation", "faces", "colors"],
        description="Analyzers that run on new media.",
    )
    model_threads: int = Field(1, ge=1, description="Inference threads per worker process.")
    webhooks: list[WebhookSettings] = Field(
        default_factory=list,
        description='Endpoints for completion events: [{"url": ..., "secret": ...}]',
    )
    labels: LabelSettings = Field(default_factory=LabelSettings)  # type: ignore[arg-type]
    queue: QueueSettings = Field(default_factory=QueueSettings)  # type: ignore[arg-type]
    video: VideoSettings = Field(default_factory=VideoSettings)  # type: ignore[arg-type]
    celery: CelerySettings = Field(default_factory=CelerySettings)  # type: ignore[arg-type]
    auth: AuthSettings = Field(default_factory=AuthSettings)  # type: ignore[arg-type]
    models: ModelSettings = Field(default_factory=ModelSettings)  # type: ignore[arg-type]
    rekognition: RekognitionSettings = Field(
        default_factory=RekognitionSettings  # type: ignore[arg-type]
    )
    api: ApiSettings = Field(default_factory=ApiSettings)  # type: ignore[arg-type]
    metadata: MetadataSettings = Field(default_factory=MetadataSettings)  # type: ignore[arg-type]

    @property
    def media_dir(self) -> Path:
        """The bucket folder: every file below it is media."""
        return self.data_dir / "media"

    @property
    def model_dir(self) -> Path:
        """Model cache: ONNX files built or downloaded once."""
        return self.models_dir or self.data_dir / "models"

    @property
    def thumbnail_dir(self) -> Path:
        """Thumbnails and video posters, made once per content (etag)."""
        return self.data_dir / "thumbnails"

    @property
    def db_url(self) -> str:
        """The index database URL, defaulting to SQLite in the data folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'index.db').resolve()}"


def load_settings(**overrides: Any) -> Settings:
    """Build settings from the environment, with explicit overrides winning."""
    clean = {k: v for k, v in overrides.items() if v is not None}
    return Settings(**clean)
