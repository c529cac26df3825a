"""AI bills of materials (CycloneDX ML-BOM, SPDX 3.0.1 AI) and release integrity.

Example:
    >>> from clearweights.bom import build_bom
    >>> text = build_bom("examples/releases/open-olmo-style", "cyclonedx")  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping

from clearweights._gc import paused
from clearweights._untrusted import Heads
from clearweights.audit import NO_DECLARATIONS, Declarations, audit_release
from clearweights.bom.hashing import FileDigest, hash_files, root_digest
from clearweights.bom.subject import BomSubject, build_subject
from clearweights.bom.validate import Problem, validate_document
from clearweights.errors import ClearweightsError, UsageError
from clearweights.progress import Progress

FORMATS = ("cyclonedx", "spdx3")

__all__ = [
    "FORMATS",
    "BomSubject",
    "FileDigest",
    "Problem",
    "build_bom",
    "build_subject",
    "hash_files",
    "root_digest",
    "validate_document",
]


class BomInvalidError(ClearweightsError):
    """A BOM failed validation (one we built, or one a user gave us)."""


def _validate_built(text: str, fmt: str) -> list[Problem]:
    """Validate a BOM read back from its text (our own text: no need for the hostile-input
    parser); :func:`build_bom` checks the documents it builds without reading them back.

    Repeated file components are checked once per shape (CycloneDX: see
    :mod:`clearweights.bom._sampled`; SPDX 3: :func:`~clearweights.bom.validate.validate_spdx3`).
    """
    import json

    doc = json.loads(text)
    if fmt == "cyclonedx":
        from clearweights.bom._sampled import validate_built_cyclonedx

        return validate_built_cyclonedx(doc)
    from clearweights.bom.validate import validate_spdx3

    return validate_spdx3(doc)


def _built(subject: BomSubject, fmt: str, spec_version: str) -> tuple[str, list[Problem]]:
    """The BOM's text and its problems (validated as built, not read back)."""
    if fmt == "cyclonedx":
        from clearweights.bom.cyclonedx import build_checked

        return build_checked(subject, spec_version)
    from clearweights.bom.spdx3 import build_checked as build_spdx

    return build_spdx(subject)


def build_bom(
    location: str,
    fmt: str,
    *,
    spec_version: str = "1.6",
    progress: Progress | None = None,
    declarations: Declarations = NO_DECLARATIONS,
    bases: Mapping[str, str] | None = None,
    revision: str | None = None,
) -> str:
    """Audit the release at *location* and return its BOM in *fmt*, validated.

    *bases* maps base-model repo ids (or ``"*"``) to local copies, for lineage; *revision*
    picks a Hub repo id's branch, tag or commit.

    Raises:
        UsageError: for an unknown format or a release that cannot be audited.
        BomInvalidError: if the document fails validation (a bug; reported, never written).
    """
    if fmt not in FORMATS:
        raise UsageError(f"unknown BOM format {fmt!r}; choose from {', '.join(FORMATS)}")
    heads = Heads()  # small files hashed from the bytes the audit read, not opened again
    audit = audit_release(
        location, declarations=declarations, bases=bases, revision=revision, heads=heads
    )
    if audit.error:
        from clearweights.errors import ReleaseError

        raise ReleaseError(audit.error, path=location)
    with paused():  # the audit's objects stay alive; a BOM's own hold no cycles
        subject = build_subject(audit, progress=progress, heads=heads)
        text, problems = _built(subject, fmt, spec_version)
    if problems:
        raise BomInvalidError("; ".join(map(str, problems[:5])), path=location)
    return text
