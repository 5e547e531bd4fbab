"""Natural-language search: rank media by how well their CLIP image embedding fits a text."""

from __future__ import annotations

import threading
from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.datastructures import State

from mediaquery.api.deps import ConnDep, CtxDep
from mediaquery.api.filters import FilterDep
from mediaquery.api.schemas import MediaPublic, SearchItem, SearchResults
from mediaquery.context import Context
from mediaquery.errors import BadRequest, SearchUnavailable
from mediaquery.index.similar import rank_by_vector
from mediaquery.models.catalogue import missing_reason
from mediaquery.models.store import installed_path
from mediaquery.runtime.clip import TEXT_MODEL, VOCAB, ClipTextEncoder

router = APIRouter(prefix="/v1/search", tags=["search"])
ANALYZER = "scenes"  # whose stored image embeddings are CLIP's
_lock = threading.Lock()


def text_encoder(ctx: Context, state: State) -> ClipTextEncoder:
    """The app's CLIP text encoder, loaded on first use and kept in the app's `state`
    (reloaded if the file changes)."""
    model_dir = ctx.settings.model_dir
    text, vocab = installed_path(model_dir, TEXT_MODEL), installed_path(model_dir, VOCAB)
    if text is None or vocab is None:
        missing = [n for n, p in ((TEXT_MODEL, text), (VOCAB, vocab)) if p is None]
        raise SearchUnavailable(f"Search is unavailable: {missing_reason(model_dir, missing)}")
    stat = text.stat()
    key = (str(text), stat.st_size, stat.st_mtime_ns)
    with _lock:
        cached = getattr(state, "clip_text", None)
        if cached is None or cached[0] != key:
            try:
                cached = (key, ClipTextEncoder(text, vocab, ctx.settings.model_threads))
            except ValueError as exc:  # an export this encoder cannot use
                raise SearchUnavailable(f"Search is unavailable: {exc}") from exc
            state.clip_text = cached
    encoder: ClipTextEncoder = cached[1]
    return encoder


@router.get("", response_model=SearchResults)
def search(
    request: Request,
    ctx: CtxDep,
    conn: ConnDep,
    f: FilterDep,
    q: Annotated[
        str, Query(max_length=1000, description="What to look for, e.g. a dog playing in the snow")
    ] = "",
    limit: Annotated[int, Query(ge=1, le=200, description="How many")] = 20,
) -> SearchResults:
    """Media ranked by how well they fit the text (CLIP), among those that pass the filters."""
    text = " ".join(q.split())
    if not text:
        raise BadRequest("Say what to look for with q, e.g. q=a dog playing in the snow")
    vector = text_encoder(ctx, request.app.state).encode([text])[0]
    found = rank_by_vector(conn, vector, f, limit, analyzer=ANALYZER)
    items = [
        SearchItem.model_validate({**MediaPublic.of(row).model_dump(), "score": score})
        for row, score in found
    ]
    return SearchResults(query=text, items=items)
