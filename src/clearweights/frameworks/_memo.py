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
(criteria and verdicts in a weak table, alive while something uses them; key parts in a bounded
one), so a subject costs about 2.5 KB rather than 20. Shared verdicts are also what lets a bulk
scan encode each distinct verdict's JSON once (``scale.worker``).
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Hashable, Sequence
from dataclasses import replace
from typing import Any, TypeVar

from clearweights.frameworks import framework
from clearweights.frameworks.eu_ai_act import usage_sections
from clearweights.frameworks.interface import Criterion, ProfileResult
from clearweights.frameworks.subject import AuditSubject
from clearweights.licenses.model import Licence

MAX_ENTRIES = 4096  # subjects; 90 % of a Hub-like scan's look-ups hit (see docs/benchmarks.md)
MAX_PARTS = 4096  # distinct key parts (a component's description, usage headings) kept once
# key -> (the key as kept, the licence records it names by id, the verdicts)
_memo: dict[Hashable, tuple[Hashable, tuple[Licence, ...], tuple[ProfileResult, ...]]] = {}
_parts: dict[Hashable, Any] = {}
# Criteria and verdicts, each kept once while something uses it (the memo, a worker's encoded
# verdicts, an audit): a weak table is bounded by what is alive.
_live: weakref.WeakValueDictionary[int, Any] = weakref.WeakValueDictionary()

T = TypeVar("T")
V = TypeVar("V", Criterion, ProfileResult)


def subject_key(subject: AuditSubject) -> tuple[Hashable, tuple[Licence, ...]]:
    """Everything of *subject* any framework reads, and the licence records keyed by identity.

    Components: every field (their licence records by identity: catalogue records are shared
    objects, and a record's fields are what the frameworks judge). The release: only its kind
    (MOF judges links of a MOF file apart) and the card's usage headings (EU AI Act). The
    card's and licence files' licences: their ids and kinds (Red Hat's clarity criterion).
    """
    held: list[Licence] = []
    parts = []
    for kind, c in subject.components.items():
        held.extend(c.licences)
        expression = None if c.expression is None else str(c.expression)
        licences = tuple(id(lic) for lic in c.licences)
        parts.append(
            (kind, c.paths, c.licence_name, licences, c.licence_source, c.reason, c.external,
             expression)
        )  # fmt: skip
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
    key, held = subject_key(subject)
    full = (tuple(profiles), mof_mode, key)
    found = _memo.pop(full, None)
    if found is None:
        results = tuple(
            _shared_result(framework(name, mof_mode=mof_mode).evaluate(subject))
            for name in profiles
        )
        found = (_compact(full), held, results)
        if len(_memo) >= MAX_ENTRIES:  # the least recently used subject goes
            with contextlib.suppress(KeyError, RuntimeError, StopIteration):  # or a thread did
                del _memo[next(iter(_memo))]
    _memo[found[0]] = found  # last: the most recently used; the kept key, not this one
    return found[2]


def _share(value: T) -> T:
    """The one kept key part equal to *value* (*value* itself the first time)."""
    try:
        kept: T = _parts.setdefault(value, value)
    except TypeError:  # not hashable: not shared
        return value
    if len(_parts) > MAX_PARTS:  # those kept stay where they are used; none is lost
        _parts.clear()
    return kept


def _identity(value: Criterion | ProfileResult) -> tuple[object, ...]:
    """A frozen criterion's or verdict's type and fields in order, each with its type (1 and
    1.0 are equal but not written alike), a mapping as its items in order."""
    return (
        type(value),
        *(
            (type(v), tuple((k, type(x), x) for k, x in v.items()) if isinstance(v, dict) else v)
            for v in value.__dict__.values()
        ),
    )


def _one(value: V) -> V:
    """The live object equal to *value*, a frozen criterion or verdict (*value* if none).

    The table is keyed by the identity's hash (a few bytes, not a copy of the fields); an
    object found under it is used only when its identity is the same.
    """
    # A criterion's own equality and hash are its class and fields in order, as _identity's
    # (it holds no mapping): used directly, they cost a tenth (a criterion is shared per
    # criterion of every verdict evaluated, tens of thousands in a scan's first minutes).
    criterion = type(value) is Criterion
    try:
        identity: object = value if criterion else _identity(value)
        key = hash(identity)
    except TypeError:  # a field that is not hashable: not shared
        return value
    kept = _live.get(key)
    if kept is None:
        _live[key] = value
        return value
    same = kept == value if criterion else _identity(kept) == identity
    return kept if same else value  # else another value, same hash


def _shared_result(result: ProfileResult) -> ProfileResult:
    """*result* made of shared criteria, or the live result equal to it."""
    criteria = tuple(_one(c) for c in result.criteria)
    if any(a is not b for a, b in zip(criteria, result.criteria, strict=True)):
        result = replace(result, criteria=criteria)
    return _one(result)


def _compact(full: tuple[Hashable, str, Any]) -> Hashable:
    """The memo's key with its parts shared with other keys (equal, so found the same)."""
    profiles, mode, (parts, kind, usage, *rest) = full
    return (
        _share(profiles),
        mode,
        (tuple(_share(p) for p in parts), kind, _share(usage), *(_share(r) for r in rest)),
    )
