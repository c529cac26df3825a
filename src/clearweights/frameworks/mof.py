"""Model Openness Framework classes, computed as the Model Openness Tool does.

Two modes. ``mot`` reproduces the tool's published algorithm exactly, quirks included
(licence names compared as exact strings against its pinned 2024 SPDX list, CC0-1.0 not
type-appropriate for data, ``ODC-PDDL-1.0`` instead of ``PDDL-1.0``, no OpenMDW-1.1).
``strict`` (the default) normalises licence names through the licence engine, uses the
current SPDX flags and fixes those quirks. Type-appropriateness only produces warnings.
"""

from __future__ import annotations

import json
from collections.abc import Hashable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from clearweights.components import Component, MofComponent
from clearweights.frameworks._common import WEIGHTS_ABSENT
from clearweights.frameworks.interface import Criterion, ProfileResult, Status, criterion
from clearweights.frameworks.names import MOF_MODES
from clearweights.frameworks.subject import AuditSubject
from clearweights.licenses.model import Licence

LABELS = {
    0: "Unclassified",
    1: "Class I - Open Science Model",
    2: "Class II - Open Tooling Model",
    3: "Class III - Open Model",
}
MODES = MOF_MODES
ROMAN = {1: "I", 2: "II", 3: "III"}


@cache
def _mot_tables() -> dict[str, Any]:
    raw = resources.files("clearweights").joinpath("data/frameworks/mot.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(raw)
    return data


@dataclass(frozen=True)
class LicencePolicy:
    """Which licences count as open, and which suit which content type."""

    open_ids: frozenset[str]
    types: dict[str, frozenset[str]]
    normalise: bool

    def resolve(self, component: Component) -> str | None:
        """The licence id the tool would compare, or ``None`` when unlicensed."""
        if component.licence_name is None or component.licence_name.strip() in ("", "unlicensed"):
            return None
        if self.normalise and len(component.licences) == 1:
            return component.licences[0].id
        return component.licence_name.strip()

    def is_open(self, licence_id: str, licences: tuple[Licence, ...]) -> bool:
        """Whether the licence is in the open set (strict: every licence of the component is)."""
        if licence_id in self.open_ids:
            return True
        return (
            self.normalise
            and bool(licences)
            and all(lic.id in self.open_ids or _open_record(lic) for lic in licences)
        )

    def appropriate(
        self, licence_id: str, content_type: str, licences: tuple[Licence, ...] = ()
    ) -> bool:
        """Whether the licence suits the component's content type."""
        suited = self.types.get(content_type, frozenset())
        if self.normalise and len(licences) > 1:
            return all(lic.id in suited for lic in licences)
        return licence_id in suited


def _open_record(licence: Licence) -> bool:
    return (
        bool(licence.osi_approved or licence.fsf_libre)
        or licence.id.startswith("OpenMDW")
        or (licence.id == "LicenseRef-clearweights-openmdw-1.1")
    )


@cache
def policy(mode: str) -> LicencePolicy:
    """The licence policy of a mode."""
    tables = _mot_tables()
    types = {k: frozenset(v) for k, v in tables["types"].items()}
    mot_open = (
        frozenset(tables["spdx_free"])
        | frozenset(tables["open_data"])
        | frozenset(tables["extra_open"])
    )
    if mode == "mot":
        return LicencePolicy(mot_open, types, normalise=False)
    # strict: fix Q1 (CC0-1.0, CC-PDDC also suit data), Q2 (PDDL-1.0), Q3 (type-appropriate
    # ids are open), Q4 (OpenMDW-1.1).
    fixed_types = dict(types)
    fixed_types["data"] = types["data"] | {
        "CC0-1.0",
        "CC-PDDC",
        "CC-BY-4.0",
        "ODbL-1.0",
        "ODC-By-1.0",
    }
    extra = {
        "PDDL-1.0",
        "C-UDA-1.0",
        "CC-PDDC",
        "FreeBSD-DOC",
        "MulanPSL-1.0",
        "LicenseRef-clearweights-openmdw-1.1",
    }
    return LicencePolicy(mot_open | extra, fixed_types, normalise=True)


@dataclass
class _ClassEval:
    included: list[MofComponent] = field(default_factory=list)
    optional: list[MofComponent] = field(default_factory=list)
    invalid: list[MofComponent] = field(default_factory=list)
    unlicensed: list[MofComponent] = field(default_factory=list)
    missing: list[MofComponent] = field(default_factory=list)

    def status(self, kind: MofComponent) -> str | None:
        for name in ("included", "invalid", "unlicensed"):
            if kind in getattr(self, name):
                return name
        return None


@cache  # called for every class of every audit; the answer never changes
def _introduced(c: int, required: bool) -> tuple[MofComponent, ...]:
    return tuple(k for k in MofComponent if k.spec.mof_class == c and k.spec.required is required)


@cache
def _of_class(c: int) -> tuple[MofComponent, ...]:
    """The components a class introduces, in the MOF's order."""
    return tuple(k for k in MofComponent if k.spec.mof_class == c)


def classify(
    components: dict[MofComponent, Component], mode: str = "strict"
) -> tuple[int, dict[str, float], list[str], dict[int, _ClassEval]]:
    """Return (class, progress by class, warnings, per-class evaluation)."""
    pol = policy(mode)
    ev = {c: _ClassEval() for c in (3, 2, 1)}
    warnings: list[str] = []
    required: list[MofComponent] = []
    optional: list[MofComponent] = []

    def place(kind: MofComponent, c: int, bucket: str) -> None:
        component = components[kind]
        lic = pol.resolve(component)
        if lic is None:
            ev[c].unlicensed.append(kind)
        elif pol.is_open(lic, component.licences):
            getattr(ev[c], bucket).append(kind)
            if not pol.appropriate(lic, kind.spec.content_type, component.licences):
                message = (
                    f"{kind.spec.name}: {lic} is open but not a type-appropriate "
                    f"{kind.spec.content_type} licence"
                )
                if message not in warnings:
                    warnings.append(message)
        else:
            ev[c].invalid.append(kind)

    for c in (3, 2, 1):
        required += _introduced(c, True)
        optional += _introduced(c, False)
        for kind in required:
            if kind not in components:
                ev[c].missing.append(kind)
            else:
                place(kind, c, "included")
        for kind in optional:
            if kind in components:
                place(kind, c, "optional")

    tr, rp = MofComponent.TECHNICAL_REPORT, MofComponent.RESEARCH_PAPER
    paper = ev[1].status(rp)
    if ev[3].status(tr) != "included" and paper is not None:
        for c in (1, 2, 3):
            if tr in ev[c].missing:
                ev[c].missing.remove(tr)
        for c in (2, 3):
            getattr(ev[c], paper).append(rp)

    def progress(c: int) -> float:
        total, i, inc = 0, 3, 0
        while i >= c:
            total += len(_introduced(i, True))
            inc = len(ev[i].included)
            if inc < total:
                break
            i -= 1
        if i > c:
            return 0.0
        if c == 1 and ev[1].status(tr) != "included" and ev[1].status(rp) == "included":
            total -= 1
        return min(100.0, inc / total * 100)

    progresses = {str(c): progress(c) for c in (1, 2, 3)}
    mof_class = next((c for c in (1, 2, 3) if progresses[str(c)] == 100.0), 0)
    return mof_class, progresses, warnings, ev


# Classes kept per distinct set of what classify reads (a few hundred in a scan of thousands of
# subjects): each component's kind, licence name and licence records (by id: the entry holds
# the records, so no id is reused meanwhile). Bounded; switched off by tests.
MEMO = True
_MAX_CLASSES = 2048
_Classes = tuple[int, tuple[tuple[str, float], ...], tuple[str, ...], dict[int, _ClassEval]]
_classes: dict[Hashable, tuple[tuple[Licence, ...], _Classes]] = {}


def _classified(
    components: dict[MofComponent, Component], mode: str
) -> tuple[int, dict[str, float], list[str], dict[int, _ClassEval]]:
    """classify's answer, from the memo when the same components were classified before.

    The per-class evaluation is shared between the audits that get it, and only read by them
    (``_criterion``); the progress and warnings are copied, the caller adds to them.
    """
    if not MEMO:
        return classify(components, mode)
    held = tuple([lic for c in components.values() for lic in c.licences])
    key = (
        mode,
        tuple(
            [
                (k, c.licence_name, tuple([id(lic) for lic in c.licences]))
                for k, c in components.items()
            ]
        ),
    )
    found = _classes.get(key)
    if found is None:
        mof_class, progress, warnings, ev = classify(components, mode)
        if len(_classes) >= _MAX_CLASSES:
            _classes.clear()
        found = _classes[key] = (held, (mof_class, tuple(progress.items()), tuple(warnings), ev))
    mof_class, items, kept, ev = found[1]
    return mof_class, dict(items), list(kept), ev


class MofFramework:
    """The Model Openness Framework (Class III, II, I)."""

    name = "mof"

    def __init__(self, mode: str = "strict"):
        if mode not in MODES:
            raise ValueError(f"unknown MOF mode {mode!r}")
        self.mode = mode

    def evaluate(self, subject: AuditSubject) -> ProfileResult:
        """Classify the release and explain every component of every class."""
        components = dict(subject.components)
        mof_class, progress, warnings, ev = _classified(components, self.mode)
        # Links from a model card say nothing of their licence; a MOF file's declarations do.
        linked = subject.release.kind != "mof-file"
        criteria: list[Criterion] = []
        for c in (3, 2, 1):
            for kind in _of_class(c):
                criteria.append(_criterion(kind, components.get(kind), ev[c], linked))
        if subject.weights_absent:  # classified on the declared licence, like a MOF file
            criteria = [_absent(c) if c.id == "mof.c10" else c for c in criteria]
            warnings.append(f"{MofComponent.MODEL_PARAMETERS_FINAL.spec.name}: {WEIGHTS_ABSENT}")
        verdict = Status.PASS if mof_class else Status.FAIL
        summary = f"{LABELS[mof_class]}; progress " + ", ".join(
            f"Class {ROMAN[int(k)]} {v:.0f}%" for k, v in sorted(progress.items(), reverse=True)
        )
        return ProfileResult(
            profile="mof",
            title=f"Model Openness Framework ({self.mode} mode)",
            verdict=verdict,
            criteria=tuple(criteria),
            summary=summary,
            mof_class=mof_class,
            progress=progress,
            warnings=tuple(warnings),
        )


@cache  # most components are missing from most releases: the same criterion each time
def _not_found(kind: MofComponent) -> Criterion:
    spec = kind.spec
    return criterion(
        f"mof.c{spec.cid}",
        f"Class {ROMAN[spec.mof_class]}: {spec.name}",
        Status.FAIL,
        ("not found in the release",),
        f"publish the {spec.name.lower()} under an open licence",
        spec.required,
    )


def _absent(c: Criterion) -> Criterion:
    evidence = (*c.evidence, WEIGHTS_ABSENT)  # built directly: dataclasses.replace costs 10 times
    return criterion(c.id, c.title, c.status, evidence, c.fix, c.blocking)


def _criterion(
    kind: MofComponent, component: Component | None, ev: _ClassEval, linked: bool
) -> Criterion:
    if component is None:
        return _not_found(kind)
    spec = kind.spec
    ident = f"mof.c{spec.cid}"
    title = f"Class {ROMAN[spec.mof_class]}: {spec.name}"
    blocking = spec.required
    where = ", ".join(component.paths[:3]) or "declared"
    lic = component.licence_name or "no licence"
    evidence = (f"{where} ({lic}; {component.licence_source or 'no licence source'})",)
    state = ev.status(kind)
    if state == "included" or (not spec.required and kind in ev.optional):
        status, fix = Status.PASS, None
    elif state == "unlicensed" and linked and component.external:
        status, fix = (
            Status.UNKNOWN,
            f"state the licence of the linked {spec.name.lower()} (counted as unlicensed)",
        )
    elif state == "unlicensed":
        status, fix = (
            Status.FAIL,
            f"put the {spec.name.lower()} under an open {spec.content_type} licence",
        )
    elif state == "invalid":
        status, fix = (
            Status.FAIL,
            f"{lic} is not an open licence; relicense the {spec.name.lower()}",
        )
    else:
        status, fix = Status.UNKNOWN, None
    return criterion(ident, title, status, evidence, fix, blocking)
