"""Two read queries only the release table needs: finding codes and policy statuses per row.

One query per page each (not one per row); everything else comes from ``server.catalog``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import Connection, select

from clearweights.store.models import FindingRow, PolicyResultRow


def finding_codes(connection: Connection, audits: Sequence[int]) -> dict[int, tuple[str, ...]]:
    """The distinct finding codes of each audit, sorted."""
    found: dict[int, set[str]] = {a: set() for a in audits}
    if audits:
        rows = connection.execute(
            select(FindingRow.audit_id, FindingRow.code).where(FindingRow.audit_id.in_(audits))
        )
        for audit, code in rows:
            found[int(audit)].add(str(code))
    return {a: tuple(sorted(codes)) for a, codes in found.items()}


def policy_statuses(
    connection: Connection, entries: Sequence[int]
) -> dict[int, tuple[tuple[str, str, str | None], ...]]:
    """Each entry's (policy, status, waived until) results, by policy name."""
    found: dict[int, list[tuple[str, str, str | None]]] = {e: [] for e in entries}
    if entries:
        rows = connection.execute(
            select(
                PolicyResultRow.entry_id,
                PolicyResultRow.policy,
                PolicyResultRow.status,
                PolicyResultRow.waived_until,
            )
            .where(PolicyResultRow.entry_id.in_(entries))
            .order_by(PolicyResultRow.entry_id, PolicyResultRow.policy)
        )
        for entry, policy, status, until in rows:
            found[int(entry)].append((str(policy), str(status), until))
    return {e: tuple(r) for e, r in found.items()}


def policy_details(connection: Connection, entry: int) -> dict[str, object]:
    """Each policy's stored detail for one entry (the JSON the policy checker wrote), by name."""
    rows = connection.execute(
        select(PolicyResultRow.policy, PolicyResultRow.detail).where(
            PolicyResultRow.entry_id == entry
        )
    )
    found: dict[str, object] = {}
    for policy, detail in rows:
        try:
            found[str(policy)] = json.loads(detail or "null")
        except ValueError:
            found[str(policy)] = None
    return found
