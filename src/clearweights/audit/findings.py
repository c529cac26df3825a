"""Open-washing, licence-clarity and security findings. Codes are stable and documented."""

from __future__ import annotations

import re
from collections.abc import Sequence

from clearweights.audit._lineage import CODES as LINEAGE_CODES
from clearweights.audit.model import Finding, Severity, by_severity
from clearweights.components import MofComponent as M
from clearweights.frameworks._common import restrictions_of
from clearweights.frameworks.interface import ProfileResult, Status
from clearweights.frameworks.subject import AuditSubject, weights_licences
from clearweights.inventory import LicenceFile, Role

CODES = {
    "OW-LIC": "claims open source, but the weights licence is not an open-source licence",
    "OW-RESTRICT": "claims openness while the licence restricts use",
    "OW-META": "the declared licence differs from the licence text",
    "OW-UNCLEAR": "the weights' licence cannot be identified (unrecognised file or no licence)",
    "OW-OSAID": "claims open source AI while OSAID elements are missing",
    "SEC-PICKLE": "a pickle-bearing file is unsafe to load (unsafe import, archive trick)",
    "SEC-PICKLE-TRUST": "pickle: loading needs trust (a known-benign layout, still a pickle)",
    "REL-SKIPPED": "a file or link was not audited",
    "WEIGHTS-UNREADABLE": "a weight file's header or pickle cannot be read (so not shown safe)",
    "WEIGHTS-INVALID": "a weight file's header contradicts the file (offsets, sizes, dtypes)",
    "CARD-INVALID": "the model card's front matter could not be read",
    "LIC-UNREADABLE": "a licence file cannot be read: the licence of what it covers is unknown",
    "OPEN-WEIGHTS": "the card calls the weights open or openly available (not open source)",
    **LINEAGE_CODES,
}
_OSAI = re.compile(r"\bopen[-_\s]?source[-_\s]+(?:ai|artificial intelligence)\b", re.IGNORECASE)
# Licence files that may cover the weights (not code-only, third-party, NOTICE or policy files).
_WEIGHTS_ROLES = (Role.WEIGHTS, Role.GENERAL)


def _claims(subject: AuditSubject) -> list[str]:
    card = subject.release.card
    return [f"{card.path}:{line}: {text}" for line, text in card.claims] if card else []


def _unrecognised(files: Sequence[LicenceFile]) -> list[str]:
    """Licence files that may cover the weights but hold no licence the catalogue knows."""
    out = []
    for lf in files:
        if not lf.applies or lf.role not in _WEIGHTS_ROLES:
            continue
        if lf.error:
            out.append(f"{lf.path}: cannot be read ({lf.error})")
        elif not lf.licences or all(lic.id.endswith("unidentified") for lic in lf.licences):
            out.append(f"{lf.path}: present, but its text matches no known licence")
    return out


def _unclear(subject: AuditSubject, files: Sequence[LicenceFile]) -> list[Finding]:
    """OW-UNCLEAR, saying what is wrong: an unrecognised file, license: other, or nothing."""
    component = subject.get(M.MODEL_PARAMETERS_FINAL)
    weights = weights_licences(subject)
    if component is None or (
        weights and not any(lic.id.endswith("unidentified") for lic in weights)
    ):
        return []
    card = subject.release.card
    unrecognised = _unrecognised(files)
    evidence = [*unrecognised, f"weights licence: {component.licence_source}"]
    if card is not None and card.license == "other":
        evidence.append(f"{card.path}: license: other, license_name: {card.license_name or '-'}")
    if unrecognised:
        named = ", ".join(u.split(":", 1)[0] for u in unrecognised)
        message = (
            f"A licence file is present ({named}) but not recognised as any known licence, "
            "so the weights' terms cannot be identified; read it, or use a known licence."
        )
    elif card is not None and card.license == "other":
        message = (
            f"The model card says license: other ({card.license_name or 'no license_name'}) "
            "and no licence file in the release gives the terms of the weights."
        )
    else:
        message = "No licence found for the weights: no licence file and no license in the card."
    return [Finding("OW-UNCLEAR", Severity.MEDIUM, message, tuple(evidence))]


def _unreadable(files: Sequence[LicenceFile]) -> list[Finding]:
    """A licence file that cannot be read leaves what it covers unknown (fail closed)."""
    return [
        Finding(
            "LIC-UNREADABLE",
            Severity.MEDIUM,
            f"{lf.path} cannot be read ({lf.error}): the licence of the files it covers "
            f"({lf.role.value}) is unknown.",
            (lf.path,),
        )
        for lf in files
        if lf.error and lf.applies
    ]


def _open_weights(subject: AuditSubject, names: str) -> list[Finding]:
    """Open-weights statements: accurate for many restricted releases, so information only."""
    card = subject.release.card
    if card is None or not card.open_weights:
        return []
    evidence = tuple(f"{card.path}:{line}: {text}" for line, text in card.open_weights[:3])
    message = (
        "The card calls the weights open or openly available (an open-weights statement, "
        f"not an open-source claim); the weights' licence: {names}."
    )
    return [Finding("OPEN-WEIGHTS", Severity.INFO, message, evidence)]


def _security(subject: AuditSubject) -> list[Finding]:
    """Unsafe or unreadable weight files, and files the audit skipped."""
    out: list[Finding] = []
    for scan in subject.pickles:
        if not scan.safe:
            what = (
                f"would import {', '.join(scan.unsafe)} when unpickled"
                if scan.unsafe
                else f"is unsafe to unpickle ({scan.issues[0]})"
            )
            out.append(
                Finding(
                    "SEC-PICKLE",
                    Severity.HIGH,
                    f"{scan.path} {what}: loading it can run arbitrary code.",
                    (scan.path, *(str(issue) for issue in scan.issues[:20])),
                )
            )
        elif scan.pickles and not scan.error:
            kind = f" ({scan.framework})" if scan.framework else ""
            message = f"{scan.path}{kind}: pickle: loading needs trust"
            out.append(Finding("SEC-PICKLE-TRUST", Severity.LOW, message, (scan.path,)))
    for header in subject.weights:
        if header.error:
            out.append(
                Finding(
                    "WEIGHTS-INVALID" if header.invalid else "WEIGHTS-UNREADABLE",
                    Severity.MEDIUM,
                    f"{header.path}: {header.error}",
                    (header.path,),
                )
            )
    for scan in subject.pickles:
        if scan.error:
            message = f"{scan.path}: {scan.error}; it cannot be shown safe to load"
            out.append(Finding("WEIGHTS-UNREADABLE", Severity.MEDIUM, message, (scan.path,)))
    for skipped in subject.release.skipped:
        code = "CARD-INVALID" if "model card" in skipped.reason else "REL-SKIPPED"
        severity = Severity.MEDIUM if code == "CARD-INVALID" else Severity.INFO
        out.append(Finding(code, severity, f"{skipped.path}: {skipped.reason}", (skipped.path,)))
    return out


def find(
    subject: AuditSubject,
    profiles: tuple[ProfileResult, ...],
    licence_files: Sequence[LicenceFile] = (),
) -> tuple[Finding, ...]:
    """Return every finding for the release, most severe first."""
    out: list[Finding] = []
    claims = _claims(subject)
    weights = weights_licences(subject)
    names = ", ".join(lic.id for lic in weights) or "none"
    absent = " (declared for the repository; weights not present)" if subject.weights_absent else ""
    if claims and weights and not all(lic.osi_approved for lic in weights):
        out.append(
            Finding(
                "OW-LIC",
                Severity.HIGH,
                f"The release calls itself open source, but its weights are under {names}"
                f"{absent}, which is not an open-source licence.",
                tuple(claims[:3]),
            )
        )
    restricted = [f"{lic.id}: {r}" for lic in weights for r in restrictions_of(lic)]
    if claims and restricted:
        out.append(
            Finding(
                "OW-RESTRICT",
                Severity.HIGH,
                f"The release calls itself open source while its licence restricts use{absent}.",
                tuple(claims[:2]) + tuple(restricted),
            )
        )
    declared = {lic.id for lic in subject.card_licences}
    detected = {lic.id for lic in subject.text_licences if lic.kind == "licence"}
    if declared and detected and not declared & detected:
        out.append(
            Finding(
                "OW-META",
                Severity.MEDIUM,
                f"The model card declares {', '.join(sorted(declared))}, "
                f"but the licence file holds {', '.join(sorted(detected))}.",
                (
                    f"model card license: {', '.join(sorted(declared))}",
                    f"licence files: {', '.join(sorted(detected))}",
                ),
            )
        )
    out.extend(_unclear(subject, licence_files))
    out.extend(_unreadable(licence_files))
    out.extend(_open_weights(subject, names))
    if any(_OSAI.search(c) for c in claims):
        osaid = next((p for p in profiles if p.profile == "osaid-1.0"), None)
        missing = [c.title for c in osaid.criteria if c.status is not Status.PASS] if osaid else []
        if missing:
            out.append(
                Finding(
                    "OW-OSAID",
                    Severity.MEDIUM,
                    "The release claims to be open source AI, but OSAID 1.0 elements are missing.",
                    tuple(claims[:2]) + tuple(missing),
                )
            )
    out.extend(_security(subject))
    return by_severity(tuple(out))
