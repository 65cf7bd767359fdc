"""The /v1/listen WebSocket: handshake, session, audio decoding, lanes and callbacks."""
