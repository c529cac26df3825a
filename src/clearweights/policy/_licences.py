"""Licence rules: allowed and denied licences per kind of component, and licence terms.

A licence expression's ``OR`` is a choice (one complying choice is enough); an ``AND`` means
every licence applies. Unknown licences fail closed unless the policy allows them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from clearweights.components import Component
from clearweights.licenses.model import UNIDENTIFIED, UNKNOWN_PREFIX, Licence
from clearweights.policy._common import components_of, locate_quote, where_of
from clearweights.policy.model import CheckContext, Location, Violation


def _matches(licence: Licence, names: Sequence[str]) -> bool:
    return (
        licence.id in names
        or licence.category.value in names
        or ("osi" in names and bool(licence.osi_approved))
    )


def is_unknown(licence: Licence) -> bool:
    """Whether a licence is unidentified text or a name the catalogue does not know."""
    return licence.id == UNIDENTIFIED or licence.id.startswith(UNKNOWN_PREFIX)


def _choices(component: Component) -> tuple[tuple[Licence, ...], ...]:
    """The component's ways to be taken; one empty choice when it has no known licence."""
    expression = component.licence_expression
    return expression.choices() if expression is not None else ((),)


@dataclass(frozen=True)
class LicencesFor:
    """Licences of one kind of component: allowed and denied ids or categories.

    ``osi`` stands for every OSI-approved licence. A licence expression's ``OR`` is a choice:
    the component complies when one choice does. A component without a licence, or with one
    the catalogue cannot identify, is a violation (the gate fails closed) unless ``unknown`` is
    ``allow``.
    """

    kind: str
    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    unknown: str = "deny"  # deny (fail closed) or allow

    @property
    def id(self) -> str:
        return f"licences.{self.kind}"

    @property
    def description(self) -> str:
        parts = [
            f"allowed: {', '.join(self.allow)}" if self.allow else "",
            f"denied: {', '.join(self.deny)}" if self.deny else "",
            "unknown licences allowed" if self.unknown == "allow" else "",
        ]
        return f"{self.kind} licences ({'; '.join(p for p in parts if p)})"

    def _problems(self, component: Component, choice: tuple[Licence, ...]) -> list[Violation]:
        """Why one choice of licences breaks the rule (empty when it complies)."""
        name, allowed = component.name, ", ".join(self.allow)
        if not choice:
            if self.unknown == "allow":
                return []
            found = "unidentified licence" if component.licence_name else "no licence"
            detail = f" ({component.licence_name})" if component.licence_name else ""
            return [
                Violation(
                    self.id,
                    f"{name} has {found}{detail}; an unknown licence fails the policy "
                    "unless it says unknown: allow",
                    found,
                    allowed or f"a known licence, none of {', '.join(self.deny)}",
                )
            ]
        out = []
        for lic in choice:
            if is_unknown(lic):
                if self.unknown != "allow":
                    out.append(
                        Violation(
                            self.id,
                            f"{name}: got {lic.id}, a licence whose terms are unknown; it fails "
                            "the policy unless it says unknown: allow",
                            lic.id,
                            allowed or "a licence the catalogue identifies",
                        )
                    )
                continue
            if self.allow and not _matches(lic, self.allow):
                out.append(
                    Violation(
                        self.id,
                        f"{name}: got {lic.id} ({lic.category.value}), expected one of {allowed}",
                        lic.id,
                        allowed,
                    )
                )
            if self.deny and _matches(lic, self.deny):
                out.append(
                    Violation(
                        self.id,
                        f"{name}: got {lic.id} ({lic.category.value}), which is denied",
                        lic.id,
                        f"none of {', '.join(self.deny)}",
                    )
                )
        return out

    def check(self, ctx: CheckContext) -> list[Violation]:
        out: list[Violation] = []
        for component in components_of(ctx, self.kind):
            problems = [self._problems(component, choice) for choice in _choices(component)]
            if any(not p for p in problems):
                continue  # one way to take the component complies
            where = (where_of(ctx, component),)
            seen: set[str] = set()
            for violation in (v for p in problems for v in p):
                if violation.message not in seen:
                    seen.add(violation.message)
                    out.append(replace(violation, evidence=where))
        return out


@dataclass(frozen=True)
class TermAllowed:
    """A licence term on the weights: ``forbid`` (a violation) or ``flag`` (a warning).

    Under an ``OR`` the term counts only when every choice has it. The rule fails closed: a
    term the licence text leaves unknown, a licence whose terms are unknown, or weights with
    no licence count as having the term ("unknown"), at the rule's level, unless a choice is
    known to be free of it.
    """

    term: str
    action: str  # forbid or flag

    @property
    def id(self) -> str:
        return f"terms.{self.term}"

    @property
    def description(self) -> str:
        return f"{self.term.replace('_', ' ')}: {self.action}"

    def state(self, licence: Licence) -> str:
        """``present``, ``absent`` or ``unknown``."""
        term = getattr(licence.terms, self.term)
        value = term.value
        if value is None:
            return "absent" if term.absent else "unknown"
        if self.term == "output_use_restriction":
            return "present" if value.restricted else "absent"
        return "present" if value else "absent"

    def _free(self, choice: tuple[Licence, ...]) -> bool:
        """Whether a choice of licences is known not to have the term."""
        return bool(choice) and all(self.state(lic) == "absent" for lic in choice)

    def check(self, ctx: CheckContext) -> list[Violation]:
        out = []
        label = self.term.replace("_", " ")
        level = "error" if self.action == "forbid" else "warning"
        for component in components_of(ctx, "weights"):
            choices = _choices(component)
            if any(self._free(choice) for choice in choices):
                continue
            where = where_of(ctx, component)
            if any(not choice for choice in choices):
                message = f"{component.name} has no identified licence: {label} is unknown"
                out.append(Violation(self.id, message, "unknown", f"no {label}", (where,), level))
            having = {lic.id: lic for c in choices for lic in c if self.state(lic) != "absent"}
            for lic in having.values():
                out.append(self._violation(ctx, lic, where, label, level))
        return out

    def _violation(
        self, ctx: CheckContext, lic: Licence, where: Location, label: str, level: str
    ) -> Violation:
        term = getattr(lic.terms, self.term)
        if self.state(lic) == "unknown":
            why = f" ({term.reason})" if term.reason else ""
            message = f"{lic.name}: {label} is unknown{why}; it fails closed"
            return Violation(self.id, message, "unknown", f"no {label}", (where,), level)
        cite = term.cite
        if cite is not None and cite.quote:
            location = ctx.audit.release.location if ctx.audit.release else ""
            where = locate_quote(location, where, cite.quote)
        clause = f" ({cite.clause})" if cite else ""
        return Violation(
            self.id, f"{lic.name}{clause} has {label}", label, f"no {label}", (where,), level
        )
