"""How the server answers what goes wrong: JSON errors naming the field, never a traceback.

Every error body is ``{"error": message, "field": name or null, "errors": [{"field", "message"}...]}``:
400 for a body that is not JSON, 413 for one over `requests.MAX_BODY_BYTES`, 422 for a field that
is missing, unknown or out of range, 404/405 for unknown routes and methods, 503 while shutting
down, and 500 "internal error" (the traceback goes to the server log only).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import InputError
from .requests import MAX_BODY_BYTES

log = logging.getLogger(__name__)


class FieldError(InputError):
    """A request field whose value the server cannot use (answered with 422 naming ``field``)."""

    def __init__(self, field: str | None, message: str, status: int = 422) -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.message = message
        self.status = status


def error_response(status: int, errors: list[dict[str, Any]], headers: dict[str, str] | None = None) -> JSONResponse:
    """The JSON error body for ``errors`` (each ``{"field", "message"}``), the first one summarised."""
    first = errors[0]
    summary = f"{first['field']}: {first['message']}" if first.get("field") else first["message"]
    return JSONResponse({"error": summary, "field": first.get("field"), "errors": errors}, status_code=status, headers=headers)


def validation_errors(raw: list[Any]) -> tuple[int, list[dict[str, Any]]]:
    """Pydantic/FastAPI error records as ``(status, [{"field", "message"}])``: 400 for malformed JSON, else 422."""
    errors, status = [], 422
    for error in raw:
        location = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path")]
        kind = error.get("type", "")
        message = error.get("msg", "invalid value")
        if kind == "json_invalid":
            status, message = 400, f"the request body is not valid JSON ({error.get('ctx', {}).get('error', message)})"
            location = []
        elif kind == "extra_forbidden":
            message = "unknown field; see /docs for the fields this endpoint takes"
        elif kind == "missing":
            message = "this field is required"
        elif kind == "model_attributes_type":
            message = "the request body must be a JSON object"
        errors.append({"field": ".".join(location) or None, "message": message})
    return status, errors or [{"field": None, "message": "invalid request"}]


def install_error_handlers(app: FastAPI) -> None:
    """Make every error of ``app`` a JSON answer in the shape above."""

    @app.exception_handler(RequestValidationError)
    async def _request(request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(*validation_errors(list(exc.errors())))

    @app.exception_handler(ValidationError)
    async def _model(request: Request, exc: ValidationError) -> JSONResponse:
        return error_response(*validation_errors(list(exc.errors())))

    @app.exception_handler(FieldError)
    async def _field(request: Request, exc: FieldError) -> JSONResponse:
        return error_response(exc.status, [{"field": exc.field, "message": exc.message}])

    @app.exception_handler(InputError)
    async def _input(request: Request, exc: InputError) -> JSONResponse:
        return error_response(422, [{"field": None, "message": str(exc)}])

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> JSONResponse:
        return error_response(exc.status_code, [{"field": None, "message": str(exc.detail)}], getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception) -> JSONResponse:
        log.exception("internal error answering %s %s", request.method, request.url.path)
        return error_response(500, [{"field": None, "message": "internal error; the server log has the details"}])


class _TooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than {limit:,} bytes", {"Connection": "close"})


class BodyLimit:
    """ASGI middleware answering 413 to a request body over ``limit`` bytes (declared or streamed)."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers", [])).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            await self._refuse(scope, receive, send)
            return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise _TooLarge(self.limit)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except _TooLarge:
            if not started:
                await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        message = f"the request body is larger than {self.limit:,} bytes"
        response = error_response(413, [{"field": None, "message": message}], {"Connection": "close"})
        await response(scope, receive, send)
