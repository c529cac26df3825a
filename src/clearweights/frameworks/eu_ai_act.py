"""EU AI Act Art. 53(2): the open-source exemption for general-purpose AI models."""

from __future__ import annotations

import re
from functools import cache

from clearweights.components import MofComponent as M
from clearweights.frameworks._common import WEIGHTS_ABSENT, describe, restrictions_of, where
from clearweights.frameworks.interface import (
    Criterion,
    ProfileResult,
    Status,
    criterion,
    verdict_of,
)
from clearweights.frameworks.subject import AuditSubject, weights_licences
from clearweights.licenses.model import Category

ALWAYS = (
    "Art. 53(1)(c) (a policy to comply with Union copyright law) and Art. 53(1)(d) (a public "
    "summary of the training content) apply even when the exemption does."
)
USAGE_HEADINGS = (
    "usage",
    "how to use",
    "uses",
    "intended use",
    "quick start",
    "quickstart",
    "getting started",
    "inference",
)
# One search per heading instead of one ``in`` per heading and word (bulk scans ask this of
# every card): a heading matches when any of the words occurs in it, as before.
_USAGE = re.compile("|".join(re.escape(u) for u in USAGE_HEADINGS))


def _licence(subject: AuditSubject) -> Criterion:
    title = "Free and open-source licence allowing access, use, modification and distribution"
    licences = weights_licences(subject)
    weights = subject.get(M.MODEL_PARAMETERS_FINAL)
    evidence = (describe(weights),) if weights else ("no weights",)
    if not licences:
        return criterion(
            "eu.licence",
            title,
            Status.FAIL,
            evidence,
            "release the model under a free and open-source licence",
        )
    blocked = [r for lic in licences for r in restrictions_of(lic)]
    closed = [
        lic.id
        for lic in licences
        if lic.category not in (Category.PERMISSIVE, Category.COPYLEFT, Category.OPEN_DATA)
    ]
    if blocked or closed:
        detail = tuple(f"restriction: {r}" for r in blocked) + tuple(
            f"{i} is not a free and open-source licence" for i in closed
        )
        return criterion(
            "eu.licence",
            title,
            Status.FAIL,
            evidence + detail,
            "attribution and share-alike terms are fine (Recital 102); remove use restrictions",
        )
    return criterion("eu.licence", title, Status.PASS, evidence)


def usage_sections(sections: tuple[str, ...]) -> tuple[str, ...]:
    """The card's headings (lowercased) that introduce usage information."""
    joined = "\n".join(sections)
    if joined.count("\n") != len(sections) - 1:  # a heading of several lines: one at a time
        return tuple(h for h in sections if _USAGE.search(h))
    # One search over all the headings (asked of every card): no word holds a line break, so
    # each match lies in one heading, the one whose line it is on.
    lines = {joined.count("\n", 0, m.start()) for m in _USAGE.finditer(joined)}
    return tuple(h for i, h in enumerate(sections) if i in lines) if lines else ()


def _public(subject: AuditSubject) -> list[Criterion]:
    weights = subject.get(M.MODEL_PARAMETERS_FINAL)
    architecture = subject.get(M.MODEL_ARCHITECTURE)
    card = subject.release.card
    out = [
        criterion(
            "eu.weights-public",
            "Parameters, including the weights, are public",
            Status.UNKNOWN if subject.weights_absent else Status.PASS if weights else Status.FAIL,
            (WEIGHTS_ABSENT,)
            if subject.weights_absent
            else (where(weights),)
            if weights
            else ("no weights",),
            "audit the release with its weight files"
            if subject.weights_absent
            else None
            if weights
            else "publish the weights",
        ),
        criterion(
            "eu.architecture-public",
            "Information on the model architecture is public",
            Status.PASS if architecture else Status.FAIL,
            (where(architecture),) if architecture else ("no config.json or architecture code",),
            None if architecture else "publish config.json or the architecture code",
        ),
    ]
    usage = usage_sections(card.sections) if card else ()
    out.append(
        criterion(
            "eu.usage-public",
            "Information on model usage is public",
            Status.PASS if usage else Status.FAIL,
            tuple(f"model card section: {h}" for h in usage)
            or ("no usage section in the model card",),
            None if usage else "add a usage section to the model card",
        )
    )
    return out


@cache  # a handful of values: the same criterion each time
def _declared(ident: str, title: str, value: bool | None, option: str) -> Criterion:
    if value is None:
        return criterion(
            ident, title, Status.UNKNOWN, ("not declared",), f"declare it with {option}"
        )
    return criterion(
        ident,
        title,
        Status.FAIL if value else Status.PASS,
        (f"declared: {'yes' if value else 'no'}",),
    )


class EuAiActFramework:
    """Whether the Art. 53(2) exemption from Art. 53(1)(a) and (b) applies."""

    name = "eu-ai-act-53-2"

    def evaluate(self, subject: AuditSubject) -> ProfileResult:
        """Licence, public weights, architecture and usage information, and two declarations."""
        d = subject.declarations
        criteria = (
            _licence(subject),
            *_public(subject),
            _declared(
                "eu.no-systemic-risk",
                "Not a general-purpose AI model with systemic risk",
                d.systemic_risk,
                "--systemic-risk / --no-systemic-risk",
            ),
            _declared(
                "eu.not-monetised",
                "Not made available against payment or otherwise monetised",
                d.monetised,
                "--monetised / --not-monetised",
            ),
        )
        verdict = verdict_of(criteria)
        summary = {
            Status.PASS: "the Art. 53(2) exemption applies: Art. 53(1)(a) and (b) do not",
            Status.FAIL: "the Art. 53(2) exemption does not apply",
            Status.UNKNOWN: "the Art. 53(2) exemption may apply; declarations or evidence missing",
        }[verdict]
        return ProfileResult(
            "eu-ai-act-53-2",
            "EU AI Act Art. 53(2) open-source exemption",
            verdict,
            criteria,
            summary,
            notes=(ALWAYS,),
        )
