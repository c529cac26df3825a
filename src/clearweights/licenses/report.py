"""The reports the licence commands produce; formats render them."""

from __future__ import annotations

from dataclasses import dataclass

from clearweights.licenses.model import FileResult, Licence
from clearweights.licenses.summary import Summary


@dataclass(frozen=True)
class IdentifyReport:
    """Identification of one or more inputs."""

    results: tuple[FileResult, ...]

    @property
    def complete(self) -> bool:
        """Whether every input could be read."""
        return all(r.error is None for r in self.results)


@dataclass(frozen=True)
class LicenceCard:
    """The plain-language summary of one licence."""

    summary: Summary


@dataclass(frozen=True)
class LicenceListing:
    """A list of catalogue records."""

    licences: tuple[Licence, ...]


LicenceReport = IdentifyReport | LicenceCard | LicenceListing
