"""Criteria shared by several frameworks."""

from __future__ import annotations

from dataclasses import replace
from functools import cache

from clearweights.components import Component, MofComponent
from clearweights.frameworks.interface import Criterion, Status, criterion
from clearweights.frameworks.subject import AuditSubject
from clearweights.licenses.model import Licence
from clearweights.licenses.summary import restrictions

# Open data licences the OSAID FAQ and Red Hat accept for parameters (with a flag).
OPEN_DATA_FOR_WEIGHTS = {
    "CDLA-Permissive-2.0",
    "CDLA-Permissive-1.0",
    "CC-BY-4.0",
    "CC0-1.0",
    "OpenMDW-1.0",
}
OPEN_DATA_FOR_WEIGHTS_REFS = {"LicenseRef-clearweights-openmdw-1.1"}
# Card-only and metadata-only audits: what needs the weight files themselves says so.
WEIGHTS_ABSENT = "not verified: weights not present"


# A record's restrictions in words, kept by the record's id while remembered (the entry holds
# the record, so its id is not reused meanwhile): the frameworks and the findings ask them of
# the same few catalogue records in every audit. Bounded; switched off by tests.
MEMO = True
_MAX_RESTRICTIONS = 1024
_restrictions: dict[int, tuple[Licence, tuple[str, ...]]] = {}


def restrictions_of(licence: Licence) -> tuple[str, ...]:
    """The use restrictions of a licence record, in plain words (empty for open licences)."""
    found = _restrictions.get(id(licence)) if MEMO else None
    if found is None or found[0] is not licence:
        found = (licence, tuple(restrictions(licence)))  # it reads only the record (frozen)
        if MEMO:
            if len(_restrictions) >= _MAX_RESTRICTIONS:
                _restrictions.clear()
            _restrictions[id(licence)] = found
    return found[1]


def where(component: Component) -> str:
    """Where a component is, without its licence (for criteria about presence only)."""
    shown = ", ".join(component.paths[:3]) + (" ..." if len(component.paths) > 3 else "")
    return shown or "declared"


def describe(component: Component) -> str:
    """One line of evidence: where the component is and under which licence."""
    where = ", ".join(component.paths[:3]) + (" ..." if len(component.paths) > 3 else "")
    licence = component.licence_name or "no licence"
    return f"{where or 'declared'}: {licence} ({component.licence_source})"


def osi(licences: tuple[Licence, ...]) -> bool:
    """Whether every licence is OSI-approved (and there is at least one)."""
    return bool(licences) and all(lic.osi_approved for lic in licences)


def open_data_weights(licences: tuple[Licence, ...]) -> bool:
    """Whether every licence is an open data licence accepted for parameters."""
    return bool(licences) and all(
        lic.id in OPEN_DATA_FOR_WEIGHTS or lic.id in OPEN_DATA_FOR_WEIGHTS_REFS for lic in licences
    )


def code_criterion(
    subject: AuditSubject, kind: MofComponent, ident: str, *, blocking: bool = True
) -> Criterion:
    """A code component must be present and under OSI-approved licences."""
    component = subject.get(kind)
    if component is None:
        return _missing_code(kind, ident, blocking)
    name = kind.spec.name
    evidence = (describe(component),)
    if component.external and not component.licences:
        return criterion(
            ident,
            f"{name} under an OSI-approved licence",
            Status.UNKNOWN,
            evidence,
            f"state the licence of the linked {name.lower()}",
            blocking,
        )
    if osi(component.licences):
        return criterion(
            ident, f"{name} under an OSI-approved licence", Status.PASS, evidence, None, blocking
        )
    reason = (
        "has no licence"
        if not component.licences
        else f"{component.licence_name} is not OSI-approved"
    )
    return criterion(
        ident,
        f"{name} under an OSI-approved licence",
        Status.FAIL,
        evidence,
        f"{name.lower()} {reason}; release it under an OSI-approved licence",
        blocking,
    )


@cache  # most releases have no code: the same criterion each time
def _missing_code(kind: MofComponent, ident: str, blocking: bool) -> Criterion:
    name = kind.spec.name
    return criterion(
        ident,
        f"{name} under an OSI-approved licence",
        Status.FAIL,
        ("not found in the release or linked from the card",),
        f"publish the {name.lower()} under an OSI-approved licence",
        blocking,
    )


def model_code_runs(subject: AuditSubject, ident: str) -> Criterion | None:
    """Inference judged on the model's own code when the release has no separate inference code.

    A release whose Python files define the network (``musicgen.py``, ``unet.py``, classes built
    on ``nn.Module``) runs the model with that code; ``None`` when there is inference code or no
    model code.
    """
    architecture = subject.get(MofComponent.MODEL_ARCHITECTURE)
    if subject.get(MofComponent.INFERENCE_CODE) is not None or architecture is None:
        return None
    code = tuple(p for p in architecture.paths if p.endswith(".py"))
    if architecture.external or not code:
        return None
    judged = code_criterion(subject, MofComponent.MODEL_ARCHITECTURE, ident)
    shown = ", ".join(code[:3]) + (" ..." if len(code) > 3 else "")
    return replace(
        judged,
        title="Inference code under an OSI-approved licence",
        evidence=(
            f"no separate inference code; the model code runs the model: {shown}",
            *judged.evidence,
        ),
    )
