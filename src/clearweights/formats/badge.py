"""Shields-style SVG badges for a README or model card."""

from __future__ import annotations

from html import escape

from clearweights.audit.model import ReleaseAudit
from clearweights.components import MofComponent
from clearweights.formats.html import OPEN

COLOURS = {"good": "#2ea44f", "warn": "#bf8700", "bad": "#cf222e", "none": "#6e7781"}
KINDS = ("redhat", "osaid", "mof", "eu", "licence")
_CHAR = 6.5  # average glyph width of 11px Verdana, in pixels


def _text_width(text: str) -> int:
    return int(len(text) * _CHAR) + 10


def svg(label: str, message: str, colour: str) -> str:
    """One badge: grey label, coloured message, accessible title."""
    left, right = _text_width(label), _text_width(message)
    total = left + right
    label_e, message_e = escape(label), escape(message)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="20" role="img" '
        f'aria-label="{label_e}: {message_e}"><title>{label_e}: {message_e}</title>'
        f'<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/>'
        f'<stop offset="1" stop-opacity=".1"/></linearGradient>'
        f'<clipPath id="r"><rect width="{total}" height="20" rx="3" fill="#fff"/></clipPath>'
        f'<g clip-path="url(#r)"><rect width="{left}" height="20" fill="#555"/>'
        f'<rect x="{left}" width="{right}" height="20" fill="{colour}"/>'
        f'<rect width="{total}" height="20" fill="url(#s)"/></g>'
        f'<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">'
        f'<text x="{left / 2:.1f}" y="14">{label_e}</text><text x="{left + right / 2:.1f}" y="14">{message_e}</text>'
        f"</g></svg>\n"
    )


def badge(audit: ReleaseAudit, kind: str) -> str:
    """The badge of one kind for an audited release."""
    match kind:
        case "redhat" | "osaid" | "eu":
            profile = {"redhat": "redhat", "osaid": "osaid-1.0", "eu": "eu-ai-act-53-2"}[kind]
            label = {"redhat": "open source AI", "osaid": "OSAID 1.0", "eu": "EU AI Act 53(2)"}[
                kind
            ]
            result = audit.profile(profile)
            verdict = result.verdict.value if result else "unknown"
            prefix = "Red Hat minimum: " if kind == "redhat" else ""
            colour = {"pass": "good", "fail": "bad"}.get(verdict, "none")
            return svg(label, f"{prefix}{verdict}", COLOURS[colour])
        case "mof":
            result = audit.profile("mof")
            got = result.mof_class if result and result.mof_class is not None else 0
            text = {0: "unclassified", 1: "Class I", 2: "Class II", 3: "Class III"}[got]
            return svg("MOF", text, COLOURS["good" if got else "bad"])
        case "licence":
            weights = next(
                (c for c in audit.components if c.kind is MofComponent.MODEL_PARAMETERS_FINAL), None
            )
            licences = weights.licences if weights else ()
            if not licences:
                return svg("licence", "unknown", COLOURS["none"])
            name = (
                licences[0].name.replace(" Community License Agreement", "").replace(" License", "")
            )
            if all(lic.category in OPEN or lic.osi_approved for lic in licences):
                return svg("licence", f"{name[:32]}: open", COLOURS["good"])
            return svg("licence", f"{name[:32]}: restricted", COLOURS["warn"])
        case _:
            raise ValueError(f"unknown badge kind {kind!r}")
