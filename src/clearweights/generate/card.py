"""The dataset card (Hugging Face format: YAML front matter, then Markdown) and the CycloneDX
data component of a generated dataset: licence obligations from the documents and the teacher."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from clearweights import __version__
from clearweights.errors import UnknownLicenceError
from clearweights.generate.model import LeafResult, SourceDocument, Teacher
from clearweights.licenses.model import Category, Licence

_NO_ATTRIBUTION = frozenset({"CC0-1.0", "0BSD", "Unlicense", "CDLA-Permissive-2.0"})
_BOM_NAMESPACE = uuid.UUID("5b0e6f0a-3c1d-4e8f-9a27-d41c6e8b2f90")


@dataclass(frozen=True)
class DataObligations:
    """What users of the generated data must do, and the licence the card declares."""

    license: str  # the card's ``license`` value (a Hub id, or ``other``)
    license_name: str | None  # for ``other``
    share_alike: tuple[str, ...]  # documents' share-alike licences
    attribution: tuple[str, ...]  # one line per document needing credit
    unknown: tuple[str, ...]  # documents whose licence is unknown
    lines: tuple[str, ...]  # every obligation, for people


def _lookup(license_id: str | None) -> Licence | None:
    if not license_id or license_id == "unknown":
        return None
    from clearweights import licenses

    try:
        return licenses.get(license_id)
    except UnknownLicenceError:
        return None


def _share_alike(lic: Licence) -> bool:
    return "-SA-" in lic.id or lic.category is Category.COPYLEFT


def documents(leaves: Sequence[LeafResult], docs: Sequence[SourceDocument]) -> list[SourceDocument]:
    """The documents that contributed at least one kept sample, in first-use order."""
    used = {
        (d["repo"], d["commit"], d["path"])
        for leaf in leaves
        for s in leaf.samples
        for d in s["metadata"]["documents"]
    }
    seen: dict[tuple[str, str, str], SourceDocument] = {}
    for doc in docs:
        key = (doc.repo, doc.commit, doc.path)
        if key in used:
            seen.setdefault(key, doc)
    return list(seen.values())


def _licences(license_expr: str | None) -> list[Licence] | None:
    """The licences of a document (``A AND B``: all apply); ``None`` when any is unknown."""
    if not license_expr:
        return None
    found = [_lookup(part.strip()) for part in license_expr.split(" AND ")]
    return None if any(lic is None for lic in found) else [lic for lic in found if lic]


def obligations(docs: Sequence[SourceDocument], teacher: Teacher) -> DataObligations:
    """Derive the data's obligations from its documents' licences and the teacher's."""
    found = {d.license: _licences(d.license) for d in docs}
    every = [lic for lics in found.values() for lic in lics or ()]
    share = sorted({lic.id for lic in every if _share_alike(lic)})
    credit = [
        f"{d.repo} {d.path} at {d.commit} ({d.license}): {d.attribution or 'credit the source'}"
        for d in docs
        if any(lic.id not in _NO_ATTRIBUTION for lic in found[d.license] or ())
    ]
    unknown = [f"{d.repo} {d.path} at {d.commit}" for d in docs if found[d.license] is None]
    known = {lic.id: lic for lic in every}
    if len(share) == 1:
        chosen: Licence | None = known[share[0]]
    elif len(known) == 1 and not unknown:
        chosen = next(iter(known.values()))
    else:
        chosen = None
    lines = [f"Share-alike: the data must be shared under {s}." for s in share]
    if len(share) > 1:
        lines.append("Several share-alike licences apply at once: check they are compatible.")
    lines += [f"Attribution: {c}" for c in credit]
    if any(lic.id.startswith("CC-BY") for lic in every):
        lines.append("CC BY: say that the works were modified (generated data is an adaptation).")
    lines += [f"Unknown licence, check before use: {u}" for u in unknown]
    if teacher.license == "unknown":
        lines.append(
            "The teacher's licence is UNKNOWN: it was not checked whether its outputs may "
            "train other models."
        )
    else:
        lines.append(f"Teacher licence: {teacher.license}.")
    lines += [f"Inherited by the student: {d}" for d in teacher.duties]
    hub = chosen.hf_id if chosen is not None and chosen.hf_id not in (None, "other") else None
    return DataObligations(
        license=hub or "other",
        license_name=None if hub else "clearweights-generated-data-see-card",
        share_alike=tuple(share),
        attribution=tuple(credit),
        unknown=tuple(unknown),
        lines=tuple(lines),
    )


def _front_matter(name: str, duty: DataObligations, kept: int, data_file: str) -> str:
    import yaml

    size = "n<1K" if kept < 1000 else "1K<n<10K" if kept < 10000 else "10K<n<100K"
    meta: dict[str, Any] = {"license": duty.license}
    if duty.license_name:
        meta["license_name"] = duty.license_name
    meta.update(
        pretty_name=name,
        task_categories=["text-generation"],
        tags=["synthetic", "clearweights", "instructlab-taxonomy"],
        size_categories=[size],
        configs=[{"config_name": "default", "data_files": [{"split": "train", "path": data_file}]}],
    )
    return "---\n" + yaml.safe_dump(meta, sort_keys=False, allow_unicode=True) + "---\n"


def render_card(
    name: str,
    leaves: Sequence[LeafResult],
    teacher: Teacher,
    duty: DataObligations,
    settings: dict[str, Any],
    data_file: str,
    kept: int,
) -> str:
    """The dataset card: front matter, obligations, provenance, counts per leaf and block.

    *kept* is the number of samples in the data file (after ``--max-per-leaf``).
    """
    out = [_front_matter(name, duty, kept, data_file), f"# {name}\n"]
    out.append(
        f"Synthetic training data made by clearweights {__version__} from {len(leaves)} "
        f"taxonomy leaves: {kept} samples in `{data_file}` (`messages` JSON Lines, one "
        "record per line, with provenance in each record's `metadata`).\n"
    )
    out.append("## Licence obligations\n")
    out += [f"- {line}" for line in duty.lines]
    out.append("\n## Teacher\n")
    verdict = "not checked (UNKNOWN)" if teacher.license == "unknown" else teacher.license
    out += [
        f"- Model: `{teacher.model}` (revision {teacher.revision})",
        f"- Licence: {verdict}",
        f"- Student family checked: {teacher.student_family or 'none given'}",
    ]
    out.append("\n## Generation\n")
    out += [f"- {key}: `{json.dumps(value, sort_keys=True)}`" for key, value in settings.items()]
    out.append("\n## Samples per leaf and block\n")
    out.append("| leaf | block | kind | in | out | dropped |")
    out.append("|---|---|---|---|---|---|")
    for leaf in leaves:
        for s in leaf.stats:
            why = "; ".join(f"{r}: {n}" for r, n in s.dropped.items()) or "-"
            out.append(f"| {leaf.leaf} | {s.block} | {s.kind} | {s.inputs} | {s.outputs} | {why} |")
    return "\n".join(out) + "\n"


def data_component(
    name: str,
    digest: str,
    kept: int,
    docs: Sequence[SourceDocument],
    teacher: Teacher,
    data_file: str,
) -> str:
    """A CycloneDX 1.6 document whose one component is the generated dataset."""
    from cyclonedx.model import HashAlgorithm, HashType, Property
    from cyclonedx.model.bom import Bom, BomMetaData
    from cyclonedx.model.component import Component, ComponentType
    from cyclonedx.output.json import JsonV1Dot6

    from clearweights.bom.cyclonedx import _licence

    licences = {lic.id: lic for d in docs for lic in _licences(d.license) or ()}
    properties = [
        Property(name="clearweights:teacher-model", value=teacher.model),
        Property(name="clearweights:teacher-revision", value=teacher.revision),
        Property(name="clearweights:teacher-license", value=teacher.license),
        Property(name="clearweights:samples", value=str(kept)),
    ]
    properties += [
        Property(name="clearweights:source-document", value=f"{d.repo}@{d.commit}:{d.path}")
        for d in docs
    ]
    component = Component(
        type=ComponentType.DATA,
        name=name,
        bom_ref=f"dataset:{name}",
        hashes=[HashType(alg=HashAlgorithm.SHA_256, content=digest)],
        licenses=[_licence(lic, "concluded") for lic in licences.values()],
        properties=properties,
    )
    bom = Bom(
        serial_number=uuid.uuid5(_BOM_NAMESPACE, f"{name}@{digest}"),
        metadata=BomMetaData(component=component),
    )
    bom.metadata.tools.components.add(
        Component(type=ComponentType.APPLICATION, name="clearweights", version=__version__)
    )
    doc = json.loads(JsonV1Dot6(bom).output_as_string())
    doc["metadata"].pop("timestamp", None)  # deterministic: the card carries the times
    doc["metadata"]["component"]["data"] = [
        {"type": "dataset", "name": name, "contents": {"url": data_file}}
    ]
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
