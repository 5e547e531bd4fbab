"""Every error answer is rendered here: JSON in the sample's shape (`{"Code", "Message"}`) under
/api/, `{"code", "message"}` elsewhere; unexpected exceptions become a logged 500 in that shape."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mediaquery.errors import MediaQueryError

log = logging.getLogger(__name__)


def error_body(path: str, code: str, message: str) -> dict[str, object]:
    """The sample's error shape under /api/, ours elsewhere."""
    if path.startswith("/api/"):
        return {"Code": code, "Message": message}
    return {"code": code, "message": message}


def error_response(
    path: str, status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    """The JSON answer for one error."""
    return JSONResponse(error_body(path, code, message), status_code=status, headers=headers)


def validation_message(exc: RequestValidationError) -> str:
    """`limit: Input should be less than or equal to 1000; ...` from pydantic's errors."""
    problems = "; ".join(
        f"{'.'.join(str(p) for p in e['loc'][1:]) or 'request'}: {e['msg']}" for e in exc.errors()
    )
    return f"Invalid request: {problems}"


class CatchAll:
    """Turns an exception no handler knows into a 500 in the error shape, logged with its
    traceback; the client never gets a plain-text page nor a cut connection before the answer
    started. (Starlette's own last resort answers text and raises the error again.)"""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:
            log.error("unexpected error in %s %s", scope["method"], scope["path"], exc_info=exc)
            if started:  # part of the answer is out: all that is left is to cut it short
                raise
            message = f"Internal error ({type(exc).__name__}); the server log has the details"
            await error_response(scope["path"], 500, "InternalError", message)(scope, receive, send)


def install_error_handlers(app: FastAPI) -> None:
    """Render every error as JSON; invalid parameters of any kind are 400 everywhere."""

    @app.exception_handler(MediaQueryError)
    async def on_error(request: Request, exc: MediaQueryError) -> JSONResponse:
        return error_response(request.url.path, exc.status, exc.code, exc.message, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(request.url.path, 400, "ValidationError", validation_message(exc))

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = "NotFoundError" if exc.status_code == 404 else f"HTTP{exc.status_code}"
        headers = dict(exc.headers) if exc.headers else None
        return error_response(request.url.path, exc.status_code, code, str(exc.detail), headers)

    app.add_middleware(CatchAll)  # the innermost middleware: the others see its 500
