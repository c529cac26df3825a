"""Releases whose verdicts changed between two runs of ``scan``, from the store alone.

The state of the store *as of* a run is, for each release (source and key), its latest audit
written by that run or an earlier one. Two states are compared release by release; only the
releases whose audit differs between them (re-audited: a new revision, a new clearweights or
catalogue) are read, so the comparison costs what changed, not what is stored.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, select

from clearweights.errors import UsageError
from clearweights.store import Store
from clearweights.store.models import AuditRow, ReleaseRow, RunRow, VerdictRow

COMPARE_SCHEMA_VERSION = "1.0"
_CHUNK = 500
Verdict = tuple[str, str | None]  # verdict and label (the MOF class), or ("error", message)


@dataclass(frozen=True)
class VerdictChange:
    """One framework's verdict before and after (``None``: the framework was not run)."""

    framework: str
    old: Verdict | None
    new: Verdict | None


@dataclass(frozen=True)
class ReleaseChange:
    """A release whose verdicts, weights licence or audit status changed between the runs."""

    source: str
    key: str
    name: str | None
    old_revision: str
    new_revision: str
    old_license: str | None
    new_license: str | None
    verdicts: tuple[VerdictChange, ...]

    @property
    def license_changed(self) -> bool:
        """Whether the weights' licence expression changed."""
        return self.old_license != self.new_license


@dataclass(frozen=True)
class RunComparison:
    """What changed between the store as of run *old* and as of run *new*."""

    old_run: int
    new_run: int
    compared: int  # releases in both states
    new_releases: int  # releases first audited after the old run
    changes: tuple[ReleaseChange, ...]


def _state(run: int) -> Any:
    """Each release's latest audit written by *run* or before."""
    return (
        select(ReleaseRow.source, ReleaseRow.key, func.max(AuditRow.id).label("id"))
        .join(AuditRow, AuditRow.release_id == ReleaseRow.id)
        .where(AuditRow.run_id <= run)
        .group_by(ReleaseRow.source, ReleaseRow.key)
        .subquery()
    )


def _runs(store: Store, runs: Sequence[int]) -> tuple[int, int]:
    with store.reading() as connection:
        known = [
            int(r) for r in connection.execute(select(RunRow.id).order_by(RunRow.id)).scalars()
        ]
    if not runs:
        if len(known) < 2:
            raise UsageError(
                f"the store holds {len(known)} run(s); comparing needs two",
                path=store.shown,
                hint="run clearweights scan again after the sources or clearweights change",
            )
        return known[-2], known[-1]
    for run in runs:
        if run not in known:
            shown = f"{known[0]} to {known[-1]}" if known else "none"
            raise UsageError(f"has no run {run} (runs: {shown})", path=store.shown)
    return runs[0], runs[1]


def compare_runs(store: Store, runs: Sequence[int] = ()) -> RunComparison:
    """Compare the store as of two runs (*runs*: old and new ids; default: the last two).

    Raises:
        UsageError: when a run does not exist, or the store holds fewer than two runs.
    """
    old_run, new_run = _runs(store, runs)
    old, new = _state(old_run).alias("old"), _state(new_run).alias("new")
    same = and_(old.c.source == new.c.source, old.c.key == new.c.key)
    with store.reading() as connection:
        compared = connection.execute(
            select(func.count()).select_from(old.join(new, same))
        ).scalar_one()
        added = connection.execute(
            select(func.count()).select_from(new.outerjoin(old, same)).where(old.c.id.is_(None))
        ).scalar_one()
        pairs = [
            (int(a), int(b))
            for a, b in connection.execute(
                select(old.c.id, new.c.id)
                .select_from(old.join(new, same))
                .where(old.c.id != new.c.id)
                .order_by(new.c.key, new.c.source)
            )
        ]
    changes = [c for start in range(0, len(pairs), _CHUNK)
               for c in _changes(store, pairs[start : start + _CHUNK])]  # fmt: skip
    return RunComparison(old_run, new_run, int(compared), int(added), tuple(changes))


def _changes(store: Store, pairs: list[tuple[int, int]]) -> Iterator[ReleaseChange]:
    ids = [i for pair in pairs for i in pair]
    columns = (AuditRow.id, ReleaseRow.source, ReleaseRow.key, ReleaseRow.revision, AuditRow.name,
               AuditRow.status, AuditRow.weights_license, AuditRow.error)  # fmt: skip
    verdicts: dict[int, dict[str, Verdict]] = {i: {} for i in ids}
    with store.reading() as connection:
        rows = {
            int(r[0]): r
            for r in connection.execute(
                select(*columns)
                .join(ReleaseRow, AuditRow.release_id == ReleaseRow.id)
                .where(AuditRow.id.in_(ids))
            )
        }
        for audit, framework, verdict, label in connection.execute(
            select(VerdictRow.audit_id, VerdictRow.framework, VerdictRow.verdict, VerdictRow.label)
            .where(VerdictRow.audit_id.in_(ids))
        ):  # fmt: skip
            verdicts[int(audit)][str(framework)] = (str(verdict), label)
    for old_id, new_id in pairs:
        old, new = rows[old_id], rows[new_id]
        before, after = _outcome(old, verdicts[old_id]), _outcome(new, verdicts[new_id])
        changed = tuple(
            VerdictChange(f, before.get(f), after.get(f))
            for f in sorted(before.keys() | after.keys())
            if before.get(f) != after.get(f)
        )
        if changed or old.weights_license != new.weights_license:
            names = (new.name or old.name, old.revision, new.revision)
            yield ReleaseChange(new.source, new.key, *names, old.weights_license,
                                new.weights_license, changed)  # fmt: skip


def _outcome(row: Any, verdicts: dict[str, Verdict]) -> dict[str, Verdict]:
    """The verdicts of an audit; one that failed stands as ``error`` for every framework."""
    if row.status != "ok":
        return {"(audit)": ("error", str(row.error or "could not be audited"))}
    return verdicts


def _shown(verdict: Verdict | None) -> str:
    if verdict is None:
        return "-"
    return f"{verdict[0]} ({verdict[1]})" if verdict[1] else verdict[0]


def _verdict_json(verdict: Verdict | None) -> dict[str, Any] | None:
    return None if verdict is None else {"verdict": verdict[0], "label": verdict[1]}


def comparison_json(c: RunComparison) -> dict[str, Any]:
    """The comparison as a versioned JSON document."""
    return {
        "schema_version": COMPARE_SCHEMA_VERSION,
        "runs": {"from": c.old_run, "to": c.new_run},
        "compared": c.compared,
        "new_releases": c.new_releases,
        "changed": [
            {
                "source": r.source,
                "key": r.key,
                "name": r.name,
                "revision": {"from": r.old_revision, "to": r.new_revision},
                "license": {"from": r.old_license, "to": r.new_license},
                "verdicts": [
                    {
                        "framework": v.framework,
                        "from": _verdict_json(v.old),
                        "to": _verdict_json(v.new),
                    }
                    for v in r.verdicts
                ],
            }
            for r in c.changes
        ],
    }


def _rows(c: RunComparison) -> Iterator[tuple[str, str, str, str, str]]:
    """(release, name, what, from, to): one per changed verdict or licence."""
    for r in c.changes:
        if r.license_changed:
            yield r.key, r.name or "", "weights licence", r.old_license or "-", r.new_license or "-"
        for v in r.verdicts:
            yield r.key, r.name or "", v.framework, _shown(v.old), _shown(v.new)


def render_comparison(c: RunComparison, fmt: str) -> str:
    """The comparison as ``text``, ``json``, ``csv`` or ``markdown``."""
    head = (f"Runs {c.old_run} → {c.new_run}: {c.compared} releases in both, "
            f"{len(c.changes)} changed, {c.new_releases} new")  # fmt: skip
    match fmt:
        case "json":
            return json.dumps(comparison_json(c), indent=2, ensure_ascii=False) + "\n"
        case "csv":
            out = io.StringIO()
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(["from_run", "to_run", "release", "name", "what", "from", "to"])
            writer.writerows((c.old_run, c.new_run, *row) for row in _rows(c))
            return out.getvalue()
        case "markdown":
            lines = [f"## {head}", ""]
            if c.changes:
                lines += ["| Release | What | From | To |", "|---|---|---|---|"]
                lines += [f"| {_cell(n or k)} | {_cell(w)} | {_cell(a)} | {_cell(b)} |"
                          for k, n, w, a, b in _rows(c)]  # fmt: skip
            return "\n".join(lines) + "\n"
        case _:
            lines = [head]
            for r in c.changes:
                lines.append(f"{r.name or r.key} ({r.key})" if r.name != r.key else r.key)
                if r.license_changed:
                    lines.append(f"  weights licence: {r.old_license} → {r.new_license}")
                lines += [f"  {v.framework}: {_shown(v.old)} → {_shown(v.new)}" for v in r.verdicts]
            return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
