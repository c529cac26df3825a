"""yamllint's rules over libyaml's tokens: the same problems, several times faster.

yamllint scans with PyYAML's pure-Python scanner, which costs ~15 ms for a 4 KB leaf, too much
for a 1,000-leaf taxonomy in seconds. libyaml (PyYAML's C scanner) yields the same tokens: the
same types, values and marks, character-indexed. Only the marks lack the buffer that yamllint's
rules index into, so each token gets a PyYAML mark carrying it, and yamllint's own rules run on
them in yamllint's order: tokens and comments of a line, then the line's rules.

The reference (``yamllint.linter``) runs instead whenever this could differ: no libyaml, a byte
order mark (libyaml counts it, PyYAML does not), a ``# yamllint`` directive (the reference
applies them), or a text libyaml cannot scan. ``tests/test_taxonomy_yamllint.py`` checks both
give the same problems on every fixture and on systematically broken variants of them.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

import yaml

CONFIG = "{extends: relaxed, rules: {line-length: disable}}"  # upstream's DEFAULT_YAMLLINT_CONFIG

Problem = tuple[int, int, str, str]  # line, column, rule, message


@functools.cache
def config() -> Any:
    """Upstream's yamllint configuration."""
    from yamllint.config import YamlLintConfig

    return YamlLintConfig(CONFIG)


def reference(text: str) -> list[Problem]:
    """yamllint's own cosmetic pass (syntax errors are reported by the parser that loads)."""
    from yamllint import linter

    return [
        (p.line, p.column, p.rule or "yaml", p.desc)
        for p in linter.get_cosmetic_problems(text, config(), None)
    ]


def _tokens(text: str) -> list[Any]:
    """libyaml's tokens, with marks that carry PyYAML's buffer (text plus a NUL)."""
    buffer = text + "\0"
    loader = yaml.CBaseLoader(text)
    found = []
    try:
        while loader.check_token():
            token: Any = loader.get_token()
            for name in ("start_mark", "end_mark"):
                m = getattr(token, name)
                setattr(token, name, yaml.Mark(m.name, m.index, m.line, m.column, buffer, m.index))
            if getattr(token, "style", None) == "":
                token.style = None  # PyYAML's plain scalars carry None
            found.append(token)
    finally:
        loader.dispose()
    return found


def _elements(text: str) -> Iterator[Any]:
    """Tokens, comments and lines in the order yamllint visits them."""
    from yamllint import parser

    tokens = _tokens(text)
    items: list[Any] = []
    prev = None
    for i, curr in enumerate(tokens):
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        nextnext = tokens[i + 2] if i + 2 < len(tokens) else None
        items.append(parser.Token(curr.start_mark.line + 1, curr, prev, nxt, nextnext))
        items.extend(parser.comments_between_tokens(curr, nxt))
        prev = curr
    lines = parser.line_generator(text)
    line = next(lines, None)
    for item in items:
        while line is not None and item.line_no > line.line_no:
            yield line
            line = next(lines, None)
        yield item
    while line is not None:
        yield line
        line = next(lines, None)


def _fast(text: str) -> list[Problem]:
    from yamllint import parser

    conf = config()
    rules = conf.enabled_rules(None)
    kinds = {kind: [r for r in rules if kind == r.TYPE] for kind in ("token", "comment", "line")}
    context: dict[str, dict[str, Any]] = {r.ID: {} for r in kinds["token"]}
    found: list[Problem] = []
    pending: list[Any] = []
    for element in _elements(text):
        if isinstance(element, parser.Token):
            for rule in kinds["token"]:
                args = (element.curr, element.prev, element.next, element.nextnext)
                for problem in rule.check(conf.rules[rule.ID], *args, context[rule.ID]):
                    problem.rule = rule.ID
                    pending.append(problem)
        elif isinstance(element, parser.Comment):
            for rule in kinds["comment"]:
                for problem in rule.check(conf.rules[rule.ID], element):
                    problem.rule = rule.ID
                    pending.append(problem)
        else:
            for rule in kinds["line"]:
                for problem in rule.check(conf.rules[rule.ID], element):
                    problem.rule = rule.ID
                    pending.append(problem)
            found += [(p.line, p.column, p.rule, p.desc) for p in pending]
            pending = []
    return found


def lint(text: str) -> list[Problem]:
    """yamllint's problems with upstream's rules, as ``(line, column, rule, message)``."""
    if not hasattr(yaml, "CBaseLoader") or text.startswith("\ufeff") or "yamllint" in text:
        return reference(text)
    try:
        return _fast(text)
    except yaml.YAMLError:
        return reference(text)
