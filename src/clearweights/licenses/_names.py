"""Licence names for people: outputs meant to be read show names, machine outputs keep ids."""

from __future__ import annotations

import re

from clearweights.licenses._catalogue import Catalogue, load
from clearweights.licenses.model import (
    INCOMPLETE_PREFIX,
    MODIFIED_PREFIX,
    UNIDENTIFIED,
    UNKNOWN_PREFIX,
)

# A LicenseRef id inside free text (messages, expressions); SPDX ids are left as they are,
# since people know "MIT" and "Apache-2.0" by those names.
_REF = re.compile(r"(?<![\w.+-])LicenseRef-[A-Za-z0-9.+-]+")


def display_name(name: str, catalogue: Catalogue | None = None) -> str:
    """The name people read for a licence id, Hub id, ScanCode key or former id.

    Ids of licences built at run time read as what they are; anything the catalogue does
    not know is returned unchanged.

    Example:
        >>> display_name("LicenseRef-scancode-deepseek-la-1.0")
        'DeepSeek License Agreement 1.0'
        >>> display_name("LicenseRef-clearweights-modified-MIT")
        'MIT License, modified to add restrictions'
    """
    cat = catalogue or load()
    if (found := cat.get(name)) is not None:
        return found.name
    for prefix, change in (
        (MODIFIED_PREFIX, "modified to add restrictions"),
        (INCOMPLETE_PREFIX, "modified: clauses missing"),
    ):
        if name.startswith(prefix):
            rest = name.removeprefix(prefix)
            base = cat.get(f"LicenseRef-{rest}") or cat.get(rest)
            return f"{base.name if base else rest}, {change}"
    if name.startswith(UNKNOWN_PREFIX):
        return f"unknown licence {name.removeprefix(UNKNOWN_PREFIX)}"
    if name == UNIDENTIFIED:
        return "Unidentified licence text"
    return name


def names_for_people(text: str, catalogue: Catalogue | None = None) -> str:
    """Replace every LicenseRef id in *text* (a message or an expression) by its name.

    Example:
        >>> names_for_people("MIT OR LicenseRef-scancode-llama-3.1-license-2024")
        'MIT OR Llama 3.1 Community License Agreement'
    """
    if "LicenseRef-" not in text:
        return text
    cat = catalogue or load()

    def name(found: re.Match[str]) -> str:
        ident = found[0].rstrip(".")  # a full stop ending the sentence is not part of the id
        return display_name(ident, cat) + found[0][len(ident) :]

    return _REF.sub(name, text)
