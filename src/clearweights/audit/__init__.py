"""Audit model releases: components, licences, four frameworks, findings and obligations.

Example:
    >>> from clearweights.audit import audit
    >>> report = audit(["examples/releases/open-olmo-style"])  # doctest: +SKIP
    >>> report.audits[0].profile("redhat").verdict  # doctest: +SKIP
    <Status.PASS: 'pass'>
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import fields, replace
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

from clearweights._gc import paused
from clearweights._untrusted import MAX_CONFIG_BYTES, Heads, read_json
from clearweights.audit._lineage import lineage_findings
from clearweights.audit.findings import find
from clearweights.audit.model import (
    AuditReport,
    Finding,
    Obligation,
    ReleaseAudit,
    Severity,
    by_severity,
)
from clearweights.audit.obligations import obligations
from clearweights.components import MofComponent
from clearweights.errors import ClearweightsError, UsageError
from clearweights.frameworks import PROFILES, AuditSubject, Declarations
from clearweights.frameworks._memo import evaluate
from clearweights.inventory import Inventory, build_inventory, placed_files, with_components
from clearweights.inventory._shapes import Shape, recall, shape_key
from clearweights.licenses import identify_name
from clearweights.licenses.model import Licence
from clearweights.lineage import inherit, trace
from clearweights.progress import Progress, Silent
from clearweights.release.model import Release, Skipped
from clearweights.sources import open_release
from clearweights.weights import PICKLE_SUFFIXES, read_header, scan_release_file
from clearweights.weights.model import PickleScan, WeightsHeader

NO_DECLARATIONS = Declarations()
HEADER_SUFFIXES = {".safetensors", ".gguf"}
WEIGHT_KINDS = (MofComponent.MODEL_PARAMETERS_FINAL, MofComponent.MODEL_PARAMETERS_INTERMEDIATE)
# Stands for the weights of a card-only or metadata-only release while licences are assigned.
ABSENT_WEIGHTS = "model.safetensors"

__all__ = [
    "PROFILES",
    "AuditReport",
    "Declarations",
    "Finding",
    "Obligation",
    "ReleaseAudit",
    "Severity",
    "audit",
    "audit_collected",
    "audit_release",
]


def _weights(
    release: Release, inventory: Inventory, heads: Heads | None = None
) -> tuple[tuple[WeightsHeader, ...], tuple[PickleScan, ...]]:
    placed = [p for k in WEIGHT_KINDS if (c := inventory.components.get(k)) for p in c.paths]
    by_path = {f.path: f for f in release.files} if placed else {}
    headers: list[WeightsHeader] = []
    weights: set[str] = set()
    for kind in WEIGHT_KINDS:
        component = inventory.components.get(kind)
        for path in component.paths if component else ():
            entry = by_path.get(path)
            if entry is not None and PurePosixPath(path).suffix.lower() in HEADER_SUFFIXES:
                headers.append(read_header(Path(entry.absolute), path))
            weights.add(path)
    pickles: list[PickleScan] = []
    for entry in release.files:  # any file may be or hold a pickle, whatever its name
        if not entry.absolute:  # listed only (a Hub row): nothing to read
            continue
        dot = entry.path.rfind(".")  # no path object per file: this loop sees every file
        named = entry.path.rfind("/") + 1 < dot < len(entry.path) - 1
        suffix = entry.path[dot:].lower() if named else ""
        if suffix not in HEADER_SUFFIXES:
            expected = entry.path in weights and suffix in PICKLE_SUFFIXES
            kept = heads.get(entry.absolute, Heads.SIZE) if heads is not None else None
            scan = scan_release_file(
                entry.absolute, entry.path, expected=expected, head=kept[0] if kept else None
            )
            if scan is not None:
                pickles.append(scan)
    return tuple(headers), tuple(pickles)


def _inventory(
    release: Release, config: Mapping[str, Any], heads: Heads | None = None
) -> tuple[Inventory, bool]:
    """The release's inventory, and whether its weights are absent (card or metadata only).

    A release whose files are only listed (a Hub metadata row) is placed once per shape of
    what placing reads (see ``inventory._shapes``).
    """
    if release.kind == "mof-file":
        with paused():
            return build_inventory(release, config, heads=heads), False
    key = shape_key(release, config, heads)
    if key is None:  # files with content: placed afresh, nothing kept
        shape = _shape(release, config, heads)
        return shape.inventory(release, kept=False), shape.weights_absent
    shape = recall(key, lambda: _shape(release, config, heads))
    return shape.inventory(release), shape.weights_absent


def _shape(release: Release, config: Mapping[str, Any], heads: Heads | None) -> Shape:
    """The release's placed files, with a stand-in for weights it does not hold.

    A card's ``license`` is the licence of the whole repository, weights included, so weights
    that were not downloaded still get the licence the card and licence files give them: the
    inventory licenses a stand-in weight file, whose path is then dropped.
    """
    with paused():  # bounded reads only (never a pickle scan): see clearweights._gc
        inventory = placed_files(release, config, heads=heads)
    parts = (inventory.licence_files, inventory.card_licences, inventory.unassigned)
    if any(k in inventory.components for k in WEIGHT_KINDS):
        return Shape(tuple(inventory.components.items()), *parts, inventory.card_source, False)
    weights = inventory.place(
        ABSENT_WEIGHTS,
        MofComponent.MODEL_PARAMETERS_FINAL,
        "weights not present: the licence the repository declares for them",
    )
    absent = replace(
        weights, paths=(), licence_source=f"{weights.licence_source}; weights not present"
    )
    components = dict(inventory.components)
    components[MofComponent.MODEL_PARAMETERS_FINAL] = absent
    ordered = sorted(components.items(), key=lambda kv: kv[0].spec.cid)
    return Shape(tuple(ordered), *parts, inventory.card_source, True)


def _config(release: Release) -> tuple[dict[str, Any], Skipped | None]:
    """The release's config.json (at most 1 MiB), or an empty mapping and why it was not read."""
    entry = next((f for f in release.files if f.path == "config.json"), None)
    if entry is None:
        return {}, None
    if entry.size > MAX_CONFIG_BYTES:
        return {}, Skipped(entry.path, f"config.json not read: over {MAX_CONFIG_BYTES} bytes")
    try:
        config = read_json(entry.absolute, MAX_CONFIG_BYTES)
    except (OSError, ValueError) as exc:
        return {}, Skipped(entry.path, f"config.json not read: {exc}")
    if not isinstance(config, dict):
        return {}, Skipped(entry.path, "config.json not read: not a JSON object")
    return config, None


def _architecture(config: dict[str, Any]) -> str | None:
    names = config.get("architectures")
    if isinstance(names, list) and names:
        return str(names[0])
    return str(config["model_type"]) if "model_type" in config else None


def _settings(config: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """Scalar settings of config.json (layers, hidden size, vocabulary, ...)."""
    return tuple(
        (str(k), str(v))
        for k, v in sorted(config.items())
        if isinstance(v, int | float | str) and not isinstance(v, bool)
    )


def _text_licences(release: Release, inventory: Inventory) -> tuple[Licence, ...]:
    if release.kind == "mof-file":
        glob = release.metadata.get("license") or {}
        names = [v.get("name") for v in glob.values() if isinstance(v, dict) and v.get("name")]
        return tuple(m.licence for n in names if (m := identify_name(str(n))) is not None)
    top = [lf for lf in inventory.licence_files if "/" not in lf.path]
    return tuple(dict.fromkeys(lic for lf in top for lic in lf.licences))


def audit_release(
    location: str,
    *,
    profiles: Sequence[str] = PROFILES,
    mof_mode: str = "strict",
    declarations: Declarations = NO_DECLARATIONS,
    download: bool = False,
    bases: Mapping[str, str] | None = None,
    revision: str | None = None,
    heads: Heads | None = None,
) -> ReleaseAudit:
    """Audit one release; a release that cannot be read gives an audit with ``error`` set.

    *bases* maps base-model repo ids (or ``"*"``) to local copies for lineage; *revision*
    picks a Hub repo id's branch, tag or commit; *heads* keeps the files' first bytes for a
    caller that reads them after (a BOM hashes small files from them).
    """
    heads = heads if heads is not None else Heads()  # each file opened once, while listed
    try:
        release = open_release(location, download=download, revision=revision, heads=heads)
    except ClearweightsError as exc:
        hint = f" ({exc.hint})" if exc.hint else ""
        return ReleaseAudit(location, None, error=exc.message + hint)
    return audit_collected(
        release, location, profiles=profiles, mof_mode=mof_mode,
        declarations=declarations, bases=bases, heads=heads,
    )  # fmt: skip


def audit_collected(
    release: Release,
    location: str,
    *,
    profiles: Sequence[str] = PROFILES,
    mof_mode: str = "strict",
    declarations: Declarations = NO_DECLARATIONS,
    bases: Mapping[str, str] | None = None,
    heads: Heads | None = None,
) -> ReleaseAudit:
    """Audit a release already read by a source (a directory, a cache snapshot, a Hub row);
    *heads*: the first bytes of its files, kept as the source listed them."""
    config, unread = _config(release) if release.kind != "mof-file" else ({}, None)
    inventory, weights_absent = _inventory(release, config, heads)  # config.json parsed once
    lineage = trace(release, inventory, bases=bases)
    inventory = with_components(inventory, inherit(inventory.components, lineage))
    headers, pickles = _weights(release, inventory, heads)
    headers += release.remote_headers  # a Hub row's safetensors headers, read by range requests
    if unread is not None:  # named in the report (REL-SKIPPED), the rest is still audited
        release = _with_skipped(release, unread)
    subject = _built(
        AuditSubject,
        release=release,
        components=inventory.components,
        declarations=declarations,
        card_licences=inventory.card_licences,
        text_licences=_text_licences(release, inventory),
        weights=headers,
        pickles=pickles,
        architecture=_architecture(config),
        weights_absent=weights_absent,
    )
    results = evaluate(subject, profiles, mof_mode)  # once per distinct subject (see _memo)
    notices = tuple(
        f.path for f in release.files if f.path.rpartition("/")[2].upper().startswith("NOTICE")
    )
    components = tuple(inventory.components.values())
    return _built(
        ReleaseAudit,
        path=location,
        release=release,
        components=components,
        profiles=results,
        findings=by_severity(
            find(subject, results, inventory.licence_files) + lineage_findings(lineage)
        ),
        obligations=obligations(components, notices, lineage),
        weights=headers,
        pickles=pickles,
        unassigned=inventory.unassigned,
        licence_files=inventory.licence_files,
        skipped=release.skipped,
        architecture=subject.architecture,
        settings=_settings(config),
        error=None,
        lineage=lineage,
    )


_T = TypeVar("_T")
# Every field of each, given where they are built below.
_BUILT: dict[type, frozenset[str]] = {
    AuditSubject: frozenset(
        ("release", "components", "declarations", "card_licences", "text_licences", "weights",
         "pickles", "architecture", "weights_absent")
    ),
    ReleaseAudit: frozenset(
        ("path", "release", "components", "profiles", "findings", "obligations", "weights",
         "pickles", "unassigned", "licence_files", "skipped", "architecture", "settings",
         "error", "lineage")
    ),
}  # fmt: skip
assert all(_BUILT[c] == {f.name for f in fields(c)} for c in _BUILT)


def _built(cls: type[_T], **values: Any) -> _T:
    """A frozen dataclass of *cls* with every field of ``_BUILT[cls]`` given, set field by
    field: its ``__init__`` costs three times as much, twice for each release of a bulk scan."""
    made: _T = object.__new__(cls)
    made.__dict__.update(values)
    return made


def _with_skipped(release: Release, skipped: Skipped) -> Release:
    """*release* with one more file it could not use, copied field by field
    (``dataclasses.replace`` costs three times as much: a Hub row lists config.json unread)."""
    copy: Release = object.__new__(Release)
    copy.__dict__.update(release.__dict__)
    copy.__dict__["skipped"] = (*release.skipped, skipped)
    return copy


def audit(
    locations: Sequence[str],
    *,
    profiles: Sequence[str] = PROFILES,
    mof_mode: str = "strict",
    declarations: Declarations = NO_DECLARATIONS,
    download: bool = False,
    progress: Progress | None = None,
    bases: Mapping[str, str] | None = None,
    revision: str | None = None,
) -> AuditReport:
    """Audit every release in *locations* (directories, Hub repo ids or MOF YAML files)."""
    unknown = [p for p in profiles if p not in PROFILES]
    if unknown:
        raise UsageError(f"unknown profile {unknown[0]!r}; choose from {', '.join(PROFILES)}")
    observer = progress or Silent()
    observer.start(len(locations), "auditing")
    audits = []
    for location in locations:
        audits.append(
            audit_release(
                location,
                profiles=profiles,
                mof_mode=mof_mode,
                declarations=declarations,
                download=download,
                bases=bases,
                revision=revision,
            )
        )
        observer.advance(location)
    observer.finish()
    return AuditReport(tuple(audits))
