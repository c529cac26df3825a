"""Place every file of a release in one MOF component, with the reason and its licence.

Licence of a file, in order: an ``SPDX-License-Identifier`` header in the file itself, the
licence files nearest above it that cover its kind (see :mod:`.licence_files`: a weights
licence such as ``MODEL_LICENSE`` for weights, a code licence such as ``LICENSE-CODE`` for
code, a plain ``LICENSE`` for both), then the model card's ``license`` metadata for the
model's own files. Every licence file is read and listed, whether or not it licenses a file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import dataclass, field

from clearweights._untrusted import (
    MAX_CONFIG_BYTES,
    Heads,
    UntrustedInputError,
    read_head,
    read_json,
)
from clearweights.components import Component, MofComponent
from clearweights.inventory.external import external
from clearweights.inventory.licence_files import (
    LicenceFile,
    LicenceIndex,
    Role,
    licence_role,
    read_licence_files,
)
from clearweights.inventory.rules import (
    CODE_SUFFIXES,
    RULES,
    WEIGHT_SUFFIXES,
    Rule,
    assign,
    model_names,
)
from clearweights.licenses import MatchKind, identify, identify_name
from clearweights.licenses._catalogue import load
from clearweights.licenses._expression import LicenceExpression, all_of, expression_in
from clearweights.licenses._expression import expression_tree as parse_expression_tree
from clearweights.licenses.model import Licence
from clearweights.release.model import Release, ReleaseFile

M = MofComponent
_HEADER_BYTES = 4096
_CODE_BYTES = 32768  # enough to see a module's class definitions, bounded for huge files

__all__ = [
    "CARD_LICENSED",
    "RULES",
    "WEIGHT_SUFFIXES",
    "Inventory",
    "LicenceFile",
    "Role",
    "Rule",
    "assign",
    "build_inventory",
    "card_licences",
    "licence_role",
    "placed_files",
    "with_components",
    "with_external",
]


@dataclass
class _Draft:
    paths: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    licences: dict[str, Licence] = field(default_factory=dict)
    sources: dict[str, None] = field(default_factory=dict)  # ordered, O(1) membership
    unlicensed: bool = False
    expressions: list[LicenceExpression | None] = field(default_factory=list)


@dataclass(frozen=True)
class Inventory:
    """Components, the licence files read, and what could not be placed."""

    components: dict[MofComponent, Component]
    licence_files: tuple[LicenceFile, ...]
    card_licences: tuple[Licence, ...]
    unassigned: tuple[str, ...]
    index: LicenceIndex | None = field(default=None, repr=False, compare=False)
    card_source: str = "model card license metadata"

    def place(self, path: str, kind: MofComponent, reason: str) -> Component:
        """A component of one file not in the release (weights not downloaded), licensed as
        a file at *path* would be: by the licence files above it, else the card."""
        draft = _Draft(paths=[path], reasons=[reason])
        index = self.index or LicenceIndex(())
        _license(draft, path, kind, None, index, self.card_licences, self.card_source)
        return _finish(kind, draft)


def card_licences(release: Release) -> tuple[Licence, ...]:
    """The licences the model card declares (``license``, else ``license_name`` or link)."""
    card = release.card
    if card is None:
        return ()
    declared = (
        card.license if isinstance(card.license, list) else [card.license] if card.license else []
    )
    found: list[Licence] = []
    for value in declared:
        if value in ("other", "unknown"):
            continue
        # "MIT AND CC-BY-NC-4.0" must keep both; an OR is read as AND here (never more open).
        expression = _declared_expression(str(value))
        found.extend(expression.licences if expression else ())
    if not found and card.license_name:
        expression = _declared_expression(card.license_name)
        found.extend(expression.licences if expression else ())
    return tuple({lic.id: lic for lic in found}.values())


# The model's own files, which the card's ``license`` field covers when no LICENSE file does.
CARD_LICENSED = frozenset(
    k for k in MofComponent if k.spec.content_type in ("data", "document") and k is not M.DATASETS
) | {M.MODEL_ARCHITECTURE}


def _read_head(f: ReleaseFile, size: int, heads: Heads | None) -> str | None:
    kept = heads.get(f.absolute, size) if heads is not None else None
    try:
        data = kept[0] if kept is not None else read_head(f.absolute, size)[0]
    except (OSError, UntrustedInputError):
        return None
    return data.decode("utf-8", errors="replace")


def _header_licences(head: str | None) -> LicenceExpression | None:
    if head is None:
        return None
    head = head[:_HEADER_BYTES]
    if "SPDX-License-Identifier" not in head and "icensed under" not in head:
        return None
    found = [
        m.licence for m in identify(head).licences if m.match in (MatchKind.NOTICE, MatchKind.ALIAS)
    ]
    return expression_in(head, found, load()) if found else None


def _names(release: Release, config: Mapping[str, object] | None) -> frozenset[str]:
    """Words naming the model: the release, config.json's model type and architecture.

    *config* is config.json as the caller already parsed it; read here only when not given.
    """
    if config is None:
        config = {}
        entry = next((f for f in release.files if f.path == "config.json"), None)
        if entry is not None and entry.absolute:
            try:
                loaded = read_json(entry.absolute, MAX_CONFIG_BYTES)
                config = loaded if isinstance(loaded, dict) else {}
            except (OSError, UntrustedInputError):
                config = {}
    archs = config.get("architectures")
    first = archs[0] if isinstance(archs, list) and archs and isinstance(archs[0], str) else None
    model_type = config.get("model_type")
    return model_names(release.name, model_type if isinstance(model_type, str) else None, first)


def build_inventory(
    release: Release, config: Mapping[str, object] | None = None, *, heads: Heads | None = None
) -> Inventory:
    """Place the release's files (or declared components) in MOF components.

    *config* is the release's parsed config.json when the caller has read it already; *heads*
    the first bytes of its files, when its source kept them (read here otherwise).
    """
    if release.kind == "mof-file":
        return _declared(release)
    return with_external(release, placed_files(release, config, heads=heads))


def with_external(
    release: Release,
    inventory: Inventory,
    found: Mapping[MofComponent, Component] | None = None,
) -> Inventory:
    """*inventory* (of :func:`placed_files`) with the components its card links to (*found*:
    those, when the caller has them)."""
    found = external(release, inventory.components) if found is None else found
    if not found:
        return inventory
    components = {**inventory.components, **found}
    ordered = dict(sorted(components.items(), key=lambda kv: kv[0].spec.cid))
    return with_components(inventory, ordered)


def with_components(inventory: Inventory, components: dict[MofComponent, Component]) -> Inventory:
    """*inventory* with *components*, copied field by field (``dataclasses.replace`` costs
    three times as much, and this runs for every release of a bulk scan)."""
    copy: Inventory = object.__new__(Inventory)
    copy.__dict__.update(inventory.__dict__)
    copy.__dict__["components"] = components
    return copy


def placed_files(
    release: Release, config: Mapping[str, object] | None = None, *, heads: Heads | None = None
) -> Inventory:
    """The components of the release's own files (not of a MOF file), without those its
    card only links to (:func:`with_external` adds them).

    Card-only releases are placed once per shape: whatever this reads of a release must be
    in ``_shapes.shape_key`` too.
    """
    index = LicenceIndex(read_licence_files(release.files, heads))
    declared = card_licences(release)
    names = _names(release, config)
    card_source = f"{release.card.path if release.card else 'model card'} license metadata"
    drafts: dict[MofComponent, _Draft] = {}
    unassigned: list[str] = []
    licence_paths = {lf.path for lf in index.files}
    for f in release.files:
        if f.path in licence_paths:
            continue
        name = f.path.rpartition("/")[2]  # as PurePosixPath(f.path).suffix, without the object
        dot = name.rfind(".")
        suffix = name[dot:].lower() if 0 < dot < len(name) - 1 else ""
        head = (
            _read_head(f, _CODE_BYTES if suffix == ".py" else _HEADER_BYTES, heads)
            if (suffix in CODE_SUFFIXES)
            else None
        )
        placed = assign(f.path, names=names, code=head)
        if placed is None:
            unassigned.append(f.path)
            continue
        kind, reason = placed
        draft = drafts.setdefault(kind, _Draft())
        draft.paths.append(f.path)
        if reason not in draft.reasons:
            draft.reasons.append(reason)
        _license(draft, f.path, kind, _header_licences(head), index, declared, card_source)
    if release.card is not None and release.card.model_index and M.EVALUATION_RESULTS not in drafts:
        draft = drafts.setdefault(M.EVALUATION_RESULTS, _Draft())
        draft.paths.append(f"{release.card.path}#model-index")
        draft.reasons.append("model-index results in the model card")
        card_draft = drafts.get(M.MODEL_CARD, _Draft())
        for lic in card_draft.licences.values():
            draft.licences[lic.id] = lic
        draft.expressions.extend(card_draft.expressions)
        draft.unlicensed = card_draft.unlicensed  # never more open than the card it comes from
        _source(draft, "as the model card")
    components = {kind: _finish(kind, d) for kind, d in drafts.items()}
    return Inventory(
        components=dict(sorted(components.items(), key=lambda kv: kv[0].spec.cid)),
        licence_files=index.files,
        card_licences=declared,
        unassigned=tuple(unassigned),
        index=index,
        card_source=card_source,
    )


def _license(
    draft: _Draft,
    path: str,
    kind: MofComponent,
    header: LicenceExpression | None,
    index: LicenceIndex,
    declared: tuple[Licence, ...],
    card_source: str,
) -> None:
    """Give one file's licence to its component's draft."""
    if header:
        for lic in header.licences:
            draft.licences[lic.id] = lic
        draft.expressions.append(header)
        _source(draft, f"{path} header")
        return
    chosen = index.select(path, kind)
    sources, licences, expression = index.given(chosen, _given)
    for source in sources:
        _source(draft, source)
    if any(lf.error for lf in chosen):
        # Whatever the unreadable file says applies too, and the card cannot speak for it.
        draft.unlicensed = True
    elif licences:
        for lic in licences:
            draft.licences[lic.id] = lic
        if not draft.expressions or draft.expressions[-1] is not expression:
            draft.expressions.append(expression)  # a run of one expression is one term
    elif (
        declared and kind in CARD_LICENSED and not any(lf.role is not Role.GENERAL for lf in chosen)
    ):
        # The card speaks for files no licence text covers, or whose plain LICENSE is empty;
        # never over a file written for them (an unreadable MODEL_LICENSE.pdf): that stays
        # unknown rather than open.
        for lic in declared:
            draft.licences[lic.id] = lic
        draft.expressions.append(all_of(declared))
        _source(draft, card_source)
    else:
        draft.unlicensed = True


def _given(
    chosen: tuple[LicenceFile, ...],
) -> tuple[tuple[str, ...], tuple[Licence, ...], LicenceExpression | None]:
    """What the licence files *chosen* for a file give it: the sources to name, the licences
    and how they combine (computed once per set of files, see ``LicenceIndex.given``)."""
    sources = tuple(
        f"{lf.path} (cannot be read: {lf.error})"
        if lf.error
        else lf.path
        if lf.licences
        else f"{lf.path} (no licence identified)"
        for lf in chosen
    )
    licences = tuple(lic for lf in chosen for lic in lf.licences)
    parts = [lf.expression or all_of(lf.licences) for lf in chosen if lf.licences]
    one = parts[0] if len(parts) == 1 else None
    # One licence (a folder's own copy of one LICENSE) is its own AND: no join to build.
    expression = one if one is not None and one.licence is not None else all_of(parts)
    return sources, licences, expression


def _source(draft: _Draft, source: str) -> None:
    draft.sources.setdefault(source, None)


def _sources(draft: _Draft, shown: int = 5) -> str:
    """Where the licences came from; a long run of file headers is counted, not listed."""
    headers = [s for s in draft.sources if s.endswith(" header")]
    if len(headers) <= shown:
        return "; ".join(draft.sources)
    hidden = set(headers[shown:])
    kept = [s for s in draft.sources if s not in hidden]
    return "; ".join([*kept, f"{len(hidden)} more file headers"])


def _finish(kind: MofComponent, draft: _Draft) -> Component:
    licences = tuple(draft.licences.values())
    expression = all_of(draft.expressions) or all_of(licences)
    # A component with some unlicensed files is only as open as its least licensed part.
    name = None if draft.unlicensed and not licences else str(expression) if expression else None
    if draft.unlicensed and licences:
        _source(draft, "some files have no licence")
    return Component(
        kind=kind,
        paths=tuple(draft.paths),
        licence_name=None if draft.unlicensed else name,
        licences=() if draft.unlicensed else licences,
        licence_source=_sources(draft) or "no licence found",
        reason="; ".join(draft.reasons),
        expression=None if draft.unlicensed else expression,
    )


def _declared(release: Release) -> Inventory:
    components: dict[MofComponent, Component] = {}
    for d in release.declared:
        kind = MofComponent.by_name(d.name)
        if kind is None:
            continue
        expression = _declared_expression(d.licence) if d.licence else None
        components[kind] = Component(
            kind=kind,
            paths=(d.path,) if d.path else (),
            licence_name=d.licence,
            licences=expression.licences if expression else (),
            expression=expression,
            licence_source=d.licence_source,
            reason="declared in the MOF release file",
            external=bool(d.path) and "://" in d.path,
        )
    return Inventory(components, (), (), ())


# Declared licence texts already read (a scan meets a few hundred: "apache-2.0", "mit", ...),
# each with its expression, which is immutable; bounded, and off while MEMO[0] is false.
MEMO = [True]
_MAX_DECLARED = 2048
_declared_memo: dict[str, LicenceExpression | None] = {}


def _declared_expression(name: str) -> LicenceExpression | None:
    """A declared licence: an SPDX expression keeps its AND / OR, a name is one licence."""
    if not MEMO[0] or type(name) is not str:
        return _declared_afresh(name)
    try:
        return _declared_memo[name]
    except KeyError:
        found = _declared_memo[name] = _declared_afresh(name)
        if len(_declared_memo) > _MAX_DECLARED:
            with suppress(KeyError, RuntimeError, StopIteration):
                del _declared_memo[next(iter(_declared_memo))]  # the first kept
        return found


def _declared_afresh(name: str) -> LicenceExpression | None:
    if re.search(r"\s(?:AND|OR|WITH)\s", name):
        parsed = parse_expression_tree(name, load())
        if parsed is not None:
            return parsed
    match = identify_name(name)
    return all_of([match.licence]) if match else None
