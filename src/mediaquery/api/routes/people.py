"""People (clusters of faces): list, show, name, hide, merge, forget; search by a face."""

from __future__ import annotations

import io
import threading
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, File, Path, Query, Request, Response, UploadFile, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from mediaquery.analyzers.faces import EXTRA_KEY, FacesAnalyzer
from mediaquery.api.deps import ConnDep, CtxDep, get_ctx
from mediaquery.api.filters import MAX_ID
from mediaquery.decode import decode_image
from mediaquery.errors import BadRequest, FacesUnavailable, MediaQueryError, NotFound
from mediaquery.index import faces as faces_index
from mediaquery.index import people as people_index
from mediaquery.index.db import write_tx
from mediaquery.index.query import decode_cursor, encode_cursor
from mediaquery.people.search import search as search_faces

router = APIRouter(tags=["people"])
_lock = threading.Lock()
MAX_SEARCH_BYTES = 20 * 1024 * 1024
THUMB_SIDE = 160


PersonId = Annotated[int, Path(ge=1, le=MAX_ID, description="The person's id")]


class PersonPublic(BaseModel):
    id: int
    name: str | None
    hidden: bool
    faces: int = Field(description="How many faces")
    media: int = Field(description="How many photos")
    thumbnail: str = Field(description="URL of the representative face's crop")


class PeoplePage(BaseModel):
    items: list[PersonPublic]
    next_cursor: str | None


class PersonFace(BaseModel):
    id: int
    media: str
    box: dict[str, float]
    score: float


class PersonDetail(PersonPublic):
    face_list: list[PersonFace] = Field(description="Each face: media name and box")


class PersonPatch(BaseModel):
    name: str | None = Field(None, max_length=200)
    hidden: bool | None = None


class MergeRequest(BaseModel):
    from_: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(
        alias="from", min_length=1, max_length=1000
    )


class PersonRef(BaseModel):
    id: int
    name: str | None


class FaceMatch(BaseModel):
    name: str = Field(description="Media name")
    similarity: float = Field(description="0-100")
    person: PersonRef | None


class FaceMatches(BaseModel):
    items: list[FaceMatch] = Field(description="Best first")


def _public(row: dict[str, Any]) -> PersonPublic:
    return PersonPublic(
        id=row["id"],
        name=row["name"],
        hidden=row["hidden"],
        faces=row["faces"],
        media=row["media"],
        thumbnail=f"/v1/people/{row['id']}/thumbnail",
    )


@router.get("/v1/people", response_model=PeoplePage)
def list_people(
    conn: ConnDep,
    limit: Annotated[int, Query(ge=1, le=1000, description="Page size")] = 100,
    cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
    hidden: Annotated[bool, Query(description="Include hidden people")] = False,
) -> PeoplePage:
    """People with most photos first, paged with a cursor."""
    after = None
    if cursor:
        pos = decode_cursor(cursor, "people")
        after = (int(pos["t"]), int(pos["i"]))
    rows = people_index.list_people(conn, limit + 1, after, hidden)
    nxt = None
    if len(rows) > limit:
        rows = rows[:limit]
        nxt = encode_cursor({"after": "", "t": rows[-1]["media"], "i": rows[-1]["id"]})
    return PeoplePage(items=[_public(r) for r in rows], next_cursor=nxt)


@router.get("/v1/people/{person_id}", response_model=PersonDetail)
def get_person(conn: ConnDep, person_id: PersonId) -> PersonDetail:
    """One person with each of their faces (media name and box)."""
    row = people_index.get(conn, person_id)
    faces = [PersonFace(**f) for f in people_index.faces_of(conn, person_id)]
    return PersonDetail(**_public(row).model_dump(), face_list=faces)


@router.patch("/v1/people/{person_id}", response_model=PersonPublic)
def patch_person(ctx: CtxDep, person_id: PersonId, body: PersonPatch) -> PersonPublic:
    """Name (or rename; "" clears) and hide or show a person."""
    with write_tx(ctx.engine) as conn:
        people_index.set_attributes(conn, person_id, name=body.name, hidden=body.hidden)
        return _public(people_index.get(conn, person_id))


@router.post("/v1/people/{person_id}/merge", response_model=PersonPublic)
def merge_people(ctx: CtxDep, person_id: PersonId, body: MergeRequest) -> PersonPublic:
    """Move every face of the people in `from` into this person."""
    with write_tx(ctx.engine) as conn:
        people_index.merge(conn, person_id, body.from_)
        return _public(people_index.get(conn, person_id))


@router.delete("/v1/people/{person_id}", status_code=status.HTTP_204_NO_CONTENT)
def forget_person(ctx: CtxDep, person_id: PersonId) -> Response:
    """Forget a person: deletes the person and every face embedding of theirs."""
    with write_tx(ctx.engine) as conn:
        people_index.forget(conn, person_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete("/v1/people/{person_id}/faces/{face_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_face(
    ctx: CtxDep,
    person_id: PersonId,
    face_id: Annotated[int, Path(ge=1, le=MAX_ID, description="The face's id")],
) -> Response:
    """Move a wrong face out of a person (the face stays, belonging to nobody)."""
    with write_tx(ctx.engine) as conn:
        people_index.remove_face(conn, person_id, face_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/v1/people/{person_id}/thumbnail", response_class=Response)
def person_thumbnail(ctx: CtxDep, conn: ConnDep, person_id: PersonId) -> Response:
    """A JPEG crop of the person's representative face."""
    row = people_index.get(conn, person_id)
    found = faces_index.face_media(conn, row["cover_face_id"] or 0)
    if found is None:
        raise NotFound(f"Person {person_id} has no face to show")
    name, box = found
    with ctx.storage.fetch(name) as path:
        image = decode_image(path, ctx.settings.max_image_pixels).image
    w, h = image.size
    m = 0.2 * max(box["width"] * w, box["height"] * h)
    crop = image.crop(
        (
            max(0, round(box["left"] * w - m)),
            max(0, round(box["top"] * h - m)),
            min(w, round((box["left"] + box["width"]) * w + m)),
            min(h, round((box["top"] + box["height"]) * h + m)),
        )
    )
    crop.thumbnail((THUMB_SIDE, THUMB_SIDE))
    buf = io.BytesIO()
    crop.convert("RGB").save(buf, "JPEG", quality=85)
    return Response(buf.getvalue(), media_type="image/jpeg")


def _face_analyzer(request: Request) -> FacesAnalyzer:
    """The app's one face finder + encoder for search photos, loaded on first use."""
    ctx = get_ctx(request)
    reason = FacesAnalyzer.unavailable_reason(ctx.settings.model_dir)
    if reason is not None:
        raise FacesUnavailable(f"Face search is unavailable: {reason}")
    with _lock:
        analyzer = getattr(request.app.state, "face_search", None)
        if analyzer is None:
            analyzer = FacesAnalyzer(ctx.settings.model_dir, ctx.settings.model_threads)
            request.app.state.face_search = analyzer
    return analyzer


def _largest_face(analyzer: FacesAnalyzer, blob: bytes, max_pixels: int) -> np.ndarray:
    try:
        image = decode_image(io.BytesIO(blob), max_pixels, FacesAnalyzer.min_side).image
    except MediaQueryError:
        raise
    except Exception as exc:  # noqa: BLE001 - any undecodable upload is the client's fault
        raise BadRequest(f"The file is not an image we can read: {exc}") from exc
    found = analyzer.analyze(image).extra[EXTRA_KEY]
    if not isinstance(found, list) or not found:
        raise BadRequest("No face found in the photo")
    face = max(found, key=lambda f: f["box"]["width"] * f["box"]["height"])
    return np.asarray(face["embedding"], dtype=np.float32)


@router.post("/v1/faces/search", response_model=FaceMatches)
async def search_by_face(
    request: Request,
    file: Annotated[UploadFile, File(description="A photo with a face")],
    limit: Annotated[int, Query(ge=1, le=100, description="How many")] = 10,
) -> FaceMatches:
    """The media whose faces look like the largest face in the photo, best first."""
    ctx = get_ctx(request)
    blob = await file.read(MAX_SEARCH_BYTES + 1)
    if len(blob) > MAX_SEARCH_BYTES:
        raise BadRequest(f"The photo is larger than {MAX_SEARCH_BYTES} bytes")
    analyzer = _face_analyzer(request)
    vector = await run_in_threadpool(_largest_face, analyzer, blob, ctx.settings.max_image_pixels)

    def _search() -> list[Any]:
        with ctx.engine.connect() as conn:
            return search_faces(conn, vector, limit)

    found = await run_in_threadpool(_search)
    return FaceMatches(
        items=[
            FaceMatch(
                name=m.media,
                similarity=m.similarity,
                person=PersonRef(id=m.person_id, name=m.person_name)
                if m.person_id is not None
                else None,
            )
            for m in found
        ]
    )
