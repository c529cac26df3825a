"""What frameworks are given: the release, its components and the user's declarations."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from clearweights.components import Component, MofComponent
from clearweights.licenses.model import Licence
from clearweights.release.model import Release
from clearweights.weights.model import PickleScan, WeightsHeader


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
    card_licences: tuple[Licence, ...] = ()  # what the model card declares
    text_licences: tuple[Licence, ...] = ()  # what the release's top-level LICENSE files hold
    weights: tuple[WeightsHeader, ...] = ()
    pickles: tuple[PickleScan, ...] = ()
    architecture: str | None = None  # from config.json, e.g. "LlamaForCausalLM"
    # Card or metadata only: the weights component carries the declared licence, no files.
    weights_absent: bool = False

    def get(self, kind: MofComponent) -> Component | None:
        """The component of this kind, if the release has it."""
        return self.components.get(kind)


def weights_licences(subject: AuditSubject) -> tuple[Licence, ...]:
    """The licences of the final weights (empty when none or unknown)."""
    weights = subject.get(MofComponent.MODEL_PARAMETERS_FINAL)
    return weights.licences if weights is not None else ()
