"""Framework verdicts evaluated once per distinct set of what the frameworks read.

A bulk scan audits millions of releases whose components, licences and card facts fall into a
few thousand shapes (an Apache-2.0 card with no files, a Llama licence with a base model, ...).
The four frameworks read only the parts of a subject listed in :func:`subject_key`; two
subjects with the same key get the same verdicts, so each distinct key is evaluated once per
process. The memo is bounded (cleared when full) and holds the keyed licence records alive,
so that a record's ``id`` in a key can never be reused by another object while it is there.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

from clearweights.frameworks import framework
from clearweights.frameworks.eu_ai_act import usage_sections
from clearweights.frameworks.interface import ProfileResult
from clearweights.frameworks.subject import AuditSubject
from clearweights.licenses.model import Licence

MAX_ENTRIES = 4096
_memo: dict[Hashable, tuple[tuple[Licence, ...], tuple[ProfileResult, ...]]] = {}


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
    found = _memo.get(full)
    if found is not None:
        return found[1]
    results = tuple(framework(name, mof_mode=mof_mode).evaluate(subject) for name in profiles)
    if len(_memo) >= MAX_ENTRIES:
        _memo.clear()
    _memo[full] = (held, results)
    return results
