"""Red Hat's pragmatic minimum: open-source weights plus open-source software, clearly licensed.

Data cards, training code and datasets are reported as improvement areas, not failures.
"""

from __future__ import annotations

from functools import cache

from clearweights.components import Component
from clearweights.components import MofComponent as M
from clearweights.frameworks._common import (
    WEIGHTS_ABSENT,
    code_criterion,
    describe,
    model_code_runs,
    open_data_weights,
    osi,
    where,
)
from clearweights.frameworks.interface import (
    Criterion,
    ProfileResult,
    Status,
    criterion,
    verdict_of,
)
from clearweights.frameworks.subject import AuditSubject, weights_licences


def _weights(subject: AuditSubject) -> list[Criterion]:
    weights = subject.get(M.MODEL_PARAMETERS_FINAL)
    if weights is None:
        return [
            criterion(
                "redhat.weights",
                "Model weights are released",
                Status.FAIL,
                ("no weight files in the release",),
                "publish the model weights",
            ),
            criterion(
                "redhat.weights-licence",
                "Weights under an OSI-approved licence",
                Status.FAIL,
                ("no weights",),
                "publish the weights under an OSI-approved licence",
            ),
        ]
    present = criterion(
        "redhat.weights", "Model weights are released", Status.PASS, (where(weights),)
    )
    if subject.weights_absent:
        present = criterion(
            "redhat.weights",
            "Model weights are released",
            Status.UNKNOWN,
            (WEIGHTS_ABSENT,),
            "audit the release with its weight files",
        )
    licences = weights_licences(subject)
    notes: tuple[str, ...] = ()
    if osi(licences):
        status, fix = Status.PASS, None
    elif open_data_weights(licences):
        status, fix = Status.PASS, None
        notes = (f"{weights.licence_name} is an open data licence, accepted for weights (flagged)",)
    elif not licences:
        status, fix = Status.FAIL, "state the weights' licence in a LICENSE file and the model card"
    else:
        status = Status.FAIL
        fix = (
            f"{weights.licence_name} is not an open-source licence; "
            "release the weights under one (e.g. Apache-2.0)"
        )
    licence = criterion(
        "redhat.weights-licence",
        "Weights under an OSI-approved licence",
        status,
        (describe(weights), *notes),
        fix,
    )
    return [present, licence]


def _software(subject: AuditSubject) -> list[Criterion]:
    out = [code_criterion(subject, M.MODEL_ARCHITECTURE, "redhat.architecture")]
    inference = subject.get(M.INFERENCE_CODE)
    model_code = model_code_runs(subject, "redhat.inference")
    if model_code is not None:
        out.append(model_code)
    elif inference is None and subject.architecture:
        out.append(
            criterion(
                "redhat.inference",
                "Inference code under an OSI-approved licence",
                Status.PASS,
                (
                    f"config.json names {subject.architecture}, "
                    "which the Apache-2.0 transformers library runs",
                ),
            )
        )
    else:
        out.append(code_criterion(subject, M.INFERENCE_CODE, "redhat.inference"))
    return out


def _clarity(subject: AuditSubject) -> Criterion:
    title = "Licensing is clear (declared matches detected; weights licence identified)"
    declared = {lic.id for lic in subject.card_licences}
    detected = {lic.id for lic in subject.text_licences if lic.kind == "licence"}
    evidence = (
        f"model card declares: {', '.join(sorted(declared)) or 'nothing resolvable'}",
        f"licence files hold: {', '.join(sorted(detected)) or 'nothing'}",
    )
    weights = weights_licences(subject)
    if any(lic.id.endswith("unidentified") for lic in weights):
        return criterion(
            "redhat.clarity", title, Status.FAIL, evidence, "use a known licence for the weights"
        )
    component = subject.get(M.MODEL_PARAMETERS_FINAL)
    if component is not None and not weights:
        return criterion(
            "redhat.clarity",
            title,
            Status.FAIL,
            (*evidence, f"weights: {describe(component)}"),
            "state the weights' licence in a LICENSE file and the model card",
        )
    if declared and detected and not declared & detected:
        return criterion(
            "redhat.clarity",
            title,
            Status.FAIL,
            evidence,
            "make the model card's license field name the licence in the LICENSE file",
        )
    if not declared and not detected:
        return criterion(
            "redhat.clarity", title, Status.FAIL, evidence, "add a LICENSE file and a license field"
        )
    return criterion("redhat.clarity", title, Status.PASS, evidence)


def _improvements(subject: AuditSubject) -> list[Criterion]:
    out = []
    for kind, ident in (
        (M.DATA_CARD, "redhat.data-card"),
        (M.TRAINING_CODE, "redhat.training-code"),
        (M.DATASETS, "redhat.datasets"),
    ):
        component = subject.get(kind)
        if component is None:
            out.append(_not_published(kind, ident))
            continue
        title = f"{kind.spec.name} published (improvement area)"
        evidence: tuple[str, ...]
        fix: str | None
        if not component.licences:
            # Published perhaps, but a verdict is only as good as its evidence.
            status, evidence = Status.UNKNOWN, (describe(component), _unverified(component))
            fix = f"state the licence of the {kind.spec.name.lower()}"
        else:
            status, evidence, fix = Status.PASS, (describe(component),), None
        out.append(criterion(ident, title, status, evidence, fix, blocking=False))
    return out


@cache  # most releases publish none of them: the same criterion each time
def _not_published(kind: M, ident: str) -> Criterion:
    title = f"{kind.spec.name} published (improvement area)"
    fix = f"publish the {kind.spec.name.lower()}"
    return criterion(ident, title, Status.FAIL, ("not found",), fix, blocking=False)


def _unverified(component: Component) -> str:
    if component.external:
        return "linked from the model card, not verified; licence unknown"
    return "licence unknown"


class RedHatFramework:
    """Red Hat's minimum for open-source AI."""

    name = "redhat"

    def evaluate(self, subject: AuditSubject) -> ProfileResult:
        """Weights and software under open-source licences, with clear licensing."""
        criteria = tuple(
            _weights(subject) + _software(subject) + [_clarity(subject)] + _improvements(subject)
        )
        verdict = verdict_of(criteria)
        summary = {
            Status.PASS: "meets Red Hat's minimum: open-source weights and software, clear terms",
            Status.FAIL: "does not meet Red Hat's minimum for open-source AI",
            Status.UNKNOWN: "cannot tell yet whether it meets Red Hat's minimum",
        }[verdict]
        return ProfileResult(
            "redhat", "Red Hat minimum for open-source AI", verdict, criteria, summary
        )
