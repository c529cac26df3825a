"""What a release page shows, read from a stored audit (the documented audit JSON).

The page reads the audit as it was stored and never audits again. Licence answers in plain
words come from this server's catalogue (:func:`clearweights.licenses.summarize`); a licence
the catalogue no longer knows is shown by its stored name and said to be unknown here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from clearweights import licenses
from clearweights.components import MofComponent
from clearweights.errors import UnknownLicenceError
from clearweights.formats._audit_text import PROFILE_COLUMNS
from clearweights.licenses import is_open_id
from clearweights.licenses.summary import Answer

STATES = {
    "open": ("✔", "open licence"),
    "restricted": ("⚠", "restricted licence"),
    "missing": ("✖", "missing"),
    "unknown": ("?", "licence unknown"),
}
ROMAN = {1: "I", 2: "II", 3: "III"}


@dataclass(frozen=True)
class Criterion:
    """One criterion of a framework, with why and how to fix it."""

    id: str
    title: str
    status: str
    evidence: tuple[str, ...]
    fix: str | None


@dataclass(frozen=True)
class Verdict:
    """One framework's verdict on the release."""

    profile: str
    title: str
    verdict: str
    summary: str
    label: str | None  # the MOF class, for the MOF profile
    criteria: tuple[Criterion, ...]


@dataclass(frozen=True)
class Cell:
    """One of the 17 MOF components: its state, licence and files."""

    name: str
    state: str  # open, restricted, missing, unknown
    licence: str | None
    paths: tuple[str, ...]

    @property
    def symbol(self) -> str:
        """A symbol for the state (shown beside its word: colour is never the only signal)."""
        return STATES[self.state][0]

    @property
    def word(self) -> str:
        """The state in words."""
        return STATES[self.state][1]


@dataclass(frozen=True)
class LicenceAnswers:
    """A licence of the weights, answered in plain words."""

    id: str
    name: str
    category: str
    known: bool  # whether this server's catalogue has the record
    answers: tuple[Answer, ...] = ()
    must_do: tuple[str, ...] = ()
    forbidden: tuple[str, ...] = ()


@dataclass(frozen=True)
class Item:
    """A finding or an obligation: a code or kind, a text and its evidence or source."""

    code: str
    severity: str
    text: str
    evidence: tuple[str, ...]
    licence: str | None = None
    applies_to: tuple[str, ...] = ()


@dataclass(frozen=True)
class Base:
    """A base model the release declares, with the licence it carries down."""

    repo_id: str
    relation: str | None
    licence: str | None
    licence_source: str | None


@dataclass(frozen=True)
class ReleaseView:
    """Everything the release page shows of one stored audit."""

    name: str
    path: str
    error: str | None
    verdicts: tuple[Verdict, ...]
    grid: tuple[Cell, ...]
    licences: tuple[LicenceAnswers, ...]
    findings: tuple[Item, ...]
    obligations: tuple[Item, ...]
    bases: tuple[Base, ...]
    inherited: str | None
    claims: tuple[str, ...]

    def verdict(self, profile: str) -> Verdict | None:
        """The verdict of one framework, if it ran."""
        return next((v for v in self.verdicts if v.profile == profile), None)


def _str(value: Any) -> str:
    return "" if value is None else str(value)


def _opt(value: Any) -> str | None:
    return None if value is None else str(value)


def _strs(value: Any) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def _dicts(value: Any) -> list[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


def mof_label(klass: int | None) -> str:
    """``Class I`` .. ``Class III``, ``unclassified``, or ``unknown`` when not rated."""
    if klass is None:
        return "unknown"
    return f"Class {ROMAN[klass]}" if klass in ROMAN else "unclassified"


def _verdicts(profiles: Any) -> tuple[Verdict, ...]:
    if not isinstance(profiles, Mapping):
        return ()
    order = [key for key, _ in PROFILE_COLUMNS]
    keys = sorted(profiles, key=lambda k: (order.index(k) if k in order else len(order), k))
    out = []
    for key in keys:
        p = profiles[key]
        if not isinstance(p, Mapping):
            continue
        criteria = tuple(
            Criterion(
                _str(c.get("id")),
                _str(c.get("title")),
                _str(c.get("status")),
                _strs(c.get("evidence")),
                _opt(c.get("fix")),
            )
            for c in _dicts(p.get("criteria"))
        )
        klass = p.get("class")
        label = mof_label(klass) if isinstance(klass, int) else None
        out.append(
            Verdict(
                str(key),
                _str(p.get("title")) or str(key),
                _str(p.get("verdict")) or "unknown",
                _str(p.get("summary")),
                label,
                criteria,
            )
        )
    return tuple(out)


def _state(component: Mapping[str, Any] | None) -> str:
    if component is None:
        return "missing"
    licence = component.get("license")
    found = _dicts(licence.get("licenses")) if isinstance(licence, Mapping) else []
    if not found:
        return "unknown"
    # The catalogue decides what is open, not the (possibly posted) document.
    return "open" if all(is_open_id(str(lic.get("id"))) for lic in found) else "restricted"


def _grid(components: Any) -> tuple[Cell, ...]:
    by_name = {_str(c.get("name")).lower(): c for c in _dicts(components)}
    cells = []
    for kind in MofComponent:
        c = by_name.get(kind.spec.name.lower())
        licence = c.get("license") if c else None
        expression = _opt(licence.get("expression")) if isinstance(licence, Mapping) else None
        paths = _strs(c.get("paths")) if c else ()
        cells.append(Cell(kind.spec.name, _state(c), expression, paths))
    return tuple(cells)


def answers_for(
    licence_id: str, stored_name: str = "", stored_category: str = ""
) -> LicenceAnswers:
    """Plain-words answers for one licence id from this server's catalogue."""
    try:
        record = licenses.get(licence_id)
    except UnknownLicenceError:
        return LicenceAnswers(licence_id, stored_name or licence_id, stored_category, known=False)
    summary = licenses.summarize(record)
    return LicenceAnswers(
        record.id,
        record.name,
        record.category.value,
        known=True,
        answers=summary.answers,
        must_do=summary.must_do,
        forbidden=summary.forbidden,
    )


def _weights_licences(components: Any) -> tuple[LicenceAnswers, ...]:
    final = MofComponent.MODEL_PARAMETERS_FINAL.spec.name.lower()
    for c in _dicts(components):
        if _str(c.get("name")).lower() != final:
            continue
        licence = c.get("license")
        if not isinstance(licence, Mapping):
            return ()
        return tuple(
            answers_for(_str(x.get("id")), _str(x.get("name")), _str(x.get("category")))
            for x in _dicts(licence.get("licenses"))
        )
    return ()


def release_view(audit: Mapping[str, Any]) -> ReleaseView:
    """The page's view of one audit from an audit JSON document (``audits[i]``)."""
    findings = tuple(
        Item(_str(f.get("code")), _str(f.get("severity")), _str(f.get("message")),
             _strs(f.get("evidence")))
        for f in _dicts(audit.get("findings"))
    )  # fmt: skip
    obligations = tuple(
        Item(
            _str(o.get("kind")),
            "",
            _str(o.get("text")),
            (_str(o.get("source")),) if o.get("source") else (),
            licence=_opt(o.get("license")),
            applies_to=_strs(o.get("applies_to")),
        )
        for o in _dicts(audit.get("obligations"))
    )
    lineage = audit.get("lineage")
    lineage = lineage if isinstance(lineage, Mapping) else {}
    bases = tuple(
        Base(_str(b.get("repo_id")), _opt(b.get("relation")), _opt(b.get("license")),
             _opt(b.get("license_source")))
        for b in _dicts(lineage.get("bases"))
    )  # fmt: skip
    card = audit.get("card")
    claims = (
        tuple(_str(c.get("text")) for c in _dicts(card.get("claims")))
        if isinstance(card, Mapping)
        else ()
    )
    return ReleaseView(
        name=_str(audit.get("name")) or _str(audit.get("path")),
        path=_str(audit.get("path")),
        error=_opt(audit.get("error")),
        verdicts=_verdicts(audit.get("profiles")),
        grid=_grid(audit.get("components")),
        licences=_weights_licences(audit.get("components")),
        findings=findings,
        obligations=obligations,
        bases=bases,
        inherited=_opt(lineage.get("inherited")),
        claims=claims,
    )
