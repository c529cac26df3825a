"""Parse ``attribution.txt``: ``Key: value`` lines, one block per work."""

from __future__ import annotations

from pathlib import Path

from clearweights.taxonomy.model import AttributedWork, Attribution

# Upstream's keys ("Title of work", "Link to work", "Revision", "License of the work",
# "Creator names"), matched loosely: contributors write "Licence", "Creators", "Source".
_FIELDS = (
    ("title", ("title",)),
    ("link", ("link", "url", "source")),
    ("revision", ("revision", "version")),
    ("license", ("license", "licence")),
    ("creator", ("creator", "author")),
)


def _field(key: str) -> str | None:
    for name, words in _FIELDS:
        if any(word in key for word in words):
            return name
    return None


def _work(lines: list[tuple[int, str, str]]) -> AttributedWork:
    known: dict[str, str] = {}
    for _, key, value in lines:
        name = _field(key)
        if name is not None and name not in known and value:
            known[name] = value
    return AttributedWork(
        title=known.get("title"),
        link=known.get("link"),
        revision=known.get("revision"),
        license=known.get("license"),
        creator=known.get("creator"),
        fields=tuple((key, value) for _, key, value in lines),
        line=lines[0][0],
    )


def parse_attribution(text: str, path: Path) -> Attribution:
    """Parse the text of an ``attribution.txt``.

    A block of ``Key: value`` lines describes one work; a blank line or a second ``Title``
    starts the next. Lines without a colon continue the previous value.
    """
    blocks: list[list[tuple[int, str, str]]] = [[]]
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            if blocks[-1]:
                blocks.append([])
            continue
        key, sep, value = line.partition(":")
        if not sep or len(key.split()) > 5:
            if blocks[-1]:  # a continuation line
                n, k, v = blocks[-1][-1]
                blocks[-1][-1] = (n, k, f"{v} {line}".strip())
            continue
        key = key.strip().lower()
        if _field(key) == "title" and any(_field(k) == "title" for _, k, _ in blocks[-1]):
            blocks.append([])
        blocks[-1].append((number, key, value.strip()))
    works = tuple(_work(block) for block in blocks if block)
    return Attribution(path=path, works=works)
