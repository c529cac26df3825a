"""Identify licences (AI model licences included) and state their terms.

Example:
    >>> from clearweights import licenses
    >>> match = licenses.identify("This model is licensed under the Llama 3.1 Community License.")
    >>> match.licences[0].licence.id
    'LicenseRef-scancode-llama-3.1-license-2024'
    >>> licenses.get("llama3.1").terms.derivative_naming.value.name_prefix
    'Llama'
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from importlib import resources

from clearweights.errors import UnknownLicenceError
from clearweights.licenses._catalogue import _DATA, load
from clearweights.licenses._expression import Expression, LicenceExpression, all_of, any_of
from clearweights.licenses._expression import parse_expression as _parse_expression
from clearweights.licenses._files import identify_bytes, identify_file
from clearweights.licenses._identify import identify_name
from clearweights.licenses._identify import identify_text as identify
from clearweights.licenses._names import display_name, names_for_people
from clearweights.licenses.model import (
    Category,
    Citation,
    Evidence,
    ExtractedTerm,
    FileResult,
    Identification,
    Licence,
    LicenceId,
    LicenceMatch,
    MatchKind,
    Term,
    Terms,
)
from clearweights.licenses.summary import Summary, summarize

__all__ = [
    "Category",
    "Citation",
    "Evidence",
    "Expression",
    "ExtractedTerm",
    "FileResult",
    "Identification",
    "Licence",
    "LicenceExpression",
    "LicenceId",
    "LicenceMatch",
    "MatchKind",
    "Summary",
    "Term",
    "Terms",
    "all_of",
    "any_of",
    "catalogue",
    "catalogue_version",
    "display_name",
    "get",
    "identify",
    "identify_bytes",
    "identify_file",
    "identify_name",
    "is_open_id",
    "names_for_people",
    "parse_expression",
    "summarize",
]


def get(name: str) -> Licence:
    """Return the catalogue record for an id, Hugging Face id, ScanCode key or common name.

    Raises:
        UnknownLicenceError: when nothing answers to *name*; the hint lists close ids.
    """
    cat = load()
    found = cat.get(name)
    if found is None:
        close = difflib.get_close_matches(name, list(cat.licences), n=3, cutoff=0.6)
        hint = (
            f"did you mean {', '.join(close)}?"
            if close
            else "run 'clearweights license list' to see every id"
        )
        raise UnknownLicenceError(f"no licence is known as {name!r}", path=name, hint=hint)
    return found


def catalogue() -> list[Licence]:
    """Return every catalogue record, sorted by id."""
    return sorted(load().licences.values(), key=lambda lic: lic.id.lower())


@functools.cache
def catalogue_version() -> str:
    """Return the version of the shipped licence data.

    Read from the head of the data file, where it is the first key (the file is written with
    sorted keys): a resumed scan needs the version, not the records. Else from the catalogue.
    """
    try:
        with resources.files("clearweights").joinpath(_DATA, "catalogue.json").open("rb") as f:
            found = _VERSION_HEAD.match(f.read(512))
    except OSError:
        found = None
    if found is not None:
        return str(json.loads(found.group(1)))
    return str(load().meta.get("catalogue_version", "unknown"))


_VERSION_HEAD = re.compile(rb'\A\{\s*"catalogue_version"\s*:\s*("[^"\\]*")\s*,')


def parse_expression(text: str) -> Expression:
    """Parse and normalise an SPDX licence expression (Hub ids and LicenseRefs resolved)."""
    return _parse_expression(text, load())


def is_open_id(license_id: str) -> bool:
    """Whether the catalogue's record for *license_id* grants open terms (OSI-approved or an
    open category). The record decides, never what a stored or posted document says about it;
    an id the catalogue does not know (a modified or unidentified text) is not open."""
    from clearweights.licenses._modified import is_open

    found = load().get(license_id)
    return found is not None and is_open(found)
