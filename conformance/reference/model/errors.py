"""Error responses: one exception type raised by the rules, rendered in one place."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import replace
from http import HTTPStatus

from starlette.responses import JSONResponse, PlainTextResponse, Response

from .faults import Fault
from .settings import Settings


class ApiError(Exception):
    """A failure the client should see, raised from pure code without knowing about HTTP bodies."""

    def __init__(self, status: int, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code or HTTPStatus(status).phrase


def bad_request(message: str) -> ApiError:
    """The 400 every invalid parameter or body produces."""
    return ApiError(400, message)


def unauthorized() -> ApiError:
    """The 401 Deepgram returns for a missing or wrong credential, worded like the real one."""
    return ApiError(401, "Invalid credentials.", "INVALID_AUTH")


def error_body(error: ApiError) -> dict[str, str]:
    """The documented legacy error object, with a fresh request id per failure."""
    return {"err_code": error.code, "err_msg": error.message, "request_id": str(uuid.uuid4())}


def error_response(
    error: ApiError, settings: Settings, headers: Mapping[str, str] | None = None
) -> Response:
    """Render an error as JSON, or as the bare reason phrase when errors-as-text is on; without
    request_id under terse-errors, as the live service's 404 {err_code, err_msg} shows. The
    dg-request-id header names the failure as the body's request_id does."""
    body = error_body(error)
    named = {**(headers or {}), **_request_id_header(body["request_id"], settings)}
    if settings.has(Fault.ERRORS_AS_TEXT) and 400 <= error.status < 500:
        return PlainTextResponse(HTTPStatus(error.status).phrase, error.status, named)
    if settings.imitates("terse-errors"):
        del body["request_id"]
    return JSONResponse(body, error.status, named)


_REST_ONLY = frozenset({Fault.ERROR_NO_REQUEST_ID, Fault.ERROR_REQUEST_ID_DIFFERS})
"""Faults of REST error answers that a refused upgrade does not share (its dg-request-id is
judged by the streaming requirement)."""


def upgrade_refusal(error: ApiError, settings: Settings) -> Response:
    """A refused WebSocket upgrade: the error answer, named by dg-request-id, with its reason in
    dg-error too (the changelog of 2022-11-08; no dg-error under upgrade-refusal-no-dg-error)."""
    own = replace(settings, faults=settings.faults - _REST_ONLY)
    if settings.has(Fault.UPGRADE_REFUSAL_NO_DG_ERROR):
        return error_response(error, own)
    return error_response(error, own, {"dg-error": error.message})


def _request_id_header(request_id: str, settings: Settings) -> dict[str, str]:
    """The dg-request-id header of an error answer (none, or another id, under the faults)."""
    if settings.has(Fault.ERROR_NO_REQUEST_ID):
        return {}
    if settings.has(Fault.ERROR_REQUEST_ID_DIFFERS):
        return {"dg-request-id": str(uuid.uuid4())}
    return {"dg-request-id": request_id}
