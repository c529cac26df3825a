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

import json
import re
from typing import Any

from clearweights.bom.validate import Problem, cyclonedx_definitions, validate_cyclonedx

_FILE_KEYS = {"type", "name", "bom-ref", "hashes", "properties", "licenses"}
_MIN_REPEATS = 64  # below this many components the whole document is validated as usual


def _shape(component: Any) -> str | None:
    """What a file component has besides its variable leaves, or ``None`` when it is not a
    plain file component (then it is validated in full)."""
    if not isinstance(component, dict) or component.get("type") != "file":
        return None
    if not set(component) <= _FILE_KEYS:
        return None
    hashes, properties = component.get("hashes", []), component.get("properties", [])
    if not isinstance(hashes, list) or not isinstance(properties, list):
        return None
    if not all(isinstance(h, dict) and set(h) == {"alg", "content"} for h in hashes):
        return None
    if not all(isinstance(p, dict) and set(p) == {"name", "value"} for p in properties):
        return None
    fixed = [sorted(component), [h["alg"] for h in hashes], [p["name"] for p in properties]]
    return json.dumps([*fixed, component.get("licenses")], sort_keys=True)


def _leaves(i: int, component: dict[str, Any], hash_content: re.Pattern[str]) -> list[Problem]:
    """The schema's rules for the leaves a same-shaped component may change."""
    where = f"$.components[{i}]"
    problems = []
    if not isinstance(component.get("name"), str):
        problems.append(Problem(f"{where}.name", "is not of type 'string'"))
    ref = component.get("bom-ref")
    if "bom-ref" in component and not (isinstance(ref, str) and ref):
        problems.append(Problem(f"{where}.bom-ref", "is not a non-empty string"))
    for j, h in enumerate(component.get("hashes", [])):
        content = h["content"]
        if not (isinstance(content, str) and hash_content.search(content)):
            problems.append(Problem(f"{where}.hashes[{j}].content", "does not match the pattern"))
    for j, p in enumerate(component.get("properties", [])):
        if not isinstance(p["value"], str):
            problems.append(Problem(f"{where}.properties[{j}].value", "is not of type 'string'"))
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
        plain = isinstance(entry, dict) and set(entry) == {"ref"}
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
    shown: set[str] = set()
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
