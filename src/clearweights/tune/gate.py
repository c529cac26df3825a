"""The licence gate before training: what a fine-tune of this base, on this data, from this
teacher, must carry, and which combinations stop before a single step is run.

The base model's release is audited (clearweights' own audit); the data's licences and the
teacher's come from the samples' metadata that ``generate`` records. Every refusal quotes the
clause it rests on.
"""

from __future__ import annotations

import contextlib
from dataclasses import asdict, dataclass
from typing import Any

from clearweights.audit.model import ReleaseAudit
from clearweights.audit.obligations import for_licence
from clearweights.components import MofComponent
from clearweights.errors import UnknownLicenceError
from clearweights.generate.teacher_license import assess
from clearweights.licenses import Licence, get
from clearweights.licenses.model import Category
from clearweights.policy._licences import LicencesFor, TermAllowed
from clearweights.policy.rules import Policy
from clearweights.tune.data import Provenance


@dataclass(frozen=True)
class Duty:
    """Something the fine-tune's release must do, and which input imposes it."""

    source: str  # base model, data, teacher
    license: str
    text: str
    clause: str = ""


@dataclass(frozen=True)
class Refusal:
    """Why training must not start."""

    source: str
    license: str
    reason: str


@dataclass(frozen=True)
class GatePlan:
    """The combined licence position of a fine-tune.

    Attributes:
        base_license: the base model's weights licence expression (``unknown`` when none).
        derived_license: the licence the fine-tune's weights must carry: the base's.
        claimed_license: what the user asked for, when it was given.
        correction: why the claim was replaced, quoting the base's licence, when it was.
        name_prefix: the fine-tune's name must begin with this (``None``: no such duty).
    """

    base: str
    base_license: str
    base_licences: tuple[str, ...]
    derived_license: str
    data_licenses: tuple[str, ...]
    teacher_licenses: tuple[str, ...]
    duties: tuple[Duty, ...]
    refusals: tuple[Refusal, ...]
    warnings: tuple[str, ...]
    claimed_license: str | None = None
    correction: str | None = None
    name_prefix: str | None = None

    @property
    def allowed(self) -> bool:
        return not self.refusals


def _weights_licences(audit: ReleaseAudit) -> tuple[tuple[Licence, ...], str]:
    weights = next(
        (c for c in audit.components if c.kind is MofComponent.MODEL_PARAMETERS_FINAL), None
    )
    if weights is None or not weights.licences:
        return (), "unknown"
    expression = weights.licence_expression
    text = (
        str(expression)
        if expression is not None
        else " AND ".join(lic.id for lic in weights.licences)
    )
    return weights.licences, text


def _lookup(ids: tuple[str, ...], source: str) -> tuple[list[Licence], list[str]]:
    found, warnings = [], []
    for ident in ids:
        if ident in ("", "unknown"):
            warnings.append(f"{source}: some samples carry no licence (unknown)")
            continue
        try:
            found.append(get(ident))
        except UnknownLicenceError:  # an id the catalogue does not know is as good as none
            warnings.append(f"{source}: licence {ident!r} is not in the catalogue (unknown)")
    return found, warnings


def _duties(licences: list[Licence] | tuple[Licence, ...], source: str) -> list[Duty]:
    out = []
    for lic in licences:
        for ob in for_licence(lic, ()):
            out.append(Duty(source, lic.id, ob.text, ob.source))
        if source == "data":
            out.extend(_data_duties(lic))
    return out


def _data_duties(lic: Licence) -> list[Duty]:
    """Creative Commons duties on data derived from a document (they are not licence terms
    the catalogue records for weights)."""
    out = []
    if lic.id.startswith("CC-BY"):
        out.append(
            Duty(
                "data",
                lic.id,
                "credit the documents' creators, link the licence and "
                "say that the data was changed (generated from them)",
                "CC BY §3(a)",
            )
        )
    if "-SA-" in lic.id or lic.category is Category.COPYLEFT:
        out.append(
            Duty(
                "data",
                lic.id,
                f"share-alike: data generated from these documents is "
                f"shared under {lic.id} or a compatible licence",
                "CC BY-SA §3(b)",
            )
        )
    return out


def _policy_refusals(policy: Policy, licences: list[Licence], source: str) -> list[Refusal]:
    """What the policy's term and licence rules refuse in these licences. Like the policy
    itself, a forbidden term the licence leaves unknown refuses too (fail closed)."""
    out = []
    for rule in policy.leaves:
        for lic in licences:
            if isinstance(rule, TermAllowed) and rule.action == "forbid":
                state = rule.state(lic)
                if state == "absent":
                    continue
                cite = getattr(lic.terms, rule.term).cite
                quote = f': "{cite.quote}" ({cite.clause})' if cite and cite.quote else ""
                what = rule.term.replace("_", " ")
                why = (
                    f"forbids {what}{quote}"
                    if state == "present"
                    else f"forbids {what}, and the licence leaves it unknown"
                )
                out.append(Refusal(source, lic.id, f"policy {policy.name} {why}"))
            if (
                isinstance(rule, LicencesFor)
                and rule.kind in ("weights", "datasets")
                and (lic.id in rule.deny or lic.category.value in rule.deny)
            ):
                out.append(
                    Refusal(
                        source, lic.id, f"policy {policy.name} denies {lic.category.value} licences"
                    )
                )
    return out


def _teacher(prov: Provenance, student: str | None) -> tuple[list[Duty], list[Refusal], list[str]]:
    licences, warnings = _lookup(prov.teacher_licenses, "teacher")
    if not licences:
        return (
            [],
            [],
            [
                *warnings,
                "teacher: licence unknown; whether its outputs may train a "
                "model was never checked (run generate with --teacher-release)",
            ],
        )
    family = student or (prov.student_families[0] if prov.student_families else None)
    verdict = assess(tuple(licences), family)
    duties = [Duty("teacher", verdict.license, d) for d in verdict.duties]
    if verdict.allowed is False:
        reasons = "; ".join(r for r in verdict.reasons if "forbids" in r)
        return duties, [Refusal("teacher", verdict.license, reasons)], warnings
    if verdict.allowed is None:
        warnings.extend(f"teacher: {r}" for r in verdict.reasons)
    return duties, [], warnings


def _derived(
    base_ids: tuple[str, ...], base_text: str, claimed: str | None
) -> tuple[str, str | None]:
    """The fine-tune carries the base's licence; a different claim is corrected, never kept."""
    if not base_ids or claimed is None:
        return base_text, None
    claim: str = claimed
    with contextlib.suppress(UnknownLicenceError):  # an unknown name is kept as written
        claim = get(claimed).id
    if claim in base_ids and len(base_ids) == 1:
        return base_text, None
    return base_text, (
        f"the requested licence {claimed} was replaced by {base_text}: a fine-tune is a "
        "derivative of its base model and carries the base model's licence"
    )


def plan(
    audit: ReleaseAudit,
    prov: Provenance,
    *,
    policy: Policy | None = None,
    student: str | None = None,
    claimed_license: str | None = None,
) -> GatePlan:
    """Combine base model, data and teacher into one licence position (see :class:`GatePlan`)."""
    base_licences, base_text = _weights_licences(audit)
    data, warnings = _lookup(prov.document_licenses, "data")
    duties = _duties(base_licences, "base model") + _duties(data, "data")
    refusals: list[Refusal] = []
    if not base_licences:
        refusals.append(
            Refusal(
                "base model",
                "unknown",
                "the base model's weights licence "
                "could not be identified; its duties cannot be known",
            )
        )
    t_duties, t_refusals, t_warnings = _teacher(prov, student)
    duties += t_duties
    refusals += t_refusals
    warnings += t_warnings
    if policy is not None:
        teachers, _ = _lookup(prov.teacher_licenses, "teacher")
        refusals += _policy_refusals(policy, list(base_licences), "base model")
        refusals += _policy_refusals(policy, data, "data")
        refusals += _policy_refusals(policy, teachers, "teacher")
    derived, correction = _derived(
        tuple(lic.id for lic in base_licences), base_text, claimed_license
    )
    naming = [lic.terms.derivative_naming.value for lic in base_licences]
    prefix = next((n.name_prefix for n in naming if n is not None and n.name_prefix), None)
    return GatePlan(
        base=audit.path, base_license=base_text,
        base_licences=tuple(lic.id for lic in base_licences), derived_license=derived,
        data_licenses=prov.document_licenses, teacher_licenses=prov.teacher_licenses,
        duties=tuple(dict.fromkeys(duties)), refusals=tuple(dict.fromkeys(refusals)),
        warnings=tuple(dict.fromkeys(warnings)), claimed_license=claimed_license,
        correction=correction, name_prefix=prefix,
    )  # fmt: skip


def plan_to_dict(gate: GatePlan) -> dict[str, Any]:
    """The plan as JSON-ready data (``gate.json`` beside a training run)."""
    doc = asdict(gate)
    doc["schema_version"] = 1
    doc["allowed"] = gate.allowed
    return doc


def describe(gate: GatePlan) -> str:
    """The plan in plain words, for people."""
    lines = [f"base model licence: {gate.base_license}",
             f"the fine-tune's weights carry: {gate.derived_license}"]  # fmt: skip
    if gate.correction:
        lines.append(f"corrected: {gate.correction}")
    if gate.name_prefix:
        lines.append(f"its name must begin with {gate.name_prefix!r}")
    lines += [f"duty ({d.source}, {d.license}): {d.text}" for d in gate.duties]
    lines += [f"warning: {w}" for w in gate.warnings]
    lines += [f"REFUSED ({r.source}, {r.license}): {r.reason}" for r in gate.refusals]
    return "\n".join(lines)
