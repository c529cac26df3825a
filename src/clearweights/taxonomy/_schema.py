"""Upstream's two checks of a ``qna.yaml``: yamllint and the ``instructlab-schema`` JSON schemas.

yamllint runs in-process (upstream starts a subprocess per file) with upstream's configuration,
and every yamllint problem is an error, as ``ilab taxonomy diff`` and SDG treat them (upstream's
CI alone is lenient): one strictness everywhere. Syntax errors come from the C parser that
already read the file, so yamllint's own second parse is skipped. Schema errors are located by
walking the YAML node tree along the error's path, so messages carry a line and a column
without upstream's optional ``yq``.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

import yaml

from clearweights.errors import DataError

_UNEXPECTED = re.compile(r"\('([^']+)' (?:was|were) unexpected")


def _missing(package: str, exc: ImportError) -> DataError:
    return DataError(
        f"taxonomy validation needs {package}, which is not installed ({exc})",
        hint="install the extra: pip install 'clearweights[taxonomy]'",
    )


def lint(text: str) -> list[tuple[int, int, str, str]]:
    """yamllint's problems as ``(line, col, rule, message)``, with upstream's rules."""
    try:
        from clearweights.taxonomy import _yamllint

        return _yamllint.lint(text)
    except ImportError as exc:
        raise _missing("yamllint", exc) from exc


@functools.cache
def _schema_resources() -> dict[str, Any]:
    """Every schema of ``instructlab-schema``, keyed ``v3/knowledge.json``."""
    try:
        from instructlab.schema import schema_versions
    except ImportError as exc:
        raise _missing("instructlab-schema", exc) from exc
    found = {}
    for version in schema_versions():
        for item in version.iterdir():
            if item.name.endswith(".json"):
                found[f"{version.name}/{item.name}"] = json.loads(item.read_text("utf-8"))
    return found


@functools.cache
def _validator(version: int, schema_name: str) -> Any:
    from jsonschema.validators import validator_for
    from referencing import Registry, Resource
    from referencing.exceptions import NoSuchResource
    from referencing.jsonschema import DRAFT202012

    resources = _schema_resources()
    prefix = f"v{version}/"

    def retrieve(uri: str) -> Resource[Any]:
        # The schemas refer to each other as "./version.json", within their version folder.
        body = resources.get(prefix + uri.removeprefix("./"))
        if body is None:
            raise NoSuchResource(uri)
        return Resource.from_contents(body, DRAFT202012)

    registry: Registry[Any] = Registry(retrieve=retrieve)  # type: ignore[call-arg]
    schema = resources[f"{prefix}{schema_name}.json"]
    return validator_for(schema)(schema, registry=registry)


def schema_versions() -> tuple[int, ...]:
    """The schema versions ``instructlab-schema`` ships."""
    return tuple(sorted({int(name.split("/")[0][1:]) for name in _schema_resources()}))


def deprecation(version: int, schema_name: str) -> str | None:
    """Upstream's message when the schema for *version* is deprecated or absent."""
    schema = _schema_resources().get(f"v{version}/{schema_name}.json")
    if schema is None:
        known = ", ".join(str(v) for v in schema_versions())
        return f"version {version} has no {schema_name} schema (known versions: {known})"
    if schema.get("deprecated"):
        return str(schema.get("description") or f"{schema_name} version {version} is deprecated")
    return None


def _child(node: yaml.Node, key: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if k.value == key:
                found: yaml.Node = v
                return found
    elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
        item: yaml.Node = node.value[key]
        return item
    return None


def _key(node: yaml.Node, key: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for k, _ in node.value:
            if k.value == key:
                found: yaml.Node = k
                return found
    return None


def find_node(root: yaml.Node | None, path: Iterable[str | int]) -> yaml.Node | None:
    """The deepest node along *path* (``None`` for an empty document)."""
    node = root
    if node is None:
        return None
    for part in path:
        child = _child(node, part)
        if child is None:
            break
        node = child
    return node


def locate(
    root: yaml.Node | None, path: Iterable[str | int], key: str | None = None
) -> tuple[int, int]:
    """The 1-based ``(line, col)`` of the node at *path* (of *key* in it, when given)."""
    node = find_node(root, path)
    if node is None:
        return 1, 1
    if key is not None:
        node = _key(node, key) or node
    return node.start_mark.line + 1, node.start_mark.column + 1


def schema_errors(
    data: Any, node: yaml.Node | None, version: int, schema_name: str
) -> Iterator[tuple[int, int, str, str, str]]:
    """Schema violations as ``(line, col, validator, yaml path, message)``."""
    validator = _validator(version, schema_name)
    for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.path))):
        where = error.json_path[1:] or "."
        unexpected = _UNEXPECTED.search(error.message)
        line, col = locate(node, error.absolute_path, unexpected.group(1) if unexpected else None)
        if error.validator == "minItems":
            message = f"Value must have at least {error.validator_value} items"
        else:
            message = error.message[-200:]
        yield line, col, str(error.validator), where, message
