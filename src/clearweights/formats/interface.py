"""The one interface every output format implements."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, TypeAlias

if TYPE_CHECKING:  # reports are imported only where rendering happens, to keep start-up fast
    from clearweights.audit.model import AuditReport
    from clearweights.licenses.report import LicenceReport
    from clearweights.policy.model import CheckReport

    Report: TypeAlias = LicenceReport | AuditReport | CheckReport


class ReportFormat(Protocol):
    """Turns a report into text; never prints."""

    def render(self, report: Report) -> str:
        """Return the report in this format."""
        ...
