"""What frameworks are given: the release, its components and the user's declarations."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from clearweights.components import Component, MofComponent
from clearweights.release.model import Release


@dataclass(frozen=True)
class Declarations:
    """Facts a release's files cannot show, declared by the user (EU AI Act options)."""

    systemic_risk: bool | None = None
    monetised: bool | None = None


@dataclass(frozen=True)
class AuditSubject:
    """A release as the frameworks see it."""

    release: Release
    components: Mapping[MofComponent, Component]
    declarations: Declarations = Declarations()

    def get(self, kind: MofComponent) -> Component | None:
        """The component of this kind, if the release has it."""
        return self.components.get(kind)
