"""Fetching audio from a client-supplied URL without letting the client reach private networks."""

from __future__ import annotations

import asyncio
import socket

import anyio
import httpx

from ..model.addresses import is_public_address
from ..model.errors import bad_request
from ..model.tls import client_context

MAX_AUDIO_BYTES = 50 * 1024 * 1024
FETCH_TIMEOUT = 10.0
MAX_REDIRECTS = 5


async def _check_host(url: httpx.URL) -> None:
    """Refuse a URL whose host resolves to any non-public address."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            url.host, url.port or (443 if url.scheme == "https" else 80), type=socket.SOCK_STREAM
        )
    except OSError:
        raise bad_request(f"Could not resolve the host of the audio URL {url.host!r}.") from None
    if not all(is_public_address(str(info[4][0])) for info in infos):
        raise bad_request("The audio URL points to a private or loopback address.")


def _parse(url: str) -> httpx.URL:
    """An absolute http(s) URL, or 400."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        raise bad_request("The audio URL is not a valid URL.") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise bad_request("The audio URL must be an absolute http or https URL.")
    return parsed


async def _download(client: httpx.AsyncClient, url: httpx.URL, allow_private: bool) -> bytes:
    """GET url, following a few redirects (each one checked), within the size limit."""
    for _ in range(MAX_REDIRECTS + 1):
        if not allow_private:
            await _check_host(url)
        async with client.stream("GET", url) as response:
            if response.next_request is not None:
                url = _parse(str(response.next_request.url))
                continue
            if not response.is_success:
                raise bad_request(f"Fetching the audio URL returned HTTP {response.status_code}.")
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > MAX_AUDIO_BYTES:
                    raise bad_request("The audio at the URL is larger than 50 MB.")
            return bytes(body)
    raise bad_request("The audio URL redirects too many times.")


async def fetch_audio(url: str, allow_private: bool) -> bytes:
    """The bytes behind a client's audio URL, or ApiError 400 saying why they could not be had."""
    parsed = _parse(url)
    try:
        with anyio.fail_after(FETCH_TIMEOUT):
            async with httpx.AsyncClient(
                trust_env=False, follow_redirects=False, verify=client_context()
            ) as client:
                return await _download(client, parsed, allow_private)
    except TimeoutError:
        raise bad_request("Fetching the audio URL timed out.") from None
    except httpx.HTTPError as error:
        raise bad_request(f"Could not fetch the audio URL: {error}.") from None
