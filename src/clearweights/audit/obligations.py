"""What someone who uses, fine-tunes or redistributes the model must do, licence by licence."""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from dataclasses import replace

from clearweights.audit.model import Obligation
from clearweights.components import Component
from clearweights.licenses import get
from clearweights.licenses._expression import LicenceExpression
from clearweights.licenses.model import Licence
from clearweights.lineage.model import BaseModel, Lineage

ALL = ("use", "fine-tune", "redistribute")
DERIVE = ("fine-tune", "redistribute")


def _cite(licence: Licence, term: str) -> str:
    cite = getattr(licence.terms, term).cite
    return f"{cite.clause}: {cite.quote}".strip(": ") if cite else ""


# A duty before it is tied to its licence: (kind, text, who it applies to, the term saying so).
_Duty = tuple[str, str, tuple[str, ...], str]


def for_licence(licence: Licence, notice_files: tuple[str, ...]) -> list[Obligation]:
    """The duties one licence imposes."""
    if not MEMO:
        return list(_duties_of(licence, notice_files))
    key = (id(licence), notice_files)
    found = _duties.get(key)
    if found is None or found[0] is not licence:  # an id reused by another object
        if len(_duties) >= _MAX_DUTIES:
            _duties.clear()
        found = _duties[key] = (licence, _duties_of(licence, notice_files))
    return list(found[1])


# Catalogue records are shared objects and their duties the same in every audit: each
# record's (and notice files') duties are built once while remembered (bounded; the record
# is held with them, so its id is not reused meanwhile).
_MAX_DUTIES = 1024
_duties: dict[tuple[int, tuple[str, ...]], tuple[Licence, tuple[Obligation, ...]]] = {}


def _duties_of(licence: Licence, notice_files: tuple[str, ...]) -> tuple[Obligation, ...]:
    duties = [
        *_naming_duties(licence),
        *_distribution_duties(licence, notice_files),
        *_use_duties(licence),
    ]
    return tuple(
        Obligation(kind, text, scope, licence.id, _cite(licence, term))
        for kind, text, scope, term in duties
    )


def _naming_duties(licence: Licence) -> Iterator[_Duty]:
    """Attribution strings to display and a name prefix for derivatives."""
    if (naming := licence.terms.derivative_naming.value) is None:
        return
    when = f" ({naming.condition})" if naming.condition else ""
    for text in naming.attribution:
        yield "attribution", f'Display "{text}"{when}', DERIVE, "derivative_naming"
    if naming.name_prefix:
        text = f'Begin the name of any derivative model you distribute with "{naming.name_prefix}"'
        yield "naming", text, DERIVE, "derivative_naming"


def _distribution_duties(licence: Licence, notice_files: tuple[str, ...]) -> Iterator[_Duty]:
    """What every copy handed on must carry (or that none may be)."""
    for condition in licence.terms.distribution_conditions.value or ():
        if condition == "NOTICE file":
            text = (
                f"Carry the NOTICE file(s) {', '.join(notice_files)} with every copy"
                if notice_files
                else "Carry any NOTICE file that comes with it, and mark the files you changed"
            )
        elif condition == "copy of the licence":
            text = f"Give every recipient a copy of the {licence.name}"
        elif condition.startswith("no distribution"):
            text = "Do not redistribute: the licence does not allow it"
        else:
            text = condition[0].upper() + condition[1:]
        yield "distribution", text, ("redistribute",), "distribution_conditions"


def _use_duties(licence: Licence) -> Iterator[_Duty]:
    """Limits on use: a use policy, a user cap, territories, outputs, commercial use."""
    t = licence.terms
    if (policy := t.acceptable_use_policy.value) is not None:
        names = [get(p).name for p in licence.policies] or [policy.name]
        changes = policy.may_change_unilaterally or t.unilateral_changes.value
        extra = " (it may change without notice)" if changes else ""
        text = f"Follow the {', '.join(names)}{extra} and pass its restrictions on to your users"
        yield "use-policy", text, ALL, "acceptable_use_policy"
    if (threshold := t.user_threshold.value) is not None:
        text = f"Above {threshold.value:,.0f} {threshold.unit} you need a separate licence"
        yield "threshold", text, ALL, "user_threshold"
    for region in t.territorial_exclusions.value or ():
        yield "territory", f"Rights are not granted to: {region}", ALL, "territorial_exclusions"
    if (out_use := t.output_use_restriction.value) is not None:
        if out_use.restricted:
            text = "Do not use the model's outputs to train or improve other models"
            yield "outputs", text, ALL, "output_use_restriction"
        elif out_use.distillation_is_derivative:
            text = "Models trained on its outputs or distilled from it inherit these terms"
            yield "outputs", text, DERIVE, "output_use_restriction"
    if t.commercial_use.value is False:
        text = "Use it for non-commercial or research purposes only"
        yield "use", text, ALL, "commercial_use"


def _inherited(bases: tuple[BaseModel, ...]) -> list[Obligation]:
    """The release carries its base models' licences: say so, once per base licence."""
    out = []
    for base in bases:
        for licence in base.licences:
            out.append(
                Obligation(
                    "lineage",
                    f"This release is a {base.relation} of {base.repo_id}: the {licence.name} "
                    "applies to it; keep its terms and give a copy with every copy you pass on",
                    ALL,
                    licence.id,
                    base.licence_source,
                )
            )
    return out


def obligations(
    components: tuple[Component, ...],
    notice_files: tuple[str, ...],
    lineage: Lineage | None = None,
) -> tuple[Obligation, ...]:
    """Every duty from every licence in the release, once each, weights' licences first.

    Licences inherited from base models come first, with their own duties, even when the
    release has no weight files (a card-only audit).
    """
    bases = lineage.bases if lineage else ()
    if not MEMO:
        return _obligations(components, notice_files, bases)
    # What it reads: each component's kind, licence records and the ids that apply however it
    # is taken; the notice files; the bases (frozen). Records and bases by id, held with the
    # entry so that no id is reused meanwhile.
    parts = tuple(
        [(c.kind, tuple([id(lic) for lic in c.licences]), frozenset(_required(c)))
         for c in components]
    )  # fmt: skip
    key = (notice_files, tuple([id(b) for b in bases]), parts)
    found = _kept.get(key)
    if found is None:
        held = (bases, tuple([lic for c in components for lic in c.licences]))
        if len(_kept) >= _MAX_KEPT:
            _kept.clear()
        found = _kept[key] = (held, _obligations(components, notice_files, bases))
    return found[1]


# The duties of a release, kept per distinct set of what they are worked out from (a scan's
# releases share a few hundred: the same records, bases and notice files). Switched off by tests.
MEMO = True
_MAX_KEPT = 2048
_kept: dict[Hashable, tuple[object, tuple[Obligation, ...]]] = {}


def _obligations(
    components: tuple[Component, ...],
    notice_files: tuple[str, ...],
    bases: tuple[BaseModel, ...],
) -> tuple[Obligation, ...]:
    out: list[Obligation] = _inherited(bases)
    inherited = [lic for base in bases for lic in base.licences]
    ordered = sorted(
        components, key=lambda c: (c.kind.spec.content_type != "data", c.kind.spec.cid)
    )
    licences = {lic.id: lic for lic in inherited}
    licences.update((lic.id, lic) for c in ordered for lic in c.licences)
    # A licence offered only as one side of an OR binds only those who choose it.
    required = {lic.id for lic in inherited} | {i for c in ordered for i in _required(c)}
    for licence in licences.values():
        duties = for_licence(licence, notice_files)
        if licence.id not in required:
            duties = [
                replace(
                    d, text=f"If you take it under {licence.id}: {d.text[0].lower()}{d.text[1:]}"
                )
                for d in duties
            ]
        out.extend(duties)
    return tuple(out)


def _required(component: Component) -> set[str]:
    """The ids of the licences that apply however the component is taken."""
    if component.expression is None:  # no expression: all of its licences apply
        return {lic.id for lic in component.licences}
    if not _has_choice(component.expression):  # one choice, of every licence (the common case)
        return {lic.id for lic in component.expression.licences}
    return {lic.id for lic in _in_every_choice(component)}


def _has_choice(expression: LicenceExpression) -> bool:
    """Whether an OR is anywhere in *expression* (without one, its only choice holds all of
    its licences, which is what working out the choices would say)."""
    return expression.operator == "OR" or any(_has_choice(a) for a in expression.args)


def _in_every_choice(component: Component) -> tuple[Licence, ...]:
    """The licences that apply however the component is taken."""
    expression = component.licence_expression
    if expression is None:
        return ()
    choices = expression.choices()
    return tuple(lic for lic in choices[0] if all(lic in c for c in choices[1:]))
