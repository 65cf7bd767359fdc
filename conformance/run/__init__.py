"""A run: its configuration, timing, engine, events, verdicts and the embedded server."""
