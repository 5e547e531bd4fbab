"""Models: what is installed, what enabled analyzers use, and which analyzers cannot run."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from mediaquery.analyzers.base import Analyzer
from mediaquery.api.deps import CtxDep
from mediaquery.context import Context
from mediaquery.models import inventory

router = APIRouter(prefix="/v1", tags=["models"])


class ModelPublic(BaseModel):
    name: str
    kind: str = Field(description="catalogue (downloadable) or builtin (ships in a package)")
    description: str
    licence: str
    source: str = Field(description="Download URL (mirror applied) or the PyPI package")
    size: int | None = Field(description="Bytes; approximate unless size_exact")
    size_exact: bool
    sha256: str | None = Field(description="The sha256 the catalogue expects of the download")
    archive_member: str | None = Field(description="File installed from inside the download")
    installed: bool
    installed_size: int | None
    installed_sha256: str | None
    path: str | None
    needed_for: list[str] = Field(description="Analyzers and features that need this model")
    used_by: list[str] = Field(description="Enabled analyzers that use it")
    checked: str = Field(description="Where size and sha256 come from")


class AnalyzerStatus(BaseModel):
    name: str
    version: str
    requires: list[str] = Field(description="Catalogue models the analyzer needs")
    available: bool
    reason: str | None = Field(description="Why it cannot run (and how to fix it)")


class ModelsPublic(BaseModel):
    models: list[ModelPublic]
    analyzers: list[AnalyzerStatus] = Field(description="Enabled analyzers")
    unavailable: list[AnalyzerStatus] = Field(description="Enabled analyzers that cannot run")


@router.get("/models", response_model=ModelsPublic)
async def list_models(ctx: CtxDep) -> ModelsPublic:
    """Catalogue and built-in models, installed or not, and which enabled analyzers use them."""
    return await run_in_threadpool(_collect, ctx)


def _collect(ctx: Context) -> ModelsPublic:
    s, analyzers = ctx.settings, ctx.analyzers
    requires = {a.name: a.requires for a in analyzers}
    rows = inventory.catalogue_rows(s.model_dir, requires, s.models.mirror)
    rows += inventory.builtin_rows(s.model_dir, requires)
    status = [_status(a) for a in analyzers]
    return ModelsPublic(
        models=[ModelPublic(**r) for r in rows],
        analyzers=status,
        unavailable=[a for a in status if not a.available],
    )


def _status(analyzer: Analyzer) -> AnalyzerStatus:
    reason = analyzer.unavailable_reason(analyzer.model_dir)
    return AnalyzerStatus(
        name=analyzer.name,
        version=analyzer.version,
        requires=list(analyzer.requires),
        available=reason is None,
        reason=reason,
    )
