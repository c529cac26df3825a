"""Composable policy rules: all-of, any-of and one leaf rule per concern.

Each rule's message reads "got X, expected Y"; the YAML file only builds these objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from fnmatch import fnmatch
from pathlib import Path, PurePosixPath

from clearweights.components import MofComponent
from clearweights.frameworks.interface import Status
from clearweights.policy._common import components_of
from clearweights.policy._licences import LicencesFor, TermAllowed
from clearweights.policy.model import CheckContext, Location, Rule, Violation
from clearweights.weights import PICKLE_SUFFIXES

MOF_CLASSES = {"III": 3, "II": 2, "I": 1}

# The licence rules live in their own module (policy/_licences.py) but belong to this API.
__all__ = [
    "AllOf",
    "AnyOf",
    "CardSections",
    "LicencesFor",
    "MofClassAtLeast",
    "NoPickles",
    "Policy",
    "PolicyException",
    "Prefixed",
    "ProfilePasses",
    "SignatureRequired",
    "TermAllowed",
]


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
