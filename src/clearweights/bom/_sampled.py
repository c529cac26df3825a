"""Validation of a large CycloneDX BOM that clearweights built: repeated shapes checked once.

A release of 50,000 files gives 50,000 file components that differ only in their name,
``bom-ref``, hash values and property values. The generic schema walk costs about a
millisecond each; instead the document is validated with the schema in full after reducing
every group of same-shaped file components (and of plain dependency entries) to its first
member, and the members left out are checked here against the schema rules of exactly the
leaves in which they may differ (a string; a non-empty ``refType``; the ``hash-content``
pattern), with every ``bom-ref`` and dependency ``ref`` unique.
"""

from __future__ import annotations

import re
from typing import Any

from clearweights.bom.validate import Problem, cyclonedx_definitions, validate_cyclonedx

_FILE_KEYS = {"type", "name", "bom-ref", "hashes", "properties", "licenses"}
_MIN_REPEATS = 64  # below this many components the whole document is validated as usual


def _shape(component: Any) -> tuple[Any, ...] | None:
    """What a file component has besides its variable leaves, or ``None`` when it is not a
    plain file component (then it is validated in full).

    Two components of one shape differ at most in those leaves: the same keys in the same
    order, the same hash algorithms and property names, and licences with the same ``repr``
    (which tells apart every two values JSON does, and a few that JSON does not).
    """
    if type(component) is not dict or component.get("type") != "file":
        return None
    keys = tuple(component)
    if not _FILE_KEYS.issuperset(keys):
        return None
    hashes, properties = component.get("hashes", []), component.get("properties", [])
    if type(hashes) is not list or type(properties) is not list:
        return None
    algs, names = [], []
    for h in hashes:
        if type(h) is not dict or len(h) != 2 or "alg" not in h or "content" not in h:
            return None
        algs.append(h["alg"])
    for p in properties:
        if type(p) is not dict or len(p) != 2 or "name" not in p or "value" not in p:
            return None
        names.append(p["name"])
    return keys, repr(algs), repr(names), repr(component.get("licenses"))


def _leaves(i: int, component: dict[str, Any], hash_content: re.Pattern[str]) -> list[Problem]:
    """The schema's rules for the leaves a same-shaped component may change."""
    problems = []
    if type(component.get("name")) is not str:
        problems.append(Problem(f"$.components[{i}].name", "is not of type 'string'"))
    ref = component.get("bom-ref")
    if "bom-ref" in component and not (type(ref) is str and ref):
        problems.append(Problem(f"$.components[{i}].bom-ref", "is not a non-empty string"))
    for j, h in enumerate(component.get("hashes", ())):
        content = h["content"]
        if not (type(content) is str and hash_content.search(content)):
            where = f"$.components[{i}].hashes[{j}].content"
            problems.append(Problem(where, "does not match the pattern"))
    for j, p in enumerate(component.get("properties", ())):
        if type(p["value"]) is not str:
            where = f"$.components[{i}].properties[{j}].value"
            problems.append(Problem(where, "is not of type 'string'"))
    return problems


def _unique(values: list[Any], where: str) -> list[Problem]:
    seen: set[Any] = set()
    for value in values:
        if value in seen:
            return [Problem(where, f"{str(value)[:100]!r} appears twice")]
        seen.add(value)
    return []


def _dependencies(doc: dict[str, Any]) -> tuple[list[Any] | None, list[Problem]]:
    """Plain ``{"ref": ...}`` entries reduced to one; long ``dependsOn`` lists to one item."""
    entries = doc.get("dependencies")
    if not isinstance(entries, list):
        return None, []
    kept: list[Any] = []
    problems: list[Problem] = []
    plain_kept = False
    for i, entry in enumerate(entries):
        plain = isinstance(entry, dict) and len(entry) == 1 and "ref" in entry
        depends = entry.get("dependsOn") if isinstance(entry, dict) else None
        if plain:
            if not (isinstance(entry["ref"], str) and entry["ref"]):
                problems.append(Problem(f"$.dependencies[{i}].ref", "is not a non-empty string"))
            if plain_kept:
                continue
            plain_kept = True
        elif isinstance(depends, list) and len(depends) > 1:
            where = f"$.dependencies[{i}].dependsOn"
            if not all(isinstance(ref, str) and ref for ref in depends):
                problems.append(Problem(where, "holds an item that is not a non-empty string"))
            problems += _unique(depends, where)
            kept.append({**entry, "dependsOn": depends[:1]})
            continue
        kept.append(entry)
    refs = [e.get("ref") for e in entries if isinstance(e, dict) and isinstance(e.get("ref"), str)]
    return kept, problems + _unique(refs, "$.dependencies[*].ref")


_COMPONENT = re.compile(r"^\$\.components\[(\d+)\]")


def validate_built_cyclonedx(doc: dict[str, Any]) -> list[Problem]:
    """The CycloneDX schema over *doc*, each repeated file component shape validated once."""
    components = doc.get("components")
    if not isinstance(components, list) or len(components) < _MIN_REPEATS:
        return validate_cyclonedx(doc)
    definitions = cyclonedx_definitions(str(doc.get("specVersion", "")))
    if definitions is None:
        return validate_cyclonedx(doc)  # names the unsupported version
    hash_content = re.compile(definitions["hash-content"]["pattern"])
    shown: set[tuple[Any, ...]] = set()
    kept, origin, problems = [], [], []
    for i, component in enumerate(components):
        shape = _shape(component)
        if shape is None or shape not in shown:
            kept.append(component)
            origin.append(i)
            if shape is not None:
                shown.add(shape)
        else:
            problems += _leaves(i, component, hash_content)
    refs = [c["bom-ref"] for c in components if isinstance(c, dict) and "bom-ref" in c]
    problems += _unique(refs, "$.components[*].bom-ref")
    dependencies, more = _dependencies(doc)
    reduced = {**doc, "components": kept}
    if dependencies is not None:
        reduced["dependencies"] = dependencies
    found = [
        Problem(_COMPONENT.sub(lambda m: f"$.components[{origin[int(m[1])]}]", p.path), p.message)
        for p in validate_cyclonedx(reduced)
    ]
    return found + problems + more
