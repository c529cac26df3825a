"""Load a policy YAML file into rule objects; every error names the key and its line."""

from __future__ import annotations

import json
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from clearweights._untrusted import MAX_POLICY_BYTES, compose_yaml, load_yaml, read_bounded, shorten
from clearweights.errors import UsageError
from clearweights.licenses._catalogue import load
from clearweights.licenses._expression import current
from clearweights.licenses.model import Category
from clearweights.policy.model import Rule
from clearweights.policy.rules import (
    AllOf,
    AnyOf,
    CardSections,
    LicencesFor,
    MofClassAtLeast,
    NoPickles,
    Policy,
    PolicyException,
    Prefixed,
    ProfilePasses,
    SignatureRequired,
    TermAllowed,
)

BUILT_IN = ("pragmatic", "strict-osaid", "commercial-product")
_CATEGORIES = {
    "permissive",
    "copyleft",
    "open-data",
    "open-documentation",
    "restricted-open-weights",
    "non-commercial",
    "research-only",
    "proprietary",
    "osi",
}


class PolicyError(UsageError):
    """The policy file is wrong: unknown key, wrong type, bad licence id (exit 2)."""


@cache
def _schema() -> dict[str, Any]:
    raw = resources.files("clearweights").joinpath("data/policy-schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(raw)
    return schema


def _line(node: yaml.Node | None, path: list[Any]) -> int | None:
    """Follow a JSON path through the composed YAML to the line of the offending node."""
    for part in path:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == part), node)
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value)
        ):
            node = node.value[part]
        else:
            break
    return node.start_mark.line + 1 if node is not None else None


def _key_line(node: yaml.Node | None, path: list[Any], key: str) -> int | None:
    """The line of an unexpected *key* inside the mapping at *path*."""
    for part in path:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            node = node.value[part]
    if isinstance(node, yaml.MappingNode):
        for k, _ in node.value:
            if k.value == key:
                return int(k.start_mark.line) + 1
    return None


def _current_ids(names: Any) -> tuple[str, ...]:
    """Licence ids as the catalogue spells them now, so renamed ids in old policies still work."""
    # Every spelling people use (Hub ids, names, deprecated ids) is matched by its current id,
    # so `deny: [llama3]` or `deny: [GPL-3.0]` catches what the audit reports.
    categories = {c.value for c in Category} | {"osi"}
    out: list[str] = []
    for name in map(str, names or ()):
        found = None if name in categories else load().get(name)
        out.append(current(load(), found).id if found is not None else name)
    return tuple(out)


def _rules(spec: dict[str, Any], leaves: list[Rule], prefix: str = "") -> Rule:
    rules: list[Rule] = []
    for name, verdict in (spec.get("profiles") or {}).items():
        rules.append(
            MofClassAtLeast(verdict["min_class"]) if name == "mof" else ProfilePasses(name)
        )
    for kind, lists in (spec.get("licences") or {}).items():
        allow, deny = _current_ids(lists.get("allow")), _current_ids(lists.get("deny"))
        rules.append(LicencesFor(kind, allow, deny, lists.get("unknown", "deny")))
    for term, action in (spec.get("terms") or {}).items():
        if action != "allow":
            rules.append(TermAllowed(term, action))
    card = spec.get("model_card")
    if card:
        rules.append(
            CardSections(tuple(card.get("sections", ())), card.get("data_card") == "required")
        )
    if spec.get("pickles") == "forbid":
        rules.append(NoPickles())
    if spec.get("signature"):
        rules.append(SignatureRequired(spec["signature"]["key"]))
    if prefix:
        rules = [Prefixed(prefix, rule) for rule in rules]
    leaves.extend(rules)
    return AllOf(tuple(rules))


def _check_licence_names(doc: dict[str, Any], root: yaml.Node | None, source: str) -> None:
    from clearweights.errors import UnknownLicenceError
    from clearweights.licenses import get

    groups = [("rules", doc.get("rules") or {})] + [
        (i, r) for i, r in enumerate(doc.get("any_of") or [])
    ]
    for where, spec in groups:
        prefix: list[Any] = ["rules"] if where == "rules" else ["any_of", where]
        for kind, lists in (spec.get("licences") or {}).items():
            for field in ("allow", "deny"):
                for i, name in enumerate(lists.get(field, ())):
                    if name in _CATEGORIES:
                        continue
                    try:
                        get(name)
                    except UnknownLicenceError as exc:
                        line = _line(root, [*prefix, "licences", kind, field, i])
                        raise PolicyError(
                            f"line {line}: {exc.message} (in licences.{kind}.{field})",
                            path=source,
                            hint=exc.hint,
                        ) from exc


def parse_policy(text: str, source: str = "<policy>") -> Policy:
    """Build a policy from YAML text.

    Raises:
        PolicyError: naming the key and line of the first problem.
    """
    import jsonschema

    try:
        root = compose_yaml(text)
        doc = load_yaml(text)
    except (yaml.YAMLError, ValueError) as exc:  # ValueError: an impossible date
        raise PolicyError(f"is not valid YAML: {exc}", path=source) from exc
    if not isinstance(doc, dict):
        raise PolicyError("must be a YAML mapping with 'policy' and 'version'", path=source)
    # YAML reads 2026-01-31 as a date; the schema wants the text.
    for exception in doc.get("exceptions") or []:
        if isinstance(exception, dict) and isinstance(exception.get("expires"), date):
            exception["expires"] = exception["expires"].isoformat()
    errors = sorted(
        jsonschema.Draft202012Validator(_schema()).iter_errors(doc),
        key=lambda e: list(map(str, e.path)),
    )
    if errors:
        error = errors[0]
        path = list(error.absolute_path)
        key = ".".join(map(str, path)) or "(top level)"
        line = _line(root, path)
        if error.validator == "additionalProperties":
            unexpected = sorted(set(error.instance) - set(error.schema.get("properties", {})))
            if unexpected:
                key = ".".join([*map(str, path), unexpected[0]])
                line = _key_line(root, path, unexpected[0]) or line
                raise PolicyError(f"line {line}: unknown key '{key}'", path=source)
        raise PolicyError(f"line {line}: {key}: {shorten(error.message)}", path=source)
    _check_licence_names(doc, root, source)
    for i, exception in enumerate(doc.get("exceptions") or []):
        try:
            date.fromisoformat(exception["expires"])
        except ValueError as exc:
            line = _line(root, ["exceptions", i, "expires"])
            raise PolicyError(f"line {line}: exceptions.{i}.expires: {exc}", path=source) from exc
    leaves: list[Rule] = []
    parts: list[Rule] = []
    if doc.get("rules"):
        parts.append(_rules(doc["rules"], leaves))
    if doc.get("any_of"):
        alternatives = (
            _rules(spec, leaves, f"any_of[{i}]") for i, spec in enumerate(doc["any_of"])
        )
        parts.append(AnyOf(tuple(alternatives)))
    exceptions = tuple(
        PolicyException(
            e["release"], tuple(e["rules"]), e["reason"], date.fromisoformat(e["expires"])
        )
        for e in doc.get("exceptions") or []
    )
    _check_exception_rules(exceptions, {leaf.id for leaf in leaves}, root, source)
    return Policy(str(doc["policy"]), AllOf(tuple(parts)), exceptions, tuple(leaves))


def _check_exception_rules(
    exceptions: tuple[PolicyException, ...], ids: set[str], root: yaml.Node | None, source: str
) -> None:
    """A waiver must name a rule of the policy (or a part of one, like model_card.data_card)."""
    for i, exception in enumerate(exceptions):
        for j, rule in enumerate(exception.rules):
            related = (
                k == rule or k.startswith(rule + ".") or rule.startswith(k + ".") for k in ids
            )
            if not any(related):
                line = _line(root, ["exceptions", i, "rules", j])
                raise PolicyError(
                    f"line {line}: exceptions.{i}.rules: no rule of this policy is called {rule!r}",
                    path=source,
                    hint=f"rule ids: {', '.join(sorted(ids))}",
                )


def load_policy(name_or_path: str) -> tuple[Policy, Path]:
    """Load a built-in policy by name or a policy file.

    Returns:
        The policy, and the folder that relative paths in it (signing keys) start from.
    """
    if name_or_path in BUILT_IN and not Path(name_or_path).exists():
        text = (
            resources.files("clearweights")
            .joinpath(f"data/policies/{name_or_path}.yml")
            .read_text("utf-8")
        )
        return parse_policy(text, name_or_path), Path.cwd()
    path = Path(name_or_path)
    try:
        text = read_bounded(path, MAX_POLICY_BYTES).decode("utf-8")
    except (OSError, ValueError) as exc:  # ValueError: not UTF-8, too large, not a file
        raise PolicyError(
            f"cannot read the policy: {exc}",
            path=path,
            hint=f"built-in policies: {', '.join(BUILT_IN)}",
        ) from exc
    return parse_policy(text, str(path)), path.resolve().parent
