"""Framework verdicts are evaluated once per distinct subject: the key must hold all they read.

Real inputs: the example releases (whole, and as Hub metadata rows), real Hub cards, the Hub's
generated card, rows with only a licence tag or ``cardData``. Every subject the audits build is
evaluated afresh by each framework and compared with what the memo gave; subjects that share a
key must get equal verdicts; and what the frameworks read, changed alone, changes the key.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

import pytest

import clearweights.audit as audit_module
from clearweights.audit import audit_collected
from clearweights.components import MofComponent
from clearweights.frameworks import PROFILES, Declarations, _memo, framework
from clearweights.frameworks.interface import ProfileResult
from clearweights.frameworks.subject import AuditSubject
from clearweights.scale.rows import TextPool, row_item, row_release
from clearweights.sources.local import LocalDirectory
from tests.scale_corpus import EXAMPLES, NAMES, hub_row
from tests.test_scan_fast import _rows_varied


@pytest.fixture
def subjects(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[AuditSubject]:
    """Every subject the audits of the varied rows and the example releases build."""
    seen: list[AuditSubject] = []

    def record(
        subject: AuditSubject, profiles: Sequence[str], mode: str
    ) -> tuple[ProfileResult, ...]:
        seen.append(subject)
        return _memo.evaluate(subject, profiles, mode)

    monkeypatch.setattr(audit_module, "evaluate", record)
    rows = _rows_varied() + [hub_row(name) for name in NAMES]
    for n, raw in enumerate(rows, 1):
        item = row_item(raw, f"rows:{n}")
        try:
            release = row_release(item, TextPool(str(tmp_path)))
        except Exception:
            continue  # a row with no release: an error outcome, no verdicts
        audit_collected(release, item.key)
    for name in NAMES:  # whole releases: weights, pickles, code and licence files
        audit_collected(LocalDirectory(EXAMPLES / name).collect(), name)
    assert len(seen) >= len(rows)
    return seen


def _fresh(subject: AuditSubject) -> tuple[ProfileResult, ...]:
    return tuple(framework(name).evaluate(subject) for name in PROFILES)


def test_memoised_verdicts_equal_a_fresh_evaluation(subjects: list[AuditSubject]) -> None:
    for subject in subjects:
        assert _memo.evaluate(subject, PROFILES, "strict") == _fresh(subject)


def test_subjects_sharing_a_key_get_the_same_verdicts(subjects: list[AuditSubject]) -> None:
    by_key: dict[object, tuple[ProfileResult, ...]] = {}
    shared = 0
    for subject in subjects:
        key = _memo.subject_key(subject)[0]
        fresh = _fresh(subject)
        if key in by_key:
            shared += 1
            assert by_key[key] == fresh
        by_key[key] = fresh
    assert 2 < len(by_key) < len(subjects)  # varied, and some subjects do share a key
    assert shared


def _changed(subject: AuditSubject) -> list[AuditSubject]:
    """The subject with one thing a framework reads changed at a time."""
    card = subject.release.card
    assert card is not None
    weights = subject.components[MofComponent.MODEL_PARAMETERS_FINAL]
    components = dict(subject.components)
    components[MofComponent.MODEL_PARAMETERS_FINAL] = dataclasses.replace(
        weights, licence_source=weights.licence_source + "; another"
    )
    usage = dataclasses.replace(card, sections=(*card.sections, "how to use"))
    return [
        dataclasses.replace(subject, components=components),
        dataclasses.replace(subject, release=dataclasses.replace(subject.release, card=usage)),
        dataclasses.replace(subject, release=dataclasses.replace(subject.release, kind="mof-file")),
        dataclasses.replace(subject, declarations=Declarations(systemic_risk=False)),
        dataclasses.replace(subject, architecture="LlamaForCausalLM"),
        dataclasses.replace(subject, weights_absent=not subject.weights_absent),
        dataclasses.replace(subject, card_licences=()),
    ]


def test_what_the_frameworks_read_is_in_the_key(subjects: list[AuditSubject]) -> None:
    subject = next(
        s
        for s in subjects
        if s.release.card is not None
        and s.card_licences
        and not s.architecture
        and not any("how to use" in h for h in s.release.card.sections)
        and MofComponent.MODEL_PARAMETERS_FINAL in s.components
    )
    key = _memo.subject_key(subject)[0]
    before = _memo.evaluate(subject, PROFILES, "strict")
    for other in _changed(subject):
        assert _memo.subject_key(other)[0] != key
        # Through the memo, each changed subject gets its own fresh verdicts.
        assert _memo.evaluate(other, PROFILES, "strict") == _fresh(other)
    assert _memo.evaluate(subject, PROFILES, "strict") is before  # evaluated once


def test_the_memo_is_bounded(subjects: list[AuditSubject], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_memo, "MAX_ENTRIES", 4)
    monkeypatch.setattr(_memo, "MAX_PARTS", 8)
    _memo._memo.clear()
    for subject in subjects:
        assert _memo.evaluate(subject, PROFILES, "strict") == _fresh(subject)
        assert len(_memo._memo) <= 4
        assert len(_memo._parts) <= 8


def _distinct(subjects: list[AuditSubject], count: int) -> list[AuditSubject]:
    by_key = {_memo.subject_key(s)[0]: s for s in subjects}
    assert len(by_key) >= count
    return list(by_key.values())[:count]


def test_the_least_recently_used_subject_goes_first(
    subjects: list[AuditSubject], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_memo, "MAX_ENTRIES", 3)
    _memo._memo.clear()
    a, b, c, d = _distinct(subjects, 4)
    first = _memo.evaluate(a, PROFILES, "strict")
    _memo.evaluate(b, PROFILES, "strict")
    _memo.evaluate(c, PROFILES, "strict")
    assert _memo.evaluate(a, PROFILES, "strict") is first  # used again: now the most recent
    _memo.evaluate(d, PROFILES, "strict")  # full: b, the least recently used, goes
    assert _memo.evaluate(a, PROFILES, "strict") is first
    kept = {key[2] for key in _memo._memo if isinstance(key, tuple)}
    assert _memo.subject_key(b)[0] not in kept and _memo.subject_key(d)[0] in kept


def test_equal_verdicts_and_criteria_are_kept_once(subjects: list[AuditSubject]) -> None:
    """Thousands of subjects share a few hundred criteria and verdicts: each is one object
    (what keeps the memo small and lets a bulk scan encode a verdict once)."""
    _memo._memo.clear()
    results = [r for s in subjects for r in _memo.evaluate(s, PROFILES, "strict")]
    by_value: dict[object, object] = {}
    for result in results:
        for criterion in result.criteria:
            assert by_value.setdefault(criterion, criterion) is criterion
    verdicts = {id(r) for r in results}
    assert len(verdicts) < len(results)  # some subjects got the very same verdict object
    for result in results:  # and none is kept twice
        twins = [r for r in results if r == result and r.progress == result.progress]
        assert all(t is result for t in twins)


def test_the_sharing_tables_are_bounded(
    subjects: list[AuditSubject], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Criteria and verdicts are kept once each in bounded tables, emptied when full: what
    was shared before stays right, and later verdicts are still equal to fresh ones."""
    monkeypatch.setattr(_memo, "MAX_SHARED", 16)
    monkeypatch.setattr(_memo, "MAX_ENTRIES", 8)
    _memo._memo.clear()
    _memo._criteria.clear()
    _memo._results.clear()
    for subject in subjects:
        assert _memo.evaluate(subject, PROFILES, "strict") == _fresh(subject)
        assert len(_memo._criteria) <= 16
        assert len(_memo._results) <= 16


def _unread(subject: AuditSubject, name: str) -> AuditSubject:
    """*subject* with all that *name* does not read (by its part of the memo's key) changed."""
    kinds, fields = _memo._READS[name]
    read = {_memo._FIELDS[i] for i in fields}
    card = subject.release.card
    release = subject.release
    if "usage" not in read and card is not None:
        release = dataclasses.replace(
            release, card=dataclasses.replace(card, sections=("how to use", "usage"))
        )
    return dataclasses.replace(
        subject,
        release=release,
        components={k: c for k, c in subject.components.items() if k in kinds},
        declarations=subject.declarations
        if "declarations" in read
        else Declarations(systemic_risk=True, monetised=False),
        card_licences=subject.card_licences if "card" in read else (),
        text_licences=subject.text_licences if "text" in read else (),
        architecture=subject.architecture if "architecture" in read else "OtherForCausalLM",
    )


@pytest.mark.parametrize("name", sorted(_memo._READS))
def test_a_framework_reads_only_its_part_of_the_key(
    subjects: list[AuditSubject], name: str
) -> None:
    """Every component and field outside a framework's part, dropped or changed, leaves its
    verdict as it was: a verdict kept by that part is right for every subject sharing it."""
    judge = framework(name)
    for subject in subjects:
        assert judge.evaluate(_unread(subject, name)) == judge.evaluate(subject)


def test_subjects_sharing_a_frameworks_part_get_its_verdict(
    subjects: list[AuditSubject],
) -> None:
    _memo._memo.clear()
    _memo._own.clear()
    for subject in subjects:
        for name, result in zip(PROFILES, _memo.evaluate(subject, PROFILES, "strict"), strict=True):
            assert result == framework(name).evaluate(subject)
    assert len(_memo._own) < 3 * len({_memo.subject_key(s)[0] for s in subjects})
