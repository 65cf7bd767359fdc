"""Reading request bodies and headers the same way in every endpoint."""

from __future__ import annotations

from starlette.requests import Request

from ..model.errors import ApiError


def media_type(content_type: str | None) -> str:
    """The lower-cased type/subtype of a Content-Type header, without parameters."""
    return (content_type or "").split(";", 1)[0].strip().lower()


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, or 413 as soon as it grows past limit (joined once, never re-copied)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, f"The request body is larger than {limit} bytes.")
        chunks.append(chunk)
    return b"".join(chunks)
