"""Plain-language answers about one licence: may I ..., what must I do, what is forbidden."""

from __future__ import annotations

from dataclasses import dataclass

from clearweights.licenses.model import Category, Licence

OPEN = {Category.PERMISSIVE, Category.COPYLEFT, Category.OPEN_DATA, Category.OPEN_DOCUMENTATION}


@dataclass(frozen=True)
class Answer:
    """One question about a licence and its answer (yes, no, conditional or unknown)."""

    question: str
    answer: str
    detail: str = ""


@dataclass(frozen=True)
class Summary:
    """What a user needs to know about a licence, in plain words."""

    licence: Licence
    answers: tuple[Answer, ...]
    must_do: tuple[str, ...]
    forbidden: tuple[str, ...]
    links: tuple[str, ...]


def _commercial(lic: Licence) -> Answer:
    t = lic.terms
    q = "May I use it commercially?"
    if t.commercial_use.value is False or t.non_commercial.value or t.research_only.value:
        return Answer(q, "no", "Non-commercial or research use only.")
    if t.commercial_use.value:
        if t.user_threshold.value is not None:
            thr = t.user_threshold.value
            return Answer(
                q,
                "conditional",
                f"Yes, below {thr.value:,.0f} {thr.unit}; "
                "above that you need the licensor's permission.",
            )
        if (policy := t.acceptable_use_policy.value) is not None:
            # Commercial, but not for every purpose: the use policy still binds products.
            return Answer(q, "conditional", f"Yes, except the uses forbidden by: {policy.name}.")
        return Answer(q, "yes")
    return Answer(q, "unknown", "The terms could not be verified; read the licence text.")


def _fine_tune(lic: Licence) -> Answer:
    q = "May I fine-tune or modify it?"
    if lic.category is Category.PROPRIETARY and "-ND" in lic.id:
        return Answer(q, "no", "No derivatives may be shared.")
    if lic.category in OPEN:
        return Answer(q, "yes")
    if lic.category is Category.PROPRIETARY:
        return Answer(q, "unknown", "Check the licence text.")
    detail = "Derivatives stay under this licence"
    naming = lic.terms.derivative_naming.value
    if naming and naming.name_prefix:
        detail += f'; their name must begin with "{naming.name_prefix}"'
    return Answer(q, "conditional", detail + ".")


def _redistribute(lic: Licence) -> Answer:
    q = "May I redistribute the weights?"
    conditions = lic.terms.distribution_conditions.value or ()
    if any("no distribution" in c for c in conditions):
        return Answer(q, "no", "The licence does not allow distribution.")
    if lic.category in OPEN:
        return Answer(q, "yes", "; ".join(conditions).capitalize())
    if conditions:
        return Answer(q, "conditional", "Only with: " + "; ".join(conditions) + ".")
    return Answer(q, "unknown", "Check the licence text.")


def _outputs(lic: Licence) -> Answer:
    q = "May I use its outputs to train another model?"
    term = lic.terms.output_use_restriction.value
    if term is None:
        return Answer(q, "unknown", "The licence text was not verified on this point.")
    if term.restricted:
        return Answer(q, "no", "The licence forbids using outputs to improve other models.")
    if term.distillation_is_derivative:
        return Answer(
            q,
            "conditional",
            "A model trained on its outputs or by distillation counts as a derivative "
            "and inherits these terms.",
        )
    naming = lic.terms.derivative_naming.value
    if naming and (naming.name_prefix or naming.attribution) and lic.category not in OPEN:
        return Answer(q, "conditional", "Allowed, with the naming and attribution duties below.")
    return Answer(q, "yes")


def summarize(lic: Licence) -> Summary:
    """Answer the questions users ask about *lic* from its catalogue terms."""
    t = lic.terms
    must: list[str] = []
    naming = t.derivative_naming.value
    if naming:
        when = f" ({naming.condition})" if naming.condition else ""
        must += [f'Display "{s}"{when}' for s in naming.attribution]
        if naming.name_prefix:
            must.append(
                "Begin the name of any model you distribute that was built with it "
                f'with "{naming.name_prefix}"'
            )
    for condition in t.distribution_conditions.value or ():
        if "no distribution" not in condition:
            must.append(
                f"When redistributing: include a {condition}"
                if condition.startswith(("copy", "NOTICE"))
                else f"When redistributing: {condition}"
            )
    policy = t.acceptable_use_policy.value
    if policy:
        extra = (
            " (it may change without your agreement)"
            if policy.may_change_unilaterally or t.unilateral_changes.value
            else ""
        )
        must.append(f"Follow the {policy.name}{extra} and pass it on to your users")
    forbidden: list[str] = []
    if t.commercial_use.value is False:
        forbidden.append("Commercial use")
    if t.user_threshold.value is not None:
        thr = t.user_threshold.value
        forbidden.append(f"Use above {thr.value:,.0f} {thr.unit} without a separate licence")
    out = t.output_use_restriction.value
    if out and out.restricted:
        forbidden.append("Using outputs to train or improve other models")
    for region in t.territorial_exclusions.value or ():
        forbidden.append(f"Use by those excluded: {region}")
    if policy:
        forbidden.append(f"Any use the {policy.name} prohibits")
    if t.remote_restriction.value:
        forbidden.append(
            "Ignoring the licensor's remote restrictions (the licensor may restrict use remotely)"
        )
    if t.revocable.value:
        must.append("Expect that the licensor may revoke or terminate the grant")
    if t.governing_law.value:
        must.append(f"Accept the governing law: {t.governing_law.value}")
    links = tuple(u for u in (lic.url,) if u)
    answers = (_commercial(lic), _fine_tune(lic), _redistribute(lic), _outputs(lic))
    return Summary(lic, answers, tuple(must), tuple(forbidden), links)


def restrictions(licence: Licence) -> list[str]:
    """The use restrictions of a licence, in plain words (empty for open licences)."""
    t = licence.terms
    found: list[str] = []
    if t.commercial_use.value is False or t.non_commercial.value:
        found.append("no commercial use")
    if t.research_only.value:
        found.append("research use only")
    if (threshold := t.user_threshold.value) is not None:
        found.append(f"threshold of {threshold.value:,.0f} {threshold.unit}")
    if (policy := t.acceptable_use_policy.value) is not None:
        found.append(f"{policy.name} (field-of-use restrictions)")
    if (out := t.output_use_restriction.value) is not None and out.restricted:
        found.append("outputs may not train or improve other models")
    if t.revocable.value:
        found.append("revocable")
    if t.remote_restriction.value:
        found.append("licensor may restrict use remotely")
    if t.territorial_exclusions.value:
        found.append("territorial exclusions")
    return found
