"""What policy rules share: the components of a kind, and where a finding points."""

from __future__ import annotations

import re
from pathlib import Path

from clearweights._untrusted import read_head
from clearweights.components import Component, MofComponent
from clearweights.policy.model import CheckContext, Location


def components_of(ctx: CheckContext, kind: str) -> list[Component]:
    """The release's components of a policy kind (weights, code, data, documentation)."""
    weights = {MofComponent.MODEL_PARAMETERS_FINAL, MofComponent.MODEL_PARAMETERS_INTERMEDIATE}
    out = []
    for c in ctx.audit.components:
        if kind == "weights":
            keep = c.kind in weights
        elif kind == "data":
            keep = c.kind.spec.content_type == "data" and c.kind not in weights
        elif kind == "documentation":
            keep = c.kind.spec.content_type == "document"
        else:
            keep = c.kind.spec.content_type == kind
        if keep:
            out.append(c)
    return out


def where_of(ctx: CheckContext, component: Component) -> Location:
    """The file a component's licence comes from (LICENSE, card, header), else its first file."""
    files = {f.path for f in ctx.audit.release.files} if ctx.audit.release else set()
    source = component.licence_source.split(";")[0].strip()
    path = source.removesuffix(" license metadata").removesuffix(" header")
    if path in files:
        return Location(path)
    return Location(component.paths[0] if component.paths and component.paths[0] in files else ".")


def locate_quote(root: str, location: Location, quote: str) -> Location:
    """Find the line of a licence file that holds *quote* (the cited words of a term)."""
    pieces = [p.strip(" .\"'") for p in re.split(r"\.\.\.|…", quote) if len(p.strip()) > 12]
    if not pieces or not root:
        return location
    try:
        text = read_head(Path(root) / location.path, 1 << 20)[0].decode("utf-8", errors="replace")
    except (OSError, ValueError):  # ValueError: not a regular file
        return location
    flat = " ".join(text.split()).lower()
    needle = " ".join(max(pieces, key=len).split()).lower()[:60]
    at = flat.find(needle)
    if at < 0:
        return location
    # Map the position in the flattened text back to a line: count words before it.
    words_before = len(flat[:at].split())
    seen = 0
    for number, line in enumerate(text.splitlines(), start=1):
        seen += len(line.split())
        if seen > words_before:
            return Location(location.path, number)
    return location
