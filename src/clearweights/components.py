"""The 17 components of the Model Openness Framework, and a release's files placed in them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from clearweights.licenses._expression import LicenceExpression, all_of
from clearweights.licenses.model import Licence


@dataclass(frozen=True)
class ComponentSpec:
    """One MOF component as the Model Openness Tool defines it."""

    cid: int
    name: str
    content_type: str  # code, data or document
    mof_class: int  # the class that introduces it (3, 2 or 1)
    required: bool


class MofComponent(Enum):
    """The MOF components, with the Model Openness Tool's ids, content types and classes."""

    MODEL_ARCHITECTURE = ComponentSpec(9, "Model architecture", "code", 3, True)
    MODEL_PARAMETERS_FINAL = ComponentSpec(10, "Model parameters (Final)", "data", 3, True)
    MODEL_CARD = ComponentSpec(13, "Model card", "document", 3, True)
    DATA_CARD = ComponentSpec(14, "Data card", "document", 3, True)
    TECHNICAL_REPORT = ComponentSpec(11, "Technical report", "document", 3, True)
    EVALUATION_RESULTS = ComponentSpec(12, "Evaluation results", "document", 3, True)
    SAMPLE_OUTPUTS = ComponentSpec(20, "Sample model outputs", "document", 3, False)
    TRAINING_CODE = ComponentSpec(7, "Training code", "code", 2, True)
    INFERENCE_CODE = ComponentSpec(8, "Inference code", "code", 2, True)
    EVALUATION_CODE = ComponentSpec(18, "Evaluation code", "code", 2, True)
    EVALUATION_DATA = ComponentSpec(19, "Evaluation data", "data", 2, True)
    SUPPORTING_LIBRARIES = ComponentSpec(22, "Supporting libraries and tools", "code", 2, False)
    DATA_PREPROCESSING_CODE = ComponentSpec(16, "Data preprocessing code", "code", 1, True)
    MODEL_PARAMETERS_INTERMEDIATE = ComponentSpec(
        24, "Model parameters (Intermediate)", "data", 1, True
    )
    DATASETS = ComponentSpec(15, "Datasets", "data", 1, True)
    RESEARCH_PAPER = ComponentSpec(21, "Research paper", "document", 1, True)
    MODEL_METADATA = ComponentSpec(17, "Model metadata", "data", 1, False)

    # Members are singletons compared by identity: hashed by identity too, in C (Enum hashes
    # the name in Python, and components key every inventory, subject and verdict).
    __hash__ = object.__hash__

    @property
    def spec(self) -> ComponentSpec:
        """The component's definition."""
        spec: ComponentSpec = self._value_  # the member's value, without Enum's descriptor
        return spec

    @classmethod
    def by_name(cls, name: str) -> MofComponent | None:
        """Return the component with this exact MOF name, or ``None``."""
        return _BY_NAME.get(name.strip().lower())


_BY_NAME = {c.value.name.lower(): c for c in MofComponent}


@dataclass(frozen=True)
class Component:
    """A component of one release: where it is, under which licence, and why it was placed here.

    Attributes:
        kind: the MOF component.
        paths: files of the release (relative paths) or external locations (URLs).
        licence_name: the licence as declared or detected (an id or the free text of a MOF
            file); ``None`` when the component has no licence.
        licences: the catalogue licences it resolves to (empty when unknown or none).
        licence_source: where the licence came from (a file, a card field, a global default).
        reason: why these files were placed in this component.
        external: the component lives outside the release (a linked repo, paper or dataset).
        expression: how ``licences`` combine (``MIT OR GPL-3.0-only``); ``None`` means they
            all apply, so read it through ``licence_expression``.
    """

    kind: MofComponent
    paths: tuple[str, ...] = ()
    licence_name: str | None = None
    licences: tuple[Licence, ...] = ()
    licence_source: str = ""
    reason: str = ""
    external: bool = False
    expression: LicenceExpression | None = None

    @property
    def licence_expression(self) -> LicenceExpression | None:
        """The licences as an expression: an OR is a choice, an AND means all apply."""
        return self.expression or all_of(self.licences)

    @property
    def name(self) -> str:
        """The MOF component name."""
        return self.kind.spec.name
