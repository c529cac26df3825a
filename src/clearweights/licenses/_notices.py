"""Short notices and names: SPDX-License-Identifier lines, sentences, card metadata, links."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from clearweights.errors import UsageError
from clearweights.licenses._catalogue import Catalogue, alias_key
from clearweights.licenses._expression import current, parse_expression
from clearweights.licenses.model import Licence, LicenceId

_SPDX_LINE = re.compile(
    r"SPDX-License-Identifier:\s*(?P<expr>[^\n*]+?)\s*(?:\*/|-->|#}|$)", re.MULTILINE
)
# Card metadata and "License:" header lines, also inside comments ("# License: GPL-3.0+",
# " * License: MIT", "// License: GPL-3.0").
_METADATA = re.compile(
    r"^(?:\s|#|//|/?\*|;)*(?P<field>license|license_name|license_link)\s*:\s*"
    r"(?P<value>\S[^\n#]*?)\s*$",
    re.MULTILINE | re.IGNORECASE,
)
# A licence badge: "[![License: GPL-3.0](https://img.shields.io/...)](LICENSE)".
_BADGE = re.compile(r"!\[licen[cs]e:?\s*(?P<name>[^\]\n]{1,60})\]", re.IGNORECASE)
# "licensed under the X", "provided under and subject to the X", "Licensed by NVIDIA under the X"
_SENTENCE = re.compile(
    r"\b(?:(?:licen[cs]ed|released|distributed|provided|made available|available|covered)"
    r"(?: by [A-Z][\w.,&]*(?: [A-Z][\w.,&]*){0,3})? under(?: and subject to)?"
    r"|governed by|subject to)"
    r"(?: the terms of)?(?: \[?the)? [\[*_`]*(?P<name>[A-Za-z0-9][^\n]{1,120})",
    re.IGNORECASE,
)
_LICENCE_WORD = re.compile(r"licen[cs]e|agreement|terms|policy|\d", re.IGNORECASE)
_WORD = re.compile(r"[\w.+\-\[\]]+")
_CC_URL = re.compile(
    r"creativecommons\.org/(?:licenses/(?P<kind>by[a-z-]*)/(?P<ver>\d\.\d)|publicdomain/zero/1\.0)",
    re.I,
)
_URL = re.compile(r"https?://[^\s)\]>\"']+")
_SPDX_URL = re.compile(r"spdx\.org/licenses/(?P<id>[A-Za-z0-9.+-]+?)(?:\.html)?/?$")
_LINK_LIST = 3  # distinct licences linked: a list, which may be a lookup table in code
_KNOWN_URLS = {
    "mistral.ai/licenses/mrl-0.1": "LicenseRef-clearweights-mistral-mrl-0.1",
    "mistral.ai/licenses/mnpl-0.1": "LicenseRef-clearweights-mistral-mnpl-0.1",
    "ai.google.dev/gemma/terms": "LicenseRef-scancode-gemma-tou-2024-04-01",
    "ai.google.dev/gemma/prohibited_use_policy": "LicenseRef-scancode-gemma-pup-2024-02-21",
    "llama.meta.com/llama3/license": "LicenseRef-clearweights-llama-3",
    "llama.meta.com/llama3_1/license": "LicenseRef-scancode-llama-3.1-license-2024",
    "llama.com/llama3_1/license": "LicenseRef-scancode-llama-3.1-license-2024",
    "llama.com/llama3_2/license": "LicenseRef-scancode-llama-3.2-license-2024",
    "llama.com/llama3_3/license": "LicenseRef-scancode-llama-3.3-license-2024",
    "llama.com/llama4/license": "LicenseRef-scancode-llama-4-cla-2025",
    "apache.org/licenses/license-2.0": "Apache-2.0",
    "opensource.org/licenses/mit": "MIT",
    "stability.ai/community-license": "LicenseRef-scancode-stability-ai-community-2024",
    "nvidia.com/en-us/agreements/enterprise-software/nvidia-open-model-license": (
        "LicenseRef-scancode-nvidia-open-model-2025-04-28"
    ),
    "openmdw.ai/license/1-1": "LicenseRef-clearweights-openmdw-1.1",
}
_STOP = {
    "license",
    "licence",
    "other",
    "unknown",
    "terms",
    "agreement",
    "same",
    "following",
    "this",
    "these",
}
_MAX_NAME_WORDS = 12
_ASIDE = re.compile(r"^\[([^\]\n]+)\]\([^)\n]*\).*$|^([^(\n]+?)\s*\([^)\n]*\)[\s.,;]*$")
_PUNCTUATION = "\"'`*_.,;:()[] \t"
# An aside that changes the licence ("MIT (non-commercial)", "[Apache-2.0](L) plus terms"):
# the name alone would say more than the text grants.
_CHANGES = re.compile(
    r"\b(?:only|except|but|plus|and|with|modif\w*|restrict\w*|commercial|research|prohibit\w*|"
    r"not|no|addendum|additional|attachment|exhibit|terms?|polic\w*|royalt\w*|fees?)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Notice:
    """A licence named in the text."""

    licence: Licence
    start: int
    end: int
    rule: str
    kind: str  # "notice" or "alias"


def resolve_name(catalogue: Catalogue, name: str) -> Licence | None:
    """Resolve a free-text licence name (or Hub id) to a record, or ``None``."""
    cleaned = name.strip().strip(_PUNCTUATION)
    if not cleaned or cleaned.lower() in _STOP or cleaned.lower() in catalogue.hf_families:
        return None
    found = catalogue.get(cleaned)
    if found is None and (aside := _ASIDE.match(name.strip())):
        # "MIT (see `LICENSE`)", "[CC BY-SA 4.0](https://...)": the name without the aside.
        shorter = (aside[1] or aside[2]).strip(_PUNCTUATION)
        rest = name.strip()[aside.end(1 if aside[1] else 2) :]  # the aside, whole
        if shorter and shorter.lower() not in _STOP and not _CHANGES.search(rest):
            found = catalogue.get(shorter)
    return None if found is None else current(catalogue, found)


def resolve_url(catalogue: Catalogue, url: str) -> Licence | None:
    """Resolve a licence URL (a card's ``license_link``) to a record, or ``None``."""
    if m := _CC_URL.search(url):
        ident = f"CC-{m['kind'].upper()}-{m['ver']}" if m["kind"] else "CC0-1.0"
        return catalogue.get(ident)
    if m := _SPDX_URL.search(url):
        found = catalogue.licences.get(LicenceId(m["id"]))
        return None if found is None else current(catalogue, found)
    key = re.sub(r"^https?://(?:www\.)?", "", url.lower()).rstrip("/")
    key = re.sub(r"\.(?:html?|md|txt)$", "", key)
    for prefix, licence_id in _KNOWN_URLS.items():
        if key.startswith(prefix):
            return catalogue.licences.get(LicenceId(licence_id))
    return None


def _plausible(name: str, licence: Licence) -> bool:
    """Whether words in running text really name *licence* ("fair use" is not the Fair licence)."""
    name = name.strip(_PUNCTUATION)
    if _LICENCE_WORD.search(name) or name in (licence.id, licence.hf_id):
        return True
    key = alias_key(name)
    return any(alias_key(alias) == key for alias in licence.aliases)


def _longest_name(catalogue: Catalogue, words: list[str]) -> tuple[Licence, int] | None:
    for n in range(min(len(words), _MAX_NAME_WORDS), 0, -1):
        name = " ".join(words[:n])
        found = resolve_name(catalogue, name)
        if found is not None and _plausible(name, found):
            return found, n
    return None


def find_notices(catalogue: Catalogue, text: str) -> Iterator[Notice]:
    """Yield every licence named by a notice, identifier line, metadata field or link."""
    for m in _SPDX_LINE.finditer(text):
        try:
            expression = parse_expression(m["expr"], catalogue)
        except UsageError:
            continue
        for licence in expression.licences(catalogue):
            yield Notice(
                licence,
                m.start(),
                m.end(),
                "SPDX-License-Identifier",
                "notice",
            )
    for m in _METADATA.finditer(text):
        value = m["value"].strip("\"'")
        if m["field"].lower() == "license_link":
            found = resolve_url(catalogue, value)
        else:
            found = resolve_name(catalogue, value)
        if found is not None:
            yield Notice(found, m.start(), m.end(), f"model card {m['field']}", "alias")
    for m in _BADGE.finditer(text):
        if (found := resolve_name(catalogue, m["name"])) is not None:
            yield Notice(found, m.start(), m.end(), "licence badge", "notice")
    for m in _SENTENCE.finditer(text):
        words = _WORD.findall(m["name"])
        if (hit := _longest_name(catalogue, words)) is not None:
            licence, n = hit
            end = m.start("name") + _span_of_words(m["name"], n)
            yield Notice(licence, m.start(), end, "licence sentence", "notice")
    yield from _links(catalogue, text)


def _links(catalogue: Catalogue, text: str) -> list[Notice]:
    """Every licence linked to: "code under [Apache-2.0](...), weights under [Llama](...)".

    Each linked licence is reported, however many there are (how they combine is for the
    caller: ``AND`` unless the text offers a choice). Only a lookup table in code, with its
    URLs quoted as data, names no licence of its own.
    """
    links = [
        (m, found)
        for m in _URL.finditer(text)
        if (found := resolve_url(catalogue, m[0])) is not None
    ]
    if len({found.id for _, found in links}) >= _LINK_LIST:
        links = [(m, found) for m, found in links if not _quoted(text, m.start())]
    return [Notice(found, m.start(), m.end(), "licence link", "notice") for m, found in links]


def _quoted(text: str, start: int) -> bool:
    return start > 0 and text[start - 1] in "\"'"


def _span_of_words(text: str, n: int) -> int:
    matches = list(_WORD.finditer(text))
    return matches[min(n, len(matches)) - 1].end() if matches else 0
