"""Report writers: each a small handler of the engine's events."""

from __future__ import annotations

from .console import ConsoleReporter
from .json_report import REPORT_VERSION, JsonReportWriter

__all__ = ["REPORT_VERSION", "ConsoleReporter", "JsonReportWriter"]
