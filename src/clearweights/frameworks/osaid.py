"""OSI's Open Source AI Definition 1.0: Data Information, Code and Parameters."""

from __future__ import annotations

from clearweights.components import Component
from clearweights.components import MofComponent as M
from clearweights.frameworks._common import (
    WEIGHTS_ABSENT,
    code_criterion,
    describe,
    model_code_runs,
    open_data_weights,
    osi,
    restrictions_of,
)
from clearweights.frameworks.interface import (
    Criterion,
    ProfileResult,
    Status,
    criterion,
    verdict_of,
)
from clearweights.frameworks.subject import AuditSubject, weights_licences

CODE = (
    (M.DATA_PREPROCESSING_CODE, "osaid.code.preprocessing"),
    (M.TRAINING_CODE, "osaid.code.training"),
    (M.EVALUATION_CODE, "osaid.code.evaluation"),
    (M.SUPPORTING_LIBRARIES, "osaid.code.libraries"),
    (M.INFERENCE_CODE, "osaid.code.inference"),
    (M.MODEL_ARCHITECTURE, "osaid.code.architecture"),
)
DATA_INFORMATION = (M.DATASETS, M.RESEARCH_PAPER, M.TECHNICAL_REPORT, M.DATA_CARD)


def _parameters(subject: AuditSubject) -> Criterion:
    title = "Parameters under OSI-approved (OSD-conformant) terms"
    weights = subject.get(M.MODEL_PARAMETERS_FINAL)
    if weights is None:
        return criterion(
            "osaid.parameters", title, Status.FAIL, ("no weights",), "publish the parameters"
        )
    licences = weights_licences(subject)
    if subject.weights_absent and (osi(licences) or open_data_weights(licences)):
        return criterion(
            "osaid.parameters",
            title,
            Status.UNKNOWN,
            (describe(weights), WEIGHTS_ABSENT),
            "audit the release with its weight files",
        )
    if osi(licences):
        return criterion("osaid.parameters", title, Status.PASS, (describe(weights),))
    if open_data_weights(licences):
        return criterion(
            "osaid.parameters",
            title,
            Status.PASS,
            (describe(weights), "open data licence accepted as OSD-conformant (flagged)"),
        )
    found = [r for lic in licences for r in restrictions_of(lic)]
    evidence = (describe(weights), *(f"restriction: {r}" for r in found))
    return criterion(
        "osaid.parameters",
        title,
        Status.FAIL,
        evidence,
        "release the parameters under OSD-conformant terms without use restrictions",
    )


def _data_information(subject: AuditSubject) -> Criterion:
    title = "Data Information (data card, report, paper or datasets) under OSI-approved terms"
    present = [c for kind in DATA_INFORMATION if (c := subject.get(kind)) is not None]
    if not present:
        return criterion(
            "osaid.data-information",
            title,
            Status.FAIL,
            ("none of: data card, technical report, research paper, datasets",),
            "publish a complete description of the training data (data card or datasheet)",
        )
    review = (
        "whether it lets a skilled person build a substantially equivalent system: human review"
    )
    evidence = (*(f"{c.name}: {describe(c)}" for c in present), review)
    open_ones = [c for c in present if _open_documentation(c)]
    if open_ones:
        # Cite what carries the verdict, not the links whose licence is unknown.
        cited = (*(f"{c.name}: {describe(c)}" for c in open_ones), review)
        return criterion("osaid.data-information", title, Status.PASS, cited)
    if all(c.external and not c.licences for c in present):
        return criterion(
            "osaid.data-information",
            title,
            Status.UNKNOWN,
            evidence,
            "state the licences of the linked data documentation",
        )
    return criterion(
        "osaid.data-information",
        title,
        Status.FAIL,
        evidence,
        "license the data documentation under open terms (e.g. CC-BY-4.0)",
    )


def _open_documentation(component: Component) -> bool:
    return bool(component.licences) and all(
        lic.osi_approved or lic.category.value in ("open-data", "open-documentation")
        for lic in component.licences
    )


def _code(subject: AuditSubject, kind: M, ident: str) -> Criterion:
    if kind is M.INFERENCE_CODE:
        runs = model_code_runs(subject, ident)
        if runs is not None:
            return runs
    return code_criterion(subject, kind, ident)


class OsaidFramework:
    """The Open Source AI Definition 1.0."""

    name = "osaid-1.0"

    def evaluate(self, subject: AuditSubject) -> ProfileResult:
        """Parameters, every code element and Data Information, each with its licence."""
        criteria = (
            _parameters(subject),
            *(_code(subject, kind, ident) for kind, ident in CODE),
            _data_information(subject),
        )
        verdict = verdict_of(criteria)
        summary = {
            Status.PASS: "meets OSAID 1.0 (Data Information adequacy still needs human review)",
            Status.FAIL: "is not Open Source AI under OSAID 1.0",
            Status.UNKNOWN: "cannot tell yet whether it meets OSAID 1.0",
        }[verdict]
        return ProfileResult(
            "osaid-1.0", "OSI Open Source AI Definition 1.0", verdict, criteria, summary
        )
