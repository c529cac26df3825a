"""What both BOM formats describe, derived once from an audit and the file hashes."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from clearweights._untrusted import Heads
from clearweights.audit.model import ReleaseAudit
from clearweights.bom.hashing import FileDigest, hash_files, root_digest
from clearweights.components import Component, MofComponent
from clearweights.errors import UsageError
from clearweights.inventory import card_licences
from clearweights.licenses import LicenceExpression
from clearweights.licenses.model import Licence
from clearweights.progress import Progress
from clearweights.release.model import CardData

HUB = "https://huggingface.co"
SIGNATURE_FILE = "model.sig"


@dataclass(frozen=True)
class Metric:
    """One evaluation result from the card's model-index."""

    task: str
    dataset: str
    split: str | None
    metric: str
    value: str


@dataclass(frozen=True)
class BomSubject:
    """A release as the BOM writers see it."""

    name: str
    version: str
    supplier: str
    download_location: str
    purl: str | None
    release_time: datetime
    architecture: str | None
    task: str | None
    card: CardData | None
    declared: tuple[Licence, ...]  # what the release states (model card)
    declared_text: str | None  # the card's licence as written when it is not a known id
    concluded: tuple[Licence, ...]  # what the audit found for the weights
    components: tuple[Component, ...]
    files: tuple[FileDigest, ...]
    root_digest: str
    datasets: tuple[str, ...]
    base_models: tuple[str, ...]
    base_relation: str | None
    metrics: tuple[Metric, ...]
    verdicts: dict[str, str]
    component_of: dict[str, MofComponent]
    hyperparameters: tuple[tuple[str, str], ...] = ()  # scalar settings from config.json
    # how the weights' licences combine (an OR is a choice), and each base model's licence
    concluded_expression: LicenceExpression | None = None
    base_licences: dict[str, LicenceExpression | None] = field(default_factory=dict)


def _metrics(card: CardData | None) -> tuple[Metric, ...]:
    out: list[Metric] = []
    for entry in card.model_index if card else ():
        for result in entry.get("results") or []:
            if not isinstance(result, dict):
                continue
            task = str((result.get("task") or {}).get("type") or "")
            dataset = result.get("dataset") or {}
            for metric in result.get("metrics") or []:
                if isinstance(metric, dict) and "value" in metric:
                    out.append(
                        Metric(
                            task=task,
                            dataset=str(dataset.get("name") or dataset.get("type") or ""),
                            split=str(dataset["split"]) if dataset.get("split") else None,
                            metric=str(metric.get("type") or metric.get("name") or "metric"),
                            value=str(metric["value"]),
                        )
                    )
    return tuple(out)


def _release_time(digests: tuple[FileDigest, ...]) -> datetime:
    """SOURCE_DATE_EPOCH when set (reproducible builds), else the newest file's mtime."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return datetime.fromtimestamp(int(epoch), UTC)
    # The times were read when the files were hashed: no second pass over the release.
    newest = max((d.mtime for d in digests), default=0)
    return datetime.fromtimestamp(newest, UTC)


def build_subject(
    audit: ReleaseAudit, *, progress: Progress | None = None, heads: Heads | None = None
) -> BomSubject:
    """Hash the release's files and gather everything both formats need (files the audit
    read whole, kept in *heads*, are hashed from those bytes).

    Raises:
        UsageError: when the audit failed or the release is not a set of files.
    """
    release = audit.release
    if release is None or audit.error:
        raise UsageError(f"cannot build a BOM: {audit.error}", path=audit.path)
    if release.kind == "mof-file":
        raise UsageError("a BOM needs the release's files, not a MOF file", path=audit.path)
    root = Path(release.location)
    paths = [f.path for f in release.files if f.path.rpartition("/")[2] != SIGNATURE_FILE]
    where = {f.path: f.absolute for f in release.files}  # shown names may escape odd bytes
    digests = hash_files(root, paths, progress=progress, locations=where, heads=heads)
    card = release.card
    component_of = {p: c.kind for c in audit.components for p in c.paths}
    weights = next(
        (c for c in audit.components if c.kind is MofComponent.MODEL_PARAMETERS_FINAL), None
    )
    hub = release.kind == "hf-cache"
    org = release.name.split("/")[0] if "/" in release.name else None
    declared = card_licences(release)
    declared_text = None
    if card is not None and not declared:
        declared_text = card.license_name or (
            card.license if isinstance(card.license, str) else None
        )
    whole = root_digest(digests)
    return BomSubject(
        name=release.name,
        version=str(release.metadata.get("version") or f"sha256:{whole[:12]}"),
        supplier=org or "NOASSERTION",
        download_location=f"{HUB}/{release.name}" if hub else "NOASSERTION",
        purl=f"pkg:huggingface/{release.name}" if hub else None,
        release_time=_release_time(digests),
        architecture=audit.architecture,
        task=card.pipeline_tag if card else None,
        card=card,
        declared=declared,
        declared_text=declared_text,
        concluded=weights.licences if weights else (),
        components=audit.components,
        files=digests,
        root_digest=whole,
        datasets=card.datasets if card else (),
        base_models=card.base_model if card else (),
        base_relation=card.base_model_relation if card else None,
        metrics=_metrics(card),
        verdicts={
            p.profile: (f"class {p.mof_class}" if p.mof_class is not None else p.verdict.value)
            for p in audit.profiles
        },
        component_of=component_of,
        hyperparameters=audit.settings,
        concluded_expression=weights.licence_expression if weights else None,
        base_licences={b.repo_id: b.expression for b in audit.lineage.bases},
    )
