"""The licence of a leaf's contributed content: identified, checked, and its duties named.

Two sources are read: the licence each work in ``attribution.txt`` states, and the licence files
at the top of the document repository at the pinned commit. Both go through the clearweights
licence engine. Nothing unidentified is ever taken as allowed.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

from clearweights import licenses
from clearweights.errors import ClearweightsError
from clearweights.licenses import Category, Licence, LicenceExpression
from clearweights.taxonomy.model import Leaf
from clearweights.taxonomy.report import (
    Finding,
    LeafLicense,
    LicenseDuties,
    LicenseSource,
    LicenseVerdict,
    Severity,
)

# The upstream taxonomy's list (CONTRIBUTING.md#legal).
DEFAULT_ALLOWED_LICENSES = (
    "CC0-1.0",
    "CDLA-Permissive-2.0",
    "CC-BY-4.0",
    "CC-BY-SA-4.0",
    "Apache-2.0",
    "MIT",
)
_PUBLIC_DOMAIN = {"CC0-1.0", "PDDL-1.0", "Unlicense", "0BSD", "CC-PDDC", "ODC-PDDL-1.0"}
_RESERVED = re.compile(r"all rights reserved|without (?:the )?(?:prior )?written permission", re.I)


def resolve_allowed(names: Sequence[str]) -> tuple[str, ...]:
    """Normalise an allow-list to catalogue ids (raises ``UnknownLicenceError`` naming a typo)."""
    return tuple(sorted({licenses.get(name).id for name in names}))


def duties(licence: Licence) -> LicenseDuties | None:
    """The duties a licence puts on data derived from the work (``None`` for public domain)."""
    lid = licence.id
    if lid in _PUBLIC_DOMAIN:
        return None
    share_alike = (
        "-SA-" in lid
        or lid.startswith(("ODbL", "CDLA-Sharing"))
        or (licence.category is Category.COPYLEFT)
    )
    attribution = lid.startswith(("CC-BY", "ODC-By", "ODbL", "CDLA-")) or licence.category in (
        Category.PERMISSIVE,
        Category.COPYLEFT,
    )
    keep_notices = licence.category in (Category.PERMISSIVE, Category.COPYLEFT) or lid.startswith(
        "CDLA-"
    )
    notes = []
    if attribution:
        notes.append(f"credit the creator and the work, name {lid} and link to it")
    if lid.startswith("CC-BY"):
        notes.append("indicate whether the work was modified (generated data is an adaptation)")
    if share_alike:
        notes.append(f"share adaptations (generated data) under {lid} or a compatible licence")
    if keep_notices:
        notes.append(
            "keep the copyright and licence notices (and a NOTICE file, when there is one)"
        )
    return LicenseDuties(lid, share_alike, attribution, keep_notices, tuple(notes))


@functools.lru_cache(maxsize=64)
def _identify(data: bytes) -> tuple[str, ...]:
    """Licence ids in a licence file (cached: one repository serves many leaves)."""
    return tuple(sorted({m.licence.id for m in licenses.identify_bytes(data).licences}))


def _ids(text: str) -> tuple[tuple[str, ...], LicenceExpression | None]:
    try:
        expression = licenses.parse_expression(text)
    except (ClearweightsError, ValueError):
        return (), None
    if expression.unknown or not expression.licence_ids:
        return (), None
    return tuple(expression.licence_ids), expression.tree


def _allowed(tree: LicenceExpression, allowed: set[str]) -> bool:
    """An AND needs every part allowed; an OR needs one."""
    if tree.licence is not None:
        return tree.licence.id in allowed
    parts = [_allowed(arg, allowed) for arg in tree.args]
    return any(parts) if tree.operator == "OR" else all(parts)


class _Collector:
    """Gathers sources, findings and verdict inputs for one leaf."""

    def __init__(self, leaf: Leaf, allowed: Sequence[str]) -> None:
        self.leaf = leaf
        self.allowed = set(allowed)
        self.allowed_text = ", ".join(sorted(allowed))
        self.sources: list[LicenseSource] = []
        self.findings: list[Finding] = []
        self.ids: set[str] = set()
        self.refused = False
        self.unknown = False

    def finding(self, path: str, line: int, rule: str, severity: Severity, message: str) -> None:
        self.findings.append(Finding(path, line, 1, rule, severity, message, self.leaf.name))

    def stated(self, origin: str, path: str, line: int, text: str) -> None:
        ids, tree = _ids(text)
        self.sources.append(LicenseSource(origin, text, ids))
        if tree is None:
            self.unknown = True
            self.finding(
                path,
                line,
                "license/unknown",
                Severity.ERROR,
                f"licence {text!r} is not a licence clearweights can identify; "
                "write its SPDX id (e.g. CC-BY-4.0)",
            )
            return
        self._check(ids, tree, path, line, "the licence stated in attribution.txt")

    def _check(
        self, ids: tuple[str, ...], tree: LicenceExpression, path: str, line: int, origin: str
    ) -> None:
        self.ids.update(ids)
        if not _allowed(tree, self.allowed):
            self.refused = True
            names = ", ".join(f"{i} ({licenses.get(i).name})" for i in ids)
            self.finding(
                path,
                line,
                "license/not-allowed",
                Severity.ERROR,
                f"{origin} is {names}, which is not on the allow-list "
                f"(got {' '.join(ids)}, expected one of {self.allowed_text})",
            )

    def license_file(self, label: str, name: str, data: bytes) -> None:
        path = f"{label}/{name}"
        found = _identify(data)
        self.sources.append(LicenseSource(name, name, found))
        tree = _ids(" AND ".join(found))[1] if found else None
        if tree is not None:
            self._check(found, tree, path, 1, f"the licence in the repository's {name} file")
            return
        text = data.decode("utf-8", "replace")
        if _RESERVED.search(text):
            self.refused = True
            self.finding(
                path,
                1,
                "license/not-allowed",
                Severity.ERROR,
                f"repository file {name} reserves all rights (no licence grant); the documents "
                "may not be used",
            )
        else:
            self.unknown = True
            self.finding(
                path,
                1,
                "license/unknown",
                Severity.ERROR,
                f"repository file {name} names no licence clearweights can identify",
            )


def _credit(leaf: Leaf) -> tuple[str, ...]:
    if leaf.attribution is None:
        return ()
    lines = []
    for work in leaf.attribution.works:
        parts = [work.title or "untitled work", f"by {work.creator}" if work.creator else None]
        parts += [work.link, f"revision {work.revision}" if work.revision else None, work.license]
        lines.append(", ".join(p for p in parts if p and p.strip() not in ("-", "revision -")))
    return tuple(lines)


def check_license(
    leaf: Leaf,
    license_files: tuple[tuple[str, bytes], ...] | None,
    repo_label: str | None,
    allowed: Sequence[str],
) -> tuple[LeafLicense, list[Finding]]:
    """The licence verdict of *leaf* and the findings behind it.

    Args:
        leaf: the leaf (its attribution already parsed).
        license_files: the document repository's licence files at the pinned commit, or
            ``None`` when the repository was not read (skills, or out of reach).
        repo_label: how to name the repository in findings (``repo@commit``).
        allowed: the allow-list (catalogue ids).
    """
    c = _Collector(leaf, allowed)
    if leaf.attribution is not None:
        for work in leaf.attribution.works:
            if work.license:
                c.stated("attribution.txt", str(leaf.attribution.path), work.line, work.license)
    for name, data in license_files or ():
        c.license_file(repo_label or "repository", name, data)
    if license_files == () and leaf.document is not None:
        c.finding(
            str(leaf.path),
            1,
            "license/no-license-file",
            Severity.WARNING,
            f"document repository {repo_label} has no LICENSE file at the pinned commit; "
            "the licence rests on attribution.txt alone",
        )
    declared = {i for s in c.sources if s.origin == "attribution.txt" for i in s.licenses}
    in_repo = {i for s in c.sources if s.origin != "attribution.txt" for i in s.licenses}
    if declared and in_repo and not declared & in_repo:
        c.finding(
            str(leaf.attribution.path if leaf.attribution else leaf.path),
            1,
            "license/mismatch",
            Severity.WARNING,
            f"attribution.txt states {', '.join(sorted(declared))} but the document repository "
            f"is licensed {', '.join(sorted(in_repo))}",
        )
    if c.refused:
        verdict = LicenseVerdict.NOT_ALLOWED
    elif c.unknown or not c.ids or (license_files is None and leaf.document is not None):
        verdict = LicenseVerdict.UNKNOWN  # an unread document repository may restrict more
    else:
        verdict = LicenseVerdict.ALLOWED
    found = [duties(licenses.get(i)) for i in sorted(c.ids)]
    result = LeafLicense(
        leaf=leaf.name,
        verdict=verdict,
        licenses=tuple(sorted(c.ids)),
        sources=tuple(c.sources),
        duties=tuple(d for d in found if d is not None),
        credit=_credit(leaf),
        document_repo=leaf.document.repo if leaf.document else None,
        document_commit=leaf.document.commit if leaf.document else None,
    )
    return result, c.findings
