"""Lineage results: the base models a release derives from and the licences it inherits."""

from __future__ import annotations

from dataclasses import dataclass

from clearweights.licenses._expression import LicenceExpression, all_of
from clearweights.licenses.model import Category, Licence

RELATIONS = ("adapter", "finetune", "merge", "quantized")
# Licences a derivative may be released under other terms from (keeping notices): the rest
# (copyleft, use-restricted, non-commercial, research-only, proprietary) travel with it.
NOT_CARRIED = frozenset({Category.PERMISSIVE, Category.OPEN_DATA, Category.OPEN_DOCUMENTATION})


@dataclass(frozen=True)
class BaseModel:
    """One base model of a release and the licence it passes on.

    Attributes:
        repo_id: the base as the card or adapter config names it (``meta-llama/Llama-3.1-8B``).
        relation: adapter, finetune, merge or quantized.
        relation_source: where the relation comes from (a card field, a file, or an inference).
        expression: the base model's licence; ``None`` when it could not be resolved.
        resolved_by: ``path`` (given by the user), ``cache`` (a local Hugging Face snapshot),
            ``family`` (a known base-model family) or ``unknown``.
        licence_source: the file, card or family entry (with its source) the licence comes from.
        via: the model this base was found through, for a base of a base.
    """

    repo_id: str
    relation: str
    relation_source: str
    expression: LicenceExpression | None
    resolved_by: str
    licence_source: str
    via: str | None = None

    @property
    def licences(self) -> tuple[Licence, ...]:
        """The licences the base model is under (empty when unknown)."""
        return self.expression.licences if self.expression else ()


@dataclass(frozen=True)
class Lineage:
    """What a release inherits: its base models and the licences that come with them.

    Attributes:
        bases: every base model found, nearest first, bases of bases after them.
        declared: the licences the release itself states (model card, licence files, weights).
    """

    bases: tuple[BaseModel, ...] = ()
    declared: tuple[Licence, ...] = ()

    @property
    def inherited(self) -> LicenceExpression | None:
        """Every resolved base model's licence: they all apply to the release."""
        return all_of(b.expression for b in self.bases)

    @property
    def unresolved(self) -> tuple[BaseModel, ...]:
        """Base models whose licence could not be resolved."""
        return tuple(b for b in self.bases if b.expression is None)

    @property
    def dropped(self) -> tuple[tuple[BaseModel, Licence], ...]:
        """Inherited licences that travel with derivatives but the release does not state.

        Only checked when the release declares a licence at all; a licence of the same family
        (Llama 3 for a Llama 3.1 base) counts as stated.
        """
        if not self.declared:
            return ()
        ids = {lic.id for lic in self.declared}
        families = {lic.family for lic in self.declared if lic.family}
        out: list[tuple[BaseModel, Licence]] = []
        for base in self.bases:
            for lic in base.licences:
                if lic.category in NOT_CARRIED or lic.id in ids or lic.family in families:
                    continue
                if all(lic.id != seen.id for _, seen in out):
                    out.append((base, lic))
        return tuple(out)
