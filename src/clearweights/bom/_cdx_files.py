"""The file components of a CycloneDX BOM, written as text, and their validation.

The library keeps components in sorted sets compared field by field and merges the
dependency graph per component: minutes for 50,000 files. Files are plain records of one of
a few shapes (their licence, whether they have a MOF component), so each shape is written
once as a template (:func:`~clearweights.bom._jsontext.template`, the same text as the
indenter writes) and filled per file with its quoted name, hash and size. The library's own
way (``build(..., direct=False)``) gives the same bytes; a test holds them to it.

The document is validated as written without being read back: the schema walks it with
each shape's first file component parsed from its own text, and every other file is checked
on the values its template was filled with (see :mod:`clearweights.bom._sampled`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from clearweights.bom._jsontext import Raw, quoted, template
from clearweights.bom._sampled import placed, reduce_dependencies, repeated
from clearweights.bom.subject import BomSubject
from clearweights.bom.validate import Problem, cyclonedx_definitions, validate_cyclonedx
from clearweights.licenses import LicenceExpression

# Stand-ins for a file's values in its component's template; no real value holds a NUL.
_SLOTS = tuple(f"\0slot{i}\0" for i in range(5))


@dataclass(frozen=True)
class Written:
    """What :func:`add_files` put into the document, for :func:`check`."""

    start: int  # the index of the first file component in ``components``
    firsts: frozenset[int]  # the index of each shape's first file component
    names: tuple[str, ...]  # per file, in order
    hashes: tuple[str, ...]


def add_files(doc: dict[str, Any], subject: BomSubject, spec_version: str) -> Written:
    """Write the file components (after the library's) and their dependency entries into
    *doc*, as :class:`Raw` text."""
    owners: dict[str, Any] = {}  # the first component holding each file: one lookup per file
    for c in subject.components:
        for p in c.paths:
            owners.setdefault(p, c)
    expressions = {id(c): c.licence_expression for c in subject.components}
    shown = {id(c): str(c.licence_expression or "") for c in subject.components}
    kinds: dict[Any, str] = {}
    templates: dict[tuple[str, bool], str] = {}
    start = len(doc.get("components", []))
    files: list[Raw] = []
    firsts: set[int] = set()
    quoted_refs: list[str] = []
    ordered = sorted(subject.files, key=lambda f: f.path)
    for i, f in enumerate(ordered):
        kind = subject.component_of.get(f.path)
        owner = id(owners.get(f.path))
        key = (shown.get(owner, ""), kind is not None)
        if key not in templates:
            licences = _licence_json(expressions.get(owner), spec_version)
            templates[key] = _file_template(licences, key[1])
            firsts.add(start + i)
        name = quoted(f.path)
        ref = '"file:' + name[1:]  # quoted("file:" + path): the prefix needs no escape
        values = [name, ref, f'"{f.sha256}"', f'"{f.size}"']  # hex and digits: no escape
        if kind is not None:
            if kind not in kinds:
                kinds[kind] = quoted(kind.spec.name)
            values.append(kinds[kind])
        files.append(Raw(templates[key].format(*values)))
        quoted_refs.append(ref)
    doc["components"] = doc.get("components", []) + files  # the library puts data first
    _add_dependencies(doc, [f"file:{f.path}" for f in ordered], quoted_refs)
    return Written(
        start, frozenset(firsts), tuple(f.path for f in ordered), tuple(f.sha256 for f in ordered)
    )


def _add_dependencies(doc: dict[str, Any], refs: list[str], quoted_refs: list[str]) -> None:
    """The model depends on every file; each file gets its plain entry; all sorted by ref."""
    model_ref = doc["metadata"]["component"]["bom-ref"]
    dependencies: list[Any] = doc.setdefault("dependencies", [])
    model_entry = next((d for d in dependencies if d.get("ref") == model_ref), None)
    if model_entry is None:
        model_entry = {"ref": model_ref}
        dependencies.append(model_entry)
    model_entry["dependsOn"] = sorted([*model_entry.get("dependsOn", []), *refs])
    # The template with its braces undoubled, cut where the ref goes.
    head, tail = template({"ref": _SLOTS[0]}, 2, _SLOTS[:1]).format("{0}").split("{0}")
    keyed = [(str(d["ref"]), d) for d in dependencies]
    keyed += [(ref, Raw(head + q + tail)) for ref, q in zip(refs, quoted_refs, strict=True)]
    keyed.sort(key=lambda pair: pair[0])  # stable: as sorting the entries by their ref
    doc["dependencies"] = [entry for _, entry in keyed]


def check(doc: dict[str, Any], written: Written) -> list[Problem]:
    """The CycloneDX schema over *doc* as :func:`add_files` left it, each file shape once.

    A file component's text is its shape's template filled with JSON strings, so it parses to
    the first of its shape with other strings in the name, ``bom-ref``, hash and size: those
    leaves are checked here, the rest by the schema on the first. Every ref must be unique.
    """
    definitions = cyclonedx_definitions(str(doc.get("specVersion", "")))
    if definitions is None:
        return validate_cyclonedx(doc)  # names the unsupported version
    hash_content = re.compile(definitions["hash-content"]["pattern"])
    problems: list[Problem] = []
    for i, (name, sha) in enumerate(zip(written.names, written.hashes, strict=True)):
        at = f"$.components[{written.start + i}]"
        if type(name) is not str:  # its bom-ref is "file:" + name: never empty
            problems.append(Problem(f"{at}.name", "is not of type 'string'"))
        if not hash_content.search(sha):
            problems.append(Problem(f"{at}.hashes[0].content", "does not match the pattern"))
    components: list[Any] = doc["components"]
    kept, origin = _sample(components, written.firsts)
    entries: list[Any] = doc["dependencies"]
    plain = next((frozenset({i}) for i, e in enumerate(entries) if type(e) is Raw), frozenset())
    shown, shown_at = _sample(entries, plain)
    reduced, cut_at, more = reduce_dependencies(shown)
    origins = {"components": origin, "dependencies": [shown_at[i] for i in cut_at]}
    found = placed(
        validate_cyclonedx({**doc, "components": kept, "dependencies": reduced}), origins
    )
    refs = [c.get("bom-ref") for c in components[: written.start]]
    refs += [f"file:{name}" for name in written.names]
    entry_refs = [e["ref"] for e in entries if type(e) is dict]
    entry_refs += [f"file:{name}" for name in written.names]
    unique = repeated(refs, "$.components[*].bom-ref")
    unique += repeated(entry_refs, "$.dependencies[*].ref")
    return found + problems + more + unique


def _sample(items: list[Any], parsed: frozenset[int]) -> tuple[list[Any], list[int]]:
    """*items* without their :class:`Raw` text except at *parsed*, which is read back; and
    the index of each item kept."""
    kept, origin = [], []
    for i, item in enumerate(items):
        if type(item) is Raw and i not in parsed:
            continue
        kept.append(json.loads(item.text) if type(item) is Raw else item)
        origin.append(i)
    return kept, origin


def _file_template(licences: list[Any], has_kind: bool) -> str:
    """A file component of one shape at its place in the document (``components[i]``)."""
    name, ref, sha, size, kind = _SLOTS
    properties = [{"name": "clearweights:mof-component", "value": kind}] if has_kind else []
    properties.append({"name": "clearweights:size", "value": size})
    entry: dict[str, Any] = {
        "type": "file",
        "name": name,
        "bom-ref": ref,
        "hashes": [{"alg": "SHA-256", "content": sha}],
        "properties": properties,
    }
    if licences:
        entry["licenses"] = licences
    return template(entry, 2, _SLOTS)


def _licence_json(expression: LicenceExpression | None, spec_version: str) -> list[Any]:
    """The CycloneDX JSON of one licence expression, as the library writes it."""
    from cyclonedx.model.bom import Bom
    from cyclonedx.model.component import Component, ComponentType
    from cyclonedx.output.json import JsonV1Dot6, JsonV1Dot7

    from clearweights.bom.cyclonedx import _licences

    licences = _licences(expression, "concluded")
    if not licences:
        return []
    probe = Component(type=ComponentType.FILE, name="probe", bom_ref="probe", licenses=licences)
    bom = Bom(components=[probe])
    writer = JsonV1Dot6(bom) if spec_version == "1.6" else JsonV1Dot7(bom)
    out: list[Any] = json.loads(writer.output_as_string())["components"][0]["licenses"]
    return out
