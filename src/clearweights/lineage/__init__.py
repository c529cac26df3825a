"""Lineage: the base models a release derives from, and the licences and duties they pass on.

A fine-tune, adapter, merge or quantisation carries its base model's licence terms. The base
is named by the model card (``base_model``, ``base_model_relation``) or by an adapter's
``adapter_config.json``; its licence is read from a path the user gives, else from the local
Hugging Face cache, else from a table of known base-model families (never from the network).
A base that none of these resolves has an unknown licence, and says so.

Example:
    >>> from clearweights.inventory import build_inventory
    >>> from clearweights.lineage import trace
    >>> from clearweights.sources import open_release
    >>> release = open_release("examples/releases/llama-3.1-finetune")
    >>> lineage = trace(release, build_inventory(release))
    >>> str(lineage.inherited)
    'LicenseRef-scancode-llama-3.1-license-2024'
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import replace

from clearweights.components import Component, MofComponent
from clearweights.inventory import Inventory
from clearweights.licenses._expression import LicenceExpression, all_of, leaf, unknown_licence
from clearweights.licenses.model import Licence
from clearweights.lineage._resolve import base_ids, resolve
from clearweights.lineage.families import Family, families, family_of
from clearweights.lineage.model import RELATIONS, BaseModel, Lineage
from clearweights.release.model import Release

WEIGHTS = (MofComponent.MODEL_PARAMETERS_FINAL, MofComponent.MODEL_PARAMETERS_INTERMEDIATE)

__all__ = [
    "RELATIONS",
    "BaseModel",
    "Family",
    "Lineage",
    "families",
    "family_of",
    "inherit",
    "trace",
]


def _declared(inventory: Inventory) -> tuple[Licence, ...]:
    """The licences the release states itself: card, top-level licence files, weights."""
    top = [
        lic
        for lf in inventory.licence_files
        if "/" not in lf.path and lf.applies  # not a NOTICE, use policy or third-party list
        for lic in lf.licences
    ]
    weights = inventory.components.get(MofComponent.MODEL_PARAMETERS_FINAL)
    found = [*inventory.card_licences, *top, *(weights.licences if weights else ())]
    return tuple({lic.id: lic for lic in found if lic.kind == "licence"}.values())


def trace(
    release: Release, inventory: Inventory, *, bases: Mapping[str, str] | None = None
) -> Lineage:
    """Resolve the release's base models and the licences they pass on.

    Args:
        release: the release.
        inventory: its components (for the licences it declares itself).
        bases: local copies of base models: repo id to a directory, ``"*"`` for any direct base.
    """
    if release.kind == "mof-file":
        return Lineage()
    ids = base_ids(release)
    if not ids:
        return Lineage()
    return Lineage(resolve(release, dict(bases or {}), ids), _declared(inventory))


@functools.lru_cache(maxsize=1024)  # about 1 KB a base: the long tail of bases comes and goes
def _unknown_base(repo_id: str) -> LicenceExpression:
    """The unknown licence of a base model no source resolves (one record per base while it is
    remembered: the frameworks' memo and the encoded records of a bulk scan key on the record
    itself, and keep the records they key on alive)."""
    return leaf(unknown_licence(f"base-model-{repo_id}"))


def inherit(
    components: Mapping[MofComponent, Component], lineage: Lineage
) -> dict[MofComponent, Component]:
    """The components with the base models' licences added to the weights' (all apply).

    Weights without a licence of their own stay unlicensed: the fine-tuner's part has no grant.
    """
    out = dict(components)
    inherited, note = _passed_on(lineage.bases)
    if inherited is None:
        return out
    for kind in WEIGHTS:
        component = out.get(kind)
        if component is None or not component.licences:
            continue
        expression = all_of([component.licence_expression, inherited])
        assert expression is not None  # NOTE: both parts are set
        out[kind] = replace(
            component,
            licence_name=str(expression),
            licences=expression.licences,
            expression=expression,
            licence_source=f"{component.licence_source}; {note}",
        )
    return out


# Lineage memos (switched off by tests that compare audits with and without them).
MEMO = True
_MAX_PASSED = 1024
_passed: dict[tuple[int, ...], tuple[tuple[BaseModel, ...], LicenceExpression | None, str]] = {}


def _passed_on(bases: tuple[BaseModel, ...]) -> tuple[LicenceExpression | None, str]:
    """What *bases* pass on: their licences, all applying, and where each comes from.

    It reads only the bases (frozen): a scan's bases are the few shared ones the table of
    known families gives, so what they pass on is kept by their ids while remembered (the
    entry holds them, so no id is reused meanwhile).
    """
    key = tuple([id(b) for b in bases])
    found = _passed.get(key) if MEMO else None
    if found is None:
        # A base whose licence is unknown still passes its licence on: unknown, never open.
        inherited = all_of(b.expression or _unknown_base(b.repo_id) for b in bases)
        note = "; ".join(
            f"inherited from {b.repo_id} ({b.relation}): {b.licence_source}" for b in bases
        )
        found = (bases, inherited, note)
        if MEMO:
            if len(_passed) >= _MAX_PASSED:
                _passed.clear()
            _passed[key] = found
    return found[1], found[2]
