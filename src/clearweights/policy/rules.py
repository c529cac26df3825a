"""Composable policy rules: all-of, any-of and one leaf rule per concern.

Each rule's message reads "got X, expected Y"; the YAML file only builds these objects.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from fnmatch import fnmatch
from pathlib import Path, PurePosixPath

from clearweights.components import Component, MofComponent
from clearweights.frameworks.interface import Status
from clearweights.licenses._identify import UNIDENTIFIED
from clearweights.licenses.model import Licence
from clearweights.policy.model import CheckContext, Location, Rule, Violation
from clearweights.weights import PICKLE_SUFFIXES

MOF_CLASSES = {"III": 3, "II": 2, "I": 1}
UNKNOWN_PREFIX = "LicenseRef-clearweights-unknown-"  # see licenses._expression.unknown_licence


def components_of(ctx: CheckContext, kind: str) -> list[Component]:
    """The release's components of a policy kind (weights, code, data, documentation)."""
    weights = {MofComponent.MODEL_PARAMETERS_FINAL, MofComponent.MODEL_PARAMETERS_INTERMEDIATE}
    out = []
    for c in ctx.audit.components:
        if kind == "weights":
            keep = c.kind in weights
        elif kind == "data":
            keep = c.kind.spec.content_type == "data" and c.kind not in weights
        elif kind == "documentation":
            keep = c.kind.spec.content_type == "document"
        else:
            keep = c.kind.spec.content_type == kind
        if keep:
            out.append(c)
    return out


def _where(ctx: CheckContext, component: Component) -> Location:
    """The file a component's licence comes from (LICENSE, card, header), else its first file."""
    files = {f.path for f in ctx.audit.release.files} if ctx.audit.release else set()
    source = component.licence_source.split(";")[0].strip()
    path = source.removesuffix(" license metadata").removesuffix(" header")
    if path in files:
        return Location(path)
    return Location(component.paths[0] if component.paths and component.paths[0] in files else ".")


def locate_quote(root: str, location: Location, quote: str) -> Location:
    """Find the line of a licence file that holds *quote* (the cited words of a term)."""
    pieces = [p.strip(" .\"'") for p in re.split(r"\.\.\.|…", quote) if len(p.strip()) > 12]
    if not pieces or not root:
        return location
    try:
        text = (Path(root) / location.path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return location
    flat = " ".join(text.split()).lower()
    needle = " ".join(max(pieces, key=len).split()).lower()[:60]
    at = flat.find(needle)
    if at < 0:
        return location
    # Map the position in the flattened text back to a line: count words before it.
    words_before = len(flat[:at].split())
    seen = 0
    for number, line in enumerate(text.splitlines(), start=1):
        seen += len(line.split())
        if seen > words_before:
            return Location(location.path, number)
    return location


@dataclass(frozen=True)
class AllOf:
    """Every rule must hold."""

    rules: tuple[Rule, ...]
    id: str = "all-of"
    description: str = "all of the rules"

    def check(self, ctx: CheckContext) -> list[Violation]:
        """The violations of every rule."""
        return [v for rule in self.rules for v in rule.check(ctx)]


@dataclass(frozen=True)
class AnyOf:
    """At least one rule must hold; otherwise every alternative's violations are reported."""

    rules: tuple[Rule, ...]
    id: str = "any-of"
    description: str = "any of the rules"

    def check(self, ctx: CheckContext) -> list[Violation]:
        """Nothing when one alternative holds."""
        results = [rule.check(ctx) for rule in self.rules]
        if any(not [v for v in r if v.level == "error"] for r in results):
            return []
        return [v for r in results for v in r]


@dataclass(frozen=True)
class Prefixed:
    """A rule whose id (and its violations' rule ids) carry a prefix: ``any_of[1].profiles.mof``."""

    prefix: str
    rule: Rule

    @property
    def id(self) -> str:
        return f"{self.prefix}.{self.rule.id}"

    @property
    def description(self) -> str:
        return f"{self.rule.description} ({self.prefix})"

    def check(self, ctx: CheckContext) -> list[Violation]:
        return [replace(v, rule=f"{self.prefix}.{v.rule}") for v in self.rule.check(ctx)]


@dataclass(frozen=True)
class ProfilePasses:
    """A framework's verdict must be pass."""

    profile: str

    @property
    def id(self) -> str:
        return f"profiles.{self.profile}"

    @property
    def description(self) -> str:
        return f"the {self.profile} profile must pass"

    def check(self, ctx: CheckContext) -> list[Violation]:
        result = ctx.audit.profile(self.profile)
        if result is None or result.verdict is Status.PASS:
            return []
        failing = [c for c in result.criteria if c.blocking and c.status is not Status.PASS]
        reasons = "; ".join(f"{c.title}: {c.fix or c.status.value}" for c in failing[:3])
        return [
            Violation(
                self.id,
                f"{result.title}: {reasons}",
                result.verdict.value,
                "pass",
                (Location("."),),
            )
        ]


@dataclass(frozen=True)
class MofClassAtLeast:
    """The MOF class must be at least this one (III is the lowest, I the highest)."""

    minimum: str
    id: str = "profiles.mof"

    @property
    def description(self) -> str:
        return f"MOF class {self.minimum} or better"

    def check(self, ctx: CheckContext) -> list[Violation]:
        result = ctx.audit.profile("mof")
        got = result.mof_class if result and result.mof_class is not None else 0
        if got and got <= MOF_CLASSES[self.minimum]:
            return []
        shown = {0: "unclassified", 1: "Class I", 2: "Class II", 3: "Class III"}[got]
        return [
            Violation(
                self.id,
                f"MOF: got {shown}, expected Class {self.minimum} or better",
                shown,
                f"Class {self.minimum}",
                (Location("."),),
            )
        ]


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
            where = (_where(ctx, component),)
            seen: set[str] = set()
            for violation in (v for p in problems for v in p):
                if violation.message not in seen:
                    seen.add(violation.message)
                    out.append(replace(violation, evidence=where))
        return out


@dataclass(frozen=True)
class TermAllowed:
    """A licence term on the weights: ``forbid`` (a violation) or ``flag`` (a warning).

    Under an ``OR`` the term counts only when every choice has it.
    """

    term: str
    action: str  # forbid or flag

    @property
    def id(self) -> str:
        return f"terms.{self.term}"

    @property
    def description(self) -> str:
        return f"{self.term.replace('_', ' ')}: {self.action}"

    def _present(self, licence: Licence) -> bool:
        value = getattr(licence.terms, self.term).value
        if self.term == "output_use_restriction":
            return bool(value and value.restricted)
        return bool(value)

    def check(self, ctx: CheckContext) -> list[Violation]:
        out = []
        for component in components_of(ctx, "weights"):
            choices = _choices(component)
            if any(not any(self._present(lic) for lic in choice) for choice in choices):
                continue
            having = {lic.id: lic for c in choices for lic in c if self._present(lic)}
            for lic in having.values():
                cite = getattr(lic.terms, self.term).cite
                where = _where(ctx, component)
                if cite is not None and cite.quote:
                    where = locate_quote(
                        ctx.audit.release.location if ctx.audit.release else "", where, cite.quote
                    )
                clause = f" ({cite.clause})" if cite else ""
                out.append(
                    Violation(
                        self.id,
                        f"{lic.name}{clause} has {self.term.replace('_', ' ')}",
                        self.term.replace("_", " "),
                        f"no {self.term.replace('_', ' ')}",
                        (where,),
                        level="error" if self.action == "forbid" else "warning",
                    )
                )
        return out


@dataclass(frozen=True)
class CardSections:
    """The model card must have these sections (a heading containing each word)."""

    sections: tuple[str, ...]
    data_card: bool = False
    id: str = "model_card"

    @property
    def description(self) -> str:
        return f"model card sections: {', '.join(self.sections)}" + (
            "; a data card" if self.data_card else ""
        )

    def check(self, ctx: CheckContext) -> list[Violation]:
        release = ctx.audit.release
        card = release.card if release else None
        out = []
        if card is None and self.sections:
            return [
                Violation(
                    self.id,
                    "no model card (README.md)",
                    "none",
                    "a model card",
                    (Location("README.md"),),
                )
            ]
        headings = card.sections if card else ()
        for section in self.sections:
            if not any(section.lower() in h for h in headings):
                out.append(
                    Violation(
                        self.id,
                        f"model card has no '{section}' section",
                        ", ".join(headings) or "no sections",
                        section,
                        (Location(card.path if card else "README.md"),),
                    )
                )
        if self.data_card and not any(
            c.kind is MofComponent.DATA_CARD for c in ctx.audit.components
        ):
            out.append(
                Violation(
                    f"{self.id}.data_card",
                    "no data card",
                    "none",
                    "a data card or datasheet",
                    (Location("."),),
                )
            )
        return out


@dataclass(frozen=True)
class NoPickles:
    """No pickle-based weight files (they can run code when loaded)."""

    id: str = "pickles"
    description: str = "no pickle-based weight files"

    def check(self, ctx: CheckContext) -> list[Violation]:
        out = []
        for component in components_of(ctx, "weights"):
            for path in component.paths:
                if PurePosixPath(path).suffix.lower() in PICKLE_SUFFIXES:
                    scan = next((s for s in ctx.audit.pickles if s.path == path), None)
                    unsafe = f"; imports {', '.join(scan.unsafe)}" if scan and scan.unsafe else ""
                    out.append(
                        Violation(
                            self.id,
                            f"{path} is a pickle-based weight file{unsafe}",
                            path,
                            "safetensors or GGUF",
                            (Location(path),),
                        )
                    )
        return out


@dataclass(frozen=True)
class SignatureRequired:
    """The release must carry a valid signature by this key."""

    key: str
    id: str = "signature"

    @property
    def description(self) -> str:
        return f"signed with {self.key}"

    def check(self, ctx: CheckContext) -> list[Violation]:
        from clearweights.bom.signing import verify
        from clearweights.errors import ClearweightsError

        release = ctx.audit.release
        if release is None or release.kind == "mof-file":
            return [
                Violation(
                    self.id,
                    "only a directory of files can be signed",
                    "no files",
                    "a signed release",
                )
            ]
        key = Path(self.key) if Path(self.key).is_absolute() else ctx.base / self.key
        try:
            result = verify(Path(release.location), key)
        except ClearweightsError as exc:
            return [
                Violation(
                    self.id,
                    exc.message,
                    "no valid signature",
                    f"a signature by {self.key}",
                    (Location("model.sig"),),
                )
            ]
        if result.ok:
            return []
        changed = [*result.changed, *result.added, *result.removed]
        return [
            Violation(
                self.id,
                f"files differ from what was signed: {', '.join(changed)}",
                ", ".join(changed),
                "no changes since signing",
                tuple(Location(p) for p in changed),
            )
        ]


@dataclass(frozen=True)
class PolicyException:
    """A waiver: these rules do not apply to these releases until the expiry date."""

    release: str  # a release name or glob
    rules: tuple[str, ...]
    reason: str
    expires: date

    def covers(self, release: str, rule: str) -> bool:
        """Whether the waiver names this release and rule (rule ids match by prefix)."""
        return fnmatch(release, self.release) and any(
            rule == r or rule.startswith(r + ".") for r in self.rules
        )


@dataclass(frozen=True)
class Policy:
    """A named rule tree with its exceptions."""

    name: str
    rule: Rule
    exceptions: tuple[PolicyException, ...] = ()
    leaves: tuple[Rule, ...] = field(default=())

    def apply(self, ctx: CheckContext) -> tuple[list[Violation], list[str]]:
        """Check a release, then apply the exceptions that have not expired."""
        name = ctx.audit.release.name if ctx.audit.release else ctx.audit.path
        notes: list[str] = []
        out: list[Violation] = []
        for violation in self.rule.check(ctx):
            waiver = None
            for exception in self.exceptions:
                if not exception.covers(name, violation.rule):
                    continue
                if exception.expires < ctx.today:
                    rules = ", ".join(exception.rules)
                    expiry = exception.expires
                    note = f"exception for {exception.release} ({rules}) expired on {expiry}"
                    if note not in notes:
                        notes.append(note)
                    continue
                waiver = f"{exception.reason} (until {exception.expires})"
            out.append(replace(violation, waived=waiver) if waiver else violation)
        return out, notes
