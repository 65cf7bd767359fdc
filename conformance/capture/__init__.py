"""Captured traffic (a JSON body, an NDJSON log, a HAR export) judged offline by the suite's
schemas and the stream rules that need no audio: `conformance validate`."""
