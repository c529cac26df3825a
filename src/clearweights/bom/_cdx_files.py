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

from clearweights.bom._jsontext import Raw, template
from clearweights.bom._sampled import placed, reduce_dependencies, repeated
from clearweights.bom.subject import BomSubject
from clearweights.bom.validate import Problem, cyclonedx_definitions, validate_cyclonedx
from clearweights.licenses import LicenceExpression

# Stand-ins for a file's values in its component's template (its path, hash, size and MOF
# component); no real value holds a NUL.
_SLOTS = tuple(f"\0slot{i}\0" for i in range(4))
_STRING = json.encoder.encode_basestring  # as the indenter writes strings


@dataclass(frozen=True)
class Written:
    """What :func:`add_files` put into the document, for :func:`check`: the items the schema
    sees (the library's, and each shape's first file read back from its text), each with its
    index in the whole list, and every file's values."""

    components: tuple[tuple[int, Any], ...]
    dependencies: tuple[tuple[int, Any], ...]
    start: int  # the index of the first file component
    names: tuple[str, ...]  # per file, in order
    hashes: tuple[str, ...]


# Between two items of a list at the document's second level (``components``,
# ``dependencies``), as the indenter writes them: the files are one text each list.
_SEPARATOR = ",\n    "


def add_files(doc: dict[str, Any], subject: BomSubject, spec_version: str) -> Written:
    """Write the file components (after the library's) and their dependency entries into
    *doc*, as :class:`Raw` text."""
    owners: dict[str, Any] = {}  # the first component holding each file: one lookup per file
    for c in subject.components:
        for p in c.paths:
            owners.setdefault(p, c)
    expressions = {id(c): c.licence_expression for c in subject.components}
    shown = {id(c): str(c.licence_expression or "") for c in subject.components}
    kinds: dict[Any, str] = {None: ""}
    templates: dict[tuple[str, bool], str] = {}
    library = doc.get("components", [])
    seen = list(enumerate(library))
    texts: list[str] = []
    inners: list[str] = []  # each path as it is escaped inside a JSON string
    ordered = sorted(subject.files, key=lambda f: f.path)
    component_of = subject.component_of
    for f in ordered:
        kind = component_of.get(f.path)
        owner = id(owners.get(f.path))
        key = (shown.get(owner, ""), kind is not None)
        form = templates.get(key)
        if kind is not None and kind not in kinds:
            kinds[kind] = _STRING(kind.spec.name)[1:-1]
        inner = _STRING(f.path)[1:-1]
        first = form is None
        if form is None:
            licences = _licence_json(expressions.get(owner), spec_version)
            form = templates[key] = _file_template(licences, key[1])
        text = form.format(inner, f.sha256, f.size, kinds[kind])
        if first:  # the first of its shape, as the schema will see it
            seen.append((len(library) + len(texts), json.loads(text)))
        texts.append(text)
        inners.append(inner)
    if texts:
        doc["components"] = [*library, Raw(_SEPARATOR.join(texts))]  # the library's first
    entries = _add_dependencies(doc, [f"file:{f.path}" for f in ordered], inners)
    names, hashes = tuple(f.path for f in ordered), tuple(f.sha256 for f in ordered)
    return Written(tuple(seen), entries, len(library), names, hashes)


def _add_dependencies(
    doc: dict[str, Any], refs: list[str], inners: list[str]
) -> tuple[tuple[int, Any], ...]:
    """The model depends on every file; each file gets its plain entry; all sorted by ref.

    Returns the entries the schema sees: the library's, and the first plain one read back.
    """
    model_ref = doc["metadata"]["component"]["bom-ref"]
    dependencies: list[Any] = doc.setdefault("dependencies", [])
    model_entry = next((d for d in dependencies if d.get("ref") == model_ref), None)
    if model_entry is None:
        model_entry = {"ref": model_ref}
        dependencies.append(model_entry)
    model_entry["dependsOn"] = sorted([*model_entry.get("dependsOn", []), *refs])
    plain = _template({"ref": "file:" + _SLOTS[0]})
    keyed: list[tuple[str, Any]] = [(str(d["ref"]), d) for d in dependencies]
    keyed += [(ref, plain.format(inner)) for ref, inner in zip(refs, inners, strict=True)]
    keyed.sort(key=lambda pair: pair[0])  # stable: as sorting the entries by their ref
    out: list[Any] = []
    seen: list[tuple[int, Any]] = []
    run: list[str] = []  # plain entries in a row, written as one text
    first_plain = True
    for i, (_, entry) in enumerate(keyed):
        if type(entry) is str:
            if first_plain:  # the schema sees the first plain entry, read back
                seen.append((i, json.loads(entry)))
                first_plain = False
            run.append(entry)
            continue
        if run:
            out.append(Raw(_SEPARATOR.join(run)))
            run = []
        out.append(entry)
        seen.append((i, entry))
    if run:
        out.append(Raw(_SEPARATOR.join(run)))
    doc["dependencies"] = out
    return tuple(seen)


def check(doc: dict[str, Any], written: Written) -> list[Problem]:
    """The CycloneDX schema over *doc* as :func:`add_files` left it, each file shape once.

    A file component's text is its shape's template filled with JSON string contents, so it
    parses to the first of its shape with other strings in the name, ``bom-ref``, hash and
    size: those leaves are checked here, the rest by the schema on the first. Every ref must
    be unique.
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
    entries = [entry for _, entry in written.dependencies]
    reduced, cut_at, more = reduce_dependencies(entries)
    origins = {
        "components": [i for i, _ in written.components],
        "dependencies": [written.dependencies[j][0] for j in cut_at],
    }
    sample = {**doc, "components": [c for _, c in written.components], "dependencies": reduced}
    found = placed(validate_cyclonedx(sample), origins)
    files = [f"file:{name}" for name in written.names]
    refs = [c.get("bom-ref") for c in doc["components"][: written.start]] + files
    entry_refs = [e["ref"] for e in doc["dependencies"] if type(e) is dict] + files
    unique = repeated(refs, "$.components[*].bom-ref")
    unique += repeated(entry_refs, "$.dependencies[*].ref")
    return found + problems + more + unique


def _template(entry: dict[str, Any]) -> str:
    """*entry* written at its place (an item of a list at the second level) as a
    ``str.format`` template: each slot's text inside a JSON string becomes ``{i}``, to be
    filled with a value as it is escaped inside a JSON string."""
    text = template(entry, 2, ())
    for i, slot in enumerate(_SLOTS):
        text = text.replace(_STRING(slot)[1:-1], "{" + str(i) + "}")
    return text


def _file_template(licences: list[Any], has_kind: bool) -> str:
    """A file component of one shape at its place in the document (``components[i]``)."""
    name, sha, size, kind = _SLOTS
    properties = [{"name": "clearweights:mof-component", "value": kind}] if has_kind else []
    properties.append({"name": "clearweights:size", "value": size})
    entry: dict[str, Any] = {
        "type": "file",
        "name": name,
        "bom-ref": "file:" + name,
        "hashes": [{"alg": "SHA-256", "content": sha}],
        "properties": properties,
    }
    if licences:
        entry["licenses"] = licences
    return _template(entry)


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
