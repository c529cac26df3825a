"""Framework verdicts evaluated once per distinct set of what the frameworks read.

A bulk scan audits millions of releases whose components, licences and card facts fall into a
few thousand shapes (an Apache-2.0 card with no files, a Llama licence with a base model, ...).
The four frameworks read only the parts of a subject listed in :func:`subject_key`; two
subjects with the same key get the same verdicts, so each distinct key is evaluated once per
process. The memo keeps the keyed licence records alive, so that a record's ``id`` in a key can
never be reused by another object while it is there.

Memory stays flat over a long scan: the memo is a least-recently-used table of a fixed number
of subjects, and what its entries hold is shared between them. Thousands of subjects have only
a few hundred distinct criteria (``redhat.data-card: not found``) and component descriptions,
and about half the verdicts are equal to another subject's: each distinct value is kept once
(criteria, verdicts and key parts each in a bounded table, emptied when full), so a subject
costs about 2.5 KB rather than 20. Shared verdicts are also what lets a bulk scan encode each
distinct verdict's JSON once (``scale.worker``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Hashable, Sequence
from typing import Any, TypeVar

from clearweights.components import MofComponent as M
from clearweights.frameworks import framework, osaid
from clearweights.frameworks.eu_ai_act import usage_sections
from clearweights.frameworks.interface import Criterion, Framework, ProfileResult
from clearweights.frameworks.subject import AuditSubject
from clearweights.licenses.model import Licence

MEMO = True  # switched off by tests that compare audits with and without the memos
MAX_ENTRIES = 4096  # subjects; 90 % of a Hub-like scan's look-ups hit (see docs/benchmarks.md)
MAX_PARTS = 4096  # distinct key parts (a component's description, usage headings) kept once
# key -> (the key as kept, the licence records it names by id, the verdicts)
_memo: dict[Hashable, tuple[Hashable, tuple[Licence, ...], tuple[ProfileResult, ...]]] = {}
_parts: dict[Hashable, Any] = {}
# Criteria and verdicts, each kept once (a plain table costs a tenth of a weak one per
# look-up): each table is bounded, and emptied when full; what was shared stays shared.
MAX_SHARED = 8192
_criteria: dict[Criterion, Criterion] = {}
_results: dict[Hashable, ProfileResult] = {}
_kept: dict[int, Criterion] = {}  # id of a kept criterion -> the criterion
# The frameworks hold no state of an evaluation: one of each (name, MOF mode) serves them all.
_frameworks: dict[tuple[str, str], Framework] = {}

T = TypeVar("T")


def subject_key(subject: AuditSubject) -> tuple[Hashable, tuple[Licence, ...]]:
    """Everything of *subject* any framework reads, and the licence records keyed by identity.

    Components: every field a framework reads (their licence records by identity: catalogue
    records are shared objects, and a record's fields are what the frameworks judge); not
    ``reason`` nor ``expression``, which no framework reads (a component's licences are in the
    key, and no criterion tells an AND from an OR). The release: only its kind (MOF judges
    links of a MOF file apart) and the card's usage headings (EU AI Act). The card's and
    licence files' licences: their ids and kinds (Red Hat's clarity criterion).
    """
    held: list[Licence] = []
    parts = []
    for kind, c in subject.components.items():
        if c.licences:
            held.extend(c.licences)
            licences = tuple([id(lic) for lic in c.licences])
        else:
            licences = ()
        parts.append((kind, c.paths, c.licence_name, licences, c.licence_source, c.external))
    card = subject.release.card
    key = (
        tuple(parts),
        subject.release.kind,
        usage_sections(card.sections) if card is not None else None,
        subject.declarations,
        tuple(lic.id for lic in subject.card_licences),
        tuple((lic.id, lic.kind) for lic in subject.text_licences),
        subject.architecture,
        subject.weights_absent,
        bool(subject.weights),  # not read today; kept so that a new criterion cannot go stale
        bool(subject.pickles),
    )
    return key, tuple(held)


def evaluate(
    subject: AuditSubject, profiles: Sequence[str], mof_mode: str
) -> tuple[ProfileResult, ...]:
    """The verdict of each framework in *profiles* on *subject* (shared, frozen results)."""
    if not MEMO:  # each framework afresh, nothing kept
        return tuple([_framework(name, mof_mode).evaluate(subject) for name in profiles])
    key, held = subject_key(subject)
    full = (tuple(profiles), mof_mode, key)
    found = _memo.pop(full, None)
    if found is None:
        results = tuple([_result(name, mof_mode, subject, key, held) for name in profiles])
        found = (_compact(full), held, results)
        if len(_memo) >= MAX_ENTRIES:  # the least recently used subject goes
            with contextlib.suppress(KeyError, RuntimeError, StopIteration):  # or a thread did
                del _memo[next(iter(_memo))]
    _memo[found[0]] = found  # last: the most recently used; the kept key, not this one
    return found[2]


# A subject not seen yet often differs from one seen only in what some frameworks do not read
# (a linked paper, for Red Hat and the EU AI Act): each of these frameworks' verdicts is kept
# by its own part of the key too. What each reads, from its module: the components of these
# kinds, and these of the subject key's fields (MOF reads every component: the subject's
# key is its own). The release's kind and whether weight headers and pickles were read are
# in every part (none reads them but MOF; kept so that a new criterion cannot go stale).
_FIELDS = ("kind", "usage", "declarations", "card", "text", "architecture", "absent", "w", "p")
_CODE = {kind for kind, _ in osaid.CODE}
_READS: dict[str, tuple[frozenset[M], tuple[int, ...]]] = {
    name: (frozenset(kinds), tuple(_FIELDS.index(f) for f in fields))
    for name, kinds, fields in (
        ("eu-ai-act-53-2", {M.MODEL_PARAMETERS_FINAL, M.MODEL_ARCHITECTURE},
         ("kind", "usage", "declarations", "absent", "w", "p")),
        ("redhat", {M.MODEL_PARAMETERS_FINAL, M.MODEL_ARCHITECTURE, M.INFERENCE_CODE,
                    M.DATA_CARD, M.TRAINING_CODE, M.DATASETS},
         ("kind", "card", "text", "architecture", "absent", "w", "p")),
        ("osaid-1.0", {M.MODEL_PARAMETERS_FINAL, *_CODE, *osaid.DATA_INFORMATION},
         ("kind", "absent", "w", "p")),
    )
}  # fmt: skip
MAX_OWN = 8192  # verdicts kept by a framework's own part of the key
_own: dict[Hashable, tuple[tuple[Licence, ...], ProfileResult]] = {}


def _result(
    name: str, mof_mode: str, subject: AuditSubject, key: Any, held: tuple[Licence, ...]
) -> ProfileResult:
    """One framework's verdict on a subject not seen yet (kept by what that framework reads:
    the records named by id in it are held with it, so no id is reused meanwhile)."""
    reads = _READS.get(name)
    if reads is None:
        return _shared_result(_framework(name, mof_mode).evaluate(subject))
    kinds, fields = reads
    parts, *rest = key
    own = (name, tuple([p for p in parts if p[0] in kinds]), *[rest[i] for i in fields])
    found = _own.get(own)
    if found is None:
        found = (held, _shared_result(_framework(name, mof_mode).evaluate(subject)))
        if len(_own) >= MAX_OWN:
            _reset()
        _own[own] = found
    return found[1]


def _reset() -> None:
    """Empty the sharing tables together (one of them is full): a verdict kept by a framework's
    part of the key is then never made of criteria the criteria's table no longer has, so what
    is shared from then on is shared with what comes after."""
    _criteria.clear()
    _kept.clear()
    _results.clear()
    _own.clear()


def _framework(name: str, mof_mode: str) -> Framework:
    found = _frameworks.get((name, mof_mode))
    if found is None:
        found = _frameworks[name, mof_mode] = framework(name, mof_mode=mof_mode)
    return found


def _share(value: T) -> T:
    """The one kept key part equal to *value* (*value* itself the first time)."""
    try:
        kept: T = _parts.setdefault(value, value)
    except TypeError:  # not hashable: not shared
        return value
    if len(_parts) > MAX_PARTS:  # those kept stay where they are used; none is lost
        _parts.clear()
    return kept


def _one(criterion: Criterion) -> Criterion:
    """The kept criterion equal to *criterion* (*criterion* itself the first time).

    A kept criterion given again (a framework's cached "not found" criteria, most of an
    evaluation's) is known by its id, without hashing its fields: the table holds it, so its
    id is not reused while it is there.
    """
    if _kept.get(id(criterion)) is criterion:
        return criterion
    try:
        kept = _criteria.setdefault(criterion, criterion)
    except TypeError:  # a field that is not hashable: not shared
        return criterion
    if len(_criteria) > MAX_SHARED:  # those kept stay where they are used; none is lost
        _reset()
    elif kept is criterion:
        _kept[id(criterion)] = criterion
    return kept


def _shared_result(result: ProfileResult) -> ProfileResult:
    """*result* made of shared criteria, or the kept result equal to it.

    A verdict is keyed by its shared criteria's ids (the kept verdict holds them, so no id
    is reused while it is kept) and its other fields, each with its type (1 and 1.0 are equal
    but not written alike), the progress mapping as its items in order.
    """
    criteria = tuple([_one(c) for c in result.criteria])
    key = (
        result.profile,
        result.title,
        result.verdict,
        tuple([id(c) for c in criteria]),
        result.summary,
        type(result.mof_class),
        result.mof_class,
        tuple([(k, type(v), v) for k, v in result.progress.items()]),
        result.warnings,
        result.notes,
    )
    try:
        kept = _results.get(key)
    except TypeError:  # a field that is not hashable: not shared
        return result
    if kept is not None:
        return kept
    if any(a is not b for a, b in zip(criteria, result.criteria, strict=True)):
        result = ProfileResult(
            result.profile, result.title, result.verdict, criteria, result.summary,
            result.mof_class, result.progress, result.warnings, result.notes,
        )  # fmt: skip
    if len(_results) >= MAX_SHARED:
        _reset()
    _results[key] = result
    return result


def _compact(full: tuple[Hashable, str, Any]) -> Hashable:
    """The memo's key with its parts shared with other keys (equal, so found the same)."""
    profiles, mode, (parts, kind, usage, *rest) = full
    return (
        _share(profiles),
        mode,
        (tuple(_share(p) for p in parts), kind, _share(usage), *(_share(r) for r in rest)),
    )
