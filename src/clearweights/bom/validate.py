"""Offline validation of BOM files: CycloneDX schemas, the SPDX 3.0.1 schema, and the AI and
Dataset profile rules that neither the SPDX schema nor its SHACL model enforces."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from clearweights._untrusted import load_json, shorten

# Rules of the SPDX 3.0.1 AI and Dataset profiles (model/AI/AI.md, model/Dataset/Dataset.md):
# properties whose minimum count the profile raises to 1.
AI_REQUIRED = (
    "suppliedBy",
    "releaseTime",
    "software_downloadLocation",
    "software_packageVersion",
    "software_primaryPurpose",
)
DATASET_REQUIRED = (
    "builtTime",
    "releaseTime",
    "software_downloadLocation",
    "software_primaryPurpose",
)
LICENCE_RELATIONSHIPS = ("hasDeclaredLicense", "hasConcludedLicense")
_INDIVIDUALS = "https://spdx.org/rdf/3.0.1/terms/"
_IRI, _NODE_OR_IRI = "#/$defs/IRI", "#/$defs/BlankNodeOrIRI"
# Named individuals, as the JSON-LD context compacts them.
_COMPACT_INDIVIDUALS = {
    "expandedlicensing_NoAssertionLicense", "expandedlicensing_NoneLicense", "NoAssertionElement",
    "NoneElement", "SpdxOrganization",
}  # fmt: skip


@dataclass(frozen=True)
class Problem:
    """One validation failure: where in the document, and what is wrong."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def _json_path(parts: Any) -> str:
    out = "$"
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else f".{p}"
    return out


def kind_of(doc: Any) -> str | None:
    """``cyclonedx``, ``spdx3`` or ``None``."""
    if isinstance(doc, dict) and doc.get("bomFormat") == "CycloneDX":
        return "cyclonedx"
    if isinstance(doc, dict) and "@context" in doc and "@graph" in doc:
        return "spdx3"
    return None


def validate_cyclonedx(doc: dict[str, Any]) -> list[Problem]:
    """Validate against the CycloneDX schema of the document's own ``specVersion``."""
    version = str(doc.get("specVersion", ""))
    validator = _cyclonedx_validator(version)
    if validator is None:
        return [Problem("$.specVersion", f"unsupported CycloneDX version {version!r}")]
    problems = []
    for error in validator.iter_errors(doc):
        problems.append(Problem(_json_path(error.absolute_path), shorten(error.message)))
    return problems


def cyclonedx_definitions(version: str) -> dict[str, Any] | None:
    """The ``definitions`` of the CycloneDX schema of *version*, or ``None`` if unsupported."""
    validator = _cyclonedx_validator(version)
    return None if validator is None else dict(validator.schema["definitions"])


@lru_cache(maxsize=8)  # the version comes from the document: a bounded cache
def _cyclonedx_validator(version: str) -> Any:
    """The library's strict validator for *version* (``None`` if unsupported), built once: it
    reads and parses its schemas each time it is made."""
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    try:
        schema = SchemaVersion.from_version(version)
    except ValueError:
        return None
    return _linear(JsonStrictValidator(schema))


def _unique_items(validator: Any, unique: Any, instance: Any, schema: Any) -> Any:
    """``uniqueItems`` in linear time (jsonschema compares every pair of objects)."""
    import jsonschema

    if not unique or not validator.is_type(instance, "array"):
        return
    seen: set[str] = set()
    for item in instance:
        key = json.dumps(item, sort_keys=True)
        if key in seen:
            yield jsonschema.ValidationError(f"{shorten(key, 100)} is not unique in its array")
            return
        seen.add(key)


def _linear(library: Any) -> Any:
    """The CycloneDX library's strict validator, with ``uniqueItems`` checked in linear time."""
    import jsonschema

    # NOTE: cyclonedx-python-lib builds its validator (schema and registry) privately.
    inner = library._validator
    linear = jsonschema.validators.extend(type(inner), {"uniqueItems": _unique_items})  # type: ignore[no-untyped-call]
    return linear(inner.schema, registry=inner._registry, format_checker=inner.format_checker)


@cache
def _spdx_schema() -> dict[str, Any]:
    raw = resources.files("clearweights").joinpath("data/spdx-3.0.1/schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(raw)
    # A reference may be an IRI or an inline object of any subclass (``*_derived``). Trying the
    # IRI first lets the usual case (a string) stop at the first branch instead of checking it
    # against every class; anyOf does not depend on order, so validity is unchanged.
    for name, definition in schema["$defs"].items():
        options = definition.get("anyOf") if name.endswith("_derived") else None
        if isinstance(options, list):
            options.sort(key=lambda o: 0 if o.get("$ref") in (_IRI, _NODE_OR_IRI) else 1)
    return schema


@cache
def spdx_iri() -> re.Pattern[str]:
    """The SPDX 3.0.1 schema's ``IRI`` pattern."""
    return re.compile(_spdx_schema()["$defs"]["IRI"]["pattern"])


@cache
def _class_validator(kind: str) -> Any:
    """A validator for one SPDX class: the schema's own definition, with its $defs.

    The official schema checks each node against ``anyOf`` every class with
    ``unevaluatedProperties``, which makes a validator try all of them (seconds per document);
    checking a node against the class its ``type`` names is the same rule, done directly.
    """
    import jsonschema

    schema = _spdx_schema()
    node = {"$schema": schema["$schema"], "$defs": schema["$defs"], "$ref": f"#/$defs/{kind}",
            "unevaluatedProperties": False}  # fmt: skip
    return jsonschema.Draft202012Validator(node)


def validate_spdx3(doc: dict[str, Any]) -> list[Problem]:
    """The SPDX 3.0.1 JSON schema, then the profile rules it does not enforce."""
    schema = _spdx_schema()
    context = schema["properties"]["@context"]["const"]
    if doc.get("@context") != context:
        return [Problem("$.@context", f"must be {context!r} (SPDX 3.0.1)")]
    graph = doc.get("@graph")
    if not isinstance(graph, list):
        return [Problem("$.@graph", "must be an array of objects")]
    extra = sorted(set(doc) - {"@context", "@graph"})
    problems = [Problem(f"$.{key}", "is not allowed next to @graph") for key in extra]
    problems += _node_problems(graph, schema)
    if problems:
        return problems
    return _profile_rules(graph)


# Lists of elements that may be long (every file of a release): their items are ``Element_derived``,
# which any IRI satisfies, so a tail of IRIs is checked here and only the first item by the schema.
_ELEMENT_LISTS = {"SpdxDocument": ("element", "rootElement"),
                  "software_Sbom": ("element", "rootElement"), "Relationship": ("to",)}  # fmt: skip


def _node_problems(graph: list[Any], schema: dict[str, Any]) -> list[Problem]:
    """Each node against the schema of its class, repeated file nodes once per shape.

    A release of 50,000 files gives 50,000 ``software_File`` nodes that differ only in their
    ``spdxId``, ``name`` and hash values, and lists of 50,000 ids: about a millisecond each
    with the schema. A file node whose leaves are what the schema allows (an IRI, strings) and
    whose shape (the rest, :func:`_file_shape`) a node found valid already had is valid too; a
    long list whose items after the first are IRIs is checked with the first alone. Anything
    else goes through the schema, so the problems are the ones the whole walk finds.
    """
    iri = spdx_iri()
    shapes: dict[tuple[Any, ...], bool] = {}  # shape -> whether its first node was valid
    problems: list[Problem] = []
    for i, node in enumerate(graph):
        kind = node.get("type") if isinstance(node, dict) else None
        if not isinstance(kind, str) or kind not in schema["$defs"]:
            problems.append(Problem(f"$.@graph[{i}].type", f"unknown SPDX class {kind!r}"))
            continue
        shape = _file_shape(node, iri) if kind == "software_File" else None
        if shape is not None and shapes.get(shape):
            continue
        found = [
            Problem(_json_path(["@graph", i, *error.absolute_path]), error.message)
            for error in _class_validator(kind).iter_errors(_shortened(node, kind, iri))
        ]
        if shape is not None:
            shapes.setdefault(shape, not found)
        problems += found
    return problems


def _file_shape(node: dict[str, Any], iri: re.Pattern[str]) -> tuple[Any, ...] | None:
    """The file node without its ``spdxId``, ``name`` and hash values, or ``None`` when one of
    those is not what the schema allows (then the node goes through the schema).

    Other values enter as they are when strings, else by ``repr`` (which tells apart every
    two values JSON does).
    """
    shape: list[Any] = []
    for key, value in node.items():
        if key in ("spdxId", "name"):
            if type(value) is not str or (key == "spdxId" and not iri.search(value)):
                return None
            shape.append(key)
        elif key == "verifiedUsing" and type(value) is list:
            shape.append(key)
            for digest in value:
                if type(digest) is not dict or type(digest.get("hashValue")) is not str:
                    return None
                shape.append(repr([(k, v) for k, v in digest.items() if k != "hashValue"]))
        else:
            shape.append((key, value) if type(value) is str else (key, repr(value), 0))
    return tuple(shape)


def _shortened(node: dict[str, Any], kind: str, iri: re.Pattern[str]) -> dict[str, Any]:
    """*node* with each long element list whose items after the first are IRIs cut to one."""
    cut = {}
    for key in _ELEMENT_LISTS.get(kind, ()):
        items = node.get(key)
        if not isinstance(items, list) or len(items) < 2:
            continue
        if all(type(item) is str and iri.search(item) for item in items[1:]):
            cut[key] = items[:1]
    return {**node, **cut} if cut else node


def _profile_rules(graph: list[dict[str, Any]]) -> list[Problem]:
    problems: list[Problem] = []
    ids = {node.get("spdxId") or node.get("@id") for node in graph}
    licences: Counter[tuple[str, str]] = Counter()
    for i, node in enumerate(graph):
        if node.get("type") != "Relationship":
            continue
        targets = [node.get("from"), *(node.get("to") or [])]
        for target in targets:
            known = (
                target in ids
                or target in _COMPACT_INDIVIDUALS
                or str(target).startswith(_INDIVIDUALS)
            )
            if isinstance(target, str) and not known:
                problems.append(
                    Problem(f"$.@graph[{i}]", f"relationship points to a missing element {target}")
                )
        if node.get("relationshipType") in LICENCE_RELATIONSHIPS:
            licences[(str(node.get("from")), str(node["relationshipType"]))] += 1
    for i, node in enumerate(graph):
        kind = node.get("type")
        if kind == "ai_AIPackage":
            required: tuple[str, ...] = AI_REQUIRED
        elif kind == "dataset_DatasetPackage":
            required = DATASET_REQUIRED
            if len(node.get("originatedBy") or []) != 1:
                problems.append(
                    Problem(
                        f"$.@graph[{i}].originatedBy",
                        "a DatasetPackage needs exactly one originatedBy",
                    )
                )
            if not node.get("dataset_datasetType"):
                problems.append(
                    Problem(
                        f"$.@graph[{i}].dataset_datasetType", "a DatasetPackage needs a datasetType"
                    )
                )
        else:
            continue
        for key in required:
            if node.get(key) in (None, "", []):
                problems.append(
                    Problem(f"$.@graph[{i}].{key}", f"{kind} requires {key} (profile rule)")
                )
        for relationship in LICENCE_RELATIONSHIPS:
            count = licences[(str(node.get("spdxId")), relationship)]
            if count != 1:
                problems.append(
                    Problem(
                        f"$.@graph[{i}]",
                        f"{kind} needs exactly one {relationship} relationship, found {count}",
                    )
                )
    return problems


def validate_document(text: str) -> tuple[str | None, list[Problem]]:
    """Validate a BOM given as JSON text; return its kind and the problems found."""
    try:
        doc = load_json(text)
    except ValueError as exc:
        return None, [Problem("$", f"not JSON: {exc}")]
    kind = kind_of(doc)
    if kind == "cyclonedx":
        from clearweights.bom._sampled import validate_sampled_cyclonedx

        # Clean documents are checked fast; a broken one is walked whole, so that every
        # problem is worded by the schema, as a user reading them expects.
        found = validate_sampled_cyclonedx(doc, built=False)
        return kind, validate_cyclonedx(doc) if found else []
    if kind == "spdx3":
        return kind, validate_spdx3(doc)
    return None, [
        Problem(
            "$",
            "neither a CycloneDX BOM (bomFormat) nor an SPDX 3 JSON-LD document (@context, @graph)",
        )
    ]
