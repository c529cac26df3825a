"""Taxonomy leaves (``clearweights.taxonomy``) as generation reads them: seeds, documents at
their pinned commit, and each document's licence as taxonomy validation found it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from clearweights.errors import LicenceRefused
from clearweights.generate.model import GenLeaf, LeafKind, Seed, SourceDocument
from clearweights.taxonomy import Leaf, read_documents
from clearweights.taxonomy import LeafKind as TaxonomyKind
from clearweights.taxonomy.report import LeafLicense, LicenseVerdict

_KINDS = {
    TaxonomyKind.KNOWLEDGE: LeafKind.KNOWLEDGE,
    TaxonomyKind.FREEFORM_SKILL: LeafKind.FREEFORM,
    TaxonomyKind.GROUNDED_SKILL: LeafKind.GROUNDED,
}


@dataclass(frozen=True)
class LeafInputs:
    """The leaves to generate from, and what people must hear about their licences."""

    leaves: tuple[GenLeaf, ...]
    warnings: tuple[str, ...]


def _seeds(leaf: Leaf) -> tuple[Seed, ...]:
    seeds = []
    for example in leaf.seed_examples:
        many = len(example.questions_and_answers) > 1
        for k, qa in enumerate(example.questions_and_answers):
            sid = f"{example.id}/{k}" if many else example.id
            context = (example.context or "").strip()
            seeds.append(Seed(sid, qa.question.strip(), qa.answer.strip(), context))
    return tuple(seeds)


def _documents(
    leaf: Leaf,
    verdict: LeafLicense | None,
    mirrors: Mapping[str, Path] | None,
    cache: Path | None,
) -> tuple[SourceDocument, ...]:
    if leaf.document is None:
        return ()
    known = verdict is not None and verdict.verdict is LicenseVerdict.ALLOWED
    license_id = " AND ".join(verdict.licenses) if known and verdict else None
    credit = "; ".join(verdict.credit) if verdict else ""
    return tuple(
        SourceDocument(doc.repo, doc.commit, doc.path, doc.text, license_id, credit)
        for doc in read_documents(leaf, mirrors=mirrors, cache=cache)
    )


def gen_leaves(
    leaves: Sequence[Leaf],
    licences: Sequence[LeafLicense],
    *,
    mirrors: Mapping[str, Path] | None = None,
    cache: Path | None = None,
) -> LeafInputs:
    """Generation inputs for taxonomy *leaves*; *licences* are taxonomy validation's verdicts.

    Raises:
        LicenceRefused: a leaf's content is under a licence outside the allow-list.
        TaxonomyError: a document cannot be read (the error names the leaf).
    """
    by_leaf = {lic.leaf: lic for lic in licences}
    refused = [
        f"{lic.leaf} ({', '.join(lic.licenses) or 'no licence'})"
        for leaf in leaves
        if (lic := by_leaf.get(leaf.name)) is not None and lic.verdict is LicenseVerdict.NOT_ALLOWED
    ]
    if refused:
        raise LicenceRefused(
            "the content of these leaves is under a licence outside the allow-list: "
            + "; ".join(refused),
            hint="run `clearweights taxonomy validate` for the details, fix or remove the leaves",
        )
    warnings = [
        f"{leaf.name}: the licence of its content is unknown; recorded as unknown"
        for leaf in leaves
        if leaf.document is not None
        and ((lic := by_leaf.get(leaf.name)) is None or lic.verdict is LicenseVerdict.UNKNOWN)
    ]
    out = tuple(
        GenLeaf(
            path=leaf.name,
            kind=_KINDS[leaf.kind],
            seeds=_seeds(leaf),
            task_description=leaf.task_description or leaf.document_outline or "",
            domain=leaf.domain or "",
            documents=_documents(leaf, by_leaf.get(leaf.name), mirrors, cache),
        )
        for leaf in leaves
    )
    return LeafInputs(out, tuple(warnings))
