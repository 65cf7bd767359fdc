"""Report writers: each a small handler of the engine's events."""

from __future__ import annotations

from .console import ConsoleReporter
from .events_log import EventsWriter
from .html import HtmlReportWriter
from .isolated import Isolated, failures
from .json_report import REPORT_VERSION, JsonReportWriter
from .junit import JUnitWriter
from .markdown import MarkdownWriter
from .progress import ProgressDisplay

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
