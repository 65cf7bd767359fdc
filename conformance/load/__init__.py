"""Conformance under load: N live streams on Locust, each judged by the suite's stream rules."""
