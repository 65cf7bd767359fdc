"""Report writers: each a small handler of the engine's events."""

from __future__ import annotations

from conformance.report.console import ConsoleReporter
from conformance.report.events_log import EventsWriter
from conformance.report.html import HtmlReportWriter
from conformance.report.isolated import Isolated, failures
from conformance.report.json_report import REPORT_VERSION, JsonReportWriter
from conformance.report.junit import JUnitWriter
from conformance.report.markdown import MarkdownWriter
from conformance.report.progress import ProgressDisplay

__all__ = [
    "REPORT_VERSION",
    "ConsoleReporter",
    "EventsWriter",
    "HtmlReportWriter",
    "Isolated",
    "JUnitWriter",
    "JsonReportWriter",
    "MarkdownWriter",
    "ProgressDisplay",
    "failures",
]
