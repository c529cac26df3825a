"""Validation of a large CycloneDX BOM: repeated component shapes checked once.

A release of 50,000 files gives 50,000 file components that differ only in their name,
``bom-ref``, hash values and property values. The generic schema walk costs about a
millisecond each; instead the document is validated with the schema in full after reducing
every group of same-shaped file components (and of plain dependency entries) to its first
member, and the members left out are checked here against the schema rules of exactly the
leaves in which they may differ (a string; a non-empty ``refType``; the ``hash-content``
pattern).

Two modes. For a BOM that clearweights built, every ``bom-ref`` and dependency ``ref`` must
also be unique (the specification asks it; the schema cannot say it). For a BOM a user gives
(``clearweights bom validate``) the problems must be the schema's: a left-out component is
told apart from every other by its unique ``bom-ref``, so when refs repeat, or a component
has none, the document (or that component) goes through the whole schema walk instead.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from clearweights.bom.validate import Problem, cyclonedx_definitions, validate_cyclonedx

_FILE_KEYS = {"type", "name", "bom-ref", "hashes", "properties", "licenses"}
_MIN_REPEATS = 64  # below this many components the whole document is validated as usual


def _shape(component: Any) -> tuple[Any, ...] | None:
    """What a file component has besides its variable leaves, or ``None`` when it is not a
    plain file component with a ``bom-ref`` (then it is validated in full).

    Two components of one shape differ at most in those leaves: the same keys in the same
    order, the same hash algorithms and property names, and licences with the same ``repr``
    (which tells apart every two values JSON does, and a few that JSON does not).
    """
    if type(component) is not dict or component.get("type") != "file":
        return None
    keys = tuple(component)
    if "bom-ref" not in component or not _FILE_KEYS.issuperset(keys):
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
    if not (type(ref) is str and ref):
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


def repeated(values: Sequence[Any], where: str) -> list[Problem]:
    """A problem at *where* for the first of *values* (hashable) seen twice."""
    if len(set(values)) == len(values):
        return []
    seen: set[Any] = set()
    for value in values:
        if value in seen:
            return [Problem(where, f"{str(value)[:100]!r} appears twice")]
        seen.add(value)
    return []  # pragma: no cover - the set was shorter, so some value repeats


def _refs(values: list[Any]) -> bool:
    """Whether *values* are non-empty strings, none twice (``refLinkType`` items, unique)."""
    return all(type(v) is str and v for v in values) and len(set(values)) == len(values)


def reduce_dependencies(entries: list[Any]) -> tuple[list[Any], list[int], list[Problem]]:
    """Plain ``{"ref": ...}`` entries reduced to their first, each long ``dependsOn`` list of
    unique non-empty strings to its first item; the kept entries' indices; the problems of
    the plain entries left out (a ref that is not a non-empty string).

    Anything else is kept whole for the schema.
    """
    kept: list[Any] = []
    origin: list[int] = []
    problems: list[Problem] = []
    plain_kept = False
    for i, entry in enumerate(entries):
        plain = type(entry) is dict and len(entry) == 1 and "ref" in entry
        if plain and plain_kept:
            if not (type(entry["ref"]) is str and entry["ref"]):
                problems.append(Problem(f"$.dependencies[{i}].ref", "is not a non-empty string"))
            continue
        plain_kept = plain_kept or plain
        depends = entry.get("dependsOn") if type(entry) is dict else None
        if isinstance(depends, list) and len(depends) > 1 and _refs(depends):
            kept.append({**entry, "dependsOn": depends[:1]})
        else:
            kept.append(entry)
        origin.append(i)
    return kept, origin, problems


_PLACE = re.compile(r"^\$\.(components|dependencies)\[(\d+)\]")


def placed(problems: list[Problem], origins: dict[str, list[int]]) -> list[Problem]:
    """*problems* of a reduced document, each naming its item's index in the whole one."""

    def whole(m: re.Match[str]) -> str:
        return f"$.{m[1]}[{origins[m[1]][int(m[2])]}]"

    return [Problem(_PLACE.sub(whole, p.path), p.message) for p in problems]


def validate_sampled_cyclonedx(doc: dict[str, Any], *, built: bool = True) -> list[Problem]:
    """The CycloneDX schema over *doc*, each repeated file component shape validated once.

    *built*: a document clearweights built, whose repeated refs are problems too; else a
    document whose problems must be the schema's alone (see the module's note).
    """
    components = doc.get("components")
    if not isinstance(components, list) or len(components) < _MIN_REPEATS:
        return validate_cyclonedx(doc)
    definitions = cyclonedx_definitions(str(doc.get("specVersion", "")))
    if definitions is None:
        return validate_cyclonedx(doc)  # names the unsupported version
    # Refs that are not strings are the schema's (or _leaves') problems, and equal no string.
    refs = [c.get("bom-ref") for c in components if type(c) is dict]
    entries = doc.get("dependencies")
    entries = entries if type(entries) is list else None
    dependency_refs = [e.get("ref") for e in entries or () if type(e) is dict]
    unique = repeated([r for r in refs if type(r) is str], "$.components[*].bom-ref")
    unique += repeated([r for r in dependency_refs if type(r) is str], "$.dependencies[*].ref")
    if unique and not built:
        return validate_cyclonedx(doc)  # a left-out component could equal a kept one
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
    reduced = {**doc, "components": kept}
    origins = {"components": origin, "dependencies": list(range(len(entries or ())))}
    if entries is not None:
        reduced["dependencies"], origins["dependencies"], more = reduce_dependencies(entries)
        problems += more
    return placed(validate_cyclonedx(reduced), origins) + problems + unique


def validate_built_cyclonedx(doc: dict[str, Any]) -> list[Problem]:
    """:func:`validate_sampled_cyclonedx` of a BOM clearweights built."""
    return validate_sampled_cyclonedx(doc, built=True)
