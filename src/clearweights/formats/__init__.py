"""Output formats: one module each, all behind :class:`ReportFormat`."""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, assert_never

from clearweights.formats.interface import ReportFormat

if TYPE_CHECKING:
    from clearweights.formats.interface import Report


class OutputFormat(StrEnum):
    """The ``--format`` choices of reporting commands."""

    TEXT = "text"
    JSON = "json"
    MARKDOWN = "markdown"
    MOF_YAML = "mof-yaml"
    SARIF = "sarif"
    JUNIT = "junit"

    def to_format(self) -> ReportFormat:
        """Return the formatter for this choice."""
        match self:
            case OutputFormat.TEXT:
                from clearweights.formats.text import TextFormat

                return TextFormat()
            case OutputFormat.JSON:
                from clearweights.formats.json import JsonFormat

                return JsonFormat()
            case OutputFormat.MARKDOWN:
                from clearweights.formats.markdown import MarkdownFormat

                return MarkdownFormat()
            case OutputFormat.MOF_YAML:
                from clearweights.formats.mof_yaml import MofYamlFormat

                return MofYamlFormat()
            case OutputFormat.SARIF:
                from clearweights.formats.sarif import SarifFormat

                return SarifFormat()
            case OutputFormat.JUNIT:
                from clearweights.formats.junit import JunitFormat

                return JunitFormat()
            case _:
                assert_never(self)


REPORT_FORMATS = (OutputFormat.TEXT, OutputFormat.JSON, OutputFormat.MARKDOWN)
CHECK_FORMATS = (*REPORT_FORMATS, OutputFormat.SARIF, OutputFormat.JUNIT)

__all__ = ["CHECK_FORMATS", "REPORT_FORMATS", "OutputFormat", "Report", "ReportFormat"]
