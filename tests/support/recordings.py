"""The genuine recordings of ../shared/real-world that no schema of the suite applies to."""

OUT_OF_SCOPE = {
    "deepgram-python-sdk/speak/rest/": "the SDK's dump of speak response headers, not a body",
    "deepgram-python-sdk/read/": "/v1/read (Text Intelligence) is no endpoint of the contract",
    "deepgram-dotnet-sdk/": "/v2 Flux sockets (Connected, TurnInfo, ...): the contract is /v1",
}
"""Recordings no schema of the suite applies to, and why (SOURCES.md says what each is)."""
