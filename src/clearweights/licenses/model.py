"""Licence records, their terms, and the results of identification (frozen dataclasses)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Generic, NewType, TypeVar

LicenceId = NewType("LicenceId", str)
T = TypeVar("T")

# Ids of licences built at run time, spelled once here.
UNIDENTIFIED = LicenceId("LicenseRef-clearweights-unidentified")  # licence text, no record
UNKNOWN_PREFIX = "LicenseRef-clearweights-unknown-"  # a name the catalogue does not know
MODIFIED_PREFIX = "LicenseRef-clearweights-modified-"  # a known text with added restrictions
INCOMPLETE_PREFIX = "LicenseRef-clearweights-incomplete-"  # a known text missing clauses


class Category(StrEnum):
    """What kind of licence a record is, in the terms that matter for openness."""

    PERMISSIVE = "permissive"
    COPYLEFT = "copyleft"
    OPEN_DATA = "open-data"
    OPEN_DOCUMENTATION = "open-documentation"
    RESTRICTED_OPEN_WEIGHTS = "restricted-open-weights"
    NON_COMMERCIAL = "non-commercial"
    RESEARCH_ONLY = "research-only"
    PROPRIETARY = "proprietary"


class MatchKind(StrEnum):
    """How a licence was recognised."""

    EXACT = "exact"  # the normalised text is the reference text
    FUZZY = "fuzzy"  # the text is the reference with small differences (Dice >= 0.95)
    VARIANT = "variant"  # close to a reference but materially different (0.80 <= Dice < 0.95)
    NOTICE = "notice"  # a sentence or SPDX-License-Identifier line naming the licence
    ALIAS = "alias"  # an id, Hugging Face id or common name
    EXTRACTED = "extracted"  # no reference; terms found by clause extraction


@dataclass(frozen=True)
class Citation:
    """Where a term comes from.

    Attributes:
        clause: the section of the licence (``"§2 Additional Commercial Terms"``) or the source.
        quote: the words of the licence that state the term (may be shortened with "...").
        source: ``text`` (read from the licence text), ``curated`` (set by hand from the text),
            ``spdx`` (the SPDX licence list) or ``category`` (follows from the licence family).
    """

    clause: str
    quote: str = ""
    source: str = "text"


@dataclass(frozen=True)
class Term(Generic[T]):
    """One term: a value and its citation.

    ``value`` is ``None`` either when the term is unknown or, with ``absent`` set, when the
    licence is known to have no such term (no threshold, no use policy). An unknown term
    says why in ``reason`` (no reference text, the text leaves it open, ...).
    """

    value: T | None = None
    cite: Citation | None = None
    absent: bool = False
    reason: str = ""

    @property
    def known(self) -> bool:
        """Whether the value could be determined."""
        return self.value is not None or self.absent


@dataclass(frozen=True)
class Threshold:
    """A user or revenue threshold above which the licence stops granting rights."""

    value: float
    unit: str  # "monthly active users" or "USD annual revenue"


@dataclass(frozen=True)
class UsePolicy:
    """An acceptable-use policy or field-of-use restriction."""

    name: str
    incorporated_by_reference: bool | None = None
    may_change_unilaterally: bool | None = None
    url: str | None = None


@dataclass(frozen=True)
class Naming:
    """Attribution and naming duties for derivatives.

    ``condition`` says when the duties apply if not always, e.g. a display duty that only
    binds products above a usage or revenue threshold (Kimi K2's modified MIT licence).
    """

    attribution: tuple[str, ...] = ()
    name_prefix: str | None = None
    condition: str | None = None


@dataclass(frozen=True)
class OutputUse:
    """Restriction on using outputs to train or improve other models."""

    restricted: bool
    distillation_is_derivative: bool | None = None


@dataclass(frozen=True)
class Terms:
    """The structured terms of a licence; every field may be unknown."""

    commercial_use: Term[bool] = Term()
    non_commercial: Term[bool] = Term()
    research_only: Term[bool] = Term()
    user_threshold: Term[Threshold] = Term()
    acceptable_use_policy: Term[UsePolicy] = Term()
    derivative_naming: Term[Naming] = Term()
    output_use_restriction: Term[OutputUse] = Term()
    distribution_conditions: Term[tuple[str, ...]] = Term()
    revocable: Term[bool] = Term()
    remote_restriction: Term[bool] = Term()
    unilateral_changes: Term[bool] = Term()
    governing_law: Term[str] = Term()
    territorial_exclusions: Term[tuple[str, ...]] = Term()

    def items(self) -> list[tuple[str, Term[Any]]]:
        """Return ``(name, term)`` pairs in declaration order."""
        return [(name, getattr(self, name)) for name in TERM_NAMES]


TERM_NAMES: tuple[str, ...] = tuple(Terms.__dataclass_fields__)


@dataclass(frozen=True)
class Licence:
    """One catalogue record."""

    id: LicenceId
    name: str
    category: Category
    kind: str = "licence"  # licence, policy (acceptable-use policy) or exception
    version: str | None = None
    date: str | None = None
    family: str | None = None
    hf_id: str | None = None  # the Hub ``license:`` value, "other" when it has none
    scancode_key: str | None = None
    spdx_id: str | None = None
    osi_approved: bool | None = None
    fsf_libre: bool | None = None
    deprecated: bool = False
    url: str | None = None
    aliases: tuple[str, ...] = ()
    terms: Terms = field(default_factory=Terms)
    policies: tuple[LicenceId, ...] = ()  # acceptable-use policies the licence incorporates
    has_reference_text: bool = False
    source: str = ""  # where the record and its reference text come from
    notes: str = ""

    @property
    def is_ai(self) -> bool:
        """Whether this is an AI model licence (or its use policy)."""
        return self.family is not None


@dataclass(frozen=True)
class Evidence:
    """A span of the input that supports a match."""

    start: int  # character offsets in the input
    end: int
    line: int  # 1-based line of ``start``
    text: str  # the span itself, shortened for long spans


@dataclass(frozen=True)
class Difference:
    """A passage of the input that the reference text does not contain."""

    line: int
    text: str
    novelty: float  # share of the passage's word pairs absent from the reference


@dataclass(frozen=True)
class LicenceMatch:
    """A licence found in an input, with how and how surely it was found."""

    licence: Licence
    match: MatchKind
    confidence: float
    evidence: tuple[Evidence, ...] = ()
    differences: tuple[Difference, ...] = ()
    rule: str = ""  # the notice rule, alias or method that fired
    score: float | None = None  # Dice score of full-text matches
    coverage: float | None = None  # share of the reference text present in the input


@dataclass(frozen=True)
class ExtractedTerm:
    """A term found by clause extraction, with the words it was read from."""

    term: str
    value: Any
    evidence: Evidence


@dataclass(frozen=True)
class Identification:
    """Everything identification found in one text."""

    licences: tuple[LicenceMatch, ...]
    extracted: tuple[ExtractedTerm, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class FileResult:
    """Identification of one input file; ``error`` is set when it could not be read."""

    path: str
    identification: Identification | None
    error: str | None = None
    notes: tuple[str, ...] = ()
    bytes_read: int = 0

    @property
    def licences(self) -> tuple[LicenceMatch, ...]:
        """The licences found, empty when none or on error."""
        return self.identification.licences if self.identification else ()
