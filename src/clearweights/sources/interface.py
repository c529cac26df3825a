"""The interface of release sources."""

from __future__ import annotations

from typing import Protocol

from clearweights.release.model import Release


class ReleaseSource(Protocol):
    """Reads one release; raises :class:`~clearweights.errors.ReleaseError` when it cannot."""

    def collect(self) -> Release:
        """Return the release."""
        ...
