"""The one interface every output format implements."""

from __future__ import annotations

from typing import Protocol

from clearweights.licenses.report import LicenceReport


class ReportFormat(Protocol):
    """Turns a report into text; never prints."""

    def render(self, report: LicenceReport) -> str:
        """Return the report in this format."""
        ...
